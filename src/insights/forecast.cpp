#include "insights/forecast.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <span>
#include <thread>
#include <unordered_map>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "insights/metrics.hpp"
#include "insights/table_util.hpp"

namespace revlens::insights {
namespace {

using warehouse::Column;
using warehouse::ColumnType;
using warehouse::Value;
using warehouse::Warehouse;

constexpr double kQuantiles[] = {0.1, 0.5, 0.9};

/// "N deal amounts above ..." for the notes; empty when none.
std::string CapNote(const std::vector<int64_t>& ids, const char* where) {
  if (ids.empty()) return {};
  std::string s = std::to_string(ids.size()) + " deal amount" + (ids.size() == 1 ? "" : "s") + " " + where + " above " +
                  std::to_string(static_cast<int>(kAmountCapMultiple)) +
                  "x the pipeline's median taken for entry errors and counted as 0 (deal ";
  for (size_t i = 0; i < ids.size() && i < 5; ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
  return s + (ids.size() > 5 ? ", ...)" : ")");
}

/// Quantile `q` of sorted values (linear interpolation between order statistics).
double SortedQuantile(const std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

/// Quantiles `qs` (ascending) of `v`, equal to SortedQuantile on the sorted values; reorders `v`.
std::vector<double> Quantiles(std::vector<double>& v, std::span<const double> qs) {
  std::vector<double> out;
  if (v.empty()) return std::vector<double>(qs.size(), 0.0);
  auto from = v.begin();
  for (double q : qs) {
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<size_t>(std::floor(pos));
    const auto at = v.begin() + static_cast<ptrdiff_t>(lo);
    std::nth_element(from, at, v.end());
    // The next order statistic is the smallest value after `at` (everything there is >= *at).
    const double next = lo + 1 < v.size() ? *std::min_element(at + 1, v.end()) : *at;
    out.push_back(*at + (next - *at) * (pos - static_cast<double>(lo)));
    from = at;
  }
  return out;
}

/// Run task(0) .. task(count - 1) on every core (each task on one thread; tasks must not depend on each other's
/// order). The first exception a task throws is rethrown here once all threads have stopped.
void ParallelTasks(size_t count, const std::function<void(size_t)>& task) {
  const size_t threads = std::min<size_t>(count, std::max(1u, std::thread::hardware_concurrency()));
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  const auto work = [&] {
    for (size_t i = next++; i < count; i = next++) {
      try {
        task(i);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next = count;
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

/// Walker's alias table: draws index i with probability weights[i] / sum(weights) in constant time from one
/// uniform (its integer part picks a column, its fraction decides between the column and its alias).
class OwnerAlias {
 public:
  OwnerAlias() = default;
  explicit OwnerAlias(const std::vector<double>& weights) : accept_(weights.size(), 1.0), alias_(weights.size()) {
    const size_t n = weights.size();
    double total = 0;
    for (double w : weights) total += w;
    std::vector<double> scaled(n);
    std::vector<size_t> small, large;
    for (size_t i = 0; i < n; ++i) {
      alias_[i] = i;
      scaled[i] = total > 0 ? weights[i] * static_cast<double>(n) / total : 1.0;
      (scaled[i] < 1.0 ? small : large).push_back(i);
    }
    while (!small.empty() && !large.empty()) {
      const size_t s = small.back(), l = large.back();
      small.pop_back();
      accept_[s] = scaled[s];
      alias_[s] = l;
      scaled[l] -= 1.0 - scaled[s];
      if (scaled[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
    // What is left is 1 up to rounding: those columns always keep their own index (accept_ = 1).
  }
  /// The index for uniform `u` in [0, 1).
  size_t operator()(double u) const {
    const double x = u * static_cast<double>(accept_.size());
    const size_t i = std::min(static_cast<size_t>(x), accept_.size() - 1);
    return x - static_cast<double>(i) < accept_[i] ? i : alias_[i];
  }

 private:
  std::vector<double> accept_;
  std::vector<size_t> alias_;
};

/// Slices of the bookings, indexed.
class Slices {
 public:
  explicit Slices(const ForecastData& data) : data_(data) { Get("total", "", "Total"); }
  size_t Get(const std::string& type, const std::string& value, const std::string& label) {
    const std::string key = type + '\x1f' + value;
    auto it = index_.find(key);
    if (it != index_.end()) return it->second;
    index_.emplace(key, keys_.size());
    keys_.push_back({type, value, label});
    return keys_.size() - 1;
  }
  /// total, the pipeline, the owner's team and the owner.
  std::vector<size_t> Of(int pipeline, int64_t owner) {
    std::vector<size_t> s = {0};
    if (pipeline >= 0) {
      const auto p = static_cast<size_t>(pipeline);
      s.push_back(Get("pipeline", data_.pipelines[p],
                      p < data_.pipeline_labels.size() ? data_.pipeline_labels[p] : data_.pipelines[p]));
    }
    if (owner != 0) {
      const auto it = data_.owners.find(owner);
      if (it != data_.owners.end() && !it->second.team_id.empty())
        s.push_back(
            Get("team", it->second.team_id, it->second.team_name.empty() ? it->second.team_id : it->second.team_name));
      const std::string name =
          it != data_.owners.end() && !it->second.name.empty() ? it->second.name : "owner " + std::to_string(owner);
      s.push_back(Get("owner", std::to_string(owner), name));
    }
    return s;
  }
  const std::vector<SliceKey>& Keys() const { return keys_; }
  size_t Size() const { return keys_.size(); }

 private:
  const ForecastData& data_;
  std::unordered_map<std::string, size_t> index_;
  std::vector<SliceKey> keys_;
};

std::string Day(int64_t ms) {
  return FormatDate(ms);
}

}  // namespace

std::vector<double> StallThresholds(const ForecastData& data, int64_t cutoff) {
  std::vector<std::vector<double>> lengths(data.stages.size());
  for (const auto& d : data.deals) {
    for (size_t i = 0; i + 1 < d.stages.size(); ++i) {
      if (d.stages[i + 1].at_ms >= cutoff) break;
      if (d.stages[i + 1].value == d.stages[i].value) continue;
      lengths[static_cast<size_t>(d.stages[i].value)].push_back(
          static_cast<double>(d.stages[i + 1].at_ms - d.stages[i].at_ms) / kDayMs);
    }
  }
  std::vector<double> out(data.stages.size(), std::numeric_limits<double>::quiet_NaN());
  for (size_t s = 0; s < lengths.size(); ++s) {
    if (lengths[s].size() < 10) continue;
    std::sort(lengths[s].begin(), lengths[s].end());
    out[s] = SortedQuantile(lengths[s], 0.8);
  }
  return out;
}

namespace {

const char* CategoryName(int c) {
  switch (c) {
    case 0:
      return "PIPELINE";
    case 1:
      return "BEST_CASE";
    case 2:
      return "COMMIT";
    case 3:
      return "CLOSED";
    case 4:
      return "OMIT";
    default:
      return "";
  }
}

}  // namespace

double CleanAmount(double a, int pipeline, const std::vector<double>& caps) {
  if (!std::isfinite(a)) return 0.0;
  if (pipeline >= 0 && static_cast<size_t>(pipeline) < caps.size() && a > caps[static_cast<size_t>(pipeline)])
    return 0.0;
  return a;
}

DealForecast MakeDealForecast(const ForecastData& data, const DealRecord& d, const DealState& st,
                              const DealPrediction& pred, int64_t cutoff, double amount, double stall_days,
                              int no_activity_days) {
  const StageMeta& meta = data.stages[static_cast<size_t>(st.stage)];
  DealForecast f;
  f.deal_id = d.deal_id;
  f.pipeline_id = data.pipelines[static_cast<size_t>(st.pipeline)];
  f.stage_id = meta.stage_id;
  f.stage_label = meta.label;
  f.forecast_category = CategoryName(st.category);
  f.owner_id = st.owner;
  f.amount = st.amount;
  f.close_date_ms = st.close_date_ms;
  f.p_win = pred.p_win;
  double prev = 0;
  for (double w : pred.won_by) {
    f.p_close.push_back(w - prev);
    prev = w;
  }
  f.expected_bookings = pred.won_by.empty() ? 0.0 : amount * pred.won_by.back();
  f.days_in_stage = static_cast<double>(cutoff - st.stage_entered_ms) / kDayMs;
  f.days_since_activity =
      static_cast<double>(cutoff - (st.last_engagement_ms > 0 ? st.last_engagement_ms : d.created_ms)) / kDayMs;
  f.contacts_engaged = st.contacts_engaged;
  f.close_date_pushes = st.close_date_pushes;
  f.slipped_close_date = st.close_date_pushes > 0 || (st.close_date_ms != kNever && st.close_date_ms < cutoff);
  f.stalled = std::isfinite(stall_days) && f.days_in_stage > stall_days;
  f.no_activity = f.days_since_activity > no_activity_days;
  f.single_threaded = st.contacts_engaged <= 1;
  return f;
}

std::string DealForecast::RiskFlags() const {
  std::string s;
  const auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ';';
    s += name;
  };
  add(slipped_close_date, "slipped_close_date");
  add(stalled, "stalled_in_stage");
  add(no_activity, "no_recent_activity");
  add(single_threaded, "single_threaded");
  return s;
}

const std::vector<std::string>& ForecastMethods() {
  static const std::vector<std::string> m = {"revlens",   "weighted_pipeline", "commit",
                                             "best_case", "pipeline",          "run_rate"};
  return m;
}

const MethodScore* BacktestReport::Score(const std::string& slice_type, const std::string& method) const {
  for (const auto& s : scores)
    if (s.slice_type == slice_type && s.method == method) return &s;
  return nullptr;
}

// ------------------------------------------------------------------------------------------------ one cutoff

namespace {

/// Periods before a forecast's own on which its new-pipeline model is checked (those with a year of history).
constexpr int kPastQuarters = 4, kPastMonths = 12;

/// How far the new-pipeline model missed in the periods just before a forecast: for each of the last
/// kPastQuarters (kPastMonths) periods before the one being forecast, the model fitted at that period's start (on what was
/// known then) predicts the amount won that period by deals created in it; the log error against what was
/// actually won says how wide the new-pipeline part must be. `extra_sd` is the spread of the log rate the Monte
/// Carlo must add to its own Poisson and amount noise to match those errors (0 when the model's own spread
/// already covers them).
struct NewPipelineBacktest {
  size_t origins = 0;
  double rms_log_error = 0, extra_sd = 0;
};

NewPipelineBacktest BacktestNewPipeline(const ForecastData& data, int pipeline, int64_t cutoff, const Period& p0,
                                        PeriodType type, const std::vector<double>& caps) {
  NewPipelineBacktest out;
  const int origins = type == PeriodType::kQuarter ? kPastQuarters : kPastMonths;
  int64_t first = kNever;
  for (const auto& d : data.deals)
    if (d.pipeline == pipeline) first = std::min(first, d.created_ms);
  double sum_sq = 0, sum_extra = 0;
  for (int j = 1; j <= origins; ++j) {
    const Period q = ShiftPeriod(p0, type, -j);
    if (first == kNever || q.start_ms - first < 365 * kDayMs) break;  // too little history to fit at that origin
    NewDealModel m;
    m.Fit(data, q.start_ms);
    const auto& pool = m.AmountPool(pipeline);
    if (pool.size() < 10) break;
    double mean = 0, sq = 0;
    for (double a : pool) mean += a / static_cast<double>(pool.size());
    for (double a : pool) sq += a * a / static_cast<double>(pool.size());
    const double cv2 = mean > 0 ? std::max(0.0, sq / (mean * mean) - 1) : 0;
    const double wins = m.ExpectedWins(pipeline, q.start_ms, q.start_ms, q.end_ms);
    if (wins < 1 || mean <= 0) continue;
    double actual = 0;
    for (const auto& d : data.deals)
      if (d.pipeline == pipeline && d.won && d.created_ms >= q.start_ms && d.close_ms >= q.start_ms &&
          d.close_ms < q.end_ms && d.close_known_ms < cutoff)
        actual += CleanAmount(d.final_amount, pipeline, caps);
    const double e = std::log(std::max(actual, 0.05 * wins * mean) / (wins * mean));
    sum_sq += e * e;
    sum_extra += e * e - (1 + cv2) / wins;  // less what Poisson counts and drawn amounts already spread
    ++out.origins;
  }
  if (out.origins >= 2) {
    out.rms_log_error = std::sqrt(sum_sq / static_cast<double>(out.origins));
    out.extra_sd = std::sqrt(std::max(0.0, sum_extra / static_cast<double>(out.origins)));
  }
  return out;
}

}  // namespace

CutoffForecast ForecastAt(const ForecastData& data, int64_t cutoff, const ForecastOptions& options) {
  const int H = std::max(1, options.horizon);
  DealModelOptions mo = options.model;
  mo.period = options.period;
  mo.horizon_periods = H;
  const OutcomeIndex outcomes(data);
  auto shared_model = std::make_shared<DealModel>(mo);
  DealModel& model = *shared_model;
  model.Fit(data, outcomes, cutoff);
  NewDealModel fresh;
  fresh.Fit(data, cutoff);

  CutoffForecast cf;
  cf.cutoff_ms = cutoff;
  cf.model = model.Report();
  cf.deal_model = shared_model;
  const Period p0 = PeriodContaining(cutoff, options.period);
  std::vector<int64_t> ends;
  for (int k = 0; k < H; ++k) {
    cf.periods.push_back(ShiftPeriod(p0, options.period, k));
    ends.push_back(cf.periods.back().end_ms);
  }
  const auto H_ = static_cast<size_t>(H);

  // Open deals at the cutoff and their predictions.
  std::vector<size_t> open;
  std::vector<DealState> states;
  for (size_t i = 0; i < data.deals.size(); ++i) {
    const auto& d = data.deals[i];
    if (d.created_ms >= cutoff || d.close_known_ms < cutoff) continue;
    DealState s = StateAt(data, d, cutoff);
    if (!s.exists || !s.open) continue;
    open.push_back(i);
    states.push_back(std::move(s));
  }
  const std::vector<DealPrediction> preds = model.Predict(data, outcomes, open, states, cutoff, ends);
  const std::vector<double> stall = StallThresholds(data, cutoff);
  const std::vector<double> caps = AmountCaps(data);
  std::vector<int64_t> capped;
  const auto Clean = [&](double a, int pipeline, int64_t id) {
    const double c = CleanAmount(a, pipeline, caps);
    if (std::isfinite(a) && c != a) capped.push_back(id);
    return c;
  };
  std::vector<double> amounts;
  for (size_t i = 0; i < open.size(); ++i)
    amounts.push_back(Clean(states[i].amount, states[i].pipeline, data.deals[open[i]].deal_id));

  // Slices: open deals, deals closed in the current period so far, the run-rate window, owners of new deals.
  Slices slices(data);
  std::vector<std::vector<size_t>> deal_slices;
  for (size_t i = 0; i < open.size(); ++i) deal_slices.push_back(slices.Of(states[i].pipeline, states[i].owner));
  const Period rr_first = ShiftPeriod(p0, options.period, -std::max(1, options.run_rate_periods));
  struct Closed {
    size_t deal;
    std::vector<size_t> slices;
  };
  std::vector<Closed> closed;  // won before the cutoff, in the run-rate window or the current period
  for (size_t i = 0; i < data.deals.size(); ++i) {
    const auto& d = data.deals[i];
    if (!d.won || d.close_known_ms >= cutoff || d.close_ms < rr_first.start_ms || d.close_ms >= cutoff) continue;
    closed.push_back({i, slices.Of(d.pipeline, d.final_owner)});
  }
  struct NewPipe {
    std::vector<double> mean_wins;  // per period
    double sd = 0, mean_amount = 0;
    OwnerAlias owner_pick;  ///< draws an owner index with probability owner_share
    std::vector<std::vector<size_t>> owner_slices;
    std::vector<double> owner_share;
  };
  std::vector<NewPipe> news(data.pipelines.size());
  for (size_t p = 0; p < data.pipelines.size(); ++p) {
    NewPipe& np = news[p];
    for (size_t k = 0; k < H_; ++k)
      np.mean_wins.push_back(
          fresh.ExpectedWins(static_cast<int>(p), cutoff, std::max(cf.periods[k].start_ms, cutoff), ends[k]));
    np.sd = fresh.LogRateSd(static_cast<int>(p), cutoff, ends.back());
    // The model's own spread (parameters, dispersion of monthly counts) or, when wider, the spread its recent
    // misses call for: on `large` the renewal pipeline's creation follows earlier wins more than a smooth trend, and
    // its new-pipeline wins came in 20-30% off either way; intervals built on the model's spread alone covered 37%
    // of pipeline-periods.
    const NewPipelineBacktest past = BacktestNewPipeline(data, static_cast<int>(p), cutoff, p0, options.period, caps);
    np.sd = std::max(np.sd, past.extra_sd);
    NewPipelineInfo info;
    info.pipeline_id = data.pipelines[p];
    info.label = p < data.pipeline_labels.size() ? data.pipeline_labels[p] : data.pipelines[p];
    info.growth_per_year = fresh.GrowthPerYear(static_cast<int>(p));
    info.month_multipliers = fresh.MonthMultipliers(static_cast<int>(p));
    info.expected_wins = np.mean_wins;
    for (size_t k = 0; k < H_; ++k)
      info.expected_created.push_back(
          fresh.ExpectedCreated(static_cast<int>(p), std::max(cf.periods[k].start_ms, cutoff), ends[k]));
    info.log_rate_sd = np.sd;
    info.past_origins = past.origins;
    info.past_log_error = past.rms_log_error;
    const auto& pool = fresh.AmountPool(static_cast<int>(p));
    for (double a : pool) np.mean_amount += a / static_cast<double>(pool.size());
    info.mean_amount = np.mean_amount;
    cf.new_pipeline.push_back(std::move(info));
    double total = 0;
    for (const auto& [owner, n] : fresh.OwnerShares(static_cast<int>(p))) total += n;
    for (const auto& [owner, n] : fresh.OwnerShares(static_cast<int>(p))) {
      np.owner_share.push_back(n / total);
      np.owner_slices.push_back(slices.Of(static_cast<int>(p), owner));
    }
    if (np.owner_share.empty()) {
      np.owner_share.push_back(1.0);
      np.owner_slices.push_back(slices.Of(static_cast<int>(p), 0));
    }
    np.owner_pick = OwnerAlias(np.owner_share);
  }
  const size_t S = slices.Size();

  // Expectations and baselines per period x slice.
  std::vector<ForecastRow> rows(H_ * S);
  for (size_t k = 0; k < H_; ++k)
    for (size_t s = 0; s < S; ++s) {
      rows[k * S + s].period = cf.periods[k];
      rows[k * S + s].slice = slices.Keys()[s];
    }
  std::vector<std::vector<double>> probs(open.size());
  for (size_t i = 0; i < open.size(); ++i) {
    const DealState& st = states[i];
    const double amount = amounts[i];
    const StageMeta& meta = data.stages[static_cast<size_t>(st.stage)];
    double prev = 0;
    for (size_t k = 0; k < H_; ++k) {
      probs[i].push_back(preds[i].won_by[k] - prev);
      prev = preds[i].won_by[k];
    }
    for (size_t k = 0; k < H_; ++k) {
      const bool due = st.close_date_ms != kNever && st.close_date_ms >= cf.periods[k].start_ms &&
                       st.close_date_ms < cf.periods[k].end_ms;
      for (size_t s : deal_slices[i]) {
        ForecastRow& r = rows[k * S + s];
        r.expected_open += probs[i][k] * amount;
        if (k == 0) ++r.open_deals;
        if (!due) continue;
        r.weighted_pipeline += amount * meta.probability;
        if (st.category == 2) r.commit += amount;
        if (st.category == 1 || st.category == 2) r.best_case += amount;
        r.pipeline += amount;
      }
    }
  }
  const double rr_periods = std::max(1, options.run_rate_periods);
  for (const auto& c : closed) {
    const auto& d = data.deals[c.deal];
    const double amount = Clean(d.final_amount, d.pipeline, d.deal_id);
    for (size_t s : c.slices) {
      if (d.close_ms >= p0.start_ms) {
        rows[s].closed_so_far += amount;
      } else {
        for (size_t k = 0; k < H_; ++k) {
          const Period& p = cf.periods[k];
          const double rest =
              static_cast<double>(p.end_ms - std::max(p.start_ms, cutoff)) / static_cast<double>(p.end_ms - p.start_ms);
          rows[k * S + s].run_rate += amount / rr_periods * rest;
        }
      }
    }
  }
  for (size_t p = 0; p < news.size(); ++p)
    for (size_t k = 0; k < H_; ++k)
      for (size_t o = 0; o < news[p].owner_slices.size(); ++o)
        for (size_t s : news[p].owner_slices[o])
          rows[k * S + s].expected_new += news[p].mean_wins[k] * news[p].mean_amount * news[p].owner_share[o];

  // Monte Carlo: every open deal wins in period k with probs[k] (or not within the horizon); new deals arrive as
  // a Poisson count with a per-draw rate multiplier (lognormal, mean 1) and amounts drawn from recent wins.
  const size_t N = static_cast<size_t>(std::max(1, options.draws));
  // Draw-major: one draw's period x slice sums are adjacent, so the per-deal adds stay in cache (slice-major
  // scattered them over H x S x N doubles, 36 MB on `large`, and made the Monte Carlo the slowest phase).
  const size_t HS = H_ * S;
  std::vector<double> sums(HS * N, 0.0);
  // Flat per-deal inputs: the cumulative win probabilities as 63-bit integer thresholds (a draw compares the
  // engine's raw output with them: no conversion to double per deal), the amount and the deal's slices. Deals
  // that add nothing (no amount, or no chance within the horizon) are left out.
  struct McDeal {
    double amount;
    uint32_t slices_begin, slices_end;
  };
  std::vector<McDeal> mc_deals;
  std::vector<uint64_t> thresholds;  // H per deal in mc_deals
  std::vector<uint32_t> mc_slices;
  for (size_t i = 0; i < open.size(); ++i) {
    double acc = 0;
    std::vector<uint64_t> t;
    for (double p : probs[i]) t.push_back(static_cast<uint64_t>(std::ldexp(std::clamp(acc += p, 0.0, 1.0), 63)));
    if (amounts[i] == 0 || t.back() == 0) continue;
    mc_deals.push_back({amounts[i], static_cast<uint32_t>(mc_slices.size()),
                        static_cast<uint32_t>(mc_slices.size() + deal_slices[i].size())});
    for (size_t s : deal_slices[i]) mc_slices.push_back(static_cast<uint32_t>(s));
    thresholds.insert(thresholds.end(), t.begin(), t.end());
  }
  // Draws run in fixed chunks, each with its own engine seeded from (seed, chunk): the result is the same whatever
  // the number of threads, and both cores share the work.
  constexpr size_t kDrawsPerChunk = 250;
  const size_t chunks = (N + kDrawsPerChunk - 1) / kDrawsPerChunk;
  size_t max_owners = 0;
  for (const auto& np : news) max_owners = std::max(max_owners, np.owner_share.size());
  ParallelTasks(chunks, [&](size_t chunk) {
    std::seed_seq seq{static_cast<uint64_t>(options.seed), static_cast<uint64_t>(chunk)};
    std::mt19937_64 rng(seq);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::vector<double> owner_sum(max_owners, 0.0);
    for (size_t n = chunk * kDrawsPerChunk; n < std::min(N, (chunk + 1) * kDrawsPerChunk); ++n) {
      double* row = sums.data() + n * HS;
      const uint64_t* t = thresholds.data();
      for (const McDeal& d : mc_deals) {
        const uint64_t u = rng() >> 1;
        if (u < t[H_ - 1]) {
          size_t k = 0;
          while (u >= t[k]) ++k;
          double* at = row + k * S;
          for (uint32_t j = d.slices_begin; j < d.slices_end; ++j) at[mc_slices[j]] += d.amount;
        }
        t += H_;
      }
      for (size_t p = 0; p < news.size(); ++p) {
        const NewPipe& np = news[p];
        const auto& pool = fresh.AmountPool(static_cast<int>(p));
        if (pool.empty()) continue;
        const double z = normal(rng);
        const double mult = std::exp(np.sd * z - np.sd * np.sd / 2);
        for (size_t k = 0; k < H_; ++k) {
          const double mean = np.mean_wins[k] * mult;
          if (mean <= 0) continue;
          std::poisson_distribution<int> pois(mean);
          const int count = pois(rng);
          if (count == 0) continue;
          // Each new win: an amount from the pool and an owner; summed per owner, then added to the owner's
          // slices once (thousands of new wins per period on `large`).
          std::fill(owner_sum.begin(), owner_sum.begin() + static_cast<ptrdiff_t>(np.owner_share.size()), 0.0);
          // One engine output per win: its high 32 bits pick the amount, its low 32 bits the owner.
          const uint64_t pool_size = pool.size();
          for (int c = 0; c < count; ++c) {
            const uint64_t x = rng();
            const size_t owner = np.owner_pick(static_cast<double>(x & 0xffffffffULL) * 0x1.0p-32);
            owner_sum[owner] += pool[((x >> 32) * pool_size) >> 32];
          }
          for (size_t o = 0; o < np.owner_share.size(); ++o) {
            if (owner_sum[o] == 0) continue;
            for (size_t s : np.owner_slices[o]) row[k * S + s] += owner_sum[o];
          }
        }
      }
    }
  });
  // Quantiles per period x slice: the order statistics they need (nth_element), not a full sort.
  ParallelTasks(HS, [&](size_t ks) {
    std::vector<double> v(N);
    double mean = 0;
    for (size_t n = 0; n < N; ++n) {
      v[n] = sums[n * HS + ks];
      mean += v[n] / static_cast<double>(N);
    }
    ForecastRow& r = rows[ks];
    const std::vector<double> q = Quantiles(v, kQuantiles);
    r.p10 = r.closed_so_far + q[0];
    r.p50 = r.closed_so_far + q[1];
    r.p90 = r.closed_so_far + q[2];
    r.mean = r.closed_so_far + mean;
    r.weighted_pipeline += r.closed_so_far;
    r.commit += r.closed_so_far;
    r.best_case += r.closed_so_far;
    r.pipeline += r.closed_so_far;
    r.run_rate += r.closed_so_far;
  });
  cf.rows = std::move(rows);

  // Per-deal predictions and risk flags.
  for (size_t i = 0; i < open.size(); ++i)
    cf.deals.push_back(MakeDealForecast(data, data.deals[open[i]], states[i], preds[i], cutoff, amounts[i],
                                        stall[static_cast<size_t>(states[i].stage)], options.no_activity_days));
  cf.notes.push_back(cf.model.message);
  std::sort(capped.begin(), capped.end());
  capped.erase(std::unique(capped.begin(), capped.end()), capped.end());
  if (!capped.empty()) cf.notes.push_back(CapNote(capped, "in the pipeline or recent bookings"));
  return cf;
}

// ------------------------------------------------------------------------------------------------ backtest

namespace {

/// The backtest's periods: the last K before the one containing the as-of instant, oldest first.
std::vector<Period> BacktestPeriods(const ForecastData& data, const ForecastOptions& options) {
  const int K =
      options.backtest_periods > 0 ? options.backtest_periods : (options.period == PeriodType::kMonth ? 8 : 4);
  const Period now = PeriodContaining(data.as_of_ms, options.period);
  std::vector<Period> out;
  for (int j = K; j >= 1; --j) out.push_back(ShiftPeriod(now, options.period, -j));
  return out;
}

/// A backtest period's forecast, or why it was skipped.
struct BacktestCutoff {
  std::optional<CutoffForecast> forecast;
  std::string skipped;
};

/// Forecast at the start of `p` on the view of `data` at that instant.
BacktestCutoff ForecastBacktestPeriod(const ForecastData& data, const Period& p, const ForecastOptions& options) {
  const int64_t c = p.start_ms;
  const ForecastData view = TruncateAt(data, c);
  if (options.progress) options.progress("backtest " + p.label + ": training on what was known before " + Day(c));
  BacktestCutoff out;
  try {
    out.forecast = ForecastAt(view, c, options);
  } catch (const InsufficientHistoryError& e) {
    out.skipped = p.label + " skipped: " + e.what();
  }
  return out;
}

/// `options` with a progress callback that may be called from several threads at once.
ForecastOptions SerializedProgress(const ForecastOptions& options, const std::shared_ptr<std::mutex>& mutex) {
  ForecastOptions o = options;
  if (o.progress)
    o.progress = [mutex, inner = options.progress](const std::string& line) {
      const std::lock_guard<std::mutex> lock(*mutex);
      inner(line);
    };
  return o;
}

/// Score the backtest periods' forecasts against the bookings that happened.
BacktestReport ScoreBacktest(const ForecastData& data, const std::vector<Period>& periods,
                             const std::vector<BacktestCutoff>& cutoffs) {
  BacktestReport rep;
  std::unordered_map<int64_t, size_t> by_id;
  for (size_t i = 0; i < data.deals.size(); ++i) by_id[data.deals[i].deal_id] = i;
  const std::vector<double> caps = AmountCaps(data);
  std::vector<int64_t> capped;
  for (size_t j = 0; j < periods.size(); ++j) {
    const Period& p = periods[j];
    const int64_t c = p.start_ms;
    if (!cutoffs[j].forecast) {
      rep.notes.push_back(cutoffs[j].skipped);
      continue;
    }
    const CutoffForecast& cf = *cutoffs[j].forecast;
    rep.periods.push_back(p);
    rep.models.push_back(cf.model);
    // Actual bookings per slice: deals won with a close date in the period, as known now.
    Slices slices(data);
    std::map<std::string, std::pair<SliceKey, double>> actual;
    const auto Key = [](const SliceKey& k) { return k.type + '\x1f' + k.value; };
    for (const auto& d : data.deals) {
      if (!d.won || d.close_ms < p.start_ms || d.close_ms >= p.end_ms) continue;
      const double amount = CleanAmount(d.final_amount, d.pipeline, caps);
      if (amount != d.final_amount) capped.push_back(d.deal_id);
      for (size_t s : slices.Of(d.pipeline, d.final_owner)) {
        auto& a = actual[Key(slices.Keys()[s])];
        a.first = slices.Keys()[s];
        a.second += amount;
      }
    }
    std::map<std::string, bool> seen;
    for (const auto& r : cf.rows) {
      if (r.period.start_ms != p.start_ms) continue;
      BacktestRow b;
      b.forecast = r;
      const auto it = actual.find(Key(r.slice));
      b.actual = it == actual.end() ? 0.0 : it->second.second;
      b.covered = b.actual >= r.p10 - 1e-9 && b.actual <= r.p90 + 1e-9;
      seen[Key(r.slice)] = true;
      rep.rows.push_back(std::move(b));
    }
    for (const auto& [key, a] : actual) {
      if (seen.count(key)) continue;
      BacktestRow b;
      b.forecast.period = p;
      b.forecast.slice = a.first;
      b.actual = a.second;
      b.covered = b.actual <= 0;
      rep.rows.push_back(std::move(b));
    }
    for (const auto& f : cf.deals) {
      const auto& d = data.deals[by_id.at(f.deal_id)];
      rep.deals.push_back({f.deal_id, c, f.p_win, d.closed && d.won ? 1 : 0, d.closed});
    }
  }
  if (!capped.empty()) rep.notes.push_back(CapNote(capped, "in the actual bookings"));
  if (rep.periods.empty())
    throw InsufficientHistoryError("no backtest period has enough history before it: " +
                                   (rep.notes.empty() ? std::string("no periods") : rep.notes.front()));

  // Scores per slice type and method.
  for (const char* type : {"total", "pipeline", "team", "owner"}) {
    for (const auto& m : ForecastMethods()) {
      MethodScore sc;
      sc.slice_type = type;
      sc.method = m;
      double abs_err = 0, act = 0, ape = 0, acc = 0;
      size_t n_pos = 0, covered = 0, n_cov = 0;
      for (const auto& r : rep.rows) {
        if (r.forecast.slice.type != type) continue;
        const ForecastRow& f = r.forecast;
        const double v = m == "revlens"             ? f.p50
                         : m == "weighted_pipeline" ? f.weighted_pipeline
                         : m == "commit"            ? f.commit
                         : m == "best_case"         ? f.best_case
                         : m == "pipeline"          ? f.pipeline
                                                    : f.run_rate;
        ++sc.rows;
        abs_err += std::abs(r.actual - v);
        act += r.actual;
        if (r.actual > 0) {
          ++n_pos;
          ape += std::abs(r.actual - v) / r.actual;
          acc += std::max(0.0, 1 - std::abs(r.actual - v) / r.actual);
        }
        if (r.actual > 0 || f.p90 > 0) {
          ++n_cov;
          covered += r.covered;
        }
      }
      if (sc.rows == 0) continue;
      const double nan = std::numeric_limits<double>::quiet_NaN();
      sc.wape = act > 0 ? abs_err / act : nan;
      sc.mape = n_pos ? ape / static_cast<double>(n_pos) : nan;
      sc.accuracy = n_pos ? acc / static_cast<double>(n_pos) : nan;
      if (m == "revlens" && n_cov) sc.coverage = static_cast<double>(covered) / static_cast<double>(n_cov);
      rep.scores.push_back(sc);
    }
  }
  // Per-deal figures on the snapshots whose outcome is known by now.
  std::vector<double> p;
  std::vector<int> y;
  for (const auto& d : rep.deals) {
    if (!d.known) continue;
    p.push_back(d.p_win);
    y.push_back(d.won);
  }
  rep.deals_known = p.size();
  if (!p.empty()) {
    rep.deal_auc = AucRoc(p, y);
    rep.deal_ece = ExpectedCalibrationError(p, y);
    rep.deal_ece_floor = CalibratedEceFloor(p);
    rep.deal_brier = Brier(p, y);
  }
  return rep;
}

}  // namespace

BacktestReport RunBacktest(const ForecastData& data, const ForecastOptions& options) {
  const std::vector<Period> periods = BacktestPeriods(data, options);
  const ForecastOptions o = SerializedProgress(options, std::make_shared<std::mutex>());
  // The periods are independent (each trains on its own view): they run on every core at once.
  std::vector<BacktestCutoff> cutoffs(periods.size());
  ParallelTasks(periods.size(), [&](size_t j) { cutoffs[j] = ForecastBacktestPeriod(data, periods[j], o); });
  return ScoreBacktest(data, periods, cutoffs);
}

// ------------------------------------------------------------------------------------------------ run

ForecastReport RunForecastOn(const ForecastData& loaded, const ForecastOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  if (options.draws < 1) throw ConfigError("--draws must be at least 1");
  if (options.horizon < 1 || options.horizon > 12) throw ConfigError("--horizon must be between 1 and 12");
  ForecastReport rep;
  rep.period = options.period;
  rep.draws = options.draws;
  rep.seed = options.seed;
  rep.no_activity_days = options.no_activity_days;
  rep.as_of_ms = loaded.as_of_ms;
  const ForecastData data = TruncateAt(loaded, loaded.as_of_ms);
  rep.deals_loaded = data.deals.size();
  rep.events_loaded = data.event_rows;
  // The current forecast and the backtest periods are independent: one pool runs them all on every core (the
  // current one first, it has the most history to train on).
  const ForecastOptions o = SerializedProgress(options, std::make_shared<std::mutex>());
  const std::vector<Period> periods = options.backtest ? BacktestPeriods(data, options) : std::vector<Period>{};
  std::vector<BacktestCutoff> cutoffs(periods.size());
  ParallelTasks(1 + periods.size(), [&](size_t t) {
    if (t > 0) {
      cutoffs[t - 1] = ForecastBacktestPeriod(data, periods[t - 1], o);
      return;
    }
    if (o.progress) o.progress("forecast: training on what was known before " + Day(data.as_of_ms));
    rep.current = ForecastAt(data, data.as_of_ms, o);
  });
  if (options.backtest) rep.backtest = ScoreBacktest(data, periods, cutoffs);
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

ForecastReport RunForecast(Warehouse& wh, const ForecastOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  if (options.progress) options.progress("loading forecast_deals and forecast_deal_events from " + options.schema);
  const ForecastData data = LoadForecastData(wh, options.schema, options.as_of);
  ForecastReport rep = RunForecastOn(data, options);
  rep.events_loaded = data.event_rows;
  if (options.run_id.empty()) {
    std::random_device rd;
    char hex[16];
    std::snprintf(hex, sizeof hex, "%06x", static_cast<unsigned>(rd() & 0xffffff));
    std::string stamp = FormatIsoMillis(NowMillis());
    stamp.erase(std::remove_if(stamp.begin(), stamp.end(), [](char c) { return c == '-' || c == ':'; }), stamp.end());
    rep.run_id = "forecast-" + stamp.substr(0, 15) + "-" + hex;
  } else {
    rep.run_id = options.run_id;
  }
  if (options.write) WriteForecastReport(wh, options.schema, rep);
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

// ------------------------------------------------------------------------------------------------ tables

namespace {

Value DateOf(int64_t ms) {
  if (ms == kNever) return Value();
  return warehouse::Date{static_cast<int32_t>(FloorDiv(ms, kDayMs))};
}

Value Num(double v) {
  return std::isfinite(v) ? Value(v) : Value();
}

}  // namespace

std::vector<Column> DealPredictionColumns(size_t horizon) {
  std::vector<Column> c = {{"run_id", ColumnType::kText},        {"as_of", ColumnType::kDate},
                           {"deal_id", ColumnType::kBigInt},     {"pipeline_id", ColumnType::kText},
                           {"deal_stage_id", ColumnType::kText}, {"deal_stage_label", ColumnType::kText},
                           {"owner_id", ColumnType::kBigInt},    {"amount", ColumnType::kDouble},
                           {"close_date", ColumnType::kDate},    {"forecast_category", ColumnType::kText},
                           {"p_win", ColumnType::kDouble}};
  for (size_t k = 1; k <= horizon; ++k) c.push_back({"p_close_period_" + std::to_string(k), ColumnType::kDouble});
  for (const Column& x : std::vector<Column>{{"expected_bookings", ColumnType::kDouble},
                                             {"days_in_stage", ColumnType::kDouble},
                                             {"days_since_activity", ColumnType::kDouble},
                                             {"contacts_engaged", ColumnType::kBigInt},
                                             {"close_date_pushes", ColumnType::kBigInt},
                                             {"risk_slipped_close_date", ColumnType::kBoolean},
                                             {"risk_stalled_in_stage", ColumnType::kBoolean},
                                             {"risk_no_recent_activity", ColumnType::kBoolean},
                                             {"risk_single_threaded", ColumnType::kBoolean},
                                             {"risk_flags", ColumnType::kText},
                                             {"method", ColumnType::kText},
                                             {"predicted_at", ColumnType::kTimestamp}})
    c.push_back(x);
  return c;
}

std::vector<Value> DealPredictionRow(const std::string& run_id, int64_t as_of_ms, const DealForecast& d,
                                     size_t horizon, const std::string& method, int64_t predicted_at_ms) {
  std::vector<Value> r = {run_id,
                          DateOf(as_of_ms - kDayMs),
                          d.deal_id,
                          d.pipeline_id,
                          d.stage_id,
                          d.stage_label,
                          d.owner_id ? Value(d.owner_id) : Value(),
                          Num(d.amount),
                          DateOf(d.close_date_ms),
                          d.forecast_category.empty() ? Value() : Value(d.forecast_category),
                          d.p_win};
  for (size_t k = 0; k < horizon; ++k) r.push_back(k < d.p_close.size() ? Value(d.p_close[k]) : Value());
  for (Value v : std::vector<Value>{d.expected_bookings, d.days_in_stage, d.days_since_activity,
                                    static_cast<int64_t>(d.contacts_engaged), static_cast<int64_t>(d.close_date_pushes),
                                    d.slipped_close_date, d.stalled, d.no_activity, d.single_threaded, d.RiskFlags(),
                                    method, warehouse::TimestampFromMillis(predicted_at_ms)})
    r.push_back(std::move(v));
  return r;
}

std::vector<Column> ForecastModelRunColumns() {
  return {{"run_id", ColumnType::kText},      {"trained_at", ColumnType::kTimestamp},
          {"as_of", ColumnType::kDate},       {"period_type", ColumnType::kText},
          {"period_ends", ColumnType::kJson}, {"method", ColumnType::kText},
          {"message", ColumnType::kText},     {"artifact", ColumnType::kText}};
}

namespace {

constexpr const char* kForecastModelFormat = "revlens-forecast-model/1";

/// The forecast_model_runs artifact: the deal model with the cutoff and periods its predictions were made for.
std::string ForecastModelArtifact(const ForecastReport& rep, int no_activity_days) {
  nlohmann::json periods = nlohmann::json::array();
  for (const auto& p : rep.current.periods)
    periods.push_back({{"label", p.label}, {"start_ms", p.start_ms}, {"end_ms", p.end_ms}});
  return nlohmann::json{{"format", kForecastModelFormat},
                        {"run_id", rep.run_id},
                        {"cutoff_ms", rep.current.cutoff_ms},
                        {"period", PeriodTypeName(rep.period)},
                        {"periods", periods},
                        {"no_activity_days", no_activity_days},
                        {"deal_model", rep.current.deal_model->Save()}}
      .dump();
}

std::vector<Column> ForecastColumns() {
  return {{"run_id", ColumnType::kText},          {"as_of", ColumnType::kDate},
          {"period_type", ColumnType::kText},     {"period", ColumnType::kText},
          {"period_start", ColumnType::kDate},    {"period_end", ColumnType::kDate},
          {"slice_type", ColumnType::kText},      {"slice_value", ColumnType::kText},
          {"slice_label", ColumnType::kText},     {"p10", ColumnType::kDouble},
          {"p50", ColumnType::kDouble},           {"p90", ColumnType::kDouble},
          {"mean", ColumnType::kDouble},          {"closed_so_far", ColumnType::kDouble},
          {"expected_open", ColumnType::kDouble}, {"expected_new", ColumnType::kDouble},
          {"open_deals", ColumnType::kBigInt},    {"weighted_pipeline", ColumnType::kDouble},
          {"commit", ColumnType::kDouble},        {"best_case", ColumnType::kDouble},
          {"pipeline", ColumnType::kDouble},      {"run_rate", ColumnType::kDouble},
          {"method", ColumnType::kText},          {"draws", ColumnType::kBigInt},
          {"seed", ColumnType::kBigInt},          {"computed_at", ColumnType::kTimestamp}};
}

std::vector<Column> BacktestColumns() {
  std::vector<Column> c = {
      {"run_id", ColumnType::kText},       {"period_type", ColumnType::kText}, {"period", ColumnType::kText},
      {"period_start", ColumnType::kDate}, {"period_end", ColumnType::kDate},  {"slice_type", ColumnType::kText},
      {"slice_value", ColumnType::kText},  {"slice_label", ColumnType::kText}, {"actual", ColumnType::kDouble},
      {"p10", ColumnType::kDouble},        {"p50", ColumnType::kDouble},       {"p90", ColumnType::kDouble},
      {"mean", ColumnType::kDouble},       {"covered", ColumnType::kBoolean}};
  for (const auto& m : ForecastMethods()) {
    if (m != "revlens") c.push_back({m, ColumnType::kDouble});
  }
  for (const auto& m : ForecastMethods()) c.push_back({"error_" + m, ColumnType::kDouble});
  c.push_back({"method", ColumnType::kText});
  c.push_back({"computed_at", ColumnType::kTimestamp});
  return c;
}

double MethodValue(const ForecastRow& f, const std::string& m) {
  if (m == "revlens") return f.p50;
  if (m == "weighted_pipeline") return f.weighted_pipeline;
  if (m == "commit") return f.commit;
  if (m == "best_case") return f.best_case;
  if (m == "pipeline") return f.pipeline;
  return f.run_rate;
}

}  // namespace

void WriteForecastReport(Warehouse& wh, const std::string& schema, const ForecastReport& rep) {
  const int64_t now = NowMillis();
  const Value at = warehouse::TimestampFromMillis(now);
  const Value as_of = DateOf(rep.as_of_ms - kDayMs);
  const std::string method = rep.current.model.method;
  const size_t H = rep.current.periods.size();
  std::vector<std::vector<Value>> deal_rows, fc_rows, bt_rows;
  for (const auto& d : rep.current.deals)
    deal_rows.push_back(DealPredictionRow(rep.run_id, rep.as_of_ms, d, H, method, now));
  for (const auto& f : rep.current.rows) {
    fc_rows.push_back({rep.run_id,
                       as_of,
                       PeriodTypeName(rep.period),
                       f.period.label,
                       DateOf(f.period.start_ms),
                       DateOf(f.period.end_ms - kDayMs),
                       f.slice.type,
                       f.slice.value,
                       f.slice.label,
                       f.p10,
                       f.p50,
                       f.p90,
                       f.mean,
                       f.closed_so_far,
                       f.expected_open,
                       f.expected_new,
                       f.open_deals,
                       f.weighted_pipeline,
                       f.commit,
                       f.best_case,
                       f.pipeline,
                       f.run_rate,
                       method,
                       static_cast<int64_t>(rep.draws),
                       static_cast<int64_t>(rep.seed),
                       at});
  }
  if (rep.backtest) {
    std::map<int64_t, std::string> period_method;
    for (size_t i = 0; i < rep.backtest->periods.size() && i < rep.backtest->models.size(); ++i)
      period_method[rep.backtest->periods[i].start_ms] = rep.backtest->models[i].method;
    for (const auto& b : rep.backtest->rows) {
      const ForecastRow& f = b.forecast;
      std::vector<Value> r = {rep.run_id,
                              PeriodTypeName(rep.period),
                              f.period.label,
                              DateOf(f.period.start_ms),
                              DateOf(f.period.end_ms - kDayMs),
                              f.slice.type,
                              f.slice.value,
                              f.slice.label,
                              b.actual,
                              f.p10,
                              f.p50,
                              f.p90,
                              f.mean,
                              b.covered};
      for (const auto& m : ForecastMethods())
        if (m != "revlens") r.push_back(MethodValue(f, m));
      for (const auto& m : ForecastMethods()) r.push_back(MethodValue(f, m) - b.actual);
      r.push_back(period_method[f.period.start_ms]);
      r.push_back(at);
      bt_rows.push_back(std::move(r));
    }
  }
  wh.CreateSchema(schema);
  warehouse::Transaction tx(wh);
  ResetTable(wh, schema, "deal_predictions", DealPredictionColumns(H));
  ResetTable(wh, schema, "forecast", ForecastColumns());
  wh.BulkLoad(schema, "deal_predictions", DealPredictionColumns(H), deal_rows);
  if (rep.current.deal_model) {
    // The model behind deal_predictions, appended per run (as model_runs): `revlens serve` re-scores one deal with
    // it when its stage changes.
    nlohmann::json ends = nlohmann::json::array();
    for (const auto& p : rep.current.periods) ends.push_back(FormatDate(p.end_ms - kDayMs));
    wh.CreateTable(schema, "forecast_model_runs", ForecastModelRunColumns());
    wh.BulkLoad(schema, "forecast_model_runs", ForecastModelRunColumns(),
                {{rep.run_id, at, as_of, PeriodTypeName(rep.period), ends.dump(), method, rep.current.model.message,
                  ForecastModelArtifact(rep, rep.no_activity_days)}});
  }
  wh.BulkLoad(schema, "forecast", ForecastColumns(), fc_rows);
  if (rep.backtest) {
    ResetTable(wh, schema, "forecast_backtest", BacktestColumns());
    wh.BulkLoad(schema, "forecast_backtest", BacktestColumns(), bt_rows);
  }
  tx.Commit();
}

std::optional<StoredDealModel> LatestDealModel(Warehouse& wh, const std::string& schema) {
  if (!wh.TableExists(schema, "forecast_model_runs")) return std::nullopt;
  const auto rs = wh.Query("SELECT artifact FROM " + Ident(schema, "forecast_model_runs") +
                           " WHERE artifact IS NOT NULL ORDER BY trained_at DESC, run_id DESC LIMIT 1");
  if (rs.RowCount() == 0) return std::nullopt;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(warehouse::AsString(rs.rows[0][0]));
  } catch (const nlohmann::json::exception& e) {
    throw InvalidInputError(std::string("forecast_model_runs artifact is not JSON: ") + e.what());
  }
  if (!j.is_object() || j.value("format", "") != kForecastModelFormat)
    throw InvalidInputError("forecast_model_runs artifact: unknown format (run revlens forecast again)");
  StoredDealModel m;
  try {
    m.run_id = j.at("run_id").get<std::string>();
    m.cutoff_ms = j.at("cutoff_ms").get<int64_t>();
    m.period = ParsePeriodType(j.at("period").get<std::string>());
    for (const auto& p : j.at("periods"))
      m.periods.push_back({p.at("start_ms").get<int64_t>(), p.at("end_ms").get<int64_t>(),
                           p.at("label").get<std::string>()});
    m.no_activity_days = j.at("no_activity_days").get<int>();
    m.model = std::make_shared<const DealModel>(DealModel::Load(j.at("deal_model").get<std::string>()));
  } catch (const nlohmann::json::exception& e) {
    throw InvalidInputError(std::string("forecast_model_runs artifact: ") + e.what());
  }
  return m;
}

// ------------------------------------------------------------------------------------------------ reports

namespace {

nlohmann::json RowJson(const ForecastRow& f) {
  return {{"period", f.period.label},
          {"slice_type", f.slice.type},
          {"slice_value", f.slice.value},
          {"slice_label", f.slice.label},
          {"p10", f.p10},
          {"p50", f.p50},
          {"p90", f.p90},
          {"mean", f.mean},
          {"closed_so_far", f.closed_so_far},
          {"expected_open", f.expected_open},
          {"expected_new", f.expected_new},
          {"open_deals", f.open_deals},
          {"weighted_pipeline", f.weighted_pipeline},
          {"commit", f.commit},
          {"best_case", f.best_case},
          {"pipeline", f.pipeline},
          {"run_rate", f.run_rate}};
}

nlohmann::json ModelJson(const DealModelReport& m) {
  return {{"method", m.method},
          {"message", m.message},
          {"trained_before", FormatDate(m.train_end_ms)},
          {"won", m.won},
          {"lost", m.lost},
          {"train_rows", m.train_rows},
          {"holdout_rows", m.holdout_rows},
          {"holdout_deals", m.holdout_deals},
          {"snapshot_step_days", m.step_days},
          {"rounds", m.rounds},
          {"holdout_auc", m.holdout_auc},
          {"holdout_auc_ci", {m.holdout_auc_low, m.holdout_auc_high}},
          {"stage_auc", m.stage_auc},
          {"gain_ci", {m.gain_low, m.gain_high}},
          {"calibrated", m.calibrated}};
}

nlohmann::json Finite(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

std::string Money(double v) {
  if (!std::isfinite(v)) return "-";
  const bool neg = v < 0;
  auto n = static_cast<long long>(std::llround(std::abs(v)));
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return neg ? "-" + s : s;
}

std::string Pct(double v) {
  if (!std::isfinite(v)) return "-";
  char b[16];
  std::snprintf(b, sizeof b, "%.1f%%", 100 * v);
  return b;
}

std::string Fmt(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string Fmt(const char* format, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, format);
  std::vsnprintf(buf, sizeof buf, format, ap);
  va_end(ap);
  return buf;
}

const char* MethodLabel(const std::string& m) {
  if (m == "revlens") return "revlens P50";
  if (m == "weighted_pipeline") return "weighted pipeline";
  if (m == "commit") return "commit";
  if (m == "best_case") return "best case";
  if (m == "pipeline") return "pipeline";
  return "run rate";
}

}  // namespace

std::string ForecastReport::ToJson() const {
  nlohmann::json j;
  j["run_id"] = run_id;
  j["as_of"] = FormatDate(as_of_ms - kDayMs);
  j["period_type"] = PeriodTypeName(period);
  j["draws"] = draws;
  j["seed"] = seed;
  j["seconds"] = seconds;
  j["deals"] = deals_loaded;
  j["events"] = events_loaded;
  j["model"] = ModelJson(current.model);
  nlohmann::json np = nlohmann::json::array();
  for (const auto& n : current.new_pipeline)
    np.push_back({{"pipeline_id", n.pipeline_id},
                  {"label", n.label},
                  {"growth_per_year", n.growth_per_year},
                  {"month_multipliers", n.month_multipliers},
                  {"mean_won_amount", n.mean_amount},
                  {"expected_created", n.expected_created},
                  {"expected_new_wins", n.expected_wins},
                  {"log_rate_sd", n.log_rate_sd},
                  {"past_periods", n.past_origins},
                  {"past_rms_log_error", n.past_log_error}});
  j["new_pipeline"] = np;
  j["notes"] = current.notes;
  nlohmann::json periods = nlohmann::json::array(), rows = nlohmann::json::array();
  for (const auto& p : current.periods)
    periods.push_back({{"period", p.label}, {"start", FormatDate(p.start_ms)}, {"end", FormatDate(p.end_ms - kDayMs)}});
  for (const auto& r : current.rows) rows.push_back(RowJson(r));
  j["periods"] = periods;
  j["forecast"] = rows;
  size_t flags[4] = {0, 0, 0, 0};
  double pw = 0;
  for (const auto& d : current.deals) {
    flags[0] += d.slipped_close_date;
    flags[1] += d.stalled;
    flags[2] += d.no_activity;
    flags[3] += d.single_threaded;
    pw += d.p_win;
  }
  j["open_deals"] = {{"count", current.deals.size()},
                     {"mean_p_win", current.deals.empty() ? 0.0 : pw / static_cast<double>(current.deals.size())},
                     {"slipped_close_date", flags[0]},
                     {"stalled_in_stage", flags[1]},
                     {"no_recent_activity", flags[2]},
                     {"single_threaded", flags[3]}};
  if (backtest) {
    nlohmann::json b;
    nlohmann::json brow = nlohmann::json::array(), scores = nlohmann::json::array(), models = nlohmann::json::array();
    for (const auto& r : backtest->rows) {
      nlohmann::json x = RowJson(r.forecast);
      x["actual"] = r.actual;
      x["covered"] = r.covered;
      brow.push_back(std::move(x));
    }
    for (const auto& s : backtest->scores)
      scores.push_back({{"slice_type", s.slice_type},
                        {"method", s.method},
                        {"rows", s.rows},
                        {"wape", Finite(s.wape)},
                        {"mape", Finite(s.mape)},
                        {"accuracy", Finite(s.accuracy)},
                        {"coverage", Finite(s.coverage)}});
    for (const auto& m : backtest->models) models.push_back(ModelJson(m));
    b["rows"] = brow;
    b["scores"] = scores;
    b["models"] = models;
    b["notes"] = backtest->notes;
    b["deal_snapshots"] = backtest->deals_known;
    b["deal_snapshots_still_open"] = backtest->deals.size() - backtest->deals_known;
    b["deal_auc"] = Finite(backtest->deal_auc);
    b["deal_ece"] = Finite(backtest->deal_ece);
    b["deal_ece_floor"] = Finite(backtest->deal_ece_floor);
    b["deal_brier"] = Finite(backtest->deal_brier);
    j["backtest"] = b;
  }
  return j.dump();
}

std::vector<std::string> ForecastReport::TextLines() const {
  std::vector<std::string> out;
  out.push_back(Fmt("revlens forecast: as of %s, by %s, %d Monte Carlo draws (seed %llu), run %s",
                    FormatDate(as_of_ms - kDayMs).c_str(), PeriodTypeName(period).c_str(), draws,
                    static_cast<unsigned long long>(seed), run_id.c_str()));
  out.push_back("  " + current.model.message);
  if (current.model.method != "model")
    out.push_back("  (fallback: stage conversion rates by days in stage and deal age; no per-deal model)");
  const char* head = "  %-34s %12s %12s %12s %12s %12s %12s %12s";
  for (const auto& p : current.periods) {
    out.push_back("");
    out.push_back(
        Fmt("%s (%s to %s)", p.label.c_str(), FormatDate(p.start_ms).c_str(), FormatDate(p.end_ms - kDayMs).c_str()));
    out.push_back(Fmt(head, "slice", "P10", "P50", "P90", "closed", "weighted", "commit", "run rate"));
    size_t owners = 0;
    for (const auto& r : current.rows) {
      if (r.period.start_ms != p.start_ms) continue;
      if (r.slice.type == "owner") {
        ++owners;
        continue;
      }
      const std::string name = r.slice.type == "total" ? "total" : r.slice.type + " " + r.slice.label;
      out.push_back(Fmt(head, name.substr(0, 34).c_str(), Money(r.p10).c_str(), Money(r.p50).c_str(),
                        Money(r.p90).c_str(), Money(r.closed_so_far).c_str(), Money(r.weighted_pipeline).c_str(),
                        Money(r.commit).c_str(), Money(r.run_rate).c_str()));
    }
    if (owners) out.push_back(Fmt("  (%zu owner slices in the forecast table)", owners));
  }
  size_t flags[4] = {0, 0, 0, 0};
  for (const auto& d : current.deals) {
    flags[0] += d.slipped_close_date;
    flags[1] += d.stalled;
    flags[2] += d.no_activity;
    flags[3] += d.single_threaded;
  }
  out.push_back("");
  out.push_back(
      Fmt("%zu open deals scored: %zu slipped close date, %zu stalled in stage, %zu without activity, "
          "%zu single-threaded",
          current.deals.size(), flags[0], flags[1], flags[2], flags[3]));
  if (!backtest) return out;
  const BacktestReport& b = *backtest;
  out.push_back("");
  out.push_back(Fmt("Backtest: %zu %ss, each forecast at its start from the pipeline as it stood then (total):",
                    b.periods.size(), PeriodTypeName(period).c_str()));
  const char* bh = "  %-8s %12s %12s %12s %12s %3s %12s %12s %12s %12s";
  out.push_back(Fmt(bh, "period", "actual", "P10", "P50", "P90", "in", "weighted", "commit", "best case", "run rate"));
  for (const auto& r : b.rows) {
    if (r.forecast.slice.type != "total") continue;
    const auto& f = r.forecast;
    out.push_back(Fmt(bh, f.period.label.c_str(), Money(r.actual).c_str(), Money(f.p10).c_str(), Money(f.p50).c_str(),
                      Money(f.p90).c_str(), r.covered ? "yes" : "no", Money(f.weighted_pipeline).c_str(),
                      Money(f.commit).c_str(), Money(f.best_case).c_str(), Money(f.run_rate).c_str()));
  }
  out.push_back("");
  const char* sh = "  %-18s %8s %8s %9s %9s %s";
  out.push_back(Fmt(sh, "method (total)", "WAPE", "MAPE", "accuracy", "P10-P90", ""));
  for (const auto& m : ForecastMethods()) {
    const MethodScore* s = b.Score("total", m);
    if (!s) continue;
    out.push_back(Fmt(sh, MethodLabel(m), Pct(s->wape).c_str(), Pct(s->mape).c_str(), Pct(s->accuracy).c_str(),
                      Pct(s->coverage).c_str(), ""));
  }
  out.push_back("");
  out.push_back(Fmt(sh, "by slice type", "WAPE", "weighted", "accuracy", "P10-P90", "rows"));
  for (const char* t : {"pipeline", "team", "owner"}) {
    const MethodScore* s = b.Score(t, "revlens");
    const MethodScore* w = b.Score(t, "weighted_pipeline");
    if (!s) continue;
    out.push_back(Fmt(sh, t, Pct(s->wape).c_str(), w ? Pct(w->wape).c_str() : "-", Pct(s->accuracy).c_str(),
                      Pct(s->coverage).c_str(), std::to_string(s->rows).c_str()));
  }
  if (b.deals_known > 0)
    out.push_back(
        Fmt("  per-deal win probability on %zu open-deal snapshots closed since: AUC %.3f, ECE %.3f (a "
            "calibrated model shows %.3f on as many by chance), Brier %.3f (%zu deals still open are left out)",
            b.deals_known, b.deal_auc, b.deal_ece, b.deal_ece_floor, b.deal_brier, b.deals.size() - b.deals_known));
  for (const auto& n : b.notes) out.push_back("  " + n);
  out.push_back(
      "  WAPE = sum |actual - forecast| / sum actual; accuracy = HubSpot's max(0, 1 - |actual - forecast| / "
      "actual); P10-P90 = share of periods whose actual fell inside revlens's interval.");
  return out;
}

}  // namespace revlens::insights
