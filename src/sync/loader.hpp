#pragma once
/// Loading into the raw layout, shared by `revlens sync` (API) and `revlens import` (CSV exports): object
/// tables that follow HubSpot's property metadata (schema evolution), value conversion by property type, and
/// replace-by-key upserts that run inside the caller's transaction.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "warehouse/value.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::sync {

/// One HubSpot property definition (GET /crm/v3/properties/{type}), as much as the raw layout keeps.
struct PropertyMeta {
  std::string name;
  std::string label;
  std::string type;        ///< number, datetime, date, bool, string, enumeration, phone_number, ...
  std::string field_type;  ///< text, select, checkbox, booleancheckbox, number, date, ...
  std::string group_name;
  std::string description;
  std::string options_json = "[]";  ///< `[{"label":..,"value":..}]`
  bool hubspot_defined = false;
  bool calculated = false;
  bool archived = false;
};

/// The columns of one object table after EvolveObjectTable: fixed columns then property columns.
struct ObjectTableShape {
  std::vector<warehouse::Column> columns;     ///< in table order
  std::vector<std::string> property_names;    ///< property_names[i] is loaded into columns[kFixed + i]
};

/// Make `schema.object_type` hold a column for every property in `properties` (creating the table with the
/// fixed columns when missing). New properties become new columns (ALTER TABLE ADD COLUMN, no reload). A
/// property whose column exists with another type is widened (BIGINT -> DOUBLE) or turned into TEXT; each
/// such change appends a one-line warning to `warnings`. Columns of properties no longer defined stay.
/// Returns the table's shape, in which every property of `properties` has a column.
ObjectTableShape EvolveObjectTable(warehouse::Warehouse& wh, const std::string& schema, const std::string& object_type,
                                   const std::vector<PropertyMeta>& properties, std::vector<std::string>& warnings);

/// Convert HubSpot's text for a property value into a Value for a column of type `type`: numbers (`12`,
/// `1.5e3`), datetimes (ISO-8601 or epoch milliseconds), dates (`YYYY-MM-DD` or epoch milliseconds at
/// midnight UTC), booleans (`true`/`false`, any case). Empty text is NULL. Returns std::nullopt when the text
/// does not parse as the type (the caller quarantines the record).
std::optional<warehouse::Value> ConvertValue(warehouse::ColumnType type, std::string_view text);

/// Replace rows by key: delete the rows of `schema.table` whose `key_columns` match any row of `rows`, then
/// bulk-load `rows`. `key_columns` are indices into `columns` (e.g. {0} for `id`). Runs inside the caller's
/// transaction, so callers commit data and sync state together.
void ReplaceByKey(warehouse::Warehouse& wh, const std::string& schema, const std::string& table,
                  const std::vector<warehouse::Column>& columns, const std::vector<size_t>& key_columns,
                  const std::vector<std::vector<warehouse::Value>>& rows);

/// Delete the rows of `schema.table` whose `column` (BIGINT) is one of `ids` and, when `also` is not empty, that
/// match the SQL condition `also` too (e.g. `object_type = 'deals'`). Runs in the caller's transaction.
void DeleteWhereIn(warehouse::Warehouse& wh, const std::string& schema, const std::string& table,
                   const std::string& column, const std::vector<int64_t>& ids, const std::string& also = "");

/// Replace the `properties` metadata rows of `object_type`.
void StorePropertyMetadata(warehouse::Warehouse& wh, const std::string& schema, const std::string& object_type,
                           const std::vector<PropertyMeta>& properties);

}  // namespace revlens::sync
