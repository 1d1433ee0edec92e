// The nightly job (pipeline/nightly.hpp) and the report (pipeline/report.hpp) on DuckDB and PostgreSQL: a full run
// against the emulator serving the `small` portal (sync through push and report), the runs table, the report's
// CSV files against the tables, the HTML's self-containment, a run without a token, and stopping at the first
// failure (missing tables, an unreachable HubSpot, a missing raw schema).
#include "pipeline/nightly.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "emulator/server.hpp"
#include "hubspot/client.hpp"
#include "pipeline/report.hpp"
#include "portal_fixture.hpp"

namespace revlens::pipeline {
namespace {

namespace fs = std::filesystem;
using warehouse::Warehouse;

enum class Engine { kDuckDb, kPostgres };

std::string EngineName(const ::testing::TestParamInfo<Engine>& info) {
  return info.param == Engine::kDuckDb ? "DuckDb" : "Postgres";
}

/// A warehouse of one engine with uniquely named schemas; drops them (and the DuckDB file) when destroyed.
struct TestWarehouse {
  std::unique_ptr<Warehouse> wh;
  fs::path file;
  std::vector<std::string> schemas;
  std::vector<fs::path> dirs;
  ~TestWarehouse() {
    if (wh) {
      for (const auto& s : schemas) {
        try {
          wh->DropSchema(s);
        } catch (const std::exception&) {
          // Best effort: uniquely named schemas left behind never fail a later run.
        }
      }
    }
    wh.reset();
    if (!file.empty()) {
      fs::remove(file);
      fs::remove(file.string() + ".wal");
    }
    for (const auto& d : dirs) fs::remove_all(d);
  }
  /// A new schema name, dropped at the end.
  std::string Schema(const std::string& prefix) {
    schemas.push_back(prefix + "_" + testing::UniqueSuffix());
    return schemas.back();
  }
  fs::path Dir() {
    dirs.push_back(fs::temp_directory_path() / ("revlens_pipeline_" + testing::UniqueSuffix()));
    return dirs.back();
  }
};

std::unique_ptr<TestWarehouse> Open(Engine engine) {
  auto t = std::make_unique<TestWarehouse>();
  if (engine == Engine::kDuckDb) {
    t->file = fs::temp_directory_path() / ("revlens_pipeline_" + testing::UniqueSuffix() + ".duckdb");
    t->wh = warehouse::OpenWarehouse("duckdb://" + t->file.string());
  } else {
    const char* url = std::getenv("REVLENS_TEST_POSTGRES_URL");
    if (!url || !*url) return nullptr;
    t->wh = warehouse::OpenWarehouse(url);
  }
  return t;
}

/// Options for a run on `raw` / `model` with the repo's models, as of the portal's anchor date.
NightlyOptions Options(const std::string& raw, const std::string& model, const fs::path& report_dir,
                       const std::string& anchor) {
  NightlyOptions o;
  o.raw_schema = raw;
  o.model_schema = model;
  o.build.project_dir = testing::RepoSqlDir().string();
  o.build.vars["as_of_date"] = models::JinjaValue::String(anchor);
  o.build.check_freshness = false;
  o.sync.lookback = std::chrono::milliseconds(0);
  o.forecast.backtest = true;
  o.forecast.draws = 2000;
  o.push.round_backoff = std::chrono::milliseconds(10);
  o.report.out_dir = report_dir.string();
  return o;
}

/// A full run per engine, shared by the tests: the `small` portal served by the emulator, the nightly job from
/// sync to report, and what the emulator received from the push.
struct FullRun {
  std::unique_ptr<TestWarehouse> t;
  std::string raw, model, anchor;
  fs::path report_dir;
  NightlyReport report;
  int64_t pushed_inputs = 0;
};

std::map<Engine, FullRun>& Runs() {
  static std::map<Engine, FullRun> runs;
  return runs;
}

FullRun& Shared(Engine engine) {
  auto& runs = Runs();
  auto it = runs.find(engine);
  if (it != runs.end()) return it->second;
  FullRun f;
  f.t = Open(engine);
  if (f.t) {
    f.raw = f.t->Schema("pl_raw");
    f.model = f.t->Schema("pl");
    f.report_dir = f.t->Dir();
    auto g = emulator::GeneratePortal(testing::TestPortalOptions("small", 5));
    f.anchor = g.truth.at("anchor_date").get<std::string>();
    emulator::ServeOptions so;
    emulator::EmulatorServer server(std::move(g.portal), so);
    server.Start();
    hubspot::ClientOptions co;
    co.base_url = server.BaseUrl();
    co.access_token = so.token;
    co.search_per_second = 0;
    co.initial_per_ten_seconds = 0;
    co.base_backoff = std::chrono::milliseconds(5);
    co.max_backoff = std::chrono::milliseconds(50);
    hubspot::Client client(co);
    NightlyOptions o = Options(f.raw, f.model, f.report_dir, f.anchor);
    o.client = &client;
    f.report = RunNightly(*f.t->wh, o);
    f.pushed_inputs = server.BatchUpdates(emulator::ObjectType::kContacts).inputs +
                      server.BatchUpdates(emulator::ObjectType::kCompanies).inputs;
    server.Stop();
  }
  return runs.emplace(engine, std::move(f)).first->second;
}

class DropShared : public ::testing::Environment {
 public:
  void TearDown() override { Runs().clear(); }
};
// GoogleTest takes ownership of a registered environment (its API takes a raw pointer).
const auto* const kDropShared = ::testing::AddGlobalTestEnvironment(new DropShared);

class NightlyTest : public ::testing::TestWithParam<Engine> {};

int64_t Count(Warehouse& wh, const std::string& schema, const std::string& table, const std::string& where = "") {
  return wh
      .Query("SELECT COUNT(*) FROM " + Warehouse::QualifiedName(schema, table) + (where.empty() ? "" : " WHERE ") +
             where)
      .Scalar<int64_t>();
}

/// Records in an RFC 4180 file (quoted fields may hold commas, quotes and line breaks), header excluded.
int64_t CsvRecords(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string s = ss.str();
  int64_t records = 0;
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"')
      quoted = !quoted;  // an escaped "" toggles twice
    else if (c == '\n' && !quoted)
      ++records;
  }
  return records - 1;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(NightlySteps, ParseSkipKnowsTheSteps) {
  EXPECT_EQ(ParseSkip({"sync,push"}), (std::set<std::string>{"sync", "push"}));
  EXPECT_EQ(ParseSkip({"sync", "report alert"}), (std::set<std::string>{"sync", "report", "alert"}));
  EXPECT_TRUE(ParseSkip({}).empty());
  try {
    ParseSkip({"sync,bogus"});
    FAIL() << "an unknown step was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown step 'bogus'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("forecast"), std::string::npos) << e.what();
  }
  const auto& names = StepNames();
  EXPECT_EQ(names, (std::vector<std::string>{"sync", "enrich", "build", "score", "icp", "forecast", "activity",
                                             "compete", "push", "alert", "report"}));
}

TEST_P(NightlyTest, FullRunRecordsEveryStepInTheRunsTable) {
  FullRun& f = Shared(GetParam());
  if (!f.t) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  const NightlyReport& r = f.report;
  for (const auto& line : r.TextLines()) std::printf("%s\n", line.c_str());
  ASSERT_TRUE(r.Ok()) << r.failure;
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  ASSERT_EQ(r.steps.size(), StepNames().size());
  for (size_t i = 0; i < r.steps.size(); ++i) {
    const auto& s = r.steps[i];
    EXPECT_EQ(s.step, StepNames()[i]);
    if (!StepAvailable(s.step)) {
      EXPECT_EQ(s.status, "unavailable");
      continue;
    }
    EXPECT_TRUE(s.status == "ok" || s.status == "warn") << s.step << ": " << s.status << " " << s.message;
    EXPECT_FALSE(s.message.empty()) << s.step;
    EXPECT_EQ(s.message.find('\n'), std::string::npos) << s.step;
    EXPECT_LE(s.started_ms, s.finished_ms) << s.step;
  }
  EXPECT_TRUE(r.sync && r.build && r.icp && r.forecast && r.compete && r.push && r.report);
  // The push reached the emulator: scores and fit written into HubSpot custom properties.
  EXPECT_GT(f.pushed_inputs, 0);
  int64_t written = 0;
  for (const auto& t : r.push->targets) written += t.written;
  EXPECT_GT(written, 0);

  Warehouse& wh = *f.t->wh;
  const auto rows =
      wh.Query("SELECT step, step_order, status, message, summary, started_at, finished_at, seconds FROM " +
               Warehouse::QualifiedName(f.model, "runs") + " WHERE run_id = " + Warehouse::QuoteLiteral(r.run_id) +
               " ORDER BY step_order");
  ASSERT_EQ(rows.RowCount(), StepNames().size());
  for (size_t i = 0; i < rows.RowCount(); ++i) {
    const auto& row = rows.rows[i];
    EXPECT_EQ(warehouse::AsString(row[0]), r.steps[i].step);
    EXPECT_EQ(warehouse::AsInt64(row[1]), static_cast<int64_t>(i + 1));
    EXPECT_EQ(warehouse::AsString(row[2]), r.steps[i].status);
    EXPECT_EQ(warehouse::AsString(row[3]), r.steps[i].message);
    const auto summary = nlohmann::json::parse(warehouse::AsString(row[4]), nullptr, false);
    EXPECT_TRUE(summary.is_object()) << warehouse::AsString(row[4]);
    EXPECT_LE(std::get<warehouse::Timestamp>(row[5]), std::get<warehouse::Timestamp>(row[6]));
    EXPECT_GE(warehouse::AsDouble(row[7]), 0.0);
  }
  // The summaries carry the figures: the build's tests, the forecast's periods, the competitors.
  EXPECT_GT(r.Step("build")->summary.at("passed").get<int64_t>(), 0);
  EXPECT_FALSE(r.Step("forecast")->summary.at("periods").empty());
  EXPECT_FALSE(r.Step("compete")->summary.at("competitors").empty());
  const auto j = nlohmann::json::parse(r.ToJson());
  EXPECT_EQ(j.at("status"), "ok");
  EXPECT_EQ(j.at("steps").size(), StepNames().size());
}

TEST_P(NightlyTest, ReportCsvsHoldEveryRowOfTheirTables) {
  FullRun& f = Shared(GetParam());
  if (!f.t) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  ASSERT_TRUE(f.report.report) << f.report.failure;
  const ReportSummary& rep = *f.report.report;
  std::set<std::string> exported;
  for (const auto& t : rep.tables) {
    exported.insert(t.table);
    ASSERT_TRUE(fs::exists(t.file)) << t.file;
    // The runs table gains the report step's own row after the report is written.
    const int64_t rows =
        t.table == "runs" ? Count(*f.t->wh, f.model, "runs", "step <> 'report'") : Count(*f.t->wh, f.model, t.table);
    EXPECT_EQ(t.rows, rows) << t.table;
    EXPECT_EQ(CsvRecords(t.file), rows) << t.table;
  }
  for (const char* table : {"icp_segments", "company_icp_fit", "forecast", "forecast_backtest", "deal_predictions",
                            "competitor_stats", "competitor_mentions", "deal_competitors", "runs"})
    EXPECT_TRUE(exported.count(table)) << table << " was not exported";
  if (f.report.score && f.report.score->status != "refused") {
    EXPECT_TRUE(exported.count("lead_scores"));
    EXPECT_TRUE(exported.count("model_runs"));
  }
  // Every known result table present in the schema was exported; the others are listed as missing.
  for (const auto& [table, product] : KnownResultTables()) {
    const bool present = f.t->wh->TableExists(f.model, table);
    EXPECT_EQ(exported.count(table) > 0, present) << table;
    EXPECT_EQ(std::count(rep.missing.begin(), rep.missing.end(), table) > 0, !present) << table;
  }
  // A header row with the table's columns (model_runs without the serialized model).
  const std::string header = ReadFile(fs::path(f.report_dir) / "forecast.csv").substr(0, 200);
  EXPECT_EQ(header.rfind("run_id,as_of,period_type,period,", 0), 0u) << header;
}

TEST_P(NightlyTest, HtmlReportIsSelfContainedWithChartsForEveryProduct) {
  FullRun& f = Shared(GetParam());
  if (!f.t) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  ASSERT_TRUE(f.report.report) << f.report.failure;
  const std::string html = ReadFile(f.report.report->html_path);
  ASSERT_GT(html.size(), 10000u);
  EXPECT_EQ(static_cast<int64_t>(html.size()), f.report.report->html_bytes);
  // Nothing is fetched: no script, stylesheet or image from anywhere, no absolute URL in src/href.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  const std::regex remote(R"((src|href)\s*=\s*["']?\s*(https?:)?//)", std::regex::icase);
  EXPECT_FALSE(std::regex_search(html, remote));
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  for (const char* id : {"id=\"runs\"", "id=\"leads\"", "id=\"icp\"", "id=\"forecast\"", "id=\"competitive\"",
                         "id=\"activity\"", "id=\"files\""})
    EXPECT_NE(html.find(id), std::string::npos) << id;
  size_t charts = 0;
  for (size_t p = html.find("<svg"); p != std::string::npos; p = html.find("<svg", p + 1)) ++charts;
  EXPECT_GE(charts, 7u);
  EXPECT_NE(html.find("Win rate against each competitor"), std::string::npos);
  EXPECT_NE(html.find("Bookings per period"), std::string::npos);
  EXPECT_NE(html.find("Backtest"), std::string::npos);
  // Every product with tables has its section filled in.
  for (const auto& s : f.report.report->sections_without_data) {
    EXPECT_NE(s, "icp");
    EXPECT_NE(s, "forecast");
    EXPECT_NE(s, "competitive");
  }
}

TEST_P(NightlyTest, WithoutATokenSyncAndPushAreSkippedWithANote) {
  FullRun& f = Shared(GetParam());
  if (!f.t) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  ASSERT_TRUE(f.report.Ok()) << f.report.failure;
  NightlyOptions o = Options(f.raw, f.model, f.t->Dir(), f.anchor);
  o.skip = ParseSkip({"score,forecast,activity,compete,alert"});
  const NightlyReport r = RunNightly(*f.t->wh, o);
  ASSERT_TRUE(r.Ok()) << r.failure;
  EXPECT_EQ(r.Step("sync")->status, "skipped");
  EXPECT_NE(r.Step("sync")->message.find("no HubSpot token"), std::string::npos);
  EXPECT_EQ(r.Step("push")->status, "skipped");
  EXPECT_NE(r.Step("push")->message.find("no HubSpot token"), std::string::npos);
  EXPECT_EQ(r.Step("score")->status, "skipped");
  EXPECT_EQ(r.Step("score")->message, "skipped (--skip)");
  EXPECT_TRUE(r.Step("build")->status == "ok" || r.Step("build")->status == "warn");
  EXPECT_EQ(r.Step("icp")->status, "ok");
  EXPECT_EQ(r.Step("report")->status, "ok");
  EXPECT_FALSE(r.sync);
  EXPECT_FALSE(r.push);
  Warehouse& wh = *f.t->wh;
  EXPECT_EQ(Count(wh, f.model, "runs", "run_id = " + Warehouse::QuoteLiteral(r.run_id)),
            static_cast<int64_t>(StepNames().size()));
  EXPECT_EQ(Count(wh, f.model, "runs", "run_id = " + Warehouse::QuoteLiteral(r.run_id) + " AND status = 'skipped'"), 7);
  EXPECT_GE(
      wh.Query("SELECT COUNT(DISTINCT run_id) FROM " + Warehouse::QualifiedName(f.model, "runs")).Scalar<int64_t>(), 2);
}

TEST_P(NightlyTest, StopsAtTheFirstFailureWhenTheModelsAreMissing) {
  if (!Shared(GetParam()).t) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  auto t = Open(GetParam());
  const std::string model = t->Schema("pl_empty");
  NightlyOptions o = Options(t->Schema("pl_noraw"), model, t->Dir(), "2026-06-30");
  o.skip = ParseSkip({"sync,build"});
  std::vector<std::string> progress;
  o.progress = [&](const std::string& line) { progress.push_back(line); };
  const NightlyReport r = RunNightly(*t->wh, o);
  ASSERT_FALSE(r.Ok());
  EXPECT_EQ(r.failure.rfind("step score failed: ", 0), 0u) << r.failure;
  EXPECT_EQ(r.failure.find('\n'), std::string::npos);
  EXPECT_EQ(r.Step("score")->status, "failed");
  for (const char* later : {"icp", "forecast", "activity", "compete", "push", "alert", "report"})
    EXPECT_EQ(r.Step(later)->status, "not_run") << later;
  EXPECT_FALSE(r.icp);
  EXPECT_FALSE(r.report);
  // Every step has its row, the failure among them.
  const auto rows =
      t->wh->Query("SELECT step, status FROM " + Warehouse::QualifiedName(model, "runs") + " ORDER BY step_order");
  ASSERT_EQ(rows.RowCount(), StepNames().size());
  std::map<std::string, std::string> status_of;
  for (const auto& row : rows.rows) status_of[warehouse::AsString(row[0])] = warehouse::AsString(row[1]);
  EXPECT_EQ(status_of["sync"], "skipped");
  EXPECT_EQ(status_of["build"], "skipped");
  EXPECT_EQ(status_of["score"], "failed");
  EXPECT_EQ(status_of["report"], "not_run");
  EXPECT_EQ(warehouse::AsString(rows.rows.back()[0]), "report");
  // Progress says which step failed, once.
  EXPECT_EQ(std::count_if(progress.begin(), progress.end(),
                          [](const std::string& l) { return l.find("score: failed") != std::string::npos; }),
            1);
}

TEST_P(NightlyTest, StopsAtTheFirstFailureWhenHubSpotIsUnreachable) {
  if (!Shared(GetParam()).t) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  auto t = Open(GetParam());
  const std::string model = t->Schema("pl_unreach");
  NightlyOptions o = Options(t->Schema("pl_unreach_raw"), model, t->Dir(), "2026-06-30");
  hubspot::ClientOptions co;
  co.base_url = "http://127.0.0.1:1";  // nothing listens on port 1
  co.access_token = "token";
  co.max_retries = 0;
  co.timeout = std::chrono::milliseconds(2000);
  hubspot::Client client(co);
  o.client = &client;
  const NightlyReport r = RunNightly(*t->wh, o);
  ASSERT_FALSE(r.Ok());
  EXPECT_EQ(r.failure.rfind("step sync failed: ", 0), 0u) << r.failure;
  EXPECT_EQ(r.Step("build")->status, "not_run");
  EXPECT_FALSE(r.build);
  EXPECT_EQ(Count(*t->wh, model, "runs", "status = 'failed'"), 1);
}

TEST_P(NightlyTest, StopsAtTheFirstFailureWhenTheRawSchemaIsMissing) {
  if (!Shared(GetParam()).t) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  auto t = Open(GetParam());
  const std::string model = t->Schema("pl_noraw_model");
  NightlyOptions o = Options("pl_no_such_raw_schema", model, t->Dir(), "2026-06-30");
  o.skip = ParseSkip({"sync"});
  const NightlyReport r = RunNightly(*t->wh, o);
  ASSERT_FALSE(r.Ok());
  EXPECT_EQ(r.failure.rfind("step build failed: ", 0), 0u) << r.failure;
  EXPECT_EQ(r.Step("score")->status, "not_run");
}

TEST_P(NightlyTest, ReportSaysWhenAProductHasNotRun) {
  if (!Shared(GetParam()).t) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  auto t = Open(GetParam());
  const std::string schema = t->Schema("pl_report_empty");
  t->wh->CreateSchema(schema);
  ReportOptions o;
  o.schema = schema;
  o.out_dir = t->Dir().string();
  const ReportSummary r = WriteReport(*t->wh, o);
  EXPECT_TRUE(r.tables.empty());
  EXPECT_EQ(r.missing.size(), KnownResultTables().size());
  for (const char* s : {"leads", "icp", "forecast", "competitive", "activity"})
    EXPECT_NE(std::find(r.sections_without_data.begin(), r.sections_without_data.end(), s),
              r.sections_without_data.end())
        << s;
  const std::string html = ReadFile(r.html_path);
  EXPECT_NE(html.find("the ICP analysis has not run"), std::string::npos);
  EXPECT_NE(html.find("the forecast has not run"), std::string::npos);
  EXPECT_NE(html.find("competitive analysis has not run"), std::string::npos);
  EXPECT_EQ(html.find("<svg"), std::string::npos);  // no chart without data
}

INSTANTIATE_TEST_SUITE_P(Engines, NightlyTest, ::testing::Values(Engine::kDuckDb, Engine::kPostgres), EngineName);

}  // namespace
}  // namespace revlens::pipeline
