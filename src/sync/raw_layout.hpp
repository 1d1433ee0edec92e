#pragma once
/// The raw layout `revlens sync` and `revlens import` write (schema `hubspot` by default): the contract
/// between loading and the SQL models. Object tables have fixed columns first, then one column per HubSpot
/// property; every other table is fixed and described here.
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "warehouse/value.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::sync {

/// The default raw schema.
inline constexpr std::string_view kRawSchema = "hubspot";

/// The CRM object types synced, by their API names; each is also its raw table's name.
inline constexpr std::array<std::string_view, 8> kObjectTypes = {"contacts", "companies", "deals", "calls",
                                                                  "emails",   "meetings",  "notes", "tasks"};
/// Engagement (activity) types among kObjectTypes.
inline constexpr std::array<std::string_view, 5> kEngagementTypes = {"calls", "emails", "meetings", "notes", "tasks"};

/// Fixed leading columns of every object table, in order:
///   id BIGINT (HubSpot record id), created_at TIMESTAMP, updated_at TIMESTAMP,
///   is_deleted BOOLEAN (archived in HubSpot, including merged-away contacts), archived_at TIMESTAMP,
///   merged_into_id BIGINT (the surviving record when this one was merged away, else NULL),
///   synced_at TIMESTAMP (when revlens last wrote the row).
/// Then one column per property, named as the property; a property whose name is one of these fixed names
/// gets the column `property_<name>`. Types from the property's metadata: number -> DOUBLE,
/// datetime -> TIMESTAMP, date -> DATE, bool -> BOOLEAN, everything else (string, enumeration, phone_number,
/// multi-select as `;`-joined text) -> TEXT.
std::vector<warehouse::Column> ObjectFixedColumns();

/// The column name for property `name` in an object table (adds `property_` on a clash with a fixed column).
std::string PropertyColumn(std::string_view name);

/// The column type for a HubSpot property `type` (`number`, `datetime`, `date`, `bool`, `string`,
/// `enumeration`, `phone_number`, ...).
warehouse::ColumnType PropertyColumnType(std::string_view hubspot_type);

/// `associations`: one row per association read, from the side it was read:
///   from_type TEXT, from_id BIGINT, to_type TEXT, to_id BIGINT, type_id BIGINT, category TEXT
///   (HUBSPOT_DEFINED | USER_DEFINED | INTEGRATOR_DEFINED), label TEXT (NULL when unlabeled), synced_at.
/// Pairs read: contacts->companies, deals->companies, deals->contacts, and each engagement type ->
/// contacts, companies, deals. A record with several type ids to the same target has one row per type id.
std::vector<warehouse::Column> AssociationColumns();

/// `property_history`: one row per historical value of a tracked property:
///   object_type TEXT, object_id BIGINT, property TEXT, value TEXT, changed_at TIMESTAMP,
///   source_type TEXT, source_id TEXT, source_label TEXT, updated_by_user_id BIGINT, synced_at TIMESTAMP.
/// Tracked: deals (dealstage, amount, closedate, hubspot_owner_id, hs_manual_forecast_category, pipeline),
/// contacts (lifecyclestage, hs_lead_status, hubspot_owner_id). A record's history is replaced whole
/// whenever the record is re-read, so reruns never duplicate it.
std::vector<warehouse::Column> PropertyHistoryColumns();
/// The tracked history properties of `object_type` (empty for types without tracked history).
const std::vector<std::string>& HistoryProperties(std::string_view object_type);

/// `owners`: id BIGINT, user_id BIGINT, email TEXT, first_name TEXT, last_name TEXT, created_at TIMESTAMP,
/// updated_at TIMESTAMP, is_deleted BOOLEAN (archived owner), synced_at TIMESTAMP.
std::vector<warehouse::Column> OwnerColumns();
/// `owner_teams`: owner_id BIGINT, team_id TEXT, team_name TEXT, is_primary BOOLEAN.
std::vector<warehouse::Column> OwnerTeamColumns();

/// `pipelines`: object_type TEXT, pipeline_id TEXT, label TEXT, display_order BIGINT, is_deleted BOOLEAN,
/// created_at TIMESTAMP, updated_at TIMESTAMP.
std::vector<warehouse::Column> PipelineColumns();
/// `pipeline_stages`: object_type TEXT, pipeline_id TEXT, stage_id TEXT, label TEXT, display_order BIGINT,
/// probability DOUBLE (metadata.probability; NULL when absent), is_closed BOOLEAN (metadata.isClosed),
/// is_deleted BOOLEAN. Won = closed with probability 1; lost = closed with probability 0.
std::vector<warehouse::Column> PipelineStageColumns();

/// `properties` (property metadata): object_type TEXT, name TEXT, label TEXT, type TEXT, field_type TEXT,
/// group_name TEXT, description TEXT, options JSON (`[{"label","value"}]`), hubspot_defined BOOLEAN,
/// calculated BOOLEAN, is_deleted BOOLEAN, column_name TEXT (its column in the object table).
std::vector<warehouse::Column> PropertyColumns();

/// `enrichment_results` (written by `revlens enrich`, created empty here so the models can read it before enrich
/// ever ran): one row per value a provider returned: request_id TEXT, provider TEXT, object_type TEXT,
/// record_id BIGINT, property TEXT (the HubSpot property it fills), value TEXT, received_at TIMESTAMP.
std::vector<warehouse::Column> EnrichmentResultColumns();

/// `product_usage`: daily product events, one row per user-day, from the portal's file or any file a user
/// points at: event_date DATE, user_id TEXT, email TEXT, account_domain TEXT, hubspot_contact_id BIGINT
/// (NULL when unknown), logins BIGINT, key_feature_uses BIGINT, seats BIGINT, source_file TEXT.
std::vector<warehouse::Column> ProductUsageColumns();

/// `quarantine`: records that failed validation, kept whole: resource TEXT, record_id TEXT, reason TEXT,
/// payload TEXT (the record as received), quarantined_at TIMESTAMP, run_id TEXT.
std::vector<warehouse::Column> QuarantineColumns();

/// `sync_state`: one row per resource: resource TEXT, phase TEXT, cursor TEXT, high_watermark TEXT,
/// updated_at TIMESTAMP. Written in the same transaction as the rows it accounts for.
std::vector<warehouse::Column> SyncStateColumns();

/// `sync_runs`: run_id TEXT, started_at TIMESTAMP, finished_at TIMESTAMP, status TEXT, summary JSON.
std::vector<warehouse::Column> SyncRunColumns();

/// Create `schema` and every fixed table (object tables with their fixed columns only) if missing.
/// Idempotent.
void EnsureRawTables(warehouse::Warehouse& warehouse, const std::string& schema);

}  // namespace revlens::sync
