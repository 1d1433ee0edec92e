#include "sync/raw_layout.hpp"

#include <map>

namespace revlens::sync {

using warehouse::Column;
using warehouse::ColumnType;

namespace {
constexpr ColumnType kText = ColumnType::kText;
constexpr ColumnType kBigInt = ColumnType::kBigInt;
constexpr ColumnType kDouble = ColumnType::kDouble;
constexpr ColumnType kBool = ColumnType::kBoolean;
constexpr ColumnType kTs = ColumnType::kTimestamp;
constexpr ColumnType kDate = ColumnType::kDate;
constexpr ColumnType kJson = ColumnType::kJson;
}  // namespace

std::vector<Column> ObjectFixedColumns() {
  return {{"id", kBigInt},         {"created_at", kTs},     {"updated_at", kTs}, {"is_deleted", kBool},
          {"archived_at", kTs},    {"merged_into_id", kBigInt}, {"synced_at", kTs}};
}

std::string PropertyColumn(std::string_view name) {
  for (const auto& c : ObjectFixedColumns()) {
    if (c.name == name) return "property_" + std::string(name);
  }
  return std::string(name);
}

ColumnType PropertyColumnType(std::string_view hubspot_type) {
  if (hubspot_type == "number") return kDouble;
  if (hubspot_type == "datetime") return kTs;
  if (hubspot_type == "date") return kDate;
  if (hubspot_type == "bool") return kBool;
  return kText;
}

std::vector<Column> AssociationColumns() {
  return {{"from_type", kText}, {"from_id", kBigInt},  {"to_type", kText}, {"to_id", kBigInt},
          {"type_id", kBigInt}, {"category", kText},   {"label", kText},   {"synced_at", kTs}};
}

std::vector<Column> PropertyHistoryColumns() {
  return {{"object_type", kText},  {"object_id", kBigInt},  {"property", kText},
          {"value", kText},        {"changed_at", kTs},     {"source_type", kText},
          {"source_id", kText},    {"source_label", kText}, {"updated_by_user_id", kBigInt},
          {"synced_at", kTs}};
}

const std::vector<std::string>& HistoryProperties(std::string_view object_type) {
  static const std::map<std::string, std::vector<std::string>, std::less<>> kTracked = {
      {"deals",
       {"dealstage", "amount", "closedate", "hubspot_owner_id", "hs_manual_forecast_category", "pipeline"}},
      {"contacts", {"lifecyclestage", "hs_lead_status", "hubspot_owner_id"}},
  };
  static const std::vector<std::string> kNone;
  auto it = kTracked.find(object_type);
  return it == kTracked.end() ? kNone : it->second;
}

std::vector<Column> OwnerColumns() {
  return {{"id", kBigInt},       {"user_id", kBigInt},  {"email", kText},      {"first_name", kText},
          {"last_name", kText},  {"created_at", kTs},   {"updated_at", kTs},   {"is_deleted", kBool},
          {"synced_at", kTs}};
}

std::vector<Column> OwnerTeamColumns() {
  return {{"owner_id", kBigInt}, {"team_id", kText}, {"team_name", kText}, {"is_primary", kBool}};
}

std::vector<Column> PipelineColumns() {
  return {{"object_type", kText},    {"pipeline_id", kText}, {"label", kText},     {"display_order", kBigInt},
          {"is_deleted", kBool},     {"created_at", kTs},    {"updated_at", kTs}};
}

std::vector<Column> PipelineStageColumns() {
  return {{"object_type", kText},   {"pipeline_id", kText},  {"stage_id", kText},  {"label", kText},
          {"display_order", kBigInt}, {"probability", kDouble}, {"is_closed", kBool}, {"is_deleted", kBool}};
}

std::vector<Column> PropertyColumns() {
  return {{"object_type", kText},   {"name", kText},           {"label", kText},      {"type", kText},
          {"field_type", kText},    {"group_name", kText},     {"description", kText}, {"options", kJson},
          {"hubspot_defined", kBool}, {"calculated", kBool},   {"is_deleted", kBool}, {"column_name", kText}};
}

std::vector<Column> ProductUsageColumns() {
  return {{"event_date", kDate},          {"user_id", kText},           {"email", kText},
          {"account_domain", kText},      {"hubspot_contact_id", kBigInt}, {"logins", kBigInt},
          {"key_feature_uses", kBigInt},  {"seats", kBigInt},           {"source_file", kText}};
}

std::vector<Column> EnrichmentResultColumns() {
  return {{"request_id", kText}, {"provider", kText}, {"object_type", kText}, {"record_id", kBigInt},
          {"property", kText},   {"value", kText},    {"received_at", kTs}};
}

std::vector<Column> QuarantineColumns() {
  return {{"resource", kText}, {"record_id", kText},    {"reason", kText},
          {"payload", kText},  {"quarantined_at", kTs}, {"run_id", kText}};
}

std::vector<Column> SyncStateColumns() {
  return {{"resource", kText}, {"phase", kText}, {"cursor", kText}, {"high_watermark", kText}, {"updated_at", kTs}};
}

std::vector<Column> SyncRunColumns() {
  return {{"run_id", kText}, {"started_at", kTs}, {"finished_at", kTs}, {"status", kText}, {"summary", kJson}};
}

void EnsureRawTables(warehouse::Warehouse& wh, const std::string& schema) {
  wh.CreateSchema(schema);
  for (auto type : kObjectTypes) wh.CreateTable(schema, std::string(type), ObjectFixedColumns());
  wh.CreateTable(schema, "associations", AssociationColumns());
  wh.CreateTable(schema, "property_history", PropertyHistoryColumns());
  wh.CreateTable(schema, "owners", OwnerColumns());
  wh.CreateTable(schema, "owner_teams", OwnerTeamColumns());
  wh.CreateTable(schema, "pipelines", PipelineColumns());
  wh.CreateTable(schema, "pipeline_stages", PipelineStageColumns());
  wh.CreateTable(schema, "properties", PropertyColumns());
  wh.CreateTable(schema, "product_usage", ProductUsageColumns());
  wh.CreateTable(schema, "enrichment_results", EnrichmentResultColumns());
  wh.CreateTable(schema, "quarantine", QuarantineColumns());
  wh.CreateTable(schema, "sync_state", SyncStateColumns());
  wh.CreateTable(schema, "sync_runs", SyncRunColumns());
}

}  // namespace revlens::sync
