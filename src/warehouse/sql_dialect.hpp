#pragma once
/// SQL snippets that differ between engines, for the SQL-model macros (`revlens_*` calls in model files).
/// The only place outside the engine implementations that looks at Warehouse::Dialect(); every macro here
/// has a dbt twin in sql/macros/revlens_macros.sql that dispatches on target.type the same way.
#include <string>
#include <string_view>
#include <vector>

namespace revlens::warehouse {

class Warehouse;

/// One macro's name, its arguments and what it returns, for docs and error messages.
struct SqlMacroInfo {
  std::string_view name;
  std::string_view signature;
  std::string_view summary;
};

/// The macros models may call, in documentation order.
const std::vector<SqlMacroInfo>& SqlMacros();

/// Return true when `name` is one of SqlMacros().
bool IsSqlMacro(std::string_view name);

/// Expand macro `name` with SQL-expression arguments `args` for `dialect` (Warehouse::Dialect(): "duckdb" or
/// "postgresql"). Throws InvalidInputError for an unknown macro or a wrong argument count.
std::string ExpandSqlMacro(std::string_view dialect, std::string_view name, const std::vector<std::string>& args);

/// ExpandSqlMacro for the engine behind `warehouse`.
std::string ExpandSqlMacro(const Warehouse& warehouse, std::string_view name, const std::vector<std::string>& args);

}  // namespace revlens::warehouse
