#include "deliver/alerts.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "deliver/outbound.hpp"
#include "deliver/slack.hpp"

namespace revlens::deliver {
namespace {

using warehouse::Column;
using warehouse::ColumnType;
using warehouse::Timestamp;
using warehouse::Value;
using warehouse::Warehouse;

constexpr const char* kAlertsTable = "alerts";
constexpr const char* kForecastHistoryTable = "alert_forecast_history";

const std::vector<Column>& ForecastHistoryColumns() {
  static const std::vector<Column> cols = {
      {"run_id", ColumnType::kText}, {"period_type", ColumnType::kText},      {"period", ColumnType::kText},
      {"p50", ColumnType::kDouble},  {"computed_at", ColumnType::kTimestamp}, {"recorded_at", ColumnType::kTimestamp}};
  return cols;
}

std::string Q(const std::string& schema, const std::string& table) {
  return Warehouse::QualifiedName(schema, table);
}

std::optional<double> Num(const Value& v) {
  if (const auto* d = std::get_if<double>(&v)) return std::isfinite(*d) ? std::optional<double>(*d) : std::nullopt;
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return std::nullopt;
}

std::string Str(const Value& v) {
  if (warehouse::IsNull(v)) return "";
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return warehouse::ToString(v);
}

std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

/// 1234567.8 -> "1,234,568".
std::string Money(double v) {
  const bool neg = v < 0;
  std::string digits = std::to_string(static_cast<int64_t>(std::llround(std::fabs(v))));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return neg ? "-" + out : out;
}

std::string Plural(int64_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

bool HasColumn(const std::vector<Column>& cols, const std::string& name) {
  return std::any_of(cols.begin(), cols.end(), [&](const Column& c) { return c.name == name; });
}

std::string FirstColumn(const std::vector<Column>& cols, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (HasColumn(cols, n)) return n;
  return "";
}

std::string NewRunId(int64_t now_ms) {
  std::string iso = FormatIsoMillis(now_ms);
  std::string stamp;
  for (char c : iso.substr(0, 19))
    if (c != '-' && c != ':') stamp += c;
  std::mt19937_64 rng(static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                      static_cast<uint64_t>(now_ms));
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(rng() & 0xffffffffu));
  return "alert-" + stamp + "-" + hex;
}

/// What the rules share while they run.
struct Context {
  Warehouse& wh;
  const AlertOptions& o;
  int64_t now_ms;
  std::vector<std::string> notes;
  std::vector<Alert> alerts;
  std::vector<std::string> digest;  ///< "label: value" lines for the daily digest
  /// Forecast rows to remember (written after delivery unless a dry run).
  std::vector<std::vector<Value>> forecast_history;
};

Alert MakeAlert(const std::string& rule, const std::string& entity, std::string title, std::string text,
                std::string severity, nlohmann::json data) {
  Alert a;
  a.rule = rule;
  a.entity = entity;
  a.key = rule + ":" + entity;
  a.title = std::move(title);
  a.text = std::move(text);
  a.severity = std::move(severity);
  a.data = std::move(data);
  return a;
}

/// Names of records from a mart (`contacts`, `deals`), when it exists: id -> label, amount.
struct RecordInfo {
  std::string name;
  std::optional<double> amount;
};

std::map<int64_t, RecordInfo> LoadDeals(Context& c, const std::vector<int64_t>& ids) {
  std::map<int64_t, RecordInfo> out;
  if (ids.empty()) return out;
  const auto cols = c.wh.Columns(c.o.schema, "deals");
  if (!HasColumn(cols, "deal_id")) return out;
  const std::string name = FirstColumn(cols, {"deal_name", "dealname"});
  const std::string amount = FirstColumn(cols, {"amount"});
  std::string sql = "SELECT deal_id, " + (name.empty() ? "NULL" : Warehouse::QuoteIdent(name)) + ", " +
                    (amount.empty() ? "NULL" : Warehouse::QuoteIdent(amount)) + " FROM " + Q(c.o.schema, "deals") +
                    " WHERE deal_id IN (";
  for (size_t i = 0; i < ids.size(); ++i) sql += (i ? "," : "") + std::to_string(ids[i]);
  sql += ")";
  for (const auto& row : c.wh.Query(sql).rows) {
    if (warehouse::IsNull(row[0])) continue;
    RecordInfo& r = out[warehouse::AsInt64(row[0])];
    r.name = Str(row[1]);
    // `amount` may be text in the raw layout: parse it.
    if (auto n = Num(row[2])) {
      r.amount = n;
    } else if (const auto* s = std::get_if<std::string>(&row[2]); s && !s->empty()) {
      char* end = nullptr;
      const double v = std::strtod(s->c_str(), &end);
      if (end != s->c_str() && std::isfinite(v)) r.amount = v;
    }
  }
  return out;
}

std::map<int64_t, std::string> LoadContactNames(Context& c, const std::vector<int64_t>& ids) {
  std::map<int64_t, std::string> out;
  if (ids.empty()) return out;
  const auto cols = c.wh.Columns(c.o.schema, "contacts");
  if (!HasColumn(cols, "contact_id")) return out;
  const std::string first = FirstColumn(cols, {"first_name", "firstname"});
  const std::string last = FirstColumn(cols, {"last_name", "lastname"});
  const std::string email = FirstColumn(cols, {"email"});
  auto col = [](const std::string& n) { return n.empty() ? std::string("NULL") : Warehouse::QuoteIdent(n); };
  std::string sql = "SELECT contact_id, " + col(first) + ", " + col(last) + ", " + col(email) + " FROM " +
                    Q(c.o.schema, "contacts") + " WHERE contact_id IN (";
  for (size_t i = 0; i < ids.size(); ++i) sql += (i ? "," : "") + std::to_string(ids[i]);
  sql += ")";
  for (const auto& row : c.wh.Query(sql).rows) {
    if (warehouse::IsNull(row[0])) continue;
    std::string name = Str(row[1]);
    const std::string l = Str(row[2]);
    if (!l.empty()) name += (name.empty() ? "" : " ") + l;
    const std::string e = Str(row[3]);
    if (!e.empty()) name += name.empty() ? e : " <" + e + ">";
    out[warehouse::AsInt64(row[0])] = name;
  }
  return out;
}

bool Skip(Context& c, const std::string& rule, const std::string& schema, const std::string& table,
          const std::string& made_by) {
  if (c.wh.TableExists(schema, table)) return false;
  c.notes.push_back(rule + ": skipped, " + schema + "." + table + " does not exist (run `" + made_by + "` first)");
  return true;
}

// ------------------------------------------------------------------------------------------------ the rules

void RuleTierA(Context& c) {
  const std::string rule = "tier_a_lead";
  if (Skip(c, rule, c.o.schema, "lead_scores", "revlens score")) return;
  const auto cols = c.wh.Columns(c.o.schema, "lead_scores");
  std::string where = "tier = 'A'";
  // Unusable models and shadow scores are not shown to sales; the A/B holdout's scores stay hidden by design.
  if (HasColumn(cols, "usable")) where += " AND usable IS NOT FALSE";
  if (HasColumn(cols, "shadow")) where += " AND shadow IS NOT TRUE";
  if (HasColumn(cols, "ab_group")) where += " AND (ab_group IS NULL OR ab_group <> 'holdout')";
  // Still a lead: not yet a customer and young enough that the score's question (converting within the window
  // after creation) is open. Older contacts and customers in tier A are not news for sales.
  std::string from = Q(c.o.schema, "lead_scores");
  const int max_age = c.o.thresholds.lead_max_age_days;
  if (max_age < 0)
    throw ConfigError("alert: lead_max_age_days must be 0 (any age) or more, not " + std::to_string(max_age));
  const bool has_features = c.wh.TableExists(c.o.schema, "lead_features") && [&] {
    const auto fc = c.wh.Columns(c.o.schema, "lead_features");
    return HasColumn(fc, "contact_id") && HasColumn(fc, "created_at") && HasColumn(fc, "became_customer_at") &&
           HasColumn(fc, "as_of_date");
  }();
  if (has_features) {
    from += " s JOIN " + Q(c.o.schema, "lead_features") + " f ON f.contact_id = s.contact_id";
    where += " AND f.became_customer_at IS NULL";
    if (max_age > 0) where += " AND f.created_at >= f.as_of_date - INTERVAL '" + std::to_string(max_age) + " days'";
  } else {
    c.notes.push_back(rule + ": " + c.o.schema +
                      ".lead_features does not exist, so customers and old contacts in tier A are raised too (run "
                      "`revlens build`)");
  }
  auto opt = [&](const char* n) {
    return HasColumn(cols, n) ? (has_features ? "s." : "") + Warehouse::QuoteIdent(n) : std::string("NULL");
  };
  const std::string id = has_features ? "s.contact_id" : "contact_id";
  const auto rs = c.wh.Query("SELECT " + id + ", " + opt("likelihood") + ", " + opt("fit") + ", " + opt("engagement") +
                             ", " + opt("reasons") + ", " + opt("model_version") + " FROM " + from + " WHERE " + where +
                             " ORDER BY 2 DESC, 1");
  std::vector<int64_t> ids;
  for (const auto& row : rs.rows)
    if (!warehouse::IsNull(row[0])) ids.push_back(warehouse::AsInt64(row[0]));
  const auto names = LoadContactNames(c, ids);
  for (const auto& row : rs.rows) {
    if (warehouse::IsNull(row[0])) continue;
    const int64_t id = warehouse::AsInt64(row[0]);
    const double likelihood = Num(row[1]).value_or(0);
    const auto it = names.find(id);
    const std::string who = it != names.end() && !it->second.empty() ? it->second : "contact " + std::to_string(id);
    std::string text = "Likelihood " + Fmt("%.0f", likelihood) + "/100";
    if (auto f = Num(row[2])) text += " · fit " + Fmt("%.0f", *f);
    if (auto e = Num(row[3])) text += " · engagement " + Fmt("%.0f", *e);
    std::string reasons = Str(row[4]);
    std::replace(reasons.begin(), reasons.end(), '\n', ';');
    if (!reasons.empty()) text += "\nWhy: " + reasons;
    text += "\nHubSpot contact " + std::to_string(id);
    c.alerts.push_back(MakeAlert(rule, std::to_string(id), "Tier A: " + who, text, "info",
                                 {{"contact_id", id},
                                  {"name", who},
                                  {"likelihood", likelihood},
                                  {"fit", Num(row[2]) ? nlohmann::json(*Num(row[2])) : nlohmann::json()},
                                  {"engagement", Num(row[3]) ? nlohmann::json(*Num(row[3])) : nlohmann::json()},
                                  {"reasons", Str(row[4])},
                                  {"model_version", Str(row[5])}}));
  }
  c.digest.push_back("Tier-A leads: " + std::to_string(ids.size()));
  if (ids.empty() && HasColumn(cols, "usable")) {
    const int64_t hidden =
        c.wh.Query("SELECT COUNT(*) FROM " + Q(c.o.schema, "lead_scores") + " WHERE tier = 'A' AND usable IS FALSE")
            .Scalar<int64_t>();
    if (hidden > 0)
      c.notes.push_back(rule + ": " + std::to_string(hidden) +
                        " tier-A scores come from a model marked unusable (no proven lift): not alerted");
  }
}

void RuleCompetitor(Context& c) {
  const std::string rule = "competitor_on_deal";
  if (Skip(c, rule, c.o.schema, "deal_competitors", "revlens compete")) return;
  const auto rs =
      c.wh.Query("SELECT deal_id, competitors FROM " + Q(c.o.schema, "deal_competitors") + " ORDER BY deal_id");
  std::vector<int64_t> ids;
  for (const auto& row : rs.rows)
    if (!warehouse::IsNull(row[0])) ids.push_back(warehouse::AsInt64(row[0]));
  const auto deals = LoadDeals(c, ids);
  // The latest mention per deal and competitor, for context.
  std::map<std::pair<int64_t, std::string>, std::pair<std::string, std::string>> snippets;
  if (c.wh.TableExists(c.o.schema, "competitor_mentions")) {
    const auto ms =
        c.wh.Query("SELECT deal_id, competitor, snippet, mentioned_at FROM " + Q(c.o.schema, "competitor_mentions") +
                   " WHERE deal_id IS NOT NULL ORDER BY mentioned_at");
    for (const auto& row : ms.rows) {
      if (warehouse::IsNull(row[0])) continue;
      snippets[{warehouse::AsInt64(row[0]), Str(row[1])}] = {Str(row[2]), Str(row[3])};
    }
  }
  int64_t pairs = 0;
  for (const auto& row : rs.rows) {
    if (warehouse::IsNull(row[0])) continue;
    const int64_t deal = warehouse::AsInt64(row[0]);
    const auto d = deals.find(deal);
    // A plain double (NaN = unknown): g++ 12 reports a false -Wmaybe-uninitialized on a copied optional here.
    const double amount = d != deals.end() && d->second.amount ? *d->second.amount : std::nan("");
    const bool has_amount = std::isfinite(amount);
    if (has_amount && amount < c.o.thresholds.min_deal_amount) continue;
    const std::string deal_name =
        d != deals.end() && !d->second.name.empty() ? d->second.name : "deal " + std::to_string(deal);
    const std::string list = Str(row[1]);
    size_t start = 0;
    while (start <= list.size()) {
      const size_t end = std::min(list.find(';', start), list.size());
      std::string name = list.substr(start, end - start);
      start = end + 1;
      while (!name.empty() && name.front() == ' ') name.erase(0, 1);
      while (!name.empty() && name.back() == ' ') name.pop_back();
      if (name.empty()) continue;
      ++pairs;
      std::string text = "Open deal " + deal_name;
      if (has_amount) text += " (" + Money(amount) + ")";
      nlohmann::json data = {{"deal_id", deal},
                             {"deal_name", deal_name},
                             {"competitor", name},
                             {"amount", has_amount ? nlohmann::json(amount) : nlohmann::json()}};
      const auto s = snippets.find({deal, name});
      if (s != snippets.end()) {
        if (!s->second.first.empty()) text += "\n“" + Truncate(s->second.first, 300) + "”";
        if (!s->second.second.empty()) text += "\nMentioned " + s->second.second.substr(0, 16);
        data["snippet"] = s->second.first;
        data["mentioned_at"] = s->second.second;
      }
      c.alerts.push_back(MakeAlert(rule, std::to_string(deal) + ":" + name, name + " on " + deal_name, text, "warning",
                                   std::move(data)));
    }
  }
  c.digest.push_back("Open deals with a competitor: " + std::to_string(ids.size()) + " (" +
                     Plural(pairs, "mention", "deal-competitor pairs") + ")");
}

void RuleDealRisk(Context& c) {
  const std::string rule = "deal_at_risk";
  if (Skip(c, rule, c.o.schema, "deal_predictions", "revlens forecast")) return;
  const auto cols = c.wh.Columns(c.o.schema, "deal_predictions");
  auto opt = [&](const char* n) { return HasColumn(cols, n) ? Warehouse::QuoteIdent(n) : std::string("NULL"); };
  const auto rs =
      c.wh.Query("SELECT deal_id, " + opt("amount") + ", " + opt("p_win") + ", " + opt("risk_flags") + ", " +
                 opt("close_date") + ", " + opt("deal_stage_label") + ", " + opt("days_since_activity") + " FROM " +
                 Q(c.o.schema, "deal_predictions") + " WHERE risk_flags IS NOT NULL AND risk_flags <> '' ORDER BY " +
                 opt("amount") + " DESC, deal_id");
  struct Risky {
    int64_t id;
    std::optional<double> amount, p_win, idle;
    std::vector<std::string> flags;
    std::string close, stage;
  };
  std::vector<Risky> risky;
  for (const auto& row : rs.rows) {
    if (warehouse::IsNull(row[0])) continue;
    Risky r{warehouse::AsInt64(row[0]), Num(row[1]), Num(row[2]), Num(row[6]), {}, Str(row[4]), Str(row[5])};
    const std::string flags = Str(row[3]);
    size_t start = 0;
    while (start < flags.size()) {
      const size_t end = std::min(flags.find(';', start), flags.size());
      if (end > start) r.flags.push_back(flags.substr(start, end - start));
      start = end + 1;
    }
    if (static_cast<int>(r.flags.size()) < c.o.thresholds.min_risk_flags) continue;
    if (r.amount && *r.amount < c.o.thresholds.min_deal_amount) continue;
    risky.push_back(std::move(r));
  }
  std::vector<int64_t> ids;
  for (const auto& r : risky) ids.push_back(r.id);
  const auto deals = LoadDeals(c, ids);
  double at_stake = 0;
  for (const auto& r : risky) {
    const auto d = deals.find(r.id);
    const std::string name =
        d != deals.end() && !d->second.name.empty() ? d->second.name : "deal " + std::to_string(r.id);
    std::string flags;
    for (const auto& f : r.flags) {
      if (!flags.empty()) flags += ", ";
      std::string words = f;
      std::replace(words.begin(), words.end(), '_', ' ');
      flags += words;
    }
    std::string text = "Risks: " + flags;
    if (r.amount) text += "\nAmount " + Money(*r.amount);
    if (r.p_win) text += (r.amount ? " · " : "\n") + std::string("win probability ") + Fmt("%.0f%%", 100 * *r.p_win);
    if (!r.stage.empty()) text += "\nStage " + r.stage;
    if (!r.close.empty()) text += (r.stage.empty() ? "\n" : " · ") + std::string("close date ") + r.close;
    if (r.amount) at_stake += *r.amount;
    c.alerts.push_back(MakeAlert(rule, std::to_string(r.id), "At risk: " + name, text,
                                 r.flags.size() >= 3 ? "critical" : "warning",
                                 {{"deal_id", r.id},
                                  {"deal_name", name},
                                  {"risk_flags", r.flags},
                                  {"amount", r.amount ? nlohmann::json(*r.amount) : nlohmann::json()},
                                  {"p_win", r.p_win ? nlohmann::json(*r.p_win) : nlohmann::json()},
                                  {"deal_stage", r.stage},
                                  {"close_date", r.close}}));
  }
  c.digest.push_back("Deals at risk (" + std::to_string(c.o.thresholds.min_risk_flags) +
                     "+ flags): " + std::to_string(risky.size()) + ", " + Money(at_stake) + " at stake");
}

void RuleForecast(Context& c) {
  const std::string rule = "forecast_moved";
  if (Skip(c, rule, c.o.schema, "forecast", "revlens forecast")) return;
  const auto rs = c.wh.Query("SELECT run_id, period_type, period, p50, computed_at, p10, p90 FROM " +
                             Q(c.o.schema, "forecast") + " WHERE slice_type = 'total' ORDER BY period_start");
  if (rs.RowCount() == 0) {
    c.notes.push_back(rule + ": the forecast table has no total rows");
    return;
  }
  const std::string run = Str(rs.rows[0][0]);
  const std::string first_period = Str(rs.rows[0][2]);
  if (auto p50 = Num(rs.rows[0][3])) {
    std::string line = "Forecast " + first_period + ": P50 " + Money(*p50);
    if (auto p10 = Num(rs.rows[0][5]), p90 = Num(rs.rows[0][6]); p10 && p90)
      line += " (P10 " + Money(*p10) + ", P90 " + Money(*p90) + ")";
    c.digest.push_back(line);
  }
  const Timestamp now{c.now_ms * 1000};
  for (const auto& row : rs.rows)
    c.forecast_history.push_back({row[0], row[1], row[2], Num(row[3]) ? Value(*Num(row[3])) : Value(),
                                  std::holds_alternative<Timestamp>(row[4]) ? row[4] : Value(), now});
  // The previous forecast run this command has seen (the forecast table itself keeps only the latest run).
  std::map<std::string, double> previous;
  std::string previous_run;
  if (c.wh.TableExists(c.o.schema, kForecastHistoryTable)) {
    const auto last =
        c.wh.Query("SELECT run_id, MAX(recorded_at) AS seen FROM " + Q(c.o.schema, kForecastHistoryTable) +
                   " WHERE run_id <> " + Warehouse::QuoteLiteral(run) + " GROUP BY run_id ORDER BY seen DESC LIMIT 1");
    if (last.RowCount() > 0) {
      previous_run = Str(last.rows[0][0]);
      const auto ps = c.wh.Query("SELECT period_type, period, p50 FROM " + Q(c.o.schema, kForecastHistoryTable) +
                                 " WHERE run_id = " + Warehouse::QuoteLiteral(previous_run));
      for (const auto& row : ps.rows)
        if (auto v = Num(row[2])) previous[Str(row[0]) + "|" + Str(row[1])] = *v;
    }
  }
  if (previous_run.empty()) {
    c.notes.push_back(rule + ": no earlier forecast run recorded yet; " + run + " is the baseline");
    return;
  }
  for (const auto& row : rs.rows) {
    const auto cur = Num(row[3]);
    const auto it = previous.find(Str(row[1]) + "|" + Str(row[2]));
    if (!cur || it == previous.end()) continue;
    const double before = it->second;
    const double change = (*cur - before) / std::max(std::fabs(before), 1.0);
    if (!(std::fabs(change) > c.o.thresholds.forecast_move)) continue;
    const std::string period = Str(row[2]);
    const std::string dir = change > 0 ? "up" : "down";
    c.alerts.push_back(MakeAlert(
        rule, Str(row[1]) + ":" + period + "@" + run,
        "Forecast P50 for " + period + " " + dir + " " + Fmt("%.1f%%", 100 * std::fabs(change)),
        "P50 " + Money(before) + " → " + Money(*cur) + " (threshold " +
            Fmt("%.0f%%", 100 * c.o.thresholds.forecast_move) + ")\nForecast run " + run + " vs " + previous_run,
        std::fabs(change) > 2 * c.o.thresholds.forecast_move ? "critical" : "warning",
        {{"period_type", Str(row[1])},
         {"period", period},
         {"p50", *cur},
         {"previous_p50", before},
         {"change", change},
         {"run_id", run},
         {"previous_run_id", previous_run}}));
  }
}

void RuleStale(Context& c) {
  const std::string rule = "data_stale";
  const std::string& raw = c.o.raw_schema;
  std::optional<int64_t> last_ms;
  std::string source;
  if (c.wh.TableExists(raw, "sync_runs")) {
    source = raw + ".sync_runs";
    const auto rs = c.wh.Query("SELECT MAX(finished_at) FROM " + Q(raw, "sync_runs") + " WHERE status = 'ok'");
    if (rs.RowCount() > 0)
      if (const auto* t = std::get_if<Timestamp>(&rs.rows[0][0])) last_ms = t->micros / 1000;
  } else if (c.wh.TableExists(raw, "sync_state")) {
    source = raw + ".sync_state";
    const auto rs = c.wh.Query("SELECT MAX(updated_at) FROM " + Q(raw, "sync_state"));
    if (rs.RowCount() > 0)
      if (const auto* t = std::get_if<Timestamp>(&rs.rows[0][0])) last_ms = t->micros / 1000;
  } else {
    c.notes.push_back(rule + ": skipped, " + raw + ".sync_runs does not exist (run `revlens sync` first)");
    return;
  }
  const double limit_ms = c.o.thresholds.stale_hours * 3600.0 * 1000.0;
  const double age_h = last_ms ? static_cast<double>(c.now_ms - *last_ms) / 3600000.0 : -1;
  c.digest.push_back(last_ms ? "Last successful sync: " + FormatIsoMillis(*last_ms).substr(0, 16) + " UTC (" +
                                   Fmt("%.1f", age_h) + " h ago)"
                             : "Last successful sync: never");
  if (last_ms && static_cast<double>(c.now_ms - *last_ms) <= limit_ms) return;
  const std::string title =
      last_ms ? "HubSpot data is " + Fmt("%.0f", age_h) + " h old" : "No successful sync recorded";
  const std::string text = (last_ms ? "The last successful sync finished " + FormatIsoMillis(*last_ms).substr(0, 16) +
                                          " UTC (limit " + Fmt("%.0f", c.o.thresholds.stale_hours) + " h)."
                                    : "No successful run in " + source + ".") +
                           "\nScores, forecasts and alerts are only as fresh as the data: run `revlens sync`.";
  c.alerts.push_back(
      MakeAlert(rule, raw, title, text, "critical",
                {{"schema", raw},
                 {"last_sync_at", last_ms ? nlohmann::json(FormatIsoMillis(*last_ms)) : nlohmann::json()},
                 {"age_hours", last_ms ? nlohmann::json(age_h) : nlohmann::json()},
                 {"threshold_hours", c.o.thresholds.stale_hours}}));
}

struct ModelRun {
  std::string run_id, model_version, status, ran_at;
  nlohmann::json metrics;
};

std::vector<ModelRun> LoadModelRuns(Context& c) {
  std::vector<ModelRun> out;
  const auto rs =
      c.wh.Query("SELECT run_id, model_version, status, ran_at, metrics FROM " + Q(c.o.schema, "model_runs") +
                 " WHERE status IN ('trained', 'reused') ORDER BY ran_at DESC LIMIT 50");
  for (const auto& row : rs.rows) {
    ModelRun r{Str(row[0]), Str(row[1]), Str(row[2]), Str(row[3]), nlohmann::json()};
    r.metrics = nlohmann::json::parse(Str(row[4]), nullptr, false);
    if (r.metrics.is_discarded()) r.metrics = nlohmann::json::object();
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<double> JsonNum(const nlohmann::json& j, std::initializer_list<const char*> path) {
  const nlohmann::json* cur = &j;
  for (const char* p : path) {
    if (!cur->is_object() || !cur->contains(p)) return std::nullopt;
    cur = &(*cur)[p];
  }
  if (!cur->is_number()) return std::nullopt;
  const double v = cur->get<double>();
  return std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

void RuleModel(Context& c, bool drift, bool auc) {
  if (!c.wh.TableExists(c.o.schema, "model_runs")) {
    if (drift)
      c.notes.push_back("score_drift: skipped, " + c.o.schema +
                        ".model_runs does not exist (run `revlens score` first)");
    if (auc)
      c.notes.push_back("auc_drop: skipped, " + c.o.schema + ".model_runs does not exist (run `revlens score` first)");
    return;
  }
  const auto runs = LoadModelRuns(c);
  if (runs.empty()) {
    c.notes.push_back("score_drift, auc_drop: no trained scoring run in " + c.o.schema + ".model_runs");
    return;
  }
  const ModelRun& latest = runs.front();
  const auto psi = JsonNum(latest.metrics, {"drift", "score_psi"});
  const auto latest_auc = JsonNum(latest.metrics, {"holdout", "likelihood", "auc_roc"});
  std::string line = "Lead model " + latest.model_version + ":";
  if (latest_auc) line += " AUC " + Fmt("%.3f", *latest_auc);
  if (psi) line += " · score PSI " + Fmt("%.3f", *psi);
  c.digest.push_back(line);
  if (drift) {
    if (!psi) {
      c.notes.push_back("score_drift: the latest scoring run has no drift figure");
    } else if (*psi > c.o.thresholds.psi) {
      std::string features;
      if (const auto it = latest.metrics.find("drift"); it != latest.metrics.end() && it->contains("feature_psi")) {
        for (const auto& [name, v] : (*it)["feature_psi"].items()) {
          if (v.is_number() && v.get<double>() > c.o.thresholds.psi)
            features += (features.empty() ? "" : ", ") + name + " " + Fmt("%.2f", v.get<double>());
        }
      }
      c.alerts.push_back(MakeAlert("score_drift", latest.model_version, "Lead-score drift: PSI " + Fmt("%.2f", *psi),
                                   "Recent contacts' scores differ from the training contacts' (PSI " +
                                       Fmt("%.3f", *psi) + " > " + Fmt("%.2f", c.o.thresholds.psi) + ")." +
                                       (features.empty() ? "" : "\nDrifting features: " + features) + "\nModel " +
                                       latest.model_version + ": retrain with `revlens score`.",
                                   "warning",
                                   {{"model_version", latest.model_version},
                                    {"score_psi", *psi},
                                    {"threshold", c.o.thresholds.psi},
                                    {"run_id", latest.run_id}}));
    }
  }
  if (!auc) return;
  // The previous run of another model version: AUC compares models, not reruns of one.
  const ModelRun* previous = nullptr;
  for (const auto& r : runs) {
    if (r.model_version != latest.model_version && JsonNum(r.metrics, {"holdout", "likelihood", "auc_roc"})) {
      previous = &r;
      break;
    }
  }
  const auto matured = JsonNum(latest.metrics, {"matured_cohort", "auc_roc"});
  std::optional<double> before;
  std::string against;
  if (previous && latest_auc) {
    before = JsonNum(previous->metrics, {"holdout", "likelihood", "auc_roc"});
    against = "model " + previous->model_version;
  }
  double drop = before && latest_auc ? *before - *latest_auc : 0;
  std::optional<double> now_auc = latest_auc;
  // A model that ranks its newly matured contacts worse than its holdout has decayed.
  if (matured && latest_auc && *latest_auc - *matured > drop) {
    before = latest_auc;
    now_auc = matured;
    drop = *latest_auc - *matured;
    against = "its holdout (newly matured contacts)";
  }
  if (!before || !now_auc) {
    c.notes.push_back("auc_drop: nothing to compare yet (one model version, no matured cohort)");
    return;
  }
  if (!(drop > c.o.thresholds.auc_drop)) return;
  c.alerts.push_back(MakeAlert("auc_drop", latest.model_version, "Lead model AUC dropped " + Fmt("%.3f", drop),
                               "AUC " + Fmt("%.3f", *before) + " → " + Fmt("%.3f", *now_auc) + " against " + against +
                                   " (threshold " + Fmt("%.3f", c.o.thresholds.auc_drop) + ").\nModel " +
                                   latest.model_version + ": check the data and retrain with `revlens score`.",
                               "warning",
                               {{"model_version", latest.model_version},
                                {"auc", *now_auc},
                                {"previous_auc", *before},
                                {"drop", drop},
                                {"against", against},
                                {"threshold", c.o.thresholds.auc_drop}}));
}

void RuleDigest(Context& c, const std::map<std::string, int>& raised) {
  const std::string date = FormatIsoMillis(c.now_ms).substr(0, 10);
  std::string text;
  int total = 0;
  for (const auto& [rule, n] : raised) total += n;
  text = total == 0 ? "No alert condition holds today." : "Alert conditions holding now (new or already sent):";
  std::vector<std::string> fields;
  for (const auto& [rule, n] : raised)
    if (n > 0 && fields.size() < 4) fields.push_back(rule + ": " + std::to_string(n));
  for (const auto& d : c.digest)
    if (fields.size() < kSlackMaxFields) fields.push_back(d);
  Alert a = MakeAlert("daily_digest", date, "revlens daily digest " + date, text, "info",
                      {{"date", date}, {"raised", raised}, {"figures", c.digest}});
  a.fields = std::move(fields);
  c.alerts.push_back(std::move(a));
}

const std::map<std::string, std::string>& Headings() {
  static const std::map<std::string, std::string> h = {
      {"tier_a_lead", ":star: new tier-A lead"},
      {"competitor_on_deal", ":crossed_swords: competitor on an open deal"},
      {"deal_at_risk", ":warning: deal at risk"},
      {"forecast_moved", ":chart_with_upwards_trend: forecast moved"},
      {"data_stale", ":hourglass: HubSpot data is stale"},
      {"score_drift", ":bar_chart: lead-score drift"},
      {"auc_drop", ":chart_with_downwards_trend: lead model AUC dropped"},
      {"daily_digest", ":newspaper: revlens daily digest"}};
  return h;
}

std::string Heading(const std::string& rule, size_t n) {
  const auto& h = Headings();
  const auto it = h.find(rule);
  std::string base = it != h.end() ? it->second : rule;
  if (rule == "daily_digest" || rule == "data_stale") return base;
  return std::to_string(n) + " × " + base;
}

struct Destination {
  std::string channel;   // slack | webhook
  std::string describe;  // redacted
  std::unique_ptr<SlackSender> slack;
  const OutboundWebhook* hook = nullptr;
  int consecutive_failures = 0;
  bool down = false;
};

}  // namespace

const std::vector<Column>& AlertColumns() {
  static const std::vector<Column> cols = {
      {"alert_key", ColumnType::kText}, {"rule", ColumnType::kText},        {"entity", ColumnType::kText},
      {"channel", ColumnType::kText},   {"destination", ColumnType::kText}, {"sent_at", ColumnType::kTimestamp},
      {"status", ColumnType::kText},    {"attempts", ColumnType::kBigInt},  {"http_status", ColumnType::kBigInt},
      {"error", ColumnType::kText},     {"payload", ColumnType::kJson},     {"run_id", ColumnType::kText}};
  return cols;
}

const std::vector<std::string>& AlertRuleNames() {
  static const std::vector<std::string> names = {"tier_a_lead", "competitor_on_deal", "deal_at_risk", "forecast_moved",
                                                 "data_stale",  "score_drift",        "auc_drop",     "daily_digest"};
  return names;
}

AlertSummary RunAlerts(Warehouse& wh, const AlertOptions& o) {
  for (const auto& r : o.rules) {
    const auto& names = AlertRuleNames();
    if (std::find(names.begin(), names.end(), r) == names.end()) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      throw InvalidInputError("unknown alert rule '" + r + "': use " + list);
    }
  }
  for (const auto& h : o.webhooks) {
    if (h.url.empty()) throw ConfigError("an outbound webhook has no url");
    if (h.secret.empty())
      throw ConfigError("outbound webhook " + RedactUrl(h.url) + " has no secret: set its secret_env variable");
  }
  const auto progress = [&](const std::string& line) {
    if (o.progress) o.progress(line);
  };
  AlertSummary summary;
  summary.dry_run = o.dry_run;
  const int64_t now_ms = o.now_ms > 0 ? o.now_ms : NowMillis();
  summary.run_id = NewRunId(now_ms);
  Context c{wh, o, now_ms, {}, {}, {}, {}};
  auto want = [&](const std::string& rule) {
    return o.rules.empty() || std::find(o.rules.begin(), o.rules.end(), rule) != o.rules.end();
  };

  // ---- evaluate
  progress("alert: evaluating rules");
  const std::pair<const char*, void (*)(Context&)> simple[] = {{"tier_a_lead", RuleTierA},
                                                               {"competitor_on_deal", RuleCompetitor},
                                                               {"deal_at_risk", RuleDealRisk},
                                                               {"forecast_moved", RuleForecast},
                                                               {"data_stale", RuleStale}};
  for (const auto& [name, fn] : simple)
    if (want(name)) fn(c);
  if (want("score_drift") || want("auc_drop")) RuleModel(c, want("score_drift"), want("auc_drop"));
  std::map<std::string, int> raised;
  for (const auto& a : c.alerts) ++raised[a.rule];
  if (want("daily_digest")) RuleDigest(c, raised);
  for (const auto& rule : AlertRuleNames()) {
    int n = 0;
    for (const auto& a : c.alerts) n += a.rule == rule;
    if (want(rule)) summary.raised.emplace_back(rule, n);
  }
  summary.alerts_raised = static_cast<int64_t>(c.alerts.size());
  summary.notes = c.notes;

  // ---- destinations
  RetryPolicy policy{o.max_retries, o.base_backoff, o.max_backoff, o.timeout};
  std::vector<Destination> dests;
  for (const auto& url : o.slack_webhook_urls) {
    if (url.empty()) continue;
    Destination d;
    d.channel = "slack";
    d.slack = std::make_unique<SlackSender>(url, policy, o.slack_interval);
    d.describe = d.slack->Destination();
    dests.push_back(std::move(d));
  }
  for (const auto& h : o.webhooks) {
    Destination d;
    d.channel = "webhook";
    d.hook = &h;
    d.describe = RedactUrl(h.url);
    dests.push_back(std::move(d));
  }
  if (dests.empty()) {
    summary.notes.push_back(o.dry_run ? "no destination configured: showing the Slack messages that would be built"
                                      : "no destination configured (set SLACK_WEBHOOK_URL or add [[webhooks]] to "
                                        "revlens.toml): nothing was sent");
  }

  // ---- dedupe: when each destination last received each alert
  std::map<std::pair<std::string, std::string>, int64_t> last_sent;  // (key, destination) -> micros
  if (wh.TableExists(o.schema, kAlertsTable)) {
    const auto rs = wh.Query("SELECT alert_key, destination, MAX(sent_at) FROM " + Q(o.schema, kAlertsTable) +
                             " WHERE status = 'sent' GROUP BY alert_key, destination");
    for (const auto& row : rs.rows) {
      const auto* t = std::get_if<Timestamp>(&row[2]);
      last_sent[{Str(row[0]), Str(row[1])}] = t ? t->micros : 0;
    }
  }
  auto already_sent = [&](const Alert& a, const std::string& destination) {
    const auto it = last_sent.find({a.key, destination});
    if (it == last_sent.end()) return false;
    double hours = -1;  // once, ever
    if (a.rule == "deal_at_risk") hours = o.dedupe_hours;
    if (a.rule == "data_stale") hours = o.stale_repeat_hours;
    if (hours < 0) return true;
    return it->second >= (now_ms - static_cast<int64_t>(hours * 3600.0 * 1000.0)) * 1000;
  };
  if (!o.dry_run && !dests.empty()) {
    wh.CreateSchema(o.schema);
    wh.CreateTable(o.schema, kAlertsTable, AlertColumns());
  }

  std::set<std::string> new_keys;
  const Timestamp now_ts{now_ms * 1000};
  auto record = [&](Destination& d, const Alert& a, const PostOutcome& out, const std::string& status,
                    std::vector<std::vector<Value>>& rows) {
    DeliveryRecord r{a.key, a.rule, a.entity, d.channel, d.describe, status, out.attempts, out.status, out.error};
    rows.push_back({a.key, a.rule, a.entity, d.channel, d.describe, now_ts, status, static_cast<int64_t>(out.attempts),
                    static_cast<int64_t>(out.status), out.error.empty() ? Value() : Value(out.error),
                    OutboundBody(a, summary.run_id, now_ms).dump(), summary.run_id});
    summary.deliveries.push_back(std::move(r));
  };
  auto flush = [&](std::vector<std::vector<Value>>& rows) {
    if (!o.dry_run && !rows.empty()) wh.BulkLoad(o.schema, kAlertsTable, AlertColumns(), rows);
    rows.clear();
  };
  auto outcome_of_down = [&](const Destination& d) {
    PostOutcome p;
    p.error = d.describe + ": not attempted, the destination failed " + std::to_string(d.consecutive_failures) +
              " deliveries in a row in this run";
    return p;
  };

  // Dry run without destinations: render as for one Slack webhook.
  const bool preview_only = dests.empty();
  const size_t n_dest = preview_only ? (o.dry_run ? 1 : 0) : dests.size();
  for (size_t di = 0; di < n_dest; ++di) {
    Destination* d = preview_only ? nullptr : &dests[di];
    const bool slack = preview_only || d->channel == "slack";
    std::vector<std::vector<Value>> rows;
    for (const auto& rule : AlertRuleNames()) {
      std::vector<const Alert*> fresh;
      for (const auto& a : c.alerts) {
        if (a.rule != rule) continue;
        if (d && already_sent(a, d->describe)) {
          ++summary.deduplicated;
          continue;
        }
        fresh.push_back(&a);
        new_keys.insert(a.key);
      }
      if (fresh.empty()) continue;
      if (slack) {
        const nlohmann::json payload =
            BuildRuleMessage(Heading(rule, fresh.size()), fresh,
                             static_cast<size_t>(std::max(1, o.max_items_per_message)), rule, summary.run_id);
        if (o.dry_run) {
          summary.messages.push_back(payload.dump(2));
          if (d)
            for (const Alert* a : fresh) record(*d, *a, PostOutcome{}, "dry_run", rows);
          continue;
        }
        PostOutcome out = d->down ? outcome_of_down(*d) : d->slack->Post(payload);
        if (!d->down) progress("alert: " + rule + " -> " + d->describe + (out.ok ? " sent" : " failed: " + out.error));
        if (out.ok) {
          ++summary.slack_messages_sent;
          d->consecutive_failures = 0;
        } else {
          ++summary.slack_messages_failed;
          if (!d->down && ++d->consecutive_failures >= o.max_consecutive_failures) d->down = true;
        }
        for (const Alert* a : fresh) record(*d, *a, out, out.ok ? "sent" : "failed", rows);
        flush(rows);
      } else {
        for (const Alert* a : fresh) {
          const std::string body = OutboundBody(*a, summary.run_id, now_ms).dump();
          if (o.dry_run) {
            if (summary.messages.size() < 200) summary.messages.push_back(body);
            record(*d, *a, PostOutcome{}, "dry_run", rows);
            continue;
          }
          PostOutcome out = d->down ? outcome_of_down(*d)
                                    : PostOutbound(*d->hook, body, a->rule, summary.run_id + "/" + a->key, policy);
          if (out.ok) {
            ++summary.webhooks_sent;
            d->consecutive_failures = 0;
          } else {
            ++summary.webhooks_failed;
            if (!d->down && ++d->consecutive_failures >= o.max_consecutive_failures) d->down = true;
          }
          record(*d, *a, out, out.ok ? "sent" : "failed", rows);
          // Written in batches: a crash loses at most these few records, never a whole run's.
          if (rows.size() >= 50) flush(rows);
        }
        flush(rows);
      }
    }
    if (d && d->down)
      summary.notes.push_back(d->channel + " " + d->describe + ": down after " +
                              std::to_string(o.max_consecutive_failures) +
                              " failed deliveries in a row; the rest was recorded as failed and goes out next run");
  }
  summary.alerts_new = static_cast<int64_t>(new_keys.size());

  // ---- remember this forecast run, so the next one is compared with it
  if (!o.dry_run && !c.forecast_history.empty()) {
    const std::string run = warehouse::AsString(c.forecast_history.front()[0]);
    wh.CreateSchema(o.schema);
    wh.CreateTable(o.schema, kForecastHistoryTable, ForecastHistoryColumns());
    const auto seen = wh.Query("SELECT COUNT(*) FROM " + Q(o.schema, kForecastHistoryTable) +
                               " WHERE run_id = " + Warehouse::QuoteLiteral(run));
    if (seen.Scalar<int64_t>() == 0)
      wh.BulkLoad(o.schema, kForecastHistoryTable, ForecastHistoryColumns(), c.forecast_history);
  }
  return summary;
}

std::string AlertSummary::Text() const {
  std::string out = std::string(dry_run ? "alert (dry run): " : "alert: ") + std::to_string(alerts_raised) +
                    " alert condition(s), " + std::to_string(alerts_new) + " new, " + std::to_string(deduplicated) +
                    " already sent (deduplicated)\n";
  for (const auto& [rule, n] : raised) out += "  " + rule + ": " + std::to_string(n) + "\n";
  if (!dry_run) {
    out += "  slack messages: " + std::to_string(slack_messages_sent) + " sent, " +
           std::to_string(slack_messages_failed) + " failed\n";
    out += "  webhook deliveries: " + std::to_string(webhooks_sent) + " sent, " + std::to_string(webhooks_failed) +
           " failed\n";
  }
  for (const auto& n : notes) out += "  note: " + n + "\n";
  std::set<std::string> errors;
  for (const auto& d : deliveries)
    if (d.status == "failed" && !d.error.empty() && errors.size() < 5) errors.insert(d.error);
  for (const auto& e : errors) out += "  failed: " + e + "\n";
  out += "  run " + run_id + "\n";
  return out;
}

nlohmann::json AlertSummary::ToJson() const {
  nlohmann::json by_rule = nlohmann::json::object();
  for (const auto& [rule, n] : raised) by_rule[rule] = n;
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& d : deliveries) {
    if (d.status != "failed" || failures.size() >= 50) continue;
    failures.push_back({{"alert_key", d.alert_key},
                        {"channel", d.channel},
                        {"destination", d.destination},
                        {"attempts", d.attempts},
                        {"http_status", d.http_status},
                        {"error", d.error}});
  }
  return {{"run_id", run_id},
          {"dry_run", dry_run},
          {"alerts_raised", alerts_raised},
          {"alerts_new", alerts_new},
          {"deduplicated", deduplicated},
          {"raised", by_rule},
          {"slack", {{"sent", slack_messages_sent}, {"failed", slack_messages_failed}}},
          {"webhooks", {{"sent", webhooks_sent}, {"failed", webhooks_failed}}},
          {"failures", failures},
          {"notes", notes}};
}

}  // namespace revlens::deliver
