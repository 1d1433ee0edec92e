// `revlens forecast`: the pipeline forecast (P10/P50/P90 per period and slice beside HubSpot's weighted pipeline,
// forecast categories and run rate), per-deal win probabilities and risk flags, and --backtest.
#include <cstdio>
#include <memory>
#include <string>

#include "app/commands.hpp"
#include "core/config.hpp"
#include "insights/forecast.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::app {
namespace {

struct ForecastArgs {
  std::string warehouse;
  std::string period = "quarter";
  insights::ForecastOptions options;
  bool json = false;
  bool quiet = false;
  bool no_write = false;
};

int RunForecastCommand(ForecastArgs& a) {
  a.options.period = insights::ParsePeriodType(a.period);
  a.options.write = !a.no_write;
  if (!a.quiet && !a.json)
    a.options.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  std::string url = a.warehouse;
  if (url.empty()) url = LoadSettings().warehouse_url.value;
  auto wh = warehouse::OpenWarehouse(url);
  const insights::ForecastReport r = insights::RunForecast(*wh, a.options);
  if (a.json) {
    std::printf("%s\n", r.ToJson().c_str());
    std::fflush(stdout);
    return 0;
  }
  for (const auto& line : r.TextLines()) std::printf("%s\n", line.c_str());
  std::printf("\n%s in %.1f s.\n",
              a.no_write ? "Nothing written (--no-write)"
                         : (r.backtest ? "Written to deal_predictions, forecast and forecast_backtest"
                                       : "Written to deal_predictions and forecast"),
              r.seconds);
  std::fflush(stdout);
  return 0;
}

}  // namespace

void AddForecast(CLI::App& app) {
  auto args = std::make_shared<ForecastArgs>();
  auto* cmd = app.add_subcommand(
      "forecast",
      "Pipeline forecast: P10/P50/P90 bookings per period and slice (Monte Carlo over open deals and pipeline not "
      "yet created) beside HubSpot's weighted pipeline, per-deal win probability and risk; --backtest scores it");
  cmd->add_option("--warehouse", args->warehouse, "Warehouse URL (default: REVLENS_WAREHOUSE / revlens.toml)");
  cmd->add_option("--schema", args->options.schema, "Model schema: reads forecast_* and marts, writes the results")
      ->capture_default_str();
  cmd->add_option("--period", args->period, "Forecast period")
      ->check(CLI::IsMember({"month", "quarter"}))
      ->capture_default_str();
  cmd->add_option("--horizon", args->options.horizon, "Periods forecast: the current one and the next ones")
      ->check(CLI::Range(1, 12))
      ->capture_default_str();
  cmd->add_flag("--backtest", args->options.backtest,
                "Also backtest the last K periods: forecast each from its start, compare with what was booked");
  cmd->add_option("--periods", args->options.backtest_periods, "Backtest periods K (default: 8 months or 4 quarters)")
      ->check(CLI::Range(1, 36));
  cmd->add_option("--draws", args->options.draws, "Monte Carlo draws per period and slice")
      ->check(CLI::Range(100, 1000000))
      ->capture_default_str();
  cmd->add_option("--seed", args->options.seed, "Monte Carlo and model seed")->capture_default_str();
  cmd->add_option("--as-of", args->options.as_of,
                  "Forecast as of the end of this day, YYYY-MM-DD (default: the models' as_of_date, else today)");
  cmd->add_option("--no-activity-days", args->options.no_activity_days,
                  "Flag open deals without an engagement for this many days")
      ->capture_default_str();
  cmd->add_option("--run-id", args->options.run_id, "Run id written with the results (default: generated)");
  cmd->add_flag("--no-write", args->no_write, "Compute and print, write nothing");
  cmd->add_flag("--quiet", args->quiet, "No progress lines on stderr");
  cmd->add_flag("--json", args->json, "Print the summary as JSON");
  SetAction(cmd, [args] { return RunForecastCommand(*args); });
}

}  // namespace revlens::app
