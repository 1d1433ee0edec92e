#pragma once
/// Land a synthetic portal in a warehouse schema the way Fivetran's HubSpot connector or Airbyte's source-hubspot
/// would have landed it, so the fivetran/ and airbyte/ staging models (sql/models/staging/) can be built and
/// checked against revlens's own raw layout. Also: the pass-through vars those staging models take to carry every
/// landed property to the marts under its HubSpot name.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/store.hpp"
#include "warehouse/value.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::landing {

/// A third-party landing format of HubSpot data.
enum class LandingFormat { kFivetran, kAirbyte };

/// Parse `fivetran` or `airbyte` (case-insensitive); nullopt otherwise.
std::optional<LandingFormat> ParseLandingFormat(std::string_view text);
/// `fivetran` or `airbyte`: also the value of the SQL models' var `landing_format`.
std::string_view LandingFormatName(LandingFormat format);

/// What to land and where.
struct LandOptions {
  LandingFormat format = LandingFormat::kFivetran;
  /// Schema to write (created when missing). Tables of the format already there are replaced; other tables stay.
  std::string schema;
  /// The load time stamped on every row (`_fivetran_synced`, `_airbyte_extracted_at`); default: now.
  std::optional<warehouse::Timestamp> synced_at;
};

/// What LandPortal wrote.
struct LandSummary {
  std::string format;
  std::string schema;
  std::map<std::string, int64_t> rows;  ///< rows written per table
  int64_t total_rows = 0;
  int64_t unconvertible_values = 0;  ///< property values that did not parse as their type (landed as NULL)
  double seconds = 0;
  /// The summary as one JSON object.
  std::string ToJson() const;
};

/// Land `portal` in `options.schema` in one transaction, as the format's connector would after a full sync: live
/// and archived records (archived flagged), merged contacts, every property as a typed column, the tracked property
/// history with timestamps and sources, deal stage history, associations (with type ids and categories where the
/// format has them), owners with teams, pipelines with stages. Reads the portal without locking it: the caller must
/// not change it meanwhile. Throws WarehouseError when the warehouse refuses.
LandSummary LandPortal(warehouse::Warehouse& wh, const emulator::Portal& portal, const LandOptions& options);

/// The vars the `format` staging models take to pass every landed property of contacts, companies and deals through
/// under its HubSpot name (`fivetran_contact_columns`, ...; see sql/dbt_project.yml): a select list read from the
/// landed tables' columns, e.g. `"property_email" as "email", "property_firstname" as "firstname"`. Tables that do
/// not exist are left out (the project's defaults apply). Use them as BuildOptions::vars.
std::map<std::string, std::string> PassThroughVars(warehouse::Warehouse& wh, const std::string& schema,
                                                   LandingFormat format);

}  // namespace revlens::landing
