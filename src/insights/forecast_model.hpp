#pragma once
/// The forecast's two learned parts, each trained on what was known before a training cutoff T:
///  - DealModel: for a deal open at a cutoff, P(won by the end of each coming period) and P(won eventually), one
///    gradient-boosted classifier over (deal state, horizon) rows stacked from weekly snapshots of history, with a
///    time-ordered holdout (by deal creation) for early stopping, Platt calibration and the signal check that
///    falls back to stage conversion rates (by days in stage and deal age) when the deal features add nothing
///    over those.
///  - NewDealModel: pipeline not yet created: the creation rate per pipeline (Poisson regression on monthly counts
///    with a growth trend and shrunk month-of-year effects), the share of new deals won within d days of creation,
///    the amounts of recent wins and who owns new deals.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "insights/forecast_data.hpp"
#include "insights/gbm.hpp"
#include "insights/metrics.hpp"

namespace revlens::insights {

/// Too little history to forecast; the message says how much is needed.
class InsufficientHistoryError : public Error {
 public:
  using Error::Error;
};

/// Training settings.
struct DealModelOptions {
  PeriodType period = PeriodType::kQuarter;
  int horizon_periods = 3;              ///< periods after the cutoff the model predicts closes for
  int64_t min_won = 50, min_lost = 50;  ///< closed deals needed before the training cutoff
  int64_t min_history_days = 180;       ///< days of deal history needed before the training cutoff
  int64_t eventual_lag_days = 180;      ///< eventual-outcome rows only for snapshots at least this old
  int cutoff_step_days = 0;             ///< days between training snapshots; 0 = 7, widened to keep max_rows
  /// Training rows at most (snapshots are spaced to fit). Successive snapshots of one deal are nearly the same
  /// row; on `large` 100,000 rows (snapshots every 9-21 days) scored as well as 150,000 (every 7-14 days) in the
  /// backtest (AUC 0.849 vs 0.850, ECE 0.013 vs 0.015) at two thirds of the boosting time; `demo` never reaches it.
  size_t max_rows = 100000;
  double holdout_share = 0.25;          ///< the latest-created deals held out for stopping, calibration, signal check
  double level = 0.95;                  ///< confidence level of the signal check
  GbmParams gbm = DefaultGbm();
  /// Gradient boosting settings for this model: shallow trees, early stopping on the holdout.
  static GbmParams DefaultGbm();
};

/// How the deal model was trained and which method it uses.
struct DealModelReport {
  std::string method = "model";  ///< "model" or "stage_rates" (the fallback)
  std::string message;           ///< why, in one line
  int64_t train_end_ms = 0;
  int64_t won = 0, lost = 0;  ///< outcomes known before the training cutoff
  size_t train_rows = 0, holdout_rows = 0, holdout_deals = 0;
  int step_days = 7;
  int rounds = 0, stage_rounds = 0;
  double holdout_auc = 0, holdout_auc_low = 0, holdout_auc_high = 0;  ///< full model, one row per holdout deal
  double stage_auc = 0;                                               ///< stage-rates model on the same rows
  double gain_low = 0, gain_high = 0;  ///< interval of (full - stage) AUC (DeLong, paired)
  bool calibrated = false;
  /// The Platt maps fitted on the holdout (a, b of a + b * logit(p)); empty = none.
  std::vector<double> eventual_platt, horizon_platt;
};

/// The codes the deal features carry (the pipeline's index, the categorical attributes' codes), as the training
/// data had them. A model predicts only on data coded the same way: data loaded later (after another build) goes
/// through AlignCodes first.
struct FeatureCodes {
  std::vector<std::string> pipelines, industry, size_band, seniority, source, tech;
  /// The codes of `data`.
  static FeatureCodes Of(const ForecastData& data);
  bool operator==(const FeatureCodes&) const = default;
};

/// Recode `data` to `codes`: the model's pipelines first in its order (others after), attribute codes mapped by
/// value (-1 for a value the model never saw), technologies kept where the model has them. Nothing changes when
/// the codes are already the same.
void AlignCodes(ForecastData& data, const FeatureCodes& codes);

/// A deal's predicted outcome at a cutoff.
struct DealPrediction {
  double p_win = 0;            ///< P(won eventually)
  std::vector<double> won_by;  ///< P(won before horizon end k), non-decreasing, <= p_win
};

/// P(won by a horizon) for open deals, trained on point-in-time snapshots.
class DealModel {
 public:
  explicit DealModel(DealModelOptions options = {});
  /// Train on `data` (already a view at train_end_ms: TruncateAt). Throws InsufficientHistoryError when fewer
  /// than min_won / min_lost outcomes or min_history_days of history precede the cutoff.
  void Fit(const ForecastData& data, const OutcomeIndex& outcomes, int64_t train_end_ms);
  /// Predictions for deals open at `cutoff_ms` (their states), for the horizon ends given.
  std::vector<DealPrediction> Predict(const ForecastData& data, const OutcomeIndex& outcomes,
                                      const std::vector<size_t>& deals, const std::vector<DealState>& states,
                                      int64_t cutoff_ms, const std::vector<int64_t>& horizon_ends) const;
  /// The same for deal records given directly (a deal updated since `data` was loaded, or not in it yet; its
  /// attribute codes must be `data`'s).
  std::vector<DealPrediction> Predict(const ForecastData& data, const OutcomeIndex& outcomes,
                                      const std::vector<const DealRecord*>& deals,
                                      const std::vector<DealState>& states, int64_t cutoff_ms,
                                      const std::vector<int64_t>& horizon_ends) const;
  const DealModelReport& Report() const { return report_; }
  /// True when the stage-rates fallback is in use.
  bool Fallback() const { return report_.method != "model"; }
  const DealModelOptions& Options() const { return options_; }
  /// The feature codes of the data it was trained on.
  const FeatureCodes& Codes() const { return codes_; }

  /// Serialize what Predict reads (both boosters, the Platt maps, the method, the options and the feature codes)
  /// as JSON. Throws InvalidInputError before Fit.
  std::string Save() const;
  /// Restore a model written by Save(): it predicts exactly as the saved one. Throws InvalidInputError on an
  /// artifact it cannot read.
  static DealModel Load(const std::string& artifact);

 private:
  DealModelOptions options_;
  DealModelReport report_;
  FeatureCodes codes_;
  std::unique_ptr<GbmClassifier> full_, stage_;
  std::vector<double> eventual_platt_, horizon_platt_;  ///< Platt scaling: a + b * logit(p); empty = none
};

/// The Platt map {a, b} (calibrated logit = a + b * logit(p)) of holdout scores `p` against outcomes `y`, row i a
/// snapshot of deal `deals[i]`. The slope is shrunk toward 1 under a normal prior of sd `slope_prior_sd`, with the
/// evidence counted once per deal (a deal open at several snapshots has one outcome). Throws InvalidInputError on
/// sizes that disagree, no rows or a prior sd <= 0.
std::vector<double> FitPlattMap(const std::vector<double>& p, const std::vector<int>& y,
                                const std::vector<size_t>& deals, double slope_prior_sd);

/// Throw InsufficientHistoryError unless `data` has enough closed deals and history before `cutoff_ms`.
void CheckHistory(const ForecastData& data, int64_t cutoff_ms, const DealModelOptions& options);

/// Pipeline not yet created, per pipeline.
class NewDealModel {
 public:
  /// Learn from `data` (a view at train_end_ms).
  void Fit(const ForecastData& data, int64_t train_end_ms);
  /// Expected number of deals created in [from_ms, window_end) and won within [window_start, window_end).
  double ExpectedWins(int pipeline, int64_t from_ms, int64_t window_start, int64_t window_end) const;
  /// Expected number of deals created in [from_ms, to_ms).
  double ExpectedCreated(int pipeline, int64_t from_ms, int64_t to_ms) const;
  /// Standard deviation of the log of the rate over [from_ms, to_ms): parameter uncertainty and extra-Poisson
  /// dispersion of the monthly counts.
  double LogRateSd(int pipeline, int64_t from_ms, int64_t to_ms) const;
  /// Amounts of recent wins (0 for wins without an amount), the pool new wins are drawn from.
  const std::vector<double>& AmountPool(int pipeline) const;
  /// Owners of recently created deals with their counts (who new deals go to).
  const std::vector<std::pair<int64_t, double>>& OwnerShares(int pipeline) const;
  /// Monthly growth (log per year) and month-of-year multipliers of the creation rate, for reports.
  double GrowthPerYear(int pipeline) const;
  std::vector<double> MonthMultipliers(int pipeline) const;

 private:
  struct PipelineFit {
    bool any = false;
    double intercept = 0, trend = 0;  ///< log deals per day = intercept + trend * years since origin + season
    std::vector<double> season = std::vector<double>(12, 0.0);
    std::vector<std::vector<double>> cov;  ///< covariance of [intercept, trend, season...] (14 x 14, or fewer)
    size_t params = 0;
    double dispersion = 1;
    int64_t origin_ms = 0;
    std::vector<double> won_within;  ///< [d] = P(won within d days of creation)
    std::vector<double> amounts;
    std::vector<std::pair<int64_t, double>> owners;
  };
  double DailyRate(const PipelineFit& f, int64_t day_ms) const;
  std::vector<PipelineFit> fits_;
};

}  // namespace revlens::insights
