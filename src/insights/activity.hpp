#pragma once
/// Activity analysis (`revlens activity`): what reps do, and which activity patterns move outcomes.
///
/// Reads the `engagements`, `deals`, `contacts` and `companies` marts. Rolls activity up per rep and week (calls
/// and connects by hs_call_disposition, emails sent / received / replied, meetings booked / held / no-show by
/// hs_meeting_outcome, notes, tasks completed, time to first touch on new inbound leads, activities per open
/// deal) and per team and week; lists stale open deals (no activity for N days); and estimates the effect of
/// activity patterns on outcomes with logistic regression adjusted for deal size, segment (industry × size band)
/// and pipeline: a meeting in a deal's first 14 days, two or more contacts engaged, a call-led mix, a cadence gap
/// (more than 7 days without a touch), each measured only in the deal's first `window_days` and only on deals
/// open at least that long (nothing after the window can leak in), one regression per pattern; the mix and the
/// cadence are also adjusted for the stages the deal advanced in the window, because activity is logged as deals
/// move (a slow deal shows gaps whatever the rep does); and slow first response to inbound leads,
/// whose outcome is the lead becoming an opportunity (a deal), not winning. Odds ratios with Wald intervals,
/// the effect on won deals' cycle length by least squares on log days (tested for patterns not tied to the deal's
/// pace; descriptive for the mix and the cadence); Benjamini–Hochberg over all these tests together. Each
/// rep is compared with their team's median on the patterns, and the gaps are ranked by what they cost in win
/// odds. Writes activity_rep_weekly, activity_team_weekly, activity_effects, activity_rep_gaps and stale_deals
/// into the model schema, replacing the previous run in one transaction.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "warehouse/value.hpp"

namespace revlens::warehouse {
class Warehouse;
}

namespace revlens::insights {

/// How to run the analysis.
struct ActivityOptions {
  std::string schema = "revlens";  ///< model schema: where the marts live and the results go
  std::string as_of;               ///< YYYY-MM-DD; empty: int_as_of (var as_of_date, else today)
  int stale_days = 14;             ///< an open deal with no activity for more than this many days is stale
  int window_days = 14;            ///< deal patterns are measured in the deal's first window_days
  int gap_days = 7;                ///< a cadence gap: more than this many days without a touch in the window
  double response_hours = 24;      ///< a first touch later than this after an inbound lead is created is slow
  int lead_maturity_days = 90;     ///< leads created at least this long before the as-of date have an outcome
  int rep_days = 365;              ///< the rep view covers deals and leads created in this many days to the as-of
  double confidence = 0.95;        ///< level of every interval
  double fdr = 0.05;               ///< Benjamini–Hochberg false-discovery rate across patterns
  int min_level_count = 20;        ///< segment or pipeline levels with fewer deals pool into "other"
  std::string run_id;              ///< empty: `activity-<UTC time>`
  int64_t computed_at_ms = 0;      ///< 0: now
};

/// The result of a regression: coefficients (intercept first) with standard errors.
struct RegressionFit {
  std::vector<double> coefficients;  ///< intercept, then one per column of x
  std::vector<double> std_errors;    ///< same order; from the inverse (penalised) information matrix
  int iterations = 0;
  bool converged = false;
  double residual_variance = 0;  ///< linear fits only
};

/// Fit a logistic regression of 0/1 `y` on the rows of `x` (an intercept is added) by iteratively reweighted
/// least squares, with an optional ridge penalty per column (`penalty[j]`·β_j²/2; empty: none) that keeps
/// sparse indicator columns finite. Throws InvalidInputError when the sizes disagree or there are no rows.
RegressionFit FitLogistic(const std::vector<std::vector<double>>& x, const std::vector<double>& y,
                          const std::vector<double>& penalty = {}, int max_iterations = 50);

/// FitLogistic with row weights (a row counting `weights[i]` times; empty: all 1), so binomial counts of a few
/// covariate patterns fit as fast as their distinct rows.
RegressionFit FitLogisticWeighted(const std::vector<std::vector<double>>& x, const std::vector<double>& y,
                                  const std::vector<double>& weights, const std::vector<double>& penalty = {},
                                  int max_iterations = 50);

/// Fit a least-squares regression of `y` on the rows of `x` (an intercept is added), same penalty convention.
RegressionFit FitLinear(const std::vector<std::vector<double>>& x, const std::vector<double>& y,
                        const std::vector<double>& penalty = {});

/// One deal as the analysis needs it: a row of the deals mart plus its activity in the first window.
struct ActivityDeal {
  int64_t deal_id = 0;
  std::string deal_name, pipeline_id, deal_stage_id, segment;  ///< segment: industry × size band ("" unknown)
  std::optional<int64_t> owner_id;
  std::string owner_name, team_name;
  bool is_open = false, is_won = false, is_lost = false;
  std::optional<double> amount, cycle_days;
  std::optional<warehouse::Timestamp> created_at, closed_at, last_activity_at;
  // Activity in [created_at, created_at + window_days), touches being calls, emails and meetings.
  int64_t window_meetings = 0;  ///< meetings held or scheduled (not no-show, cancelled or rescheduled)
  int64_t window_calls = 0, window_emails_out = 0, window_touches = 0, window_contacts = 0;
  double window_longest_gap_days = 0;  ///< longest stretch without a touch, window edges included
  int64_t window_stage_moves = 0;      ///< stages entered after the first, within the window
};

/// One inbound lead: a contact whose original source is not offline (imports included).
struct ActivityLead {
  int64_t contact_id = 0;
  std::optional<int64_t> owner_id;
  std::string owner_name, team_name, source, segment;
  warehouse::Timestamp created_at;
  std::optional<double> first_touch_hours;  ///< first call, outgoing email or meeting; none before the cutoff
  bool became_opportunity = false;          ///< a deal is associated with the contact
};

/// One rep (or team) × week of activity.
struct RepWeek {
  std::optional<int64_t> owner_id;  ///< empty on team rows and for unowned activity
  std::string owner_name, team_name;
  warehouse::Date week_start;  ///< Monday
  int64_t calls = 0, connects = 0, emails_sent = 0, emails_received = 0, emails_replied = 0;
  int64_t meetings_booked = 0, meetings_held = 0, meetings_no_show = 0, notes = 0, tasks_completed = 0;
  int64_t inbound_leads = 0, leads_touched = 0, leads_touched_in_time = 0;  ///< new leads created this week
  std::optional<double> median_first_touch_hours;
  int64_t open_deals = 0, activities_on_open_deals = 0;
  std::optional<double> activities_per_open_deal;
};

/// The effect of one activity pattern.
struct PatternEffect {
  std::string pattern;      ///< early_meeting, multi_threaded, call_led, cadence_gap, slow_first_response
  std::string description;  ///< "a meeting in the first 14 days"
  std::string outcome;      ///< win or opportunity
  std::string population;   ///< which records, in words
  std::string controls;     ///< what the estimate is adjusted for
  int64_t n = 0, n_with = 0, successes_with = 0, successes_without = 0;
  bool estimated = false;  ///< false when the pattern never (or always) occurs
  double odds_ratio = 1, or_low = 1, or_high = 1, p_value = 1, q_value = 1;
  bool significant = false;
  int64_t cycle_n = 0;  ///< won deals in the cycle regression (deal patterns only)
  std::optional<double> cycle_ratio, cycle_low, cycle_high, cycle_p_value, cycle_q_value;
  bool cycle_significant = false;
  double coefficient = 0;  ///< log odds ratio
  /// The adjusted rates (marginal standardisation): the fitted model's mean rate over the whole population with
  /// the pattern set on every record, and off on every record. Unlike the raw rates they hold the controls' mix
  /// fixed, so they move the way the odds ratio says (the raw ones may not: renewals, which win more, have fewer
  /// early meetings).
  std::optional<double> adjusted_rate_with, adjusted_rate_without;
  std::string finding;  ///< in plain words
};

/// One rep's value of one metric against the team median.
struct RepGap {
  std::optional<int64_t> owner_id;
  std::string owner_name, team_name, metric;
  double rep_value = 0, team_median = 0, gap = 0;
  int64_t n = 0;                 ///< the rep's denominator (deals, leads, calls)
  std::optional<double> impact;  ///< win (or opportunity) log-odds per record lost to the gap; patterns only
  int rank = 0;                  ///< 1 = the rep's costliest gap (0 when not ranked)
  std::string finding;           ///< in plain words (ranked gaps)
};

/// An open deal with no activity for more than stale_days.
struct StaleDeal {
  int64_t deal_id = 0;
  std::string deal_name, pipeline_id, deal_stage_id, owner_name, team_name;
  std::optional<int64_t> owner_id;
  std::optional<double> amount;
  std::optional<warehouse::Timestamp> created_at, last_activity_at;
  int64_t days_without_activity = 0;
};

/// Everything one run produced.
struct ActivityReport {
  std::string run_id;
  int64_t computed_at_ms = 0, cutoff_ms = 0;  ///< cutoff: the start of the day after the as-of date
  std::string as_of;
  ActivityOptions options;
  std::vector<RepWeek> rep_weeks, team_weeks;
  std::vector<PatternEffect> effects;  ///< win patterns first, then slow_first_response
  std::vector<RepGap> rep_gaps;
  std::vector<StaleDeal> stale_deals;  ///< longest without activity first
  int64_t deals = 0, leads = 0, engagements = 0;
  double load_seconds = 0, analyze_seconds = 0, write_seconds = 0;
  /// The top findings in plain words: significant effects first, then the largest rep gaps.
  std::vector<std::string> TopFindings(size_t max_rep_gaps = 5) const;
  /// The report as JSON: run, effects, rep gaps, stale deal count and the top ones, weekly totals, timings.
  std::string ToJson() const;
};

/// The data the analysis runs on, loaded from the marts.
struct ActivityData {
  int64_t cutoff_ms = 0;
  std::string as_of;
  std::vector<ActivityDeal> deals;        ///< every live deal, ordered by id
  std::vector<ActivityLead> leads;        ///< inbound leads created before the cutoff
  std::vector<RepWeek> engagement_weeks;  ///< engagement counts per owner × week (open-deal and lead columns 0)
  int64_t engagements = 0;
};

/// Load the marts: aggregate queries (deals with their last activity, stages advanced in each deal's window, leads
/// with their first touch, engagement counts per owner × week, email replies per owner × week), the classified
/// touches in each deal's window, and owner names and company segments once by id. Throws ConfigError when a mart
/// is missing (run `revlens build`) or --as-of is malformed.
ActivityData LoadActivityData(warehouse::Warehouse& warehouse, const ActivityOptions& options);

/// The analysis (no warehouse: the pure computation). Throws InvalidInputError for options out of range.
ActivityReport AnalyzeActivity(const ActivityData& data, const ActivityOptions& options);

/// Replace the result tables in `schema` with the report's rows, in one transaction.
void WriteActivityReport(warehouse::Warehouse& warehouse, const std::string& schema, const ActivityReport& report);

/// Load, analyse and (when `write`) write the tables.
ActivityReport RunActivity(warehouse::Warehouse& warehouse, const ActivityOptions& options, bool write = true);

}  // namespace revlens::insights
