// Lead scoring: read the lead_features model, reconstruct labels from outcome timestamps, train on a time-ordered
// split, calibrate, evaluate, explain and write lead_scores / model_runs. See scoring.hpp for the contract.
#include "insights/scoring.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "core/errors.hpp"
#include "core/hash.hpp"
#include "core/time_util.hpp"
#include "insights/lead_model.hpp"
#include "insights/table_util.hpp"

namespace revlens::insights {

using warehouse::Column;
using warehouse::ColumnType;
using warehouse::Value;
using warehouse::Warehouse;

namespace {

constexpr double kPsiAlert = 0.2;
constexpr size_t kTopDriftFeatures = 5;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void Progress(const ScoringOptions& o, const std::string& line) {
  if (o.progress) o.progress(line);
}

std::string Q(const std::string& schema, const std::string& table) {
  return Warehouse::QualifiedName(schema, table);
}

std::string Hex(uint64_t v, int digits) {
  static const char* kHex = "0123456789abcdef";
  std::string s(static_cast<size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, v >>= 4) s[static_cast<size_t>(i)] = kHex[v & 15];
  return s;
}

uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string CompactStamp(int64_t ms) {
  std::string iso = FormatIsoMillis(ms);  // 2026-06-30T12:00:00.000Z
  std::string out;
  for (char c : iso.substr(0, 19))
    if (c != '-' && c != ':') out += c;
  return out;
}

}  // namespace

// ------------------------------------------------------------------------------------------------ names

std::string LeadTargetName(LeadTarget t) {
  switch (t) {
    case LeadTarget::kCustomer:
      return "customer";
    case LeadTarget::kSalesQualified:
      return "sql";
    case LeadTarget::kOpportunity:
      return "opportunity";
  }
  return "customer";
}

LeadTarget ParseLeadTarget(const std::string& name) {
  if (name == "customer") return LeadTarget::kCustomer;
  if (name == "sql") return LeadTarget::kSalesQualified;
  if (name == "opportunity") return LeadTarget::kOpportunity;
  throw ConfigError("unknown lead-scoring target '" + name + "': use customer, sql or opportunity");
}

std::string AbGroup(int64_t contact_id, double holdout_share, const std::string& salt) {
  // SplitMix64 of the id mixed with the salt's hash: stable across runs, machines and engines.
  const uint64_t z = SplitMix64(static_cast<uint64_t>(contact_id) ^ Fnv1a(salt));
  const double u = static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0);
  return u < holdout_share ? "holdout" : "treatment";
}

// ------------------------------------------------------------------------------------------------ JSON

nlohmann::json ScoreMetrics::ToJson() const {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"contacts", contacts},
          {"conversions", conversions},
          {"auc_roc", num(auc.auc)},
          {"auc_ci_low", num(auc.ci.low)},
          {"auc_ci_high", num(auc.ci.high)},
          {"pr_auc", num(pr_auc)},
          {"brier", num(brier)},
          {"ece", num(ece)},
          {"top_decile_lift", num(top_decile_lift)},
          {"tiers_ab_capture", num(tiers_ab_capture)},
          {"tiers_ab_share", num(tiers_ab_share)}};
}

nlohmann::json DriftReport::ToJson() const {
  nlohmann::json f = nlohmann::json::object();
  for (const auto& [name, psi] : feature_psi) f[name] = std::isfinite(psi) ? nlohmann::json(psi) : nlohmann::json();
  return {{"recent_contacts", recent_contacts},
          {"score_psi", std::isfinite(score_psi) ? nlohmann::json(score_psi) : nlohmann::json()},
          {"feature_psi", f},
          {"alert", alert},
          {"threshold", kPsiAlert}};
}

nlohmann::json ScoringReport::ToJson() const {
  nlohmann::json feats = nlohmann::json::array(), excluded = nlohmann::json::array();
  for (const auto& f : features) {
    if (f.excluded_reason.empty()) {
      feats.push_back({{"name", f.name}, {"group", f.group}, {"origin", f.origin}, {"importance", f.importance}});
    } else {
      excluded.push_back({{"name", f.name}, {"origin", f.origin}, {"reason", f.excluded_reason}});
    }
  }
  nlohmann::json j = {
      {"run_id", run_id},
      {"model_version", model_version},
      {"status", status},
      {"usable", usable},
      {"message", message},
      {"target", LeadTargetName(target)},
      {"window_days", window_days},
      {"prediction_days", prediction_days},
      {"as_of_date", as_of_date},
      {"live_contacts", live_contacts},
      {"matured_contacts", matured_contacts},
      {"conversions", conversions},
      {"train_contacts", train_contacts},
      {"calibration_contacts", calibration_contacts},
      {"holdout_contacts", holdout_contacts},
      {"data_window", {{"start", data_window_start}, {"end", data_window_end}}},
      {"metrics", {{"likelihood", likelihood.ToJson()}, {"fit", fit.ToJson()}, {"engagement", engagement.ToJson()}}},
      {"drift", drift.ToJson()},
      {"features", feats},
      {"excluded_features", excluded},
      {"tiers", tier_counts},
      {"scored", scored},
      {"seconds", {{"train", train_seconds}, {"score", score_seconds}, {"total", total_seconds}}}};
  if (matured_cohort_auc) {
    j["matured_cohort"] = {{"contacts", matured_cohort_contacts},
                           {"auc_roc", matured_cohort_auc->auc},
                           {"auc_ci_low", matured_cohort_auc->ci.low},
                           {"auc_ci_high", matured_cohort_auc->ci.high}};
  }
  return j;
}

std::string ScoringReport::Text() const {
  std::string out;
  char buf[512];
  auto line = [&](const char* fmt, auto... args) {
    std::snprintf(buf, sizeof(buf), fmt, args...);
    out += buf;
    out += '\n';
  };
  line("revlens score: target %s within %d days of creation, predicted %d days after creation, as of %s",
       LeadTargetName(target).c_str(), window_days, prediction_days, as_of_date.c_str());
  if (status == "refused") {
    line("refused: %s", message.c_str());
    return out;
  }
  line("model %s (%s), run %s", model_version.c_str(), status.c_str(), run_id.c_str());
  line("contacts: %lld live, %lld matured with %lld conversions; train %lld, calibrate %lld, holdout %lld",
       static_cast<long long>(live_contacts), static_cast<long long>(matured_contacts),
       static_cast<long long>(conversions), static_cast<long long>(train_contacts),
       static_cast<long long>(calibration_contacts), static_cast<long long>(holdout_contacts));
  if (!data_window_start.empty())
    line("data window: contacts created %s to %s", data_window_start.c_str(), data_window_end.c_str());
  if (likelihood.contacts > 0) {
    line("holdout (%lld contacts created after the data window, %lld conversions):",
         static_cast<long long>(likelihood.contacts), static_cast<long long>(likelihood.conversions));
    line("  %-26s %12s %12s %12s", "metric", "likelihood", "fit", "engagement");
    auto row = [&](const char* name, double a, double b, double c, const char* fmt) {
      char x[3][32];
      const double v[3] = {a, b, c};
      for (int k = 0; k < 3; ++k) {
        if (std::isfinite(v[k]))
          std::snprintf(x[k], sizeof(x[k]), fmt, v[k]);
        else
          std::snprintf(x[k], sizeof(x[k]), "-");
      }
      line("  %-26s %12s %12s %12s", name, x[0], x[1], x[2]);
    };
    row("AUC-ROC", likelihood.auc.auc, fit.auc.auc, engagement.auc.auc, "%.3f");
    auto ci = [](const AucEstimate& e) {
      char s[48];
      std::snprintf(s, sizeof(s), "%.3f-%.3f", e.ci.low, e.ci.high);
      return std::string(s);
    };
    line("  %-26s %12s %12s %12s", "AUC 95% CI (DeLong)", ci(likelihood.auc).c_str(), ci(fit.auc).c_str(),
         ci(engagement.auc).c_str());
    row("PR-AUC", likelihood.pr_auc, fit.pr_auc, engagement.pr_auc, "%.3f");
    row("Brier score", likelihood.brier, fit.brier, engagement.brier, "%.4f");
    row("calibration error (ECE)", likelihood.ece, fit.ece, engagement.ece, "%.4f");
    row("top-decile lift", likelihood.top_decile_lift, fit.top_decile_lift, engagement.top_decile_lift, "%.2fx");
    row("tiers A+B: conversions", 100 * likelihood.tiers_ab_capture, 100 * fit.tiers_ab_capture,
        100 * engagement.tiers_ab_capture, "%.1f%%");
    row("tiers A+B: contacts", 100 * likelihood.tiers_ab_share, 100 * fit.tiers_ab_share,
        100 * engagement.tiers_ab_share, "%.1f%%");
  }
  if (matured_cohort_auc && status == "reused") {
    line("matured since training: %lld contacts, AUC %.3f (95%% CI %.3f-%.3f)",
         static_cast<long long>(matured_cohort_contacts), matured_cohort_auc->auc, matured_cohort_auc->ci.low,
         matured_cohort_auc->ci.high);
  }
  if (drift.recent_contacts > 0) {
    std::string f;
    for (const auto& [name, psi] : drift.feature_psi) {
      char s[96];
      std::snprintf(s, sizeof(s), "%s%s %.3f", f.empty() ? "" : ", ", name.c_str(), psi);
      f += s;
    }
    line("drift (PSI, %lld recent contacts vs training; alert above %.1f): score %.3f; %s%s",
         static_cast<long long>(drift.recent_contacts), kPsiAlert, drift.score_psi, f.c_str(),
         drift.alert ? "  ALERT: the population has shifted, retrain or check the inputs" : "");
  }
  std::string top;
  int shown = 0;
  for (const auto& f : features) {
    if (!f.excluded_reason.empty() || shown >= 8) continue;
    top += (shown++ ? ", " : "") + f.name;
  }
  if (!top.empty()) line("top features: %s", top.c_str());
  for (const auto& f : features)
    if (!f.excluded_reason.empty() && f.origin != "standard")
      line("left out %s: %s", f.name.c_str(), f.excluded_reason.c_str());
  if (scored > 0) {
    auto tc = [&](const char* t) {
      auto it = tier_counts.find(t);
      return static_cast<long long>(it == tier_counts.end() ? 0 : it->second);
    };
    line("scored %lld live contacts: A %lld, B %lld, C %lld, D %lld", static_cast<long long>(scored), tc("A"), tc("B"),
         tc("C"), tc("D"));
  }
  line("%s", message.c_str());
  line("time: %.1f s (training %.1f s, scoring %.1f s)", total_seconds, train_seconds, score_seconds);
  return out;
}

nlohmann::json AbReport::ToJson() const {
  auto arm = [](const AbArm& a) {
    return nlohmann::json{{"contacts", a.contacts},
                          {"conversions", a.conversions},
                          {"rate", a.rate},
                          {"ci_low", a.ci.low},
                          {"ci_high", a.ci.high}};
  };
  return {{"since", since},
          {"as_of_date", as_of_date},
          {"treatment", arm(treatment)},
          {"holdout", arm(holdout)},
          {"treatment_tiers_ab", arm(treatment_ab)},
          {"holdout_tiers_ab", arm(holdout_ab)},
          {"lift", lift},
          {"lift_ci_low", lift_ci.low},
          {"lift_ci_high", lift_ci.high},
          {"enough_data", enough},
          {"message", message}};
}

std::string AbReport::Text() const {
  std::string out;
  char buf[512];
  auto line = [&](const char* fmt, auto... args) {
    std::snprintf(buf, sizeof(buf), fmt, args...);
    out += buf;
    out += '\n';
  };
  line("revlens score --ab-report: matured contacts created %s to %s", since.c_str(), as_of_date.c_str());
  line("  %-22s %10s %12s %10s %20s", "group", "contacts", "conversions", "rate", "95% CI");
  auto arm = [&](const char* name, const AbArm& a) {
    line("  %-22s %10lld %12lld %9.2f%% %9.2f%%-%.2f%%", name, static_cast<long long>(a.contacts),
         static_cast<long long>(a.conversions), 100 * a.rate, 100 * a.ci.low, 100 * a.ci.high);
  };
  arm("treatment", treatment);
  arm("holdout", holdout);
  arm("treatment, tiers A+B", treatment_ab);
  arm("holdout, tiers A+B", holdout_ab);
  line("  lift (treatment - holdout): %+.2f points (95%% CI %+.2f to %+.2f)", 100 * lift, 100 * lift_ci.low,
       100 * lift_ci.high);
  line("%s", message.c_str());
  return out;
}

// ------------------------------------------------------------------------------------------------ the run

namespace {

const std::vector<std::string> kDefaultExcluded = {"*lifecycle*", "*lead_status*", "*deal*", "*customer*", "*churn*"};

bool MatchesAny(const std::string& name, const std::vector<std::string>& patterns) {
  for (const auto& p : patterns)
    if (fnmatch(p.c_str(), name.c_str(), 0) == 0) return true;
  return false;
}

/// The property name of a custom spec (`companies.tech_stack=snowflake` -> `tech_stack`).
std::string PropertyName(const FeatureSpec& s) {
  std::string n = s.name.substr(s.name.find('.') + 1);
  return n.substr(0, n.find('='));
}

std::vector<Column> LeadScoreColumns() {
  return {{"run_id", ColumnType::kText},       {"model_version", ColumnType::kText},
          {"contact_id", ColumnType::kBigInt}, {"scored_at", ColumnType::kTimestamp},
          {"likelihood", ColumnType::kDouble}, {"tier", ColumnType::kText},
          {"fit", ColumnType::kDouble},        {"engagement", ColumnType::kDouble},
          {"reasons", ColumnType::kText},      {"ab_group", ColumnType::kText},
          {"usable", ColumnType::kBoolean},    {"shadow", ColumnType::kBoolean},
          {"fit_reasons", ColumnType::kText},  {"engagement_reasons", ColumnType::kText}};
}

std::vector<Column> ModelRunColumns() {
  return {{"run_id", ColumnType::kText},          {"model_version", ColumnType::kText},
          {"trained_at", ColumnType::kTimestamp}, {"ran_at", ColumnType::kTimestamp},
          {"status", ColumnType::kText},          {"target", ColumnType::kText},
          {"window_days", ColumnType::kBigInt},   {"prediction_days", ColumnType::kBigInt},
          {"as_of_date", ColumnType::kDate},      {"data_window_start", ColumnType::kDate},
          {"data_window_end", ColumnType::kDate}, {"usable", ColumnType::kBoolean},
          {"message", ColumnType::kText},         {"features", ColumnType::kJson},
          {"metrics", ColumnType::kJson},         {"artifact", ColumnType::kText}};
}

/// Create `table` with `columns`, replacing an existing one whose column names differ (an older layout).
void EnsureTable(Warehouse& wh, const std::string& schema, const std::string& table, const std::vector<Column>& cols) {
  const auto existing = wh.Columns(schema, table);
  bool same = existing.size() == cols.size();
  for (size_t i = 0; same && i < cols.size(); ++i) same = existing[i].name == cols[i].name;
  if (!existing.empty() && !same) wh.Execute("DROP TABLE " + Q(schema, table));
  wh.CreateTable(schema, table, cols);
}

Value DateValue(const std::string& ymd) {
  if (ymd.empty()) return Value();
  const auto d = warehouse::ParseDate(ymd);
  return d ? Value(*d) : Value();
}

/// Quantiles of `v` at probabilities `p` (linear interpolation between order statistics).
std::vector<double> Quantiles(std::vector<double> v, const std::vector<double>& p) {
  std::vector<double> out;
  std::sort(v.begin(), v.end());
  for (double q : p) {
    if (v.empty()) {
      out.push_back(0);
      continue;
    }
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, v.size() - 1);
    out.push_back(v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]));
  }
  return out;
}

struct Scored {
  std::vector<LeadScore> rows;
  std::vector<double> margin;  ///< combined log-odds per row
};

/// Store one sub-model's margin and reasons in a scored row.
void Assign(const SubModel& sub, double margin, std::string reasons, LeadScore& s) {
  if (sub.name == "likelihood") {
    s.margin = margin;
    s.likelihood = 100.0 * sub.calibrator.Apply(margin);
    s.tier = sub.Tier(margin);
    s.reasons = std::move(reasons);
  } else if (sub.name == "fit") {
    s.fit = sub.Percentile(margin);
    s.fit_reasons = std::move(reasons);
  } else {
    s.engagement = sub.Percentile(margin);
    s.engagement_reasons = std::move(reasons);
  }
}

/// XGBoost's own contribution path, in chunks (contributions for a million rows would not fit otherwise): only for
/// exact reasons from trees too deep for the exact tables (TreeEnsemble::kMaxExactSplits).
std::vector<LeadScore> ScoreRowsXgboost(const LeadModel& m, const FeatureMatrix& x) {
  std::vector<LeadScore> out(x.rows);
  constexpr size_t kChunk = 50000;
  std::vector<size_t> idx;
  for (size_t start = 0; start < x.rows; start += kChunk) {
    const size_t end = std::min(x.rows, start + kChunk);
    idx.resize(end - start);
    std::iota(idx.begin(), idx.end(), start);
    const FeatureMatrix chunk = x.SelectRows(idx);
    for (const auto& sub : m.models) {
      const FeatureMatrix xs = chunk.SelectCols(sub.cols);
      const auto margin = sub.booster.PredictMargin(xs);
      const Contributions c = sub.booster.XgboostContributions(xs, false);
      std::vector<double> contrib(sub.cols.size() + 1);
      for (size_t i = 0; i < chunk.rows; ++i) {
        for (size_t j = 0; j < contrib.size(); ++j) contrib[j] = static_cast<double>(c.At(i, j));
        const double blended =
            sub.linear.Blend(&xs.values[i * xs.cols], static_cast<double>(margin[i]), contrib.data());
        Assign(sub, blended, m.Reasons(sub, contrib.data(), &chunk.values[i * chunk.cols], nullptr), out[start + i]);
      }
    }
  }
  return out;
}

/// Score every row of `x`: per row and sub-model, one pass over the trees' flat tables (TreeEnsemble) gives the
/// margin and the contributions; the rows are split in contiguous ranges over the cores.
std::vector<LeadScore> ScoreRows(const LeadModel& m, const FeatureMatrix& x, ReasonMode mode) {
  const bool approximate = mode == ReasonMode::kApproximate || (mode == ReasonMode::kAuto && x.rows > 200000);
  std::vector<const TreeEnsemble*> trees;  // built here, before the threads start
  for (const auto& sub : m.models) {
    trees.push_back(&sub.booster.Trees());
    if (!approximate && !trees.back()->HasExact()) return ScoreRowsXgboost(m, x);
  }
  std::vector<LeadScore> out(x.rows);
  auto work = [&](size_t begin, size_t end) {
    ReasonCache cache;
    std::vector<float> sub_row;
    std::vector<double> contrib;
    for (size_t r = begin; r < end; ++r) {
      const float* row = &x.values[r * x.cols];
      for (size_t k = 0; k < m.models.size(); ++k) {
        const SubModel& sub = m.models[k];
        sub_row.resize(sub.cols.size());
        for (size_t j = 0; j < sub.cols.size(); ++j) sub_row[j] = row[sub.cols[j]];
        contrib.assign(sub.cols.size() + 1, 0.0);
        const double margin = sub.linear.Blend(
            sub_row.data(), trees[k]->Contribute(sub_row.data(), !approximate, contrib.data()), contrib.data());
        Assign(sub, margin, m.Reasons(sub, contrib.data(), row, &cache), out[r]);
      }
    }
  };
  constexpr size_t kRowsPerThread = 4000;  // below this a thread costs more than it saves
  const size_t threads =
      std::clamp<size_t>(x.rows / kRowsPerThread, 1, std::max(1u, std::thread::hardware_concurrency()));
  if (threads == 1) {
    work(0, x.rows);
    return out;
  }
  std::vector<std::exception_ptr> errors(threads);
  {
    std::vector<std::jthread> pool;
    pool.reserve(threads);
    for (size_t t = 0; t < threads; ++t) {
      const size_t begin = x.rows * t / threads, end = x.rows * (t + 1) / threads;
      pool.emplace_back([&, t, begin, end] {
        try {
          work(begin, end);
        } catch (...) {
          errors[t] = std::current_exception();
        }
      });
    }
  }
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  return out;
}

/// Metrics of one sub-model on labelled rows.
ScoreMetrics Evaluate(const SubModel& sub, const std::vector<double>& margin, const std::vector<int>& y) {
  ScoreMetrics m;
  m.contacts = static_cast<int64_t>(y.size());
  m.conversions = std::count(y.begin(), y.end(), 1);
  m.auc = AucDeLong(margin, y);
  m.pr_auc = PrAuc(margin, y);
  const auto prob = sub.calibrator.Apply(margin);
  m.brier = Brier(prob, y);
  m.ece = ExpectedCalibrationError(prob, y);
  m.top_decile_lift = TopDecileLift(margin, y);
  double in_ab = 0, conv_ab = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    const char t = sub.Tier(margin[i]);
    if (t == 'A' || t == 'B') {
      in_ab += 1;
      conv_ab += y[i];
    }
  }
  m.tiers_ab_share = y.empty() ? 0 : in_ab / static_cast<double>(y.size());
  m.tiers_ab_capture = m.conversions > 0 ? conv_ab / static_cast<double>(m.conversions) : kNaN;
  return m;
}

/// Keep the categorical levels seen at least max(10, 0.2%) times in the training rows, 40 at most.
void ChooseLevels(FeatureSpec& s, const LeadData& d, const std::vector<size_t>& rows) {
  std::map<std::string, int64_t> counts;
  for (size_t r : rows) {
    std::string v = d.Text(r, s.column);
    if (!v.empty()) counts[v]++;
  }
  std::vector<std::pair<int64_t, std::string>> by;
  for (auto& [v, c] : counts) by.emplace_back(c, v);
  std::sort(by.begin(), by.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  const int64_t min_count = std::max<int64_t>(10, static_cast<int64_t>(0.002 * static_cast<double>(rows.size())));
  s.levels.clear();
  for (const auto& [c, v] : by)
    if (c >= min_count && s.levels.size() < 40) s.levels.push_back(v);
}

/// A screened candidate: why it is left out (empty = kept) and how well it ranks the outcome alone.
std::string Screen(FeatureSpec& s, const LeadData& d, const std::vector<size_t>& rows, const std::vector<int>& y,
                   const ScoringOptions& o, double* univariate_auc) {
  const bool custom = s.origin != "standard";
  if (custom) {
    const std::string prop = PropertyName(s);
    if (MatchesAny(prop, kDefaultExcluded) || MatchesAny(prop, o.exclude_properties) ||
        MatchesAny(s.name, o.exclude_properties)) {
      return "on the exclude list (its name says it moves with the outcome, or --exclude-property named it)";
    }
  }
  if (s.kind == FeatureKind::kCategorical) {
    std::set<std::string> distinct;
    int64_t present = 0;
    for (size_t r : rows) {
      std::string v = d.Text(r, s.column);
      if (v.empty()) continue;
      ++present;
      if (distinct.size() <= 1000) distinct.insert(std::move(v));
    }
    if (custom && (distinct.size() > 200 || (present > 50 && static_cast<double>(distinct.size()) > 0.5 * present)))
      return "free text (too many distinct values to be a category)";
    ChooseLevels(s, d, rows);
  }
  std::vector<FeatureSpec> one{s};
  LayOut(one);
  const FeatureMatrix x = Encode(d, one, rows);
  std::vector<double> v = ScalarValues(one[0], x);
  bool varies = false;
  for (size_t i = 1; i < v.size() && !varies; ++i) varies = !(v[i] == v[0] || (std::isnan(v[i]) && std::isnan(v[0])));
  if (!varies) return "no variation among the training contacts at their prediction time";
  if (s.kind == FeatureKind::kCategorical) {
    // Rank by each level's training conversion rate.
    std::map<double, std::pair<double, double>> rate;
    for (size_t i = 0; i < v.size(); ++i) {
      auto& r = rate[std::isnan(v[i]) ? -1.0 : v[i]];
      r.first += y[i];
      r.second += 1;
    }
    for (auto& x2 : v) {
      const auto& r = rate[std::isnan(x2) ? -1.0 : x2];
      x2 = r.first / r.second;
    }
  } else {
    for (auto& x2 : v)
      if (std::isnan(x2)) x2 = -1e300;  // missing ranks lowest
  }
  const double auc = AucRoc(v, y);
  *univariate_auc = std::isnan(auc) ? 0.5 : std::max(auc, 1.0 - auc);
  if (custom && !MatchesAny(PropertyName(s), o.allow_properties) && *univariate_auc > o.leakage_auc) {
    char buf[320];
    std::snprintf(buf, sizeof(buf),
                  "ranks the outcome alone with AUC %.2f on the training contacts: with no history of when it was "
                  "set, it was almost surely recorded after the outcome (--allow-property %s if it is known before)",
                  *univariate_auc, PropertyName(s).c_str());
    return buf;
  }
  return "";
}

struct LatestRun {
  std::string model_version, artifact;
  int64_t trained_ms = 0;
  std::string trained_at;
};

std::optional<LatestRun> FindLatestTrained(Warehouse& wh, const std::string& schema, LeadTarget target,
                                           int window_days) {
  if (!wh.TableExists(schema, "model_runs")) return std::nullopt;
  const auto rs = wh.Query("SELECT model_version, trained_at, artifact FROM " + Q(schema, "model_runs") +
                           " WHERE status = 'trained' AND target = " + Warehouse::QuoteLiteral(LeadTargetName(target)) +
                           " AND window_days = " + std::to_string(window_days) + " ORDER BY trained_at DESC LIMIT 1");
  if (rs.RowCount() == 0 || warehouse::IsNull(rs.rows[0][2])) return std::nullopt;
  LatestRun r;
  r.model_version = warehouse::AsString(rs.rows[0][0]);
  const auto* ts = std::get_if<warehouse::Timestamp>(&rs.rows[0][1]);
  r.trained_ms = ts ? ts->micros / 1000 : 0;
  r.trained_at = ts ? warehouse::FormatTimestamp(*ts) : "";
  r.artifact = warehouse::AsString(rs.rows[0][2]);
  return r;
}

void RecordRun(Warehouse& wh, const std::string& schema, const ScoringReport& rep, int64_t trained_ms, int64_t now_ms,
               const std::string& artifact) {
  EnsureTable(wh, schema, "model_runs", ModelRunColumns());
  nlohmann::json j = rep.ToJson();
  nlohmann::json features = {{"used", j["features"]}, {"excluded", j["excluded_features"]}};
  nlohmann::json metrics = {{"holdout", j["metrics"]},
                            {"drift", j["drift"]},
                            {"matured_cohort", j.value("matured_cohort", nlohmann::json())},
                            {"counts",
                             {{"live", rep.live_contacts},
                              {"matured", rep.matured_contacts},
                              {"conversions", rep.conversions},
                              {"train", rep.train_contacts},
                              {"calibration", rep.calibration_contacts},
                              {"holdout", rep.holdout_contacts}}}};
  std::vector<Value> row = {rep.run_id,
                            rep.model_version.empty() ? Value() : Value(rep.model_version),
                            trained_ms > 0 ? Value(warehouse::TimestampFromMillis(trained_ms)) : Value(),
                            Value(warehouse::TimestampFromMillis(now_ms)),
                            rep.status,
                            LeadTargetName(rep.target),
                            static_cast<int64_t>(rep.window_days),
                            static_cast<int64_t>(rep.prediction_days),
                            DateValue(rep.as_of_date),
                            DateValue(rep.data_window_start),
                            DateValue(rep.data_window_end),
                            rep.usable,
                            rep.message,
                            features.dump(),
                            metrics.dump(),
                            artifact.empty() ? Value() : Value(artifact)};
  wh.BulkLoad(schema, "model_runs", ModelRunColumns(), {row});
}

}  // namespace

std::vector<LeadScore> ScoreLeads(const LeadModel& model, const FeatureMatrix& x, ReasonMode reasons) {
  return ScoreRows(model, x, reasons);
}

size_t LeadModelWidth(const LeadModel& model) {
  return model.width;
}

std::shared_ptr<const LeadModel> LoadLeadModel(const std::string& artifact) {
  return LeadModel::FromArtifact(artifact);
}

std::shared_ptr<const LeadModel> LatestLeadModel(Warehouse& wh, const std::string& schema) {
  if (!wh.TableExists(schema, "model_runs")) return nullptr;
  const auto rs = wh.Query("SELECT artifact FROM " + Q(schema, "model_runs") +
                           " WHERE status = 'trained' AND artifact IS NOT NULL ORDER BY trained_at DESC LIMIT 1");
  if (rs.RowCount() == 0) return nullptr;
  return LeadModel::FromArtifact(warehouse::AsString(rs.rows[0][0]));
}

EncodedContacts EncodeLiveContacts(Warehouse& wh, const std::string& schema, const LeadModel& model) {
  const LeadData d = LoadLeadData(wh, schema);
  std::vector<size_t> all(d.Rows());
  std::iota(all.begin(), all.end(), size_t{0});
  EncodedContacts e;
  e.contact_ids = d.id;
  e.x = model.EncodeRows(d, all);
  return e;
}

ScoringReport RunLeadScoring(Warehouse& wh, const ScoringOptions& o) {
  const auto t_start = std::chrono::steady_clock::now();
  if (o.window_days <= 0) throw ConfigError("--window must be a positive number of days");
  if (o.calibration_share <= 0 || o.holdout_share <= 0 || o.calibration_share + o.holdout_share >= 0.8)
    throw ConfigError("calibration and holdout shares must be positive and leave most contacts for training");
  const int64_t now_ms = o.now_ms > 0 ? o.now_ms : NowMillis();
  ScoringReport rep;
  rep.target = o.target;
  rep.window_days = o.window_days;
  std::random_device rd;
  rep.run_id = "lead-" + CompactStamp(now_ms) + "-" + Hex((static_cast<uint64_t>(rd()) << 32) ^ rd(), 6);

  Progress(o, "reading lead features from " + o.model_schema + ".lead_features ...");
  LeadData d = LoadLeadData(wh, o.model_schema);
  rep.as_of_date = d.as_of_date;
  rep.prediction_days = d.prediction_days;
  rep.live_contacts = static_cast<int64_t>(d.Rows());
  if (o.window_days <= d.prediction_days) {
    throw ConfigError("the outcome window (" + std::to_string(o.window_days) +
                      " days) must be longer than the prediction delay (" + std::to_string(d.prediction_days) +
                      " days, var lead_prediction_days)");
  }

  // Labels: matured contacts (their window has closed by the as-of date) that had not converted by their
  // prediction time; the label is whether the outcome came within the window after creation.
  const int64_t window_ms = static_cast<int64_t>(o.window_days) * kDayMs;
  std::vector<size_t> labeled;
  std::vector<int> label_of(d.Rows(), -1);
  for (size_t r = 0; r < d.Rows(); ++r) {
    if (d.created_ms[r] < 0 || d.created_ms[r] + window_ms > d.as_of_end_ms) continue;
    const int64_t out = d.Outcome(r, o.target);
    if (out >= 0 && out <= d.prediction_ms[r]) continue;  // already converted when it would be scored
    label_of[r] = (out >= 0 && out <= d.created_ms[r] + window_ms) ? 1 : 0;
    labeled.push_back(r);
  }
  rep.matured_contacts = static_cast<int64_t>(labeled.size());
  for (size_t r : labeled) rep.conversions += label_of[r];

  // Reuse a recent model when asked.
  std::shared_ptr<LeadModel> model;
  int64_t trained_ms = now_ms;
  if (o.retrain_if_older_ms) {
    if (auto last = FindLatestTrained(wh, o.model_schema, o.target, o.window_days)) {
      if (now_ms - last->trained_ms < *o.retrain_if_older_ms) {
        model = LeadModel::FromArtifact(last->artifact);
        rep.model_version = last->model_version;
        rep.status = "reused";
        trained_ms = last->trained_ms;
        Progress(o, "reusing model " + last->model_version + " trained " + last->trained_at);
      }
    }
  }

  // The time-ordered split (rows are ordered by creation).
  const size_t n = labeled.size();
  const auto n_test = static_cast<size_t>(std::llround(o.holdout_share * static_cast<double>(n)));
  const auto n_cal = static_cast<size_t>(std::llround(o.calibration_share * static_cast<double>(n)));
  const size_t n_train = n - std::min(n, n_test + n_cal);
  std::vector<size_t> train(labeled.begin(), labeled.begin() + static_cast<std::ptrdiff_t>(n_train));
  std::vector<size_t> cal(labeled.begin() + static_cast<std::ptrdiff_t>(n_train),
                          labeled.begin() + static_cast<std::ptrdiff_t>(std::min(n, n_train + n_cal)));
  std::vector<size_t> test(labeled.begin() + static_cast<std::ptrdiff_t>(std::min(n, n_train + n_cal)), labeled.end());
  auto labels = [&](const std::vector<size_t>& rows) {
    std::vector<int> y;
    y.reserve(rows.size());
    for (size_t r : rows) y.push_back(label_of[r]);
    return y;
  };
  const auto ytrain = labels(train), ycal = labels(cal), ytest = labels(test);
  const int64_t test_conv = std::count(ytest.begin(), ytest.end(), 1);
  bool below_minimum = false;

  if (!model) {
    rep.status = "trained";
    const std::string what = LeadTargetName(o.target) == "customer"    ? "became a customer"
                             : o.target == LeadTarget::kSalesQualified ? "became sales-qualified"
                                                                       : "became an opportunity";
    if (rep.conversions < o.min_conversions || test_conv < o.min_holdout_conversions || train.empty() || cal.empty() ||
        test.empty()) {
      below_minimum = true;
      char buf[640];
      std::snprintf(buf, sizeof(buf),
                    "lead scoring needs at least %lld conversions (contacts that %s within %d days of creation) among "
                    "the %lld matured contacts, and at least %lld in the latest %.0f%% held out for testing; it has "
                    "%lld (%lld in the holdout). With fewer, the time-ordered test cannot tell a real model from "
                    "chance. Wait for more history, choose a nearer target (--target sql or opportunity), or train "
                    "anyway with --force (the model is then marked unusable).",
                    static_cast<long long>(o.min_conversions), what.c_str(), o.window_days,
                    static_cast<long long>(rep.matured_contacts), static_cast<long long>(o.min_holdout_conversions),
                    100 * o.holdout_share, static_cast<long long>(rep.conversions), static_cast<long long>(test_conv));
      if (!o.force || train.empty() || cal.empty() || test.empty()) {
        rep.status = "refused";
        rep.message = buf;
        rep.usable = false;
        RecordRun(wh, o.model_schema, rep, 0, now_ms, "");
        rep.total_seconds = Seconds(t_start);
        return rep;
      }
      rep.message = std::string("--force: ") + buf;
    }
    const auto t_train = std::chrono::steady_clock::now();
    rep.train_contacts = static_cast<int64_t>(train.size());
    rep.calibration_contacts = static_cast<int64_t>(cal.size());
    rep.holdout_contacts = static_cast<int64_t>(test.size());
    rep.data_window_start = FormatDate(d.created_ms[train.front()]);
    rep.data_window_end = FormatDate(d.created_ms[cal.back()]);

    // Features: the standard ones and the discovered custom properties, screened on the training rows.
    model = std::make_shared<LeadModel>();
    model->target = o.target;
    model->window_days = o.window_days;
    model->prediction_days = d.prediction_days;
    model->data_window_start = rep.data_window_start;
    model->data_window_end = rep.data_window_end;
    model->data_window_end_ms = d.created_ms[cal.back()];
    std::vector<FeatureSpec> candidates = StandardFeatureSpecs(o.sales_activity_features);
    candidates.insert(candidates.end(), d.custom_candidates.begin(), d.custom_candidates.end());
    std::vector<FeatureReport> excluded;
    for (auto& s : candidates) {
      double uni = 0.5;
      const std::string why = Screen(s, d, train, ytrain, o, &uni);
      if (why.empty()) {
        model->specs.push_back(s);
      } else {
        excluded.push_back({s.name, s.group, s.origin, 0, why});
      }
    }
    if (model->specs.empty()) throw InvalidInputError("lead scoring: no feature varies among the training contacts");
    model->width = LayOut(model->specs);
    std::vector<size_t> all(d.Rows());
    std::iota(all.begin(), all.end(), size_t{0});
    model->onehot_missing = true;
    const FeatureMatrix x_train = model->EncodeRows(d, train), x_cal = model->EncodeRows(d, cal),
                        x_test = model->EncodeRows(d, test);
    std::vector<float> ftrain(ytrain.begin(), ytrain.end()), fcal(ycal.begin(), ycal.end());
    // Case-control sampling of the non-conversions when the training slice is large (ScoringOptions).
    std::vector<size_t> fit_rows;
    std::vector<float> fit_weights;
    const auto train_pos = static_cast<size_t>(std::count(ytrain.begin(), ytrain.end(), 1));
    const bool sampled = o.max_training_rows > 0 && train.size() > o.max_training_rows &&
                         o.max_training_rows > train_pos && train.size() > train_pos;
    if (sampled) {
      const double keep =
          static_cast<double>(o.max_training_rows - train_pos) / static_cast<double>(train.size() - train_pos);
      for (size_t i = 0; i < train.size(); ++i) {
        if (ytrain[i] == 1) {
          fit_rows.push_back(i);
          fit_weights.push_back(1.0f);
        } else if (AbGroup(d.id[train[i]], keep, "revlens-lead-train-sample") == "holdout") {
          fit_rows.push_back(i);
          fit_weights.push_back(static_cast<float>(1.0 / keep));
        }
      }
      Progress(o, "training on every conversion and " + std::to_string(fit_rows.size() - train_pos) + " of " +
                      std::to_string(train.size() - train_pos) + " non-conversions (weighted) ...");
    }
    const FeatureMatrix x_fit = sampled ? x_train.SelectRows(fit_rows) : FeatureMatrix();
    std::vector<float> ffit;
    for (size_t i : fit_rows) ffit.push_back(ftrain[i]);

    for (const char* name : {"likelihood", "fit", "engagement"}) {
      SubModel sub;
      sub.name = name;
      for (size_t i = 0; i < model->specs.size(); ++i) {
        const auto& s = model->specs[i];
        if (sub.name != "likelihood" && s.group != sub.name) continue;
        sub.specs.push_back(i);
        for (size_t c = 0; c < s.ncols; ++c) sub.cols.push_back(s.first_col + c);
      }
      if (sub.specs.empty()) continue;
      Progress(o, "training the " + sub.name + " model on " + std::to_string(train.size()) + " contacts (" +
                      std::to_string(std::count(ytrain.begin(), ytrain.end(), 1)) + " conversions), " +
                      std::to_string(sub.specs.size()) + " features ...");
      GbmClassifier booster(o.gbm);
      const FeatureMatrix xs_train = x_train.SelectCols(sub.cols), xs_cal = x_cal.SelectCols(sub.cols);
      if (sampled) {
        booster.Fit(x_fit.SelectCols(sub.cols), ffit, &xs_cal, &fcal, &fit_weights);
      } else {
        booster.Fit(xs_train, ftrain, &xs_cal, &fcal);
      }
      sub.booster = std::move(booster);
      if (o.linear_blend) {
        const auto t_blend = std::chrono::steady_clock::now();
        if (sampled) {
          std::vector<int> yfit(ffit.begin(), ffit.end());
          FitLinearBlend(sub, model->specs, x_fit.SelectCols(sub.cols), yfit, fit_weights, xs_cal, ycal);
        } else {
          FitLinearBlend(sub, model->specs, xs_train, ytrain, {}, xs_cal, ycal);
        }
        char blend[200];
        std::snprintf(
            blend, sizeof(blend),
            "  %s: blended with a ridge logistic model (penalty %g; weights: trees %.2f, linear %.2f; %.2f s)",
            sub.name.c_str(), sub.linear.penalty, sub.linear.w_trees, sub.linear.Active() ? sub.linear.w_linear : 0.0,
            Seconds(t_blend));
        Progress(o, blend);
      }
      const auto m_cal = sub.Margins(xs_cal);
      sub.calibrator.Fit(m_cal, ycal);
      sub.cuts = Quantiles(m_cal, {0.75, 0.5, 0.25});
      std::vector<double> probs(1001);
      for (size_t k = 0; k < probs.size(); ++k) probs[k] = static_cast<double>(k) / 1000.0;
      const auto m_train = sub.Margins(xs_train);
      sub.reference = Quantiles(m_train, probs);
      const auto m_test = sub.Margins(x_test.SelectCols(sub.cols));
      const ScoreMetrics metrics = Evaluate(sub, m_test, ytest);
      if (sub.name == "likelihood") {
        rep.likelihood = metrics;
        for (size_t i = 0; i < test.size(); ++i)
          rep.holdout.push_back({d.id[test[i]], ytest[i], m_test[i], sub.calibrator.Apply(m_test[i])});
        // Importance: mean |contribution| per feature on the calibration slice.
        const Contributions c = sub.booster.PredictContributions(xs_cal);
        std::vector<double> imp(model->specs.size(), 0.0);
        std::vector<double> contrib(c.width);
        for (size_t r = 0; r < c.rows; ++r) {
          for (size_t j = 0; j < c.width; ++j) contrib[j] = static_cast<double>(c.At(r, j));
          sub.linear.Blend(&xs_cal.values[r * xs_cal.cols], 0.0, contrib.data());
          size_t off = 0;
          for (size_t si : sub.specs) {
            double s = 0;
            for (size_t j = 0; j < model->specs[si].ncols; ++j) s += contrib[off + j];
            off += model->specs[si].ncols;
            imp[si] += std::fabs(s) / static_cast<double>(std::max<size_t>(1, c.rows));
          }
        }
        for (size_t i = 0; i < model->specs.size(); ++i)
          rep.features.push_back({model->specs[i].name, model->specs[i].group, model->specs[i].origin, imp[i], ""});
        std::sort(rep.features.begin(), rep.features.end(),
                  [](const auto& a, const auto& b) { return a.importance > b.importance; });
        // Drift references: the training score and the top features.
        model->score_reference = MakePsiReference(m_train);
        for (size_t k = 0; k < rep.features.size() && k < kTopDriftFeatures; ++k) {
          for (size_t i = 0; i < model->specs.size(); ++i) {
            if (model->specs[i].name != rep.features[k].name) continue;
            model->feature_references.emplace_back(i, MakePsiReference(ScalarValues(model->specs[i], x_train)));
          }
        }
      } else if (sub.name == "fit") {
        rep.fit = metrics;
      } else {
        rep.engagement = metrics;
      }
      model->models.push_back(std::move(sub));
    }
    rep.features.insert(rep.features.end(), excluded.begin(), excluded.end());
    rep.train_seconds = Seconds(t_train);

    // Honest about no signal.
    const auto& auc = rep.likelihood.auc;
    const bool signal = std::isfinite(auc.ci.low) && auc.ci.low > 0.5;
    model->usable = signal && !below_minimum;
    rep.usable = model->usable;
    char buf[640];
    if (!signal) {
      std::snprintf(buf, sizeof(buf),
                    "No signal: on the %lld contacts held out (created after the training window), the model ranks "
                    "conversions no better than chance can explain (AUC %.3f, 95%% CI %.3f-%.3f includes 0.5). The "
                    "scores are marked unusable and revlens push will not send them unless forced.",
                    static_cast<long long>(rep.likelihood.contacts), auc.auc, auc.ci.low, auc.ci.high);
      rep.message = rep.message.empty() ? std::string(buf) : rep.message + " " + buf;
    } else if (!below_minimum) {
      std::snprintf(buf, sizeof(buf),
                    "Usable: the holdout AUC %.3f (95%% CI %.3f-%.3f) is above chance; tiers A+B hold %.0f%% of the "
                    "held-out conversions.",
                    auc.auc, auc.ci.low, auc.ci.high, 100 * rep.likelihood.tiers_ab_capture);
      rep.message = buf;
    }
    const std::string artifact_probe = model->ToArtifact();
    rep.model_version = "lead-" + LeadTargetName(o.target) + "-" + CompactStamp(now_ms).substr(0, 8) + "-" +
                        Hex(Fnv1a(artifact_probe), 8);
  } else {
    rep.usable = model->usable;
    rep.data_window_start = model->data_window_start;
    rep.data_window_end = model->data_window_end;
    rep.message = model->usable ? "Scored with the stored model (younger than --retrain-if-older)."
                                : "Scored with the stored model, which is marked unusable.";
  }

  // Score every live contact.
  Progress(o, "scoring " + std::to_string(d.Rows()) + " live contacts ...");
  const auto t_score = std::chrono::steady_clock::now();
  std::vector<size_t> all(d.Rows());
  std::iota(all.begin(), all.end(), size_t{0});
  const FeatureMatrix x_all = model->EncodeRows(d, all);
  const std::vector<LeadScore> scores = ScoreRows(*model, x_all, o.reasons);
  rep.score_seconds = Seconds(t_score);
  rep.scored = static_cast<int64_t>(scores.size());
  for (const char* t : {"A", "B", "C", "D"}) rep.tier_counts[t] = 0;
  for (const auto& s : scores) rep.tier_counts[std::string(1, s.tier)]++;

  // Matured cohorts since the model's data window, and drift of recent contacts against training.
  {
    std::vector<double> m;
    std::vector<int> y;
    for (size_t r : labeled) {
      if (d.created_ms[r] <= model->data_window_end_ms) continue;
      m.push_back(scores[r].margin);
      y.push_back(label_of[r]);
    }
    rep.matured_cohort_contacts = static_cast<int64_t>(y.size());
    if (!y.empty()) rep.matured_cohort_auc = AucDeLong(m, y);
    std::vector<size_t> recent;
    for (size_t r = 0; r < d.Rows(); ++r)
      if (d.created_ms[r] > d.as_of_end_ms - 90 * kDayMs) recent.push_back(r);
    rep.drift.recent_contacts = static_cast<int64_t>(recent.size());
    if (recent.size() >= 50) {
      std::vector<double> rm;
      for (size_t r : recent) rm.push_back(scores[r].margin);
      rep.drift.score_psi = PopulationStabilityIndex(model->score_reference, rm);
      rep.drift.alert = rep.drift.score_psi > kPsiAlert;
      const FeatureMatrix xr = x_all.SelectRows(recent);
      for (const auto& [si, ref] : model->feature_references) {
        const double psi = PopulationStabilityIndex(ref, ScalarValues(model->specs[si], xr));
        rep.drift.feature_psi.emplace_back(model->specs[si].name, psi);
        rep.drift.alert = rep.drift.alert || psi > kPsiAlert;
      }
    } else {
      rep.drift.score_psi = kNaN;
    }
  }

  // Write lead_scores in one transaction, then record the run.
  Progress(o, "writing " + o.model_schema + ".lead_scores ...");
  const auto scored_at = warehouse::TimestampFromMillis(now_ms);
  std::vector<std::vector<Value>> rows;
  rows.reserve(scores.size());
  for (size_t r = 0; r < scores.size(); ++r) {
    const auto& s = scores[r];
    rows.push_back({rep.run_id, rep.model_version, d.id[r], scored_at, s.likelihood, std::string(1, s.tier), s.fit,
                    s.engagement, s.reasons, AbGroup(d.id[r], o.ab_holdout_share, o.ab_salt), rep.usable, o.shadow,
                    s.fit_reasons, s.engagement_reasons});
  }
  {
    warehouse::Transaction tx(wh);
    EnsureTable(wh, o.model_schema, "lead_scores", LeadScoreColumns());
    wh.Execute("DELETE FROM " + Q(o.model_schema, "lead_scores"));
    wh.BulkLoad(o.model_schema, "lead_scores", LeadScoreColumns(), rows);
    RecordRun(wh, o.model_schema, rep, trained_ms, now_ms, rep.status == "trained" ? model->ToArtifact() : "");
    tx.Commit();
  }
  rep.total_seconds = Seconds(t_start);
  return rep;
}

// ------------------------------------------------------------------------------------------------ A/B report

AbReport RunAbReport(Warehouse& wh, const AbOptions& o) {
  AbReport rep;
  const LeadData d = LoadLeadData(wh, o.model_schema);
  rep.as_of_date = d.as_of_date;
  rep.since = o.since;
  if (rep.since.empty() && wh.TableExists(o.model_schema, "model_runs")) {
    const auto rs =
        wh.Query("SELECT MIN(as_of_date) FROM " + Q(o.model_schema, "model_runs") + " WHERE status <> 'refused'");
    if (rs.RowCount() && !warehouse::IsNull(rs.rows[0][0])) rep.since = warehouse::ToString(rs.rows[0][0]);
  }
  if (rep.since.empty()) {
    rep.message = "No scoring run yet: run `revlens score` first (or pass --ab-since YYYY-MM-DD).";
    return rep;
  }
  const auto since = warehouse::ParseDate(rep.since);
  if (!since) throw ConfigError("--ab-since: expected YYYY-MM-DD, got '" + rep.since + "'");
  const int64_t since_ms = static_cast<int64_t>(since->days) * kDayMs;
  std::map<int64_t, char> tiers;
  if (wh.TableExists(o.model_schema, "lead_scores")) {
    const auto rs = wh.Query("SELECT contact_id, tier FROM " + Q(o.model_schema, "lead_scores"));
    for (const auto& row : rs.rows)
      if (!warehouse::IsNull(row[1])) tiers[warehouse::AsInt64(row[0])] = warehouse::AsString(row[1])[0];
  }
  const int64_t window_ms = static_cast<int64_t>(o.window_days) * kDayMs;
  for (size_t r = 0; r < d.Rows(); ++r) {
    if (d.created_ms[r] < since_ms || d.created_ms[r] + window_ms > d.as_of_end_ms) continue;
    const int64_t out = d.Outcome(r, o.target);
    const bool conv = out >= 0 && out <= d.created_ms[r] + window_ms;
    const bool hold = AbGroup(d.id[r], o.holdout_share, o.salt) == "holdout";
    AbArm& arm = hold ? rep.holdout : rep.treatment;
    arm.contacts++;
    arm.conversions += conv;
    const auto t = tiers.find(d.id[r]);
    if (t != tiers.end() && (t->second == 'A' || t->second == 'B')) {
      AbArm& ab = hold ? rep.holdout_ab : rep.treatment_ab;
      ab.contacts++;
      ab.conversions += conv;
    }
  }
  for (AbArm* a : {&rep.treatment, &rep.holdout, &rep.treatment_ab, &rep.holdout_ab}) {
    a->rate = a->contacts ? static_cast<double>(a->conversions) / static_cast<double>(a->contacts) : 0;
    a->ci = WilsonInterval(a->conversions, a->contacts);
  }
  // Newcombe's hybrid score interval for a difference of two proportions (method 10), from the Wilson limits.
  const double p1 = rep.treatment.rate, p2 = rep.holdout.rate;
  rep.lift = p1 - p2;
  const auto& a = rep.treatment.ci;
  const auto& b = rep.holdout.ci;
  rep.lift_ci = {rep.lift - std::sqrt((p1 - a.low) * (p1 - a.low) + (b.high - p2) * (b.high - p2)),
                 rep.lift + std::sqrt((a.high - p1) * (a.high - p1) + (p2 - b.low) * (p2 - b.low))};
  rep.enough = rep.holdout.contacts >= 30 && rep.treatment.contacts >= 30 &&
               rep.holdout.conversions + rep.treatment.conversions >= 10;
  char buf[512];
  if (!rep.enough) {
    std::snprintf(buf, sizeof(buf),
                  "Not enough matured contacts since %s yet (%lld treatment, %lld holdout): a contact counts once its "
                  "%d-day window has closed. Check again later.",
                  rep.since.c_str(), static_cast<long long>(rep.treatment.contacts),
                  static_cast<long long>(rep.holdout.contacts), o.window_days);
  } else if (rep.lift_ci.low > 0) {
    std::snprintf(buf, sizeof(buf),
                  "Score-driven follow-up lifts conversion by %.2f points (95%% CI %.2f to %.2f): the difference is "
                  "beyond chance.",
                  100 * rep.lift, 100 * rep.lift_ci.low, 100 * rep.lift_ci.high);
  } else {
    std::snprintf(buf, sizeof(buf),
                  "No lift shown yet: the difference of %.2f points (95%% CI %.2f to %.2f) includes zero.",
                  100 * rep.lift, 100 * rep.lift_ci.low, 100 * rep.lift_ci.high);
  }
  rep.message = buf;
  return rep;
}

}  // namespace revlens::insights
