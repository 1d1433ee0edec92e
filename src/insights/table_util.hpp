#pragma once
/// Small helpers the insight products share for reading warehouse rows and (re)writing their result tables.
/// Internal to revlens_insights (not part of its public headers).
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "warehouse/warehouse.hpp"

namespace revlens::insights {

inline constexpr int64_t kDayMs = 86400000;
inline constexpr int64_t kHourMs = 3600000;
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Seconds elapsed since `t0` (steady clock), for the per-step timings each product reports.
double Since(std::chrono::steady_clock::time_point t0);

/// The value as an integer, or nothing when NULL.
std::optional<int64_t> OptInt(const warehouse::Value& v);
/// The value as a double, or nothing when NULL.
std::optional<double> OptDouble(const warehouse::Value& v);
/// The value as text ("" when NULL).
std::string OptString(const warehouse::Value& v);
/// The value as a timestamp (dates at midnight UTC, text parsed), or nothing when NULL or unparseable.
std::optional<warehouse::Timestamp> OptTimestamp(const warehouse::Value& v);
/// The value as a boolean (NULL is false).
bool OptBool(const warehouse::Value& v);

/// A warehouse value from an optional (NULL when empty).
warehouse::Value V(const std::optional<double>& v);
warehouse::Value V(const std::optional<int64_t>& v);
warehouse::Value V(const std::optional<warehouse::Timestamp>& v);

/// The median (mean of the two middle values for even sizes), or nothing for an empty vector.
std::optional<double> Median(std::vector<double> v);

/// `schema.table`, quoted for the warehouse.
std::string Ident(const std::string& schema, const std::string& table);
/// Throws ConfigError naming `revlens build` when `schema.table` does not exist.
void RequireTable(warehouse::Warehouse& wh, const std::string& schema, const std::string& table);
/// Empty `schema.table` when it has exactly `columns`, else (re)create it (an older layout is dropped); inside
/// the caller's transaction.
void ResetTable(warehouse::Warehouse& wh, const std::string& schema, const std::string& table,
                const std::vector<warehouse::Column>& columns);

/// One result table of a run: its name, layout and rows.
struct TableRows {
  const char* table;
  const std::vector<warehouse::Column>& columns;
  const std::vector<std::vector<warehouse::Value>>& rows;
};
/// Replace each of `tables` in `schema` with its rows (ResetTable, then a bulk load), all in one transaction: a
/// reader sees the previous run's tables or this one's, never a mix.
void ReplaceTables(warehouse::Warehouse& wh, const std::string& schema, const std::vector<TableRows>& tables);

}  // namespace revlens::insights
