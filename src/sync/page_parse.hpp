#pragma once
/// Turning HubSpot's JSON pages into raw-layout rows (internal to sync/; exposed for tests and fuzzing).
/// Untrusted input: every field is checked; a record that does not validate becomes a quarantine row, never a
/// crash or a half-written row; a page that is not the expected JSON throws hubspot::MalformedResponseError
/// (the client retries it).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sync/loader.hpp"
#include "warehouse/value.hpp"

namespace revlens::sync {

/// What one object type's pages are parsed against.
struct TypePlan {
  std::string type;                        ///< API name (contacts, deals, ...)
  std::vector<PropertyMeta> properties;    ///< from the property metadata
  ObjectTableShape shape;                  ///< its table's columns after schema evolution
  std::unordered_map<std::string, size_t> column_of;  ///< property name -> index in shape.columns
  std::vector<std::string> history;        ///< tracked history properties that exist on this type
  std::vector<std::string> assoc_targets;  ///< association pairs read from this type
  std::string modified_property;           ///< lastmodifieddate (contacts) or hs_lastmodifieddate
};

/// Rows destined for one chunk's transaction.
struct RowBatch {
  std::vector<std::vector<warehouse::Value>> objects;     ///< object-table rows (shape.columns)
  std::vector<int64_t> history_ids;                       ///< records whose history is replaced
  std::vector<std::vector<warehouse::Value>> history;     ///< property_history rows
  std::vector<std::vector<warehouse::Value>> associations;
  std::vector<std::vector<warehouse::Value>> quarantine;  ///< quarantine rows
  size_t Size() const { return objects.size() + quarantine.size(); }
};

/// What a page said besides its records.
struct PageInfo {
  std::string next_after;          ///< paging.next.after, empty on the last page
  int64_t total = -1;              ///< search's `total`, -1 when absent
  int64_t records = 0;             ///< records in the page
  int64_t max_modified_ms = 0;     ///< largest updatedAt among them
  std::vector<int64_t> ids;        ///< ids of records accepted into the batch (not skipped, not quarantined)
};

/// Per-record decision before conversion: return false to skip a record that is already stored unchanged.
using KeepRecord = std::function<bool(int64_t id, int64_t updated_ms, bool archived)>;

/// Parse a list, search or batch-read page of `plan.type` into `out`. `synced_at` stamps the rows;
/// `run_id` stamps quarantine rows. With `with_history`, propertiesWithHistory of plan.history become
/// property_history rows for the accepted records.
PageInfo ParseObjectPage(std::string_view body, const TypePlan& plan, bool with_history, const KeepRecord& keep,
                         warehouse::Timestamp synced_at, const std::string& run_id, RowBatch& out);

/// An input to continue in a v4 association batch read: (from id, paging.next.after).
struct AssociationFollowUp {
  int64_t id = 0;
  std::string after;
};

/// Parse a v4 association batch-read page (200 or 207) from `from_type` to `to_type` into association rows;
/// inputs with more pages go to `follow_ups`.
void ParseAssociationPage(std::string_view body, const std::string& from_type, const std::string& to_type,
                          warehouse::Timestamp synced_at, RowBatch& out, std::vector<AssociationFollowUp>& follow_ups);

}  // namespace revlens::sync
