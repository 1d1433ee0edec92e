#pragma once
/// `revlens run`, the nightly job: sync -> enrich -> build -> score -> icp -> forecast -> activity -> compete -> push ->
/// alert -> report. Each step is timed and recorded in the `runs` table of the model schema (one row per step of
/// each run, written as the step ends, so a crash leaves the steps before it on record); the job stops at the
/// first failed step with one line saying which and why. Steps can be skipped; without a HubSpot client (no
/// token) sync and push are skipped with a note and the job runs on the warehouse as it is.
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "deliver/alerts.hpp"
#include "deliver/push.hpp"
#include "enrich/enrich.hpp"
#include "insights/activity.hpp"
#include "insights/compete.hpp"
#include "insights/forecast.hpp"
#include "insights/icp.hpp"
#include "insights/scoring.hpp"
#include "models/runner.hpp"
#include "pipeline/report.hpp"
#include "sync/sync.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::hubspot {
class Client;
}

namespace revlens::pipeline {

/// The steps in the order they run: sync, enrich, build, score, icp, forecast, activity, compete, push, alert, report.
const std::vector<std::string>& StepNames();

/// Return true when this build of revlens has the step (a step whose product has not landed is listed as "not
/// available in this build").
bool StepAvailable(std::string_view step);

/// Parse `--skip sync,push` (comma- or space-separated step names, repeatable). Throws ConfigError naming an
/// unknown step and listing the known ones.
std::set<std::string> ParseSkip(const std::vector<std::string>& items);

/// What the nightly job runs and how. Each product's options are the ones its own command takes; the job fills
/// in the model schema (and the build's raw schema) from `model_schema` / `raw_schema`.
struct NightlyOptions {
  std::string model_schema = "revlens";  ///< models, result tables and `runs`
  std::string raw_schema = "hubspot";    ///< where the sync writes and the build reads
  std::set<std::string> skip;            ///< step names to skip (ParseSkip)
  /// HubSpot client for sync and push; nullptr = no token: sync and push are skipped with a note.
  hubspot::Client* client = nullptr;
  sync::SyncOptions sync;
  /// Providers and caps (`[enrichment]`); none configured: the enrich step notes it and moves on.
  enrich::EnrichOptions enrich;
  models::BuildOptions build;
  insights::ScoringOptions score;
  insights::IcpOptions icp;
  insights::ForecastOptions forecast;
  insights::ActivityOptions activity;
  insights::CompeteOptions compete;
  deliver::PushOptions push;
  deliver::AlertOptions alert;  ///< Slack URLs and outbound webhooks; none: rules evaluated and noted only
  ReportOptions report;         ///< out_dir is where the CSVs and report.html go
  std::string run_id;           ///< empty: `run-<UTC time>`
  /// One line per step as it starts and ends (`revlens run` prints them on stderr); may be empty.
  std::function<void(const std::string&)> progress;
};

/// One step of one run (a row of `runs`).
struct StepRecord {
  std::string step;
  /// ok; warn (ran, with something to look at: a refused model, quarantined records); failed; skipped
  /// (asked to, or no token); unavailable (not in this build); not_run (an earlier step failed).
  std::string status;
  std::string message;  ///< one line
  nlohmann::json summary = nlohmann::json::object();
  int64_t started_ms = 0, finished_ms = 0;
  double seconds = 0;
};

/// Everything one run did; the products' own reports are kept for callers that print more (the demo).
struct NightlyReport {
  std::string run_id;
  std::string status = "ok";  ///< ok | failed
  std::string failure;        ///< `step <name> failed: <why>` when failed
  std::string warehouse;      ///< Describe(), password hidden
  std::string model_schema;
  std::vector<StepRecord> steps;  ///< every step, in order (those after a failure as not_run)
  std::vector<std::string> warnings;
  double seconds = 0;

  std::optional<sync::SyncSummary> sync;
  std::optional<enrich::EnrichSummary> enrich;
  std::optional<models::BuildReport> build;
  std::optional<insights::ScoringReport> score;
  std::optional<insights::IcpReport> icp;
  std::optional<insights::ForecastReport> forecast;
  std::optional<insights::ActivityReport> activity;
  std::optional<insights::CompeteReport> compete;
  std::optional<deliver::PushSummary> push;
  std::optional<deliver::AlertSummary> alert;
  std::optional<ReportSummary> report;

  /// True when no step failed.
  bool Ok() const { return status == "ok"; }
  /// The step's record, or nullptr.
  const StepRecord* Step(std::string_view name) const;
  /// `revlens run --json`: run id, status, failure, and every step with its summary.
  std::string ToJson() const;
  /// The step table as text lines (step, status, seconds, message).
  std::vector<std::string> TextLines() const;
};

/// The columns of `runs`.
std::vector<warehouse::Column> RunsColumns();

/// Run the nightly job on `wh`. Never throws for a failing step (the report says which failed and why); throws
/// WarehouseError only when the model schema itself cannot be created.
NightlyReport RunNightly(warehouse::Warehouse& wh, const NightlyOptions& options);

}  // namespace revlens::pipeline
