// `revlens alert`: Slack alerts and outbound webhook triggers from the result tables (src/deliver/alerts.hpp).
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "app/commands.hpp"
#include "core/config.hpp"
#include "deliver/alerts.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::app {
namespace {

struct AlertArgs {
  std::string warehouse;
  std::string rules;
  deliver::AlertOptions options;
  bool no_slack = false;
  bool no_webhooks = false;
  bool json = false;
};

// SLACK_WEBHOOK_URL may hold several URLs, separated by commas or whitespace.
std::vector<std::string> SplitUrls(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (const char c : text + ",") {
    if (c == ',' || c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

int RunAlertCommand(AlertArgs& a) {
  const Settings settings = LoadSettings();
  const std::string url = a.warehouse.empty() ? settings.warehouse_url.value : a.warehouse;
  if (!a.no_slack) a.options.slack_webhook_urls = SplitUrls(settings.slack_webhook_url.value);
  if (!a.no_webhooks) {
    for (const auto& w : settings.webhooks) {
      if (w.secret.empty() && !a.options.dry_run) {
        throw ConfigError(w.where + ": the outbound webhook has no secret: set " + w.secret_env +
                          " (environment or .env) or secret_file");
      }
      a.options.webhooks.push_back({w.url, w.secret.empty() ? std::string("unset") : w.secret});
    }
  }
  a.options.rules = SplitUrls(a.rules);
  if (!a.json && isatty(STDERR_FILENO)) {
    a.options.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  }
  auto wh = warehouse::OpenWarehouse(url);
  const deliver::AlertSummary s = deliver::RunAlerts(*wh, a.options);
  if (a.json) {
    std::printf("%s\n", s.ToJson().dump().c_str());
  } else {
    for (const auto& m : s.messages) std::printf("%s\n", m.c_str());
    std::printf("%s", s.Text().c_str());
  }
  // Failed deliveries are recorded (status 'failed') and retried by the next run; the exit code says so.
  return s.slack_messages_failed + s.webhooks_failed > 0 ? 1 : 0;
}

}  // namespace

void AddAlert(CLI::App& app) {
  auto a = std::make_shared<AlertArgs>();
  auto& o = a->options;
  auto& t = o.thresholds;
  auto* cmd = app.add_subcommand(
      "alert",
      "Post Slack alerts (Block Kit, to SLACK_WEBHOOK_URL) and signed JSON to outbound webhooks ([[webhooks]] in "
      "revlens.toml): new tier-A leads, competitors on open deals, deals at risk, forecast moves, stale data, score "
      "drift or AUC drop, a daily digest; each alert once (a lasting risk or stale data again after a while), recorded "
      "in the `alerts` table");
  cmd->add_option("--warehouse", a->warehouse, "Warehouse URL (default: REVLENS_WAREHOUSE or duckdb://revlens.duckdb)");
  cmd->add_option("--schema", o.schema, "Model schema holding the result tables and the alerts table")
      ->capture_default_str();
  cmd->add_option("--raw-schema", o.raw_schema, "Raw schema holding sync_runs (data freshness)")->capture_default_str();
  cmd->add_flag("--dry-run", o.dry_run, "Print the messages that would be posted; post nothing and write nothing");
  cmd->add_flag("--json", a->json, "Print the summary as JSON");
  cmd->add_option("--rules", a->rules,
                  "Comma-separated rules to evaluate (default all): tier_a_lead, competitor_on_deal, deal_at_risk, "
                  "forecast_moved, data_stale, score_drift, auc_drop, daily_digest");
  cmd->add_option("--dedupe-hours", o.dedupe_hours, "A deal still at risk is reported again after this many hours")
      ->capture_default_str();
  cmd->add_option("--stale-repeat-hours", o.stale_repeat_hours, "Stale data is reported again after this many hours")
      ->capture_default_str();
  cmd->add_option("--forecast-move", t.forecast_move,
                  "Alert when a period's P50 moved more than this fraction since the previous forecast run")
      ->capture_default_str();
  cmd->add_option("--psi", t.psi, "Alert when the lead-score PSI exceeds this")->capture_default_str();
  cmd->add_option("--auc-drop", t.auc_drop, "Alert when the lead model's AUC fell by more than this")
      ->capture_default_str();
  cmd->add_option("--stale-hours", t.stale_hours, "Alert when the last successful sync is older than this")
      ->capture_default_str();
  cmd->add_option("--min-risk-flags", t.min_risk_flags, "Risk flags that make an open deal 'at risk'")
      ->capture_default_str();
  cmd->add_option("--min-amount", t.min_deal_amount, "Deals below this amount raise no risk or competitor alert")
      ->capture_default_str();
  cmd->add_option("--lead-max-age-days", t.lead_max_age_days,
                  "tier_a_lead: only contacts created within this many days of the as-of date and not yet customers "
                  "(0 = any age)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-items", o.max_items_per_message, "Alerts listed in one Slack message per rule")
      ->capture_default_str();
  cmd->add_option("--max-retries", o.max_retries, "Retries per delivery (429, 5xx, connection failures)")
      ->capture_default_str();
  cmd->add_flag("--no-slack", a->no_slack, "Do not post to Slack");
  cmd->add_flag("--no-webhooks", a->no_webhooks, "Do not call the outbound webhooks");
  SetAction(cmd, [a] { return RunAlertCommand(*a); });
}

}  // namespace revlens::app
