#pragma once
/// Metrics for binary scores and the calibration and drift tools the scoring product reports with: AUC-ROC with
/// DeLong's interval, PR-AUC, Brier score, expected calibration error, isotonic calibration (pool adjacent
/// violators), top-decile lift, capture of positives by the top share, population stability index.
/// Labels are 0/1 (any non-zero counts as 1); scores are any real numbers where higher means more likely.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "insights/stats.hpp"

namespace revlens::insights {

/// Area under the ROC curve (ties count one half). NaN when either class is empty.
double AucRoc(const std::vector<double>& score, const std::vector<int>& label);

/// AUC with its DeLong standard error and a two-sided interval at `level`.
struct AucEstimate {
  double auc = 0.5;
  double se = 0;
  Interval ci;
  int64_t positives = 0, negatives = 0;
};
/// AUC with DeLong et al. (1988)'s variance, computed with Sun & Xu (2014)'s midrank algorithm in O(n log n).
AucEstimate AucDeLong(const std::vector<double>& score, const std::vector<int>& label, double level = 0.95);

/// Difference of two correlated AUCs on the same rows (a minus b), with DeLong's paired standard error.
struct AucDifference {
  double auc_a = 0, auc_b = 0, diff = 0, se = 0;
  Interval ci;
};
AucDifference AucDeLongPaired(const std::vector<double>& score_a, const std::vector<double>& score_b,
                              const std::vector<int>& label, double level = 0.95);

/// Area under the precision-recall curve as average precision (sum over positives of the precision at their
/// rank; tied scores form one step). NaN without positives.
double PrAuc(const std::vector<double>& score, const std::vector<int>& label);

/// Mean squared error of probabilities against the 0/1 outcome.
double Brier(const std::vector<double>& prob, const std::vector<int>& label);

/// Expected calibration error: rows sorted by probability into `bins` equal-count bins, the count-weighted mean of
/// |mean probability - observed rate| per bin. Equal-count rather than equal-width bins because at a 3% base rate
/// nearly every row falls in the first tenth of [0, 1].
double ExpectedCalibrationError(const std::vector<double>& prob, const std::vector<int>& label, int bins = 10);

/// The ECE a perfectly calibrated model shows on these predictions by chance alone: the mean over `draws` sets of
/// labels drawn from the predictions themselves (a fixed `seed`, so a report repeats). With a few hundred rows it is
/// 0.03-0.05, as large as the figures one wants to judge; beside an ECE it says how much of it is noise. NaN
/// without rows.
double CalibratedEceFloor(const std::vector<double>& prob, int draws = 200, uint64_t seed = 1, int bins = 10);

/// Conversion rate of the top 10% by score over the overall rate (1 = no lift). NaN without positives.
double TopDecileLift(const std::vector<double>& score, const std::vector<int>& label);

/// Share of all positives found in the top `share` (0..1] of rows by score (ties at the cut split pro rata).
double CaptureAtShare(const std::vector<double>& score, const std::vector<int>& label, double share);

/// Isotonic (monotone non-decreasing) calibration fitted by pool adjacent violators; applied by linear
/// interpolation between the fitted blocks' end points and held constant beyond them.
class IsotonicCalibrator {
 public:
  /// Fit on raw scores and 0/1 outcomes. Throws InvalidInputError on empty or mismatched input.
  void Fit(const std::vector<double>& score, const std::vector<int>& label);
  /// The calibrated probability for a raw score.
  double Apply(double score) const;
  std::vector<double> Apply(const std::vector<double>& score) const;
  bool Fitted() const { return !x_.empty(); }
  /// The fitted knots as {"x": [...], "y": [...]}.
  nlohmann::json ToJson() const;
  static IsotonicCalibrator FromJson(const nlohmann::json& j);

 private:
  std::vector<double> x_, y_;  ///< knots, x non-decreasing, y non-decreasing
};

/// A reference distribution for the population stability index: cut points from the reference's quantiles
/// (duplicates removed, so discrete values keep one bin each) and the reference share in each bin; missing values
/// (NaN) have a bin of their own.
struct PsiReference {
  std::vector<double> cuts;    ///< bin k holds values in (cuts[k-1], cuts[k]]; the last bin is above every cut
  std::vector<double> shares;  ///< cuts.size() + 1 bins, then the missing bin
  nlohmann::json ToJson() const;
  static PsiReference FromJson(const nlohmann::json& j);
};
/// Build a reference from `values` with up to `bins` quantile bins.
PsiReference MakePsiReference(const std::vector<double>& values, int bins = 10);
/// PSI = sum over bins of (actual - expected) * ln(actual / expected), shares floored at 1e-4.
/// Conventional reading: < 0.1 stable, 0.1-0.2 moderate shift, > 0.2 significant shift.
double PopulationStabilityIndex(const PsiReference& reference, const std::vector<double>& values);

}  // namespace revlens::insights
