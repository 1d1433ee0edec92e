#pragma once
/// `revlens enrich --push`: write the providers' values into HubSpot's own properties (industry,
/// numberofemployees, annualrevenue, country, city, ... whatever the field mappings fill) through the write-back's
/// batch update, and never over a value a person entered.
///
/// What is sent, per record and property (the latest provider value, as the models pick it):
///   1. the warehouse copy (the last sync) is empty, or holds exactly what revlens wrote last;
///   2. the value differs from what revlens wrote last (a rerun sends nothing);
///   3. it is a value HubSpot takes: a number for a number property, one of the options (value or label) of an
///      enumeration; anything else is reported and not sent;
///   4. right before writing, HubSpot is re-read (batch read, the candidate properties only): a field someone
///      filled since the sync, i.e. neither empty nor revlens's last value, is dropped ("filled in HubSpot since
///      sync"). HubSpot has no conditional update, so a value typed between that read and the write (a second or
///      so) is the one window left.
///
/// Tables (raw schema, deliver::PushStateStore's layout):
///   enrichment_push_state       the value HubSpot accepted from revlens last, per record and property;
///   enrichment_push_quarantine  records HubSpot refused (invalid, not found) or that kept failing (transient).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "warehouse/warehouse.hpp"

namespace revlens::hubspot {
class Client;
}

namespace revlens::enrich {

/// The push-state tables in the raw schema.
inline constexpr const char* kPushStateTable = "enrichment_push_state";
inline constexpr const char* kPushQuarantineTable = "enrichment_push_quarantine";

/// How to push.
struct EnrichPushOptions {
  std::string schema = "hubspot";  ///< raw schema: HubSpot's tables and enrichment_results in, push state out
  /// List and check what would be written; no batch update and no warehouse write. With a client HubSpot is
  /// still read (property definitions, the candidates' current values), so the list is what a push would send.
  bool dry_run = false;
  bool retry_quarantined = false;  ///< also retry records quarantined as invalid or not found
  /// Rounds after the first for inputs that failed transiently (207 partial failures, 5xx after the client's
  /// retries); what still fails is quarantined and sent again on the next push.
  int retry_rounds = 3;
  std::chrono::milliseconds round_backoff{1000};  ///< wait before retry round n: n x this
  size_t batch_size = 100;                        ///< inputs per batch update (HubSpot's maximum is 100)
  size_t sample_size = 5;                         ///< values shown per object type
  std::string push_id;                            ///< empty: `enrich-push-<UTC time>`
  std::function<void(const std::string&)> progress;
};

/// One value written (or that would be).
struct PushedField {
  int64_t id = 0;
  std::string property;
  std::string old_value;  ///< what HubSpot held: empty, or revlens's last value
  std::string new_value;
};

/// One object type's figures. Counts are of values (record x property) unless they say records.
struct EnrichPushObject {
  std::string object_type;
  int64_t values = 0;               ///< the latest provider value per live record and property
  int64_t kept_hubspot = 0;         ///< HubSpot had a value at the sync that revlens did not write: left alone
  int64_t unchanged = 0;            ///< HubSpot already holds the value (revlens wrote it, or it is the same)
  int64_t invalid = 0;              ///< not a value the property takes: reported, not sent
  int64_t skipped_property = 0;     ///< the property does not exist in HubSpot or is read-only
  int64_t skipped_quarantined = 0;  ///< records quarantined before with the same values (their values)
  int64_t skipped_filled = 0;       ///< filled in HubSpot since the sync (found by the re-read)
  int64_t skipped_not_found = 0;    ///< the record is no longer in HubSpot (deleted or merged since the sync)
  int64_t to_send = 0;              ///< values to write (a dry run: that would be written)
  int64_t records = 0;              ///< records to write
  int64_t written = 0;              ///< values HubSpot accepted
  int64_t written_records = 0;
  int64_t quarantined_invalid = 0, quarantined_not_found = 0, quarantined_transient = 0;  ///< records
  int64_t read_requests = 0;    ///< property-definition and batch-read calls
  int64_t update_requests = 0;  ///< batch update calls (split batches included, the client's retries not)
  int64_t retried_inputs = 0;   ///< inputs sent again in a retry round
  std::map<std::string, int64_t> by_property;  ///< values written (would be) per property
  std::vector<PushedField> sample;
};

/// What a push did.
struct EnrichPushSummary {
  std::string push_id;
  bool dry_run = false;
  bool reread = false;  ///< HubSpot was read (false: a dry run without a client judged the warehouse copy alone)
  std::vector<EnrichPushObject> objects;
  std::vector<std::string> warnings;  ///< one line each: invalid values, missing or read-only properties
  double seconds = 0;

  /// Values HubSpot accepted (a dry run: would be sent), over every object type.
  int64_t Written() const;
  /// The summary as a JSON object (inside `revlens enrich --json`).
  std::string ToJson() const;
  /// Lines for the terminal.
  std::vector<std::string> TextLines() const;
};

/// Push the latest provider values of every object type in `enrichment_results`. `client` may be null only for a
/// dry run. Throws ConfigError (no synced data, no client), HubSpotApiError (token refused, daily limit used up:
/// what HubSpot accepted before is recorded first), WarehouseError.
EnrichPushSummary RunEnrichPush(warehouse::Warehouse& wh, hubspot::Client* client, const EnrichPushOptions& options);

/// A HubSpot property definition, as far as writing a value needs it.
struct PropertyDefinition {
  std::string name, type, field_type;
  std::vector<std::pair<std::string, std::string>> options;  ///< enumeration: (value, label)
  bool read_only = false;                                    ///< calculated or readOnlyValue
};

/// A provider value as HubSpot takes it, or why not.
struct FormattedValue {
  bool ok = false;
  std::string value;   ///< ok: the text to send
  std::string reason;  ///< not ok: one line
};

/// Format `raw` for `def`: numbers as plain decimals (`1200`, `1250000.5`; no exponent, no separators);
/// enumerations as one of the option values, matched on the value, the label or the value's spelling with
/// spaces and case ignored (`Computer Software` -> `COMPUTER_SOFTWARE`), each item of a checkbox; booleans as
/// `true`/`false`; other types trimmed.
FormattedValue FormatForHubSpot(const PropertyDefinition& def, const std::string& raw);

/// The same value as HubSpot or a warehouse shows it: numbers compared as numbers (`120` = `120.0`), text exactly
/// after trimming.
bool SameHubSpotValue(const std::string& a, const std::string& b);

}  // namespace revlens::enrich
