#pragma once
/// What the Fivetran and Airbyte writers share (internal to landing/): tables built in memory and written whole,
/// property values typed as the connectors type them, the tracked property history, live associations.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/landing/landing.hpp"
#include "emulator/store.hpp"
#include "warehouse/value.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::landing::internal {

/// Column types, short, for the writers' table declarations.
inline constexpr warehouse::ColumnType kText = warehouse::ColumnType::kText;
inline constexpr warehouse::ColumnType kBigInt = warehouse::ColumnType::kBigInt;
inline constexpr warehouse::ColumnType kDouble = warehouse::ColumnType::kDouble;
inline constexpr warehouse::ColumnType kBool = warehouse::ColumnType::kBoolean;
inline constexpr warehouse::ColumnType kTs = warehouse::ColumnType::kTimestamp;
inline constexpr warehouse::ColumnType kJson = warehouse::ColumnType::kJson;

/// A TIMESTAMP value from epoch milliseconds.
inline warehouse::Value Ts(int64_t ms) { return warehouse::Value{warehouse::TimestampFromMillis(ms)}; }

/// One table to write: columns and rows in memory.
struct Table {
  std::string name;
  std::vector<warehouse::Column> columns;
  std::vector<std::vector<warehouse::Value>> rows;

  /// Append a column; returns its index.
  size_t Add(std::string column, warehouse::ColumnType type);
  /// A new row of NULLs, appended; returns it.
  std::vector<warehouse::Value>& NewRow();
};

/// Replace `schema.table` with `t` (same columns: delete the rows; other columns: drop and create) and load its rows.
/// Runs inside the caller's transaction. Adds the row count to `summary`.
void WriteTable(warehouse::Warehouse& wh, const std::string& schema, const Table& t, LandSummary& summary);

/// The column type both connectors give a HubSpot property of `hubspot_type` (their typing follows the property
/// metadata): number -> DOUBLE, datetime -> TIMESTAMP, date -> DATE, bool -> BOOLEAN, anything else -> TEXT.
warehouse::ColumnType PropertyType(std::string_view hubspot_type);

/// HubSpot's text for a value typed for a column of `type` (numbers, ISO-8601 or epoch-millisecond datetimes, dates,
/// true/false). Empty text is NULL; text that does not parse is nullopt.
std::optional<warehouse::Value> TypedValue(warehouse::ColumnType type, std::string_view text);

/// The live (non-archived) property definitions of `table`, sorted by name (the order HubSpot lists them in).
std::vector<uint16_t> LiveProperties(const emulator::ObjectTable& table);

/// One recorded value of a tracked property.
struct HistoryRow {
  int64_t record_id = 0;
  std::string property;
  std::string value;
  int64_t timestamp_ms = 0;
  std::string source;
};

/// The history of the properties revlens tracks (deals: dealstage, amount, closedate, hubspot_owner_id,
/// hs_manual_forecast_category, pipeline; contacts: lifecyclestage, hs_lead_status, hubspot_owner_id) of the live
/// records of `table`, oldest first per property, as HubSpot's propertiesWithHistory reports it: a property set
/// without recorded history reports its current value at the record's last modification (source CRM_UI).
std::vector<HistoryRow> TrackedHistory(const emulator::ObjectTable& table);

/// An association edge between two live records, as the associations APIs serve it.
struct Link {
  int64_t from_id = 0;
  int64_t to_id = 0;
  int32_t type_id = 0;
  std::string category;  ///< HUBSPOT_DEFINED, USER_DEFINED, INTEGRATOR_DEFINED
};

/// Edges from live `from` records to live `to` records, ordered by from id, then to id, then type id.
std::vector<Link> LiveLinks(const emulator::Portal& portal, emulator::ObjectType from, emulator::ObjectType to);

/// HubSpot's stage probability as its pipelines API reports it (one decimal, "0.2"), read back as a number.
double ReportedProbability(double probability);

/// The live pipelines of the portal, in display order, each with its live stages in display order.
struct PipelineView {
  const emulator::Pipeline* pipeline = nullptr;
  std::vector<const emulator::PipelineStage*> stages;
};
std::vector<PipelineView> LivePipelines(const emulator::Portal& portal);

/// Where each property of an object table goes in a landed table: column index per property index (-1: none).
struct PropertyColumns {
  std::vector<int> column_of;
  std::vector<uint16_t> properties;  ///< the landed properties, in column order
};

/// Append one typed column `<prefix><name>` per live property of `table` (sorted by name) to `t`, leaving out the
/// properties named in `skip`.
PropertyColumns AddPropertyColumns(Table& t, const emulator::ObjectTable& table, std::string_view prefix,
                                   const std::vector<std::string>& skip = {});

/// Fill `row`'s property columns from `r`; a value that does not parse as its column's type stays NULL and counts
/// in `unconvertible`.
void FillProperties(std::vector<warehouse::Value>& row, const emulator::Record& r, const Table& t,
                    const PropertyColumns& pc, int64_t& unconvertible);

/// The name of team `team_id` ("" when unknown).
std::string TeamName(const emulator::Portal& portal, const std::string& team_id);

/// Receives each table as it is built (written and freed before the next is built: a large portal's tables do not
/// all fit in memory at once).
using TableSink = std::function<void(Table)>;

/// Build Fivetran's HubSpot tables for `portal` (fivetran_writer.cpp).
void FivetranTables(const emulator::Portal& portal, warehouse::Timestamp synced_at, int64_t& unconvertible,
                    const TableSink& sink);
/// Build Airbyte's source-hubspot streams for `portal` (airbyte_writer.cpp).
void AirbyteTables(const emulator::Portal& portal, warehouse::Timestamp synced_at, int64_t& unconvertible,
                   const TableSink& sink);

}  // namespace revlens::landing::internal
