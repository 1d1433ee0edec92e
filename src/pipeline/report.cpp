#include "pipeline/report.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "pipeline/report_svg.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::pipeline {
namespace {

namespace fs = std::filesystem;
using svg::Esc;
using svg::Format;
using warehouse::ResultSet;
using warehouse::Value;
using warehouse::Warehouse;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---------------------------------------------------------------------------------------------------------------
// CSV

bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return false;
  if (s.front() == ' ' || s.back() == ' ') return true;
  return s.find_first_of(",\"\r\n") != std::string::npos;
}

void AppendField(std::string& out, const std::string& s) {
  if (!NeedsQuotes(s)) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

/// Export one table; returns its row count.
int64_t WriteCsv(Warehouse& wh, const std::string& schema, const std::string& table, const fs::path& path) {
  std::string select;
  for (const auto& c : wh.Columns(schema, table)) {
    // The serialized model is megabytes of JSON per run: it stays in the warehouse.
    if (table == "model_runs" && c.name == "artifact") continue;
    select += (select.empty() ? "" : ", ") + Warehouse::QuoteIdent(c.name);
  }
  const ResultSet rs = wh.Query("SELECT " + select + " FROM " + Warehouse::QualifiedName(schema, table));
  std::string out;
  for (size_t i = 0; i < rs.columns.size(); ++i) {
    if (i) out += ',';
    AppendField(out, rs.columns[i].name);
  }
  out += "\r\n";
  for (const auto& row : rs.rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i) out += ',';
      if (!warehouse::IsNull(row[i])) AppendField(out, warehouse::ToString(row[i]));
    }
    out += "\r\n";
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << out;
  f.close();
  if (!f) throw IOError("could not write " + path.string());
  return static_cast<int64_t>(rs.RowCount());
}

// ---------------------------------------------------------------------------------------------------------------
// Reading values

double D(const Value& v) {
  if (warehouse::IsNull(v)) return kNaN;
  if (const auto* b = std::get_if<bool>(&v)) return *b ? 1 : 0;
  return warehouse::AsDouble(v);
}
std::string S(const Value& v) {
  return warehouse::IsNull(v) ? "" : warehouse::ToString(v);
}

/// A cell for an HTML table: numbers trimmed, money-sized numbers with thousands separators.
std::string Cell(const Value& v) {
  if (warehouse::IsNull(v)) return "";
  if (const auto* d = std::get_if<double>(&v)) {
    if (!std::isfinite(*d)) return "-";
    char buf[48];
    if (std::fabs(*d) >= 1000) {
      std::snprintf(buf, sizeof buf, "%.0f", *d);
      std::string s = buf, out;
      const size_t start = s[0] == '-' ? 1 : 0;
      for (size_t i = 0; i < s.size(); ++i) {
        if (i > start && (s.size() - i) % 3 == 0) out += ',';
        out += s[i];
      }
      return out;
    }
    std::snprintf(buf, sizeof buf, "%.3g", *d);
    return buf;
  }
  if (const auto* t = std::get_if<warehouse::Timestamp>(&v)) return warehouse::FormatTimestamp(*t).substr(0, 19);
  return warehouse::ToString(v);
}

std::string Pct(double v) {
  return svg::FormatValue(v, Format::kPercent);
}
std::string F(const char* format, double v) {
  if (!std::isfinite(v)) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// ---------------------------------------------------------------------------------------------------------------
// HTML

/// The report being written, with the tables the schema holds.
class Page {
 public:
  Page(Warehouse& wh, std::string schema, std::set<std::string> tables)
      : wh_(wh), schema_(std::move(schema)), tables_(std::move(tables)) {}

  bool Has(const std::string& table) const { return tables_.count(table) > 0; }
  /// True when `table` is present with every one of `columns` (a product's table of another shape is shown as is).
  bool HasColumns(const std::string& table, const std::vector<std::string>& columns) {
    if (!Has(table)) return false;
    std::set<std::string> have;
    for (const auto& c : wh_.Columns(schema_, table)) have.insert(c.name);
    return std::all_of(columns.begin(), columns.end(), [&](const std::string& c) { return have.count(c) > 0; });
  }
  std::string T(const std::string& table) const { return Warehouse::QualifiedName(schema_, table); }
  ResultSet Q(const std::string& sql) { return wh_.Query(sql); }
  const std::set<std::string>& Tables() const { return tables_; }

  std::string html;
  void Add(const std::string& s) { html += s; }
  void H2(const std::string& id, const std::string& title) {
    html += "<section id=\"" + id + "\"><h2>" + Esc(title) + "</h2>";
  }
  void End() { html += "</section>"; }
  void P(const std::string& text, const char* cls = nullptr) {
    html += std::string("<p") + (cls ? std::string(" class=\"") + cls + "\"" : "") + ">" + Esc(text) + "</p>";
  }
  void Missing(const std::string& text) { P(text, "missing"); }
  void Figure(const std::string& caption, const std::string& svg) {
    html += "<figure>" + svg + "<figcaption>" + Esc(caption) + "</figcaption></figure>";
  }
  /// An HTML table of the result's rows; `headers` replace the column names when given.
  void Table(const ResultSet& rs, const std::vector<std::string>& headers = {}) {
    html += "<table><thead><tr>";
    for (size_t i = 0; i < rs.columns.size(); ++i)
      html += "<th>" + Esc(i < headers.size() ? headers[i] : rs.columns[i].name) + "</th>";
    html += "</tr></thead><tbody>";
    for (const auto& row : rs.rows) {
      html += "<tr>";
      for (const auto& v : row) {
        const bool num = std::holds_alternative<double>(v) || std::holds_alternative<int64_t>(v);
        html += std::string(num ? "<td class=\"n\">" : "<td>") + Esc(Cell(v)) + "</td>";
      }
      html += "</tr>";
    }
    html += "</tbody></table>";
  }
  /// A table from strings.
  void Table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows) {
    html += "<table><thead><tr>";
    for (const auto& h : headers) html += "<th>" + Esc(h) + "</th>";
    html += "</tr></thead><tbody>";
    for (const auto& row : rows) {
      html += "<tr>";
      for (const auto& c : row) html += "<td>" + Esc(c) + "</td>";
      html += "</tr>";
    }
    html += "</tbody></table>";
  }

 private:
  Warehouse& wh_;
  std::string schema_;
  std::set<std::string> tables_;
};

void RunsSection(Page& p) {
  p.H2("runs", "Nightly job");
  if (!p.Has("runs")) {
    p.Missing("No nightly run recorded in this schema yet (the runs table is written by revlens run).");
    p.End();
    return;
  }
  const auto last = p.Q("SELECT run_id FROM " + p.T("runs") + " ORDER BY started_at DESC, step_order DESC LIMIT 1");
  if (last.RowCount() == 0) {
    p.Missing("The runs table is empty.");
    p.End();
    return;
  }
  const std::string run_id = S(last.rows[0][0]);
  const auto steps = p.Q("SELECT step, status, seconds, message FROM " + p.T("runs") +
                         " WHERE run_id = " + Warehouse::QuoteLiteral(run_id) + " ORDER BY step_order");
  p.P("Latest run " + run_id + " (the report step itself is recorded after this file is written).");
  std::vector<svg::Bar> bars;
  for (const auto& r : steps.rows) {
    const std::string status = S(r[1]);
    if (status != "ok" && status != "warn" && status != "failed") continue;
    bars.push_back({S(r[0]), D(r[2]), {}, {}, status == "failed" ? "#dc2626" : status == "warn" ? "#f59e0b" : ""});
  }
  if (!bars.empty())
    p.Figure("Seconds per step (amber: warning, red: failed)", svg::HorizontalBars(bars, Format::kSeconds));
  p.Table(steps, {"step", "status", "seconds", "message"});
  const auto history =
      p.Q("SELECT run_id, MIN(started_at) AS started_at, SUM(seconds) AS seconds, "
          "SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed_steps, "
          "SUM(CASE WHEN status = 'warn' THEN 1 ELSE 0 END) AS warnings FROM " +
          p.T("runs") + " GROUP BY run_id ORDER BY MIN(started_at) DESC LIMIT 10");
  if (history.RowCount() > 1) {
    p.Add("<h3>Recent runs</h3>");
    p.Table(history);
  }
  p.End();
}

void LeadsSection(Page& p, std::vector<std::string>& without) {
  p.H2("leads", "Lead scoring");
  if (p.Has("model_runs")) {
    const auto m = p.Q("SELECT run_id, model_version, ran_at, status, usable, message, metrics FROM " +
                       p.T("model_runs") + " ORDER BY ran_at DESC LIMIT 1");
    if (m.RowCount() > 0) {
      const auto& r = m.rows[0];
      p.P("Latest model run " + S(r[0]) + " (" + S(r[3]) + ", model " + S(r[1]) + ", " + Cell(r[2]) + "): " + S(r[5]));
      nlohmann::json metrics = nlohmann::json::parse(S(r[6]), nullptr, false);
      if (metrics.is_object() && metrics.contains("holdout") && metrics["holdout"].is_object()) {
        std::vector<std::vector<std::string>> rows;
        auto num = [](const nlohmann::json& j, const char* k) {
          return j.contains(k) && j[k].is_number() ? j[k].get<double>() : kNaN;
        };
        for (const char* score : {"likelihood", "fit", "engagement"}) {
          if (!metrics["holdout"].contains(score)) continue;
          const auto& j = metrics["holdout"][score];
          rows.push_back({score, F("%.0f", num(j, "contacts")), F("%.0f", num(j, "conversions")),
                          F("%.3f", num(j, "auc_roc")),
                          F("%.3f", num(j, "auc_ci_low")) + "-" + F("%.3f", num(j, "auc_ci_high")),
                          F("%.3f", num(j, "pr_auc")), F("%.4f", num(j, "brier")), F("%.4f", num(j, "ece")),
                          F("%.2f", num(j, "top_decile_lift")), Pct(num(j, "tiers_ab_capture"))});
        }
        p.Add("<h3>Holdout metrics (the latest matured contacts, never seen in training)</h3>");
        p.Table({"score", "contacts", "conversions", "AUC", "95% CI", "PR AUC", "Brier", "ECE", "top-decile lift",
                 "tiers A+B capture"},
                rows);
      }
    }
  }
  if (!p.Has("lead_scores")) {
    p.Missing(
        "No lead scores in this schema: lead scoring has not run (or refused to train), so there is nothing "
        "to chart.");
    without.push_back("leads");
    p.End();
    return;
  }
  const auto tiers = p.Q("SELECT tier, COUNT(*) FROM " + p.T("lead_scores") + " GROUP BY tier ORDER BY tier");
  std::vector<std::string> labels;
  std::vector<double> counts;
  for (const auto& r : tiers.rows) {
    labels.push_back("tier " + S(r[0]));
    counts.push_back(D(r[1]));
  }
  p.Figure("Contacts per tier (A = the top quarter of the calibration slice)",
           svg::VerticalBars(labels, counts, Format::kNumber, "#16a34a"));
  const auto hist = p.Q("SELECT CAST(FLOOR(likelihood / 5) AS BIGINT) AS bucket, COUNT(*) FROM " + p.T("lead_scores") +
                        " WHERE likelihood IS NOT NULL GROUP BY 1 ORDER BY 1");
  std::vector<double> buckets(20, 0);
  for (const auto& r : hist.rows) {
    const auto b = std::clamp<int64_t>(warehouse::AsInt64(r[0]), 0, 19);
    buckets[static_cast<size_t>(b)] += D(r[1]);
  }
  std::vector<std::string> blabels;
  for (int b = 0; b < 20; ++b) blabels.push_back(std::to_string(b * 5) + "-" + std::to_string(b * 5 + 5));
  p.Figure("Likelihood score distribution (0-100: the calibrated probability in percent)",
           svg::VerticalBars(blabels, buckets, Format::kNumber));
  p.Add("<h3>Top leads</h3>");
  p.Table(p.Q("SELECT contact_id, likelihood, tier, fit, engagement, reasons FROM " + p.T("lead_scores") +
              " ORDER BY likelihood DESC, contact_id LIMIT 15"));
  p.End();
}

void IcpSection(Page& p, std::vector<std::string>& without) {
  p.H2("icp", "Ideal customer profile");
  if (!p.Has("icp_segments")) {
    p.Missing("No ICP results in this schema: the ICP analysis has not run.");
    without.push_back("icp");
    p.End();
    return;
  }
  const auto counts = p.Q("SELECT COUNT(*), SUM(CASE WHEN significant THEN 1 ELSE 0 END), MAX(base_win_rate) FROM " +
                          p.T("icp_segments"));
  const double base = counts.RowCount() ? D(counts.rows[0][2]) : kNaN;
  const int64_t tested = counts.RowCount() ? warehouse::AsInt64(counts.rows[0][0]) : 0;
  const int64_t sig =
      counts.RowCount() && !warehouse::IsNull(counts.rows[0][1]) ? warehouse::AsInt64(counts.rows[0][1]) : 0;
  p.P(std::to_string(tested) + " segments tested, " + std::to_string(sig) +
      " significant after false-discovery control; base win rate " + Pct(base) + ".");
  const std::string order = "COALESCE(conversion_lift, lift) DESC";
  const auto top =
      p.Q("SELECT label, dimension, deals, win_rate, ci_low, ci_high, lift, conversion_lift, q_value, "
          "busy_losing FROM " +
          p.T("icp_segments") + (sig > 0 ? " WHERE significant" : "") + " ORDER BY " + (sig > 0 ? order : "q_value") +
          ", dimension, segment LIMIT 15");
  std::vector<svg::Bar> bars;
  for (const auto& r : top.rows)
    bars.push_back({S(r[0]), D(r[3]), D(r[4]), D(r[5]), warehouse::AsBool(r[9]) ? "#f59e0b" : ""});
  if (!bars.empty()) {
    p.Figure(sig > 0 ? "Win rate of the significant segments, 95% Wilson intervals, against the base (dashed)"
                     : "No significant segment: the strongest candidates by q-value",
             svg::HorizontalBars(bars, Format::kPercent,
                                 std::isfinite(base) ? std::optional<double>(base) : std::nullopt, "base"));
  }
  p.Table(top, {"segment", "dimension", "deals", "win rate", "CI low", "CI high", "lift", "lead conversion lift", "q",
                "busy but losing"});
  const auto busy = p.Q("SELECT label, dimension, deals, win_rate, activity_ratio, leads_ratio FROM " +
                        p.T("icp_segments") + " WHERE busy_losing ORDER BY win_rate LIMIT 10");
  if (busy.RowCount() > 0) {
    p.Add("<h3>Busy but losing</h3>");
    p.Table(busy);
  }
  if (p.Has("company_icp_fit")) {
    const auto hist = p.Q("SELECT CAST(FLOOR(icp_fit / 10) AS BIGINT), COUNT(*) FROM " + p.T("company_icp_fit") +
                          " WHERE icp_fit IS NOT NULL GROUP BY 1 ORDER BY 1");
    std::vector<double> buckets(10, 0);
    for (const auto& r : hist.rows)
      buckets[static_cast<size_t>(std::clamp<int64_t>(warehouse::AsInt64(r[0]), 0, 9))] += D(r[1]);
    std::vector<std::string> labels;
    for (int b = 0; b < 10; ++b) labels.push_back(std::to_string(b * 10) + "-" + std::to_string(b * 10 + 10));
    p.Figure("Companies by ICP fit (50 = the base rate)",
             svg::VerticalBars(labels, buckets, Format::kNumber, "#9333ea"));
  }
  p.End();
}

void ForecastSection(Page& p, std::vector<std::string>& without) {
  p.H2("forecast", "Pipeline forecast");
  if (!p.Has("forecast")) {
    p.Missing("No forecast in this schema: the forecast has not run.");
    without.push_back("forecast");
    p.End();
    return;
  }
  const auto total =
      p.Q("SELECT period, p10, p50, p90, weighted_pipeline, \"commit\", run_rate, closed_so_far, "
          "open_deals FROM " +
          p.T("forecast") + " WHERE slice_type = 'total' ORDER BY period_start");
  std::vector<std::string> x;
  std::vector<double> lo, mid, hi, weighted, commit, run_rate;
  for (const auto& r : total.rows) {
    x.push_back(S(r[0]));
    lo.push_back(D(r[1]));
    mid.push_back(D(r[2]));
    hi.push_back(D(r[3]));
    weighted.push_back(D(r[4]));
    commit.push_back(D(r[5]));
    run_rate.push_back(D(r[6]));
  }
  if (!x.empty()) {
    p.Figure(
        "Bookings per period: P10-P90 (band) and P50 (bar) beside HubSpot's weighted pipeline, commit and the "
        "run rate",
        svg::Ranges(x, lo, mid, hi, "P10-P90, P50",
                    {{"weighted pipeline", weighted, "#f97316", false},
                     {"commit", commit, "#16a34a", false},
                     {"run rate", run_rate, "#6b7280", false}},
                    Format::kMoney));
  }
  p.Table(total,
          {"period", "P10", "P50", "P90", "weighted pipeline", "commit", "run rate", "closed so far", "open deals"});
  const auto slices =
      p.Q("SELECT slice_type, slice_label, p10, p50, p90, weighted_pipeline, open_deals FROM " + p.T("forecast") +
          " WHERE slice_type <> 'total' AND period_start = (SELECT MIN(period_start) "
          "FROM " +
          p.T("forecast") + ") ORDER BY slice_type, p50 DESC LIMIT 30");
  if (slices.RowCount() > 0) {
    p.Add("<h3>Current period by pipeline, team and owner</h3>");
    p.Table(slices);
  }
  if (p.Has("forecast_backtest")) {
    const auto bt =
        p.Q("SELECT * FROM " + p.T("forecast_backtest") + " WHERE slice_type = 'total' ORDER BY period_start");
    if (bt.RowCount() > 0) {
      std::vector<std::string> bx;
      std::map<std::string, std::vector<double>> cols;
      const std::vector<std::string> wanted = {"actual", "p10",     "p50", "p90", "weighted_pipeline",
                                               "commit", "run_rate"};
      for (const auto& r : bt.rows) {
        bx.push_back(S(r[bt.ColumnIndex("period")]));
        for (const auto& c : bt.columns)
          if (std::find(wanted.begin(), wanted.end(), c.name) != wanted.end())
            cols[c.name].push_back(D(r[bt.ColumnIndex(c.name)]));
      }
      std::vector<svg::Series> markers = {{"actual", cols["actual"], "#111827", false}};
      if (cols.count("weighted_pipeline"))
        markers.push_back({"weighted pipeline", cols["weighted_pipeline"], "#f97316", false});
      p.Figure("Backtest: each past period forecast from its start (P10-P90, P50) against what was booked",
               svg::Ranges(bx, cols["p10"], cols["p50"], cols["p90"], "P10-P90, P50", markers, Format::kMoney));
      // WAPE per method over the total slice: sum |actual - forecast| / sum actual.
      std::vector<std::vector<std::string>> rows;
      double actual_sum = 0;
      for (double a : cols["actual"]) actual_sum += std::isfinite(a) ? a : 0;
      for (const auto& [name, col] :
           std::vector<std::pair<std::string, std::string>>{{"revlens P50", "p50"},
                                                            {"weighted pipeline", "weighted_pipeline"},
                                                            {"commit", "commit"},
                                                            {"run rate", "run_rate"}}) {
        if (!cols.count(col) || actual_sum <= 0) continue;
        double err = 0;
        for (size_t i = 0; i < cols[col].size(); ++i)
          if (std::isfinite(cols[col][i]) && std::isfinite(cols["actual"][i]))
            err += std::fabs(cols["actual"][i] - cols[col][i]);
        rows.push_back({name, Pct(err / actual_sum)});
      }
      int64_t covered = 0;
      for (size_t i = 0; i < cols["actual"].size(); ++i)
        covered += cols["actual"][i] >= cols["p10"][i] && cols["actual"][i] <= cols["p90"][i];
      p.P(std::to_string(covered) + " of " + std::to_string(cols["actual"].size()) +
          " backtest periods fell inside P10-P90.");
      p.Table({"method (total slice)", "WAPE"}, rows);
    }
  } else {
    p.P("No backtest in this schema (revlens forecast --backtest writes forecast_backtest).");
  }
  if (p.Has("deal_predictions")) {
    const auto risk = p.Q(
        "SELECT COUNT(*), SUM(CASE WHEN risk_slipped_close_date THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN risk_stalled_in_stage THEN 1 ELSE 0 END), SUM(CASE WHEN risk_no_recent_activity THEN 1 ELSE 0 "
        "END), SUM(CASE WHEN risk_single_threaded THEN 1 ELSE 0 END) FROM " +
        p.T("deal_predictions"));
    if (risk.RowCount() > 0 && D(risk.rows[0][0]) > 0) {
      const auto& r = risk.rows[0];
      p.Figure("Open deals by risk flag (of " + Cell(r[0]) + " open deals)",
               svg::HorizontalBars({{"slipped close date", D(r[1]), {}, {}, "#dc2626"},
                                    {"stalled in stage", D(r[2]), {}, {}, "#f59e0b"},
                                    {"no recent activity", D(r[3]), {}, {}, "#f97316"},
                                    {"single-threaded", D(r[4]), {}, {}, "#9333ea"}},
                                   Format::kNumber));
      p.Add("<h3>Largest deals at risk</h3>");
      p.Table(p.Q("SELECT deal_id, deal_stage_label, amount, close_date, p_win, expected_bookings, risk_flags FROM " +
                  p.T("deal_predictions") +
                  " WHERE risk_flags <> '' ORDER BY expected_bookings DESC, deal_id LIMIT 10"));
    }
  }
  p.End();
}

void CompeteSection(Page& p, std::vector<std::string>& without) {
  p.H2("competitive", "Competitive intelligence");
  if (!p.Has("competitor_stats")) {
    p.Missing("No competitor results in this schema: competitive analysis has not run.");
    without.push_back("competitive");
    p.End();
    return;
  }
  const auto stats = p.Q(
      "SELECT competitor, deals_involved, open_deals, mentions, closed_deals, win_rate, win_rate_low, win_rate_high, "
      "baseline_win_rate, win_rate_diff, q_value, significant, amount_ratio, cycle_ratio, top_loss_reasons FROM " +
      p.T("competitor_stats") + " ORDER BY deals_involved DESC, competitor");
  if (stats.RowCount() == 0) {
    p.Missing("No competitor was found in the deals or their engagements.");
    p.End();
    return;
  }
  std::vector<svg::Bar> bars;
  double baseline = kNaN;
  for (const auto& r : stats.rows) {
    baseline = D(r[8]);
    if (D(r[4]) > 0) bars.push_back({S(r[0]), D(r[5]), D(r[6]), D(r[7]), warehouse::AsBool(r[11]) ? "#dc2626" : ""});
  }
  p.Figure(
      "Win rate against each competitor, 95% intervals, beside closed deals with no competitor (dashed; red: "
      "differs at the false-discovery rate)",
      svg::HorizontalBars(bars, Format::kPercent,
                          std::isfinite(baseline) ? std::optional<double>(baseline) : std::nullopt, "no competitor"));
  p.Table(stats, {"competitor", "deals", "open", "mentions", "closed", "win rate", "low", "high", "baseline",
                  "difference", "q", "significant", "size ratio", "cycle ratio", "top loss reasons"});
  if (p.Has("competitor_monthly")) {
    const auto months =
        p.Q("SELECT m.competitor, m.month, m.mentions FROM " + p.T("competitor_monthly") + " AS m ORDER BY m.month");
    std::vector<std::string> top;
    for (size_t i = 0; i < stats.RowCount() && top.size() < 5; ++i) top.push_back(S(stats.rows[i][0]));
    std::vector<std::string> x;
    std::map<std::string, size_t> xi;
    for (const auto& r : months.rows) {
      const std::string m = S(r[1]).substr(0, 7);
      if (!xi.count(m)) {
        xi[m] = x.size();
        x.push_back(m);
      }
    }
    // The last 24 months at most.
    const size_t first = x.size() > 24 ? x.size() - 24 : 0;
    std::vector<svg::Series> series;
    for (const auto& name : top) series.push_back({name, std::vector<double>(x.size() - first, 0), "", false});
    for (const auto& r : months.rows) {
      const auto it = std::find(top.begin(), top.end(), S(r[0]));
      const size_t k = xi[S(r[1]).substr(0, 7)];
      if (it == top.end() || k < first) continue;
      series[static_cast<size_t>(it - top.begin())].values[k - first] += D(r[2]);
    }
    if (!x.empty())
      p.Figure("Mentions per month, top competitors",
               svg::Lines(std::vector<std::string>(x.begin() + static_cast<std::ptrdiff_t>(first), x.end()), series,
                          Format::kNumber));
  }
  if (p.Has("competitor_mentions")) {
    p.Add("<h3>Latest mentions</h3>");
    p.Table(p.Q("SELECT mentioned_at, competitor, source, deal_id, snippet FROM " + p.T("competitor_mentions") +
                " WHERE mentioned_at IS NOT NULL ORDER BY mentioned_at DESC, competitor LIMIT 10"));
  }
  p.End();
}

void ActivitySection(Page& p, std::vector<std::string>& without) {
  p.H2("activity", "Activity analysis");
  std::vector<std::string> tables;
  for (const auto& t : p.Tables())
    if (t.rfind("activity", 0) == 0 || t == "stale_deals") tables.push_back(t);
  if (tables.empty()) {
    p.Missing("No activity results in this schema: activity analysis has not run (or is not in this build).");
    without.push_back("activity");
    p.End();
    return;
  }
  std::set<std::string> shown;
  if (p.HasColumns("activity_effects", {"pattern", "description", "outcome", "estimated", "odds_ratio", "or_low",
                                        "or_high", "q_value", "significant", "finding"})) {
    shown.insert("activity_effects");
    const auto effects =
        p.Q("SELECT description, outcome, odds_ratio, or_low, or_high, q_value, significant, finding "
            "FROM " +
            p.T("activity_effects") + " ORDER BY pattern");
    std::vector<svg::Bar> bars;
    for (const auto& r : effects.rows) {
      if (warehouse::IsNull(r[2])) continue;  // not estimable: said so in the table
      bars.push_back({S(r[0]) + " (" + S(r[1]) + ")", D(r[2]), D(r[3]), D(r[4]),
                      !warehouse::IsNull(r[6]) && warehouse::AsBool(r[6]) ? "#dc2626" : ""});
    }
    if (!bars.empty())
      p.Figure(
          "Odds ratio of each activity pattern on the outcome, adjusted, 95% intervals (1 = no effect; red: "
          "significant at the false-discovery rate)",
          svg::HorizontalBars(bars, Format::kNumber, 1.0, "no effect"));
    p.Table(p.Q("SELECT finding, q_value FROM " + p.T("activity_effects") + " ORDER BY q_value, pattern"),
            {"finding", "q"});
  }
  if (p.HasColumns("activity_team_weekly", {"week_start", "calls", "emails_sent", "meetings_held"})) {
    shown.insert("activity_team_weekly");
    const auto weeks = p.Q("SELECT week_start, SUM(calls), SUM(emails_sent), SUM(meetings_held) FROM " +
                           p.T("activity_team_weekly") + " GROUP BY week_start ORDER BY week_start");
    const size_t first = weeks.RowCount() > 26 ? weeks.RowCount() - 26 : 0;
    std::vector<std::string> x;
    std::vector<svg::Series> series = {
        {"calls", {}, "", false}, {"emails sent", {}, "", false}, {"meetings held", {}, "", false}};
    for (size_t i = first; i < weeks.RowCount(); ++i) {
      x.push_back(S(weeks.rows[i][0]).substr(0, 10));
      for (size_t k = 0; k < 3; ++k) series[k].values.push_back(D(weeks.rows[i][k + 1]));
    }
    if (!x.empty())
      p.Figure("Activity per week, all teams (the last 26 weeks)", svg::Lines(x, series, Format::kNumber));
  }
  if (p.HasColumns("activity_rep_gaps", {"owner_name", "metric", "rep_value", "team_median", "gap_rank", "finding"})) {
    shown.insert("activity_rep_gaps");
    const auto gaps = p.Q("SELECT owner_name, team_name, finding FROM " + p.T("activity_rep_gaps") +
                          " WHERE gap_rank = 1 ORDER BY owner_name LIMIT 15");
    if (gaps.RowCount() > 0) {
      p.Add("<h3>Each rep's costliest gap against the team median</h3>");
      p.Table(gaps, {"rep", "team", "finding"});
    }
  }
  if (p.HasColumns("stale_deals", {"deal_id", "deal_name", "owner_name", "amount", "days_without_activity"})) {
    shown.insert("stale_deals");
    const int64_t n = p.Q("SELECT COUNT(*) FROM " + p.T("stale_deals")).Scalar<int64_t>();
    p.Add("<h3>Stale open deals (" + std::to_string(n) + ")</h3>");
    if (n > 0)
      p.Table(p.Q("SELECT deal_id, deal_name, owner_name, amount, days_without_activity FROM " + p.T("stale_deals") +
                  " ORDER BY days_without_activity DESC, deal_id LIMIT 10"));
  }
  for (const auto& t : tables) {
    if (shown.count(t) || t == "activity_rep_weekly") continue;  // the rep weeks are in their CSV
    const int64_t n = p.Q("SELECT COUNT(*) FROM " + p.T(t)).Scalar<int64_t>();
    p.Add("<h3>" + Esc(t) + " (" + std::to_string(n) + " rows; the first 20)</h3>");
    p.Table(p.Q("SELECT * FROM " + p.T(t) + " LIMIT 20"));
  }
  p.End();
}

void AlertsSection(Page& p) {
  if (!p.HasColumns("alerts", {"rule", "status", "sent_at", "entity", "channel"})) return;
  p.H2("alerts", "Alerts");
  const auto rules = p.Q("SELECT rule, COUNT(*) FROM " + p.T("alerts") + " GROUP BY rule ORDER BY rule");
  std::vector<svg::Bar> bars;
  for (const auto& r : rules.rows) bars.push_back({S(r[0]), D(r[1]), {}, {}, "#0891b2"});
  if (!bars.empty()) p.Figure("Alert deliveries recorded per rule", svg::HorizontalBars(bars, Format::kNumber));
  p.Add("<h3>Latest</h3>");
  p.Table(p.Q("SELECT sent_at, rule, entity, channel, status FROM " + p.T("alerts") +
              " ORDER BY sent_at DESC, rule, entity LIMIT 15"));
  p.End();
}

constexpr const char* kCss = R"(
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#111827;background:#f9fafb}
header{background:#111827;color:#f9fafb;padding:18px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#d1d5db;font-size:13px}nav{padding:8px 32px;background:#e5e7eb;font-size:13px}
nav a{margin-right:14px;color:#1f2937}main{padding:8px 32px 40px;max-width:1100px}
section{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px 20px;margin:16px 0}
h2{font-size:18px;margin:6px 0 10px}h3{font-size:14px;margin:16px 0 6px}p{font-size:13px;line-height:1.45}
p.missing{color:#92400e;background:#fffbeb;border:1px solid #fde68a;padding:8px 12px;border-radius:6px}
figure{margin:10px 0}figcaption{font-size:12px;color:#4b5563}svg.chart{max-width:100%;height:auto}
table{border-collapse:collapse;font-size:12px;margin:6px 0;display:block;overflow-x:auto}
th,td{border-bottom:1px solid #e5e7eb;padding:3px 8px;text-align:left;vertical-align:top;max-width:420px}
th{background:#f3f4f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
)";

}  // namespace

const std::vector<std::pair<std::string, std::string>>& KnownResultTables() {
  static const std::vector<std::pair<std::string, std::string>> t = {
      {"lead_scores", "leads"},
      {"model_runs", "leads"},
      {"company_icp_fit", "icp"},
      {"icp_segments", "icp"},
      {"deal_predictions", "forecast"},
      {"forecast", "forecast"},
      {"forecast_backtest", "forecast"},
      {"competitor_stats", "competitive"},
      {"competitor_mentions", "competitive"},
      {"competitor_loss_reasons", "competitive"},
      {"competitor_monthly", "competitive"},
      {"competitor_reps", "competitive"},
      {"competitor_dictionary", "competitive"},
      {"deal_competitors", "competitive"},
      {"activity_effects", "activity"},
      {"activity_rep_gaps", "activity"},
      {"activity_rep_weekly", "activity"},
      {"activity_team_weekly", "activity"},
      {"stale_deals", "activity"},
      {"alerts", "alerts"},
      {"runs", "runs"},
  };
  return t;
}

std::string ReportSummary::ToJson() const {
  nlohmann::json tables_json = nlohmann::json::array();
  for (const auto& t : tables)
    tables_json.push_back({{"table", t.table}, {"product", t.product}, {"rows", t.rows}, {"file", t.file}});
  return nlohmann::json{{"out_dir", out_dir},    {"html", html_path},  {"html_bytes", html_bytes},
                        {"tables", tables_json}, {"missing", missing}, {"sections_without_data", sections_without_data},
                        {"seconds", seconds}}
      .dump(2);
}

ReportSummary WriteReport(Warehouse& wh, const ReportOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  ReportSummary out;
  const fs::path dir(options.out_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IOError("could not create the report folder " + dir.string() + ": " + ec.message());
  out.out_dir = dir.string();

  // The schema's tables, from the standard catalog both engines have.
  std::set<std::string> present;
  for (const auto& r : wh.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = " +
                                Warehouse::QuoteLiteral(options.schema))
                           .rows)
    present.insert(S(r[0]));

  std::vector<std::pair<std::string, std::string>> exports;
  for (const auto& [table, product] : KnownResultTables()) {
    if (present.count(table))
      exports.emplace_back(table, product);
    else
      out.missing.push_back(table);
  }
  for (const auto& t : present) {
    const bool known = std::any_of(KnownResultTables().begin(), KnownResultTables().end(),
                                   [&](const auto& k) { return k.first == t; });
    if (!known && t.rfind("activity", 0) == 0) exports.emplace_back(t, "activity");
  }
  for (const auto& [table, product] : exports) {
    TableExport e;
    e.table = table;
    e.product = product;
    e.file = (dir / (table + ".csv")).string();
    e.rows = WriteCsv(wh, options.schema, table, e.file);
    out.tables.push_back(std::move(e));
  }

  Page p(wh, options.schema, present);
  const int64_t now = options.now_ms > 0 ? options.now_ms : NowMillis();
  p.Add(
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width,initial-scale=1\"><title>" +
      Esc(options.title) + "</title><style>" + kCss + "</style></head><body><header><h1>" + Esc(options.title) +
      "</h1><p>" + Esc(wh.Describe()) + ", schema " + Esc(options.schema) + " &middot; generated " +
      Esc(FormatIsoMillis(now)) +
      "</p></header><nav><a href=\"#runs\">Nightly job</a><a href=\"#leads\">Leads</a><a href=\"#icp\">ICP</a>"
      "<a href=\"#forecast\">Forecast</a><a href=\"#competitive\">Competitive</a><a href=\"#activity\">Activity</a><a "
      "href=\"#alerts\">Alerts</a>"
      "<a href=\"#files\">CSV files</a></nav><main>");
  RunsSection(p);
  LeadsSection(p, out.sections_without_data);
  IcpSection(p, out.sections_without_data);
  ForecastSection(p, out.sections_without_data);
  CompeteSection(p, out.sections_without_data);
  ActivitySection(p, out.sections_without_data);
  AlertsSection(p);
  p.H2("files", "CSV files");
  p.Add("<table><thead><tr><th>table</th><th>product</th><th>rows</th></tr></thead><tbody>");
  for (const auto& t : out.tables) {
    const std::string name = t.table + ".csv";
    p.Add("<tr><td><a href=\"" + Esc(name) + "\">" + Esc(name) + "</a></td><td>" + Esc(t.product) +
          "</td><td class=\"n\">" + std::to_string(t.rows) + "</td></tr>");
  }
  p.Add("</tbody></table>");
  if (!out.missing.empty()) {
    std::string m;
    for (const auto& t : out.missing) m += (m.empty() ? "" : ", ") + t;
    p.P("Not in this schema (their product has not run): " + m + ".");
  }
  p.End();
  p.Add("</main></body></html>\n");

  out.html_path = (dir / "report.html").string();
  std::ofstream f(out.html_path, std::ios::binary | std::ios::trunc);
  f << p.html;
  f.close();
  if (!f) throw IOError("could not write " + out.html_path);
  out.html_bytes = static_cast<int64_t>(p.html.size());
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace revlens::pipeline
