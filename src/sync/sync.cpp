#include "sync/sync.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/json_writer.hpp"
#include "core/time_util.hpp"
#include "sync/loader.hpp"
#include "sync/page_parse.hpp"
#include "sync/product_usage.hpp"
#include "sync/raw_layout.hpp"

namespace revlens::sync {

using hubspot::Client;
using hubspot::RequestKind;
using hubspot::Response;
using warehouse::Column;
using warehouse::ColumnType;
using warehouse::Value;
using warehouse::Warehouse;

namespace {

// HubSpot's page sizes (hubspot-api-notes.md sections 1-4).
constexpr int64_t kListPage = 100;
constexpr int64_t kListPageWithHistory = 50;
constexpr int64_t kBatchRead = 100;
constexpr int64_t kBatchReadWithHistory = 50;
constexpr int64_t kSearchPage = 200;
constexpr int64_t kSearchCeiling = 10000;
constexpr size_t kAssociationBatch = 1000;

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

uint64_t Fnv1a(std::string_view s, uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::vector<std::string> AssociationTargets(std::string_view type) {
  if (type == "contacts") return {"companies"};
  if (type == "deals") return {"companies", "contacts"};
  for (auto e : kEngagementTypes) {
    if (e == type) return {"contacts", "companies", "deals"};
  }
  return {};
}

std::string GenerateRunId() {
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ static_cast<uint64_t>(NowMillis()));
  const std::string ts = FormatIsoMillis(NowMillis());
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(rng() & 0xffffffffU));
  return ts + "-" + suffix;
}

/// One resource's saved position.
struct StateRow {
  std::string phase;           ///< "" (never synced), list, incremental, or a fingerprint kind for metadata
  std::string cursor;          ///< list: paging.next.after; metadata: fingerprint
  int64_t watermark_ms = 0;    ///< incremental: search from here
  bool operator==(const StateRow&) const = default;
};

/// What a fetcher hands to the writer: rows and the state they bring the resource to, committed together.
struct Chunk {
  const TypePlan* plan = nullptr;
  std::string resource;
  RowBatch rows;
  std::vector<int64_t> association_ids;  ///< from-ids whose associations were re-read
  /// Accepted ids the warehouse already holds: their rows, associations and history are deleted before the new
  /// ones load. Ids new to the warehouse skip the deletes (the first sync is pure appends).
  std::vector<int64_t> stored_ids;
  std::vector<std::string> association_targets;
  std::vector<int64_t> archived_ids;  ///< newly archived records: their associations and history go
  std::optional<StateRow> state;
};

/// Shared progress and figures, updated from fetcher threads.
class Tally {
 public:
  explicit Tally(const SyncOptions& options) : options_(options) {}
  void Add(const std::string& resource, const std::function<void(ResourceSummary&)>& f) {
    std::lock_guard lock(mu_);
    f(resources_[resource]);
  }
  void Progress(const std::string& resource, int64_t total, bool final) {
    if (!options_.progress) return;
    std::string line;
    {
      std::lock_guard lock(mu_);
      const ResourceSummary& r = resources_[resource];
      const double secs = std::max(1e-3, r.seconds > 0 ? r.seconds : ElapsedLocked(resource));
      const double rate = static_cast<double>(r.records_read) / secs;
      char buf[256];
      std::snprintf(buf, sizeof buf, "%-10s %-11s %9lld records  %6lld requests  %8.0f rec/s", resource.c_str(),
                    r.mode.c_str(), static_cast<long long>(r.records_read), static_cast<long long>(r.requests), rate);
      line = buf;
      if (!final && total > r.records_read && rate > 0) {
        std::snprintf(buf, sizeof buf, "  ETA %.0f s", static_cast<double>(total - r.records_read) / rate);
        line += buf;
      }
      if (final) line += "  done";
    }
    options_.progress(resource, line, final);
  }
  void Start(const std::string& resource) {
    std::lock_guard lock(mu_);
    started_[resource] = std::chrono::steady_clock::now();
  }
  void Finish(const std::string& resource) {
    std::lock_guard lock(mu_);
    resources_[resource].seconds = ElapsedLocked(resource);
  }
  std::map<std::string, ResourceSummary> Resources() {
    std::lock_guard lock(mu_);
    return resources_;
  }

 private:
  double ElapsedLocked(const std::string& resource) {
    auto it = started_.find(resource);
    if (it == started_.end()) return 0;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second).count();
  }
  const SyncOptions& options_;
  std::mutex mu_;
  std::map<std::string, ResourceSummary> resources_;
  std::map<std::string, std::chrono::steady_clock::time_point> started_;
};

/// Single-threaded writer: fetchers Submit() a chunk and wait until it is committed (so at most one chunk per
/// resource is ever fetched but not yet durable); the writer thread commits chunks in arrival order.
class Writer {
 public:
  Writer(Warehouse& wh, const std::string& schema, Tally& tally) : wh_(wh), schema_(schema), tally_(tally) {}

  /// Commit `chunk` (called from a fetcher thread); returns rows written, rethrows the commit's error.
  int64_t Submit(Chunk chunk) {
    Job job{std::move(chunk), {}};
    auto done = job.done.get_future();
    {
      std::lock_guard lock(mu_);
      queue_.push_back(&job);
    }
    cv_.notify_all();
    return done.get();
  }
  /// A fetcher finished (successfully or not).
  void FetcherDone() {
    {
      std::lock_guard lock(mu_);
      ++finished_;
    }
    cv_.notify_all();
  }
  /// Run on the writer thread until `fetchers` have finished.
  void Run(int fetchers) {
    for (;;) {
      Job* job = nullptr;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !queue_.empty() || finished_ == fetchers; });
        if (queue_.empty()) return;
        job = queue_.front();
        queue_.pop_front();
      }
      try {
        job->done.set_value(Commit(job->chunk));
      } catch (...) {
        job->done.set_exception(std::current_exception());
      }
    }
  }
  /// Save a resource's state inside the caller's open transaction (metadata, before fetchers start).
  void SaveState(const std::string& resource, const StateRow& s) {
    wh_.Execute("DELETE FROM " + Warehouse::QualifiedName(schema_, "sync_state") +
                " WHERE resource = " + Warehouse::QuoteLiteral(resource));
    wh_.BulkLoad(schema_, "sync_state", SyncStateColumns(),
                 {{Value{resource}, Value{s.phase}, Value{s.cursor}, Value{std::to_string(s.watermark_ms)},
                   Value{warehouse::TimestampFromMillis(NowMillis())}}});
  }

 private:
  struct Job {
    Chunk chunk;
    std::promise<int64_t> done;
  };

  int64_t Commit(Chunk& c) {
    int64_t written = 0;
    warehouse::Transaction tx(wh_);
    const std::string type = c.plan ? c.plan->type : std::string();
    const std::string of_type = "object_type = " + Warehouse::QuoteLiteral(type);
    const std::string from_type = "from_type = " + Warehouse::QuoteLiteral(type);
    if (!c.stored_ids.empty()) {
      DeleteWhereIn(wh_, schema_, type, "id", c.stored_ids);
      if (!c.association_ids.empty()) {
        for (const auto& target : c.association_targets) {
          DeleteWhereIn(wh_, schema_, "associations", "from_id", c.stored_ids,
                        from_type + " AND to_type = " + Warehouse::QuoteLiteral(target));
        }
      }
      if (!c.rows.history_ids.empty()) {
        DeleteWhereIn(wh_, schema_, "property_history", "object_id", c.stored_ids, of_type);
      }
    }
    if (!c.rows.objects.empty()) {
      wh_.BulkLoad(schema_, type, c.plan->shape.columns, c.rows.objects);
      written += static_cast<int64_t>(c.rows.objects.size());
    }
    if (!c.rows.associations.empty()) {
      wh_.BulkLoad(schema_, "associations", AssociationColumns(), c.rows.associations);
      written += static_cast<int64_t>(c.rows.associations.size());
    }
    if (!c.rows.history.empty()) {
      wh_.BulkLoad(schema_, "property_history", PropertyHistoryColumns(), c.rows.history);
      written += static_cast<int64_t>(c.rows.history.size());
    }
    if (!c.archived_ids.empty()) {
      DeleteWhereIn(wh_, schema_, "associations", "from_id", c.archived_ids, from_type);
      DeleteWhereIn(wh_, schema_, "associations", "to_id", c.archived_ids,
                    "to_type = " + Warehouse::QuoteLiteral(type));
      DeleteWhereIn(wh_, schema_, "property_history", "object_id", c.archived_ids, of_type);
    }
    if (!c.rows.quarantine.empty()) {
      // One quarantine row per resource and record: a record that fails again replaces its earlier row.
      std::string sql = "DELETE FROM " + Warehouse::QualifiedName(schema_, "quarantine") + " WHERE resource = " +
                        Warehouse::QuoteLiteral(c.resource) + " AND record_id IN (";
      bool any = false;
      for (const auto& q : c.rows.quarantine) {
        if (warehouse::IsNull(q[1])) continue;
        if (any) sql += ',';
        sql += Warehouse::Literal(q[1]);
        any = true;
      }
      if (any) wh_.Execute(sql + ")");
      wh_.BulkLoad(schema_, "quarantine", QuarantineColumns(), c.rows.quarantine);
      written += static_cast<int64_t>(c.rows.quarantine.size());
    }
    if (c.state) SaveState(c.resource, *c.state);
    tx.Commit();
    tally_.Add(c.resource, [&](ResourceSummary& r) {
      r.rows_written += written;
      r.quarantined += static_cast<int64_t>(c.rows.quarantine.size());
    });
    return written;
  }

  Warehouse& wh_;
  const std::string& schema_;
  Tally& tally_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job*> queue_;
  int finished_ = 0;
};

/// Everything a fetcher of one object type needs.
struct Context {
  Client& client;
  const SyncOptions& options;
  Writer& writer;
  Tally& tally;
  std::string run_id;
  warehouse::Timestamp synced_at;
  std::atomic<bool>& cancelled;
};

/// What the warehouse already holds of one object type: id -> (updated_at ms, is_deleted).
using StoredIndex = std::unordered_map<int64_t, std::pair<int64_t, bool>>;

class ObjectFetcher {
 public:
  ObjectFetcher(Context& ctx, const TypePlan& plan, const StateRow& state, const StoredIndex& stored)
      : ctx_(ctx), plan_(plan), state_(state), stored_(stored) {
    const bool hist = !plan_.history.empty();
    std::string props;
    for (const auto& p : plan_.properties) {
      if (!props.empty()) props += ',';
      props += hubspot::UrlEncode(p.name);
    }
    std::string hist_q;
    for (const auto& h : plan_.history) {
      if (!hist_q.empty()) hist_q += ',';
      hist_q += h;
    }
    list_query_ = "/crm/v3/objects/" + plan_.type + "?limit=" + std::to_string(hist ? kListPageWithHistory : kListPage) +
                  "&archived=false&properties=" + props + (hist ? "&propertiesWithHistory=" + hist_q : "");
    // Long property lists would make the GET too long (HubSpot answers 414): list ids only, then batch-read
    // them with the property names in the POST body.
    by_ids_ = list_query_.size() + 200 > ctx_.options.max_url_bytes;
    if (by_ids_) list_query_ = "/crm/v3/objects/" + plan_.type + "?limit=" + std::to_string(kListPage) +
                               "&archived=false&properties=hs_object_id";
    archived_query_ = "/crm/v3/objects/" + plan_.type + "?limit=" + std::to_string(kListPage) + "&archived=true&properties=" +
                      (by_ids_ ? std::string("hs_object_id,hs_merged_object_ids") : props);
  }

  void Run() {
    ctx_.tally.Start(plan_.type);
    const bool full = ctx_.options.full_refresh || state_.phase.empty() || state_.phase == "list";
    ctx_.tally.Add(plan_.type, [&](ResourceSummary& r) { r.mode = full ? "full" : "incremental"; });
    if (full) {
      ListArchived(ListAll());
    } else if (state_.phase == "archived") {
      // The run before died after listing every live record but before the archived list: finish that first
      // (the live count alone cannot tell, since the warehouse has never held those archived records).
      ListArchived(StateRow{"incremental", "", state_.watermark_ms});
    } else {
      // The archived list can only be read whole, and it grows with every merge and deletion; skip it when
      // nothing was archived since the last run: the portal's live count (search total, taken at or before the
      // change search) then equals what we hold live plus what the change search returned as new or restored.
      // Records created after the count only raise our side, so a mismatch is always safe.
      // The newest-first page gives that count and, on a run where fewer records changed than fit in a page (most
      // types, most nights), every change too: one request where a count and a change search took two.
      bool covered = false;
      const int64_t live_remote = SearchNewestFirst(covered);
      if (!covered) {
        searched_ids_.clear();
        SearchChanged();
      }
      if (live_remote < 0 || live_remote != KnownLiveCount()) ListArchived();
    }
    ctx_.tally.Finish(plan_.type);
    ctx_.tally.Progress(plan_.type, -1, true);
  }

 private:
  // ------------------------------------------------------------------ full listing
  // Lists every live record; the last chunk commits phase "archived" (the archived list still to read). Returns
  // the state the archived list commits when it is done.
  StateRow ListAll() {
    StateRow st = state_;
    if (ctx_.options.full_refresh || st.phase != "list") {
      st = StateRow{"list", "", NowMillis() - static_cast<int64_t>(ctx_.options.lookback.count())};
    }
    int64_t total = -1;
    if (ctx_.options.progress) total = CountAll();
    std::string after = st.cursor;
    Chunk chunk = NewChunk();
    std::vector<int64_t> pending_ids;  // by_ids_: ids listed, not yet batch-read
    for (;;) {
      CheckCancelled();
      const std::string url = list_query_ + (after.empty() ? "" : "&after=" + hubspot::UrlEncode(after));
      PageInfo info;
      Call("GET", url, {}, RequestKind::kStandard, [&](const Response& r) {
        RowBatch scratch;
        if (by_ids_) {
          info = ParseObjectPage(r.body, IdPlan(), false, Keep(), ctx_.synced_at, ctx_.run_id, scratch);
        } else {
          info = ParseObjectPage(r.body, plan_, !plan_.history.empty(), Keep(), ctx_.synced_at, ctx_.run_id, scratch);
        }
        pending_batch_ = std::move(scratch);
      });
      AddMin(1);
      if (by_ids_) {
        pending_ids.insert(pending_ids.end(), info.ids.begin(), info.ids.end());
        Append(chunk.rows.quarantine, pending_batch_.quarantine);
      } else {
        Absorb(chunk, info);
      }
      after = info.next_after;
      ctx_.tally.Add(plan_.type, [&](ResourceSummary& r) { r.records_read += info.records; });
      const bool last = after.empty();
      if (by_ids_ && (pending_ids.size() >= ctx_.options.chunk_records || last)) {
        ReadByIds(pending_ids, chunk);
        pending_ids.clear();
      }
      if (chunk.rows.Size() >= ctx_.options.chunk_records || last) {
        st.cursor = after;
        if (last) st = StateRow{"archived", "", st.watermark_ms};
        chunk.state = st;
        Flush(chunk);
        ctx_.tally.Progress(plan_.type, total, false);
      }
      if (last) break;
    }
    return StateRow{"incremental", "", st.watermark_ms};
  }

  // ------------------------------------------------------------------ incremental
  void SearchChanged() {
    StateRow st = state_;
    const int64_t from = st.watermark_ms - static_cast<int64_t>(ctx_.options.lookback.count());
    const bool search_ids_only = SearchIdsOnly();
    std::string low = std::to_string(from);
    std::string op = "GT";
    int64_t offset = 0;
    int64_t total = -1;
    int64_t max_seen = st.watermark_ms;
    std::unordered_set<int64_t>& seen = searched_ids_;
    Chunk chunk = NewChunk();
    std::vector<int64_t> pending_ids;
    int64_t changed = 0;
    for (;;) {
      CheckCancelled();
      if (offset + kSearchPage > kSearchCeiling) {
        // The search API stops at 10,000 results: restart from the last value seen (>=, ties re-read and
        // de-duplicated by id below).
        low = std::to_string(max_seen);
        op = "GTE";
        offset = 0;
      }
      nlohmann::json body = {
          {"filterGroups",
           nlohmann::json::array({{{"filters", nlohmann::json::array({{{"propertyName", plan_.modified_property},
                                                                       {"operator", op},
                                                                       {"value", low}}})}}})},
          {"sorts", nlohmann::json::array({{{"propertyName", plan_.modified_property}, {"direction", "ASCENDING"}}})},
          {"limit", kSearchPage},
          {"after", std::to_string(offset)}};
      body["properties"] = SearchProperties(search_ids_only);
      PageInfo info;
      const int64_t before_max = max_seen;
      Call("POST", "/crm/v3/objects/" + plan_.type + "/search", body.dump(), RequestKind::kSearch,
           [&](const Response& r) {
             RowBatch scratch;
             auto keep = [&](int64_t id, int64_t updated_ms, bool archived) {
               if (!seen.insert(id).second) return false;
               return Keep()(id, updated_ms, archived);
             };
             info = ParseObjectPage(r.body, search_ids_only ? IdPlan() : plan_, false, keep, ctx_.synced_at,
                                    ctx_.run_id, scratch);
             pending_batch_ = std::move(scratch);
           });
      if (info.total >= 0) total = info.total;
      max_seen = std::max(max_seen, info.max_modified_ms);
      changed += static_cast<int64_t>(info.ids.size());
      if (search_ids_only) {
        pending_ids.insert(pending_ids.end(), info.ids.begin(), info.ids.end());
        Append(chunk.rows.quarantine, pending_batch_.quarantine);
      } else {
        Absorb(chunk, info);
      }
      ctx_.tally.Add(plan_.type, [&](ResourceSummary& r) { r.records_read += info.records; });
      // At the ceiling the API stops offering a next page even when more records match: restart instead.
      const bool at_ceiling = offset + kSearchPage >= kSearchCeiling && info.records == kSearchPage;
      bool last = info.next_after.empty() && !at_ceiling;
      if (!last && op == "GTE" && offset == 0 && info.records == kSearchPage && max_seen == before_max &&
          info.max_modified_ms == std::stoll(low)) {
        // A whole page of ties at the restart value and no progress: more than 10,000 records share one
        // modification time. Page them by id instead, then continue above that time.
        SearchTies(std::stoll(low), search_ids_only, seen, pending_ids, chunk, changed);
        low = std::to_string(max_seen);
        op = "GT";
        offset = 0;
        continue;
      }
      offset += kSearchPage;
      if (search_ids_only && (pending_ids.size() >= ctx_.options.chunk_records || last)) {
        ReadByIds(pending_ids, chunk);
        pending_ids.clear();
      }
      if (chunk.rows.Size() >= ctx_.options.chunk_records || last) {
        // Everything up to max_seen has been read (results come in ascending modification order).
        StateRow next{"incremental", "", std::max(st.watermark_ms, last ? max_seen : info.max_modified_ms)};
        if (!(next == st) || chunk.rows.Size() > 0) {
          chunk.state = next;
          st = next;
          Flush(chunk);
        } else {
          chunk = NewChunk();
        }
        ctx_.tally.Progress(plan_.type, total, false);
      }
      if (last) break;
    }
    AddMin(std::max<int64_t>(1, CeilDiv(changed, kSearchPage)));
  }

  // One search with no filter, newest modification first: its `total` is the live count (the archive check), and
  // when the page reaches a record older than the watermark (or holds the whole portal) it holds every change
  // since the last run, which is then read exactly as the ascending change search would. Otherwise (more changes
  // than a page, or a record in it that did not validate) `covered` stays false, nothing from the page is kept,
  // and SearchChanged reads the changes in ascending order with its chunked, resumable watermark.
  // Returns the live count, or -1 when the answer had none.
  int64_t SearchNewestFirst(bool& covered) {
    covered = false;
    const int64_t from = state_.watermark_ms - static_cast<int64_t>(ctx_.options.lookback.count());
    const bool search_ids_only = SearchIdsOnly();
    nlohmann::json body = {
        {"sorts", nlohmann::json::array({{{"propertyName", plan_.modified_property}, {"direction", "DESCENDING"}}})},
        {"limit", kSearchPage}};
    body["properties"] = SearchProperties(search_ids_only);
    PageInfo info;
    int64_t oldest = std::numeric_limits<int64_t>::max();
    std::vector<int64_t> changed;
    bool invalid = false;
    Call("POST", "/crm/v3/objects/" + plan_.type + "/search", body.dump(), RequestKind::kSearch,
         [&](const Response& r) {
           RowBatch scratch;
           oldest = std::numeric_limits<int64_t>::max();
           changed.clear();
           auto keep = [&](int64_t id, int64_t updated_ms, bool archived) {
             oldest = std::min(oldest, updated_ms);
             if (updated_ms <= from) return false;
             changed.push_back(id);
             return Keep()(id, updated_ms, archived);
           };
           info = ParseObjectPage(r.body, search_ids_only ? IdPlan() : plan_, false, keep, ctx_.synced_at,
                                  ctx_.run_id, scratch);
           invalid = !scratch.quarantine.empty();
           pending_batch_ = std::move(scratch);
         });
    AddMin(1);
    if (invalid || info.total < 0 || (info.records == kSearchPage && oldest > from)) {
      pending_batch_ = RowBatch{};
      return info.total;
    }
    covered = true;
    searched_ids_.insert(changed.begin(), changed.end());
    ctx_.tally.Add(plan_.type, [&](ResourceSummary& r) { r.records_read += static_cast<int64_t>(changed.size()); });
    Chunk chunk = NewChunk();
    if (search_ids_only) {
      pending_batch_ = RowBatch{};
      if (!info.ids.empty()) ReadByIds(info.ids, chunk);
    } else {
      Absorb(chunk, info);
    }
    const StateRow next{"incremental", "", std::max(state_.watermark_ms, info.max_modified_ms)};
    if (!(next == state_) || chunk.rows.Size() > 0) {
      chunk.state = next;
      Flush(chunk);
    }
    return info.total;
  }

  // Types with history re-read changed records by id anyway (history needs a batch read), and so do types whose
  // property list is too long for one request; their change searches ask only for ids. The others take every
  // property straight from the search.
  bool SearchIdsOnly() const { return !plan_.history.empty() || by_ids_; }

  // The `properties` of a change search: the modified date alone (ids only) or every property.
  nlohmann::json SearchProperties(bool ids_only) const {
    nlohmann::json props = nlohmann::json::array();
    if (ids_only) {
      props.push_back(plan_.modified_property);
    } else {
      for (const auto& p : plan_.properties) props.push_back(p.name);
    }
    return props;
  }

  // Page records whose modification time equals `value` by id (the 10,000 ceiling workaround for ties).
  void SearchTies(int64_t value, bool ids_only, std::unordered_set<int64_t>& seen, std::vector<int64_t>& pending_ids,
                  Chunk& chunk, int64_t& changed) {
    int64_t last_id = 0;
    for (;;) {
      CheckCancelled();
      nlohmann::json body = {
          {"filterGroups",
           nlohmann::json::array({{{"filters", nlohmann::json::array(
                                                   {{{"propertyName", plan_.modified_property}, {"operator", "EQ"},
                                                     {"value", std::to_string(value)}},
                                                    {{"propertyName", "hs_object_id"}, {"operator", "GT"},
                                                     {"value", std::to_string(last_id)}}})}}})},
          {"sorts", nlohmann::json::array({{{"propertyName", "hs_object_id"}, {"direction", "ASCENDING"}}})},
          {"limit", kSearchPage}};
      nlohmann::json props = nlohmann::json::array({plan_.modified_property});
      if (!ids_only) {
        for (const auto& p : plan_.properties) props.push_back(p.name);
      }
      body["properties"] = std::move(props);
      PageInfo info;
      int64_t page_max_id = 0;
      Call("POST", "/crm/v3/objects/" + plan_.type + "/search", body.dump(), RequestKind::kSearch,
           [&](const Response& r) {
             RowBatch scratch;
             auto keep = [&](int64_t id, int64_t updated_ms, bool archived) {
               page_max_id = std::max(page_max_id, id);
               if (!seen.insert(id).second) return false;
               return Keep()(id, updated_ms, archived);
             };
             info = ParseObjectPage(r.body, ids_only ? IdPlan() : plan_, false, keep, ctx_.synced_at, ctx_.run_id,
                                    scratch);
             pending_batch_ = std::move(scratch);
           });
      changed += static_cast<int64_t>(info.ids.size());
      if (ids_only) {
        pending_ids.insert(pending_ids.end(), info.ids.begin(), info.ids.end());
        Append(chunk.rows.quarantine, pending_batch_.quarantine);
      } else {
        Absorb(chunk, info);
      }
      if (info.records < kSearchPage || page_max_id <= last_id) break;
      last_id = page_max_id;
    }
  }

  // ------------------------------------------------------------------ archived records
  // `finish`: the state to commit with the last chunk (a full run's listing is complete only once the archived
  // list is in, so a run killed between the two lists them again on the rerun).
  void ListArchived(std::optional<StateRow> finish = std::nullopt) {
    // The search API never returns archived records and the list API cannot filter archived ones by time;
    // ones already stored as deleted are skipped, so reruns write nothing.
    std::string after;
    Chunk chunk = NewChunk();
    int64_t n = 0;
    for (;;) {
      CheckCancelled();
      const std::string url = archived_query_ + (after.empty() ? "" : "&after=" + hubspot::UrlEncode(after));
      PageInfo info;
      Call("GET", url, {}, RequestKind::kStandard, [&](const Response& r) {
        RowBatch scratch;
        auto keep = [&](int64_t id, int64_t, bool) {
          auto it = stored_.find(id);
          return it == stored_.end() || !it->second.second;
        };
        info = ParseObjectPage(r.body, by_ids_ ? ArchivedIdPlan() : plan_, false, keep, ctx_.synced_at,
                               ctx_.run_id, scratch);
        pending_batch_ = std::move(scratch);
      });
      n += info.records;
      Absorb(chunk, info);
      // HubSpot stops returning an archived record's associations and history; drop ours so an incremental run
      // ends where a fresh full sync would.
      chunk.archived_ids = chunk.stored_ids;
      chunk.association_ids.clear();
      ctx_.tally.Add(plan_.type, [&](ResourceSummary& r) { r.records_read += info.records; });
      after = info.next_after;
      if (after.empty() && finish) chunk.state = *finish;
      if (chunk.rows.Size() >= ctx_.options.chunk_records || (after.empty() && (chunk.rows.Size() > 0 || finish))) {
        Flush(chunk);
      }
      if (after.empty()) break;
    }
    AddMin(std::max<int64_t>(1, CeilDiv(n, kListPage)));
  }

  // ------------------------------------------------------------------ helpers
  // Batch-read `ids` with every property (and history where tracked) into `chunk`.
  void ReadByIds(const std::vector<int64_t>& ids, Chunk& chunk) {
    const bool hist = !plan_.history.empty();
    const size_t batch = static_cast<size_t>(hist ? kBatchReadWithHistory : kBatchRead);
    nlohmann::json props = nlohmann::json::array();
    for (const auto& p : plan_.properties) props.push_back(p.name);
    nlohmann::json hist_props = nlohmann::json::array();
    for (const auto& h : plan_.history) hist_props.push_back(h);
    for (size_t i = 0; i < ids.size(); i += batch) {
      CheckCancelled();
      nlohmann::json inputs = nlohmann::json::array();
      for (size_t j = i; j < std::min(ids.size(), i + batch); ++j) inputs.push_back({{"id", std::to_string(ids[j])}});
      nlohmann::json body = {{"properties", props}, {"inputs", std::move(inputs)}};
      if (hist) body["propertiesWithHistory"] = hist_props;
      PageInfo info;
      Call("POST", "/crm/v3/objects/" + plan_.type + "/batch/read", body.dump(), RequestKind::kStandard,
           [&](const Response& r) {
             RowBatch scratch;
             info = ParseObjectPage(r.body, plan_, hist, nullptr, ctx_.synced_at, ctx_.run_id, scratch);
             pending_batch_ = std::move(scratch);
           });
      AddMin(1);
      Absorb(chunk, info);
    }
  }

  // Move the last parsed page's rows into `chunk` and read the associations of its accepted records.
  void Absorb(Chunk& chunk, const PageInfo& info) {
    RowBatch& b = pending_batch_;
    Append(chunk.rows.objects, b.objects);
    Append(chunk.rows.history, b.history);
    chunk.rows.history_ids.insert(chunk.rows.history_ids.end(), b.history_ids.begin(), b.history_ids.end());
    Append(chunk.rows.quarantine, b.quarantine);
    chunk.association_ids.insert(chunk.association_ids.end(), info.ids.begin(), info.ids.end());
    for (int64_t id : info.ids) {
      if (stored_.count(id)) chunk.stored_ids.push_back(id);
    }
    b = RowBatch{};
  }

  template <typename T>
  static void Append(std::vector<T>& to, std::vector<T>& from) {
    if (to.empty()) {
      to = std::move(from);
    } else {
      to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
    }
    from.clear();
  }

  // Read the associations of the chunk's records, then commit the chunk and start a new one.
  void Flush(Chunk& chunk) {
    if (!chunk.association_ids.empty()) {
      for (const auto& target : plan_.assoc_targets) ReadAssociations(chunk.association_ids, target, chunk.rows);
      chunk.association_targets = plan_.assoc_targets;
    }
    ctx_.writer.Submit(std::move(chunk));
    chunk = NewChunk();
  }

  void ReadAssociations(const std::vector<int64_t>& ids, const std::string& target, RowBatch& rows) {
    const std::string path = "/crm/v4/associations/" + plan_.type + "/" + target + "/batch/read";
    std::vector<AssociationFollowUp> todo;
    for (int64_t id : ids) todo.push_back({id, ""});
    while (!todo.empty()) {
      std::vector<AssociationFollowUp> next;
      for (size_t i = 0; i < todo.size(); i += kAssociationBatch) {
        CheckCancelled();
        std::string body;
        JsonWriter w(body);
        w.BeginObject();
        w.Key("inputs");
        w.BeginArray();
        for (size_t j = i; j < std::min(todo.size(), i + kAssociationBatch); ++j) {
          w.BeginObject();
          w.Key("id");
          w.String(std::to_string(todo[j].id));
          if (!todo[j].after.empty()) {
            w.Key("after");
            w.String(todo[j].after);
          }
          w.EndObject();
        }
        w.EndArray();
        w.EndObject();
        Call("POST", path, body, RequestKind::kStandard, [&](const Response& r) {
          RowBatch scratch;
          std::vector<AssociationFollowUp> more;
          ParseAssociationPage(r.body, plan_.type, target, ctx_.synced_at, scratch, more);
          pending_assoc_ = std::move(scratch.associations);
          pending_follow_ = std::move(more);
        });
        AddMin(1);
        Append(rows.associations, pending_assoc_);
        next.insert(next.end(), pending_follow_.begin(), pending_follow_.end());
        pending_follow_.clear();
      }
      todo = std::move(next);
    }
  }

  // Count live records with one search (only when a progress line wants an ETA).
  int64_t CountAll() {
    int64_t total = -1;
    try {
      const std::string body = R"({"limit":1,"properties":["hs_object_id"]})";
      Call("POST", "/crm/v3/objects/" + plan_.type + "/search", body, RequestKind::kSearch, [&](const Response& r) {
        auto j = nlohmann::json::parse(r.body, nullptr, false);
        if (j.is_object() && j.contains("total") && j["total"].is_number_integer()) total = j["total"].get<int64_t>();
      });
    } catch (const HubSpotApiError&) {
      // The count feeds the ETA and the archived-list skip; without it the sync still runs (and lists).
    }
    return total;
  }

  void Call(std::string_view method, const std::string& url, std::string_view body, RequestKind kind,
            const std::function<void(const Response&)>& handler) {
    ctx_.client.Request(method, url, body, kind, handler);
    ctx_.tally.Add(plan_.type, [](ResourceSummary& r) { ++r.requests; });
  }

  void AddMin(int64_t n) {
    ctx_.tally.Add(plan_.type, [n](ResourceSummary& r) { r.min_requests += n; });
  }

  void CheckCancelled() const {
    if (ctx_.cancelled.load()) throw Error("sync cancelled");
  }

  // Records we know to be live now: stored live ones plus those the change search returned (search results
  // are always live records).
  int64_t KnownLiveCount() const {
    int64_t n = 0;
    for (const auto& [id, v] : stored_) n += v.second ? 0 : 1;
    for (int64_t id : searched_ids_) {
      auto it = stored_.find(id);
      if (it == stored_.end() || it->second.second) ++n;
    }
    return n;
  }

  KeepRecord Keep() const {
    return [this](int64_t id, int64_t updated_ms, bool archived) {
      if (ctx_.options.full_refresh) return true;
      auto it = stored_.find(id);
      if (it == stored_.end()) return true;
      return it->second.first != updated_ms || it->second.second != archived;
    };
  }

  const TypePlan& IdPlan() {
    if (!id_plan_) {
      id_plan_ = std::make_unique<TypePlan>();
      id_plan_->type = plan_.type;
      id_plan_->shape.columns = ObjectFixedColumns();
    }
    return *id_plan_;
  }

  const TypePlan& ArchivedIdPlan() {
    if (!archived_plan_) {
      archived_plan_ = std::make_unique<TypePlan>(plan_);
      archived_plan_->column_of.clear();
      for (const char* name : {"hs_object_id", "hs_merged_object_ids"}) {
        auto it = plan_.column_of.find(name);
        if (it != plan_.column_of.end()) archived_plan_->column_of.emplace(name, it->second);
      }
    }
    return *archived_plan_;
  }

  Chunk NewChunk() const {
    Chunk c;
    c.plan = &plan_;
    c.resource = plan_.type;
    return c;
  }

  Context& ctx_;
  const TypePlan& plan_;
  StateRow state_;
  const StoredIndex& stored_;
  std::string list_query_, archived_query_;
  bool by_ids_ = false;
  RowBatch pending_batch_;
  std::vector<std::vector<Value>> pending_assoc_;
  std::vector<AssociationFollowUp> pending_follow_;
  std::unique_ptr<TypePlan> id_plan_, archived_plan_;
  std::unordered_set<int64_t> searched_ids_;  ///< ids the change search returned this run
};

// ------------------------------------------------------------------ metadata

std::vector<PropertyMeta> ParseProperties(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("results") || !j["results"].is_array()) {
    throw hubspot::MalformedResponseError("malformed HubSpot response: property list has no 'results'");
  }
  std::vector<PropertyMeta> out;
  for (const auto& p : j["results"]) {
    if (!p.is_object() || !p.contains("name") || !p["name"].is_string()) continue;
    PropertyMeta m;
    m.name = p["name"].get<std::string>();
    m.label = p.value("label", "");
    m.type = p.value("type", "string");
    m.field_type = p.value("fieldType", "");
    m.group_name = p.value("groupName", "");
    m.description = p.value("description", "");
    if (p.contains("options") && p["options"].is_array()) {
      nlohmann::json opts = nlohmann::json::array();
      for (const auto& o : p["options"]) {
        if (o.is_object()) opts.push_back({{"label", o.value("label", "")}, {"value", o.value("value", "")}});
      }
      m.options_json = opts.dump();
    }
    m.hubspot_defined = p.value("hubspotDefined", false);
    m.calculated = p.value("calculated", false);
    m.archived = p.value("archived", false);
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const PropertyMeta& a, const PropertyMeta& b) { return a.name < b.name; });
  return out;
}

std::optional<int64_t> JsonMillis(const nlohmann::json& o, const char* key) {
  if (!o.contains(key) || !o[key].is_string()) return std::nullopt;
  return ParseTimestampMillis(o[key].get<std::string>());
}

Value TsOrNull(const nlohmann::json& o, const char* key) {
  auto ms = JsonMillis(o, key);
  return ms ? Value{warehouse::TimestampFromMillis(*ms)} : Value{};
}

Value TextOrNull(const nlohmann::json& o, const char* key) {
  if (!o.contains(key) || o[key].is_null()) return Value{};
  if (o[key].is_string()) return Value{o[key].get<std::string>()};
  return Value{o[key].dump()};
}

Value IntOrNull(const nlohmann::json& o, const char* key) {
  if (!o.contains(key)) return Value{};
  if (o[key].is_number_integer()) return Value{o[key].get<int64_t>()};
  if (o[key].is_string()) {
    auto v = ConvertValue(ColumnType::kBigInt, o[key].get<std::string>());
    if (v) return *v;
  }
  return Value{};
}

nlohmann::json ParseJsonObject(const std::string& body, const char* what) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("results") || !j["results"].is_array()) {
    throw hubspot::MalformedResponseError(std::string("malformed HubSpot response: ") + what + " has no 'results'");
  }
  return j;
}

class Syncer {
 public:
  Syncer(Client& client, Warehouse& wh, const SyncOptions& options)
      : client_(client), wh_(wh), options_(options), tally_(options), writer_(wh, options.schema, tally_) {}

  SyncSummary Run() {
    const auto t0 = std::chrono::steady_clock::now();
    const auto stats0 = client_.Stats();
    summary_.run_id = options_.run_id.empty() ? GenerateRunId() : options_.run_id;
    synced_at_ = warehouse::TimestampFromMillis(NowMillis());
    const std::string& schema = options_.schema;
    EnsureRawTables(wh_, schema);
    LoadStates();

    std::vector<std::string> types;
    if (options_.objects.empty()) {
      for (auto t : kObjectTypes) types.emplace_back(t);
    } else {
      for (const auto& t : options_.objects) {
        if (std::find(kObjectTypes.begin(), kObjectTypes.end(), t) == kObjectTypes.end()) {
          throw ConfigError("unknown object type '" + t + "': use contacts, companies, deals, calls, emails, meetings, notes, tasks");
        }
        types.push_back(t);
      }
    }

    SyncOwners();
    SyncPipelines();
    std::vector<std::unique_ptr<TypePlan>> plans;
    for (const auto& t : types) plans.push_back(PlanType(t));

    // What is already stored, so unchanged records are skipped (no requests for their associations, no writes).
    std::vector<StoredIndex> stored(plans.size());
    for (size_t i = 0; i < plans.size(); ++i) {
      stored[i] = LoadStored(plans[i]->type);
    }

    // The fetchers run on several threads: every state entry they touch exists before they start, so no thread
    // inserts into the map while another reads it.
    std::vector<StateRow*> plan_states(plans.size());
    for (size_t i = 0; i < plans.size(); ++i) plan_states[i] = &states_[plans[i]->type];

    std::atomic<bool> cancelled{false};
    Context ctx{client_, options_, writer_, tally_, summary_.run_id, synced_at_, cancelled};
    std::atomic<size_t> next{0};
    std::mutex err_mu;
    std::exception_ptr first_error;
    const int workers = std::max(1, std::min<int>(options_.concurrency, static_cast<int>(plans.size())));
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) {
      threads.emplace_back([&] {
        try {
          for (size_t i = next++; i < plans.size(); i = next++) {
            if (cancelled.load()) break;
            ObjectFetcher f(ctx, *plans[i], *plan_states[i], stored[i]);
            f.Run();
          }
        } catch (...) {
          std::lock_guard lock(err_mu);
          if (!first_error) first_error = std::current_exception();
          cancelled = true;
        }
        writer_.FetcherDone();
      });
    }
    writer_.Run(workers);
    for (auto& t : threads) t.join();
    if (first_error) std::rethrow_exception(first_error);

    ApplyMerges();
    LoadUsage();

    // Figures.
    summary_.resources = tally_.Resources();
    for (const auto& [name, r] : meta_) summary_.resources[name] = r;
    for (const auto& [name, r] : summary_.resources) {
      summary_.rows_written += r.rows_written;
      summary_.min_requests += r.min_requests;
      summary_.quarantined += r.quarantined;
    }
    const auto stats = client_.Stats();
    summary_.requests = stats.requests - stats0.requests;
    summary_.rate_limited = stats.rate_limited - stats0.rate_limited;
    summary_.retries = stats.retries - stats0.retries;
    summary_.server_errors = stats.server_errors - stats0.server_errors;
    summary_.network_errors = stats.network_errors - stats0.network_errors;
    summary_.daily_limit = stats.daily_limit;
    summary_.daily_remaining = stats.daily_remaining;
    for (const char* t : {"contacts", "companies", "deals", "calls", "emails", "meetings", "notes", "tasks",
                          "associations", "property_history", "owners", "owner_teams", "pipelines", "pipeline_stages",
                          "properties", "product_usage", "quarantine"}) {
      summary_.table_rows[t] =
          wh_.Query("SELECT COUNT(*) FROM " + Warehouse::QualifiedName(schema, t)).Scalar<int64_t>();
    }
    summary_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    RecordRun();
    return summary_;
  }

 private:
  void LoadUsage() {
    if (options_.product_usage_path.empty()) return;
    // Reload only when the file changed since the last load (a rerun with nothing new writes nothing).
    std::ifstream in(options_.product_usage_path, std::ios::binary);
    if (!in) throw IOError("cannot read product-usage file " + options_.product_usage_path);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string resource =
        "product_usage:" + std::filesystem::absolute(options_.product_usage_path).lexically_normal().string();
    StateRow next;
    if (!Changed(resource, content, next)) return;
    const auto loaded = ImportProductUsage(wh_, options_.product_usage_path, options_.schema, summary_.run_id);
    {
      warehouse::Transaction tx(wh_);
      writer_.SaveState(resource, next);
      tx.Commit();
    }
    summary_.product_usage_rows = loaded.rows;
    summary_.rows_written += loaded.rows;
  }

  void LoadStates() {
    auto rs = wh_.Query("SELECT resource, phase, cursor, high_watermark FROM " +
                        Warehouse::QualifiedName(options_.schema, "sync_state"));
    for (auto& row : rs.rows) {
      StateRow s;
      s.phase = warehouse::IsNull(row[1]) ? "" : warehouse::AsString(row[1]);
      s.cursor = warehouse::IsNull(row[2]) ? "" : warehouse::AsString(row[2]);
      if (!warehouse::IsNull(row[3])) {
        auto v = ConvertValue(ColumnType::kBigInt, warehouse::AsString(row[3]));
        if (v && !warehouse::IsNull(*v)) s.watermark_ms = warehouse::AsInt64(*v);
      }
      states_[warehouse::AsString(row[0])] = s;
    }
  }

  StoredIndex LoadStored(const std::string& type) {
    StoredIndex idx;
    auto rs = wh_.Query("SELECT id, updated_at, is_deleted FROM " + Warehouse::QualifiedName(options_.schema, type));
    idx.reserve(rs.rows.size());
    for (const auto& row : rs.rows) {
      if (warehouse::IsNull(row[0])) continue;
      int64_t upd = 0;
      if (const auto* ts = std::get_if<warehouse::Timestamp>(&row[1])) upd = ts->micros / 1000;
      const bool del = !warehouse::IsNull(row[2]) && warehouse::AsBool(row[2]);
      idx[warehouse::AsInt64(row[0])] = {upd, del};
    }
    return idx;
  }

  // True (and remembers it) when `body` differs from what the last committed run saw for `resource`.
  bool Changed(const std::string& resource, const std::string& body, StateRow& next) {
    next = StateRow{"metadata", std::to_string(Fnv1a(body)), 0};
    auto it = states_.find(resource);
    return options_.full_refresh || it == states_.end() || !(it->second == next);
  }

  std::unique_ptr<TypePlan> PlanType(const std::string& type) {
    const std::string resource = "properties:" + type;
    ResourceSummary& m = meta_[resource];
    m.mode = "metadata";
    std::vector<PropertyMeta> props;
    Response resp;
    client_.Get("/crm/v3/properties/" + type + "?archived=false", [&](const Response& r) {
      props = ParseProperties(r.body);
      resp = r;
    });
    ++m.requests;
    ++m.min_requests;
    m.records_read = static_cast<int64_t>(props.size());
    auto plan = std::make_unique<TypePlan>();
    plan->type = type;
    plan->properties = props;
    StateRow next;
    const bool changed = Changed(resource, resp.body, next);
    {
      warehouse::Transaction tx(wh_);
      plan->shape = EvolveObjectTable(wh_, options_.schema, type, props, summary_.warnings);
      if (changed) {
        StorePropertyMetadata(wh_, options_.schema, type, props);
        m.rows_written += static_cast<int64_t>(props.size());
        writer_.SaveState(resource, next);
        states_[resource] = next;
      }
      tx.Commit();
    }
    const size_t fixed = ObjectFixedColumns().size();
    for (size_t i = 0; i < plan->shape.property_names.size(); ++i) plan->column_of[plan->shape.property_names[i]] = fixed + i;
    std::set<std::string> names;
    for (const auto& p : props) names.insert(p.name);
    for (const auto& h : HistoryProperties(type)) {
      if (names.count(h)) plan->history.push_back(h);
    }
    plan->assoc_targets = AssociationTargets(type);
    plan->modified_property = type == "contacts" ? "lastmodifieddate" : "hs_lastmodifieddate";
    if (!names.count(plan->modified_property)) plan->modified_property = "hs_lastmodifieddate";
    return plan;
  }

  void SyncOwners() {
    ResourceSummary& m = meta_["owners"];
    m.mode = "metadata";
    std::vector<nlohmann::json> owners;
    // The state keeps one hash for the live owners' pages and one for the archived ones. An owner is archived or
    // restored only by leaving or joining the live list, so when the live pages hash as last time the archived
    // list cannot have changed and is not read (one request fewer on a nightly run).
    std::string hashes;
    auto prior = states_.find("owners");
    for (const char* archived : {"false", "true"}) {
      if (std::string_view(archived) == "true" && !options_.full_refresh && prior != states_.end() &&
          prior->second.cursor.rfind(hashes + ":", 0) == 0) {
        m.records_read = static_cast<int64_t>(owners.size());
        return;
      }
      std::string bodies;
      std::string after;
      for (;;) {
        std::string url = std::string("/crm/v3/owners?limit=100&archived=") + archived;
        if (!after.empty()) url += "&after=" + hubspot::UrlEncode(after);
        nlohmann::json page;
        client_.Get(url, [&](const Response& r) {
          page = ParseJsonObject(r.body, "owner list");
          bodies += r.body;
        });
        ++m.requests;
        ++m.min_requests;
        for (auto& o : page["results"]) {
          if (o.is_object()) owners.push_back(o);
        }
        after = page.contains("paging") ? page["paging"].value("next", nlohmann::json::object()).value("after", "") : "";
        if (after.empty()) break;
      }
      hashes += (hashes.empty() ? "" : ":") + std::to_string(Fnv1a(bodies));
    }
    m.records_read = static_cast<int64_t>(owners.size());
    const StateRow next{"metadata", hashes, 0};
    if (!options_.full_refresh && prior != states_.end() && prior->second == next) return;
    std::vector<std::vector<Value>> rows, teams;
    for (const auto& o : owners) {
      const Value id = IntOrNull(o, "id");
      if (warehouse::IsNull(id)) continue;
      rows.push_back({id, IntOrNull(o, "userId"), TextOrNull(o, "email"), TextOrNull(o, "firstName"),
                      TextOrNull(o, "lastName"), TsOrNull(o, "createdAt"), TsOrNull(o, "updatedAt"),
                      Value{o.value("archived", false)}, Value{synced_at_}});
      if (o.contains("teams") && o["teams"].is_array()) {
        for (const auto& t : o["teams"]) {
          if (!t.is_object()) continue;
          teams.push_back({id, TextOrNull(t, "id"), TextOrNull(t, "name"), Value{t.value("primary", false)}});
        }
      }
    }
    warehouse::Transaction tx(wh_);
    wh_.Execute("DELETE FROM " + Warehouse::QualifiedName(options_.schema, "owners"));
    wh_.Execute("DELETE FROM " + Warehouse::QualifiedName(options_.schema, "owner_teams"));
    wh_.BulkLoad(options_.schema, "owners", OwnerColumns(), rows);
    wh_.BulkLoad(options_.schema, "owner_teams", OwnerTeamColumns(), teams);
    writer_.SaveState("owners", next);
    tx.Commit();
    m.rows_written += static_cast<int64_t>(rows.size() + teams.size());
  }

  void SyncPipelines() {
    ResourceSummary& m = meta_["pipelines"];
    m.mode = "metadata";
    nlohmann::json page;
    std::string body;
    client_.Get("/crm/v3/pipelines/deals", [&](const Response& r) {
      page = ParseJsonObject(r.body, "pipeline list");
      body = r.body;
    });
    ++m.requests;
    ++m.min_requests;
    m.records_read = static_cast<int64_t>(page["results"].size());
    StateRow next;
    if (!Changed("pipelines", body, next)) return;
    std::vector<std::vector<Value>> pipes, stages;
    for (const auto& p : page["results"]) {
      if (!p.is_object()) continue;
      const Value pid = TextOrNull(p, "id");
      pipes.push_back({Value{std::string("deals")}, pid, TextOrNull(p, "label"), IntOrNull(p, "displayOrder"),
                       Value{p.value("archived", false)}, TsOrNull(p, "createdAt"), TsOrNull(p, "updatedAt")});
      if (!p.contains("stages") || !p["stages"].is_array()) continue;
      for (const auto& s : p["stages"]) {
        if (!s.is_object()) continue;
        Value prob, closed;
        if (s.contains("metadata") && s["metadata"].is_object()) {
          const auto& md = s["metadata"];
          // HubSpot sends stage metadata as strings ("0.2", "true"); accept JSON numbers and booleans too.
          auto typed = [&md](const char* key, ColumnType type) -> Value {
            if (!md.contains(key)) return Value{};
            const auto v = ConvertValue(type, md[key].is_string() ? md[key].get<std::string>() : md[key].dump());
            return v ? *v : Value{};
          };
          prob = typed("probability", ColumnType::kDouble);
          closed = typed("isClosed", ColumnType::kBoolean);
        }
        stages.push_back({Value{std::string("deals")}, pid, TextOrNull(s, "id"), TextOrNull(s, "label"),
                          IntOrNull(s, "displayOrder"), prob, closed, Value{s.value("archived", false)}});
      }
    }
    warehouse::Transaction tx(wh_);
    wh_.Execute("DELETE FROM " + Warehouse::QualifiedName(options_.schema, "pipelines") + " WHERE object_type = 'deals'");
    wh_.Execute("DELETE FROM " + Warehouse::QualifiedName(options_.schema, "pipeline_stages") +
                " WHERE object_type = 'deals'");
    wh_.BulkLoad(options_.schema, "pipelines", PipelineColumns(), pipes);
    wh_.BulkLoad(options_.schema, "pipeline_stages", PipelineStageColumns(), stages);
    writer_.SaveState("pipelines", next);
    tx.Commit();
    m.rows_written += static_cast<int64_t>(pipes.size() + stages.size());
  }

  // Merged-away records point at their survivor. Read from the stored survivors' hs_merged_object_ids, not
  // from this run's pages, so a run resumed after a crash maps merges committed by the run it replaces.
  void ApplyMerges() {
    const std::string table = Warehouse::QualifiedName(options_.schema, "contacts");
    bool has_column = false;
    for (const auto& c : wh_.Columns(options_.schema, "contacts")) has_column |= c.name == "hs_merged_object_ids";
    if (!has_column) return;
    auto rs = wh_.Query("SELECT id, hs_merged_object_ids FROM " + table +
                        " WHERE hs_merged_object_ids IS NOT NULL AND NOT is_deleted");
    std::vector<std::pair<int64_t, int64_t>> merges;
    for (const auto& row : rs.rows) {
      const int64_t survivor = warehouse::AsInt64(row[0]);
      const std::string& list = warehouse::AsString(row[1]);
      size_t start = 0;
      while (start <= list.size()) {
        size_t end = list.find(';', start);
        if (end == std::string::npos) end = list.size();
        auto v = ConvertValue(ColumnType::kBigInt, list.substr(start, end - start));
        if (v && !warehouse::IsNull(*v) && warehouse::AsInt64(*v) != survivor) {
          merges.emplace_back(warehouse::AsInt64(*v), survivor);
        }
        start = end + 1;
      }
    }
    if (merges.empty()) return;
    const int64_t before = wh_.Query("SELECT COUNT(*) FROM " + table + " WHERE merged_into_id IS NOT NULL").Scalar<int64_t>();
    warehouse::Transaction tx(wh_);
    constexpr size_t kBatch = 1000;
    for (size_t i = 0; i < merges.size(); i += kBatch) {
      std::string values;
      for (size_t j = i; j < std::min(merges.size(), i + kBatch); ++j) {
        if (!values.empty()) values += ',';
        values += "(" + std::to_string(merges[j].first) + "," + std::to_string(merges[j].second) + ")";
      }
      wh_.Execute("UPDATE " + table + " AS c SET merged_into_id = m.surviving_id FROM (VALUES " + values +
                  ") AS m(merged_id, surviving_id) WHERE c.id = m.merged_id AND "
                  "(c.merged_into_id IS NULL OR c.merged_into_id <> m.surviving_id)");
    }
    tx.Commit();
    const int64_t after = wh_.Query("SELECT COUNT(*) FROM " + table + " WHERE merged_into_id IS NOT NULL").Scalar<int64_t>();
    summary_.rows_written += std::max<int64_t>(0, after - before);
  }

  void RecordRun() {
    wh_.BulkLoad(options_.schema, "sync_runs", SyncRunColumns(),
                 {{Value{summary_.run_id}, Value{synced_at_}, Value{warehouse::TimestampFromMillis(NowMillis())},
                   Value{summary_.status}, Value{summary_.ToJson()}}});
  }

  Client& client_;
  Warehouse& wh_;
  const SyncOptions& options_;
  Tally tally_;
  Writer writer_;
  SyncSummary summary_;
  warehouse::Timestamp synced_at_;
  std::map<std::string, StateRow> states_;
  std::map<std::string, ResourceSummary> meta_;
};

}  // namespace

std::string SyncSummary::ToJson() const {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("run_id");
  w.String(run_id);
  w.Key("status");
  w.String(status);
  w.Key("seconds");
  w.Double(seconds);
  w.Key("requests");
  w.Int(requests);
  w.Key("min_requests");
  w.Int(min_requests);
  w.Key("rate_limited");
  w.Int(rate_limited);
  w.Key("retries");
  w.Int(retries);
  w.Key("server_errors");
  w.Int(server_errors);
  w.Key("network_errors");
  w.Int(network_errors);
  w.Key("daily_limit");
  w.Int(daily_limit);
  w.Key("daily_used");
  w.Int(daily_limit > 0 && daily_remaining >= 0 ? daily_limit - daily_remaining : 0);
  w.Key("rows_written");
  w.Int(rows_written);
  w.Key("quarantined");
  w.Int(quarantined);
  w.Key("product_usage_rows");
  w.Int(product_usage_rows);
  w.Key("tables");
  w.BeginObject();
  for (const auto& [t, n] : table_rows) {
    w.Key(t);
    w.Int(n);
  }
  w.EndObject();
  w.Key("resources");
  w.BeginObject();
  for (const auto& [name, r] : resources) {
    w.Key(name);
    w.BeginObject();
    w.Key("mode");
    w.String(r.mode);
    w.Key("records_read");
    w.Int(r.records_read);
    w.Key("rows_written");
    w.Int(r.rows_written);
    w.Key("quarantined");
    w.Int(r.quarantined);
    w.Key("requests");
    w.Int(r.requests);
    w.Key("min_requests");
    w.Int(r.min_requests);
    w.Key("seconds");
    w.Double(r.seconds);
    w.EndObject();
  }
  w.EndObject();
  w.Key("warnings");
  w.BeginArray();
  for (const auto& s : warnings) w.String(s);
  w.EndArray();
  w.EndObject();
  return out;
}

SyncSummary RunSync(Client& client, Warehouse& warehouse, const SyncOptions& options) {
  Syncer s(client, warehouse, options);
  return s.Run();
}

}  // namespace revlens::sync
