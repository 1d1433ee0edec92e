#include "insights/table_util.hpp"

#include <algorithm>

#include "core/errors.hpp"

namespace revlens::insights {

using warehouse::Date;
using warehouse::Timestamp;
using warehouse::Value;
using warehouse::Warehouse;

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::optional<int64_t> OptInt(const Value& v) {
  if (warehouse::IsNull(v)) return std::nullopt;
  return warehouse::AsInt64(v);
}

std::optional<double> OptDouble(const Value& v) {
  if (warehouse::IsNull(v)) return std::nullopt;
  return warehouse::AsDouble(v);
}

std::string OptString(const Value& v) {
  if (warehouse::IsNull(v)) return {};
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return warehouse::ToString(v);
}

std::optional<Timestamp> OptTimestamp(const Value& v) {
  constexpr int64_t kMicrosPerDay = int64_t{86400} * 1000000;
  if (const auto* t = std::get_if<Timestamp>(&v)) return *t;
  if (const auto* d = std::get_if<Date>(&v)) return Timestamp{int64_t{d->days} * kMicrosPerDay};
  if (const auto* s = std::get_if<std::string>(&v)) return warehouse::ParseTimestamp(*s);
  return std::nullopt;
}

bool OptBool(const Value& v) {
  return !warehouse::IsNull(v) && warehouse::AsBool(v);
}

Value V(const std::optional<double>& v) {
  return v ? Value(*v) : Value();
}
Value V(const std::optional<int64_t>& v) {
  return v ? Value(*v) : Value();
}
Value V(const std::optional<Timestamp>& v) {
  return v ? Value(*v) : Value();
}

std::optional<double> Median(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double hi = v[mid];
  if (v.size() % 2) return hi;
  const double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lo + hi) / 2;
}

std::string Ident(const std::string& schema, const std::string& table) {
  return Warehouse::QualifiedName(schema, table);
}

void RequireTable(Warehouse& wh, const std::string& schema, const std::string& table) {
  if (!wh.TableExists(schema, table))
    throw ConfigError(schema + "." + table + " does not exist: run `revlens build` first (and check --schema)");
}

void ResetTable(Warehouse& wh, const std::string& schema, const std::string& table,
                const std::vector<warehouse::Column>& columns) {
  const std::string name = Ident(schema, table);
  if (wh.TableExists(schema, table)) {
    if (wh.Columns(schema, table) == columns) {
      wh.Execute("DELETE FROM " + name);
      return;
    }
    wh.Execute("DROP TABLE " + name);
  }
  wh.CreateTable(schema, table, columns);
}

void ReplaceTables(Warehouse& wh, const std::string& schema, const std::vector<TableRows>& tables) {
  wh.CreateSchema(schema);
  warehouse::Transaction tx(wh);
  for (const auto& t : tables) {
    ResetTable(wh, schema, t.table, t.columns);
    if (!t.rows.empty()) wh.BulkLoad(schema, t.table, t.columns, t.rows);
  }
  tx.Commit();
}

}  // namespace revlens::insights
