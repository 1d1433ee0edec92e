// `revlens activity`: activity per rep, team and week; which activity patterns move outcomes; reps' gaps.
#include <cstdio>
#include <memory>
#include <string>

#include "app/commands.hpp"
#include "core/config.hpp"
#include "insights/activity.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::app {
namespace {

struct ActivityArgs {
  std::string warehouse;
  insights::ActivityOptions options;
  size_t stale_shown = 5;
  bool json = false;
  bool no_write = false;
};

int RunActivityCommand(const ActivityArgs& a) {
  std::string url = a.warehouse;
  if (url.empty()) url = LoadSettings().warehouse_url.value;
  auto wh = warehouse::OpenWarehouse(url);
  const insights::ActivityReport r = insights::RunActivity(*wh, a.options, !a.no_write);
  if (a.json) {
    std::printf("%s\n", r.ToJson().c_str());
    return 0;
  }
  std::printf("revlens activity: %s, schema %s, run %s, as of %s\n", wh->Describe().c_str(), a.options.schema.c_str(),
              r.run_id.c_str(), r.as_of.c_str());
  std::printf("  %lld engagements, %lld deals, %lld inbound leads; %zu rep-weeks, %zu team-weeks (%.2f s)\n\n",
              static_cast<long long>(r.engagements), static_cast<long long>(r.deals), static_cast<long long>(r.leads),
              r.rep_weeks.size(), r.team_weeks.size(), r.load_seconds + r.analyze_seconds + r.write_seconds);
  std::printf("  What moves outcomes (Benjamini-Hochberg FDR %.2g across patterns):\n", r.options.fdr);
  for (const auto& line : r.TopFindings()) std::printf("  - %s\n", line.c_str());
  std::printf("\n  %zu open deals with no activity for more than %d days", r.stale_deals.size(), r.options.stale_days);
  std::printf(r.stale_deals.empty() ? ".\n" : "; longest:\n");
  for (size_t i = 0; i < r.stale_deals.size() && i < a.stale_shown; ++i) {
    const auto& s = r.stale_deals[i];
    std::printf("    %-36.36s %-20.20s %10s  %lld days\n", s.deal_name.empty() ? "(no name)" : s.deal_name.c_str(),
                s.owner_name.c_str(), s.amount ? std::to_string(static_cast<long long>(*s.amount)).c_str() : "-",
                static_cast<long long>(s.days_without_activity));
  }
  std::printf("\n%s\n", a.no_write ? "Nothing written (--no-write)."
                                   : "Written to activity_rep_weekly, activity_team_weekly, activity_effects, "
                                     "activity_rep_gaps, stale_deals.");
  return 0;
}

}  // namespace

void AddActivity(CLI::App& app) {
  auto args = std::make_shared<ActivityArgs>();
  auto* cmd = app.add_subcommand(
      "activity",
      "Activity analysis: calls, connects, emails, meetings, notes, tasks and first-touch time per rep, team and "
      "week; stale deals; which activity patterns move win rate and cycle (adjusted odds ratios, CI, FDR); each "
      "rep against the team median");
  cmd->add_option("--warehouse", args->warehouse, "Warehouse URL (default: REVLENS_WAREHOUSE / revlens.toml)");
  cmd->add_option("--schema", args->options.schema, "Model schema: reads the marts, writes the results")
      ->capture_default_str();
  cmd->add_option("--as-of", args->options.as_of, "Measure up to the end of this day, YYYY-MM-DD (default: int_as_of)");
  cmd->add_option("--stale-days", args->options.stale_days, "An open deal with no activity for more days is stale")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--window-days", args->options.window_days,
                  "Deal patterns are measured in each deal's first this many days (deals open at least as long)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--gap-days", args->options.gap_days, "A cadence gap: more days than this without a touch")
      ->capture_default_str();
  cmd->add_option("--response-hours", args->options.response_hours,
                  "A first touch on an inbound lead later than this is slow")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--lead-maturity-days", args->options.lead_maturity_days,
                  "Leads created at least this long before the as-of date count in the response-time effect")
      ->capture_default_str();
  cmd->add_option("--rep-days", args->options.rep_days, "The rep view covers this many days to the as-of date")
      ->capture_default_str();
  cmd->add_option("--confidence", args->options.confidence, "Level of the intervals")->capture_default_str();
  cmd->add_option("--fdr", args->options.fdr, "False-discovery rate across patterns")->capture_default_str();
  cmd->add_option("--stale-shown", args->stale_shown, "Stale deals listed")->capture_default_str();
  cmd->add_option("--run-id", args->options.run_id, "Run id stamped on the rows (default: activity-<UTC time>)");
  cmd->add_flag("--json", args->json, "Print the report as JSON");
  cmd->add_flag("--no-write", args->no_write, "Compute and print without writing the result tables");
  SetAction(cmd, [args] { return RunActivityCommand(*args); });
}

}  // namespace revlens::app
