// The dashboard's JSON API: per page, a few aggregate queries (portable SQL: DuckDB and PostgreSQL) over the marts
// and result tables. A table that is absent yields {"available": false, "message": "not available yet — run ..."}
// for its panel, never made-up figures.
#include "dashboard/api.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <set>

#include "core/errors.hpp"

namespace revlens::dashboard {
namespace {

using nlohmann::json;
using warehouse::ResultSet;
using warehouse::Value;
using warehouse::Warehouse;

std::string Lit(std::string_view s) {
  return Warehouse::QuoteLiteral(s);
}

std::string DateLit(const std::string& ymd) {
  return "DATE " + Lit(ymd);
}

/// A panel whose source table is absent.
json Missing(const std::string& what, const std::string& command) {
  return {{"available", false}, {"message", what + " not available yet — run " + command}};
}

double Num(const Value& v, double fallback = 0) {
  if (warehouse::IsNull(v)) return fallback;
  if (const auto* d = std::get_if<double>(&v)) return std::isfinite(*d) ? *d : fallback;
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? 1 : 0;
  return fallback;
}

int64_t Int(const Value& v) {
  return static_cast<int64_t>(std::llround(Num(v)));
}

std::string Text(const Value& v) {
  if (warehouse::IsNull(v)) return "";
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return warehouse::ToString(v);
}

bool IsDigits(std::string_view s) {
  return !s.empty() && s.size() <= 19 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int64_t NowMs(const ApiOptions& o) {
  if (o.now_ms) return o.now_ms;
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Today(const ApiOptions& o) {
  return warehouse::FormatDate(warehouse::Date{static_cast<int32_t>(NowMs(o) / 86400000)});
}

/// JSON stored as text (model_runs.metrics, sync_runs.summary, runs.summary): parsed, or null when unparsable.
json ParseJsonText(const Value& v) {
  if (warehouse::IsNull(v)) return nullptr;
  json j = json::parse(Text(v), nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json(nullptr) : j;
}

/// The period the filters select, resolved against the data's as-of date.
struct Period {
  std::string label;  ///< `2026-Q3` or `all`
  std::string start, end;
  json ToJson() const { return {{"label", label}, {"start", start}, {"end", end}}; }
};

class Ctx {
 public:
  Ctx(Warehouse& wh, const ApiOptions& o) : wh_(wh), o_(o) {}

  std::string M(const std::string& table) const { return Warehouse::QualifiedName(o_.model_schema, table); }
  std::string R(const std::string& table) const { return Warehouse::QualifiedName(o_.raw_schema, table); }
  bool HasM(const std::string& table) { return Has(o_.model_schema, table); }
  bool HasR(const std::string& table) { return Has(o_.raw_schema, table); }
  ResultSet Query(const std::string& sql) { return wh_.Query(sql); }
  Warehouse& Wh() { return wh_; }

  /// The last day the marts describe: the daily pipeline snapshot's last day, else today.
  std::string AsOf() {
    if (as_of_.empty()) {
      as_of_ = Today(o_);
      if (HasM("daily_pipeline_snapshot")) {
        const auto rs = Query("SELECT MAX(date_day) FROM " + M("daily_pipeline_snapshot"));
        if (rs.RowCount() && !warehouse::IsNull(rs.rows[0][0])) as_of_ = warehouse::ToString(rs.rows[0][0]);
      }
    }
    return as_of_;
  }

  Period Resolve(const Filters& f) {
    if (f.period == "all") return {"all", "1970-01-01", "2999-12-31"};
    const Quarter q = f.period.empty() ? QuarterOf(AsOf()) : *ParseQuarter(f.period);
    return {q.Label(), q.Start(), q.End()};
  }

 private:
  /// One catalog query per request rather than one per table (each costs tens of milliseconds on DuckDB).
  bool Has(const std::string& schema, const std::string& table) {
    if (!listed_) {
      const auto rs =
          wh_.Query("SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN (" +
                    Lit(o_.model_schema) + ", " + Lit(o_.raw_schema) + ")");
      for (const auto& r : rs.rows) tables_.insert(Text(r[0]) + "." + Text(r[1]));
      listed_ = true;
    }
    return tables_.count(schema + "." + table) > 0;
  }

  Warehouse& wh_;
  const ApiOptions& o_;
  bool listed_ = false;
  std::set<std::string> tables_;
  std::string as_of_;
};

/// ` AND ...` for the deal filters on a deals-mart alias; pipeline and owner may come from another alias (the
/// snapshot's as-of-that-day values).
std::string DealFilter(const Filters& f, const std::string& deal, const std::string& pipe_owner = "") {
  const std::string po = pipe_owner.empty() ? deal : pipe_owner;
  std::string w;
  if (!f.pipeline.empty()) w += " AND " + po + ".pipeline_id = " + Lit(f.pipeline);
  if (!f.team.empty()) w += " AND " + deal + ".team_id = " + Lit(f.team);
  if (!f.owner.empty()) w += " AND " + po + ".owner_id = " + f.owner;
  return w;
}

/// ` AND ...` restricting an owner column to the team filter (through the raw owner_teams table) and the owner.
std::string OwnerFilter(Ctx& p, const Filters& f, const std::string& owner_col) {
  std::string w;
  if (!f.team.empty() && p.HasR("owner_teams"))
    w += " AND " + owner_col + " IN (SELECT owner_id FROM " + p.R("owner_teams") + " WHERE team_id = " + Lit(f.team) +
         ")";
  if (!f.owner.empty()) w += " AND " + owner_col + " = " + f.owner;
  return w;
}

json FiltersJson(const Filters& f) {
  return {{"pipeline", f.pipeline}, {"team", f.team}, {"owner", f.owner}, {"period", f.period}};
}

/// The forecast slice the filters select: the forecast has total, pipeline, team and owner slices (not their
/// combinations), so the most specific filter wins.
std::pair<std::string, std::string> ForecastSlice(const Filters& f) {
  if (!f.owner.empty()) return {"owner", f.owner};
  if (!f.team.empty()) return {"team", f.team};
  if (!f.pipeline.empty()) return {"pipeline", f.pipeline};
  return {"total", ""};
}

std::string SliceWhere(const std::pair<std::string, std::string>& s) {
  return "slice_type = " + Lit(s.first) + " AND " +
         (s.second.empty() ? "(slice_value IS NULL OR slice_value = '')" : "slice_value = " + Lit(s.second));
}

}  // namespace

// ---- small pieces ---------------------------------------------------------------------------------------------

std::string Quarter::Label() const {
  return std::to_string(year) + "-Q" + std::to_string(q);
}

std::string Quarter::Start() const {
  const int month = (q - 1) * 3 + 1;
  return std::to_string(year) + (month < 10 ? "-0" : "-") + std::to_string(month) + "-01";
}

std::string Quarter::End() const {
  static const char* ends[] = {"03-31", "06-30", "09-30", "12-31"};
  return std::to_string(year) + "-" + ends[q - 1];
}

std::optional<Quarter> ParseQuarter(std::string_view t) {
  if (t.size() != 7 || t[4] != '-' || t[5] != 'Q' || t[6] < '1' || t[6] > '4' || !IsDigits(t.substr(0, 4)))
    return std::nullopt;
  return Quarter{std::stoi(std::string(t.substr(0, 4))), t[6] - '0'};
}

Quarter QuarterOf(std::string_view ymd) {
  if (ymd.size() < 7) return {1970, 1};
  const int month = std::stoi(std::string(ymd.substr(5, 2)));
  return {std::stoi(std::string(ymd.substr(0, 4))), (month - 1) / 3 + 1};
}

Filters ParseFilters(const std::multimap<std::string, std::string>& params) {
  Filters f;
  auto get = [&](const char* name) {
    const auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  };
  f.pipeline = get("pipeline");
  f.team = get("team");
  f.owner = get("owner");
  f.period = get("period");
  if (!f.owner.empty() && !IsDigits(f.owner)) throw InvalidInputError("owner must be an owner id (digits)");
  if (!f.period.empty() && f.period != "all" && !ParseQuarter(f.period))
    throw InvalidInputError("period must be a quarter like 2026-Q3, or all");
  return f;
}

const std::vector<std::string>& PageNames() {
  static const std::vector<std::string> names = {"overview", "icp", "leads", "competitive", "activity", "health"};
  return names;
}

json CellJson(const Value& v) {
  return std::visit(
      [](const auto& x) -> json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, double>) {
          return std::isfinite(x) ? json(x) : json(nullptr);
        } else if constexpr (std::is_same_v<T, warehouse::Timestamp>) {
          std::string s = warehouse::FormatTimestamp(x);  // YYYY-MM-DD HH:MM:SS.ffffff
          return s.substr(0, 10) + "T" + s.substr(11, 8) + "Z";
        } else if constexpr (std::is_same_v<T, warehouse::Date>) {
          return warehouse::FormatDate(x);
        } else {
          return x;
        }
      },
      v);
}

json RowsJson(const ResultSet& rs) {
  json out = json::array();
  for (const auto& row : rs.rows) {
    json o = json::object();
    for (size_t c = 0; c < rs.columns.size(); ++c) o[rs.columns[c].name] = CellJson(row[c]);
    out.push_back(std::move(o));
  }
  return out;
}

// ---- filters --------------------------------------------------------------------------------------------------

json DashboardApi::FilterChoices(Warehouse& wh) const {
  Ctx p(wh, options_);
  json out;
  out["as_of"] = p.AsOf();
  out["default_period"] = QuarterOf(p.AsOf()).Label();
  out["pipelines"] = json::array();
  out["teams"] = json::array();
  out["owners"] = json::array();
  out["periods"] = json::array();
  if (!p.HasM("deals")) {
    out["message"] = "the marts are not built yet — run revlens build";
    return out;
  }
  out["pipelines"] =
      RowsJson(p.Query("SELECT pipeline_id AS id, MAX(pipeline_label) AS label, COUNT(*) AS deals FROM " +
                       p.M("deals") + " WHERE pipeline_id IS NOT NULL GROUP BY pipeline_id ORDER BY 2"));
  out["teams"] = RowsJson(p.Query("SELECT team_id AS id, MAX(team_name) AS label, COUNT(*) AS deals FROM " +
                                  p.M("deals") + " WHERE team_id IS NOT NULL GROUP BY team_id ORDER BY 2"));
  out["owners"] =
      RowsJson(p.Query("SELECT CAST(owner_id AS VARCHAR) AS id, MAX(owner_name) AS label, MAX(team_id) AS team, "
                       "COUNT(*) AS deals FROM " +
                       p.M("deals") + " WHERE owner_id IS NOT NULL GROUP BY owner_id ORDER BY 2"));
  // Quarters from the first deal to the last forecast period.
  const auto rs = p.Query("SELECT MIN(created_date) FROM " + p.M("deals"));
  std::string last = p.AsOf();
  if (p.HasM("forecast")) {
    const auto f = p.Query("SELECT MAX(period_end) FROM " + p.M("forecast") + " WHERE period_type = 'quarter'");
    if (f.RowCount() && !warehouse::IsNull(f.rows[0][0])) last = std::max(last, warehouse::ToString(f.rows[0][0]));
  }
  if (rs.RowCount() && !warehouse::IsNull(rs.rows[0][0])) {
    Quarter q = QuarterOf(warehouse::ToString(rs.rows[0][0]));
    const Quarter end = QuarterOf(last);
    for (int guard = 0; guard < 400 && (q.year < end.year || (q.year == end.year && q.q <= end.q)); ++guard) {
      out["periods"].push_back(q.Label());
      if (++q.q == 5) q = {q.year + 1, 1};
    }
  }
  return out;
}

// ---- overview -------------------------------------------------------------------------------------------------

json DashboardApi::Overview(Warehouse& wh, const Filters& f) const {
  Ctx p(wh, options_);
  json out;
  out["filters"] = FiltersJson(f);
  if (!p.HasM("deals")) {
    out["available"] = false;
    out["message"] = "the marts are not available yet — run revlens build";
    return out;
  }
  const std::string as_of = p.AsOf();
  const Period period = p.Resolve(f);
  out["as_of"] = as_of;
  out["period"] = period.ToJson();
  out["goal"] = options_.quarterly_goal > 0 ? json(options_.quarterly_goal) : json(nullptr);
  const std::string where = DealFilter(f, "d");

  // Bookings (won amount) per close quarter.
  json bookings = json::array();
  for (const auto& r :
       p.Query("SELECT EXTRACT(YEAR FROM d.closed_date) AS y, EXTRACT(QUARTER FROM d.closed_date) AS q, "
               "SUM(d.amount) AS bookings, COUNT(*) AS won_deals FROM " +
               p.M("deals") + " d WHERE d.is_won AND d.closed_date IS NOT NULL" + where +
               " GROUP BY 1, 2 ORDER BY 1, 2")
           .rows) {
    const Quarter q{static_cast<int>(Int(r[0])), static_cast<int>(Int(r[1]))};
    bookings.push_back({{"period", q.Label()}, {"bookings", Num(r[2])}, {"won_deals", Int(r[3])}});
  }
  out["bookings_by_quarter"] = bookings;

  // The period's figures.
  const auto k = p.Query(
      "SELECT SUM(CASE WHEN d.is_won THEN d.amount ELSE 0 END), SUM(CASE WHEN d.is_won THEN 1 ELSE 0 END), "
      "SUM(CASE WHEN d.is_lost THEN 1 ELSE 0 END) FROM " +
      p.M("deals") + " d WHERE d.closed_date BETWEEN " + DateLit(period.start) + " AND " + DateLit(period.end) + where);
  json kpi;
  kpi["bookings"] = Num(k.rows[0][0]);
  kpi["won_deals"] = Int(k.rows[0][1]);
  kpi["lost_deals"] = Int(k.rows[0][2]);
  const int64_t closed = Int(k.rows[0][1]) + Int(k.rows[0][2]);
  kpi["win_rate"] = closed ? json(static_cast<double>(Int(k.rows[0][1])) / static_cast<double>(closed)) : json(nullptr);
  kpi["goal_attainment"] = options_.quarterly_goal > 0 && period.label != "all"
                               ? json(Num(k.rows[0][0]) / options_.quarterly_goal)
                               : json(nullptr);

  // Open pipeline by stage at the period's end (or the as-of date, whichever is earlier).
  const std::string snap_day = std::min(period.end, as_of);
  out["pipeline_date"] = snap_day;
  if (p.HasM("daily_pipeline_snapshot")) {
    const auto rs = p.Query(
        "SELECT s.pipeline_id, MAX(d.pipeline_label) AS pipeline_label, s.deal_stage_id, MAX(s.deal_stage_label) AS "
        "stage_label, MAX(s.deal_stage_probability) AS probability, COUNT(*) AS deals, SUM(s.amount) AS amount, "
        "SUM(s.amount * s.deal_stage_probability) AS weighted FROM " +
        p.M("daily_pipeline_snapshot") + " s JOIN " + p.M("deals") +
        " d ON d.deal_id = s.deal_id WHERE s.is_open AND s.date_day = " + DateLit(snap_day) + DealFilter(f, "d", "s") +
        " GROUP BY s.pipeline_id, s.deal_stage_id ORDER BY 1, 5, 4");
    out["pipeline_by_stage"] = RowsJson(rs);
    double amount = 0;
    int64_t deals = 0;
    for (const auto& r : rs.rows) {
      amount += Num(r[6]);
      deals += Int(r[5]);
    }
    kpi["open_pipeline"] = amount;
    kpi["open_deals"] = deals;
  } else {
    out["pipeline_by_stage"] = Missing("the pipeline snapshot is", "revlens build");
  }
  out["kpi"] = kpi;

  // The forecast beside weighted pipeline and commit.
  const auto slice = ForecastSlice(f);
  out["forecast_slice"] = {{"type", slice.first}, {"value", slice.second}};
  if (p.HasM("forecast")) {
    const auto rs = p.Query(
        "SELECT period, period_start, period_end, slice_label, p10, p50, p90, mean, closed_so_far, open_deals, "
        "weighted_pipeline, commit, best_case, pipeline, run_rate, as_of, run_id, computed_at FROM " +
        p.M("forecast") + " WHERE period_type = 'quarter' AND " + SliceWhere(slice) + " ORDER BY period_start");
    json fc = {{"available", true}, {"rows", RowsJson(rs)}};
    if (rs.RowCount() == 0) fc["message"] = "no forecast rows for this " + slice.first + " (run revlens forecast)";
    if (slice.first != "total" && (!f.pipeline.empty() + !f.team.empty() + !f.owner.empty()) > 1)
      fc["note"] = "the forecast is sliced by one of pipeline, team or owner at a time: showing the " + slice.first;
    out["forecast"] = fc;
  } else {
    out["forecast"] = Missing("the forecast is", "revlens forecast");
  }

  // Backtest: each past quarter's actual bookings against what each method said at its start.
  if (p.HasM("forecast_backtest")) {
    std::set<std::string> cols;
    for (const auto& c : p.Query("SELECT * FROM " + p.M("forecast_backtest") + " WHERE 1 = 0").columns)
      cols.insert(c.name);
    static const std::vector<std::string> methods = {"revlens",   "weighted_pipeline", "commit",
                                                     "best_case", "pipeline",          "run_rate"};
    std::string sel = "period, actual, p10, p50, p90, covered";
    std::vector<std::string> present;
    for (const auto& m : methods) {
      if (cols.count("error_" + m)) {
        present.push_back(m);
        sel += ", " + Warehouse::QuoteIdent("error_" + m);
        if (m != "revlens" && cols.count(m)) sel += ", " + Warehouse::QuoteIdent(m);
      }
    }
    const auto rs = p.Query("SELECT " + sel + " FROM " + p.M("forecast_backtest") +
                            " WHERE period_type = 'quarter' AND " + SliceWhere(slice) + " ORDER BY period_start");
    json acc = json::array();
    for (const auto& m : present) {
      double ape = 0;
      int64_t n = 0;
      const size_t ci = rs.ColumnIndex("error_" + m);
      for (const auto& r : rs.rows) {
        const double actual = Num(r[1]);
        if (actual > 0 && !warehouse::IsNull(r[ci])) {
          ape += std::fabs(Num(r[ci])) / actual;
          ++n;
        }
      }
      acc.push_back({{"method", m}, {"mape", n ? json(ape / static_cast<double>(n)) : json(nullptr)}, {"periods", n}});
    }
    int64_t covered = 0;
    for (const auto& r : rs.rows) covered += !warehouse::IsNull(r[5]) && std::get<bool>(r[5]);
    out["backtest"] = {
        {"available", true},
        {"rows", RowsJson(rs)},
        {"accuracy", acc},
        {"coverage",
         rs.RowCount() ? json(static_cast<double>(covered) / static_cast<double>(rs.RowCount())) : json(nullptr)}};
  } else {
    out["backtest"] = Missing("the forecast backtest is", "revlens forecast --backtest");
  }
  return out;
}

// ---- ICP ------------------------------------------------------------------------------------------------------

json DashboardApi::Icp(Warehouse& wh, const Filters& f) const {
  Ctx p(wh, options_);
  json out;
  out["filters"] = FiltersJson(f);
  out["note"] = "ICP segments are measured over all closed deals; the filters do not narrow them";
  if (!p.HasM("icp_segments")) {
    out["segments"] = Missing("ICP analysis is", "revlens icp");
  } else {
    const auto rs = p.Query(
        "SELECT dimension, segment, label, deals, wins, win_rate, ci_low, ci_high, base_win_rate, lift, "
        "avg_won_amount, "
        "acv_ratio, mean_cycle_days, conversion_rate, conversion_lift, q_value, significant, busy_losing, run_id, "
        "computed_at FROM " +
        p.M("icp_segments") + " ORDER BY significant DESC, lift DESC, deals DESC");
    int64_t significant = 0, busy = 0;
    for (const auto& r : rs.rows) {
      significant += !warehouse::IsNull(r[16]) && std::get<bool>(r[16]);
      busy += !warehouse::IsNull(r[17]) && std::get<bool>(r[17]);
    }
    out["segments"] = {{"available", true},
                       {"rows", RowsJson(rs)},
                       {"significant", significant},
                       {"busy_losing", busy},
                       {"run_id", rs.RowCount() ? CellJson(rs.rows[0][18]) : json(nullptr)},
                       {"computed_at", rs.RowCount() ? CellJson(rs.rows[0][19]) : json(nullptr)}};
  }
  if (!p.HasM("company_icp_fit")) {
    out["fit"] = Missing("ICP fit scores are", "revlens icp");
  } else {
    json hist = json::array();
    for (const auto& r : p.Query("SELECT FLOOR(icp_fit / 10) AS b, COUNT(*) AS n FROM " + p.M("company_icp_fit") +
                                 " WHERE icp_fit IS NOT NULL GROUP BY 1 ORDER BY 1")
                             .rows) {
      const int64_t b = std::min<int64_t>(9, std::max<int64_t>(0, Int(r[0])));
      hist.push_back({{"from", b * 10}, {"to", b * 10 + 10}, {"companies", Int(r[1])}});
    }
    // Merge a possible 100 bucket into 90-100.
    json merged = json::array();
    for (const auto& h : hist) {
      if (!merged.empty() && merged.back()["from"] == h["from"])
        merged.back()["companies"] = merged.back()["companies"].get<int64_t>() + h["companies"].get<int64_t>();
      else
        merged.push_back(h);
    }
    const std::string name = p.HasM("companies") ? "c.company_name, c.industry, c.country, c.is_customer, " : "";
    const std::string join =
        p.HasM("companies") ? " LEFT JOIN " + p.M("companies") + " c ON c.company_id = f.company_id" : "";
    const auto top = p.Query("SELECT f.company_id, " + name + "f.icp_fit, f.top_segment FROM " +
                             p.M("company_icp_fit") + " f" + join + " ORDER BY f.icp_fit DESC, f.company_id LIMIT 25");
    out["fit"] = {{"available", true}, {"histogram", merged}, {"top_companies", RowsJson(top)}};
  }
  return out;
}

// ---- leads ----------------------------------------------------------------------------------------------------

json DashboardApi::Leads(Warehouse& wh, const Filters& f) const {
  Ctx p(wh, options_);
  json out;
  out["filters"] = FiltersJson(f);
  const Period period = p.Resolve(f);
  out["period"] = period.ToJson();
  out["note"] =
      "leads are contacts created in the period, of the owner or team chosen; the pipeline filter does not apply";
  if (!p.HasM("lead_scores")) {
    out["scores"] = Missing("lead scores are", "revlens score");
  } else {
    const bool contacts = p.HasM("contacts");
    // Join the contacts only when a filter needs them (a 200k-row join costs more than the counts themselves).
    const bool narrowed = contacts && (period.label != "all" || !f.owner.empty() || !f.team.empty());
    const std::string scores = p.M("lead_scores") + " s";
    const std::string joined =
        contacts ? scores + " LEFT JOIN " + p.M("contacts") + " c ON c.contact_id = s.contact_id" : scores;
    std::string from = narrowed ? joined : scores;
    std::string where = " WHERE (s.shadow IS NULL OR NOT s.shadow)";
    if (contacts) {
      if (period.label != "all")
        where += " AND c.contact_created_at >= " + DateLit(period.start) + " AND c.contact_created_at < " +
                 DateLit(period.end) + " + INTERVAL '1 day'";
      where += OwnerFilter(p, f, "c.owner_id");
    }
    // likelihood is a calibrated probability in percent, mostly a few percent: doubling bins (<=0.25%, 0.25-0.5%,
    // ..., 64-100%) show its shape where equal-width bins would put nearly everyone in the first one.
    std::vector<int64_t> counts(10, 0);
    for (const auto& r : p.Query("SELECT CASE WHEN s.likelihood <= 0.25 THEN 0 ELSE FLOOR(LN(s.likelihood / 0.25) / "
                                 "LN(2)) + 1 END AS b, COUNT(*) AS n FROM " +
                                 from + where + " GROUP BY 1 ORDER BY 1")
                             .rows) {
      if (!warehouse::IsNull(r[0])) counts[static_cast<size_t>(std::clamp<int64_t>(Int(r[0]), 0, 9))] += Int(r[1]);
    }
    json hist = json::array();
    for (int b = 0; b < 10; ++b) {
      const double from_pct = b == 0 ? 0 : 0.25 * std::pow(2.0, b - 1);
      const double to_pct = b == 9 ? 100 : 0.25 * std::pow(2.0, b);
      hist.push_back({{"bin", b}, {"from", from_pct}, {"to", to_pct}, {"contacts", counts[static_cast<size_t>(b)]}});
    }
    const auto tiers = p.Query("SELECT s.tier, COUNT(*) AS contacts, AVG(s.likelihood) AS mean_likelihood FROM " +
                               from + where + " GROUP BY s.tier ORDER BY s.tier");
    int64_t total = 0;
    for (const auto& r : tiers.rows) total += Int(r[1]);
    const std::string who =
        contacts ? "c.firstname, c.lastname, c.email, c.company_name, c.owner_name, c.lifecycle_stage, " : "";
    const std::string open = contacts ? " AND (c.lifecycle_stage IS NULL OR c.lifecycle_stage NOT IN ('customer', "
                                        "'evangelist'))"
                                      : "";
    // Pick the 25 ids on narrow rows first, then fetch their text: sorting every joined row with its reasons and
    // names would carry all of them through the sort.
    const auto top =
        p.Query("WITH best AS (SELECT s.contact_id, s.likelihood FROM " + joined + where + open +
                " ORDER BY s.likelihood DESC, s.contact_id LIMIT 25) SELECT s.contact_id, " + who +
                "s.likelihood, s.tier, s.fit, s.engagement, s.reasons, s.fit_reasons, s.engagement_reasons, "
                "s.model_version, s.scored_at FROM best JOIN " +
                scores + " ON s.contact_id = best.contact_id" +
                (contacts ? " LEFT JOIN " + p.M("contacts") + " c ON c.contact_id = s.contact_id" : "") + where +
                " ORDER BY s.likelihood DESC, s.contact_id");
    out["scores"] = {{"available", true},
                     {"contacts", total},
                     {"histogram", hist},
                     {"tiers", RowsJson(tiers)},
                     {"top_leads", RowsJson(top)}};
  }
  if (!p.HasM("model_runs")) {
    out["model"] = Missing("the scoring model is", "revlens score");
  } else {
    const auto rs = p.Query(
        "SELECT run_id, model_version, trained_at, ran_at, status, target, as_of_date, usable, message, metrics, "
        "features "
        "FROM " +
        p.M("model_runs") + " ORDER BY ran_at DESC LIMIT 30");
    json runs = json::array();
    for (const auto& r : rs.rows) {
      const json m = ParseJsonText(r[9]);
      json run = {{"run_id", CellJson(r[0])},     {"model_version", CellJson(r[1])}, {"trained_at", CellJson(r[2])},
                  {"ran_at", CellJson(r[3])},     {"status", CellJson(r[4])},        {"target", CellJson(r[5])},
                  {"as_of_date", CellJson(r[6])}, {"usable", CellJson(r[7])},        {"message", CellJson(r[8])}};
      const json* lk = m.is_object() && m.contains("holdout") && m["holdout"].contains("likelihood")
                           ? &m["holdout"]["likelihood"]
                           : nullptr;
      run["auc"] = lk && lk->contains("auc_roc") ? (*lk)["auc_roc"] : json(nullptr);
      run["score_psi"] =
          m.is_object() && m.contains("drift") ? m["drift"].value("score_psi", json(nullptr)) : json(nullptr);
      run["drift_alert"] =
          m.is_object() && m.contains("drift") ? m["drift"].value("alert", json(nullptr)) : json(nullptr);
      if (runs.empty()) {
        run["metrics"] = m;
        const json feats = ParseJsonText(r[10]);
        json used = json::array();
        if (feats.is_object() && feats.contains("used"))
          for (const auto& x : feats["used"]) {
            if (used.size() >= 15) break;
            used.push_back(x);
          }
        run["features"] = used;
      }
      runs.push_back(std::move(run));
    }
    out["model"] = {{"available", true}, {"runs", runs}};
  }
  return out;
}

// ---- competitive ----------------------------------------------------------------------------------------------

json DashboardApi::Competitive(Warehouse& wh, const Filters& f) const {
  Ctx p(wh, options_);
  json out;
  out["filters"] = FiltersJson(f);
  const Period period = p.Resolve(f);
  out["period"] = period.ToJson();
  if (!p.HasM("competitor_stats")) {
    out["stats"] = Missing("competitive intel is", "revlens compete");
    return out;
  }
  out["stats"] = {
      {"available", true},
      {"note", "win rates are measured over all closed deals; the filters narrow the deals and mentions below"},
      {"rows",
       RowsJson(p.Query("SELECT competitor, deals_involved, open_deals, mentions, closed_deals, won_deals, "
                        "win_rate, win_rate_low, win_rate_high, baseline_win_rate, win_rate_diff, q_value, "
                        "significant, median_amount, amount_ratio, median_cycle_days, top_loss_reasons, top_rep, "
                        "last_mentioned_at, computed_at FROM " +
                        p.M("competitor_stats") + " ORDER BY deals_involved DESC, competitor"))}};
  if (p.HasM("competitor_monthly")) {
    out["monthly"] = RowsJson(p.Query("SELECT competitor, month, mentions, deals_mentioned FROM " +
                                      p.M("competitor_monthly") + " ORDER BY month, competitor"));
  }
  // Deals in the filters (created in the period) that involve a competitor.
  if (p.HasM("deal_competitors") && p.HasM("deals")) {
    const std::string base = " FROM " + p.M("deal_competitors") + " dc JOIN " + p.M("deals") +
                             " d ON d.deal_id = dc.deal_id WHERE 1 = 1" + DealFilter(f, "d");
    const std::string in_period =
        period.label == "all" ? ""
                              : " AND d.created_date BETWEEN " + DateLit(period.start) + " AND " + DateLit(period.end);
    std::map<std::string, std::pair<int64_t, double>> per;  // competitor -> deals, amount
    for (const auto& r : p.Query("SELECT dc.competitors, d.amount" + base + in_period).rows) {
      // `competitors` lists names separated by commas or semicolons.
      std::string item;
      for (char c : Text(r[0]) + ",") {
        if (c == ',' || c == ';') {
          const auto b = item.find_first_not_of(' ');
          const auto e = item.find_last_not_of(' ');
          if (b != std::string::npos) {
            auto& x = per[item.substr(b, e - b + 1)];
            ++x.first;
            x.second += Num(r[1]);
          }
          item.clear();
        } else {
          item += c;
        }
      }
    }
    json by = json::array();
    for (const auto& [name, v] : per) by.push_back({{"competitor", name}, {"deals", v.first}, {"amount", v.second}});
    out["deals_in_filter"] = by;
    out["open_deals"] =
        RowsJson(p.Query("SELECT d.deal_id, d.deal_name, d.amount, d.deal_stage_label, d.owner_name, d.closed_date, "
                         "d.first_expected_close_date, dc.competitors" +
                         base + " AND d.is_open ORDER BY d.amount DESC, d.deal_id LIMIT 25"));
  }
  if (p.HasM("competitor_mentions")) {
    std::string w = " WHERE 1 = 1";
    if (!f.owner.empty()) w += " AND owner_id = " + f.owner;
    if (period.label != "all")
      w += " AND mentioned_at >= " + DateLit(period.start) + " AND mentioned_at < " + DateLit(period.end) +
           " + INTERVAL '1 day'";
    out["mentions"] =
        RowsJson(p.Query("SELECT competitor, source, deal_id, owner_id, matched_text, snippet, mentioned_at "
                         "FROM " +
                         p.M("competitor_mentions") + w + " ORDER BY mentioned_at DESC LIMIT 20"));
  }
  return out;
}

// ---- activity -------------------------------------------------------------------------------------------------

json DashboardApi::Activity(Warehouse& wh, const Filters& f) const {
  Ctx p(wh, options_);
  json out;
  out["filters"] = FiltersJson(f);
  const Period period = p.Resolve(f);
  out["period"] = period.ToJson();
  if (p.HasM("owner_performance_weekly")) {
    std::string w = " WHERE w.week_start BETWEEN " + DateLit(period.start) + " AND " + DateLit(period.end);
    if (!f.team.empty()) w += " AND w.team_id = " + Lit(f.team);
    if (!f.owner.empty()) w += " AND w.owner_id = " + f.owner;
    out["weekly"] = RowsJson(p.Query(
        "SELECT w.week_start, SUM(w.calls) AS calls, SUM(w.emails) AS emails, SUM(w.meetings) AS meetings, "
        "SUM(w.engagements) AS engagements, SUM(w.deals_created) AS deals_created, SUM(w.won_deals) AS won_deals "
        "FROM " +
        p.M("owner_performance_weekly") + " w" + w + " GROUP BY w.week_start ORDER BY w.week_start"));
    out["reps"] = RowsJson(p.Query(
        "SELECT w.owner_id, MAX(w.owner_name) AS owner_name, MAX(w.team_name) AS team_name, SUM(w.engagements) AS "
        "engagements, SUM(w.calls) AS calls, SUM(w.emails) AS emails, SUM(w.meetings) AS meetings, "
        "SUM(w.deals_created) AS deals_created, SUM(w.won_deals) AS won_deals, SUM(w.lost_deals) AS lost_deals, "
        "SUM(w.bookings_amount) AS bookings FROM " +
        p.M("owner_performance_weekly") + " w" + w + " GROUP BY w.owner_id ORDER BY 4 DESC, 1 LIMIT 50"));
  } else {
    out["weekly"] = Missing("weekly rep activity is", "revlens build");
  }
  // The activity product's result tables (named activity_*), whatever their layout.
  const auto tables = p.Query("SELECT DISTINCT table_name FROM information_schema.tables WHERE table_schema = " +
                              Lit(options_.model_schema) + " AND table_name LIKE 'activity%' ORDER BY 1");
  if (tables.RowCount() == 0) {
    out["analysis"] = Missing("activity analysis is", "revlens activity");
  } else {
    json list = json::array();
    for (const auto& r : tables.rows) {
      const std::string t = Text(r[0]);
      const int64_t n = p.Query("SELECT COUNT(*) FROM " + p.M(t)).Scalar<int64_t>();
      list.push_back(
          {{"table", t}, {"row_count", n}, {"rows", RowsJson(p.Query("SELECT * FROM " + p.M(t) + " LIMIT 50"))}});
    }
    out["analysis"] = {{"available", true}, {"tables", list}};
  }
  return out;
}

// ---- data health ----------------------------------------------------------------------------------------------

json DashboardApi::Health(Warehouse& wh) const {
  Ctx p(wh, options_);
  json out;
  const int64_t now_ms = NowMs(options_);
  out["now"] = CellJson(warehouse::TimestampFromMillis(now_ms));

  // Syncs: the last runs, the resources of the last successful one, and its age.
  if (!p.HasR("sync_runs")) {
    out["sync"] = Missing("sync history is", "revlens sync");
  } else {
    const auto rs = p.Query("SELECT run_id, started_at, finished_at, status, summary FROM " + p.R("sync_runs") +
                            " ORDER BY started_at DESC LIMIT 10");
    json runs = json::array();
    json resources = json::array();
    json last_ok = nullptr;
    for (const auto& r : rs.rows) {
      const json s = ParseJsonText(r[4]);
      json run = {{"run_id", CellJson(r[0])},
                  {"started_at", CellJson(r[1])},
                  {"finished_at", CellJson(r[2])},
                  {"status", CellJson(r[3])}};
      if (s.is_object()) {
        for (const char* k : {"seconds", "requests", "rows_written", "quarantined", "rate_limited", "retries"})
          run[k] = s.value(k, json(nullptr));
      }
      const bool ok = Text(r[3]) == "ok";
      if (ok && last_ok.is_null()) {
        const auto* ts = std::get_if<warehouse::Timestamp>(&r[2]);
        const double age_h = ts ? static_cast<double>(now_ms - ts->micros / 1000) / 3600000.0 : -1;
        last_ok = {{"run_id", CellJson(r[0])},
                   {"finished_at", CellJson(r[2])},
                   {"age_hours", age_h},
                   {"status", age_h < 0     ? "unknown"
                              : age_h <= 24 ? "fresh"
                              : age_h <= 48 ? "warn"
                                            : "stale"}};
        if (s.is_object() && s.contains("resources") && s["resources"].is_object())
          for (const auto& [name, v] : s["resources"].items()) {
            json x = {{"resource", name}};
            for (const char* k : {"mode", "records_read", "rows_written", "quarantined", "requests", "seconds"})
              x[k] = v.value(k, json(nullptr));
            resources.push_back(std::move(x));
          }
      }
      runs.push_back(std::move(run));
    }
    json state = json::array();
    if (p.HasR("sync_state"))
      state = RowsJson(p.Query("SELECT resource, MAX(updated_at) AS updated_at FROM " + p.R("sync_state") +
                               " GROUP BY resource ORDER BY resource"));
    out["sync"] = {{"available", true},      {"runs", runs},   {"last_success", last_ok},
                   {"resources", resources}, {"state", state}, {"thresholds_hours", {{"warn", 24}, {"error", 48}}}};
  }

  // The nightly job's steps, the data tests among them.
  if (!p.HasM("runs")) {
    out["runs"] = Missing("the nightly job's history (with the model tests) is", "revlens run");
  } else {
    const auto latest = p.Query("SELECT run_id FROM " + p.M("runs") + " ORDER BY started_at DESC LIMIT 1");
    json steps = json::array();
    json tests = nullptr;
    if (latest.RowCount()) {
      const auto rs = p.Query("SELECT step, status, seconds, message, summary, started_at FROM " + p.M("runs") +
                              " WHERE run_id = " + Lit(Text(latest.rows[0][0])) + " ORDER BY step_order");
      for (const auto& r : rs.rows) {
        steps.push_back({{"step", CellJson(r[0])},
                         {"status", CellJson(r[1])},
                         {"seconds", CellJson(r[2])},
                         {"message", CellJson(r[3])},
                         {"started_at", CellJson(r[5])}});
        if (Text(r[0]) == "build") {
          const json s = ParseJsonText(r[4]);
          if (s.is_object())
            tests = {{"tests", s.value("tests", json(nullptr))},
                     {"passed", s.value("passed", json(nullptr))},
                     {"failures", s.value("failures", json::array())},
                     {"warnings", s.value("warnings", json::array())}};
        }
      }
    }
    const auto history = p.Query(
        "SELECT run_id, MIN(started_at) AS started_at, MAX(finished_at) AS finished_at, SUM(seconds) AS seconds, "
        "SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed_steps FROM " +
        p.M("runs") + " GROUP BY run_id ORDER BY 2 DESC LIMIT 10");
    out["runs"] = {{"available", true},
                   {"latest_run", latest.RowCount() ? CellJson(latest.rows[0][0]) : json(nullptr)},
                   {"steps", steps},
                   {"model_tests", tests},
                   {"history", RowsJson(history)}};
  }

  // Quarantined records.
  if (!p.HasR("quarantine")) {
    out["quarantine"] = Missing("the quarantine is", "revlens sync");
  } else {
    out["quarantine"] = {
        {"available", true},
        {"total", p.Query("SELECT COUNT(*) FROM " + p.R("quarantine")).Scalar<int64_t>()},
        {"by_resource", RowsJson(p.Query("SELECT resource, COUNT(*) AS records FROM " + p.R("quarantine") +
                                         " GROUP BY resource ORDER BY 2 DESC"))},
        {"latest", RowsJson(p.Query("SELECT resource, record_id, reason, quarantined_at, run_id FROM " +
                                    p.R("quarantine") + " ORDER BY quarantined_at DESC LIMIT 20"))}};
  }

  // Model runs: the scoring model's runs, and when each product last wrote its table.
  json products = json::array();
  struct Product {
    const char* name;
    const char* table;
    const char* at;
    const char* command;
  };
  static const Product kProducts[] = {
      {"lead scoring", "lead_scores", "scored_at", "revlens score"},
      {"ICP segments", "icp_segments", "computed_at", "revlens icp"},
      {"ICP fit", "company_icp_fit", "scored_at", "revlens icp"},
      {"competitive", "competitor_stats", "computed_at", "revlens compete"},
      {"forecast", "forecast", "computed_at", "revlens forecast"},
      {"deal predictions", "deal_predictions", "predicted_at", "revlens forecast"},
      {"forecast backtest", "forecast_backtest", "computed_at", "revlens forecast --backtest"}};
  for (const auto& x : kProducts) {
    if (!p.HasM(x.table)) {
      products.push_back({{"product", x.name},
                          {"table", x.table},
                          {"available", false},
                          {"message", std::string("not available yet — run ") + x.command}});
      continue;
    }
    const auto rs = p.Query(std::string("SELECT COUNT(*), MAX(") + x.at + ") FROM " + p.M(x.table));
    products.push_back({{"product", x.name},
                        {"table", x.table},
                        {"available", true},
                        {"rows", Int(rs.rows[0][0])},
                        {"last_run", CellJson(rs.rows[0][1])}});
  }
  out["products"] = products;
  if (p.HasM("model_runs")) {
    out["model_runs"] = {
        {"available", true},
        {"rows", RowsJson(p.Query("SELECT run_id, model_version, ran_at, status, target, usable, message "
                                  "FROM " +
                                  p.M("model_runs") + " ORDER BY ran_at DESC LIMIT 20"))}};
  } else {
    out["model_runs"] = Missing("scoring model runs are", "revlens score");
  }

  // Alerts sent (the alerts table's layout belongs to `revlens alert`: shown as it is, newest first).
  if (!p.HasM("alerts")) {
    out["alerts"] = Missing("alerts are", "revlens alert");
  } else {
    const auto cols = p.Query("SELECT * FROM " + p.M("alerts") + " WHERE 1 = 0").columns;
    std::string order;
    bool has_status = false;
    for (const auto& c : cols) {
      if (order.empty() && c.type == warehouse::ColumnType::kTimestamp) order = Warehouse::QuoteIdent(c.name);
      has_status |= c.name == "status";
    }
    json a = {{"available", true},
              {"total", p.Query("SELECT COUNT(*) FROM " + p.M("alerts")).Scalar<int64_t>()},
              {"latest", RowsJson(p.Query("SELECT * FROM " + p.M("alerts") +
                                          (order.empty() ? "" : " ORDER BY " + order + " DESC") + " LIMIT 30"))}};
    if (has_status)
      a["by_status"] = RowsJson(
          p.Query("SELECT status, COUNT(*) AS alerts FROM " + p.M("alerts") + " GROUP BY status ORDER BY 2 DESC"));
    out["alerts"] = a;
  }
  return out;
}

json DashboardApi::Page(std::string_view page, Warehouse& wh, const Filters& f) const {
  if (page == "filters") return FilterChoices(wh);
  if (page == "overview") return Overview(wh, f);
  if (page == "icp") return Icp(wh, f);
  if (page == "leads") return Leads(wh, f);
  if (page == "competitive") return Competitive(wh, f);
  if (page == "activity") return Activity(wh, f);
  if (page == "health") return Health(wh);
  throw InvalidInputError("no dashboard page '" + std::string(page) + "'");
}

}  // namespace revlens::dashboard
