#pragma once
/// The dashboard's JSON API: one document per page, computed with a few SQL queries over the marts and the
/// products' result tables. Pure functions of a Warehouse and the filters, so tests compare them with the
/// warehouse directly and the HTTP server (server.hpp) only routes, authenticates and serializes.
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "warehouse/warehouse.hpp"

namespace revlens::dashboard {

/// What the user narrowed the view to. Empty means "all".
struct Filters {
  std::string pipeline;  ///< deals.pipeline_id
  std::string team;      ///< deals.team_id (the forecast's team slice)
  std::string owner;     ///< deals.owner_id (digits)
  /// A quarter `YYYY-Qn`, `all`, or empty for the quarter of the data's as-of date.
  std::string period;
};

/// Read filters from query parameters (`pipeline`, `team`, `owner`, `period`). Throws InvalidInputError for an
/// owner that is not a number or a period that is neither `all` nor `YYYY-Qn`.
Filters ParseFilters(const std::multimap<std::string, std::string>& params);

/// Where the tables live and what the page compares against.
struct ApiOptions {
  std::string model_schema = "revlens";  ///< marts and result tables (and `runs`, `alerts`)
  std::string raw_schema = "hubspot";    ///< sync_runs, sync_state, quarantine, pipelines, owners
  double quarterly_goal = 0;             ///< bookings goal per quarter; 0 = not set
  int64_t now_ms = 0;                    ///< the clock for data freshness; 0 = wall clock
};

/// The pages, in menu order: overview, icp, leads, competitive, activity, health.
const std::vector<std::string>& PageNames();

/// Build the JSON documents the front end renders.
class DashboardApi {
 public:
  explicit DashboardApi(ApiOptions options) : options_(std::move(options)) {}

  /// The filter choices: pipelines, teams, owners (with their team), quarters, and the as-of date.
  nlohmann::json FilterChoices(warehouse::Warehouse& wh) const;
  /// Bookings per quarter vs goal, the forecast (P10/P50/P90, weighted pipeline, commit) for the slice the filters
  /// select, open pipeline by stage at the period's end, and the backtest's accuracy.
  nlohmann::json Overview(warehouse::Warehouse& wh, const Filters& f) const;
  /// ICP segments (win rate with its interval, lift, significance), fit-score distribution, best-fit companies.
  nlohmann::json Icp(warehouse::Warehouse& wh, const Filters& f) const;
  /// Score distribution, tiers, top leads with reasons, the latest model's metrics, drift and features.
  nlohmann::json Leads(warehouse::Warehouse& wh, const Filters& f) const;
  /// Competitors' win rates against the baseline, mentions per month, open deals with a competitor.
  nlohmann::json Competitive(warehouse::Warehouse& wh, const Filters& f) const;
  /// Engagements per week by type and per rep (owner_performance_weekly), and the activity product's tables.
  nlohmann::json Activity(warehouse::Warehouse& wh, const Filters& f) const;
  /// Last sync per resource and freshness, model tests (runs), quarantine, model runs, alerts sent.
  nlohmann::json Health(warehouse::Warehouse& wh) const;
  /// The page named `page` (PageNames() or `filters`). Throws InvalidInputError for an unknown page.
  nlohmann::json Page(std::string_view page, warehouse::Warehouse& wh, const Filters& f) const;

  const ApiOptions& Options() const { return options_; }

 private:
  ApiOptions options_;
};

/// A cell as JSON: NULL -> null, numbers, text, dates `YYYY-MM-DD`, timestamps `YYYY-MM-DDTHH:MM:SSZ`;
/// non-finite doubles become null.
nlohmann::json CellJson(const warehouse::Value& v);
/// A result set as an array of objects keyed by column name.
nlohmann::json RowsJson(const warehouse::ResultSet& rs);

/// A quarter: its label `YYYY-Qn` and first/last day (`YYYY-MM-DD`).
struct Quarter {
  int year = 0, q = 0;
  std::string Label() const;
  std::string Start() const;
  std::string End() const;
};
/// Parse `YYYY-Qn`; nullopt when malformed.
std::optional<Quarter> ParseQuarter(std::string_view text);
/// The quarter holding the date `YYYY-MM-DD`.
Quarter QuarterOf(std::string_view ymd);

}  // namespace revlens::dashboard
