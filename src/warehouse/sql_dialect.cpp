#include "warehouse/sql_dialect.hpp"

#include <algorithm>

#include "core/errors.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::warehouse {
namespace {

bool IsPostgres(std::string_view dialect) {
  return dialect == "postgresql";
}

std::string Unquote(std::string_view s) {
  if (s.size() >= 2 && s.front() == '\'' && s.back() == '\'') return std::string(s.substr(1, s.size() - 2));
  return std::string(s);
}

}  // namespace

const std::vector<SqlMacroInfo>& SqlMacros() {
  static const std::vector<SqlMacroInfo> macros = {
      {"revlens_days_between", "(start, end)", "whole calendar days from start to end (dates or timestamps), BIGINT"},
      {"revlens_epoch_ms_to_timestamp", "(ms)", "epoch milliseconds to TIMESTAMP (UTC, no zone)"},
      {"revlens_date_trunc", "(part, x)",
       "x truncated to 'day', 'week', 'month', 'quarter' or 'year', as a DATE (part is a quoted literal)"},
      {"revlens_safe_cast_double", "(x)", "x as DOUBLE, NULL when it is not a number (TRY_CAST)"},
      {"revlens_string_agg", "(x, delimiter[, order_by])",
       "aggregate x as text joined by delimiter (a quoted literal), optionally ordered"},
      {"revlens_date_add_days", "(date, n)", "date plus n days, as a DATE"},
      {"revlens_date_spine", "(start, end)",
       "a subquery with one row per day from start to end inclusive, column date_day DATE"},
  };
  return macros;
}

bool IsSqlMacro(std::string_view name) {
  const auto& m = SqlMacros();
  return std::any_of(m.begin(), m.end(), [&](const SqlMacroInfo& i) { return i.name == name; });
}

std::string ExpandSqlMacro(std::string_view dialect, std::string_view name, const std::vector<std::string>& args) {
  auto want = [&](size_t lo, size_t hi) {
    if (args.size() < lo || args.size() > hi) {
      throw InvalidInputError(std::string(name) + " takes " + std::to_string(lo) +
                              (hi != lo ? "-" + std::to_string(hi) : "") + " arguments, got " +
                              std::to_string(args.size()));
    }
  };
  const bool pg = IsPostgres(dialect);
  if (name == "revlens_days_between") {
    want(2, 2);
    // PostgreSQL has no date_diff; date - date is an integer day count there.
    if (pg) return "CAST((CAST(" + args[1] + " AS DATE) - CAST(" + args[0] + " AS DATE)) AS BIGINT)";
    return "date_diff('day', CAST(" + args[0] + " AS DATE), CAST(" + args[1] + " AS DATE))";
  }
  if (name == "revlens_epoch_ms_to_timestamp") {
    want(1, 1);
    // to_timestamp() returns timestamptz on PostgreSQL; revlens stores UTC timestamps without zone.
    if (pg) return "(TIMESTAMP '1970-01-01 00:00:00' + CAST(" + args[0] + " AS BIGINT) * INTERVAL '1 millisecond')";
    return "epoch_ms(CAST(" + args[0] + " AS BIGINT))";
  }
  if (name == "revlens_date_trunc") {
    want(2, 2);
    const std::string part = Unquote(args[0]);
    static const std::vector<std::string> parts = {"day", "week", "month", "quarter", "year"};
    if (std::find(parts.begin(), parts.end(), part) == parts.end()) {
      throw InvalidInputError(
          "revlens_date_trunc: part must be one of 'day', 'week', 'month', 'quarter', 'year', got " + args[0]);
    }
    // date_trunc on a DATE gives a timestamp with time zone on PostgreSQL: cast the input to TIMESTAMP first.
    return "CAST(date_trunc('" + part + "', CAST(" + args[1] + " AS TIMESTAMP)) AS DATE)";
  }
  if (name == "revlens_safe_cast_double") {
    want(1, 1);
    if (pg) {
      return "(CASE WHEN CAST(" + args[0] +
             " AS TEXT) ~ '^\\s*[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?\\s*$' THEN CAST(CAST(" + args[0] +
             " AS TEXT) AS DOUBLE PRECISION) END)";
    }
    return "TRY_CAST(" + args[0] + " AS DOUBLE)";
  }
  if (name == "revlens_string_agg") {
    want(2, 3);
    std::string s = "string_agg(CAST(" + args[0] + " AS " + (pg ? "TEXT" : "VARCHAR") + "), " + args[1];
    if (args.size() == 3) s += " ORDER BY " + args[2];
    return s + ")";
  }
  if (name == "revlens_date_add_days") {
    want(2, 2);
    return "CAST(CAST(" + args[0] + " AS DATE) + CAST(" + args[1] + " AS INTEGER) AS DATE)";
  }
  if (name == "revlens_date_spine") {
    want(2, 2);
    return "(SELECT CAST(spine.d AS DATE) AS date_day FROM generate_series(CAST(" + args[0] + " AS TIMESTAMP), CAST(" +
           args[1] + " AS TIMESTAMP), INTERVAL '1 day') AS spine(d))";
  }
  throw InvalidInputError("unknown macro " + std::string(name));
}

std::string ExpandSqlMacro(const Warehouse& warehouse, std::string_view name, const std::vector<std::string>& args) {
  return ExpandSqlMacro(warehouse.Dialect(), name, args);
}

}  // namespace revlens::warehouse
