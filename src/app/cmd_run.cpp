// `revlens run`: the nightly job (src/pipeline/nightly.hpp): sync -> build -> products -> push -> alert -> report,
// each step recorded in the `runs` table; stops at the first failure.
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "core/config.hpp"
#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "hubspot/client.hpp"
#include "insights/compete.hpp"
#include "models/jinja.hpp"
#include "pipeline/nightly.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::app {
namespace {

struct RunArgs {
  std::string warehouse;
  std::string schema = "revlens";
  std::string raw_schema = "hubspot";
  std::vector<std::string> skip;
  std::string report_dir = "revlens-report";
  std::string project;
  std::string product_usage;
  std::string as_of;
  bool no_backtest = false;
  bool json = false;
  bool quiet = false;
};

int RunRunCommand(const RunArgs& a) {
  const Settings settings = LoadSettings();
  pipeline::NightlyOptions o;
  o.model_schema = a.schema;
  o.raw_schema = a.raw_schema;
  o.skip = pipeline::ParseSkip(a.skip);
  o.report.out_dir = a.report_dir;
  o.build.project_dir = a.project.empty() ? DefaultModelProject() : a.project;
  o.sync.product_usage_path = a.product_usage;
  o.enrich.settings = enrich::LoadEnrichSettings(std::nullopt, settings.hubspot_api_base.value);
  if (!a.as_of.empty()) {
    // A calendar date that round-trips: 2026-02-30 parses to March and is refused.
    const auto ms = ParseTimestampMillis(a.as_of);
    if (a.as_of.size() != 10 || !ms || FormatDate(*ms) != a.as_of)
      throw ConfigError("--as-of '" + a.as_of + "' is not a date (YYYY-MM-DD)");
    o.build.vars["as_of_date"] = models::JinjaValue::String(a.as_of);
  }
  o.forecast.backtest = !a.no_backtest;
  o.compete.dictionary = insights::ConfiguredCompetitors();
  if (settings.slack_webhook_url.IsSet()) o.alert.slack_webhook_urls.push_back(settings.slack_webhook_url.value);
  if (!a.quiet) o.progress = [](const std::string& line) { std::fprintf(stderr, "revlens run: %s\n", line.c_str()); };

  // Without a token the job runs on the warehouse as it is: sync and push are skipped with a note.
  std::optional<hubspot::Client> client;
  if (settings.hubspot_access_token.IsSet()) {
    hubspot::ClientOptions co;
    co.base_url = settings.hubspot_api_base.value;
    co.access_token = settings.hubspot_access_token.value;
    client.emplace(co);
    o.client = &*client;
  }
  const std::string url = a.warehouse.empty() ? settings.warehouse_url.value : a.warehouse;
  // `revlens serve` and `revlens dashboard` open a DuckDB file only briefly: wait for them rather than fail.
  auto wh = warehouse::OpenWarehouseWaiting(url, std::chrono::seconds(60));
  const pipeline::NightlyReport r = pipeline::RunNightly(*wh, o);
  if (a.json) {
    std::printf("%s\n", r.ToJson().c_str());
  } else {
    std::printf("revlens run %s: %s, schema %s\n", r.run_id.c_str(), r.warehouse.c_str(), r.model_schema.c_str());
    for (const auto& line : r.TextLines()) std::printf("%s\n", line.c_str());
    std::printf("%s in %.1f s; recorded in %s.runs\n", r.Ok() ? "done" : "FAILED", r.seconds, r.model_schema.c_str());
    if (r.report) std::printf("report: %s\n", r.report->html_path.c_str());
  }
  std::fflush(stdout);
  for (const auto& w : r.warnings) std::fprintf(stderr, "revlens run: warning: %s\n", w.c_str());
  if (!r.Ok()) {
    std::fprintf(stderr, "revlens run: %s\n", r.failure.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

void AddRun(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  std::string steps;
  for (const auto& s : pipeline::StepNames()) steps += (steps.empty() ? "" : ", ") + s;
  auto* cmd = app.add_subcommand(
      "run",
      "The nightly job: sync, build, score, icp, forecast, activity, compete, push, alert, report; each step timed "
      "and recorded in the runs table; stops at the first failure");
  cmd->add_option("--warehouse", a->warehouse, "Warehouse URL (default: REVLENS_WAREHOUSE / revlens.toml)");
  cmd->add_option("--schema", a->schema, "Model schema: models, result tables and the runs table")
      ->capture_default_str();
  cmd->add_option("--raw-schema", a->raw_schema, "Raw schema the sync writes and the build reads")
      ->capture_default_str();
  cmd->add_option("--skip", a->skip, "Steps to skip, comma-separated (" + steps + "), e.g. --skip sync,push");
  cmd->add_option("--report-dir", a->report_dir, "Folder for the CSV files and report.html")->capture_default_str();
  cmd->add_option("--project", a->project,
                  "dbt-layout model project (default: ./sql, else the sql/ folder beside the binary's folder)");
  cmd->add_option("--product-usage", a->product_usage, "Product usage file (CSV or Parquet) for the sync")
      ->check(CLI::ExistingFile);
  cmd->add_option("--as-of", a->as_of,
                  "The day the models and products measure to (YYYY-MM-DD; default today): re-run a past night, or "
                  "run on a portal replayed from an earlier date");
  cmd->add_flag("--no-backtest", a->no_backtest, "Skip the forecast backtest (faster; the report has no backtest)");
  cmd->add_flag("--quiet", a->quiet, "No progress lines on stderr");
  cmd->add_flag("--json", a->json, "Print the run (every step with its summary) as JSON");
  SetAction(cmd, [a] { return RunRunCommand(*a); });
}

}  // namespace revlens::app
