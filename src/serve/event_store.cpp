#include "serve/event_store.hpp"

#include <simdjson.h>

#include <algorithm>
#include <filesystem>

#include "core/errors.hpp"

namespace revlens::serve {
namespace {

using warehouse::ColumnType;
using warehouse::Value;
using warehouse::Warehouse;

std::string Lit(const std::string& s) {
  return Warehouse::QuoteLiteral(s);
}

std::string Num(int64_t v) {
  return std::to_string(v);
}

std::string Str(const Value& v) {
  if (warehouse::IsNull(v)) return "";
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return warehouse::ToString(v);
}

int64_t Int(const Value& v) {
  return warehouse::IsNull(v) ? 0 : warehouse::AsInt64(v);
}

std::string IdList(const std::vector<int64_t>& ids) {
  std::string out;
  for (int64_t id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out;
}

}  // namespace

std::vector<WebhookEvent> ParseWebhookBody(std::string_view body) {
  // simdjson for the hot path: the receiver parses up to 1,000 events a second.
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc))
    throw InvalidInputError("the body is not JSON (HubSpot sends an array of events)");
  simdjson::dom::array arr;
  if (doc.get_array().get(arr)) throw InvalidInputError("the body is not a JSON array of events");
  std::vector<WebhookEvent> out;
  out.reserve(arr.size());
  for (simdjson::dom::element e : arr) {
    simdjson::dom::object o;
    if (e.get_object().get(o)) throw InvalidInputError("an event is not a JSON object");
    WebhookEvent w;
    int64_t id = 0;
    if (o["eventId"].get_int64().get(id)) throw InvalidInputError("an event has no integer eventId");
    w.event_id = id;
    int64_t object_id = 0;
    if (o["objectId"].get_int64().get(object_id)) throw InvalidInputError("an event has no integer objectId");
    w.object_id = object_id;
    std::string_view sv;
    if (!o["subscriptionType"].get_string().get(sv)) {
      w.subscription_type = sv;
    } else if (!o["eventType"].get_string().get(sv)) {
      w.subscription_type = sv;  // HubSpot's webhook docs name the key eventType in one table
    }
    if (!o["objectTypeId"].get_string().get(sv)) w.object_type_id = sv;
    if (!o["propertyName"].get_string().get(sv)) w.property_name = sv;
    if (!o["propertyValue"].get_string().get(sv)) w.property_value = sv;
    int64_t at = 0;
    if (!o["occurredAt"].get_int64().get(at)) w.occurred_at_ms = at;
    w.payload = simdjson::minify(e);
    out.push_back(std::move(w));
  }
  return out;
}

std::string DefaultStoreUrl(const std::string& warehouse_url) {
  constexpr std::string_view kDuck = "duckdb://";
  if (!warehouse_url.starts_with(kDuck)) return warehouse_url;
  const std::string path = warehouse_url.substr(kDuck.size());
  if (path == ":memory:") return "duckdb://:memory:";
  const std::filesystem::path p(path);
  return std::string(kDuck) + (p.parent_path() / "revlens-events.duckdb").string();
}

EventStore::EventStore(const std::string& url, std::string schema)
    : db_(warehouse::OpenWarehouse(url)), schema_(std::move(schema)) {
  text_ = db_->SqlType(ColumnType::kText);
  db_->CreateSchema(schema_);
  const std::string big = db_->SqlType(ColumnType::kBigInt);
  db_->Execute("CREATE TABLE IF NOT EXISTS " + T("webhook_events") + " (event_id " + big + " PRIMARY KEY, " +
               "subscription_type " + text_ + ", object_type_id " + text_ + ", object_id " + big + ", property_name " +
               text_ + ", property_value " + text_ + ", occurred_at " + big + ", received_at " + big + ", attempts " +
               big + " NOT NULL DEFAULT 0, processed_at " + big + ", outcome " + text_ + ", payload " + text_ + ")");
  db_->Execute("CREATE TABLE IF NOT EXISTS " + T("sent_alerts") + " (alert_key " + text_ + ", rule " + text_ +
               ", entity " + text_ + ", channel " + text_ + ", destination " + text_ + ", sent_at " + big +
               ", status " + text_ + ", attempts " + big + ", http_status " + big + ", error " + text_ + ", payload " +
               text_ + ", mirrored BOOLEAN NOT NULL DEFAULT FALSE)");
  db_->Execute("CREATE TABLE IF NOT EXISTS " + T("deal_flags") + " (deal_id " + big + " PRIMARY KEY, dealstage " +
               text_ + ", changed_at " + big + ", event_id " + big + ", mirrored BOOLEAN NOT NULL DEFAULT FALSE)");
  db_->Execute("CREATE TABLE IF NOT EXISTS " + T("deal_predictions") + " (deal_id " + big +
               " PRIMARY KEY, predicted_at " + big + ", event_id " + big + ", prediction " + text_ +
               ", mirrored BOOLEAN NOT NULL DEFAULT FALSE)");
  db_->Execute("CREATE TABLE IF NOT EXISTS " + T("live_writes") + " (object_type " + text_ + ", object_id " + big +
               ", property " + text_ + ", written_at " + big +
               ", mirrored BOOLEAN NOT NULL DEFAULT FALSE, PRIMARY KEY (object_type, object_id, property))");
}

EventStore::~EventStore() = default;

std::string EventStore::T(const std::string& table) const {
  return Warehouse::QualifiedName(schema_, table);
}

std::string EventStore::Describe() const {
  return db_->Describe() + " (schema " + schema_ + ")";
}

int64_t EventStore::Insert(const std::vector<WebhookEvent>& events, int64_t received_at_ms) {
  if (events.empty()) return 0;
  std::lock_guard lock(mu_);
  // Within one call an id may repeat (HubSpot may send an event twice): keep the first.
  std::set<int64_t> seen;
  std::vector<const WebhookEvent*> unique;
  for (const auto& e : events)
    if (seen.insert(e.event_id).second) unique.push_back(&e);
  warehouse::Transaction tx(*db_);
  std::vector<int64_t> ids(seen.begin(), seen.end());
  const auto existing =
      db_->Query("SELECT COUNT(*) FROM " + T("webhook_events") + " WHERE event_id IN (" + IdList(ids) + ")");
  const int64_t already = existing.Scalar<int64_t>();
  std::string sql = "INSERT INTO " + T("webhook_events") +
                    " (event_id, subscription_type, object_type_id, object_id, property_name, property_value, "
                    "occurred_at, received_at, attempts, payload) VALUES ";
  bool first = true;
  for (const WebhookEvent* e : unique) {
    sql += first ? "(" : ",(";
    first = false;
    sql += Num(e->event_id) + "," + Lit(e->subscription_type) + "," + Lit(e->object_type_id) + "," + Num(e->object_id) +
           "," + Lit(e->property_name) + "," + Lit(e->property_value) + "," + Num(e->occurred_at_ms) + "," +
           Num(received_at_ms) + ",0," + Lit(e->payload) + ")";
  }
  sql += " ON CONFLICT (event_id) DO NOTHING";
  db_->Execute(sql);
  tx.Commit();
  return static_cast<int64_t>(unique.size()) - already;
}

std::vector<StoredEvent> EventStore::Claim(size_t limit) {
  std::lock_guard lock(mu_);
  const auto rs = db_->Query(
      "SELECT event_id, subscription_type, object_type_id, object_id, property_name, property_value, occurred_at, "
      "received_at, attempts, payload FROM " +
      T("webhook_events") + " WHERE processed_at IS NULL ORDER BY occurred_at, event_id LIMIT " +
      std::to_string(limit));
  std::vector<StoredEvent> out;
  std::vector<int64_t> ids;
  for (const auto& row : rs.rows) {
    StoredEvent s;
    s.event.event_id = Int(row[0]);
    s.event.subscription_type = Str(row[1]);
    s.event.object_type_id = Str(row[2]);
    s.event.object_id = Int(row[3]);
    s.event.property_name = Str(row[4]);
    s.event.property_value = Str(row[5]);
    s.event.occurred_at_ms = Int(row[6]);
    s.received_at_ms = Int(row[7]);
    s.attempts = Int(row[8]) + 1;
    s.event.payload = Str(row[9]);
    ids.push_back(s.event.event_id);
    out.push_back(std::move(s));
  }
  if (!ids.empty()) {
    db_->Execute("UPDATE " + T("webhook_events") + " SET attempts = attempts + 1 WHERE event_id IN (" + IdList(ids) +
                 ")");
  }
  return out;
}

void EventStore::MarkProcessed(const std::map<int64_t, std::string>& outcomes, int64_t now_ms) {
  if (outcomes.empty()) return;
  // One UPDATE per distinct outcome (a handful), in one transaction.
  std::map<std::string, std::vector<int64_t>> by_outcome;
  for (const auto& [id, outcome] : outcomes) by_outcome[outcome].push_back(id);
  std::lock_guard lock(mu_);
  warehouse::Transaction tx(*db_);
  for (const auto& [outcome, ids] : by_outcome) {
    db_->Execute("UPDATE " + T("webhook_events") + " SET processed_at = " + Num(now_ms) +
                 ", outcome = " + Lit(outcome) + " WHERE event_id IN (" + IdList(ids) + ")");
  }
  tx.Commit();
}

void EventStore::Requeue(const std::vector<int64_t>& event_ids) {
  std::lock_guard lock(mu_);
  warehouse::Transaction tx(*db_);
  for (size_t i = 0; i < event_ids.size(); i += 1000) {
    const std::vector<int64_t> part(
        event_ids.begin() + static_cast<std::ptrdiff_t>(i),
        event_ids.begin() + static_cast<std::ptrdiff_t>(std::min(event_ids.size(), i + 1000)));
    db_->Execute("UPDATE " + T("webhook_events") + " SET processed_at = NULL, outcome = NULL WHERE event_id IN (" +
                 IdList(part) + ")");
  }
  tx.Commit();
}

std::optional<std::string> EventStore::Outcome(int64_t event_id) {
  std::lock_guard lock(mu_);
  const auto rs = db_->Query("SELECT outcome FROM " + T("webhook_events") + " WHERE event_id = " + Num(event_id));
  if (rs.rows.empty()) return std::nullopt;
  return Str(rs.rows[0][0]);
}

std::set<std::string> EventStore::SentAlertKeys(const std::string& destination) {
  std::lock_guard lock(mu_);
  const auto rs = db_->Query("SELECT DISTINCT alert_key FROM " + T("sent_alerts") +
                             " WHERE status = 'sent' AND destination = " + Lit(destination));
  std::set<std::string> out;
  for (const auto& row : rs.rows) out.insert(Str(row[0]));
  return out;
}

void EventStore::RecordAlerts(const std::vector<SentAlert>& alerts) {
  if (alerts.empty()) return;
  std::string sql = "INSERT INTO " + T("sent_alerts") +
                    " (alert_key, rule, entity, channel, destination, sent_at, status, attempts, http_status, error, "
                    "payload) VALUES ";
  for (size_t i = 0; i < alerts.size(); ++i) {
    const auto& a = alerts[i];
    sql += (i ? ",(" : "(") + Lit(a.alert_key) + "," + Lit(a.rule) + "," + Lit(a.entity) + "," + Lit(a.channel) + "," +
           Lit(a.destination) + "," + Num(a.sent_at_ms) + "," + Lit(a.status) + "," + Num(a.attempts) + "," +
           Num(a.http_status) + "," + Lit(a.error) + "," + Lit(a.payload) + ")";
  }
  std::lock_guard lock(mu_);
  db_->Execute(sql);
}

void EventStore::FlagDeal(const DealFlag& f) {
  std::lock_guard lock(mu_);
  warehouse::Transaction tx(*db_);
  // The later change wins: a replayed older event does not undo a newer stage.
  const auto rs = db_->Query("SELECT changed_at FROM " + T("deal_flags") + " WHERE deal_id = " + Num(f.deal_id));
  if (!rs.rows.empty() && Int(rs.rows[0][0]) > f.changed_at_ms) return;
  db_->Execute("DELETE FROM " + T("deal_flags") + " WHERE deal_id = " + Num(f.deal_id));
  db_->Execute("INSERT INTO " + T("deal_flags") + " (deal_id, dealstage, changed_at, event_id) VALUES (" +
               Num(f.deal_id) + "," + Lit(f.dealstage) + "," + Num(f.changed_at_ms) + "," + Num(f.event_id) + ")");
  tx.Commit();
}

void EventStore::RecordDealPrediction(const DealPredictionRecord& p) {
  std::lock_guard lock(mu_);
  warehouse::Transaction tx(*db_);
  const auto rs = db_->Query("SELECT predicted_at, prediction FROM " + T("deal_predictions") +
                             " WHERE deal_id = " + Num(p.deal_id));
  // A later prediction stays; the same one again (the event reprocessed) changes nothing, not even the mirror flag.
  if (!rs.rows.empty() && (Int(rs.rows[0][0]) > p.predicted_at_ms ||
                           (Int(rs.rows[0][0]) == p.predicted_at_ms && Str(rs.rows[0][1]) == p.prediction)))
    return;
  db_->Execute("DELETE FROM " + T("deal_predictions") + " WHERE deal_id = " + Num(p.deal_id));
  db_->Execute("INSERT INTO " + T("deal_predictions") + " (deal_id, predicted_at, event_id, prediction) VALUES (" +
               Num(p.deal_id) + "," + Num(p.predicted_at_ms) + "," + Num(p.event_id) + "," + Lit(p.prediction) + ")");
  tx.Commit();
}

void EventStore::RecordLiveWrites(const std::vector<LiveWrite>& writes) {
  if (writes.empty()) return;
  std::lock_guard lock(mu_);
  warehouse::Transaction tx(*db_);
  for (const auto& w : writes) {
    if (w.properties.empty()) continue;
    std::string in, values;
    for (const auto& p : w.properties) {
      in += (in.empty() ? "" : ",") + Lit(p);
      values += std::string(values.empty() ? "" : ",") + "(" + Lit(w.object_type) + "," + Num(w.object_id) + "," +
                Lit(p) + "," + Num(w.written_at_ms) + ")";
    }
    db_->Execute("DELETE FROM " + T("live_writes") + " WHERE object_type = " + Lit(w.object_type) +
                 " AND object_id = " + Num(w.object_id) + " AND property IN (" + in + ")");
    db_->Execute("INSERT INTO " + T("live_writes") + " (object_type, object_id, property, written_at) VALUES " +
                 values);
  }
  tx.Commit();
}

std::vector<StageChange> EventStore::DealStageChanges(int64_t deal_id, int64_t upto_ms) {
  std::lock_guard lock(mu_);
  const auto rs = db_->Query("SELECT occurred_at, property_value FROM " + T("webhook_events") + " WHERE object_id = " +
                             Num(deal_id) + " AND property_name = 'dealstage' AND occurred_at <= " + Num(upto_ms) +
                             " AND (subscription_type = 'deal.propertyChange' OR (subscription_type = "
                             "'object.propertyChange' AND object_type_id = '0-3')) ORDER BY occurred_at, event_id");
  std::vector<StageChange> out;
  for (const auto& r : rs.rows) out.push_back({Int(r[0]), Str(r[1])});
  return out;
}

std::vector<SentAlert> EventStore::UnmirroredAlerts() {
  std::lock_guard lock(mu_);
  const auto rs = db_->Query(
      "SELECT alert_key, rule, entity, channel, destination, sent_at, status, attempts, http_status, error, payload "
      "FROM " +
      T("sent_alerts") + " WHERE NOT mirrored ORDER BY sent_at");
  std::vector<SentAlert> out;
  for (const auto& r : rs.rows) {
    SentAlert a;
    a.alert_key = Str(r[0]);
    a.rule = Str(r[1]);
    a.entity = Str(r[2]);
    a.channel = Str(r[3]);
    a.destination = Str(r[4]);
    a.sent_at_ms = Int(r[5]);
    a.status = Str(r[6]);
    a.attempts = static_cast<int>(Int(r[7]));
    a.http_status = static_cast<int>(Int(r[8]));
    a.error = Str(r[9]);
    a.payload = Str(r[10]);
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<DealFlag> EventStore::UnmirroredDealFlags() {
  std::lock_guard lock(mu_);
  const auto rs = db_->Query("SELECT deal_id, dealstage, changed_at, event_id FROM " + T("deal_flags") +
                             " WHERE NOT mirrored ORDER BY deal_id");
  std::vector<DealFlag> out;
  for (const auto& r : rs.rows) out.push_back({Int(r[0]), Str(r[1]), Int(r[2]), Int(r[3])});
  return out;
}

std::vector<DealPredictionRecord> EventStore::UnmirroredDealPredictions() {
  std::lock_guard lock(mu_);
  const auto rs = db_->Query("SELECT deal_id, predicted_at, event_id, prediction FROM " + T("deal_predictions") +
                             " WHERE NOT mirrored ORDER BY deal_id");
  std::vector<DealPredictionRecord> out;
  for (const auto& r : rs.rows) out.push_back({Int(r[0]), Int(r[1]), Int(r[2]), Str(r[3])});
  return out;
}

std::vector<LiveWrite> EventStore::UnmirroredLiveWrites() {
  std::lock_guard lock(mu_);
  const auto rs = db_->Query("SELECT object_type, object_id, property, written_at FROM " + T("live_writes") +
                             " WHERE NOT mirrored ORDER BY object_type, object_id, written_at, property");
  // One entry per record and instant.
  std::vector<LiveWrite> out;
  for (const auto& r : rs.rows) {
    if (out.empty() || out.back().object_type != Str(r[0]) || out.back().object_id != Int(r[1]) ||
        out.back().written_at_ms != Int(r[3]))
      out.push_back({Str(r[0]), Int(r[1]), {}, Int(r[3])});
    out.back().properties.push_back(Str(r[2]));
  }
  return out;
}

void EventStore::MarkMirrored(const std::vector<SentAlert>& alerts, const std::vector<DealFlag>& deals,
                              const std::vector<DealPredictionRecord>& predictions,
                              const std::vector<LiveWrite>& live_writes) {
  std::lock_guard lock(mu_);
  warehouse::Transaction tx(*db_);
  for (const auto& a : alerts) {
    db_->Execute("UPDATE " + T("sent_alerts") + " SET mirrored = TRUE WHERE alert_key = " + Lit(a.alert_key) +
                 " AND destination = " + Lit(a.destination) + " AND sent_at = " + Num(a.sent_at_ms));
  }
  for (const auto& d : deals) {
    db_->Execute("UPDATE " + T("deal_flags") + " SET mirrored = TRUE WHERE deal_id = " + Num(d.deal_id) +
                 " AND changed_at = " + Num(d.changed_at_ms));
  }
  for (const auto& p : predictions) {
    db_->Execute("UPDATE " + T("deal_predictions") + " SET mirrored = TRUE WHERE deal_id = " + Num(p.deal_id) +
                 " AND predicted_at = " + Num(p.predicted_at_ms) + " AND prediction = " + Lit(p.prediction));
  }
  for (const auto& w : live_writes) {
    // A property written again since it was read keeps its newer instant and stays unmirrored.
    db_->Execute("UPDATE " + T("live_writes") + " SET mirrored = TRUE WHERE object_type = " + Lit(w.object_type) +
                 " AND object_id = " + Num(w.object_id) + " AND written_at = " + Num(w.written_at_ms));
  }
  tx.Commit();
}

StoreCounts EventStore::Counts() {
  std::lock_guard lock(mu_);
  const auto rs = db_->Query("SELECT COUNT(*), COUNT(processed_at), COUNT(CASE WHEN attempts > 1 THEN 1 END) FROM " +
                             T("webhook_events"));
  StoreCounts c;
  c.events = Int(rs.rows[0][0]);
  c.processed = Int(rs.rows[0][1]);
  c.pending = c.events - c.processed;
  c.reprocessed = Int(rs.rows[0][2]);
  return c;
}

std::vector<int64_t> EventStore::EventIds() {
  std::lock_guard lock(mu_);
  const auto rs = db_->Query("SELECT event_id FROM " + T("webhook_events") + " ORDER BY event_id");
  std::vector<int64_t> out;
  out.reserve(rs.rows.size());
  for (const auto& r : rs.rows) out.push_back(Int(r[0]));
  return out;
}

}  // namespace revlens::serve
