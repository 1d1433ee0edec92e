#include "deliver/push.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <unordered_map>

#include "core/time_util.hpp"
#include "deliver/batch_update.hpp"
#include "hubspot/client.hpp"

namespace revlens::deliver {
namespace {

using Clock = std::chrono::steady_clock;

/// Send `batches` with up to `concurrency` worker threads; `on_done` runs on the calling thread for each
/// outcome as it arrives (so accepted values are recorded while later batches are in flight). The first
/// exception (a worker's fatal HubSpot error, or `on_done`'s) stops new sends, is rethrown after every worker
/// has finished its current batch.
void SendAll(const std::vector<std::vector<BatchInput>>& batches, int concurrency,
             const std::function<BatchOutcome(const std::vector<BatchInput>&)>& send,
             const std::function<void(BatchOutcome&&)>& on_done) {
  if (batches.empty()) return;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<BatchOutcome> done;
  size_t next = 0;
  int active = 0;
  bool stop = false;
  std::exception_ptr fatal;

  auto worker = [&] {
    for (;;) {
      size_t i = 0;
      {
        std::lock_guard lock(mu);
        if (stop || next >= batches.size()) break;
        i = next++;
      }
      try {
        BatchOutcome out = send(batches[i]);
        std::lock_guard lock(mu);
        done.push_back(std::move(out));
      } catch (...) {
        std::lock_guard lock(mu);
        if (!fatal) fatal = std::current_exception();
        stop = true;
        break;
      }
      cv.notify_all();
    }
    std::lock_guard lock(mu);
    --active;
    cv.notify_all();
  };

  const int n = std::max(1, std::min<int>(concurrency, static_cast<int>(batches.size())));
  active = n;
  std::vector<std::jthread> threads;
  threads.reserve(static_cast<size_t>(n));
  auto stop_and_join = [&] {
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    threads.clear();  // jthread joins
  };
  try {
    for (int t = 0; t < n; ++t) threads.emplace_back(worker);
  } catch (...) {
    // Could not start every thread: the ones running count as the pool.
    std::lock_guard lock(mu);
    active -= n - static_cast<int>(threads.size());
    if (threads.empty()) throw;
  }
  try {
    for (;;) {
      std::deque<BatchOutcome> ready;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return !done.empty() || active == 0; });
        ready.swap(done);
        if (ready.empty() && active == 0) break;
      }
      for (auto& o : ready) on_done(std::move(o));
    }
  } catch (...) {
    stop_and_join();
    throw;
  }
  stop_and_join();
  if (fatal) std::rethrow_exception(fatal);
}

std::string KindReasonPrefix(QuarantineKind kind) {
  switch (kind) {
    case QuarantineKind::kNotFound:
      return "not in HubSpot (deleted, archived or a wrong id)";
    case QuarantineKind::kInvalid:
      return "refused";
    case QuarantineKind::kTransient:
      return "still failing after retries";
  }
  return "failed";
}

// Accepted values waiting to be written to push_state, and quarantine changes waiting for the end.
class Recorder {
 public:
  Recorder(PushStateStore& store, std::string object_type, std::string target, std::string push_id,
           warehouse::Timestamp now, size_t flush_records, const QuarantineMap& quarantine)
      : store_(store),
        object_type_(std::move(object_type)),
        target_(std::move(target)),
        push_id_(std::move(push_id)),
        now_(now),
        flush_records_(flush_records),
        quarantine_(quarantine) {}

  void Accept(const RecordChange& change) {
    for (const auto& p : change.changes) {
      pending_.push_back({change.id, p.property, p.new_value, !p.old_value.empty()});
    }
    ++pending_records_;
    if (quarantine_.count(change.id)) cleared_.push_back(change.id);
    if (pending_records_ >= flush_records_) Flush();
  }

  void Quarantine(int64_t id, QuarantineKind kind, int status, const std::string& reason, const std::string& payload) {
    QuarantineEntry e;
    e.object_type = object_type_;
    e.object_id = id;
    e.target = target_;
    e.kind = kind;
    e.http_status = status;
    e.reason = KindReasonPrefix(kind) + ": " + reason;
    e.properties = payload;
    e.first_failed_at = now_;
    e.last_failed_at = now_;
    e.push_id = push_id_;
    if (auto it = quarantine_.find(id); it != quarantine_.end()) {
      e.attempts = it->second.attempts + 1;
      if (it->second.first_failed_at.micros != 0) e.first_failed_at = it->second.first_failed_at;
    }
    entries_.push_back(std::move(e));
  }

  void Flush() {
    store_.SaveValues(object_type_, pending_, now_, push_id_);
    pending_.clear();
    pending_records_ = 0;
  }

  /// Write everything still buffered (also on the way out of a failed push).
  void Finish() {
    Flush();
    store_.SaveQuarantine(entries_);
    entries_.clear();
    store_.ClearQuarantine(object_type_, cleared_);
    cleared_.clear();
  }

 private:
  PushStateStore& store_;
  std::string object_type_, target_, push_id_;
  warehouse::Timestamp now_;
  size_t flush_records_;
  const QuarantineMap& quarantine_;
  std::vector<PushedValue> pending_;
  size_t pending_records_ = 0;
  std::vector<QuarantineEntry> entries_;
  std::vector<int64_t> cleared_;
};

// Send one target's changes: rounds of batches, transient failures retried, the rest quarantined.
void SendTarget(hubspot::Client& client, const PushOptions& o, const PushTarget& target, const TargetPlan& plan,
                const std::set<std::string>& allowed, Recorder& recorder, TargetSummary& ts) {
  std::unordered_map<int64_t, const RecordChange*> by_id;
  std::vector<BatchInput> pending;
  pending.reserve(plan.changes.size());
  for (const auto& c : plan.changes) {
    by_id.emplace(c.id, &c);
    BatchInput in;
    in.id = c.id;
    for (const auto& p : c.changes) in.properties.emplace_back(p.property, p.new_value);
    pending.push_back(std::move(in));
  }
  const size_t batch_size = std::clamp<size_t>(o.batch_size, 1, kMaxBatchInputs);
  for (int round = 0; !pending.empty(); ++round) {
    if (round > 0) {
      ts.retried_inputs += static_cast<int64_t>(pending.size());
      std::this_thread::sleep_for(o.round_backoff * round);
    }
    std::unordered_map<int64_t, const BatchInput*> input_of;
    for (const auto& in : pending) input_of.emplace(in.id, &in);
    std::vector<std::vector<BatchInput>> batches;
    for (size_t i = 0; i < pending.size(); i += batch_size) {
      batches.emplace_back(pending.begin() + static_cast<std::ptrdiff_t>(i),
                           pending.begin() + static_cast<std::ptrdiff_t>(std::min(pending.size(), i + batch_size)));
    }
    std::vector<InputFailure> transient;
    const bool last_round = round >= o.retry_rounds;
    int64_t sent = 0;
    SendAll(
        batches, o.concurrency,
        [&](const std::vector<BatchInput>& b) { return SendBatchUpdate(client, target.object_type, b, allowed); },
        [&](BatchOutcome&& out) {
          ts.update_requests += out.requests;
          for (int64_t id : out.accepted) {
            recorder.Accept(*by_id.at(id));
            ++ts.written;
          }
          for (auto& f : out.failed) {
            if (f.kind == QuarantineKind::kTransient && !last_round) {
              transient.push_back(std::move(f));
              continue;
            }
            recorder.Quarantine(f.id, f.kind, f.http_status, f.reason, by_id.at(f.id)->payload);
            switch (f.kind) {
              case QuarantineKind::kNotFound:
                ++ts.quarantined_not_found;
                break;
              case QuarantineKind::kInvalid:
                ++ts.quarantined_invalid;
                break;
              case QuarantineKind::kTransient:
                ++ts.quarantined_transient;
                break;
            }
          }
          sent += static_cast<int64_t>(out.accepted.size() + out.failed.size());
          if (o.progress) {
            o.progress(target.name, std::to_string(ts.written) + " of " + std::to_string(plan.changes.size()) +
                                        " records written" +
                                        (round > 0 ? " (retry round " + std::to_string(round) + ")" : ""));
          }
        });
    std::vector<BatchInput> again;
    again.reserve(transient.size());
    for (const auto& f : transient) again.push_back(*input_of.at(f.id));
    pending = std::move(again);
  }
}

std::string NewPushId(int64_t now_ms) {
  return "push_" + FormatIsoMillis(now_ms);
}

}  // namespace

bool PushSummary::Complete() const {
  return std::all_of(targets.begin(), targets.end(), [](const TargetSummary& t) {
    return t.quarantined_not_found + t.quarantined_invalid + t.quarantined_transient == 0;
  });
}

std::string PushSummary::ToJson() const {
  using nlohmann::ordered_json;
  ordered_json j;
  j["push_id"] = push_id;
  j["dry_run"] = dry_run;
  j["warehouse"] = warehouse;
  j["schema"] = schema;
  j["complete"] = Complete();
  ordered_json ts = ordered_json::array();
  for (const auto& t : targets) {
    ordered_json sample = ordered_json::array();
    for (const auto& c : t.sample) {
      ordered_json changes = ordered_json::array();
      for (const auto& p : c.changes)
        changes.push_back({{"property", p.property}, {"old", p.old_value}, {"new", p.new_value}});
      sample.push_back({{"id", std::to_string(c.id)}, {"visible", c.visible}, {"changes", std::move(changes)}});
    }
    ts.push_back({{"target", t.name},
                  {"object_type", t.object_type},
                  {"table", t.table},
                  {"found", t.found},
                  {"rows", t.rows},
                  {"visible", t.visible},
                  {"hidden", t.hidden},
                  {"holdout", t.holdout},
                  {"unusable", t.unusable},
                  {"shadow", t.shadow},
                  {"unchanged", t.unchanged},
                  {"changed", t.changed},
                  {"cleared", t.cleared},
                  {"values", t.values},
                  {"written", t.written},
                  {"quarantined_not_found", t.quarantined_not_found},
                  {"quarantined_invalid", t.quarantined_invalid},
                  {"quarantined_transient", t.quarantined_transient},
                  {"skipped_quarantined", t.skipped_quarantined},
                  {"update_requests", t.update_requests},
                  {"retried_inputs", t.retried_inputs},
                  {"sample", std::move(sample)}});
  }
  j["targets"] = std::move(ts);
  ordered_json setup_j = ordered_json::array();
  for (const auto& s : setup) {
    setup_j.push_back({{"object_type", s.object_type},
                       {"requests", s.requests},
                       {"group_created", s.group_created},
                       {"created", s.created},
                       {"existing", s.existing}});
  }
  j["setup"] = std::move(setup_j);
  j["requests"] = {{"setup", setup_requests},      {"update", update_requests}, {"sent", requests},
                   {"rate_limited", rate_limited}, {"retries", retries},        {"server_errors", server_errors}};
  j["seconds"] = seconds;
  j["warnings"] = warnings;
  return j.dump();
}

PushSummary RunPush(warehouse::Warehouse& wh, hubspot::Client* client, const PushOptions& o) {
  const auto t0 = Clock::now();
  ValidateCatalog(o.catalog);
  ValidateTargets(o.targets, o.catalog);
  if (o.concurrency < 1) throw ConfigError("push concurrency must be at least 1");
  const int64_t now_ms = NowMillis();

  PushSummary summary;
  summary.dry_run = o.dry_run;
  summary.push_id = NewPushId(now_ms);
  summary.warehouse = wh.Describe();
  summary.schema = o.schema;

  // 1. Plan every target from its source rows and push_state (reads only).
  PushStateStore store(wh, o.schema);
  struct Work {
    const PushTarget* target;
    TargetPlan plan;
    QuarantineMap quarantine;
  };
  std::vector<Work> work;
  std::vector<std::string> missing;
  for (const auto& target : o.targets) {
    TargetSummary ts;
    ts.name = target.name;
    ts.object_type = target.object_type;
    ts.table = target.table;
    auto rows = ReadSource(wh, o.schema, target);
    if (!rows) {
      missing.push_back(o.schema + "." + target.table);
      summary.warnings.push_back("no table " + o.schema + "." + target.table + ": nothing to push for '" + target.name +
                                 "' (its product has not run)");
      summary.targets.push_back(std::move(ts));
      continue;
    }
    ts.found = true;
    QuarantineMap quarantine = store.LoadQuarantine(target.object_type);
    // Loaded for a full refresh too: the plan ignores it for what to send, push_state needs it to replace rows.
    const StateMap state = store.LoadValues(target.object_type, ManagedProperties(target));
    TargetPlan plan = PlanTarget(target, o.catalog, *rows, state, quarantine, o.plan);
    ts.rows = plan.rows;
    ts.visible = plan.visible;
    ts.hidden = plan.hidden;
    ts.holdout = plan.holdout;
    ts.unusable = plan.unusable;
    ts.shadow = plan.shadow;
    ts.unchanged = plan.unchanged;
    ts.changed = static_cast<int64_t>(plan.changes.size());
    ts.cleared = plan.cleared;
    ts.values = plan.values;
    ts.skipped_quarantined = plan.skipped_quarantined;
    ts.quarantined_invalid = static_cast<int64_t>(plan.invalid.size());
    for (size_t i = 0; i < plan.changes.size() && i < o.sample_size; ++i) ts.sample.push_back(plan.changes[i]);
    if (plan.unusable > 0 && !o.plan.force && !o.plan.shadow) {
      summary.warnings.push_back(std::to_string(plan.unusable) + " " + target.name +
                                 " rows come from a model marked unusable (no proven lift): their values go to the "
                                 "hidden shadow properties; --force shows them");
    }
    if (plan.shadow > 0 && !o.plan.force && !o.plan.shadow) {
      summary.warnings.push_back(std::to_string(plan.shadow) + " " + target.name +
                                 " rows were scored in shadow mode: their values go to the hidden shadow properties");
    }
    summary.targets.push_back(std::move(ts));
    work.push_back({&target, std::move(plan), std::move(quarantine)});
  }
  if (work.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw ConfigError("nothing to push: none of the result tables exist (" + list +
                      "); run revlens score / revlens icp first, or pass --schema");
  }
  auto summary_of = [&](const PushTarget* t) -> TargetSummary& {
    for (auto& ts : summary.targets) {
      if (ts.name == t->name) return ts;
    }
    throw std::logic_error("push target summary missing");
  };
  if (o.dry_run) {
    summary.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return summary;
  }
  if (client == nullptr) throw ConfigError("revlens push needs a HubSpot client unless it is a dry run");
  const hubspot::ClientStats before = client->Stats();  // the client may have served earlier calls

  // 2. Property set-up, once per object type that has something to write: the group, then the properties of
  //    every target of that type (visible and shadow, so switching modes later needs no new set-up).
  std::map<std::string, std::set<std::string>> allowed;
  for (const auto& w : work) {
    if (w.plan.changes.empty()) continue;
    allowed[w.target->object_type];  // the type needs set-up
  }
  store.EnsureTables();
  for (auto& [type, names] : allowed) {
    std::vector<PropertySpec> specs;
    for (const auto& t : o.targets) {
      if (t.object_type != type) continue;
      for (const auto& name : ManagedProperties(t)) {
        if (names.insert(name).second) specs.push_back(*o.catalog.Find(type, name));
      }
    }
    SetupReport r = EnsureProperties(*client, type, specs);
    summary.setup_requests += r.requests;
    summary.setup.push_back(std::move(r));
  }

  // 3. Record what the local check refused, then send.
  const warehouse::Timestamp now = warehouse::TimestampFromMillis(now_ms);
  std::exception_ptr failure;
  for (auto& w : work) {
    TargetSummary& ts = summary_of(w.target);
    Recorder recorder(store, w.target->object_type, w.target->name, summary.push_id, now, o.flush_records,
                      w.quarantine);
    for (const auto& inv : w.plan.invalid) {
      recorder.Quarantine(inv.id, QuarantineKind::kInvalid, 0, inv.reason, inv.payload);
    }
    try {
      if (!w.plan.changes.empty()) {
        SendTarget(*client, o, *w.target, w.plan, allowed.at(w.target->object_type), recorder, ts);
      }
    } catch (...) {
      failure = std::current_exception();
    }
    recorder.Finish();  // what HubSpot accepted before a failure is still recorded
    summary.update_requests += ts.update_requests;
    if (failure) break;
  }
  const hubspot::ClientStats stats = client->Stats();
  summary.requests = stats.requests - before.requests;
  summary.rate_limited = stats.rate_limited - before.rate_limited;
  summary.retries = stats.retries - before.retries;
  summary.server_errors = stats.server_errors - before.server_errors;
  summary.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (failure) std::rethrow_exception(failure);
  return summary;
}

}  // namespace revlens::deliver
