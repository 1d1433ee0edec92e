#pragma once
/// Internal to lead scoring (scoring.cpp): the lead data as read from the warehouse, the feature specs (standard
/// and discovered custom properties), their encoding into a matrix, and the trained LeadModel with its reasons.
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "insights/gbm.hpp"
#include "insights/metrics.hpp"
#include "insights/scoring.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::insights {

/// How a feature is encoded.
enum class FeatureKind { kNumeric, kCategorical, kFlag, kOption, kDateAge };

/// One feature: where its value comes from, how it is encoded and how a reason names it.
struct FeatureSpec {
  std::string name;    ///< unique; custom ones are `<object>.<property>` (`companies.tech_stack=snowflake`)
  std::string column;  ///< column of the lead data
  FeatureKind kind = FeatureKind::kNumeric;
  std::string group;                ///< fit | engagement
  std::string origin;               ///< standard | custom:contacts | custom:companies
  std::string label;                ///< plain-words label (the property's label for custom ones)
  std::string option;               ///< kOption: the multi-select option
  std::vector<std::string> levels;  ///< kCategorical: kept levels; others encode as "other"
  size_t first_col = 0, ncols = 1;  ///< position in the encoded matrix
  nlohmann::json ToJson() const;
  static FeatureSpec FromJson(const nlohmann::json& j);
};

/// The lead data: the lead_features rows with the custom property columns, as read.
struct LeadData {
  warehouse::ResultSet rs;
  std::map<std::string, size_t> col;                                                ///< column name -> index in rs
  std::vector<int64_t> id, created_ms, prediction_ms, sql_ms, opp_ms, customer_ms;  ///< -1 = never
  std::string as_of_date;
  int64_t as_of_end_ms = 0;
  int prediction_days = 14;
  std::vector<FeatureSpec> custom_candidates;  ///< from the property catalog, before screening

  size_t Rows() const { return id.size(); }
  /// The value at (row, column name) as a number (NaN for NULL or text that is not a number).
  double Num(size_t row, const std::string& column) const;
  /// The value as text ("" for NULL).
  std::string Text(size_t row, const std::string& column) const;
  bool Has(const std::string& column) const { return col.count(column) != 0; }
  /// The outcome time for `target` (-1 = never).
  int64_t Outcome(size_t row, LeadTarget target) const;
};

/// Read lead_features joined with the custom property columns of contacts and companies.
LeadData LoadLeadData(warehouse::Warehouse& wh, const std::string& schema);

/// The standard features (lead_features columns), in order; the sales team's own activity counts (calls, sales
/// emails, meetings, notes, tasks before the prediction time) only when `sales_activity` is true.
std::vector<FeatureSpec> StandardFeatureSpecs(bool sales_activity = false);

/// A feature's value per row as one number: numeric value, level index, 0/1; NaN when missing (for drift and the
/// leakage screen).
std::vector<double> ScalarValues(const FeatureSpec& spec, const FeatureMatrix& x);

/// Encode rows of `data` with `specs` (whose first_col/ncols are set). A category's one-hot columns hold 1 for its
/// level and, for the other levels, 0 or (`onehot_missing`) NaN: XGBoost then stores only the 1s, which makes
/// training on wide one-hot matrices several times cheaper and splits the same way (1 versus the rest).
FeatureMatrix Encode(const LeadData& data, const std::vector<FeatureSpec>& specs, const std::vector<size_t>& rows,
                     bool onehot_missing = false);

/// Assign matrix positions to specs in order; returns the width.
size_t LayOut(std::vector<FeatureSpec>& specs);

/// A ridge logistic model on a sub-model's encoded columns, blended with its booster's margin. At a few hundred
/// training conversions an additive model with the right shape generalises better than trees alone (the demo
/// portal's conversion model is additive in log-odds); the blend keeps what the trees find beyond it. Inputs per
/// column: a one-hot, flag or option column as 1 when set (else 0); a numeric or date-age column as
/// sign(x)·log1p(|x|) and an is-missing indicator; each standardised on the training rows.
struct LinearPart {
  std::vector<uint8_t> numeric;     ///< per sub-model column: 1 = numeric (two inputs), 0 = indicator (one input)
  std::vector<double> mean, scale;  ///< per input
  std::vector<double> coef;         ///< per input, on the standardised scale
  double intercept = 0;
  double penalty = 0;  ///< the ridge penalty cross-validation chose (standardised inputs)
  /// The blend, fitted on the calibration slice: margin = offset + w_trees · booster + w_linear · linear.
  double offset = 0, w_trees = 1, w_linear = 0;
  /// Derived by Prepare() (after fitting or loading): per input coef/scale; per column the sum of slope × mean
  /// over its inputs (its contribution is measured from there); the intercept plus all of those.
  std::vector<double> slope, center;
  double bias = 0;

  bool Active() const { return !coef.empty(); }
  /// Compute slope, center and bias from the learned state.
  void Prepare();
  /// The inputs of one row (`row`: the sub-model's columns) into `out` (mean.size() values, not standardised).
  void Inputs(const float* row, double* out) const;
  /// Set `numeric` from the specs the sub-model reads (one flag per encoded column).
  void LayOut(const std::vector<FeatureSpec>& specs, const std::vector<size_t>& sub_specs);
  /// The linear model's log-odds for one row.
  double Margin(const float* row) const;
  /// Blend one row: scale the booster's contributions (`contrib`, one per column and the bias last) by w_trees, add
  /// the linear model's (coefficient × standardised input, summed per column; its intercept and the offset to the
  /// bias) and return the blended margin. Without a linear model, returns `tree_margin` unchanged.
  double Blend(const float* row, double tree_margin, double* contrib) const;
  nlohmann::json ToJson() const;
  static LinearPart FromJson(const nlohmann::json& j);
};

struct SubModel;

/// Train `sub.linear` on the rows of `xs_train` (the sub-model's columns; `weights` one per row or empty), with the
/// ridge penalty that gives the lowest 5-fold cross-validated log loss on those rows, then fit the blend of the
/// booster's and the linear model's margins on the calibration rows `xs_cal`. Leaves the linear part inactive when
/// the blend gives it no positive weight. `specs`: the model's specs; sub.specs and sub.booster must be set.
void FitLinearBlend(SubModel& sub, const std::vector<FeatureSpec>& specs, const FeatureMatrix& xs_train,
                    const std::vector<int>& y_train, const std::vector<float>& weights, const FeatureMatrix& xs_cal,
                    const std::vector<int>& y_cal);

/// One of the three scores' models.
struct SubModel {
  std::string name;           ///< likelihood | fit | engagement
  std::vector<size_t> specs;  ///< indexes into LeadModel::specs
  std::vector<size_t> cols;   ///< encoded columns it reads
  GbmClassifier booster;
  LinearPart linear;  ///< inactive unless trained with a blend (ScoringOptions::linear_blend)
  IsotonicCalibrator calibrator;
  std::vector<double> cuts;       ///< raw-score quartiles on the calibration slice: {75th, 50th, 25th}
  std::vector<double> reference;  ///< 1001 quantiles of the training raw scores (for percentiles)
  double Percentile(double margin) const;
  char Tier(double margin) const;
  /// The (blended) margins of the rows of `xs` (the sub-model's columns).
  std::vector<double> Margins(const FeatureMatrix& xs) const;
};

/// A memo of reason phrases (a phrase depends only on the feature and the row's value): one per scoring thread.
struct ReasonCache {
  std::unordered_map<uint64_t, std::string> phrases;
  size_t max_entries = 200000;  ///< past this, phrases are built without being kept
};

/// The trained lead model.
class LeadModel {
 public:
  LeadTarget target = LeadTarget::kCustomer;
  int window_days = 90, prediction_days = 14;
  std::vector<FeatureSpec> specs;
  size_t width = 0;
  std::vector<SubModel> models;                                     ///< likelihood, fit, engagement
  PsiReference score_reference;                                     ///< combined raw score on the training slice
  std::vector<std::pair<size_t, PsiReference>> feature_references;  ///< top features (spec index)
  int64_t data_window_end_ms = 0;  ///< last creation time of a training or calibration contact
  std::string data_window_start, data_window_end;
  bool usable = false;
  bool onehot_missing = false;  ///< how the boosters were trained (see Encode); absent in older artifacts = false

  /// Encode rows of `data` the way this model's boosters were trained.
  FeatureMatrix EncodeRows(const LeadData& data, const std::vector<size_t>& rows) const {
    return Encode(data, specs, rows, onehot_missing);
  }
  const SubModel& Get(const std::string& name) const;
  /// The artifact stored in model_runs.artifact.
  std::string ToArtifact() const;
  static std::shared_ptr<LeadModel> FromArtifact(const std::string& artifact);
  /// Reasons: the `k` specs of `sub` with the largest |contribution| in row `r`, in plain words.
  std::string Reasons(const SubModel& sub, const Contributions& c, size_t r, const FeatureMatrix& x, int k = 3) const;
  /// The same from one row's contributions (`contrib`: sub.cols.size() values, in sub.cols order) and the row's
  /// encoded values (`row`: width values), with phrases memoized in `cache` (may be null).
  std::string Reasons(const SubModel& sub, const double* contrib, const float* row, ReasonCache* cache,
                      int k = 3) const;
  /// A spec's value in row `r` of `x` in plain words ("201–1,000 employees", "3 website visits").
  std::string Describe(const FeatureSpec& spec, const FeatureMatrix& x, size_t r) const;
  /// The same from the spec's encoded values (`v` points at its first column).
  std::string Describe(const FeatureSpec& spec, const float* v) const;
};

}  // namespace revlens::insights
