// `revlens build` end to end: the same bodies on DuckDB (memory, file) and PostgreSQL (REVLENS_TEST_POSTGRES_URL).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "fixture_util.hpp"
#include "models/runner.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::models {
namespace {

using fixture::TempProject;
using fixture::UniqueSuffix;
using ::testing::HasSubstr;
using warehouse::Column;
using warehouse::ColumnType;
using warehouse::OpenWarehouse;
using warehouse::Timestamp;
using warehouse::Value;
using warehouse::Warehouse;

namespace fs = std::filesystem;

enum class Engine { kDuckMemory, kDuckFile, kPostgres };

std::string EngineName(const ::testing::TestParamInfo<Engine>& info) {
  switch (info.param) {
    case Engine::kDuckMemory:
      return "DuckDbMemory";
    case Engine::kDuckFile:
      return "DuckDbFile";
    case Engine::kPostgres:
      return "Postgres";
  }
  return "Unknown";
}

// 2026-06-30 12:00:00 UTC, the synced_at of every seed row.
constexpr int64_t kSyncedMs = 1782820800000;
constexpr int64_t kHourMs = 3600000;

Value Ts(int64_t ms) {
  return warehouse::TimestampFromMillis(ms);
}

class BuildTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    switch (GetParam()) {
      case Engine::kDuckMemory:
        wh_ = OpenWarehouse("duckdb://:memory:");
        break;
      case Engine::kDuckFile:
        file_ = fs::temp_directory_path() / ("revlens_models_" + UniqueSuffix() + ".duckdb");
        wh_ = OpenWarehouse("duckdb://" + file_.string());
        break;
      case Engine::kPostgres: {
        const char* url = std::getenv("REVLENS_TEST_POSTGRES_URL");
        if (!url || !*url) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set; skipping PostgreSQL";
        wh_ = OpenWarehouse(url);
        break;
      }
    }
    const std::string suffix = UniqueSuffix();
    raw_ = "raw_" + suffix;
    target_ = "revlens_" + suffix;
    wh_->CreateSchema(raw_);
    const std::vector<Column> deal_cols = {{"id", ColumnType::kBigInt},
                                           {"company_id", ColumnType::kBigInt},
                                           {"stage", ColumnType::kText},
                                           {"amount", ColumnType::kDouble},
                                           {"created_at", ColumnType::kTimestamp},
                                           {"closed_at", ColumnType::kTimestamp},
                                           {"synced_at", ColumnType::kTimestamp}};
    const std::vector<Column> company_cols = {
        {"id", ColumnType::kBigInt}, {"name", ColumnType::kText}, {"synced_at", ColumnType::kTimestamp}};
    wh_->CreateTable(raw_, "deals", deal_cols);
    wh_->CreateTable(raw_, "companies", company_cols);
    wh_->BulkLoad(
        raw_, "companies", company_cols,
        {{int64_t{10}, std::string("Acme"), Ts(kSyncedMs)}, {int64_t{11}, std::string("Globex"), Ts(kSyncedMs)}});
    Deal(1, 10, "won", 100.0, 30);
    Deal(2, 10, "lost", 50.0, 12);
    Deal(3, 11, "open", 75.0, 0);
  }

  void TearDown() override {
    if (wh_) {
      for (const auto& s : {raw_, target_, target_ + "_staging"}) wh_->DropSchema(s);
      wh_.reset();
    }
    if (!file_.empty()) {
      fs::remove(file_);
      fs::remove(file_.string() + ".wal");
    }
  }

  /// Add a raw deal created on 2026-01-01 and closed `cycle` days later (open when 0).
  void Deal(Value id, Value company, std::string stage, double amount, int cycle) {
    const std::vector<Column> cols = {{"id", ColumnType::kBigInt},
                                      {"company_id", ColumnType::kBigInt},
                                      {"stage", ColumnType::kText},
                                      {"amount", ColumnType::kDouble},
                                      {"created_at", ColumnType::kTimestamp},
                                      {"closed_at", ColumnType::kTimestamp},
                                      {"synced_at", ColumnType::kTimestamp}};
    const int64_t created = 1767225600000;  // 2026-01-01
    Value closed = cycle ? Ts(created + cycle * 24 * kHourMs + 5 * kHourMs) : Value{};
    wh_->BulkLoad(raw_, "deals", cols, {{id, company, std::move(stage), amount, Ts(created), closed, Ts(kSyncedMs)}});
  }

  BuildOptions Options(const TempProject& p) const {
    BuildOptions o;
    o.project_dir = p.Dir();
    o.target_schema = target_;
    o.raw_schema = raw_;
    o.now_ms = kSyncedMs + kHourMs;
    return o;
  }

  std::string Kind(const std::string& schema, const std::string& name) {
    auto rs = wh_->Query(
        "SELECT table_type FROM information_schema.tables WHERE table_schema = " + Warehouse::QuoteLiteral(schema) +
        " AND table_name = " + Warehouse::QuoteLiteral(name) + " AND table_catalog = current_database()");
    return rs.RowCount() ? warehouse::ToString(rs.rows[0][0]) : "";
  }

  int64_t Count(const std::string& relation) {
    return wh_->Query("SELECT COUNT(*) FROM " + relation).Scalar<int64_t>();
  }
  std::string Rel(const std::string& name) const { return Warehouse::QualifiedName(target_, name); }

  static const TestResult& FindTest(const BuildReport& r, const std::string& name) {
    for (const auto& t : r.tests)
      if (t.name == name) return t;
    throw std::runtime_error("no test " + name);
  }
  static const ModelResult& FindModel(const BuildReport& r, const std::string& name) {
    for (const auto& m : r.models)
      if (m.name == name) return m;
    throw std::runtime_error("no model " + name);
  }

  std::unique_ptr<Warehouse> wh_;
  fs::path file_;
  std::string raw_;
  std::string target_;
};

TEST_P(BuildTest, BuildsTheFixtureAndEveryTestPasses) {
  TempProject p("basic");
  const BuildReport r = Build(*wh_, Options(p));
  EXPECT_TRUE(r.Ok()) << ::testing::PrintToString(r.FailureLines());
  ASSERT_EQ(r.models.size(), 4u);
  for (const auto& m : r.models) EXPECT_EQ(m.status, "success") << m.name << ": " << m.error;
  EXPECT_EQ(r.tests.size(), 11u);
  for (const auto& t : r.tests) EXPECT_EQ(t.status, "pass") << t.name << ": " << t.error;
  EXPECT_EQ(Kind(target_, "stg_deals"), "VIEW");
  EXPECT_EQ(Kind(target_, "deals"), "BASE TABLE");
  EXPECT_EQ(Kind(target_, "deal_summary_v"), "VIEW");
  EXPECT_EQ(Kind(target_, "deal_summary"), "");
  auto rs = wh_->Query("SELECT deal_id, cycle_days, landing, company_name FROM " + Rel("deals") + " ORDER BY deal_id");
  ASSERT_EQ(rs.RowCount(), 3u);
  EXPECT_EQ(warehouse::AsInt64(rs.At(0, "cycle_days")), 30);
  EXPECT_EQ(warehouse::AsInt64(rs.At(1, "cycle_days")), 12);
  EXPECT_TRUE(warehouse::IsNull(rs.At(2, "cycle_days")));
  EXPECT_EQ(warehouse::AsString(rs.At(0, "landing")), "revlens");
  EXPECT_EQ(warehouse::AsString(rs.At(2, "company_name")), "Globex");
  ASSERT_EQ(r.freshness.size(), 1u);  // companies has freshness: null
  EXPECT_EQ(r.freshness[0].source, "raw.deals");
  EXPECT_EQ(r.freshness[0].status, "pass");
  EXPECT_NEAR(r.freshness[0].age_hours, 1.0, 1e-9);

  // A second build replaces everything in place (table over table, view over view with a view on top).
  const BuildReport again = Build(*wh_, Options(p));
  EXPECT_TRUE(again.Ok()) << ::testing::PrintToString(again.FailureLines());
  EXPECT_EQ(Count(Rel("deal_summary_v")), 3);
}

TEST_P(BuildTest, EachTestTypeFailsWithItsFailingRowCount) {
  TempProject p("basic");
  Deal(int64_t{2}, int64_t{11}, "won", 10.0, 3);   // duplicate id
  Deal(Value{}, int64_t{11}, "won", 10.0, 3);      // null id
  Deal(int64_t{4}, int64_t{999}, "open", 5.0, 0);  // no such company
  Deal(int64_t{5}, int64_t{10}, "weird", 5.0, 0);  // not an accepted stage
  // An inner join drops the orphan deal: the mart no longer has the staging row count.
  p.Write("models/marts/deals.sql",
          "{{ config(materialized='table') }}\nselect d.*, c.name as company_name from {{ ref('stg_deals') }} as d\n"
          "join {{ ref('stg_companies') }} as c on c.company_id = d.company_id");
  const BuildReport r = Build(*wh_, Options(p));
  EXPECT_FALSE(r.Ok());
  for (const auto& m : r.models) EXPECT_EQ(m.status, "success") << m.name;
  EXPECT_EQ(FindTest(r, "unique_source_raw_deals_id").failing_rows, 1);
  EXPECT_EQ(FindTest(r, "not_null_source_raw_deals_id").failing_rows, 1);
  EXPECT_EQ(FindTest(r, "unique_stg_deals_deal_id").failing_rows, 1);
  EXPECT_EQ(FindTest(r, "not_null_stg_deals_deal_id").failing_rows, 1);
  EXPECT_EQ(FindTest(r, "accepted_values_stg_deals_stage__open__won__lost").failing_rows, 1);
  EXPECT_EQ(FindTest(r, "relationships_stg_deals_company_id__company_id__ref_stg_companies").failing_rows, 1);
  EXPECT_EQ(FindTest(r, "dbt_utils_equal_rowcount_deals_ref_stg_deals").failing_rows, 1);
  EXPECT_EQ(FindTest(r, "unique_stg_companies_company_id").status, "pass");
  EXPECT_EQ(FindTest(r, "not_null_stg_deals_deal_id").status, "fail");
  const auto lines = r.FailureLines();
  EXPECT_THAT(lines, ::testing::Contains("error: test not_null_stg_deals_deal_id on model stg_deals: 1 failing row"));
  EXPECT_THAT(lines, ::testing::Contains(
                         "error: test dbt_utils_equal_rowcount_deals_ref_stg_deals on model deals: 1 failing row"));
  EXPECT_EQ(lines.size(), 9u);

  // severity: warn turns a failure into a warning; the build passes once the rest is clean.
  wh_->Execute("DELETE FROM " + Warehouse::QualifiedName(raw_, "deals") + " WHERE id IS NULL OR id IN (2, 4)");
  p.Write("models/marts/_marts.yml",
          "version: 2\nmodels:\n  - name: deals\n    data_tests:\n      - accepted_values:\n"
          "          column_name: company_name\n          values: ['Acme']\n          config:\n"
          "            severity: warn\n");
  BuildOptions o = Options(p);
  const BuildReport w = Build(*wh_, o);
  EXPECT_EQ(FindTest(w, "accepted_values_stg_deals_stage__open__won__lost").failing_rows, 1);
  wh_->Execute("DELETE FROM " + Warehouse::QualifiedName(raw_, "deals") + " WHERE stage = 'weird'");
  const BuildReport ok = Build(*wh_, o);
  EXPECT_TRUE(ok.Ok()) << ::testing::PrintToString(ok.FailureLines());
  EXPECT_EQ(FindTest(ok, "accepted_values_deals_company_name__Acme").status, "warn");
  EXPECT_THAT(ok.WarningLines(), ::testing::Contains(HasSubstr("accepted_values_deals_company_name__Acme")));
}

TEST_P(BuildTest, FreshnessWarnsAfter24hAndFailsAfter48h) {
  TempProject p("basic");
  BuildOptions o = Options(p);
  o.now_ms = kSyncedMs + 30 * kHourMs;
  BuildReport r = Build(*wh_, o);
  ASSERT_EQ(r.freshness.size(), 1u);
  EXPECT_EQ(r.freshness[0].status, "warn");
  EXPECT_TRUE(r.Ok());
  EXPECT_THAT(r.WarningLines(),
              ::testing::Contains("warning: source raw.deals last loaded 30.0 h ago (warn after 24.0 h)"));
  o.now_ms = kSyncedMs + 50 * kHourMs;
  r = Build(*wh_, o);
  EXPECT_EQ(r.freshness[0].status, "error");
  EXPECT_FALSE(r.Ok());
  EXPECT_EQ(r.FailureLines(),
            std::vector<std::string>{"error: source raw.deals is stale: last loaded 50.0 h ago (error after 48.0 h)"});
  o.check_freshness = false;
  EXPECT_TRUE(Build(*wh_, o).Ok());
}

TEST_P(BuildTest, FailingModelLeavesThePreviousVersionAndSkipsDescendants) {
  TempProject p("basic");
  ASSERT_TRUE(Build(*wh_, Options(p)).Ok());
  p.Write("models/marts/deals.sql",
          "{{ config(materialized='table') }}\nselect no_such_column from {{ ref('stg_deals') }}");
  const BuildReport r = Build(*wh_, Options(p));
  EXPECT_FALSE(r.Ok());
  EXPECT_EQ(FindModel(r, "deals").status, "error");
  EXPECT_EQ(FindModel(r, "deal_summary").status, "skipped");
  EXPECT_EQ(FindModel(r, "stg_deals").status, "success");
  EXPECT_EQ(FindTest(r, "unique_deals_deal_id").status, "skipped");
  const auto lines = r.FailureLines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("error: model deals failed: "));
  EXPECT_THAT(lines[0], HasSubstr("no_such_column"));
  EXPECT_EQ(lines[0].find('\n'), std::string::npos);
  // The previous table is intact, and so is the view on top of it (PostgreSQL's CASCADE was rolled back).
  EXPECT_EQ(Kind(target_, "deals"), "BASE TABLE");
  EXPECT_EQ(Count(Rel("deals")), 3);
  EXPECT_EQ(Count(Rel("deal_summary_v")), 3);
}

TEST_P(BuildTest, SwitchingViewToTableAndBack) {
  TempProject p("basic");
  ASSERT_TRUE(Build(*wh_, Options(p)).Ok());
  EXPECT_EQ(Kind(target_, "stg_companies"), "VIEW");
  p.Write("models/staging/stg_companies.sql",
          "{{ config(materialized='table') }}\nselect id as company_id, name from {{ source('raw', 'companies') }}");
  ASSERT_TRUE(Build(*wh_, Options(p)).Ok());
  EXPECT_EQ(Kind(target_, "stg_companies"), "BASE TABLE");
  p.Write("models/staging/stg_companies.sql", "select id as company_id, name from {{ source('raw', 'companies') }}");
  ASSERT_TRUE(Build(*wh_, Options(p)).Ok());
  EXPECT_EQ(Kind(target_, "stg_companies"), "VIEW");
}

TEST_P(BuildTest, DisabledModelIsNotBuiltAndSelectionBuildsOnlyWhatItNames) {
  TempProject p("basic");
  p.Write("models/marts/deal_summary.sql", "{{ config(enabled=false) }}\nselect 1 as x");
  BuildOptions o = Options(p);
  o.select = {"stg_deals+"};
  const BuildReport r = Build(*wh_, o);
  std::vector<std::string> built;
  for (const auto& m : r.models) built.push_back(m.name);
  EXPECT_EQ(built, (std::vector<std::string>{"stg_deals", "deals"}));
  // deals refs stg_companies, which this build did not create: deals fails, in one line naming it.
  EXPECT_EQ(FindModel(r, "deals").status, "error");
  EXPECT_EQ(Kind(target_, "deal_summary_v"), "");
  EXPECT_EQ(Kind(target_, "deal_summary"), "");
  o.select = {"+deals"};
  EXPECT_TRUE(Build(*wh_, o).Ok());
  EXPECT_EQ(Kind(target_, "deal_summary"), "");
}

TEST_P(BuildTest, CustomSchemaIsASuffixOfTheTargetSchema) {
  TempProject p("basic");
  p.Write("dbt_project.yml",
          "name: fixture\nvars:\n  landing_format: revlens\n  min_amount: 60\n"
          "models:\n  fixture:\n    staging:\n      +schema: staging\n"
          "    alt:\n      +enabled: false\n");
  const BuildReport r = Build(*wh_, Options(p));
  EXPECT_TRUE(r.Ok()) << ::testing::PrintToString(r.FailureLines());
  EXPECT_EQ(Kind(target_ + "_staging", "stg_deals"), "VIEW");
  EXPECT_EQ(Kind(target_, "stg_deals"), "");
  EXPECT_EQ(Kind(target_, "deals"), "BASE TABLE");  // its own config(materialized='table')
  EXPECT_EQ(Kind(target_, "deal_summary_v"), "VIEW");
  EXPECT_EQ(Count(Rel("deals")), 2);  // min_amount: 60 drops the 50 deal
  BuildOptions o = Options(p);
  o.vars["min_amount"] = JinjaValue::Number(80);  // --vars beats dbt_project.yml
  EXPECT_TRUE(Build(*wh_, o).Ok());
  EXPECT_EQ(Count(Rel("deals")), 1);
}

TEST_P(BuildTest, MacrosGiveTheSameAnswerOnEveryEngine) {
  TempProject p;
  p.Write("dbt_project.yml", fixture::MinimalProjectYml() + "models:\n  p:\n    +materialized: table\n");
  p.Write("models/macros_scalar.sql",
          "select\n"
          "  {{ revlens_days_between(\"DATE '2024-01-01'\", \"TIMESTAMP '2024-03-01 10:00:00'\") }} as days,\n"
          "  {{ revlens_epoch_ms_to_timestamp('1700000000123') }} as ts,\n"
          "  {{ revlens_date_trunc('month', \"DATE '2024-02-17'\") }} as month_start,\n"
          "  {{ revlens_date_trunc('week', \"TIMESTAMP '2024-02-17 12:00:00'\") }} as week_start,\n"
          "  {{ revlens_safe_cast_double(\"' 12.5'\") }} as good,\n"
          "  {{ revlens_safe_cast_double(\"'abc'\") }} as bad,\n"
          "  {{ revlens_safe_cast_double(\"'-1e3'\") }} as sci,\n"
          "  {{ revlens_date_add_days(\"DATE '2024-02-28'\", '2') }} as plus2\n");
  p.Write("models/macros_agg.sql",
          "select {{ revlens_string_agg('x', \"', '\", 'x') }} as joined\n"
          "from (select 'b' as x union all select 'a' union all select 'c') as v\n");
  p.Write("models/macros_spine.sql",
          "select count(*) as n, min(date_day) as first_day, max(date_day) as last_day\n"
          "from {{ revlens_date_spine(\"DATE '2024-02-27'\", \"DATE '2024-03-02'\") }} as s\n");
  BuildOptions o;
  o.project_dir = p.Dir();
  o.target_schema = target_;
  const BuildReport r = Build(*wh_, o);
  ASSERT_TRUE(r.Ok()) << ::testing::PrintToString(r.FailureLines());
  auto s = wh_->Query("SELECT * FROM " + Rel("macros_scalar"));
  EXPECT_EQ(warehouse::AsInt64(s.At(0, "days")), 60);
  EXPECT_EQ(warehouse::ToString(s.At(0, "ts")), "2023-11-14 22:13:20.123000");
  EXPECT_EQ(warehouse::ToString(s.At(0, "month_start")), "2024-02-01");
  EXPECT_EQ(warehouse::ToString(s.At(0, "week_start")), "2024-02-12");
  EXPECT_DOUBLE_EQ(warehouse::AsDouble(s.At(0, "good")), 12.5);
  EXPECT_TRUE(warehouse::IsNull(s.At(0, "bad")));
  EXPECT_DOUBLE_EQ(warehouse::AsDouble(s.At(0, "sci")), -1000);
  EXPECT_EQ(warehouse::ToString(s.At(0, "plus2")), "2024-03-01");
  EXPECT_EQ(wh_->Query("SELECT joined FROM " + Rel("macros_agg")).Scalar<std::string>(), "a, b, c");
  auto spine = wh_->Query("SELECT * FROM " + Rel("macros_spine"));
  EXPECT_EQ(warehouse::AsInt64(spine.At(0, "n")), 5);
  EXPECT_EQ(warehouse::ToString(spine.At(0, "first_day")), "2024-02-27");
  EXPECT_EQ(warehouse::ToString(spine.At(0, "last_day")), "2024-03-02");
}

TEST_P(BuildTest, JsonReportCarriesModelsTestsFreshnessAndFailures) {
  TempProject p("basic");
  Deal(int64_t{7}, int64_t{10}, "weird", 5.0, 0);
  const BuildReport r = Build(*wh_, Options(p));
  const auto j = nlohmann::json::parse(r.ToJson());
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["project"], "fixture");
  EXPECT_EQ(j["targetSchema"], target_);
  EXPECT_EQ(j["models"].size(), 4u);
  EXPECT_EQ(j["models"][0]["name"], "stg_companies");
  EXPECT_EQ(j["models"][0]["materialized"], "view");
  EXPECT_EQ(j["models"][0]["status"], "success");
  EXPECT_TRUE(j["models"][0]["seconds"].is_number());
  EXPECT_EQ(j["summary"]["modelsBuilt"], 4);
  EXPECT_EQ(j["summary"]["testsFailed"], 1);
  EXPECT_EQ(j["summary"]["testsPassed"], 10);
  EXPECT_EQ(j["freshness"][0]["source"], "raw.deals");
  EXPECT_EQ(j["freshness"][0]["maxLoadedAt"], "2026-06-30T12:00:00.000Z");
  EXPECT_EQ(j["freshness"][0]["warnAfterHours"], 24.0);
  ASSERT_EQ(j["failures"].size(), 1u);
  EXPECT_EQ(j["failures"][0],
            "error: test accepted_values_stg_deals_stage__open__won__lost on model stg_deals: 1 failing row");
  bool found = false;
  for (const auto& t : j["tests"]) {
    if (t["name"] == "accepted_values_stg_deals_stage__open__won__lost") {
      found = true;
      EXPECT_EQ(t["failingRows"], 1);
      EXPECT_EQ(t["column"], "stage");
      EXPECT_EQ(t["status"], "fail");
    }
  }
  EXPECT_TRUE(found);
}

INSTANTIATE_TEST_SUITE_P(Engines, BuildTest,
                         ::testing::Values(Engine::kDuckMemory, Engine::kDuckFile, Engine::kPostgres), EngineName);

}  // namespace
}  // namespace revlens::models
