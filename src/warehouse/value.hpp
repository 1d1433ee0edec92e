#pragma once
/// Engine-neutral values, column types and result sets exchanged with a Warehouse.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/errors.hpp"

namespace revlens::warehouse {

/// A point in time: microseconds since 1970-01-01 00:00:00 UTC (DuckDB's and PostgreSQL's own resolution).
struct Timestamp {
  int64_t micros = 0;
  friend bool operator==(const Timestamp&, const Timestamp&) = default;
  friend auto operator<=>(const Timestamp&, const Timestamp&) = default;
};

/// A calendar date: days since 1970-01-01.
struct Date {
  int32_t days = 0;
  friend bool operator==(const Date&, const Date&) = default;
  friend auto operator<=>(const Date&, const Date&) = default;
};

/// One cell. `std::monostate` is SQL NULL. JSON travels as its text (a std::string).
using Value = std::variant<std::monostate, bool, int64_t, double, std::string, Timestamp, Date>;

/// Return true when the value is SQL NULL.
inline bool IsNull(const Value& v) {
  return std::holds_alternative<std::monostate>(v);
}

/// Read an integer: int64, bool, or a double with no fractional part (PostgreSQL's numeric sums arrive as
/// doubles, DuckDB's HUGEINT sums as int64). Throws WarehouseError for NULL or another type.
int64_t AsInt64(const Value& v);
/// Read a number: int64 or double. Throws WarehouseError for NULL or another type.
double AsDouble(const Value& v);
/// Read a string (text or JSON). Throws WarehouseError for NULL or another type.
const std::string& AsString(const Value& v);
/// Read a boolean. Throws WarehouseError for NULL or another type.
bool AsBool(const Value& v);

/// Render a value for messages and debugging: NULL, true, 42, 1.5, text as is, `2024-11-20 20:12:09.236000`,
/// `2024-11-20`.
std::string ToString(const Value& v);

/// Format a timestamp as `YYYY-MM-DD HH:MM:SS.ffffff` (UTC, no zone suffix).
std::string FormatTimestamp(Timestamp ts);
/// Format a date as `YYYY-MM-DD`.
std::string FormatDate(Date d);
/// Append FormatTimestamp(ts) to `out` without a temporary (the bulk-load path).
void AppendTimestamp(std::string& out, Timestamp ts);
/// Append FormatDate(d) to `out` without a temporary.
void AppendDate(std::string& out, Date d);
/// Parse `YYYY-MM-DD[ T]HH:MM:SS[.ffffff][Z|±HH[:MM]]` or a bare date; the offset, if any, is applied.
std::optional<Timestamp> ParseTimestamp(std::string_view text);
/// Parse `YYYY-MM-DD`.
std::optional<Date> ParseDate(std::string_view text);
/// Make a Timestamp from epoch milliseconds (HubSpot's unit).
inline Timestamp TimestampFromMillis(int64_t ms) {
  return Timestamp{ms * 1000};
}

/// The column types revlens creates. Engines report others; they are mapped to the nearest of these.
enum class ColumnType { kText, kBigInt, kDouble, kBoolean, kTimestamp, kDate, kJson };

/// Name a ColumnType for messages (`text`, `bigint`, ...).
std::string_view ColumnTypeName(ColumnType t);

/// Return true when `v` may be stored in a column of type `t`: NULL anywhere, int64 also in kDouble, strings in
/// kText and kJson, otherwise the matching alternative.
bool Fits(ColumnType t, const Value& v);

/// A column name and its type.
struct Column {
  std::string name;
  ColumnType type = ColumnType::kText;
  friend bool operator==(const Column&, const Column&) = default;
};

/// A fully materialized query result. Numeric types narrower than 64 bits widen to int64/double; DECIMAL and
/// NUMERIC become double; text-like types (including ones revlens has no type for, on PostgreSQL) become strings.
struct ResultSet {
  std::vector<Column> columns;
  std::vector<std::vector<Value>> rows;

  /// Number of rows.
  size_t RowCount() const { return rows.size(); }
  /// Index of the column named `name`; throws WarehouseError when there is none.
  size_t ColumnIndex(std::string_view name) const;
  /// The cell at (row, column name); throws WarehouseError for an unknown column or row out of range.
  const Value& At(size_t row, std::string_view column) const;
  /// The single value of a one-row result (first column), read as T (int64_t, double, std::string, bool,
  /// Timestamp, Date or Value). Throws WarehouseError when there is no row or the value is NULL (except Value).
  template <typename T>
  T Scalar() const;

 private:
  const Value& ScalarValue() const;
};

template <typename T>
T ResultSet::Scalar() const {
  const Value& v = ScalarValue();
  if constexpr (std::is_same_v<T, Value>) {
    return v;
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return AsInt64(v);
  } else if constexpr (std::is_same_v<T, double>) {
    return AsDouble(v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return AsString(v);
  } else if constexpr (std::is_same_v<T, bool>) {
    return AsBool(v);
  } else {
    static_assert(std::is_same_v<T, Timestamp> || std::is_same_v<T, Date>, "unsupported Scalar type");
    if (const T* p = std::get_if<T>(&v)) return *p;
    throw WarehouseError("expected a " + std::string(std::is_same_v<T, Date> ? "date" : "timestamp") +
                         " but the query returned " + ToString(v));
  }
}

}  // namespace revlens::warehouse
