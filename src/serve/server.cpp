#include "serve/server.hpp"

#include <httplib.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <set>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "deliver/alerts.hpp"
#include "deliver/batch_update.hpp"
#include "deliver/outbound.hpp"
#include "deliver/properties.hpp"
#include "deliver/push_state.hpp"
#include "deliver/slack.hpp"
#include "deliver/targets.hpp"
#include "hubspot/signature.hpp"
#include "insights/compete.hpp"
#include "insights/forecast.hpp"
#include "serve/live_deals.hpp"
#include "serve/live_scoring.hpp"

namespace revlens::serve {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using warehouse::Column;
using warehouse::ColumnType;
using warehouse::Value;
using warehouse::Warehouse;

// HubSpot sends under 100 events per request; anything far beyond that is not HubSpot.
constexpr size_t kMaxEventsPerRequest = 1000;
constexpr const char* kRule = "competitor_on_deal";
constexpr const char* kRunId = "serve";

const std::vector<Column>& DealFlagColumns() {
  static const std::vector<Column> cols = {{"deal_id", ColumnType::kBigInt},
                                           {"dealstage", ColumnType::kText},
                                           {"changed_at", ColumnType::kTimestamp},
                                           {"flagged_at", ColumnType::kTimestamp}};
  return cols;
}

// `contact.creation` -> (contact, creation); generic `object.creation` events name the type by id.
std::pair<std::string, std::string> EventKind(const WebhookEvent& e) {
  const size_t dot = e.subscription_type.find('.');
  std::string type = e.subscription_type.substr(0, dot);
  const std::string kind = dot == std::string::npos ? "" : e.subscription_type.substr(dot + 1);
  if (type == "object") {
    static const std::map<std::string, std::string> ids = {{"0-1", "contact"}, {"0-2", "company"},  {"0-3", "deal"},
                                                           {"0-46", "note"},   {"0-47", "meeting"}, {"0-48", "call"},
                                                           {"0-49", "email"},  {"0-27", "task"}};
    const auto it = ids.find(e.object_type_id);
    type = it == ids.end() ? e.object_type_id : it->second;
  }
  return {type, kind};
}

// The text properties of an engagement type, as HubSpot names them (hubspot-api-notes.md, emulator schema).
std::vector<std::string> TextProperties(const std::string& plural) {
  if (plural == "notes") return {"hs_note_body"};
  if (plural == "emails") return {"hs_email_subject", "hs_email_text"};
  if (plural == "calls") return {"hs_call_title", "hs_call_body"};
  return {"hs_meeting_title", "hs_meeting_body"};
}

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

/// The push target whose properties a live deal prediction writes (`revlens push` writes the same ones).
const deliver::PushTarget& DealPredictionTarget() {
  static const deliver::PushTarget target = [] {
    for (auto& t : deliver::DefaultTargets())
      if (t.name == "deal_predictions") return t;
    throw InvalidInputError("no deal_predictions push target");
  }();
  return target;
}

std::string JsonText(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t JsonId(const json& j) {
  if (j.is_number_integer()) return j.get<int64_t>();
  if (j.is_string()) {
    int64_t v = 0;
    const auto& s = j.get_ref<const std::string&>();
    if (std::from_chars(s.data(), s.data() + s.size(), v).ec == std::errc()) return v;
  }
  return 0;
}

void Reply(httplib::Response& res, int status, const std::string& line) {
  res.status = status;
  res.set_content(line + "\n", "text/plain");
}

}  // namespace

json ServeStats::ToJson() const {
  return {{"requests", requests},
          {"rejected", rejected},
          {"bad_requests", bad_requests},
          {"store_errors", store_errors},
          {"events_received", events_received},
          {"events_new", events_new},
          {"duplicates", duplicates},
          {"processed", processed},
          {"contacts_scored", contacts_scored},
          {"properties_written", properties_written},
          {"no_model", no_model},
          {"alerts_sent", alerts_sent},
          {"alerts_deduplicated", alerts_deduplicated},
          {"deals_flagged", deals_flagged},
          {"deals_predicted", deals_predicted},
          {"ignored", ignored},
          {"failures", failures},
          {"model_refreshes", model_refreshes},
          {"warehouse_busy", warehouse_busy},
          {"mirrored", mirrored}};
}

struct ServeServer::Pending {
  std::vector<WebhookEvent> events;
  bool done = false;
  std::string error;
  int64_t new_events = 0;
};

ServeServer::ServeServer(ServeOptions options) : options_(std::move(options)) {
  if (options_.client_secret.empty())
    throw ConfigError("revlens serve needs the app's client secret: set HUBSPOT_CLIENT_SECRET (or put it in .env)");
  if (!options_.open_warehouse) {
    if (options_.warehouse_url.empty()) throw ConfigError("revlens serve needs a warehouse URL");
    options_.open_warehouse = [url = options_.warehouse_url, wait = options_.lock_wait] {
      return warehouse::OpenWarehouseWaiting(url, wait);
    };
  }
  if (options_.store_url.empty()) options_.store_url = DefaultStoreUrl(options_.warehouse_url);
  store_ = std::make_unique<EventStore>(options_.store_url, options_.store_schema);
  if (!options_.hubspot.access_token.empty()) client_ = std::make_unique<hubspot::Client>(options_.hubspot);
  http_ = std::make_unique<httplib::Server>();
  const int threads = std::max(1, options_.http_threads);
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_->set_payload_max_length(4u << 20);
  http_->set_keep_alive_max_count(1000);
  RegisterRoutes();
}

ServeServer::~ServeServer() {
  Stop();
}

void ServeServer::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

void ServeServer::RegisterRoutes() {
  http_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    json j = {{"status", "ok"}};
    try {
      const auto c = store_->Counts();
      j["events"] = c.events;
      j["pending"] = c.pending;
    } catch (const Error& e) {
      j["status"] = "store unavailable";
      res.status = 503;
    }
    // The worker's figures: among them how often the warehouse was busy (held by `revlens run`) and how many alert
    // and deal-flag rows have been copied into it.
    j["since_start"] = Stats().ToJson();
    res.set_content(j.dump() + "\n", "application/json");
  });
  http_->Post("/webhooks/hubspot", [this](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard lock(stats_mu_);
      ++stats_.requests;
    }
    auto reject = [&](const std::string& why) {
      {
        std::lock_guard lock(stats_mu_);
        ++stats_.rejected;
      }
      Reply(res, 401, "unauthorized: " + why);
    };
    const std::string signature = req.get_header_value("X-HubSpot-Signature-v3");
    const std::string ts_text = req.get_header_value("X-HubSpot-Request-Timestamp");
    if (signature.empty()) return reject("no X-HubSpot-Signature-v3 header");
    int64_t ts = 0;
    if (std::from_chars(ts_text.data(), ts_text.data() + ts_text.size(), ts).ec != std::errc() || ts_text.empty())
      return reject("X-HubSpot-Request-Timestamp is missing or not epoch milliseconds");
    const int64_t now = NowMillis();
    if (ts < now - hubspot::kSignatureMaxAgeMs || ts > now + hubspot::kSignatureMaxAgeMs)
      return reject("the request timestamp is more than 5 minutes from now (replayed or delayed)");
    const std::string uri =
        options_.public_url.empty() ? "http://" + req.get_header_value("Host") + req.target : options_.public_url;
    if (!hubspot::VerifyV3(options_.client_secret, req.method, uri, req.body, ts, signature, now))
      return reject("the v3 signature does not match (wrong client secret, or the body or URL was changed)");

    auto pending = std::make_shared<Pending>();
    try {
      pending->events = ParseWebhookBody(req.body);
    } catch (const InvalidInputError& e) {
      std::lock_guard lock(stats_mu_);
      ++stats_.bad_requests;
      return Reply(res, 400, std::string("bad request: ") + e.what());
    }
    if (pending->events.size() > kMaxEventsPerRequest) return Reply(res, 413, "too many events in one request");
    const size_t n = pending->events.size();
    std::unique_lock lock(commit_mu_);
    if (stopping_) return Reply(res, 503, "shutting down");
    commit_queue_.push_back(pending);
    commit_cv_.notify_all();
    // Answer only once the events are committed (HubSpot retries anything but a 2xx within 5 s).
    if (!commit_cv_.wait_for(lock, std::chrono::seconds(4), [&] { return pending->done; }) || !pending->error.empty()) {
      std::lock_guard s(stats_mu_);
      ++stats_.store_errors;
      return Reply(res, 503, "the event store could not commit the events; HubSpot will retry");
    }
    lock.unlock();
    {
      std::lock_guard s(stats_mu_);
      stats_.events_received += static_cast<int64_t>(n);
    }
    Reply(res, 200, "stored " + std::to_string(n) + " events");
  });
}

void ServeServer::CommitLoop() {
  for (;;) {
    std::vector<std::shared_ptr<Pending>> batch;
    {
      std::unique_lock lock(commit_mu_);
      commit_cv_.wait(lock, [&] { return stopping_ || !commit_queue_.empty(); });
      if (commit_queue_.empty()) return;  // stopping and drained
      batch.swap(commit_queue_);
    }
    std::vector<WebhookEvent> all;
    for (const auto& p : batch) all.insert(all.end(), p->events.begin(), p->events.end());
    std::string error;
    int64_t fresh = 0;
    try {
      fresh = store_->Insert(all, NowMillis());
    } catch (const Error& e) {
      error = e.what();
      Log(std::string("event store: ") + e.what());
    }
    // The figures are counted before the waiting requests are answered, so a 200 is never ahead of its stats.
    if (error.empty()) {
      std::lock_guard lock(stats_mu_);
      stats_.events_new += fresh;
      stats_.duplicates += static_cast<int64_t>(all.size()) - fresh;
    }
    {
      std::lock_guard lock(commit_mu_);
      for (const auto& p : batch) {
        p->done = true;
        p->error = error;
      }
    }
    commit_cv_.notify_all();
    if (error.empty()) {
      std::lock_guard lock(work_mu_);
      work_signal_ = true;
      work_cv_.notify_all();
    }
  }
}

int ServeServer::Bind() {
  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.host);
  } else if (http_->bind_to_port(options_.host, options_.port)) {
    port_ = options_.port;
  } else {
    port_ = -1;
  }
  if (port_ <= 0)
    throw IOError("revlens serve could not listen on " + options_.host + ":" + std::to_string(options_.port) +
                  " (in use? pick another with --listen)");
  commit_thread_ = std::thread([this] { CommitLoop(); });
  if (options_.process) work_thread_ = std::thread([this] { WorkLoop(); });
  return port_;
}

int ServeServer::Start() {
  Bind();
  http_thread_ = std::thread([this] { http_->listen_after_bind(); });
  return port_;
}

void ServeServer::Serve() {
  Bind();
  http_->listen_after_bind();
}

void ServeServer::Stop() {
  if (stopping_.exchange(true)) return;
  if (http_) http_->stop();
  if (http_thread_.joinable()) http_thread_.join();
  commit_cv_.notify_all();
  if (commit_thread_.joinable()) commit_thread_.join();
  {
    std::lock_guard lock(work_mu_);
    work_signal_ = true;
  }
  work_cv_.notify_all();
  if (work_thread_.joinable()) work_thread_.join();
}

ServeStats ServeServer::Stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

bool ServeServer::WaitIdle(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (store_->Counts().pending == 0) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// ------------------------------------------------------------------------------------------------ worker

void ServeServer::Refresh(bool force) {
  const auto now = Clock::now();
  if (!force && refreshed_ && now - last_refresh_ < options_.refresh_interval) return;
  if (!force && !refreshed_ && now - last_refresh_ < options_.retry_delay) return;
  last_refresh_ = now;
  std::unique_ptr<Warehouse> wh;
  try {
    wh = options_.open_warehouse();
  } catch (const Error& e) {
    std::lock_guard lock(stats_mu_);
    ++stats_.warehouse_busy;
    Log(std::string("warehouse not available for the model refresh, keeping what was loaded: ") + e.what());
    return;
  }
  try {
    scorer_ = LiveScorer::Load(*wh, options_.model_schema);
    if (!scorer_->HasModel()) Log(scorer_->Reason());
    deal_forecaster_ = LiveDealForecaster::Load(*wh, options_.model_schema);
    if (!deal_forecaster_->HasModel()) Log("deal predictions: " + deal_forecaster_->Reason());
    std::vector<std::string> values;
    if (wh->TableExists(options_.model_schema, "deals"))
      values = insights::CompetitorPropertyValues(insights::LoadCompeteDeals(*wh, options_.model_schema));
    auto dictionary = insights::MergeCompetitorDictionary(options_.competitors, values);
    scanner_ = dictionary.empty() ? nullptr : std::make_unique<insights::MentionScanner>(std::move(dictionary));
    warehouse_alert_keys_.clear();
    if (wh->TableExists(options_.model_schema, "alerts")) {
      const auto rs = wh->Query("SELECT DISTINCT destination, alert_key FROM " +
                                Warehouse::QualifiedName(options_.model_schema, "alerts") +
                                " WHERE status = 'sent' AND rule = " + Warehouse::QuoteLiteral(kRule));
      for (const auto& r : rs.rows)
        warehouse_alert_keys_.insert(warehouse::ToString(r[0]) + "\n" + warehouse::ToString(r[1]));
    }
    refreshed_ = true;
    std::lock_guard lock(stats_mu_);
    ++stats_.model_refreshes;
  } catch (const Error& e) {
    Log(std::string("model refresh failed: ") + e.what());
  }
}

void ServeServer::Mirror() {
  const auto now = Clock::now();
  if (!mirror_now_ && now - last_mirror_ < options_.mirror_interval) return;
  last_mirror_ = now;
  mirror_now_ = false;  // a failed copy retries after mirror_interval
  const auto alerts = store_->UnmirroredAlerts();
  const auto deals = store_->UnmirroredDealFlags();
  const auto predictions = store_->UnmirroredDealPredictions();
  const auto live_writes = store_->UnmirroredLiveWrites();
  if (alerts.empty() && deals.empty() && predictions.empty() && live_writes.empty()) return;
  try {
    auto wh = options_.open_warehouse();
    const std::string& schema = options_.model_schema;
    wh->CreateSchema(schema);
    if (!live_writes.empty()) {
      // First, in its own transaction (marking twice changes nothing, copying alerts twice would): push_state learns
      // that HubSpot's values of these properties are no longer what the push sent last.
      std::map<std::pair<std::string, int64_t>, std::map<std::string, std::vector<int64_t>>> by_type;  // (type, at)
      for (const auto& w : live_writes)
        for (const auto& p : w.properties) by_type[{w.object_type, w.written_at_ms}][p].push_back(w.object_id);
      deliver::PushStateStore state(*wh, schema);
      for (const auto& [key, ids] : by_type)
        state.MarkWrittenElsewhere(key.first, ids, warehouse::TimestampFromMillis(key.second), "serve");
    }
    warehouse::Transaction tx(*wh);
    if (!alerts.empty()) {
      wh->CreateTable(schema, "alerts", deliver::AlertColumns());
      std::vector<std::vector<Value>> rows;
      for (const auto& a : alerts)
        rows.push_back({a.alert_key, a.rule, a.entity, a.channel, a.destination,
                        warehouse::TimestampFromMillis(a.sent_at_ms), a.status, static_cast<int64_t>(a.attempts),
                        static_cast<int64_t>(a.http_status), a.error.empty() ? Value() : Value(a.error),
                        a.payload.empty() ? Value() : Value(a.payload), std::string(kRunId)});
      wh->BulkLoad(schema, "alerts", deliver::AlertColumns(), rows);
    }
    if (!deals.empty()) {
      wh->CreateTable(schema, "deal_forecast_flags", DealFlagColumns());
      std::string ids;
      for (const auto& d : deals) ids += (ids.empty() ? "" : ",") + std::to_string(d.deal_id);
      wh->Execute("DELETE FROM " + Warehouse::QualifiedName(schema, "deal_forecast_flags") + " WHERE deal_id IN (" +
                  ids + ")");
      std::vector<std::vector<Value>> rows;
      const auto flagged = warehouse::TimestampFromMillis(NowMillis());
      for (const auto& d : deals)
        rows.push_back({d.deal_id, d.dealstage, warehouse::TimestampFromMillis(d.changed_at_ms), flagged});
      wh->BulkLoad(schema, "deal_forecast_flags", DealFlagColumns(), rows);
    }
    if (!predictions.empty()) {
      // Each deal's row of deal_predictions replaced by its live one, matched to the table's columns by name (the
      // table is the last forecast run's; `revlens forecast` replaces it whole again).
      std::vector<LiveDealPrediction> live;
      for (const auto& p : predictions) live.push_back(LiveDealPrediction::FromJson(p.prediction));
      auto cols = wh->Columns(schema, "deal_predictions");
      if (cols.empty()) {
        cols = insights::DealPredictionColumns(live.front().horizon);
        wh->CreateTable(schema, "deal_predictions", cols);
      }
      std::vector<std::vector<Value>> rows;
      std::string ids;
      std::map<size_t, std::vector<std::ptrdiff_t>> at_of_horizon;  // per horizon: each table column's place in Row()
      for (const auto& p : live) {
        auto [at, fresh] = at_of_horizon.try_emplace(p.horizon);
        if (fresh) {
          const auto names = insights::DealPredictionColumns(p.horizon);
          for (const auto& c : cols) {
            const auto it =
                std::find_if(names.begin(), names.end(), [&](const Column& n) { return n.name == c.name; });
            at->second.push_back(it == names.end() ? -1 : it - names.begin());
          }
        }
        const auto values = p.Row();
        std::vector<Value> row;
        for (const std::ptrdiff_t k : at->second) row.push_back(k < 0 ? Value() : values[static_cast<size_t>(k)]);
        rows.push_back(std::move(row));
        ids += (ids.empty() ? "" : ",") + std::to_string(p.forecast.deal_id);
      }
      wh->Execute("DELETE FROM " + Warehouse::QualifiedName(schema, "deal_predictions") + " WHERE deal_id IN (" +
                  ids + ")");
      wh->BulkLoad(schema, "deal_predictions", cols, rows);
    }
    tx.Commit();
    store_->MarkMirrored(alerts, deals, predictions, live_writes);
    std::lock_guard lock(stats_mu_);
    stats_.mirrored += static_cast<int64_t>(alerts.size() + deals.size() + predictions.size() + live_writes.size());
  } catch (const Error& e) {
    std::lock_guard lock(stats_mu_);
    ++stats_.warehouse_busy;
    Log(std::string(
            "warehouse not available for copying alerts, deal flags, predictions and live writes, will retry: ") +
        e.what());
  }
}

void ServeServer::WorkLoop() {
  Refresh(true);
  while (!stopping_) {
    Refresh(false);
    Mirror();
    std::vector<StoredEvent> batch;
    try {
      batch = store_->Claim(options_.claim_batch);
    } catch (const Error& e) {
      Log(std::string("event store: ") + e.what());
    }
    if (batch.empty()) {
      std::unique_lock lock(work_mu_);
      work_cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return work_signal_ || stopping_.load(); });
      work_signal_ = false;
      continue;
    }
    std::map<int64_t, std::string> outcomes;
    try {
      outcomes = Process(batch);
    } catch (const std::exception& e) {
      Log(std::string("processing failed, will retry: ") + e.what());
    }
    try {
      store_->MarkProcessed(outcomes, NowMillis());
    } catch (const Error& e) {
      Log(std::string("event store: ") + e.what());
    }
    {
      std::lock_guard lock(stats_mu_);
      stats_.processed += static_cast<int64_t>(outcomes.size());
    }
    if (outcomes.size() < batch.size()) {
      std::unique_lock lock(work_mu_);
      work_cv_.wait_for(lock, options_.retry_delay, [&] { return stopping_.load(); });
    }
  }
  // A last copy of what was sent, so `revlens alert` sees it.
  last_mirror_ = {};
  Mirror();
}

std::map<int64_t, std::string> ServeServer::Process(const std::vector<StoredEvent>& batch) {
  std::map<int64_t, std::string> outcomes;
  std::vector<int64_t> contacts;
  std::map<int64_t, std::vector<int64_t>> events_of_contact;
  std::vector<std::pair<std::string, int64_t>> engagements;
  std::map<std::pair<std::string, int64_t>, std::vector<int64_t>> events_of_engagement;
  std::vector<WebhookEvent> stage_changes;
  for (const auto& s : batch) {
    const auto& e = s.event;
    const auto [type, kind] = EventKind(e);
    const bool write = kind == "creation" || kind == "propertyChange" || kind == "restore" || kind == "merge";
    if (type == "contact" && write) {
      // Our own write-back comes back as propertyChange events: nothing to score again.
      if (kind == "propertyChange" && e.property_name.starts_with(deliver::kPropertyPrefix)) {
        outcomes[e.event_id] = "ignored: revlens property";
        continue;
      }
      if (events_of_contact[e.object_id].empty()) contacts.push_back(e.object_id);
      events_of_contact[e.object_id].push_back(e.event_id);
    } else if (type == "deal" && kind == "propertyChange" && e.property_name == "dealstage") {
      stage_changes.push_back(e);
    } else if ((type == "note" || type == "email" || type == "call" || type == "meeting") &&
               (kind == "creation" || kind == "propertyChange")) {
      const std::pair<std::string, int64_t> key{type + "s", e.object_id};
      if (events_of_engagement[key].empty()) engagements.push_back(key);
      events_of_engagement[key].push_back(e.event_id);
    } else {
      outcomes[e.event_id] = "ignored";
      std::lock_guard lock(stats_mu_);
      ++stats_.ignored;
    }
  }

  if (!contacts.empty()) {
    std::map<int64_t, std::string> per_contact;
    if (!scorer_) {
      // The warehouse has not been read yet (`revlens run` has held the DuckDB file since serve started): the events
      // stay pending and are scored once the model is loaded, rather than recorded as having no model.
      Log("contact events wait for the lead model: the warehouse has not been read yet");
    } else if (!scorer_->HasModel()) {
      const std::string why = scorer_->Reason();
      for (int64_t c : contacts) per_contact[c] = why.starts_with("no model") ? why : "no model: " + why;
      std::lock_guard lock(stats_mu_);
      stats_.no_model += static_cast<int64_t>(contacts.size());
    } else if (!client_) {
      for (int64_t c : contacts) per_contact[c] = "not scored: no HubSpot token";
    } else {
      try {
        ProcessContacts(contacts, per_contact);
      } catch (const std::exception& e) {
        // HubSpot unreachable or failing: the events stay pending and are retried.
        Log(std::string("scoring contacts failed, will retry: ") + e.what());
        std::lock_guard lock(stats_mu_);
        ++stats_.failures;
      }
    }
    for (const auto& [contact, outcome] : per_contact)
      for (int64_t id : events_of_contact[contact]) outcomes[id] = outcome;
  }

  if (!stage_changes.empty()) ProcessDealStages(stage_changes, outcomes);

  if (!engagements.empty()) {
    std::map<std::pair<std::string, int64_t>, std::string> per_object;
    if (!client_) {
      for (const auto& k : engagements) per_object[k] = "not checked: no HubSpot token";
    } else {
      try {
        ProcessEngagements(engagements, per_object);
      } catch (const std::exception& e) {
        Log(std::string("checking engagements failed, will retry: ") + e.what());
        std::lock_guard lock(stats_mu_);
        ++stats_.failures;
      }
    }
    for (const auto& [key, outcome] : per_object)
      for (int64_t id : events_of_engagement[key]) outcomes[id] = outcome;
  }
  return outcomes;
}

void ServeServer::ProcessContacts(const std::vector<int64_t>& ids, std::map<int64_t, std::string>& outcome) {
  const auto scorer = scorer_;
  const auto props = scorer->ContactProperties();
  const int64_t now = NowMillis();
  for (size_t start = 0; start < ids.size(); start += deliver::kMaxBatchInputs) {
    const size_t end = std::min(ids.size(), start + deliver::kMaxBatchInputs);
    json inputs = json::array();
    for (size_t i = start; i < end; ++i) inputs.push_back({{"id", std::to_string(ids[i])}});
    // The contacts as HubSpot has them now.
    const auto read =
        client_->Post("/crm/v3/objects/contacts/batch/read", json{{"properties", props}, {"inputs", inputs}}.dump());
    std::map<int64_t, LiveContact> live;
    for (const auto& r : json::parse(read.body).value("results", json::array())) {
      LiveContact c;
      c.id = JsonId(r.value("id", json()));
      const json props_in = r.value("properties", json::object());
      for (const auto& [k, v] : props_in.items())
        if (v.is_string()) c.properties[k] = v.get<std::string>();
      if (c.id > 0) live[c.id] = std::move(c);
    }
    // Their companies (the first associated one).
    const auto assoc =
        client_->Post("/crm/v4/associations/contacts/companies/batch/read", json{{"inputs", inputs}}.dump());
    std::set<int64_t> unknown_companies;
    for (const auto& r : json::parse(assoc.body).value("results", json::array())) {
      const int64_t from = JsonId(r.value("from", json::object()).value("id", json()));
      const auto to = r.value("to", json::array());
      if (to.empty() || !live.count(from)) continue;
      const int64_t company = JsonId(to[0].value("toObjectId", json()));
      if (company <= 0) continue;
      live[from].company_id = company;
      if (!scorer->KnowsCompany(company)) unknown_companies.insert(company);
    }
    std::map<int64_t, std::map<std::string, std::string>> company_props;
    if (!unknown_companies.empty()) {
      json cin = json::array();
      for (int64_t c : unknown_companies) cin.push_back({{"id", std::to_string(c)}});
      const auto cr = client_->Post("/crm/v3/objects/companies/batch/read",
                                    json{{"properties", scorer->CompanyProperties()}, {"inputs", cin}}.dump());
      for (const auto& r : json::parse(cr.body).value("results", json::array())) {
        const json cprops = r.value("properties", json::object());
        for (const auto& [k, v] : cprops.items())
          if (v.is_string()) company_props[JsonId(r.value("id", json()))][k] = v.get<std::string>();
      }
    }
    std::vector<LiveContact> batch;
    for (size_t i = start; i < end; ++i) {
      auto it = live.find(ids[i]);
      if (it == live.end()) {
        outcome[ids[i]] = "not found in HubSpot (deleted or merged)";
        continue;
      }
      if (it->second.company_id) it->second.company_properties = company_props[*it->second.company_id];
      batch.push_back(std::move(it->second));
    }
    if (batch.empty()) continue;
    const auto scores = scorer->Score(batch, now);

    // Changed values only; the scored-at timestamps go along with a change, never alone.
    std::vector<deliver::BatchInput> updates;
    for (size_t i = 0; i < scores.size(); ++i) {
      deliver::BatchInput in;
      in.id = scores[i].contact_id;
      bool changed = false;
      for (const auto& [name, value] : scores[i].properties) {
        const auto cur = batch[i].properties.find(name);
        const std::string current = cur == batch[i].properties.end() ? "" : cur->second;
        if (current == value) continue;
        in.properties.emplace_back(name, value);
        if (name.find("scored_at") == std::string::npos) changed = true;
      }
      if (!changed) {
        outcome[in.id] = "scored, unchanged";
        continue;
      }
      updates.push_back(std::move(in));
    }
    if (updates.empty()) continue;
    const auto& catalog = deliver::DefaultCatalog();
    const auto& specs = catalog.by_type.at("contacts");
    if (!properties_ready_) {
      deliver::EnsureProperties(*client_, "contacts", specs);
      properties_ready_ = true;
    }
    std::set<std::string> allowed;
    for (const auto& s : specs) allowed.insert(s.name);
    const auto result = deliver::SendBatchUpdate(*client_, "contacts", updates, allowed);
    int64_t values = 0;
    std::vector<LiveWrite> written;
    const int64_t written_at = NowMillis();
    for (const auto& u : updates)
      if (std::find(result.accepted.begin(), result.accepted.end(), u.id) != result.accepted.end()) {
        outcome[u.id] = "scored, written";
        values += static_cast<int64_t>(u.properties.size());
        LiveWrite w{"contacts", u.id, {}, written_at};
        for (const auto& [name, value] : u.properties) w.properties.push_back(name);
        written.push_back(std::move(w));
      }
    // Remembered for the copy into the warehouse, which marks these properties written elsewhere in push_state: else
    // a nightly score equal to the last pushed one would be "unchanged" and leave the live one in HubSpot.
    store_->RecordLiveWrites(written);
    for (const auto& f : result.failed) {
      if (f.kind == deliver::QuarantineKind::kTransient) continue;  // stays pending: retried
      outcome[f.id] = "scored, not written: " + f.reason;
    }
    std::lock_guard lock(stats_mu_);
    stats_.contacts_scored += static_cast<int64_t>(result.accepted.size());
    stats_.properties_written += values;
  }
  std::lock_guard lock(stats_mu_);
  for (const auto& [id, o] : outcome)
    if (o == "scored, unchanged") ++stats_.contacts_scored;
}

void ServeServer::ProcessDealStages(const std::vector<WebhookEvent>& events, std::map<int64_t, std::string>& outcomes) {
  if (!deal_forecaster_) {
    // As for contacts: the warehouse has not been read yet (held by `revlens run`); the events wait for the model.
    Log("deal stage changes wait for the forecast model: the warehouse has not been read yet");
    return;
  }
  const auto forecaster = deal_forecaster_;
  const std::string flagged = "; flagged for the next forecast run";
  for (const auto& e : events) {
    // The flag stays whatever happens next: the quarter totals (P10/P50/P90) need the next forecast run.
    const auto Flag = [&] {
      store_->FlagDeal({e.object_id, e.property_value, e.occurred_at_ms, e.event_id});
      std::lock_guard lock(stats_mu_);
      ++stats_.deals_flagged;
    };
    if (!forecaster->HasModel()) {
      Flag();
      const std::string why = forecaster->Reason();
      outcomes[e.event_id] = (why.starts_with("no model") ? why : "no model: " + why) + flagged;
      std::lock_guard lock(stats_mu_);
      ++stats_.no_model;
      continue;
    }
    if (!client_) {
      Flag();
      outcomes[e.event_id] = "not predicted: no HubSpot token" + flagged;
      continue;
    }
    LiveDeal deal;
    deal.id = e.object_id;
    try {
      std::vector<std::string> read = LiveDealForecaster::DealProperties();
      for (const auto& f : DealPredictionTarget().fields) read.push_back(f.property);
      const auto r =
          client_->Get("/crm/v3/objects/deals/" + std::to_string(e.object_id) + "?properties=" + Join(read, ","));
      const json props = json::parse(r.body).value("properties", json::object());
      for (const auto& [k, v] : props.items())
        if (v.is_string()) deal.properties[k] = v.get<std::string>();
    } catch (const HubSpotApiError& err) {
      if (err.Status() != 404) {
        // HubSpot failing: this event and the later ones stay pending and are retried.
        Log(std::string("reading a deal failed, will retry: ") + err.what());
        std::lock_guard lock(stats_mu_);
        ++stats_.failures;
        return;
      }
      Flag();
      outcomes[e.event_id] = "not found in HubSpot (deleted or merged)" + flagged;
      continue;
    } catch (const std::exception& err) {
      Log(std::string("reading a deal failed, will retry: ") + err.what());
      std::lock_guard lock(stats_mu_);
      ++stats_.failures;
      return;
    }
    Flag();
    std::string why;
    const auto record =
        forecaster->RecordAt(deal, store_->DealStageChanges(e.object_id, e.occurred_at_ms), e.occurred_at_ms, why);
    if (!record) {
      outcomes[e.event_id] = "not predicted: " + why + flagged;
      continue;
    }
    LiveDealPrediction p;
    try {
      p = forecaster->Predict(*record, e.occurred_at_ms);
    } catch (const InvalidInputError& err) {
      outcomes[e.event_id] = std::string("not predicted: ") + err.what() + flagged;
      continue;
    }
    store_->RecordDealPrediction({e.object_id, e.occurred_at_ms, e.event_id, p.ToJson()});
    mirror_now_ = true;
    char buf[96];
    std::snprintf(buf, sizeof buf, "predicted p_win %.3f (%s)", p.forecast.p_win, p.forecast.stage_id.c_str());
    // A closed deal's 1 or 0 is not written: it leaves deal_predictions with the next forecast, and the push then
    // clears its values.
    const std::string written = p.closed ? "" : WriteDealPrediction(e.object_id, deal.properties, p);
    outcomes[e.event_id] = buf + written + flagged;
    std::lock_guard lock(stats_mu_);
    ++stats_.deals_predicted;
  }
}

std::string ServeServer::WriteDealPrediction(int64_t deal_id, const std::map<std::string, std::string>& current,
                                             const LiveDealPrediction& p) {
  const deliver::PushTarget& target = DealPredictionTarget();
  const auto cols = insights::DealPredictionColumns(p.horizon);
  const auto row = p.Row();
  deliver::BatchInput in;
  in.id = deal_id;
  bool changed = false;
  try {
    for (const auto& f : target.fields) {
      const auto col = std::find_if(cols.begin(), cols.end(), [&](const Column& c) { return c.name == f.column; });
      if (col == cols.end()) continue;
      const std::string value = deliver::FormatValue(f, row[static_cast<size_t>(col - cols.begin())]);
      const auto cur = current.find(f.property);
      if ((cur == current.end() ? std::string() : cur->second) == value) continue;
      in.properties.emplace_back(f.property, value);
      changed = changed || !f.companion;
    }
  } catch (const InvalidInputError& err) {
    return std::string("; not written: ") + err.what();
  }
  // The timestamp goes along with a change, never alone (as in `revlens push`).
  if (!changed) return "; unchanged in HubSpot";
  const deliver::PropertyCatalog catalog = deliver::DefaultCatalog();
  const auto& specs = catalog.by_type.at("deals");
  if (!deal_properties_ready_) {
    try {
      deliver::EnsureProperties(*client_, "deals", specs);
    } catch (const ConfigError& err) {
      // A property of that name in another group: revlens does not write it (the push says the same); the event is
      // done, not retried.
      return std::string("; not written: ") + err.what();
    }
    deal_properties_ready_ = true;
  }
  std::set<std::string> allowed;
  for (const auto& s : specs) allowed.insert(s.name);
  const auto result = deliver::SendBatchUpdate(*client_, "deals", {in}, allowed);
  if (result.accepted.empty()) {
    // The nightly push writes it anyway; the event is not retried for this.
    return "; not written to HubSpot: " + (result.failed.empty() ? std::string("refused") : result.failed[0].reason);
  }
  LiveWrite w{"deals", deal_id, {}, NowMillis()};
  for (const auto& [name, value] : in.properties) w.properties.push_back(name);
  store_->RecordLiveWrites({w});
  std::lock_guard lock(stats_mu_);
  stats_.properties_written += static_cast<int64_t>(in.properties.size());
  return "; written to HubSpot";
}

void ServeServer::ProcessEngagements(const std::vector<std::pair<std::string, int64_t>>& objects,
                                     std::map<std::pair<std::string, int64_t>, std::string>& outcome) {
  if (!scanner_) {
    for (const auto& k : objects) outcome[k] = "no competitor dictionary";
    return;
  }
  struct Raised {
    deliver::Alert alert;
    std::vector<std::pair<std::string, int64_t>> sources;
  };
  std::map<std::string, Raised> raised;  // by alert key
  std::map<int64_t, json> deals;         // deal id -> properties (null when not found)
  for (const auto& key : objects) {
    const auto& [plural, id] = key;
    json obj;
    try {
      const auto r = client_->Get("/crm/v3/objects/" + plural + "/" + std::to_string(id) +
                                  "?properties=" + Join(TextProperties(plural), ",") + "&associations=deals");
      obj = json::parse(r.body);
    } catch (const HubSpotApiError& e) {
      if (e.Status() != 404) throw;
      outcome[key] = "not found in HubSpot";
      continue;
    }
    std::string text;
    const auto props = obj.value("properties", json::object());
    for (const auto& p : TextProperties(plural)) text += JsonText(props, p.c_str()) + "\n";
    const auto mentions = scanner_->Scan(text);
    if (mentions.empty()) {
      outcome[key] = "no competitor mentioned";
      continue;
    }
    std::vector<int64_t> deal_ids;
    const auto assoc = obj.value("associations", json::object()).value("deals", json::object());
    for (const auto& a : assoc.value("results", json::array())) deal_ids.push_back(JsonId(a.value("id", json())));
    std::sort(deal_ids.begin(), deal_ids.end());
    deal_ids.erase(std::unique(deal_ids.begin(), deal_ids.end()), deal_ids.end());
    int open = 0;
    for (int64_t deal : deal_ids) {
      if (!deals.count(deal)) {
        try {
          const auto r = client_->Get("/crm/v3/objects/deals/" + std::to_string(deal) +
                                      "?properties=dealname,amount,dealstage,hs_is_closed");
          deals[deal] = json::parse(r.body).value("properties", json::object());
        } catch (const HubSpotApiError& e) {
          if (e.Status() != 404) throw;
          deals[deal] = json();
        }
      }
      const json& d = deals[deal];
      if (d.is_null() || JsonText(d, "hs_is_closed") == "true") continue;
      ++open;
      std::string name = JsonText(d, "dealname");
      if (name.empty()) name = "deal " + std::to_string(deal);
      std::set<std::string> seen;
      for (const auto& m : mentions) {
        if (!seen.insert(m.name).second) continue;
        const std::string entity = std::to_string(deal) + ":" + m.name;
        auto& r = raised[std::string(kRule) + ":" + entity];
        if (r.alert.key.empty()) {
          r.alert.rule = kRule;
          r.alert.entity = entity;
          r.alert.key = std::string(kRule) + ":" + entity;
          r.alert.title = m.name + " on " + name;
          const std::string amount = JsonText(d, "amount");
          r.alert.text = "Open deal " + name + (amount.empty() ? "" : " (" + amount + ")") + "\n“" +
                         deliver::Truncate(m.snippet, 300) + "”\nMentioned in a " +
                         plural.substr(0, plural.size() - 1) + " just now (real time)";
          r.alert.severity = "warning";
          r.alert.data = {{"deal_id", deal},
                          {"deal_name", name},
                          {"competitor", m.name},
                          {"snippet", m.snippet},
                          {"source", plural},
                          {"source_id", id},
                          {"amount", amount.empty() ? json() : json(amount)},
                          {"real_time", true}};
        }
        r.sources.push_back(key);
      }
    }
    if (deal_ids.empty())
      outcome[key] = "competitor mentioned, no deal";
    else if (open == 0)
      outcome[key] = "competitor mentioned, deal closed";
    else
      outcome[key] = "alert raised";
  }
  if (raised.empty()) return;

  // Deliver to every destination, once per alert key and destination.
  const int64_t now = NowMillis();
  std::vector<SentAlert> records;
  int64_t sent = 0, deduplicated = 0;
  std::map<std::pair<std::string, int64_t>, bool> failed;
  auto already = [&](const std::set<std::string>& mine, const std::string& dest, const std::string& key) {
    return mine.count(key) || warehouse_alert_keys_.count(dest + "\n" + key);
  };
  for (const auto& url : options_.slack_webhook_urls) {
    deliver::SlackSender sender(url, options_.delivery, options_.slack_interval);
    const auto mine = store_->SentAlertKeys(sender.Destination());
    std::vector<const deliver::Alert*> fresh;
    for (const auto& [key, r] : raised) {
      if (already(mine, sender.Destination(), key))
        ++deduplicated;
      else
        fresh.push_back(&r.alert);
    }
    if (fresh.empty()) continue;
    const std::string heading = fresh.size() == 1 ? ":crossed_swords: competitor on an open deal"
                                                  : ":crossed_swords: competitors on open deals";
    const json payload = deliver::BuildRuleMessage(heading, fresh, 10, kRule, kRunId);
    const auto out = sender.Post(payload);
    for (const auto* a : fresh) {
      records.push_back({a->key, a->rule, a->entity, "slack", sender.Destination(), out.ok ? "sent" : "failed",
                         out.error, deliver::OutboundBody(*a, kRunId, now).dump(), out.attempts, out.status, now});
      if (!out.ok)
        for (const auto& s : raised[a->key].sources) failed[s] = true;
    }
    if (out.ok) ++sent;
  }
  for (const auto& hook : options_.webhooks) {
    const std::string dest = deliver::RedactUrl(hook.url);
    const auto mine = store_->SentAlertKeys(dest);
    for (const auto& [key, r] : raised) {
      if (already(mine, dest, key)) {
        ++deduplicated;
        continue;
      }
      const std::string body = deliver::OutboundBody(r.alert, kRunId, now).dump();
      const auto out = deliver::PostOutbound(hook, body, kRule, std::string(kRunId) + "/" + key, options_.delivery);
      records.push_back({key, kRule, r.alert.entity, "webhook", dest, out.ok ? "sent" : "failed", out.error, body,
                         out.attempts, out.status, now});
      if (out.ok)
        ++sent;
      else
        for (const auto& s : r.sources) failed[s] = true;
    }
  }
  store_->RecordAlerts(records);
  for (const auto& [key, r] : raised)
    for (const auto& s : r.sources)
      if (failed[s]) outcome[s] = "alert raised, delivery failed (recorded; `revlens alert` sends it again)";
  std::lock_guard lock(stats_mu_);
  stats_.alerts_sent += sent;
  stats_.alerts_deduplicated += deduplicated;
}

}  // namespace revlens::serve
