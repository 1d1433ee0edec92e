#pragma once
/// `revlens alert`: evaluate the alert rules over the products' result tables, post Block Kit messages to Slack
/// incoming webhooks and signed JSON to outbound webhooks, each alert once (see Dedupe below), and record every
/// delivery in the `alerts` table (model schema).
///
/// Rules (names as used by --rules and in the `alerts.rule` column; the entity makes the dedupe key
/// `rule:entity`):
///   tier_a_lead         lead_scores: a contact in tier A (usable, visible model), still a lead (not a customer,
///                       created within `lead_max_age_days`, from lead_features)            entity contact id
///   competitor_on_deal  deal_competitors: a competitor detected on an open deal              entity deal:competitor
///   deal_at_risk        deal_predictions: an open deal with at least `min_risk_flags` flags  entity deal id
///   forecast_moved      forecast: a period's P50 moved more than `forecast_move` (relative) against the previous
///                       forecast run seen by `revlens alert` (kept in alert_forecast_history) entity period@run
///   data_stale          hubspot.sync_runs: no successful sync for `stale_hours`               entity raw schema
///   score_drift         model_runs: score PSI above `psi` on the latest scoring run           entity model version
///   auc_drop            model_runs: holdout AUC fell more than `auc_drop` against the previous run  entity version
///   daily_digest        one summary per UTC day                                               entity the date
/// Dedupe: an alert goes to each destination once. deal_at_risk and data_stale describe a condition that may last:
/// they are sent again after `dedupe_hours` / `stale_repeat_hours` while it holds. The other rules' entities are new
/// facts (a lead newly in tier A, a model version, a forecast run, a date): sent once, ever.
/// A rule whose source table is absent is skipped with a note (never faked).
#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "warehouse/warehouse.hpp"

namespace revlens::deliver {

/// One outbound webhook: its URL and the shared secret that signs each request (never printed).
struct OutboundWebhook {
  std::string url;
  std::string secret;
};

/// The thresholds the rules compare against.
struct AlertThresholds {
  double forecast_move = 0.10;  ///< relative change of a period's P50 (0.10 = 10%)
  double psi = 0.2;             ///< score PSI above this is drift
  double auc_drop = 0.05;       ///< holdout AUC lower than the previous run's by more than this
  double stale_hours = 24;      ///< data older than this (since the last successful sync) is stale
  int min_risk_flags = 2;       ///< risk flags that make a deal "at risk"
  double min_deal_amount = 0;   ///< deals below this amount raise no risk or competitor alert
  /// tier_a_lead: only contacts created at most this many days before the build's as-of date (the lead model's
  /// outcome window, 90 by default: an older contact's score answers a question already settled) and not yet a
  /// customer; 0 = any age. Needs lead_features; without it every tier-A contact is raised, with a note.
  int lead_max_age_days = 90;
};

/// Everything `revlens alert` (and the nightly job) can be told.
struct AlertOptions {
  std::string schema = "revlens";               ///< model schema: result tables and the `alerts` table
  std::string raw_schema = "hubspot";           ///< raw schema: sync_runs / sync_state
  std::vector<std::string> slack_webhook_urls;  ///< Slack incoming-webhook URLs (secrets; never printed)
  std::vector<OutboundWebhook> webhooks;        ///< outbound webhook triggers
  AlertThresholds thresholds;
  std::vector<std::string> rules;  ///< rule names to evaluate; empty = all
  double dedupe_hours = 168;       ///< deal_at_risk: a deal still at risk is sent again after this many hours
  double stale_repeat_hours = 24;  ///< data_stale: stale data is reported again after this many hours
  int max_items_per_message = 10;  ///< entities listed in one Slack message per rule ("and N more" after)
  bool dry_run = false;            ///< evaluate and build the messages; post nothing, write nothing
  int64_t now_ms = 0;              ///< the clock (freshness, dedupe window, digest date); 0 = wall clock
  /// Delivery: retries after the first attempt for 429, 5xx and connection failures.
  int max_retries = 4;
  std::chrono::milliseconds base_backoff{500};   ///< first retry waits about this (doubles, with jitter)
  std::chrono::milliseconds max_backoff{30000};  ///< cap of one wait, Retry-After included
  std::chrono::milliseconds timeout{10000};      ///< one request, connect included
  /// Minimum spacing between two messages to the same Slack webhook (Slack allows about one per second).
  std::chrono::milliseconds slack_interval{1000};
  /// After this many deliveries in a row failed for good, a destination is taken as down for the run: the rest
  /// of its alerts are recorded as failed without being attempted (they go out on the next run).
  int max_consecutive_failures = 3;
  /// Called with one line per step; may be empty.
  std::function<void(const std::string&)> progress;
};

/// One alert raised by a rule (before delivery).
struct Alert {
  std::string rule;
  std::string entity;
  std::string key;                  ///< rule:entity
  std::string title;                ///< one line, plain text
  std::string text;                 ///< plain text, a few lines (escaped for Slack when rendered)
  std::vector<std::string> fields;  ///< optional label/value lines shown as Slack section fields (the digest)
  std::string severity;             ///< info | warning | critical
  nlohmann::json data;              ///< the figures, for outbound webhooks
};

/// One delivery attempt series to one destination.
struct DeliveryRecord {
  std::string alert_key;
  std::string rule;
  std::string entity;
  std::string channel;      ///< slack | webhook
  std::string destination;  ///< redacted
  std::string status;       ///< sent | failed | dry_run
  int attempts = 0;
  int http_status = 0;
  std::string error;  ///< one line, no secret
};

/// What a run did.
struct AlertSummary {
  std::string run_id;
  bool dry_run = false;
  std::vector<std::string> notes;                   ///< rules skipped and why, destinations down
  std::vector<std::pair<std::string, int>> raised;  ///< per rule: alerts raised (before dedupe)
  int64_t alerts_raised = 0;
  int64_t alerts_new = 0;    ///< raised and not deduplicated for at least one destination
  int64_t deduplicated = 0;  ///< (alert, destination) pairs skipped as already sent in the window
  int64_t slack_messages_sent = 0;
  int64_t slack_messages_failed = 0;
  int64_t webhooks_sent = 0;
  int64_t webhooks_failed = 0;
  std::vector<DeliveryRecord> deliveries;  ///< alert x destination outcomes (not in ToJson beyond counts)
  std::vector<std::string> messages;       ///< dry run: the payloads that would be posted (JSON text)

  /// Human summary: counts per rule, deliveries, notes.
  std::string Text() const;
  /// Machine summary.
  nlohmann::json ToJson() const;
};

/// The columns of the `alerts` table (written by `revlens alert` and `revlens serve`).
const std::vector<warehouse::Column>& AlertColumns();

/// Evaluate the rules on `wh` and deliver. Throws WarehouseError when the warehouse fails; delivery failures are
/// recorded (status `failed` in `alerts`) and counted, never thrown. With no destination configured the rules are
/// still evaluated and noted ("no destination"), as in a dry run.
AlertSummary RunAlerts(warehouse::Warehouse& wh, const AlertOptions& options);

/// Every rule name, in evaluation order.
const std::vector<std::string>& AlertRuleNames();

}  // namespace revlens::deliver
