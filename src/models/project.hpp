#pragma once
/// A dbt-layout project on disk: dbt_project.yml, models/**/*.sql, a yml per folder (sources, model
/// properties, data tests) and macros/*.sql (dbt twins of the built-in macros). Loading reads files only;
/// Jinja inside yml values is kept as text and evaluated by Compile once the vars are known.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "models/jinja.hpp"

namespace revlens::models {

/// A config value and where it was set (for messages).
struct ConfigEntry {
  JinjaValue value;  ///< a string may hold Jinja (`"{{ var('x') == 'y' }}"`), rendered at compile time
  std::string where;
};

/// Config keys revlens understands; others are an error at load time.
using ConfigMap = std::map<std::string, ConfigEntry>;

/// One model file.
struct ModelFile {
  std::string name;                  ///< file stem: what ref() names
  std::string path;                  ///< relative to the project root, e.g. models/staging/stg_deals.sql
  std::vector<std::string> folders;  ///< folders below the model path, e.g. {"staging"}
  std::string sql;                   ///< the raw template
  ConfigMap project_config;          ///< from dbt_project.yml `models:` (folder configs merged)
  ConfigMap yml_config;              ///< from the model's `config:` in a properties yml
};

/// A source table's freshness thresholds, in seconds; unset means not checked at that level.
struct Freshness {
  std::optional<int64_t> warn_after_seconds;
  std::optional<int64_t> error_after_seconds;
};

/// One table of a declared source.
struct SourceTable {
  std::string source;      ///< source name (first argument of source())
  std::string name;        ///< table name (second argument)
  std::string identifier;  ///< the table in the warehouse (yml `identifier:`, default name)
  std::string schema;      ///< raw yml `schema:` (may hold Jinja; default the source name)
  std::string loaded_at_field;
  std::optional<Freshness> freshness;  ///< table-level overrides source-level; `freshness: null` disables
  std::string freshness_filter;        ///< optional SQL condition (`filter:`)
  std::string file;
};

/// One declared data test, with its arguments still as yml text.
struct DataTestSpec {
  std::string type;                  ///< unique, not_null, accepted_values, relationships, dbt_utils.equal_rowcount
  std::string model;                 ///< the model it is attached to (empty for a source test)
  std::string source, source_table;  ///< the source table it is attached to (empty for a model test)
  std::string column;                ///< column tests: the column; model tests: `column_name:` if given
  std::vector<JinjaValue> values;    ///< accepted_values
  bool quote = true;                 ///< accepted_values `quote:`
  std::string to;                    ///< relationships `to:` (a Jinja expression, e.g. `ref('companies')`)
  std::string field;                 ///< relationships `field:`
  std::string compare_model;         ///< equal_rowcount `compare_model:` (a Jinja expression)
  std::string where;                 ///< config `where:` (SQL condition on the tested relation)
  bool warn_only = false;            ///< config `severity: warn`
  std::string custom_name;           ///< `name:` when given
  std::string file;                  ///< the yml that declares it
};

/// Everything read from a project directory.
struct Project {
  std::string root;
  std::string name;
  std::map<std::string, JinjaValue> vars;  ///< dbt_project.yml `vars:` (global and under the project name)
  std::vector<ModelFile> models;
  std::vector<SourceTable> sources;
  std::vector<DataTestSpec> tests;
  std::set<std::string> macros;       ///< names of `{% macro name(...) %}` found under the macro paths
  std::vector<std::string> warnings;  ///< e.g. a yml entry for a model that has no file
};

/// Load the project at `dir`. Throws ConfigError naming the file for a missing dbt_project.yml, unparsable
/// yml, an unknown config key or test type, or a malformed test.
Project LoadProject(const std::string& dir);

/// Convert a yml/CLI scalar the way YAML resolves it: quoted -> string; true/false -> bool; numbers ->
/// number; `null`/`~` -> none. Lists and maps become lists / are rejected. Used for `--vars`.
std::map<std::string, JinjaValue> ParseVars(const std::string& yaml_mapping);

}  // namespace revlens::models
