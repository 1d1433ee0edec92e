#include "insights/forecast_model.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/time_util.hpp"
#include "insights/stats.hpp"

namespace revlens::insights {
namespace {

/// The horizon of an eventual-outcome row (days): far beyond any deal cycle.
constexpr float kEventualDays = 3650;
/// Horizon features appended to the deal features.
constexpr size_t kHorizonFeatures = 3;
/// Columns the stage-rates model sees: pipeline, stage order, stage probability, days in the stage and the deal's
/// age, then the horizon features. Without the two ages a deal gets its stage's rate however long it has sat there,
/// and on `demo` (where the stage model is what most cutoffs use) deals open 60-120 days were predicted 15-18 points
/// above their win rate, 120 days and more 33-46 points; with them those gaps fall within the noise and the
/// backtest's per-deal AUC rose by 0.02-0.04.
constexpr size_t kStageColumns[] = {0, 1, 2, 3, 4};
/// Days of won-within-d-days curve kept for new deals.
constexpr size_t kMaxCycleDays = 500;
/// Prior standard deviation of a month-of-year effect on the log creation rate (ridge penalty 1 / sd^2).
constexpr double kSeasonPriorSd = 0.15;
/// Prior standard deviation of the last year's growth (log per year) around the whole window's.
constexpr double kTrendPriorSd = 0.3;
/// Prior standard deviation of the Platt map's slope around 1 (FitPlattMap). Fitted freely on the holdout's few
/// hundred deals, the slope swung 0.67-1.35 between consecutive monthly cutoffs of the same demo portal (seed 42):
/// noise, which bent good probabilities. bench_forecast's per-deal ECE, mean of 8 figures (demo seeds 42/5/11/7 by
/// quarter and month): 0.0445 free, 0.037 at 0.1, 0.041 at 0.2, 0.044 at 0.4, and at 0.1 a lower log loss on 7 of
/// the 8 (the other equal); chosen there, then checked on seeds 3/13/23 not used for the choice: ECE 0.054 free,
/// 0.051 at 0.1, log loss within 0.004 either way.
constexpr double kPlattSlopePriorSd = 0.1;

bool IsQuarterStart(int64_t ms) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(FloorDiv(ms, kDayMs), y, m, d);
  return d == 1 && (m - 1) % 3 == 0;
}

/// Append the horizon features of a row ending at `end_ms` (kNever: the eventual outcome).
void HorizonFeatures(const DealState& s, int64_t cutoff, int64_t end_ms, float* out) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  if (end_ms == kNever) {
    out[0] = kEventualDays;
    out[1] = 0;
    out[2] = nan;
    return;
  }
  out[0] = static_cast<float>(static_cast<double>(end_ms - cutoff) / kDayMs);
  out[1] = IsQuarterStart(end_ms) ? 1.0f : 0.0f;
  out[2] = s.close_date_ms == kNever ? nan : static_cast<float>(static_cast<double>(end_ms - s.close_date_ms) / kDayMs);
}

struct Rows {
  std::vector<float> x;  // row-major, width columns
  std::vector<float> y;
  std::vector<size_t> deal;
  std::vector<int64_t> cutoff;
  std::vector<char> eventual;
  size_t width = 0;
  size_t Count() const { return y.size(); }
};

FeatureMatrix Select(const Rows& r, const std::vector<size_t>& rows, const std::vector<size_t>& cols) {
  FeatureMatrix m(rows.size(), cols.size());
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = 0; j < cols.size(); ++j) m.At(i, j) = r.x[rows[i] * r.width + cols[j]];
  return m;
}

std::vector<float> Labels(const Rows& r, const std::vector<size_t>& rows) {
  std::vector<float> y;
  y.reserve(rows.size());
  for (size_t i : rows) y.push_back(r.y[i]);
  return y;
}

std::vector<size_t> StageColumnIndex() {
  std::vector<size_t> cols(std::begin(kStageColumns), std::end(kStageColumns));
  for (size_t k = 0; k < kHorizonFeatures; ++k) cols.push_back(DealFeatureCount() + k);
  return cols;
}

std::vector<size_t> AllColumns() {
  std::vector<size_t> cols(DealFeatureCount() + kHorizonFeatures);
  for (size_t i = 0; i < cols.size(); ++i) cols[i] = i;
  return cols;
}

double Logit(double p) {
  const double q = std::clamp(p, 1e-6, 1 - 1e-6);
  return std::log(q / (1 - q));
}

}  // namespace

GbmParams DealModelOptions::DefaultGbm() {
  GbmParams p;
  p.max_rounds = 500;
  p.early_stopping_rounds = 40;
  p.learning_rate = 0.06;
  p.max_depth = 4;
  p.min_child_weight = 5;
  p.subsample = 0.8;
  p.colsample_bytree = 0.8;
  p.reg_lambda = 2;
  p.seed = 17;
  // One thread: the training sets are small (tens of thousands of rows), where OpenMP's fork/join and spin-waits
  // cost more than they save, badly so on a busy machine.
  p.threads = 1;
  return p;
}

void CheckHistory(const ForecastData& data, int64_t cutoff, const DealModelOptions& o) {
  int64_t won = 0, lost = 0, first = kNever;
  for (const auto& d : data.deals) {
    if (d.created_ms < cutoff) first = std::min(first, d.created_ms);
    if (d.closed && d.close_known_ms < cutoff) ++(d.won ? won : lost);
  }
  const bool span = first != kNever && cutoff - first >= o.min_history_days * kDayMs;
  if (won >= o.min_won && lost >= o.min_lost && span) return;
  throw InsufficientHistoryError(
      "too little history to forecast from " + FormatDate(cutoff) + ": revlens forecast needs at least " +
      std::to_string(o.min_won) + " won and " + std::to_string(o.min_lost) + " lost deals and " +
      std::to_string(o.min_history_days) + " days of deal history before it; there are " + std::to_string(won) +
      " won and " + std::to_string(lost) + " lost" +
      (first == kNever ? std::string(" and no deals") : ", deals since " + FormatDate(first)) +
      ". With less it would print noise: forecast later periods or wait for more closed deals");
}

std::vector<double> FitPlattMap(const std::vector<double>& p, const std::vector<int>& y,
                                const std::vector<size_t>& deals, double slope_prior_sd) {
  if (p.size() != y.size() || p.size() != deals.size() || p.empty())
    throw InvalidInputError("Platt map: need one outcome and one deal per score, and at least one score");
  if (!(slope_prior_sd > 0)) throw InvalidInputError("Platt map: the slope's prior sd must be > 0");
  // logit(q) = logit(p) + a + d * logit(p): the offset carries the slope 1, the ridge penalty 1 / sd^2 is the
  // normal prior on d = b - 1. Every row weighs deals / rows, so the likelihood holds as much evidence as there are
  // deals (a deal's snapshots share one outcome) while each snapshot keeps its share of the fit.
  const std::set<size_t> distinct(deals.begin(), deals.end());
  const double w = static_cast<double>(distinct.size()) / static_cast<double>(p.size());
  std::vector<std::vector<double>> x;
  std::vector<double> offset;
  x.reserve(p.size());
  offset.reserve(p.size());
  for (double v : p) {
    x.push_back({Logit(v)});
    offset.push_back(Logit(v));
  }
  RidgeLogistic fit(1 / (slope_prior_sd * slope_prior_sd));
  fit.Fit(x, y, std::vector<double>(p.size(), w), offset);
  return {fit.State().intercept, 1 + fit.State().coefficients[0]};
}

// ------------------------------------------------------------------------------------------------ DealModel

DealModel::DealModel(DealModelOptions options) : options_(std::move(options)) {}

void DealModel::Fit(const ForecastData& data, const OutcomeIndex& outcomes, int64_t T) {
  CheckHistory(data, T, options_);
  report_ = {};
  codes_ = FeatureCodes::Of(data);
  report_.train_end_ms = T;
  int64_t first = kNever;
  double open_days = 0;
  for (const auto& d : data.deals) {
    if (d.created_ms >= T) continue;
    first = std::min(first, d.created_ms);
    if (d.closed && d.close_known_ms < T) ++(d.won ? report_.won : report_.lost);
    open_days += static_cast<double>(std::min(d.close_known_ms, T) - d.created_ms) / kDayMs;
  }
  const int H = std::max(1, options_.horizon_periods);
  int step = options_.cutoff_step_days > 0 ? options_.cutoff_step_days : 7;
  if (options_.cutoff_step_days <= 0) {
    const double est = open_days * (H + 1) * 0.8;
    step =
        std::max(step, static_cast<int>(std::ceil(est / static_cast<double>(std::max<size_t>(options_.max_rows, 1)))));
  }
  report_.step_days = step;

  // Snapshots every `step` days back from T; a row per open deal and horizon whose outcome was known by T.
  Rows rows;
  rows.width = DealFeatureCount() + kHorizonFeatures;
  std::vector<float> base(DealFeatureCount());
  const int64_t earliest = first + 30 * kDayMs;
  for (int64_t c = T - static_cast<int64_t>(step) * kDayMs; c >= earliest; c -= static_cast<int64_t>(step) * kDayMs) {
    const Period p0 = PeriodContaining(c, options_.period);
    std::vector<int64_t> ends;
    for (int k = 0; k < H; ++k) {
      const int64_t e = ShiftPeriod(p0, options_.period, k).end_ms;
      if (e <= T) ends.push_back(e);
    }
    const bool eventual = c <= T - options_.eventual_lag_days * kDayMs;
    if (ends.empty() && !eventual) continue;
    for (size_t i = 0; i < data.deals.size(); ++i) {
      const DealRecord& d = data.deals[i];
      if (d.created_ms >= c || d.close_known_ms < c) continue;
      const DealState s = StateAt(data, d, c);
      if (!s.exists || !s.open) continue;
      DealFeatures(data, outcomes, d, s, c, base.data());
      const auto add = [&](int64_t end, float label, bool ev) {
        const size_t at = rows.x.size();
        rows.x.resize(at + rows.width);
        std::copy(base.begin(), base.end(), rows.x.begin() + static_cast<ptrdiff_t>(at));
        HorizonFeatures(s, c, end, rows.x.data() + at + DealFeatureCount());
        rows.y.push_back(label);
        rows.deal.push_back(i);
        rows.cutoff.push_back(c);
        rows.eventual.push_back(ev ? 1 : 0);
      };
      // Labels only from outcomes known before T (a later win is a 0 here, as it was then).
      const bool won = d.won && d.close_known_ms < T;
      for (int64_t e : ends) add(e, won && d.close_ms < e ? 1.0f : 0.0f, false);
      if (eventual) add(kNever, won ? 1.0f : 0.0f, true);
    }
  }

  // Time-ordered holdout: the deals created last (among those with eventual rows) and every later deal.
  std::vector<int64_t> created;
  for (size_t r = 0; r < rows.Count(); ++r)
    if (rows.eventual[r]) created.push_back(data.deals[rows.deal[r]].created_ms);
  std::sort(created.begin(), created.end());
  created.erase(std::unique(created.begin(), created.end()), created.end());
  if (created.size() < 20)
    throw InsufficientHistoryError("too little history to forecast from " + FormatDate(T) +
                                   ": fewer than 20 deals were open " + std::to_string(options_.eventual_lag_days) +
                                   " days or more before it; revlens forecast needs deals with known outcomes");
  const int64_t split =
      created[static_cast<size_t>(std::floor(static_cast<double>(created.size()) * (1 - options_.holdout_share)))];
  std::vector<size_t> train, valid;
  for (size_t r = 0; r < rows.Count(); ++r) (data.deals[rows.deal[r]].created_ms >= split ? valid : train).push_back(r);
  report_.train_rows = train.size();
  report_.holdout_rows = valid.size();

  const auto all_cols = AllColumns(), stage_cols = StageColumnIndex();
  const FeatureMatrix tx = Select(rows, train, all_cols), vx = Select(rows, valid, all_cols);
  const FeatureMatrix stx = Select(rows, train, stage_cols), svx = Select(rows, valid, stage_cols);
  const std::vector<float> ty = Labels(rows, train), vy = Labels(rows, valid);
  // The full and the stage-rates model train at once, each on one thread (separate boosters; XGBoost's error
  // string is read on the thread that called it): on `large` the two fits were half of each cutoff's time.
  full_ = std::make_unique<GbmClassifier>(options_.gbm);
  // The stage model has a handful of columns: twice the learning rate reaches the same fit in about half the rounds
  // (on `large` 126-172 rounds instead of 214-323; demo's per-deal figures the same within noise).
  GbmParams stage_gbm = options_.gbm;
  stage_gbm.learning_rate *= 2;
  stage_ = std::make_unique<GbmClassifier>(stage_gbm);
  auto stage_fit = std::async(std::launch::async, [&] {
    stage_->Fit(stx, ty, valid.empty() ? nullptr : &svx, valid.empty() ? nullptr : &vy);
  });
  try {
    full_->Fit(tx, ty, valid.empty() ? nullptr : &vx, valid.empty() ? nullptr : &vy);
  } catch (...) {
    stage_fit.wait();  // the task reads this frame's matrices: let it finish before they go
    throw;
  }
  stage_fit.get();
  report_.rounds = full_->Rounds();
  report_.stage_rounds = stage_->Rounds();

  // Signal check on one row per holdout deal (its earliest eventual snapshot): the full model must beat 0.5 and
  // the stage rates with confidence, else the stage rates are used.
  const std::vector<float> vp = valid.empty() ? std::vector<float>{} : full_->Predict(vx);
  const std::vector<float> svp = valid.empty() ? std::vector<float>{} : stage_->Predict(svx);
  std::map<size_t, size_t> first_row;  // deal -> position in valid
  for (size_t k = 0; k < valid.size(); ++k) {
    const size_t r = valid[k];
    if (!rows.eventual[r]) continue;
    auto [it, fresh] = first_row.emplace(rows.deal[r], k);
    if (!fresh && rows.cutoff[r] < rows.cutoff[valid[it->second]]) it->second = k;
  }
  std::vector<double> fs, ss;
  std::vector<int> lab;
  for (const auto& [deal, k] : first_row) {
    fs.push_back(vp[k]);
    ss.push_back(svp[k]);
    lab.push_back(vy[k] > 0.5f ? 1 : 0);
  }
  report_.holdout_deals = lab.size();
  const int64_t pos = std::count(lab.begin(), lab.end(), 1);
  const int64_t neg = static_cast<int64_t>(lab.size()) - pos;
  bool use_stage = false;
  if (pos >= 5 && neg >= 5) {
    const AucEstimate a = AucDeLong(fs, lab, options_.level);
    const AucDifference g = AucDeLongPaired(fs, ss, lab, options_.level);
    report_.holdout_auc = a.auc;
    report_.holdout_auc_low = a.ci.low;
    report_.holdout_auc_high = a.ci.high;
    report_.stage_auc = g.auc_b;
    report_.gain_low = g.ci.low;
    report_.gain_high = g.ci.high;
    char buf[400];
    if (a.ci.low <= 0.5) {
      use_stage = true;
      std::snprintf(buf, sizeof buf,
                    "deal outcomes are not predictable from the data (holdout AUC %.3f, %.0f%% CI %.3f-%.3f includes "
                    "0.5): per-deal probabilities are historical stage conversion rates (by days in stage and deal age)",
                    a.auc, 100 * options_.level, a.ci.low, a.ci.high);
    } else if (g.ci.low <= 0) {
      use_stage = true;
      std::snprintf(buf, sizeof buf,
                    "deal features add nothing over the stage (holdout AUC %.3f vs %.3f from the stage and its age, gain "
                    "%.0f%% CI %.3f to %.3f includes 0): per-deal probabilities are historical stage conversion rates "
                    "(by days in stage and deal age)",
                    a.auc, g.auc_b, 100 * options_.level, g.ci.low, g.ci.high);
    } else {
      std::snprintf(buf, sizeof buf,
                    "deal model: holdout AUC %.3f (%.0f%% CI %.3f-%.3f) vs %.3f from the stage and its age on %zu deals "
                    "created from %s",
                    a.auc, 100 * options_.level, a.ci.low, a.ci.high, g.auc_b, lab.size(), FormatDate(split).c_str());
    }
    report_.message = buf;
  } else {
    report_.message = "holdout too small for the signal check (" + std::to_string(pos) + " won, " +
                      std::to_string(neg) + " lost): the deal model is used unchecked";
  }
  report_.method = use_stage ? "stage_rates" : "model";

  // Platt scaling of the chosen model on the holdout, one map for the eventual outcome and one for the
  // horizons (their scores mean different things; one map over both would bend each toward the other).
  const auto& p = use_stage ? svp : vp;
  for (int ev = 0; ev < 2; ++ev) {
    std::vector<double> score;
    std::vector<int> y;
    std::vector<size_t> deal_of;
    for (size_t k = 0; k < valid.size(); ++k) {
      if (rows.eventual[valid[k]] != ev) continue;
      score.push_back(p[k]);
      y.push_back(vy[k] > 0.5f ? 1 : 0);
      deal_of.push_back(rows.deal[valid[k]]);
    }
    const int64_t wins = std::count(y.begin(), y.end(), 1);
    if (score.size() < 100 || wins < 10 || wins + 10 > static_cast<int64_t>(y.size())) continue;
    (ev ? eventual_platt_ : horizon_platt_) = FitPlattMap(score, y, deal_of, kPlattSlopePriorSd);
    (ev ? report_.eventual_platt : report_.horizon_platt) = ev ? eventual_platt_ : horizon_platt_;
    report_.calibrated = true;
  }
}

std::vector<DealPrediction> DealModel::Predict(const ForecastData& data, const OutcomeIndex& outcomes,
                                               const std::vector<size_t>& deals, const std::vector<DealState>& states,
                                               int64_t cutoff, const std::vector<int64_t>& ends) const {
  std::vector<const DealRecord*> records;
  records.reserve(deals.size());
  for (size_t i : deals) records.push_back(&data.deals[i]);
  return Predict(data, outcomes, records, states, cutoff, ends);
}

std::vector<DealPrediction> DealModel::Predict(const ForecastData& data, const OutcomeIndex& outcomes,
                                               const std::vector<const DealRecord*>& deals,
                                               const std::vector<DealState>& states, int64_t cutoff,
                                               const std::vector<int64_t>& ends) const {
  if (!full_) throw InvalidInputError("DealModel::Predict before Fit");
  const size_t per = ends.size() + 1, width = DealFeatureCount() + kHorizonFeatures;
  Rows rows;
  rows.width = width;
  rows.x.resize(deals.size() * per * width);
  std::vector<float> base(DealFeatureCount());
  for (size_t i = 0; i < deals.size(); ++i) {
    DealFeatures(data, outcomes, *deals[i], states[i], cutoff, base.data());
    for (size_t k = 0; k < per; ++k) {
      float* row = rows.x.data() + (i * per + k) * width;
      std::copy(base.begin(), base.end(), row);
      HorizonFeatures(states[i], cutoff, k < ends.size() ? ends[k] : kNever, row + DealFeatureCount());
      rows.y.push_back(0);
    }
  }
  std::vector<size_t> all(rows.Count());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  const bool stage = Fallback();
  const FeatureMatrix x = Select(rows, all, stage ? StageColumnIndex() : AllColumns());
  const std::vector<float> raw = all.empty() ? std::vector<float>{} : (stage ? stage_ : full_)->Predict(x);
  std::vector<DealPrediction> out(deals.size());
  for (size_t i = 0; i < deals.size(); ++i) {
    const auto P = [&](size_t k) {
      const double v = raw[i * per + k];
      const auto& c = k < ends.size() ? horizon_platt_ : eventual_platt_;
      return c.empty() ? v : 1.0 / (1.0 + std::exp(-(c[0] + c[1] * Logit(v))));
    };
    // P(won eventually) is the calibrated eventual head alone, and the horizon probabilities are capped at it.
    // Taking the larger of the eventual and the last horizon's probability instead biased p_win upward: they are two
    // noisy estimates of nearly the same thing (cycles are short next to the horizon), and their maximum over-stated
    // the win rate by 0.01-0.02 (bench_forecast demo: ECE 0.065 -> 0.058 by quarter and 0.081 -> 0.064 by month at
    // seed 5, 0.060 -> 0.050 by quarter at seed 11).
    DealPrediction& p = out[i];
    p.p_win = P(ends.size());
    double prev = 0;
    for (size_t k = 0; k < ends.size(); ++k) {
      prev = std::min(std::max(prev, P(k)), p.p_win);
      p.won_by.push_back(prev);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ persistence

FeatureCodes FeatureCodes::Of(const ForecastData& data) {
  return {data.pipelines,           data.industry_vocabulary, data.size_band_vocabulary,
          data.seniority_vocabulary, data.source_vocabulary,   data.tech_vocabulary};
}

void AlignCodes(ForecastData& data, const FeatureCodes& codes) {
  if (FeatureCodes::Of(data) == codes) return;
  // Pipelines: the model's order first, then any the model never saw.
  std::vector<int> pipeline_to(data.pipelines.size(), -1);
  std::vector<std::string> pipelines = codes.pipelines, labels = codes.pipelines;
  std::vector<int> open_count(codes.pipelines.size(), 0);
  for (size_t p = 0; p < data.pipelines.size(); ++p) {
    const auto it = std::find(pipelines.begin(), pipelines.end(), data.pipelines[p]);
    const auto at = static_cast<size_t>(it - pipelines.begin());
    if (it == pipelines.end()) {
      pipelines.push_back(data.pipelines[p]);
      labels.push_back(data.pipelines[p]);
      open_count.push_back(0);
    }
    pipeline_to[p] = static_cast<int>(at);
    if (p < data.pipeline_labels.size()) labels[at] = data.pipeline_labels[p];
    if (p < data.open_stage_count.size()) open_count[at] = data.open_stage_count[p];
  }
  const auto MapCode = [](const std::vector<std::string>& from, const std::vector<std::string>& to, int code) {
    if (code < 0 || static_cast<size_t>(code) >= from.size()) return -1;
    const auto it = std::find(to.begin(), to.end(), from[static_cast<size_t>(code)]);
    return it == to.end() ? -1 : static_cast<int>(it - to.begin());
  };
  const auto Pipeline = [&](int p) { return p < 0 ? p : pipeline_to[static_cast<size_t>(p)]; };
  for (auto& d : data.deals) {
    d.pipeline = Pipeline(d.pipeline);
    for (auto& e : d.pipelines) e.value = Pipeline(e.value);
    d.industry = MapCode(data.industry_vocabulary, codes.industry, d.industry);
    d.size_band = MapCode(data.size_band_vocabulary, codes.size_band, d.size_band);
    d.seniority = MapCode(data.seniority_vocabulary, codes.seniority, d.seniority);
    d.lead_source = MapCode(data.source_vocabulary, codes.source, d.lead_source);
    std::vector<int> tech;
    for (int t : d.tech)
      if (const int c = MapCode(data.tech_vocabulary, codes.tech, t); c >= 0) tech.push_back(c);
    d.tech = std::move(tech);
  }
  data.pipelines = std::move(pipelines);
  data.pipeline_labels = std::move(labels);
  data.open_stage_count = std::move(open_count);
  data.industry_vocabulary = codes.industry;
  data.size_band_vocabulary = codes.size_band;
  data.seniority_vocabulary = codes.seniority;
  data.source_vocabulary = codes.source;
  data.tech_vocabulary = codes.tech;
}

namespace {

constexpr const char* kDealModelFormat = "revlens-deal-model/2";  // 2: the stage model reads the two ages

nlohmann::json CodesJson(const FeatureCodes& c) {
  return {{"pipelines", c.pipelines}, {"industry", c.industry}, {"size_band", c.size_band},
          {"seniority", c.seniority}, {"source", c.source},     {"tech", c.tech}};
}

}  // namespace

std::string DealModel::Save() const {
  if (!full_ || !stage_) throw InvalidInputError("DealModel::Save before Fit");
  const DealModelReport& r = report_;
  nlohmann::json j = {
      {"format", kDealModelFormat},
      {"options",
       {{"period", PeriodTypeName(options_.period)},
        {"horizon_periods", options_.horizon_periods},
        {"eventual_lag_days", options_.eventual_lag_days}}},
      {"report",
       {{"method", r.method},
        {"message", r.message},
        {"train_end_ms", r.train_end_ms},
        {"won", r.won},
        {"lost", r.lost},
        {"train_rows", r.train_rows},
        {"holdout_rows", r.holdout_rows},
        {"holdout_deals", r.holdout_deals},
        {"step_days", r.step_days},
        {"rounds", r.rounds},
        {"stage_rounds", r.stage_rounds},
        {"holdout_auc", r.holdout_auc},
        {"holdout_auc_low", r.holdout_auc_low},
        {"holdout_auc_high", r.holdout_auc_high},
        {"stage_auc", r.stage_auc},
        {"gain_low", r.gain_low},
        {"gain_high", r.gain_high},
        {"calibrated", r.calibrated}}},
      {"codes", CodesJson(codes_)},
      {"eventual_platt", eventual_platt_},
      {"horizon_platt", horizon_platt_},
      {"full", full_->Save()},
      {"stage", stage_->Save()}};
  return j.dump();
}

DealModel DealModel::Load(const std::string& artifact) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(artifact);
  } catch (const nlohmann::json::exception& e) {
    throw InvalidInputError(std::string("deal model artifact is not JSON: ") + e.what());
  }
  if (!j.is_object() || j.value("format", "") != kDealModelFormat)
    throw InvalidInputError("deal model artifact: unknown format (run revlens forecast again)");
  try {
    DealModelOptions o;
    const auto& jo = j.at("options");
    o.period = ParsePeriodType(jo.at("period").get<std::string>());
    o.horizon_periods = jo.at("horizon_periods").get<int>();
    o.eventual_lag_days = jo.at("eventual_lag_days").get<int64_t>();
    DealModel m(o);
    const auto& jr = j.at("report");
    DealModelReport& r = m.report_;
    r.method = jr.at("method").get<std::string>();
    r.message = jr.at("message").get<std::string>();
    r.train_end_ms = jr.at("train_end_ms").get<int64_t>();
    r.won = jr.at("won").get<int64_t>();
    r.lost = jr.at("lost").get<int64_t>();
    r.train_rows = jr.at("train_rows").get<size_t>();
    r.holdout_rows = jr.at("holdout_rows").get<size_t>();
    r.holdout_deals = jr.at("holdout_deals").get<size_t>();
    r.step_days = jr.at("step_days").get<int>();
    r.rounds = jr.at("rounds").get<int>();
    r.stage_rounds = jr.at("stage_rounds").get<int>();
    r.holdout_auc = jr.at("holdout_auc").get<double>();
    r.holdout_auc_low = jr.at("holdout_auc_low").get<double>();
    r.holdout_auc_high = jr.at("holdout_auc_high").get<double>();
    r.stage_auc = jr.at("stage_auc").get<double>();
    r.gain_low = jr.at("gain_low").get<double>();
    r.gain_high = jr.at("gain_high").get<double>();
    r.calibrated = jr.at("calibrated").get<bool>();
    const auto& jc = j.at("codes");
    m.codes_ = {jc.at("pipelines").get<std::vector<std::string>>(), jc.at("industry").get<std::vector<std::string>>(),
                jc.at("size_band").get<std::vector<std::string>>(), jc.at("seniority").get<std::vector<std::string>>(),
                jc.at("source").get<std::vector<std::string>>(),    jc.at("tech").get<std::vector<std::string>>()};
    m.eventual_platt_ = j.at("eventual_platt").get<std::vector<double>>();
    m.horizon_platt_ = j.at("horizon_platt").get<std::vector<double>>();
    m.full_ = std::make_unique<GbmClassifier>(GbmClassifier::Load(j.at("full").get<std::string>(), o.gbm));
    m.stage_ = std::make_unique<GbmClassifier>(GbmClassifier::Load(j.at("stage").get<std::string>(), o.gbm));
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw InvalidInputError(std::string("deal model artifact: ") + e.what());
  } catch (const GbmError& e) {
    throw InvalidInputError(std::string("deal model artifact: ") + e.what());
  }
}

// ------------------------------------------------------------------------------------------------ NewDealModel

namespace {

double Years(int64_t ms) {
  return static_cast<double>(ms) / (365.25 * kDayMs);
}

int MonthIndex(int64_t ms) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(FloorDiv(ms, kDayMs), y, m, d);
  return static_cast<int>(m) - 1;
}

}  // namespace

void NewDealModel::Fit(const ForecastData& data, int64_t T) {
  fits_.assign(data.pipelines.size(), PipelineFit{});
  const std::vector<double> caps = AmountCaps(data);
  const OutcomeIndex outcomes(data);
  for (size_t p = 0; p < data.pipelines.size(); ++p) {
    PipelineFit& f = fits_[p];
    f.origin_ms = T;
    std::vector<const DealRecord*> deals;
    for (const auto& d : data.deals)
      if (d.pipeline == static_cast<int>(p) && d.created_ms < T) deals.push_back(&d);
    if (deals.empty()) continue;
    f.any = true;
    int64_t first = kNever;
    for (const auto* d : deals) first = std::min(first, d->created_ms);
    first = std::max(first, T - 3 * 366 * kDayMs);

    // Monthly counts (the last one partial when T falls inside a month).
    struct Month {
      double count = 0, exposure = 0, t = 0;
      int month = 0;
    };
    std::vector<Month> months;
    for (Period m = PeriodContaining(first, PeriodType::kMonth); m.start_ms < T;
         m = ShiftPeriod(m, PeriodType::kMonth, 1)) {
      Month x;
      const int64_t a = std::max(m.start_ms, first), b = std::min(m.end_ms, T);
      x.exposure = static_cast<double>(b - a) / kDayMs;
      x.t = Years((a + b) / 2 - T);
      x.month = MonthIndex(m.start_ms);
      for (const auto* d : deals) x.count += d->created_ms >= a && d->created_ms < b;
      if (x.exposure >= 1) months.push_back(x);
    }
    const bool trend = months.size() >= 6, season = months.size() >= 12;
    const Eigen::Index k = 1 + (trend ? 1 : 0) + (season ? 12 : 0);
    const auto n = static_cast<Eigen::Index>(months.size());
    Eigen::MatrixXd X = Eigen::MatrixXd::Zero(n, k);
    Eigen::VectorXd y(n), off(n);
    double total = 0, exposure = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const Month& m = months[static_cast<size_t>(i)];
      X(i, 0) = 1;
      if (trend) X(i, 1) = m.t;
      if (season) X(i, (trend ? 2 : 1) + m.month) = 1;
      y(i) = m.count;
      off(i) = std::log(m.exposure);
      total += m.count;
      exposure += m.exposure;
    }
    Eigen::VectorXd penalty = Eigen::VectorXd::Zero(k);
    if (season) penalty.tail(12).setConstant(1.0 / (kSeasonPriorSd * kSeasonPriorSd));
    Eigen::VectorXd beta = Eigen::VectorXd::Zero(k);
    beta(0) = std::log(std::max(total, 0.5) / exposure);
    // Penalised Poisson regression by Newton-Raphson (IRLS); a hand-written loop because Eigen has no GLM and
    // the problem is 14 parameters.
    Eigen::MatrixXd info;
    for (int it = 0; it < 50; ++it) {
      const Eigen::VectorXd eta = X * beta + off;
      const Eigen::VectorXd mu = eta.array().min(30).exp();
      info = X.transpose() * mu.asDiagonal() * X;
      info.diagonal() += penalty;
      const Eigen::VectorXd grad = X.transpose() * (y - mu) - penalty.cwiseProduct(beta);
      const Eigen::VectorXd step = info.ldlt().solve(grad);
      beta += step;
      if (step.cwiseAbs().maxCoeff() < 1e-8) break;
    }
    const Eigen::MatrixXd cov = info.ldlt().solve(Eigen::MatrixXd::Identity(k, k));
    const Eigen::VectorXd mu = (X * beta + off).array().min(30).exp();
    double pearson = 0;
    for (Eigen::Index i = 0; i < n; ++i) pearson += (y(i) - mu(i)) * (y(i) - mu(i)) / std::max(mu(i), 1e-9);
    const Eigen::MatrixXd hat = cov * (X.transpose() * mu.asDiagonal() * X);
    const double df = static_cast<double>(n) - hat.trace();
    f.dispersion = df >= 3 ? std::max(1.0, pearson / df) : 1.0;
    f.intercept = beta(0);
    f.trend = trend ? std::clamp(beta(1), -1.0, 1.0) : 0.0;
    if (season)
      for (int m = 0; m < 12; ++m) f.season[static_cast<size_t>(m)] = beta((trend ? 2 : 1) + m);
    Eigen::MatrixXd cov_all = cov;
    // The growth that projects forward is the last year's, shrunk toward the whole window's: a pipeline that
    // ramped up (renewals start a year after the first wins) grows fastest early on, and a straight log trend
    // through the ramp would overshoot.
    if (trend && months.size() >= 18) {
      const size_t from = months.size() - 12;
      Eigen::MatrixXd X2 = Eigen::MatrixXd::Zero(12, 2);
      Eigen::VectorXd y2(12), off2(12), prior(2), pen(2);
      for (size_t i = from; i < months.size(); ++i) {
        const auto r = static_cast<Eigen::Index>(i - from);
        X2(r, 0) = 1;
        X2(r, 1) = months[i].t;
        y2(r) = months[i].count;
        off2(r) = std::log(months[i].exposure) + f.season[static_cast<size_t>(months[i].month)];
      }
      prior << 0, f.trend;
      pen << 0, 1.0 / (kTrendPriorSd * kTrendPriorSd);
      Eigen::VectorXd b2(2);
      b2 << f.intercept, f.trend;
      Eigen::MatrixXd info2;
      for (int it = 0; it < 50; ++it) {
        const Eigen::VectorXd mu2 = (X2 * b2 + off2).array().min(30).exp();
        info2 = X2.transpose() * mu2.asDiagonal() * X2;
        info2.diagonal() += pen;
        const Eigen::VectorXd grad = X2.transpose() * (y2 - mu2) - pen.cwiseProduct(b2 - prior);
        const Eigen::VectorXd step = info2.ldlt().solve(grad);
        b2 += step;
        if (step.cwiseAbs().maxCoeff() < 1e-8) break;
      }
      const Eigen::MatrixXd cov2 = info2.ldlt().solve(Eigen::MatrixXd::Identity(2, 2));
      f.intercept = b2(0);
      f.trend = std::clamp(b2(1), -1.0, 1.0);
      cov_all.topRows(2).setZero();
      cov_all.leftCols(2).setZero();
      cov_all.topLeftCorner(2, 2) = cov2;
    }
    // Anchor the level on the last six months: a straight log trend through a ramp (a pipeline that started
    // recently, a clamped slope) would otherwise start the projection away from where creation is now.
    {
      double seen = 0, fitted = 0;
      for (size_t i = months.size() >= 6 ? months.size() - 6 : 0; i < months.size(); ++i) {
        const Month& m = months[i];
        seen += m.count;
        fitted += m.exposure * std::exp(f.intercept + f.trend * m.t + f.season[static_cast<size_t>(m.month)]);
      }
      if (seen > 0 && fitted > 0) f.intercept += std::log(seen / fitted);
    }
    f.params = static_cast<size_t>(k);
    f.cov.assign(f.params, std::vector<double>(f.params));
    for (Eigen::Index i = 0; i < k; ++i)
      for (Eigen::Index j = 0; j < k; ++j) f.cov[static_cast<size_t>(i)][static_cast<size_t>(j)] = cov_all(i, j);

    // P(won within d days of creation), from deals old enough for d days to have passed (two years back).
    f.won_within.assign(kMaxCycleDays + 1, 0.0);
    for (size_t dd = 0; dd <= kMaxCycleDays; ++dd) {
      const int64_t span = static_cast<int64_t>(dd) * kDayMs;
      double n_all = 0, n_won = 0;
      for (const auto* d : deals) {
        if (d->created_ms > T - span || d->created_ms < T - span - 730 * kDayMs) continue;
        ++n_all;
        n_won += d->won && d->close_known_ms < T && d->close_ms - d->created_ms < span;
      }
      f.won_within[dd] = n_all > 0 ? n_won / n_all : (dd > 0 ? f.won_within[dd - 1] : 0.0);
      if (dd > 0) f.won_within[dd] = std::max(f.won_within[dd], f.won_within[dd - 1]);
    }

    // Amounts of recent wins; owners of recent deals.
    for (int pass = 0; pass < 2 && f.amounts.size() < 30; ++pass) {
      f.amounts.clear();
      for (const auto* d : deals)
        if (d->won && d->close_known_ms < T && (pass == 1 || d->created_ms >= T - 365 * kDayMs))
          f.amounts.push_back(std::isfinite(d->final_amount) && d->final_amount <= caps[p] ? d->final_amount : 0.0);
    }
    // Who wins the new deals: each owner's share of recently created deals, weighted by their win rate on deals
    // known closed before T (OutcomeIndex's shrunk rate, the deal model's owner_win_rate feature), since a rep who
    // wins more of what they open books more of the new pipeline.
    const auto first_owner = [&](const DealRecord* d) {
      return !d->owners.empty() && d->owners.front().at_ms < T ? d->owners.front().value : d->final_owner;
    };
    const int pi = static_cast<int>(p);
    const double prior = std::max(outcomes.PipelineWinRate(pi, T), 1e-9);
    for (int64_t window : {90, 365, 3 * 366}) {
      std::map<int64_t, double> count;
      for (const auto* d : deals) {
        if (d->created_ms < T - window * kDayMs) continue;
        count[first_owner(d)] += 1;
      }
      if (count.empty()) continue;
      for (auto& [owner, n] : count) n *= outcomes.ShrunkWinRate(owner, pi, T) / prior;
      f.owners.assign(count.begin(), count.end());
      break;
    }
  }
}

double NewDealModel::DailyRate(const PipelineFit& f, int64_t day_ms) const {
  if (!f.any) return 0;
  const double t = Years(day_ms + kDayMs / 2 - f.origin_ms);
  return std::exp(f.intercept + f.trend * t + f.season[static_cast<size_t>(MonthIndex(day_ms))]);
}

double NewDealModel::ExpectedCreated(int pipeline, int64_t from, int64_t to) const {
  if (pipeline < 0 || static_cast<size_t>(pipeline) >= fits_.size()) return 0;
  const PipelineFit& f = fits_[static_cast<size_t>(pipeline)];
  double s = 0;
  for (int64_t day = from; day < to; day += kDayMs)
    s += DailyRate(f, day) * std::min<double>(1.0, static_cast<double>(to - day) / kDayMs);
  return s;
}

double NewDealModel::ExpectedWins(int pipeline, int64_t from, int64_t a, int64_t b) const {
  if (pipeline < 0 || static_cast<size_t>(pipeline) >= fits_.size()) return 0;
  const PipelineFit& f = fits_[static_cast<size_t>(pipeline)];
  if (!f.any) return 0;
  const auto W = [&](int64_t span) {
    if (span <= 0) return 0.0;
    const auto d = static_cast<size_t>(std::min<int64_t>(span / kDayMs, static_cast<int64_t>(kMaxCycleDays)));
    return f.won_within[d];
  };
  double s = 0;
  // A deal created during day `day` is taken to be created at its middle.
  for (int64_t day = from; day < b; day += kDayMs) {
    const int64_t mid = day + kDayMs / 2;
    s += DailyRate(f, day) * (W(b - mid) - W(a - mid));
  }
  return s;
}

double NewDealModel::LogRateSd(int pipeline, int64_t from, int64_t to) const {
  if (pipeline < 0 || static_cast<size_t>(pipeline) >= fits_.size()) return 0;
  const PipelineFit& f = fits_[static_cast<size_t>(pipeline)];
  if (!f.any || f.params == 0) return 0;
  // Variance of the mean log rate over the window: x' Cov x at the window's middle with its month mix.
  std::vector<double> x(f.params, 0.0);
  x[0] = 1;
  const bool trend = f.params >= 2;
  if (trend) x[1] = Years((from + to) / 2 - f.origin_ms);
  if (f.params == 14) {
    const size_t base = trend ? 2 : 1;
    double days = 0;
    for (int64_t day = from; day < to; day += kDayMs) {
      x[base + static_cast<size_t>(MonthIndex(day))] += 1;
      days += 1;
    }
    for (size_t m = 0; m < 12 && days > 0; ++m) x[base + m] /= days;
  }
  double var = 0;
  for (size_t i = 0; i < f.params; ++i)
    for (size_t j = 0; j < f.params; ++j) var += x[i] * f.cov[i][j] * x[j];
  const double created = ExpectedCreated(pipeline, from, to);
  var += std::max(0.0, f.dispersion - 1) / std::max(1.0, created);
  return std::sqrt(std::max(0.0, var));
}

const std::vector<double>& NewDealModel::AmountPool(int pipeline) const {
  return fits_.at(static_cast<size_t>(pipeline)).amounts;
}

const std::vector<std::pair<int64_t, double>>& NewDealModel::OwnerShares(int pipeline) const {
  return fits_.at(static_cast<size_t>(pipeline)).owners;
}

double NewDealModel::GrowthPerYear(int pipeline) const {
  return fits_.at(static_cast<size_t>(pipeline)).trend;
}

std::vector<double> NewDealModel::MonthMultipliers(int pipeline) const {
  std::vector<double> m;
  for (double s : fits_.at(static_cast<size_t>(pipeline)).season) m.push_back(std::exp(s));
  return m;
}

}  // namespace revlens::insights
