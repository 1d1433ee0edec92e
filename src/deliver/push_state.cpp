#include "deliver/push_state.hpp"

#include <algorithm>
#include <map>

namespace revlens::deliver {
namespace {

using warehouse::Column;
using warehouse::ColumnType;
using warehouse::Value;
using warehouse::Warehouse;

const std::vector<Column>& StateColumns() {
  static const std::vector<Column> cols = {{"object_type", ColumnType::kText},    {"object_id", ColumnType::kBigInt},
                                           {"property", ColumnType::kText},       {"value", ColumnType::kText},
                                           {"pushed_at", ColumnType::kTimestamp}, {"push_id", ColumnType::kText}};
  return cols;
}

const std::vector<Column>& QuarantineColumns() {
  static const std::vector<Column> cols = {{"object_type", ColumnType::kText},
                                           {"object_id", ColumnType::kBigInt},
                                           {"target", ColumnType::kText},
                                           {"kind", ColumnType::kText},
                                           {"http_status", ColumnType::kBigInt},
                                           {"reason", ColumnType::kText},
                                           {"properties", ColumnType::kText},
                                           {"attempts", ColumnType::kBigInt},
                                           {"first_failed_at", ColumnType::kTimestamp},
                                           {"last_failed_at", ColumnType::kTimestamp},
                                           {"push_id", ColumnType::kText}};
  return cols;
}

QuarantineKind ParseKind(const std::string& s) {
  if (s == "not_found") return QuarantineKind::kNotFound;
  if (s == "invalid") return QuarantineKind::kInvalid;
  return QuarantineKind::kTransient;
}

// Ids per DELETE statement: keeps statements well under both engines' limits.
constexpr size_t kIdsPerStatement = 5000;

}  // namespace

std::string_view QuarantineKindName(QuarantineKind kind) {
  switch (kind) {
    case QuarantineKind::kNotFound:
      return "not_found";
    case QuarantineKind::kInvalid:
      return "invalid";
    case QuarantineKind::kTransient:
      return "transient";
  }
  return "transient";
}

PushStateStore::PushStateStore(warehouse::Warehouse& warehouse, std::string schema, std::string state_table,
                               std::string quarantine_table)
    : wh_(warehouse),
      schema_(std::move(schema)),
      state_table_(std::move(state_table)),
      quarantine_table_(std::move(quarantine_table)) {}

void PushStateStore::EnsureTables() {
  wh_.CreateSchema(schema_);
  wh_.CreateTable(schema_, state_table_, StateColumns());
  wh_.CreateTable(schema_, quarantine_table_, QuarantineColumns());
}

StateMap PushStateStore::LoadValues(const std::string& object_type, const std::vector<std::string>& properties) {
  StateMap out;
  if (properties.empty() || !wh_.TableExists(schema_, state_table_)) return out;
  std::map<std::string, size_t> index;
  std::string in;
  for (size_t i = 0; i < properties.size(); ++i) {
    index.emplace(properties[i], i);
    in += (i ? "," : "") + Warehouse::QuoteLiteral(properties[i]);
  }
  const auto rs =
      wh_.Query("SELECT object_id, property, value FROM " + Warehouse::QualifiedName(schema_, state_table_) +
                " WHERE object_type = " + Warehouse::QuoteLiteral(object_type) + " AND property IN (" + in + ")");
  out.reserve(rs.rows.size() / std::max<size_t>(1, properties.size()) + 1);
  for (const auto& row : rs.rows) {
    if (warehouse::IsNull(row[0]) || warehouse::IsNull(row[1])) continue;
    const auto it = index.find(warehouse::AsString(row[1]));
    if (it == index.end()) continue;
    auto& values = out[warehouse::AsInt64(row[0])];
    if (values.empty()) values.resize(properties.size());
    values[it->second] = warehouse::IsNull(row[2]) ? std::string() : warehouse::AsString(row[2]);
  }
  return out;
}

QuarantineMap PushStateStore::LoadQuarantine(const std::string& object_type) {
  QuarantineMap out;
  if (!wh_.TableExists(schema_, quarantine_table_)) return out;
  const auto rs = wh_.Query(
      "SELECT object_type, object_id, target, kind, http_status, reason, properties, attempts, first_failed_at, "
      "last_failed_at, push_id FROM " +
      Warehouse::QualifiedName(schema_, quarantine_table_) +
      " WHERE object_type = " + Warehouse::QuoteLiteral(object_type));
  auto text = [](const Value& v) { return warehouse::IsNull(v) ? std::string() : warehouse::AsString(v); };
  auto ts = [](const Value& v) {
    const auto* t = std::get_if<warehouse::Timestamp>(&v);
    return t ? *t : warehouse::Timestamp{};
  };
  for (const auto& row : rs.rows) {
    if (warehouse::IsNull(row[1])) continue;
    QuarantineEntry e;
    e.object_type = text(row[0]);
    e.object_id = warehouse::AsInt64(row[1]);
    e.target = text(row[2]);
    e.kind = ParseKind(text(row[3]));
    e.http_status = warehouse::IsNull(row[4]) ? 0 : static_cast<int>(warehouse::AsInt64(row[4]));
    e.reason = text(row[5]);
    e.properties = text(row[6]);
    e.attempts = warehouse::IsNull(row[7]) ? 1 : warehouse::AsInt64(row[7]);
    e.first_failed_at = ts(row[8]);
    e.last_failed_at = ts(row[9]);
    e.push_id = text(row[10]);
    out[e.object_id] = std::move(e);
  }
  return out;
}

void PushStateStore::DeleteIds(const std::string& table, const std::string& condition,
                               const std::vector<int64_t>& ids) {
  for (size_t i = 0; i < ids.size(); i += kIdsPerStatement) {
    std::string sql =
        "DELETE FROM " + Warehouse::QualifiedName(schema_, table) + " WHERE " + condition + " AND object_id IN (";
    const size_t end = std::min(ids.size(), i + kIdsPerStatement);
    for (size_t j = i; j < end; ++j) {
      if (j > i) sql += ',';
      sql += std::to_string(ids[j]);
    }
    sql += ')';
    wh_.Execute(sql);
  }
}

void PushStateStore::SaveValues(const std::string& object_type, const std::vector<PushedValue>& values,
                                warehouse::Timestamp pushed_at, const std::string& push_id) {
  if (values.empty()) return;
  // One DELETE per property for the rows being replaced (a record's sent properties differ), then one bulk load
  // of the new non-empty values.
  std::map<std::string, std::vector<int64_t>> by_property;
  std::vector<std::vector<Value>> rows;
  rows.reserve(values.size());
  for (const auto& v : values) {
    if (v.replaces) by_property[v.property].push_back(v.object_id);
    if (!v.value.empty()) rows.push_back({object_type, v.object_id, v.property, v.value, pushed_at, push_id});
  }
  warehouse::Transaction tx(wh_);
  for (const auto& [property, ids] : by_property) {
    DeleteIds(state_table_,
              "object_type = " + Warehouse::QuoteLiteral(object_type) +
                  " AND property = " + Warehouse::QuoteLiteral(property),
              ids);
  }
  if (!rows.empty()) wh_.BulkLoad(schema_, state_table_, StateColumns(), rows);
  tx.Commit();
}

void PushStateStore::MarkWrittenElsewhere(const std::string& object_type,
                                          const std::map<std::string, std::vector<int64_t>>& ids_by_property,
                                          warehouse::Timestamp written_at, const std::string& writer) {
  if (ids_by_property.empty()) return;
  EnsureTables();
  // The marker is a value like any other: SaveValues replaces whatever row each record and property has.
  std::vector<PushedValue> values;
  for (const auto& [property, ids] : ids_by_property)
    for (int64_t id : ids) values.push_back({id, property, std::string(kWrittenElsewhere), true});
  SaveValues(object_type, values, written_at, writer);
}

void PushStateStore::SaveQuarantine(const std::vector<QuarantineEntry>& entries) {
  if (entries.empty()) return;
  std::map<std::string, std::vector<int64_t>> by_type;
  std::vector<std::vector<Value>> rows;
  rows.reserve(entries.size());
  for (const auto& e : entries) {
    by_type[e.object_type].push_back(e.object_id);
    rows.push_back({e.object_type, e.object_id, e.target, std::string(QuarantineKindName(e.kind)),
                    static_cast<int64_t>(e.http_status), e.reason, e.properties, e.attempts, e.first_failed_at,
                    e.last_failed_at, e.push_id});
  }
  warehouse::Transaction tx(wh_);
  for (const auto& [type, ids] : by_type) {
    DeleteIds(quarantine_table_, "object_type = " + Warehouse::QuoteLiteral(type), ids);
  }
  wh_.BulkLoad(schema_, quarantine_table_, QuarantineColumns(), rows);
  tx.Commit();
}

void PushStateStore::ClearQuarantine(const std::string& object_type, const std::vector<int64_t>& ids) {
  if (ids.empty() || !wh_.TableExists(schema_, quarantine_table_)) return;
  warehouse::Transaction tx(wh_);
  DeleteIds(quarantine_table_, "object_type = " + Warehouse::QuoteLiteral(object_type), ids);
  tx.Commit();
}

}  // namespace revlens::deliver
