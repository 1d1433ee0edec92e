// `revlens score`: train (or reuse) the lead-scoring model and score every live contact; `--ab-report` measures the
// conversion lift of score-driven follow-up against the holdout group.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "app/commands.hpp"
#include "core/config.hpp"
#include "core/errors.hpp"
#include "insights/scoring.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::app {
namespace {

struct ScoreArgs {
  std::string warehouse;
  std::string schema = "revlens";
  std::string target = "customer";
  int window = 90;
  int64_t min_conversions = 100;
  std::string retrain_if_older;
  std::vector<std::string> exclude, allow;
  double ab_holdout = 0.10;
  std::string ab_since;
  std::string reasons = "auto";
  bool force = false;
  bool shadow = false;
  bool ab_report = false;
  bool json = false;
};

/// "30d", "12h", "2w" or a bare number of days, as milliseconds.
int64_t ParseAge(const std::string& s) {
  if (s.empty()) throw ConfigError("--retrain-if-older: expected an age such as 30d");
  size_t pos = 0;
  double n = 0;
  try {
    n = std::stod(s, &pos);
  } catch (const std::exception&) {
    throw ConfigError("--retrain-if-older: expected an age such as 30d, 12h or 2w, got '" + s + "'");
  }
  const std::string unit = s.substr(pos);
  double ms_per = 86400000.0;
  if (unit == "h") ms_per = 3600000.0;
  else if (unit == "w") ms_per = 7 * 86400000.0;
  else if (unit != "d" && !unit.empty())
    throw ConfigError("--retrain-if-older: unknown unit '" + unit + "' (use h, d or w)");
  if (n < 0) throw ConfigError("--retrain-if-older must not be negative");
  return static_cast<int64_t>(n * ms_per);
}

int RunScore(const ScoreArgs& a) {
  std::string url = a.warehouse;
  if (url.empty()) url = LoadSettings().warehouse_url.value;
  auto wh = warehouse::OpenWarehouse(url);
  const insights::LeadTarget target = insights::ParseLeadTarget(a.target);

  if (a.ab_report) {
    insights::AbOptions o;
    o.model_schema = a.schema;
    o.target = target;
    o.window_days = a.window;
    o.holdout_share = a.ab_holdout;
    o.since = a.ab_since;
    const auto r = insights::RunAbReport(*wh, o);
    std::printf("%s", a.json ? (r.ToJson().dump(2) + "\n").c_str() : r.Text().c_str());
    std::fflush(stdout);
    return 0;
  }

  insights::ScoringOptions o;
  o.model_schema = a.schema;
  o.target = target;
  o.window_days = a.window;
  o.min_conversions = a.min_conversions;
  o.exclude_properties = a.exclude;
  o.allow_properties = a.allow;
  o.force = a.force;
  o.shadow = a.shadow;
  o.ab_holdout_share = a.ab_holdout;
  if (!a.retrain_if_older.empty()) o.retrain_if_older_ms = ParseAge(a.retrain_if_older);
  o.reasons = a.reasons == "exact"         ? insights::ReasonMode::kExact
              : a.reasons == "approximate" ? insights::ReasonMode::kApproximate
                                           : insights::ReasonMode::kAuto;
  o.progress = [](const std::string& line) { std::fprintf(stderr, "revlens score: %s\n", line.c_str()); };
  const auto r = insights::RunLeadScoring(*wh, o);
  if (a.json) {
    std::printf("%s\n", r.ToJson().dump(2).c_str());
  } else {
    std::printf("%s", r.Text().c_str());
  }
  std::fflush(stdout);
  if (r.status == "refused") {
    std::fprintf(stderr, "revlens score: refused to train: too few conversions (see above)\n");
    return 1;
  }
  return 0;
}

}  // namespace

void AddScore(CLI::App& app) {
  auto args = std::make_shared<ScoreArgs>();
  auto* cmd = app.add_subcommand(
      "score", "Lead scoring: train on a time-ordered split, calibrate, and score every live contact into lead_scores");
  cmd->add_option("--warehouse", args->warehouse, "Warehouse URL (default: REVLENS_WAREHOUSE / revlens.toml)");
  cmd->add_option("--schema", args->schema, "Model schema: reads lead_features, writes lead_scores and model_runs")
      ->capture_default_str();
  cmd->add_option("--target", args->target, "What counts as a conversion: customer, sql or opportunity")
      ->check(CLI::IsMember({"customer", "sql", "opportunity"}))
      ->capture_default_str();
  cmd->add_option("--window", args->window, "Days after creation within which a conversion counts")
      ->check(CLI::Range(1, 3650))
      ->capture_default_str();
  cmd->add_option("--min-conversions", args->min_conversions,
                  "Matured conversions needed to train (fewer: refuse, unless --force)")
      ->capture_default_str();
  cmd->add_option("--retrain-if-older", args->retrain_if_older,
                  "Reuse the latest trained model when it is younger than this (e.g. 30d); default: always train");
  cmd->add_option("--exclude-property", args->exclude,
                  "Custom property to leave out of the features (repeatable; * and ? globs)");
  cmd->add_option("--allow-property", args->allow,
                  "Custom property exempt from the leakage screen: known before conversion (repeatable)");
  cmd->add_option("--ab-holdout", args->ab_holdout, "Share of contacts in the A/B holdout group (hash of the id)")
      ->check(CLI::Range(0.0, 0.5))
      ->capture_default_str();
  cmd->add_option("--reasons", args->reasons, "Reasons from exact TreeSHAP, the approximation, or auto")
      ->check(CLI::IsMember({"auto", "exact", "approximate"}))
      ->capture_default_str();
  cmd->add_flag("--force", args->force, "Train below the minimum of conversions (the model is marked unusable)");
  cmd->add_flag("--shadow", args->shadow, "Shadow mode: the scores are for hidden shadow properties only");
  cmd->add_flag("--ab-report", args->ab_report,
                "Report the conversion lift of the treatment group over the holdout group, with a 95% interval");
  cmd->add_option("--ab-since", args->ab_since,
                  "With --ab-report: count contacts created from this date (default: the first scoring run)");
  cmd->add_flag("--json", args->json, "Print the run summary as JSON");
  SetAction(cmd, [args] { return RunScore(*args); });
}

}  // namespace revlens::app
