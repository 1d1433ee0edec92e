#pragma once
/// `revlens forecast` (UC5): a probabilistic bookings forecast per period and slice (total, pipeline, team, owner)
/// by Monte Carlo over the open deals (P(won in each period) from DealModel) plus pipeline not yet created
/// (NewDealModel), beside HubSpot's weighted pipeline, the forecast categories and a run-rate projection; per-deal
/// win probabilities and risk flags; and a backtest that rebuilds each of the last K periods' pipeline as it stood
/// at the period's start (TruncateAt: nothing later can reach it), forecasts it, and scores revlens and every
/// baseline against the bookings that happened.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "insights/forecast_data.hpp"
#include "insights/forecast_model.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::insights {

/// What to forecast and how.
struct ForecastOptions {
  std::string schema = "revlens";  ///< model schema: reads forecast_* and marts, writes the result tables
  PeriodType period = PeriodType::kQuarter;
  int horizon = 3;  ///< periods forecast: the current one and the next horizon - 1
  bool backtest = false;
  int backtest_periods = 0;  ///< 0 = 8 months or 4 quarters
  int draws = 10000;         ///< Monte Carlo draws per period and slice
  uint64_t seed = 7;
  std::string as_of;          ///< YYYY-MM-DD; empty = int_as_of (var as_of_date, else today)
  int no_activity_days = 14;  ///< the no-activity risk flag's threshold
  int run_rate_periods = 3;   ///< the run-rate baseline averages this many previous periods
  DealModelOptions model;     ///< training settings (period and horizon are set from the fields above)
  std::string run_id;         ///< empty = generated
  bool write = true;          ///< write deal_predictions, forecast (and forecast_backtest)
  std::function<void(const std::string&)> progress;  ///< progress lines (stderr in the CLI); may be empty
};

/// A slice of the bookings: total, one pipeline, team or owner.
struct SliceKey {
  std::string type, value, label;
};

/// One period × slice of a forecast.
struct ForecastRow {
  Period period;
  SliceKey slice;
  double p10 = 0, p50 = 0, p90 = 0, mean = 0;
  double closed_so_far = 0;  ///< won in the period before the cutoff
  double expected_open = 0;  ///< expected bookings from deals open at the cutoff
  double expected_new = 0;   ///< expected bookings from deals not yet created
  int64_t open_deals = 0;    ///< open deals at the cutoff in this slice
  // Baselines.
  double weighted_pipeline = 0;  ///< HubSpot: closed so far + open amount x stage probability, close date in period
  double commit = 0, best_case = 0, pipeline = 0;  ///< closed so far + forecast categories, cumulative
  double run_rate = 0;  ///< closed so far + the mean of the previous periods' bookings for the rest
};

/// One open deal's prediction at the cutoff.
struct DealForecast {
  int64_t deal_id = 0;
  std::string pipeline_id, stage_id, stage_label, forecast_category;
  int64_t owner_id = 0;
  double amount = 0;               ///< NaN when empty
  int64_t close_date_ms = kNever;  ///< the expected close date at the cutoff
  double p_win = 0;
  std::vector<double> p_close;   ///< P(won in period k), k = 0 .. horizon - 1
  double expected_bookings = 0;  ///< amount x P(won within the horizon)
  double days_in_stage = 0, days_since_activity = 0;
  int contacts_engaged = 0, close_date_pushes = 0;
  bool slipped_close_date = false, stalled = false, no_activity = false, single_threaded = false;
  /// The raised flags joined by ';' (empty when none): what `revlens_deal_risk` carries.
  std::string RiskFlags() const;
};

/// What the new-pipeline model learned for one pipeline, and what it expects per period.
struct NewPipelineInfo {
  std::string pipeline_id, label;
  double growth_per_year = 0;            ///< log growth of the creation rate per year
  std::vector<double> month_multipliers;  ///< Jan..Dec
  double mean_amount = 0;                 ///< of recent wins
  std::vector<double> expected_created;   ///< deals created from the cutoff to each period's end, per period
  std::vector<double> expected_wins;      ///< of those, won within the period, per period
  double log_rate_sd = 0;  ///< spread of the log rate the Monte Carlo draws (the larger of the two below)
  /// The model fitted at the start of each of the last periods before this one (4 quarters or 12 months, those
  /// with a year of history): how many, and the root mean square log error of its new-pipeline wins against what
  /// was won. The spread the Monte Carlo draws is widened until its own noise matches these misses.
  size_t past_origins = 0;
  double past_log_error = 0;
};

/// A forecast made at one cutoff.
struct CutoffForecast {
  int64_t cutoff_ms = 0;
  std::vector<Period> periods;
  std::vector<ForecastRow> rows;
  std::vector<DealForecast> deals;
  DealModelReport model;
  std::shared_ptr<const DealModel> deal_model;  ///< the model behind `deals` (stored by WriteForecastReport)
  std::vector<NewPipelineInfo> new_pipeline;
  std::vector<std::string> notes;
};

/// One backtest period × slice.
struct BacktestRow {
  ForecastRow forecast;  ///< made at the period's start
  double actual = 0;     ///< bookings that happened (deals won with close date in the period)
  bool covered = false;  ///< P10 <= actual <= P90
};

/// A method's errors over backtest rows.
struct MethodScore {
  std::string slice_type, method;
  size_t rows = 0;
  double wape = 0;      ///< sum |actual - forecast| / sum actual
  double mape = 0;      ///< mean |actual - forecast| / actual over rows with actual > 0
  double accuracy = 0;  ///< HubSpot's: mean of max(0, 1 - |actual - forecast| / actual) over rows with actual > 0
  double coverage = std::numeric_limits<double>::quiet_NaN();  ///< share with P10 <= actual <= P90 (revlens)
};

/// A deal open at a backtest cutoff whose outcome is known now.
struct BacktestDeal {
  int64_t deal_id = 0;
  int64_t cutoff_ms = 0;
  double p_win = 0;
  int won = 0;         ///< won by the as-of date
  bool known = false;  ///< closed by the as-of date (else `won` is 0 and the outcome is not known yet)
};

/// The backtest over the last K periods.
struct BacktestReport {
  std::vector<Period> periods;
  std::vector<BacktestRow> rows;
  std::vector<MethodScore> scores;  ///< per slice type (total, pipeline, team, owner) and method
  /// Every deal open at each backtest cutoff. The per-deal figures below use those closed by the as-of date:
  /// for the latest cutoffs the deals still open are the slow ones, so the figures there lean towards quick closes.
  std::vector<BacktestDeal> deals;
  size_t deals_known = 0;  ///< snapshots whose outcome is known (the figures' sample)
  double deal_auc = 0, deal_ece = 0, deal_brier = 0;
  /// The ECE a perfectly calibrated model would show on the same predictions by chance (CalibratedEceFloor): on a
  /// few hundred snapshots it is 0.03-0.05, and an ECE near it is noise, not miscalibration.
  double deal_ece_floor = 0;
  std::vector<DealModelReport> models;
  std::vector<std::string> notes;  ///< skipped periods and why
  /// The score of `method` on `slice_type`; nullptr when absent.
  const MethodScore* Score(const std::string& slice_type, const std::string& method) const;
};

/// The baselines' names in the order reports list them ("revlens" is the P50).
const std::vector<std::string>& ForecastMethods();

/// A forecast run.
struct ForecastReport {
  std::string run_id;
  PeriodType period = PeriodType::kQuarter;
  int draws = 0;
  uint64_t seed = 0;
  int no_activity_days = 14;
  int64_t as_of_ms = 0;  ///< the cutoff (start of the day after the as-of date)
  CutoffForecast current;
  std::optional<BacktestReport> backtest;
  double seconds = 0;
  size_t deals_loaded = 0, events_loaded = 0;
  /// The summary as JSON (no per-deal rows).
  std::string ToJson() const;
  /// The human-readable report: the current forecast, then the backtest table when there is one.
  std::vector<std::string> TextLines() const;
};

/// Forecast at `cutoff_ms` on `data` (a view at that cutoff: TruncateAt), `periods` from the one containing it.
CutoffForecast ForecastAt(const ForecastData& data, int64_t cutoff_ms, const ForecastOptions& options);

/// Backtest the last K periods before the one containing `data.as_of_ms`, on views of `data`.
BacktestReport RunBacktest(const ForecastData& data, const ForecastOptions& options);

/// Load, forecast (and backtest), and write the result tables in one transaction when options.write.
ForecastReport RunForecast(warehouse::Warehouse& wh, const ForecastOptions& options);

/// The same on data already loaded (no warehouse; nothing written).
ForecastReport RunForecastOn(const ForecastData& data, const ForecastOptions& options);

/// Replace deal_predictions and forecast (and forecast_backtest when the report has a backtest) in `schema`, and
/// append the deal model behind deal_predictions to forecast_model_runs.
void WriteForecastReport(warehouse::Warehouse& wh, const std::string& schema, const ForecastReport& report);

/// The amount the forecast counts for a deal: 0 when empty or above its pipeline's cap (an entry error).
double CleanAmount(double amount, int pipeline, const std::vector<double>& caps);
/// 80th percentile of completed visit lengths (days) per stage, from visits that ended before `cutoff_ms`; NaN
/// below 10 visits (the stalled-in-stage threshold).
std::vector<double> StallThresholds(const ForecastData& data, int64_t cutoff_ms);
/// One open deal's prediction row at `cutoff_ms` from its state and the model's prediction (won_by per horizon
/// end): p_close per period, expected bookings of `amount` (CleanAmount), the risk flags.
DealForecast MakeDealForecast(const ForecastData& data, const DealRecord& deal, const DealState& state,
                              const DealPrediction& prediction, int64_t cutoff_ms, double amount, double stall_days,
                              int no_activity_days);
/// The columns of deal_predictions for `horizon` periods.
std::vector<warehouse::Column> DealPredictionColumns(size_t horizon);
/// One deal_predictions row (DealPredictionColumns(horizon)); `as_of_ms` is the forecast's cutoff.
std::vector<warehouse::Value> DealPredictionRow(const std::string& run_id, int64_t as_of_ms, const DealForecast& deal,
                                                size_t horizon, const std::string& method, int64_t predicted_at_ms);
/// The columns of forecast_model_runs (one row per forecast run: the deal model as an artifact).
std::vector<warehouse::Column> ForecastModelRunColumns();

/// The deal model of the latest forecast run with what its predictions were made for.
struct StoredDealModel {
  std::string run_id;
  int64_t cutoff_ms = 0;  ///< the run's as-of instant (start of the day after the as-of date)
  PeriodType period = PeriodType::kQuarter;
  std::vector<Period> periods;  ///< the periods of deal_predictions' p_close_period_* columns
  int no_activity_days = 14;
  std::shared_ptr<const DealModel> model;
};

/// The newest forecast_model_runs row of `schema`; nothing when no forecast stored a model. Throws
/// InvalidInputError when its artifact cannot be read.
std::optional<StoredDealModel> LatestDealModel(warehouse::Warehouse& wh, const std::string& schema);

}  // namespace revlens::insights
