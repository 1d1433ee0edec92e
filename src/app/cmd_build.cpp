// `revlens build`: run the SQL models (dbt layout) natively: render, order, materialize, test, freshness.
#include <cstdio>
#include <filesystem>

#include "app/commands.hpp"
#include "core/config.hpp"
#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "emulator/landing/landing.hpp"
#include "models/runner.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::app {
namespace {

namespace fs = std::filesystem;

struct BuildArgs {
  std::string project;
  std::string warehouse;
  std::string target_schema = "revlens";
  std::string raw_schema;
  std::string landing;
  std::vector<std::string> select;
  std::string vars;
  std::string now;
  bool json = false;
  bool skip_tests = false;
  bool skip_freshness = false;
};

int RunBuild(const BuildArgs& a) {
  models::BuildOptions o;
  o.project_dir = a.project.empty() ? DefaultModelProject() : a.project;
  o.target_schema = a.target_schema;
  if (!a.raw_schema.empty()) o.raw_schema = a.raw_schema;
  if (!a.landing.empty()) o.landing_format = a.landing;
  if (!a.vars.empty()) o.vars = models::ParseVars(a.vars);
  for (const auto& s : a.select) {
    // Accept `--select a,b` and `--select "a b"` as well as repeated --select.
    std::string item;
    for (char c : s + ",") {
      if (c == ',' || c == ' ') {
        if (!item.empty()) o.select.push_back(item);
        item.clear();
      } else {
        item += c;
      }
    }
  }
  if (!a.now.empty()) {
    const auto ms = ParseTimestampMillis(a.now);
    if (!ms) throw ConfigError("--now: expected an ISO-8601 instant (2026-06-30T12:00:00Z) or epoch milliseconds");
    o.now_ms = *ms;
  }
  o.skip_tests = a.skip_tests;
  o.check_freshness = !a.skip_freshness;

  std::string url = a.warehouse;
  if (url.empty()) url = LoadSettings().warehouse_url.value;
  auto wh = warehouse::OpenWarehouse(url);
  if (o.landing_format) {
    if (auto f = landing::ParseLandingFormat(*o.landing_format)) {
      // Pass every landed property (custom ones included) through to the marts; --vars wins.
      for (const auto& [k, v] : landing::PassThroughVars(*wh, o.raw_schema.value_or("hubspot"), *f)) {
        o.vars.emplace(k, models::JinjaValue::String(v));
      }
    }
  }
  const models::BuildReport r = models::Build(*wh, o);

  if (a.json) {
    std::printf("%s\n", r.ToJson().c_str());
  } else {
    std::printf("revlens build: project %s on %s, schema %s\n", r.project.c_str(), r.warehouse.c_str(),
                r.target_schema.c_str());
    for (const auto& f : r.freshness) {
      if (f.max_loaded_at_ms) {
        std::printf("  freshness %-8s %-40s %.1f h old\n", f.status.c_str(), f.source.c_str(), f.age_hours);
      } else {
        std::printf("  freshness %-8s %-40s %s\n", f.status.c_str(), f.source.c_str(), f.error.c_str());
      }
    }
    size_t built = 0, passed = 0, failed = 0;
    for (const auto& m : r.models) {
      built += m.status == "success";
      std::printf("  model     %-8s %-5s %-40s %.2f s\n", m.status.c_str(), m.materialized.c_str(), m.name.c_str(),
                  m.seconds);
    }
    for (const auto& t : r.tests) {
      passed += t.status == "pass";
      failed += t.status == "fail" || t.status == "error";
      std::printf("  test      %-8s %-60s %lld\n", t.status.c_str(), t.name.c_str(),
                  static_cast<long long>(t.failing_rows));
    }
    std::printf("%zu of %zu models built, %zu tests passed, %zu failed, in %.2f s\n", built, r.models.size(), passed,
                failed, r.total_seconds);
  }
  for (const auto& w : r.WarningLines()) std::fprintf(stderr, "%s\n", w.c_str());
  for (const auto& f : r.FailureLines()) std::fprintf(stderr, "%s\n", f.c_str());
  return r.Ok() ? 0 : 1;
}

}  // namespace

/// `sql/` in the working directory when it holds a project, else the one installed beside the binary.
std::string DefaultModelProject() {
  if (fs::exists("sql/dbt_project.yml")) return "sql";
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path beside = exe.parent_path().parent_path() / "sql";
    if (fs::exists(beside / "dbt_project.yml")) return beside.string();
  }
  return "sql";
}


void AddBuild(CLI::App& app) {
  auto args = std::make_shared<BuildArgs>();
  auto* cmd = app.add_subcommand(
      "build", "Run the SQL models (dbt layout) in the warehouse: views/tables, data tests, source freshness");
  cmd->add_option("--project", args->project,
                  "dbt-layout project directory (default: ./sql, else the sql/ folder beside the binary's folder)");
  cmd->add_option("--warehouse", args->warehouse, "Warehouse URL (default: REVLENS_WAREHOUSE / revlens.toml)");
  cmd->add_option("--target-schema", args->target_schema,
                  "Schema for the models; a model with +schema: x goes to <target>_x")
      ->capture_default_str();
  cmd->add_option("--raw-schema", args->raw_schema,
                  "Sets var raw_schema: where the sources live (project default: hubspot)");
  cmd->add_option("--landing", args->landing, "Sets var landing_format: which raw layout the staging models read")
      ->check(CLI::IsMember({"revlens", "fivetran", "airbyte"}));
  cmd->add_option("--select", args->select,
                  "Models to build (name, name+ with descendants, +name with ancestors); default all");
  cmd->add_option("--vars", args->vars, "Vars as YAML, e.g. 'min_amount: 10' or '{a: 1, b: x}'");
  cmd->add_option("--now", args->now, "The instant freshness is measured against (ISO-8601 or epoch ms; default now)");
  cmd->add_flag("--json", args->json, "Print the build report as JSON");
  cmd->add_flag("--skip-tests", args->skip_tests, "Build the models without running the data tests");
  cmd->add_flag("--skip-freshness", args->skip_freshness, "Do not check source freshness");
  SetAction(cmd, [args] { return RunBuild(*args); });
}

}  // namespace revlens::app
