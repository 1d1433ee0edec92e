// Run a compiled project against a warehouse and report.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "models/runner.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::models {
namespace {

using warehouse::Warehouse;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string OneLine(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

std::string TrimSql(std::string sql) {
  while (!sql.empty() && (std::isspace(static_cast<unsigned char>(sql.back())) || sql.back() == ';')) sql.pop_back();
  return sql;
}

/// `VIEW`, `BASE TABLE` or "" when nothing by that name exists in the current database.
std::string ExistingKind(Warehouse& wh, const std::string& schema, const std::string& name) {
  auto rs = wh.Query(
      "SELECT table_type FROM information_schema.tables WHERE table_schema = " + Warehouse::QuoteLiteral(schema) +
      " AND table_name = " + Warehouse::QuoteLiteral(name) + " AND table_catalog = current_database()");
  if (rs.RowCount() == 0) return "";
  return warehouse::ToString(rs.rows[0][0]);
}

std::string Hours(double h) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", h);
  return buf;
}

void CheckFreshness(Warehouse& wh, const CompiledSource& src, int64_t now_ms, FreshnessResult& r) {
  const auto& f = *src.table.freshness;
  if (f.warn_after_seconds) r.warn_after_hours = *f.warn_after_seconds / 3600.0;
  if (f.error_after_seconds) r.error_after_hours = *f.error_after_seconds / 3600.0;
  std::string sql = "SELECT MAX(" + src.table.loaded_at_field + ") AS max_loaded_at FROM " + src.relation;
  if (!src.table.freshness_filter.empty()) sql += " WHERE " + src.table.freshness_filter;
  const auto rs = wh.Query(sql);
  const warehouse::Value v = rs.Scalar<warehouse::Value>();
  int64_t ms = 0;
  if (const auto* ts = std::get_if<warehouse::Timestamp>(&v)) {
    ms = FloorDiv(ts->micros, 1000);
  } else if (const auto* d = std::get_if<warehouse::Date>(&v)) {
    ms = int64_t{d->days} * 86400000;
  } else if (warehouse::IsNull(v)) {
    r.status = "runtime_error";
    r.error = "no rows with a " + src.table.loaded_at_field + " value";
    return;
  } else {
    r.status = "runtime_error";
    r.error = src.table.loaded_at_field + " is not a timestamp (got " + warehouse::ToString(v) + ")";
    return;
  }
  r.max_loaded_at_ms = ms;
  r.age_hours = static_cast<double>(now_ms - ms) / 3600000.0;
  const int64_t age_s = (now_ms - ms) / 1000;
  if (f.error_after_seconds && age_s > *f.error_after_seconds)
    r.status = "error";
  else if (f.warn_after_seconds && age_s > *f.warn_after_seconds)
    r.status = "warn";
  else
    r.status = "pass";
}

}  // namespace

bool BuildReport::Ok() const {
  return FailureLines().empty();
}

std::vector<std::string> BuildReport::FailureLines() const {
  std::vector<std::string> out;
  for (const auto& f : freshness) {
    if (f.status == "error") {
      out.push_back("error: source " + f.source + " is stale: last loaded " + Hours(f.age_hours) +
                    " h ago (error after " + Hours(f.error_after_hours.value_or(0)) + " h)");
    } else if (f.status == "runtime_error") {
      out.push_back("error: source " + f.source + " freshness could not be checked: " + OneLine(f.error));
    }
  }
  for (const auto& m : models)
    if (m.status == "error") out.push_back("error: model " + m.name + " failed: " + OneLine(m.error));
  for (const auto& t : tests) {
    if (t.status == "fail") {
      out.push_back("error: test " + t.name + " on model " + t.model + ": " + std::to_string(t.failing_rows) +
                    " failing row" + (t.failing_rows == 1 ? "" : "s"));
    } else if (t.status == "error") {
      out.push_back("error: test " + t.name + " on model " + t.model + " could not run: " + OneLine(t.error));
    }
  }
  return out;
}

std::vector<std::string> BuildReport::WarningLines() const {
  std::vector<std::string> out;
  for (const auto& w : warnings) out.push_back("warning: " + w);
  for (const auto& f : freshness) {
    if (f.status == "warn") {
      out.push_back("warning: source " + f.source + " last loaded " + Hours(f.age_hours) + " h ago (warn after " +
                    Hours(f.warn_after_hours.value_or(0)) + " h)");
    }
  }
  for (const auto& m : models)
    if (m.status == "skipped") out.push_back("warning: model " + m.name + " skipped: " + m.error);
  for (const auto& t : tests) {
    if (t.status == "warn") {
      out.push_back("warning: test " + t.name + " on model " + t.model + ": " + std::to_string(t.failing_rows) +
                    " failing rows (severity warn)");
    }
  }
  return out;
}

std::string BuildReport::ToJson() const {
  nlohmann::json j;
  j["ok"] = Ok();
  j["project"] = project;
  j["warehouse"] = warehouse;
  j["targetSchema"] = target_schema;
  j["compileSeconds"] = compile_seconds;
  j["totalSeconds"] = total_seconds;
  size_t built = 0, model_errors = 0, skipped = 0, passed = 0, failed = 0, warned = 0, errored = 0;
  j["models"] = nlohmann::json::array();
  for (const auto& m : models) {
    built += m.status == "success";
    model_errors += m.status == "error";
    skipped += m.status == "skipped";
    nlohmann::json o = {{"name", m.name},
                        {"relation", m.relation},
                        {"materialized", m.materialized},
                        {"status", m.status},
                        {"seconds", m.seconds}};
    if (!m.error.empty()) o["error"] = m.error;
    j["models"].push_back(o);
  }
  j["tests"] = nlohmann::json::array();
  for (const auto& t : tests) {
    passed += t.status == "pass";
    failed += t.status == "fail";
    warned += t.status == "warn";
    errored += t.status == "error";
    nlohmann::json o = {{"name", t.name},
                        {"type", t.type},
                        {"model", t.model},
                        {"status", t.status},
                        {"failingRows", t.failing_rows},
                        {"seconds", t.seconds}};
    if (!t.column.empty()) o["column"] = t.column;
    if (!t.error.empty()) o["error"] = t.error;
    j["tests"].push_back(o);
  }
  j["freshness"] = nlohmann::json::array();
  for (const auto& f : freshness) {
    nlohmann::json o = {{"source", f.source}, {"relation", f.relation}, {"status", f.status}, {"seconds", f.seconds}};
    if (f.max_loaded_at_ms) {
      o["maxLoadedAt"] = FormatIsoMillis(*f.max_loaded_at_ms);
      o["ageHours"] = f.age_hours;
    }
    if (f.warn_after_hours) o["warnAfterHours"] = *f.warn_after_hours;
    if (f.error_after_hours) o["errorAfterHours"] = *f.error_after_hours;
    if (!f.error.empty()) o["error"] = f.error;
    j["freshness"].push_back(o);
  }
  j["summary"] = {{"modelsBuilt", built},   {"modelsFailed", model_errors}, {"modelsSkipped", skipped},
                  {"testsPassed", passed},  {"testsFailed", failed},        {"testsWarned", warned},
                  {"testsErrored", errored}};
  j["failures"] = FailureLines();
  j["warnings"] = WarningLines();
  return j.dump();
}

BuildReport RunCompiled(Warehouse& wh, const CompiledProject& compiled, const BuildOptions& options) {
  const auto t0 = Clock::now();
  BuildReport report;
  report.project = compiled.name;
  report.warehouse = wh.Describe();
  report.target_schema = options.target_schema;
  report.warnings = compiled.warnings;

  if (options.check_freshness) {
    const int64_t now_ms = options.now_ms ? *options.now_ms : NowMillis();
    for (const auto& src : compiled.sources) {
      const auto& f = src.table.freshness;
      if (!f || src.table.loaded_at_field.empty() || (!f->warn_after_seconds && !f->error_after_seconds)) continue;
      FreshnessResult r;
      r.source = src.table.source + "." + src.table.name;
      r.relation = src.relation;
      const auto f0 = Clock::now();
      try {
        CheckFreshness(wh, src, now_ms, r);
      } catch (const WarehouseError& e) {
        r.status = "runtime_error";
        r.error = e.what();
      }
      r.seconds = Since(f0);
      report.freshness.push_back(std::move(r));
    }
  }

  std::set<std::string> schemas;
  for (const auto& m : compiled.models)
    if (m.selected) schemas.insert(m.schema);
  for (const auto& s : schemas) wh.CreateSchema(s);

  std::set<std::string> broken;  // failed or skipped: their descendants and tests do not run
  for (const auto& m : compiled.models) {
    if (!m.selected) continue;
    ModelResult r;
    r.name = m.name;
    r.relation = m.relation;
    r.materialized = m.materialized;
    for (const auto& ref : m.refs) {
      if (broken.count(ref)) {
        r.status = "skipped";
        r.error = "upstream model " + ref + " did not build";
        break;
      }
    }
    if (r.status.empty()) {
      const auto m0 = Clock::now();
      try {
        // One transaction per model: a failure rolls back the drop, so the previous version stays.
        warehouse::Transaction tx(wh);
        const std::string kind = ExistingKind(wh, m.schema, m.alias);
        // CASCADE: PostgreSQL refuses to drop a relation other views depend on; those views are rebuilt after
        // this one (Compile selects them), as dbt does.
        if (kind == "VIEW")
          wh.Execute("DROP VIEW IF EXISTS " + m.relation + " CASCADE");
        else if (!kind.empty())
          wh.Execute("DROP TABLE IF EXISTS " + m.relation + " CASCADE");
        wh.Execute("CREATE " + std::string(m.materialized == "table" ? "TABLE " : "VIEW ") + m.relation + " AS\n" +
                   TrimSql(m.sql) + "\n");
        tx.Commit();
        r.status = "success";
      } catch (const WarehouseError& e) {
        r.status = "error";
        r.error = e.what();
      }
      r.seconds = Since(m0);
    }
    if (r.status != "success") broken.insert(m.name);
    report.models.push_back(std::move(r));
  }

  if (!options.skip_tests) {
    for (const auto& t : compiled.tests) {
      TestResult r;
      r.name = t.name;
      r.type = t.type;
      r.model = t.model;
      r.column = t.column;
      for (const auto& d : t.depends_on) {
        if (broken.count(d)) {
          r.status = "skipped";
          r.error = "model " + d + " did not build";
        }
      }
      if (r.status.empty()) {
        const auto q0 = Clock::now();
        try {
          r.failing_rows = wh.Query(t.sql).Scalar<int64_t>();
          r.status = r.failing_rows == 0 ? "pass" : (t.warn_only ? "warn" : "fail");
        } catch (const WarehouseError& e) {
          r.status = "error";
          r.error = e.what();
        }
        r.seconds = Since(q0);
      }
      report.tests.push_back(std::move(r));
    }
  }
  report.total_seconds = Since(t0);
  return report;
}

BuildReport Build(Warehouse& wh, const BuildOptions& options) {
  const auto t0 = Clock::now();
  const Project project = LoadProject(options.project_dir);
  const CompiledProject compiled = Compile(project, options, wh.Dialect());
  const double compile_s = Since(t0);
  BuildReport report = RunCompiled(wh, compiled, options);
  report.compile_seconds = compile_s;
  report.total_seconds = Since(t0);
  return report;
}

}  // namespace revlens::models
