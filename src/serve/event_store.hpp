#pragma once
/// The durable event store of `revlens serve`: every verified webhook event is committed here before the receiver
/// answers 200, deduplicated by eventId (primary key + ON CONFLICT DO NOTHING), and the worker marks each one
/// processed in the same store. It is its own database (a DuckDB file beside the warehouse by default, or a schema
/// in PostgreSQL), so receiving never waits for the warehouse. Side tables hold what the worker must remember
/// across restarts: alerts sent (dedupe) and deals flagged for the next forecast run, each with a `mirrored` flag
/// for the copy into the warehouse.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "warehouse/warehouse.hpp"

namespace revlens::serve {

/// One webhook event as HubSpot sends it (the fields the worker reads) plus the raw JSON.
struct WebhookEvent {
  int64_t event_id = 0;
  std::string subscription_type;  ///< `contact.creation`, `deal.propertyChange`, `object.creation`, ...
  std::string object_type_id;     ///< generic `object.*` events: `0-46` (notes), ...
  int64_t object_id = 0;
  std::string property_name, property_value;
  int64_t occurred_at_ms = 0;
  std::string payload;  ///< the event's JSON as received
};

/// Parse a webhook body (a JSON array of events). Throws InvalidInputError with a one-line reason when it is not
/// an array of objects each with an integer eventId and objectId.
std::vector<WebhookEvent> ParseWebhookBody(std::string_view body);

/// An event read back for processing.
struct StoredEvent {
  WebhookEvent event;
  int64_t received_at_ms = 0;
  int64_t attempts = 0;  ///< processing attempts started, this one included
};

/// A deal whose stage changed, flagged for the next forecast run.
struct DealFlag {
  int64_t deal_id = 0;
  std::string dealstage;
  int64_t changed_at_ms = 0;
  int64_t event_id = 0;
};

/// A deal's live prediction (its deal_predictions row, serialized by serve/live_deals.hpp), waiting for its copy
/// into the warehouse.
struct DealPredictionRecord {
  int64_t deal_id = 0;
  int64_t predicted_at_ms = 0;  ///< the instant the prediction is for (the stage change)
  int64_t event_id = 0;
  std::string prediction;  ///< JSON
};

/// Properties `revlens serve` wrote to a HubSpot record outside a push (a live score or deal prediction). Their copy
/// into the warehouse marks them in push_state (PushStateStore::MarkWrittenElsewhere), so the next `revlens push`
/// sends its own values again instead of skipping an unchanged nightly value and leaving the live one in HubSpot.
struct LiveWrite {
  std::string object_type;  ///< `contacts`, `deals`
  int64_t object_id = 0;
  std::vector<std::string> properties;
  int64_t written_at_ms = 0;
};

/// A dated stage of a deal, from the stored dealstage events.
struct StageChange {
  int64_t occurred_at_ms = 0;
  std::string dealstage;
};

/// An alert delivery remembered for dedupe (and copied into the warehouse's `alerts` table).
struct SentAlert {
  std::string alert_key, rule, entity, channel, destination, status, error, payload;
  int attempts = 0, http_status = 0;
  int64_t sent_at_ms = 0;
};

/// Counts for stats and tests.
struct StoreCounts {
  int64_t events = 0, processed = 0, pending = 0, reprocessed = 0;  ///< reprocessed: attempts > 1
};

/// The store. Thread-safe: one connection behind a mutex (every call is short).
class EventStore {
 public:
  /// Open `url` (duckdb://file or postgresql://...) and create `schema` and its tables if needed.
  EventStore(const std::string& url, std::string schema = "revlens_serve");
  ~EventStore();
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  /// Insert `events` in one committed transaction; events whose eventId is already stored are skipped. Returns
  /// how many were new. `received_at_ms` is recorded on the new ones.
  int64_t Insert(const std::vector<WebhookEvent>& events, int64_t received_at_ms);
  /// The oldest unprocessed events (by occurredAt, then eventId), at most `limit`; their attempt counter is
  /// incremented (committed) before they are returned.
  std::vector<StoredEvent> Claim(size_t limit);
  /// Mark events processed with an outcome each (`scored`, `alerted`, `flagged`, `ignored`, `no model`, ...).
  void MarkProcessed(const std::map<int64_t, std::string>& outcomes, int64_t now_ms);
  /// Mark events unprocessed again (an operator's replay after a fix, and the crash tests): the worker processes
  /// them again, which changes nothing where the effects already happened.
  void Requeue(const std::vector<int64_t>& event_ids);
  /// Whether `event_id` is stored, and its outcome (empty while unprocessed).
  std::optional<std::string> Outcome(int64_t event_id);

  /// Alert keys already sent to `destination` (status sent).
  std::set<std::string> SentAlertKeys(const std::string& destination);
  /// Remember deliveries (not yet mirrored into the warehouse).
  void RecordAlerts(const std::vector<SentAlert>& alerts);
  /// Flag a deal (replacing an older flag of the same deal; not yet mirrored).
  void FlagDeal(const DealFlag& flag);
  /// Remember a deal's live prediction, replacing the deal's earlier one unless that one is for a later instant (a
  /// replayed older event does not undo a newer stage); not yet mirrored.
  void RecordDealPrediction(const DealPredictionRecord& prediction);
  /// Remember properties written live (each replacing its earlier entry; not yet mirrored).
  void RecordLiveWrites(const std::vector<LiveWrite>& writes);
  /// The stage changes of `deal_id` received as `deal.propertyChange` events (`dealstage`) that occurred at or
  /// before `upto_ms`, oldest first.
  std::vector<StageChange> DealStageChanges(int64_t deal_id, int64_t upto_ms);
  /// Rows not yet copied into the warehouse.
  std::vector<SentAlert> UnmirroredAlerts();
  std::vector<DealFlag> UnmirroredDealFlags();
  std::vector<DealPredictionRecord> UnmirroredDealPredictions();
  std::vector<LiveWrite> UnmirroredLiveWrites();
  /// Mark every row read by the calls above as copied (a row replaced meanwhile stays unmirrored).
  void MarkMirrored(const std::vector<SentAlert>& alerts, const std::vector<DealFlag>& deals,
                    const std::vector<DealPredictionRecord>& predictions = {},
                    const std::vector<LiveWrite>& live_writes = {});

  StoreCounts Counts();
  /// Every stored event id (tests and the benchmark compare it with what was sent).
  std::vector<int64_t> EventIds();
  const std::string& Schema() const { return schema_; }
  std::string Describe() const;

 private:
  std::string T(const std::string& table) const;
  std::mutex mu_;
  std::unique_ptr<warehouse::Warehouse> db_;
  std::string schema_;
  std::string text_;  ///< the engine's text type
};

/// The default store beside a warehouse: `duckdb://dir/revlens.duckdb` -> `duckdb://dir/revlens-events.duckdb`;
/// a PostgreSQL warehouse keeps its events in the same database (schema revlens_serve).
std::string DefaultStoreUrl(const std::string& warehouse_url);

}  // namespace revlens::serve
