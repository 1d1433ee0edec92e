#pragma once
/// The push's memory in the warehouse (model schema):
///   push_state      (object_type, object_id, property, value, pushed_at, push_id): the value HubSpot accepted
///                   last, per record and property; what the next push compares against.
///   push_quarantine (object_type, object_id, target, kind, http_status, reason, properties, attempts,
///                   first_failed_at, last_failed_at, push_id): records that could not be written and why.
/// Rows are replaced by key (DELETE by id list, then bulk load), the same SQL on DuckDB and PostgreSQL.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "warehouse/warehouse.hpp"

namespace revlens::deliver {

/// Why a record sits in quarantine.
enum class QuarantineKind {
  kNotFound,   ///< HubSpot has no such live record (deleted, archived, wrong id): skipped until --retry-quarantined
  kInvalid,    ///< HubSpot (or the local check) refused the values: skipped until the values change
  kTransient,  ///< still failing after the retries (5xx, resets, partial failures): retried on the next push
};

/// `not_found`, `invalid`, `transient`.
std::string_view QuarantineKindName(QuarantineKind kind);

/// One quarantine row.
struct QuarantineEntry {
  std::string object_type;
  int64_t object_id = 0;
  std::string target;
  QuarantineKind kind = QuarantineKind::kTransient;
  int http_status = 0;     ///< 0 when refused before sending
  std::string reason;      ///< one line
  std::string properties;  ///< the values that failed, as a JSON object
  int64_t attempts = 1;    ///< pushes that failed on this record in a row
  warehouse::Timestamp first_failed_at;
  warehouse::Timestamp last_failed_at;
  std::string push_id;
};

/// push_state's value for a property written to HubSpot outside a push (PushStateStore::MarkWrittenElsewhere).
inline constexpr std::string_view kWrittenElsewhere = "(written outside revlens push)";

/// One accepted value. An empty value (a cleared property) is stored as no row.
struct PushedValue {
  int64_t object_id = 0;
  std::string property;
  std::string value;
  bool replaces = true;  ///< push_state has a row for this record and property (it is deleted first)
};

/// Last pushed values of one object type: record id -> values in the order of the property list asked for
/// ("" where nothing was pushed).
using StateMap = std::unordered_map<int64_t, std::vector<std::string>>;
/// Quarantined records of one object type by id.
using QuarantineMap = std::unordered_map<int64_t, QuarantineEntry>;

/// Reads and writes push_state and push_quarantine in one schema. Not thread-safe (one warehouse connection).
class PushStateStore {
 public:
  /// `warehouse` must outlive the store. The table names default to the write-back's own; `revlens enrich --push`
  /// keeps its state in tables of the same layout under other names.
  PushStateStore(warehouse::Warehouse& warehouse, std::string schema, std::string state_table = "push_state",
                 std::string quarantine_table = "push_quarantine");

  /// Create the schema and both tables when missing.
  void EnsureTables();
  /// Values last pushed for `object_type`, for `properties` only. Empty when the table does not exist yet
  /// (a dry run never creates it).
  StateMap LoadValues(const std::string& object_type, const std::vector<std::string>& properties);
  /// Quarantined records of `object_type`. Empty when the table does not exist yet.
  QuarantineMap LoadQuarantine(const std::string& object_type);
  /// Record accepted values in one transaction: delete the rows they replace, insert the non-empty ones. (Only
  /// rows known to exist are deleted: a first push of 20,000 records is then a bulk load, not 140 DELETEs.)
  void SaveValues(const std::string& object_type, const std::vector<PushedValue>& values,
                  warehouse::Timestamp pushed_at, const std::string& push_id);
  /// Record that these records' properties (property -> record ids) were written to HubSpot outside a push
  /// (`revlens serve`'s live scores and predictions), in one transaction: their push_state value becomes
  /// kWrittenElsewhere, which equals no value a push sends. The next push then sends its own values again instead
  /// of skipping those equal to what it sent last, and a `clear_missing` target still clears a record that left its
  /// table (a deleted row would have made the push forget the record).
  void MarkWrittenElsewhere(const std::string& object_type,
                            const std::map<std::string, std::vector<int64_t>>& ids_by_property,
                            warehouse::Timestamp written_at, const std::string& writer);
  /// Replace the quarantine rows of these records (by object type and id), in one transaction.
  void SaveQuarantine(const std::vector<QuarantineEntry>& entries);
  /// Drop the quarantine rows of records that were written successfully.
  void ClearQuarantine(const std::string& object_type, const std::vector<int64_t>& ids);

 private:
  void DeleteIds(const std::string& table, const std::string& condition, const std::vector<int64_t>& ids);
  warehouse::Warehouse& wh_;
  std::string schema_;
  std::string state_table_, quarantine_table_;
};

}  // namespace revlens::deliver
