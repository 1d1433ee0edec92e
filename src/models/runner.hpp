#pragma once
/// `revlens build`: compile a dbt-layout project (render Jinja, resolve ref/source, order the DAG), create its
/// views and tables in the target schema, run its data tests and check source freshness.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "models/jinja.hpp"
#include "models/project.hpp"

namespace revlens::warehouse {
class Warehouse;
}

namespace revlens::models {

/// What to build and how.
struct BuildOptions {
  std::string project_dir = "sql";
  /// Schema for models without `+schema`; a model with `schema: x` goes to `<target_schema>_x` (dbt's default
  /// generate_schema_name, so dbt puts it in the same place).
  std::string target_schema = "revlens";
  std::optional<std::string> raw_schema;      ///< sets var `raw_schema` (sources' schema in the yml)
  std::optional<std::string> landing_format;  ///< sets var `landing_format`: revlens, fivetran or airbyte
  std::map<std::string, JinjaValue> vars;     ///< `--vars`; override dbt_project.yml
  /// Model names; `name+` adds descendants, `+name` ancestors. Empty: everything enabled.
  std::vector<std::string> select;
  std::optional<int64_t> now_ms;  ///< "now" for freshness (epoch ms); default the wall clock
  bool skip_tests = false;
  bool check_freshness = true;
};

/// A model ready to run.
struct CompiledModel {
  std::string name;
  std::string path;
  std::string schema;
  std::string alias;
  std::string relation;      ///< quoted "schema"."alias"
  std::string materialized;  ///< view or table
  std::string sql;           ///< rendered SELECT
  std::vector<std::string> refs;
  std::vector<std::string> sources;  ///< "source.table"
  bool selected = true;
};

/// A data test ready to run: `sql` returns one row, the number of failing rows.
struct CompiledTest {
  std::string name;
  std::string type;
  std::string model;  ///< model name, or "source.table" for a source test
  std::string column;
  std::string sql;
  bool warn_only = false;
  std::vector<std::string> depends_on;  ///< models that must have built for the test to run
  std::string file;
};

/// A source table used by the selected models.
struct CompiledSource {
  SourceTable table;
  std::string schema;
  std::string relation;
};

/// A project compiled for one engine and one set of options.
struct CompiledProject {
  std::string name;
  std::vector<CompiledModel> models;  ///< enabled models in dependency order
  std::vector<CompiledTest> tests;    ///< tests of the selected models and their used sources
  std::vector<CompiledSource> sources;
  std::vector<std::string> disabled;  ///< names of disabled models
  std::vector<std::string> warnings;
  /// Find a model by name (nullptr when it is not enabled).
  const CompiledModel* Find(std::string_view name) const;
};

/// Compile `project` for `dialect` (Warehouse::Dialect()). Throws InvalidInputError naming the file:line or the
/// model for a Jinja error, an unknown ref or source, a ref to a disabled model, a macro missing from macros/,
/// two enabled models with one name, or a cycle (`cycle: a -> b -> a`).
CompiledProject Compile(const Project& project, const BuildOptions& options, std::string_view dialect);

/// One model's outcome.
struct ModelResult {
  std::string name;
  std::string relation;
  std::string materialized;
  std::string status;  ///< success, error, skipped (an upstream model failed)
  std::string error;
  double seconds = 0;
};

/// One data test's outcome.
struct TestResult {
  std::string name;
  std::string type;
  std::string model;
  std::string column;
  std::string status;  ///< pass, fail, warn (failed with severity warn), error (could not run), skipped
  int64_t failing_rows = 0;
  std::string error;
  double seconds = 0;
};

/// One source table's freshness.
struct FreshnessResult {
  std::string source;  ///< source.table
  std::string relation;
  std::string status;  ///< pass, warn, error (stale), runtime_error (could not be checked)
  std::optional<int64_t> max_loaded_at_ms;
  double age_hours = 0;
  std::optional<double> warn_after_hours;
  std::optional<double> error_after_hours;
  std::string error;
  double seconds = 0;
};

/// Everything `revlens build` did.
struct BuildReport {
  std::string project;
  std::string warehouse;  ///< Describe() of the warehouse (password hidden)
  std::string target_schema;
  std::vector<ModelResult> models;
  std::vector<TestResult> tests;
  std::vector<FreshnessResult> freshness;
  std::vector<std::string> warnings;
  double compile_seconds = 0;
  double total_seconds = 0;

  /// True when every model built, no test failed or errored (warn-only tests may fail) and no source is past
  /// its error threshold.
  bool Ok() const;
  /// One line per failure: `error: model deals failed: ...`, `error: test not_null_deals_deal_id on model
  /// deals: 3 failing rows`, `error: source hubspot.deals is stale: ...`.
  std::vector<std::string> FailureLines() const;
  /// One line per warning (warn-only tests, stale-but-tolerated sources, project warnings).
  std::vector<std::string> WarningLines() const;
  /// The report as one JSON object.
  std::string ToJson() const;
};

/// Run a compiled project: freshness, then models in order (each in its own transaction: a failed model
/// leaves its previous version in place and skips its descendants), then tests.
BuildReport RunCompiled(warehouse::Warehouse& warehouse, const CompiledProject& compiled, const BuildOptions& options);

/// Load, compile and run the project at options.project_dir.
BuildReport Build(warehouse::Warehouse& warehouse, const BuildOptions& options);

}  // namespace revlens::models
