#pragma once
/// `revlens push`: write the products' results into HubSpot custom properties in the `revlens` group, sending
/// only what changed since the last push, and remember what HubSpot accepted (push_state) and what it would
/// not take (push_quarantine).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "deliver/plan.hpp"
#include "deliver/properties.hpp"
#include "deliver/targets.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::hubspot {
class Client;
}

namespace revlens::deliver {

/// How to push.
struct PushOptions {
  std::string schema = "revlens";  ///< model schema: result tables in, state tables out
  bool dry_run = false;            ///< plan and report only: no HubSpot call, no warehouse write
  PlanOptions plan;                ///< shadow / force / full refresh / retry quarantined
  int concurrency = 4;             ///< batches in flight at once (the client's pacer keeps them under the limit)
  /// Rounds after the first for inputs that failed transiently (207 partial failures, 5xx or resets that
  /// outlasted the client's retries); what still fails is quarantined and retried on the next push.
  int retry_rounds = 3;
  std::chrono::milliseconds round_backoff{1000};  ///< wait before retry round n: n x this
  size_t batch_size = 100;                        ///< inputs per batch update (HubSpot's maximum is 100)
  size_t sample_size = 5;                         ///< changed records shown per target
  size_t flush_records = 5000;                    ///< accepted records buffered before push_state is written
  std::vector<PushTarget> targets = DefaultTargets();
  PropertyCatalog catalog = DefaultCatalog();
  /// Progress lines (target, text); optional.
  std::function<void(const std::string&, const std::string&)> progress;
};

/// One target's figures.
struct TargetSummary {
  std::string name;
  std::string object_type;
  std::string table;
  bool found = false;     ///< the source table exists
  int64_t rows = 0;       ///< records in the source (latest row each)
  int64_t visible = 0;    ///< routed to the visible properties
  int64_t hidden = 0;     ///< routed to the shadow twins
  int64_t holdout = 0;    ///< in the A/B holdout
  int64_t unusable = 0;   ///< the model said no lift
  int64_t shadow = 0;     ///< the product ran in shadow mode
  int64_t unchanged = 0;  ///< nothing to send
  int64_t changed = 0;    ///< records with values to send (the cleared ones included)
  int64_t cleared = 0;    ///< records gone from the source whose values are cleared (PushTarget::clear_missing)
  int64_t values = 0;     ///< property values to send
  int64_t written = 0;    ///< records HubSpot accepted
  int64_t quarantined_not_found = 0;
  int64_t quarantined_invalid = 0;    ///< refused by HubSpot or by the local check
  int64_t quarantined_transient = 0;  ///< still failing after the retry rounds
  int64_t skipped_quarantined = 0;    ///< not sent: quarantined earlier and nothing changed about that
  int64_t update_requests = 0;        ///< batch update calls (split batches included, client retries not)
  int64_t retried_inputs = 0;         ///< inputs sent again in a retry round
  std::vector<RecordChange> sample;   ///< the first few changes (dry run and report)
};

/// What a push did.
struct PushSummary {
  std::string push_id;
  bool dry_run = false;
  std::string warehouse;
  std::string schema;
  std::vector<TargetSummary> targets;
  std::vector<SetupReport> setup;
  int64_t setup_requests = 0;   ///< property group / property calls
  int64_t update_requests = 0;  ///< batch update calls
  int64_t requests = 0;         ///< every attempt the client sent (retries included)
  int64_t rate_limited = 0;     ///< 429s received
  int64_t retries = 0;          ///< attempts that were retries
  int64_t server_errors = 0;    ///< 5xx received
  double seconds = 0;
  std::vector<std::string> warnings;

  /// True when every changed record was written (nothing quarantined this run).
  bool Complete() const;
  /// The summary as one JSON object (`revlens push --json`).
  std::string ToJson() const;
};

/// Push every target of `options` with rows in `wh`. `client` may be null only for a dry run. Throws
/// ConfigError (no result tables, a bad target, a property in another group, no client), HubSpotApiError
/// (token refused, daily limit used up: what was accepted before is recorded), WarehouseError.
PushSummary RunPush(warehouse::Warehouse& wh, hubspot::Client* client, const PushOptions& options);

}  // namespace revlens::deliver
