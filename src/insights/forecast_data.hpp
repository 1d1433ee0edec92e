#pragma once
/// The pipeline forecast's inputs and its point-in-time view: every live deal with its dated history (stage,
/// amount, close date, owner, forecast category, pipeline, engagements) loaded once from the forecast_* feature
/// models, and the state and features of any deal as they stood at any cutoff, rebuilt from events strictly
/// before that cutoff. Nothing known after a cutoff reaches that cutoff's state or features.
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "insights/table_util.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::insights {

/// Milliseconds in a day.
/// "Never": a close that has not happened, an open-ended range.
inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

/// Month or quarter.
enum class PeriodType { kMonth, kQuarter };

/// A calendar period [start_ms, end_ms) in UTC with a label (`2026-07`, `2026-Q3`).
struct Period {
  int64_t start_ms = 0, end_ms = 0;
  std::string label;
};

/// The period of `type` containing instant `ms`.
Period PeriodContaining(int64_t ms, PeriodType type);
/// The period `offset` periods after (negative: before) `p`.
Period ShiftPeriod(const Period& p, PeriodType type, int offset);
/// "month" or "quarter".
std::string PeriodTypeName(PeriodType type);
/// Parse "month" / "quarter"; throws ConfigError otherwise.
PeriodType ParsePeriodType(const std::string& text);

/// One deal pipeline stage (from stg_hubspot__pipeline_stages).
struct StageMeta {
  std::string pipeline_id, stage_id, label;
  int order = 0;           ///< position among the pipeline's open stages (0 = first); closed stages after them
  double probability = 0;  ///< HubSpot's stage probability (0..1)
  bool closed = false, won = false;
};

/// A dated value: valid from `at_ms` until the next one.
template <typename T>
struct Dated {
  int64_t at_ms = 0;
  T value{};
};

/// An engagement associated with a deal.
struct DealEngagement {
  int64_t at_ms = 0;
  int type = 0;            ///< index into kEngagementTypes
  int64_t contact_id = 0;  ///< 0 = none
};

/// The engagement types, in the order DealEngagement::type indexes them.
inline constexpr const char* kEngagementTypes[] = {"call", "email", "meeting", "note", "task"};

/// One live deal: its history and attributes.
struct DealRecord {
  int64_t deal_id = 0;
  int pipeline = -1;  ///< current pipeline (index into ForecastData::pipelines)
  int64_t created_ms = 0;
  // The outcome as known at load time: training labels (only when known before the training cutoff) and actual
  // bookings. Never a feature.
  bool won = false, closed = false;
  int64_t close_ms = kNever;        ///< close date of a closed deal (HubSpot's closedate; bookings date)
  int64_t close_known_ms = kNever;  ///< when the deal first entered a closed stage (the outcome became known)
  double final_amount = 0;          ///< current amount (0 when empty)
  int64_t final_owner = 0;
  // Account attributes (codes into ForecastData vocabularies; -1 = unknown).
  int industry = -1, size_band = -1, seniority = -1, lead_source = -1;
  std::vector<int> tech;  ///< indexes into ForecastData::tech_vocabulary
  // History, each sorted by time.
  std::vector<Dated<int>> stages;           ///< stage index into ForecastData::stages
  std::vector<Dated<double>> amounts;       ///< NaN = cleared
  std::vector<Dated<int64_t>> close_dates;  ///< expected close instant (kNever = cleared)
  std::vector<Dated<int64_t>> owners;
  std::vector<Dated<int>> categories;  ///< 0 pipeline, 1 best case, 2 commit, 3 closed, 4 omit, -1 other
  std::vector<Dated<int>> pipelines;
  std::vector<DealEngagement> engagements;
};

/// An owner and their team (from owner_performance).
struct OwnerInfo {
  std::string name, team_id, team_name;
};

/// Everything the forecast reads, loaded once.
struct ForecastData {
  std::string schema;
  int64_t as_of_ms = 0;  ///< start of the day after the as-of date: the forecast's cutoff
  std::vector<std::string> pipelines;
  std::vector<std::string> pipeline_labels;  ///< beside pipelines (the id when the label is unknown)
  std::vector<StageMeta> stages;
  std::vector<DealRecord> deals;
  std::map<int64_t, OwnerInfo> owners;
  std::vector<std::string> industry_vocabulary, size_band_vocabulary, seniority_vocabulary, source_vocabulary,
      tech_vocabulary;
  /// The number of open stages per pipeline (for the stage-order feature's scale).
  std::vector<int> open_stage_count;
  size_t event_rows = 0;
};

/// A `dealstage` value to its index in `stages`: the stage of that id in the deal's pipeline, else the stage of that
/// id when only one pipeline has it; -1 when neither. The forecast's loader and `revlens serve`'s live deals resolve
/// stage changes with it.
class StageResolver {
 public:
  explicit StageResolver(const std::vector<StageMeta>& stages);
  int Resolve(const std::string& pipeline_id, const std::string& stage_id) const;

 private:
  std::map<std::pair<std::string, std::string>, int> by_pipeline_;
  std::map<std::string, int> by_id_;  ///< -2 = the id is in more than one pipeline
};

/// Load the forecast's inputs from `schema` (forecast_deals, forecast_deal_events, stg_hubspot__pipeline_stages,
/// owner_performance, int_as_of). `as_of` (YYYY-MM-DD) overrides int_as_of. Throws ConfigError when a model is
/// missing (run `revlens build` first).
ForecastData LoadForecastData(warehouse::Warehouse& wh, const std::string& schema, const std::string& as_of = "");

/// `data` as it was known at `cutoff_ms`: deals created before it, every event before it, and an outcome only when
/// the deal had closed before it (a deal that closed later is open here, with its amount and owner of the cutoff).
/// The as-of instant becomes min(as_of_ms, cutoff_ms). Category vocabularies are kept (codes, not information).
/// Backtests train and forecast on such a view, so no later fact can reach them.
ForecastData TruncateAt(const ForecastData& data, int64_t cutoff_ms);

/// Per pipeline, the amount above which a deal amount is taken for a data-entry error (an extra zero or three):
/// kAmountCapMultiple x the median positive amount of the pipeline's deals in `data`; infinity without amounts.
std::vector<double> AmountCaps(const ForecastData& data);
/// How far above its pipeline's median a deal amount may be before it counts as an entry error.
inline constexpr double kAmountCapMultiple = 50;

/// A deal as it stood at a cutoff: the last value of each history strictly before the cutoff.
struct DealState {
  bool exists = false;  ///< created before the cutoff with a stage by then
  bool open = false;
  int stage = -1, pipeline = -1, category = -1;
  double amount = 0;  ///< NaN when empty
  int64_t close_date_ms = kNever;
  int64_t owner = 0;
  int64_t stage_entered_ms = 0;
  int stage_visits = 0, backward_moves = 0, amount_changes = 0, close_date_pushes = 0;
  double pushed_days = 0;
  // Activity before the cutoff.
  int engagements = 0, engagements_14d = 0, engagements_30d = 0, meetings = 0, calls = 0, emails = 0;
  int contacts_engaged = 0;
  bool early_meeting = false;      ///< a meeting within 14 days of creation (and before the cutoff)
  int64_t last_engagement_ms = 0;  ///< 0 = none
};

/// The state of `deal` at `cutoff_ms` from events strictly before it.
DealState StateAt(const ForecastData& data, const DealRecord& deal, int64_t cutoff_ms);

/// Win counts of deals whose outcome was known before a cutoff, per owner and pipeline, for the owner-rate
/// features (each a cumulative step function of time).
class OutcomeIndex {
 public:
  explicit OutcomeIndex(const ForecastData& data);
  /// Wins and closed deals of (owner, pipeline) known strictly before `cutoff_ms`; owner 0 = every owner.
  std::pair<int64_t, int64_t> Count(int64_t owner, int pipeline, int64_t cutoff_ms) const;
  /// The owner's win rate in the pipeline before `cutoff_ms`, shrunk toward the pipeline's (0.5 without any) as if
  /// the pipeline had kOwnerPriorDeals deals behind it; owner 0 (none) gets the pipeline's rate.
  double ShrunkWinRate(int64_t owner, int pipeline, int64_t cutoff_ms) const;
  /// The pipeline's win rate before `cutoff_ms` (0.5 without closed deals).
  double PipelineWinRate(int pipeline, int64_t cutoff_ms) const;
  static constexpr double kOwnerPriorDeals = 10;

 private:
  struct Series {
    std::vector<int64_t> at;
    std::vector<int64_t> wins;  ///< cumulative
  };
  std::map<std::pair<int64_t, int>, Series> series_;
};

/// The deal features, in column order (names for reports).
const std::vector<std::string>& DealFeatureNames();
/// Number of deal features.
size_t DealFeatureCount();
/// Fill `out` (DealFeatureCount() floats) with the features of `deal` in `state` at `cutoff_ms`.
void DealFeatures(const ForecastData& data, const OutcomeIndex& outcomes, const DealRecord& deal,
                  const DealState& state, int64_t cutoff_ms, float* out);

}  // namespace revlens::insights
