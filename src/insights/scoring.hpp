#pragma once
/// Lead scoring (`revlens score`): who among the live contacts will become a customer (or reach SQL or
/// opportunity) within a window after they were created. Reads the `lead_features` and `lead_property_catalog`
/// models (sql/models/features), trains gradient-boosted models (gbm.hpp) on matured contacts with a time-ordered
/// split (train on the earliest, calibrate on the next slice, hold out the latest), and writes three scores per
/// live contact with their top reasons to `lead_scores`; every run is recorded in `model_runs`.
///
/// The scores: `likelihood` (0-100, the calibrated probability in percent, from every feature), `fit` and
/// `engagement` (0-100, the percentile of a model that sees only who the lead is, or only what they did, among the
/// training contacts), `tier` A-D by the likelihood model's quartiles on the calibration slice (A = top 25%),
/// and reasons: the three features that moved the likelihood most for that contact (XGBoost's pred_contribs), in
/// plain words with their direction ("201–1,000 employees (+)").
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "insights/gbm.hpp"
#include "insights/metrics.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::insights {

/// What counts as a conversion.
enum class LeadTarget { kCustomer, kSalesQualified, kOpportunity };
/// `customer`, `sql`, `opportunity`.
std::string LeadTargetName(LeadTarget t);
/// Parse `customer`, `sql` or `opportunity`; throws ConfigError otherwise.
LeadTarget ParseLeadTarget(const std::string& name);

/// How reasons are computed: exact TreeSHAP, the cheaper path approximation, or exact up to 200k contacts.
enum class ReasonMode { kExact, kApproximate, kAuto };

/// Everything `revlens score` can be told.
struct ScoringOptions {
  std::string model_schema = "revlens";  ///< where the models are and the result tables go
  LeadTarget target = LeadTarget::kCustomer;
  int window_days = 90;           ///< a conversion counts when it happens within this many days of creation
  int64_t min_conversions = 100;  ///< matured conversions needed to train
  int64_t min_holdout_conversions = 20;
  double calibration_share = 0.15;  ///< of matured contacts by creation time, after the training slice
  double holdout_share = 0.25;      ///< the latest matured contacts, never seen in training or calibration
  /// Custom properties to leave out (names; `*` and `?` globs), added to the built-in list of names that move with
  /// the outcome (`*lifecycle*`, `*lead_status*`, `*deal*`, `*customer*`, `*churn*`).
  std::vector<std::string> exclude_properties;
  /// Custom properties exempt from the leakage screen (known to be set before conversion).
  std::vector<std::string> allow_properties;
  /// A custom property with no history that alone ranks the training outcome with an AUC above this is treated as
  /// written after the outcome and left out.
  double leakage_auc = 0.8;
  /// Reuse the latest trained model when it is younger than this (milliseconds); nullopt = always train.
  std::optional<int64_t> retrain_if_older_ms;
  bool force = false;              ///< train below the minimum of conversions (the model is marked unusable)
  bool shadow = false;             ///< scores are for shadow properties only (recorded in lead_scores.shadow)
  double ab_holdout_share = 0.10;  ///< share of contacts in the A/B holdout group (hash of the contact id)
  std::string ab_salt = "revlens-lead-ab";
  /// Use the sales team's own activity before the prediction time (calls, sales emails, meetings, notes, tasks) as
  /// features. Off by default: that activity follows the team's judgement of the lead and, once follow-up is
  /// score-driven, the score itself (a feedback loop that also spoils the A/B comparison); it mirrors deals being
  /// opened rather than predicting them. The first response time is used either way.
  bool sales_activity_features = false;
  ReasonMode reasons = ReasonMode::kAuto;
  /// Training rows at most: above this, every conversion of the training slice is kept and the non-conversions
  /// are sampled (deterministically, by a hash of the contact id) down to this many rows, each weighted by the
  /// inverse of the sampling rate so the model still sees the true base rate (case-control sampling; on the
  /// `large` portal it cut training time ~2.5x). Calibration, evaluation and the reference distributions use
  /// every row. 0 = no limit.
  size_t max_training_rows = 40000;
  /// Blend each booster with a ridge logistic model on the same features (lead_model.hpp, LinearPart), the blend's
  /// weights fitted on the calibration slice. At the demo portal's few hundred training conversions the additive
  /// model ranks the holdout better than the trees alone.
  bool linear_blend = true;
  /// The boosters' parameters: learning rate 0.1 (0.05 kept about 2.3x the trees for the same holdout AUC on the
  /// demo portal, and trees are what training and scoring time go into), early stopping after 25 rounds, depth 3
  /// (with the linear blend, depth 2 against 3 on demo portal seeds 42 / 11 / 7: holdout AUC -0.002 / +0.006 /
  /// +0.006, within the noise, for 1.9x the trees and so the scoring time; depth 4 was worse).
  GbmParams gbm = [] {
    GbmParams p;
    p.learning_rate = 0.1;
    p.early_stopping_rounds = 25;
    return p;
  }();
  int64_t now_ms = 0;  ///< the clock for trained_at / scored_at and model age; 0 = wall clock
  /// Called with one line at each step (loading, training, scoring); may be empty.
  std::function<void(const std::string&)> progress;
};

/// The metrics of one score on the holdout.
struct ScoreMetrics {
  int64_t contacts = 0, conversions = 0;
  AucEstimate auc;
  double pr_auc = 0, brier = 0, ece = 0, top_decile_lift = 0;
  double tiers_ab_capture = 0;  ///< share of conversions in tiers A+B
  double tiers_ab_share = 0;    ///< share of contacts in tiers A+B
  nlohmann::json ToJson() const;
};

/// One holdout contact, for comparisons (benchmarks and tests hold these against the ground truth).
struct HoldoutRow {
  int64_t contact_id = 0;
  int label = 0;
  double score = 0;        ///< the combined model's raw log-odds (ranking)
  double probability = 0;  ///< calibrated
};

/// A feature the models use, or a candidate that was left out.
struct FeatureReport {
  std::string name;
  std::string group;            ///< fit | engagement
  std::string origin;           ///< standard | custom:contacts | custom:companies
  double importance = 0;        ///< mean |contribution| (log-odds) on the calibration slice, combined model
  std::string excluded_reason;  ///< empty when used
};

/// Drift of the recent contacts (created in the 90 days to the as-of date) against the training contacts.
struct DriftReport {
  int64_t recent_contacts = 0;
  double score_psi = 0;
  std::vector<std::pair<std::string, double>> feature_psi;  ///< top features by importance
  bool alert = false;                                       ///< any PSI above 0.2
  nlohmann::json ToJson() const;
};

/// What a run did.
struct ScoringReport {
  std::string run_id, model_version;
  std::string status;   ///< trained | reused | refused
  std::string message;  ///< plain words: why refused, why unusable, or that all is well
  bool usable = false;
  LeadTarget target = LeadTarget::kCustomer;
  int window_days = 90, prediction_days = 14;
  std::string as_of_date;
  int64_t live_contacts = 0, matured_contacts = 0, conversions = 0;
  int64_t train_contacts = 0, calibration_contacts = 0, holdout_contacts = 0;
  std::string data_window_start, data_window_end;  ///< creation dates of the training + calibration contacts
  ScoreMetrics likelihood, fit, engagement;        ///< on the holdout
  std::optional<AucEstimate> matured_cohort_auc;   ///< on contacts created after the data window, now matured
  int64_t matured_cohort_contacts = 0;
  DriftReport drift;
  std::vector<FeatureReport> features;  ///< used ones by importance, then the excluded ones
  std::map<std::string, int64_t> tier_counts;
  int64_t scored = 0;
  double train_seconds = 0, score_seconds = 0, total_seconds = 0;
  std::vector<HoldoutRow> holdout;  ///< not in ToJson
  nlohmann::json ToJson() const;
  /// The human report: metrics side by side, the no-signal or refusal message, drift.
  std::string Text() const;
};

/// Train (or reuse) and score; write `lead_scores` (one transaction) and a `model_runs` row. A refusal (too few
/// conversions) is a report with status "refused" and nothing scored. Throws WarehouseError / ConfigError when the
/// feature models are missing (run `revlens build`).
ScoringReport RunLeadScoring(warehouse::Warehouse& wh, const ScoringOptions& options);

/// The A/B group of a contact: "holdout" for a deterministic `holdout_share` of contact ids (a hash with `salt`),
/// else "treatment".
std::string AbGroup(int64_t contact_id, double holdout_share, const std::string& salt);

/// `revlens score --ab-report`: conversion of matured contacts created since `since` (YYYY-MM-DD; empty = the
/// as-of date of the first scoring run) in the treatment and holdout groups, with the difference's interval.
struct AbOptions {
  std::string model_schema = "revlens";
  LeadTarget target = LeadTarget::kCustomer;
  int window_days = 90;
  double holdout_share = 0.10;
  std::string salt = "revlens-lead-ab";
  std::string since;
};
struct AbArm {
  int64_t contacts = 0, conversions = 0;
  double rate = 0;
  Interval ci;
};
struct AbReport {
  std::string since, as_of_date;
  AbArm treatment, holdout;
  AbArm treatment_ab, holdout_ab;  ///< tiers A+B only
  double lift = 0;                 ///< treatment rate minus holdout rate
  Interval lift_ci;
  bool enough = false;
  std::string message;
  nlohmann::json ToJson() const;
  std::string Text() const;
};
AbReport RunAbReport(warehouse::Warehouse& wh, const AbOptions& options);

/// The trained lead model: feature encoding, three boosters, calibration, tier cut points and the reference
/// distributions for drift. Serializes to the JSON stored in model_runs.artifact.
class LeadModel;

/// A scored contact.
struct LeadScore {
  double likelihood = 0, fit = 0, engagement = 0;  ///< 0-100
  double margin = 0;                               ///< combined raw log-odds
  char tier = 'D';
  std::string reasons, fit_reasons, engagement_reasons;
};

/// Features of the live contacts encoded for `model` (the scoring path up to the boosters).
struct EncodedContacts {
  std::vector<int64_t> contact_ids;
  FeatureMatrix x;
};

/// Load a model from a model_runs artifact.
std::shared_ptr<const LeadModel> LoadLeadModel(const std::string& artifact);
/// The latest trained model in `schema`.model_runs, or nullptr.
std::shared_ptr<const LeadModel> LatestLeadModel(warehouse::Warehouse& wh, const std::string& schema);
/// Read and encode the live contacts' features for `model`.
EncodedContacts EncodeLiveContacts(warehouse::Warehouse& wh, const std::string& schema, const LeadModel& model);
/// Score encoded rows (likelihood, fit, engagement, tier, reasons).
std::vector<LeadScore> ScoreLeads(const LeadModel& model, const FeatureMatrix& x, ReasonMode reasons);
/// The model's encoded width.
size_t LeadModelWidth(const LeadModel& model);

}  // namespace revlens::insights
