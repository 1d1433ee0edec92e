// The repo's SQL models (sql/) on revlens's own landing format, end to end: generate a small portal, serve it
// with the emulator, sync it, run `revlens build`, and check the build, every data test, and the marts against
// the generator's ground truth, on DuckDB and PostgreSQL (the same bodies), then DuckDB against PostgreSQL.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "emulator/generator/generator.hpp"
#include "emulator/server.hpp"
#include "models/runner.hpp"
#include "sync/raw_layout.hpp"
#include "sync/sync.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::marts {
namespace {

namespace fs = std::filesystem;
using warehouse::Warehouse;

constexpr const char* kAnchor = "2026-06-30";

std::string UniqueSuffix() {
  static std::atomic<int> counter{0};
  const auto ns = std::chrono::steady_clock::now().time_since_epoch().count();
  return std::to_string(::getpid()) + "_" + std::to_string(ns % 1000000007) + "_" + std::to_string(counter++);
}

fs::path RepoSqlDir() {
  return fs::path(REVLENS_SOURCE_DIR) / "sql";
}

emulator::GeneratorOptions SmallOptions() {
  emulator::GeneratorOptions o;
  o.size = "small";
  o.seed = 5;
  o.anchor_date = kAnchor;
  return o;
}

// What the marts must reproduce, computed from the generator's truth and the generated records (before the
// portal is served and synced, so nothing here went through the code under test).
struct Expected {
  int64_t won = 0, lost = 0, open = 0;
  std::map<std::string, double> won_amount_by_month;  ///< YYYY-MM -> sum of won deals' amount property
  std::map<std::string, int64_t> stage_visits;        ///< stage id -> visits by live deals
  std::map<int64_t, int64_t> usage_days_14;           ///< live model contact id -> active days in first 14
};

Expected ComputeExpected(const emulator::GeneratedPortal& g) {
  Expected e;
  const auto& deals = g.portal->Table(emulator::ObjectType::kDeals);
  const auto amount_p = *deals.Props().Find("amount");
  const auto stage_p = *deals.Props().Find("dealstage");
  std::map<int64_t, const emulator::Record*> by_id;
  for (const auto& r : deals.Records()) by_id[r.id] = &r;
  for (const auto& d : g.truth.at("deals")) {
    if (d.at("archived").get<bool>()) continue;
    const bool closed = d.at("closed_at_anchor").get<bool>();
    const bool won = d.at("won").get<bool>();
    if (!closed) {
      ++e.open;
    } else if (won) {
      ++e.won;
      const auto* r = by_id.at(d.at("id").get<int64_t>());
      const auto amount = r->Get(amount_p);
      e.won_amount_by_month[d.at("close_date").get<std::string>().substr(0, 7)] += amount ? std::stod(std::string(*amount)) : 0.0;
    } else {
      ++e.lost;
    }
  }
  for (const auto& r : deals.Records()) {
    if (r.archived) continue;
    for (const auto& h : r.history)
      if (h.prop == stage_p) ++e.stage_visits[h.value];
  }
  const auto& tc = g.truth.at("contacts");
  for (size_t i = 0; i < tc.at("id").size(); ++i) {
    if (tc.at("archived")[i].get<bool>()) continue;
    e.usage_days_14[tc.at("id")[i].get<int64_t>()] = tc.at("usage_active_days_14")[i].get<int64_t>();
  }
  return e;
}

// One engine: a synced raw schema and the built marts, torn down (schemas dropped) at the end.
class BuiltWarehouse {
 public:
  explicit BuiltWarehouse(std::unique_ptr<Warehouse> wh, fs::path file = {}) : wh_(std::move(wh)), file_(std::move(file)) {}
  ~BuiltWarehouse() {
    if (wh_) {
      wh_->DropSchema(target_);
      wh_->DropSchema(raw_);
    }
    wh_.reset();
    if (!file_.empty()) {
      fs::remove(file_);
      fs::remove(file_.string() + ".wal");
    }
  }
  BuiltWarehouse(const BuiltWarehouse&) = delete;
  BuiltWarehouse& operator=(const BuiltWarehouse&) = delete;

  /// Generate, serve, sync and build; returns the build report.
  models::BuildReport SyncAndBuild(Expected* expected) {
    auto g = emulator::GeneratePortal(SmallOptions());
    if (expected) *expected = ComputeExpected(g);
    const fs::path usage = fs::temp_directory_path() / ("revlens_marts_usage_" + UniqueSuffix() + ".csv");
    std::ofstream(usage, std::ios::binary) << g.product_usage_csv;
    emulator::ServeOptions so;
    so.rate_limit = "none";
    emulator::EmulatorServer server(std::move(g.portal), so);
    server.Start();
    hubspot::ClientOptions co;
    co.base_url = server.BaseUrl();
    co.access_token = so.token;
    co.search_per_second = 0;
    co.initial_per_ten_seconds = 0;
    co.base_backoff = std::chrono::milliseconds(5);
    co.max_backoff = std::chrono::milliseconds(50);
    co.jitter_seed = 7;
    hubspot::Client client(co);
    const std::string suffix = UniqueSuffix();
    raw_ = "marts_raw_" + suffix;
    target_ = "marts_" + suffix;
    sync::SyncOptions o;
    o.schema = raw_;
    o.lookback = std::chrono::milliseconds(0);
    o.product_usage_path = usage.string();
    const auto summary = sync::RunSync(client, *wh_, o);
    server.Stop();
    fs::remove(usage);
    EXPECT_EQ(summary.quarantined, 0);

    models::BuildOptions b;
    b.project_dir = RepoSqlDir().string();
    b.target_schema = target_;
    b.raw_schema = raw_;
    b.vars["as_of_date"] = models::JinjaValue::String(kAnchor);
    return models::Build(*wh_, b);
  }

  Warehouse& Wh() { return *wh_; }
  std::string T(const std::string& model) const { return Warehouse::QualifiedName(target_, model); }
  int64_t Count(const std::string& sql) { return wh_->Query(sql).Scalar<int64_t>(); }

  /// Rows of `sql` rendered as text lines, sorted: comparable across engines.
  std::vector<std::string> Lines(const std::string& sql) {
    std::vector<std::string> out;
    for (const auto& row : wh_->Query(sql).rows) {
      std::string line;
      for (const auto& v : row) {
        if (std::holds_alternative<double>(v)) {
          char buf[64];
          std::snprintf(buf, sizeof buf, "%.6f", std::get<double>(v));
          line += buf;
        } else {
          line += warehouse::IsNull(v) ? std::string("NULL") : warehouse::ToString(v);
        }
        line += '|';
      }
      out.push_back(std::move(line));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::unique_ptr<Warehouse> wh_;
  fs::path file_;
  std::string raw_, target_;
};

std::unique_ptr<BuiltWarehouse> OpenDuckDb() {
  const fs::path file = fs::temp_directory_path() / ("revlens_marts_" + UniqueSuffix() + ".duckdb");
  return std::make_unique<BuiltWarehouse>(warehouse::OpenWarehouse("duckdb://" + file.string()), file);
}

std::unique_ptr<BuiltWarehouse> OpenPostgres() {
  const char* url = std::getenv("REVLENS_TEST_POSTGRES_URL");
  if (!url || !*url) return nullptr;
  return std::make_unique<BuiltWarehouse>(warehouse::OpenWarehouse(url));
}

enum class Engine { kDuckDb, kPostgres };

std::string EngineName(const ::testing::TestParamInfo<Engine>& info) {
  return info.param == Engine::kDuckDb ? "DuckDb" : "Postgres";
}

// Each engine is synced and built once and shared by the tests (a build takes seconds); the environment drops
// the schemas at the end.
struct Built {
  std::unique_ptr<BuiltWarehouse> wh;  ///< nullptr: the engine is not available
  Expected expected;
  models::BuildReport report;
};

Built& Shared(Engine engine) {
  static std::map<Engine, Built> built;
  auto it = built.find(engine);
  if (it == built.end()) {
    Built b;
    b.wh = engine == Engine::kDuckDb ? OpenDuckDb() : OpenPostgres();
    if (b.wh) b.report = b.wh->SyncAndBuild(&b.expected);
    it = built.emplace(engine, std::move(b)).first;
  }
  return it->second;
}

class DropBuilt : public ::testing::Environment {
 public:
  void TearDown() override {
    Shared(Engine::kDuckDb).wh.reset();
    Shared(Engine::kPostgres).wh.reset();
  }
};
// GoogleTest takes ownership of a registered environment (its API takes a raw pointer).
const auto* const kDropBuilt = ::testing::AddGlobalTestEnvironment(new DropBuilt);

class MartsTest : public ::testing::TestWithParam<Engine> {};

void ExpectBuildClean(const models::BuildReport& report) {
  for (const auto& line : report.FailureLines()) ADD_FAILURE() << line;
  for (const auto& line : report.WarningLines()) ADD_FAILURE() << "unexpected warning: " << line;
  EXPECT_TRUE(report.Ok());
  EXPECT_GE(report.models.size(), 20u);
  EXPECT_GE(report.tests.size(), 50u);
  for (const auto& t : report.tests) EXPECT_EQ(t.status, "pass") << t.name;
}

TEST_P(MartsTest, BuildPassesEveryDataTestAndMatchesGroundTruth) {
  Built& built = Shared(GetParam());
  if (!built.wh) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set; skipping PostgreSQL";
  BuiltWarehouse* bw = built.wh.get();
  const Expected& exp = built.expected;
  const auto& report = built.report;
  ExpectBuildClean(report);
  std::cout << "[ marts ] " << report.models.size() << " models, " << report.tests.size() << " data tests, "
            << report.total_seconds << " s\n";

  // Won / lost / open from stage metadata.
  EXPECT_EQ(bw->Count("SELECT COUNT(*) FROM " + bw->T("deals") + " WHERE is_won"), exp.won);
  EXPECT_EQ(bw->Count("SELECT COUNT(*) FROM " + bw->T("deals") + " WHERE is_lost"), exp.lost);
  EXPECT_EQ(bw->Count("SELECT COUNT(*) FROM " + bw->T("deals") + " WHERE is_open"), exp.open);
  EXPECT_GT(exp.won, 0);
  EXPECT_GT(exp.lost, 0);
  EXPECT_GT(exp.open, 0);

  // Won amount per close month.
  const auto won = bw->Wh().Query("SELECT SUBSTR(CAST(closed_date AS VARCHAR), 1, 7) AS m, SUM(won_amount) FROM " +
                                  bw->T("deals") + " WHERE is_won GROUP BY 1 ORDER BY 1");
  std::map<std::string, double> got_won;
  for (const auto& r : won.rows) got_won[warehouse::AsString(r[0])] = warehouse::AsDouble(r[1]);
  ASSERT_EQ(got_won.size(), exp.won_amount_by_month.size());
  for (const auto& [month, amount] : exp.won_amount_by_month) EXPECT_NEAR(got_won[month], amount, 0.01) << month;

  // Stage visits per stage.
  const auto visits =
      bw->Wh().Query("SELECT deal_stage_id, COUNT(*) FROM " + bw->T("deal_stage_history") + " GROUP BY 1");
  std::map<std::string, int64_t> got_visits;
  for (const auto& r : visits.rows) got_visits[warehouse::AsString(r[0])] = warehouse::AsInt64(r[1]);
  EXPECT_EQ(got_visits, exp.stage_visits);

  // Product usage in the first 14 days, per live contact the truth describes.
  const auto usage = bw->Wh().Query("SELECT contact_id, usage_active_days_first_14d FROM " + bw->T("contacts"));
  int64_t compared = 0, with_usage = 0;
  for (const auto& r : usage.rows) {
    const auto it = exp.usage_days_14.find(warehouse::AsInt64(r[0]));
    if (it == exp.usage_days_14.end()) continue;
    EXPECT_EQ(warehouse::AsInt64(r[1]), it->second) << "contact " << it->first;
    ++compared;
    with_usage += it->second > 0 ? 1 : 0;
  }
  EXPECT_GT(compared, 100);
  EXPECT_GT(with_usage, 0);

  // The snapshot agrees with the deals mart on the last day of each closed deal, and every open deal has a
  // row on the as-of date.
  EXPECT_EQ(bw->Count("SELECT COUNT(*) FROM " + bw->T("daily_pipeline_snapshot") + " s JOIN " + bw->T("deals") +
                      " d ON d.deal_id = s.deal_id AND s.date_day = d.closed_date WHERE s.is_won <> d.is_won"),
            0);
  EXPECT_EQ(bw->Count("SELECT COUNT(*) FROM " + bw->T("daily_pipeline_snapshot") + " WHERE is_open AND date_day = "
                      "CAST('" + std::string(kAnchor) + "' AS DATE)"),
            exp.open);

  // Custom properties flow through to the marts.
  EXPECT_GT(bw->Count("SELECT COUNT(*) FROM " + bw->T("companies") + " WHERE signup_motion IS NOT NULL"), 0);
  EXPECT_GT(bw->Count("SELECT COUNT(*) FROM " + bw->T("deals") + " WHERE competitor IS NOT NULL"), 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, MartsTest, ::testing::Values(Engine::kDuckDb, Engine::kPostgres), EngineName);

TEST(MartsConsistencyTest, DuckDbAndPostgresBuildIdenticalMarts) {
  BuiltWarehouse* pg = Shared(Engine::kPostgres).wh.get();
  if (!pg) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set; skipping the DuckDB/PostgreSQL comparison";
  BuiltWarehouse* duck = Shared(Engine::kDuckDb).wh.get();
  ASSERT_TRUE(Shared(Engine::kPostgres).report.Ok());
  ASSERT_TRUE(Shared(Engine::kDuckDb).report.Ok());
  const std::vector<std::pair<std::string, std::string>> queries = {
      {"deals", "SELECT deal_id, pipeline_id, deal_stage_id, is_won, is_lost, is_open, amount, created_date, "
                "closed_date, cycle_days, close_date_pushes, close_date_pushed_days, stage_visit_count, company_id, "
                "contact_id, owner_id, team_name, forecast_category, competitor_name, loss_reason FROM {}"},
      {"deal_stage_history", "SELECT deal_stage_visit_key, deal_stage_id, entered_at, exited_at, days_in_stage FROM {}"},
      {"daily_pipeline_snapshot",
       "SELECT snapshot_key, deal_stage_id, amount, forecast_category, is_open, is_won, is_lost FROM {}"},
      {"companies", "SELECT company_id, size_band, revenue_band, first_deal_created_at, customer_since, "
                    "lifetime_won_amount, contact_count, engagements_total, engagements_90d FROM {}"},
      {"contacts", "SELECT contact_id, company_id, became_lead_at, became_customer_at, engagements_total, "
                   "engagements_30d, usage_active_days, usage_logins FROM {}"},
      {"engagements", "SELECT engagement_key, occurred_week, owner_id, contact_id, company_id, deal_id FROM {}"},
      {"funnel", "SELECT funnel_key, previous_stage, days_from_previous_stage, days_from_created FROM {}"},
      {"owner_performance", "SELECT owner_id, won_deals, lost_deals, bookings_amount, win_rate, "
                            "mean_won_cycle_days, engagements_total, active_weeks, engagements_per_week FROM {}"},
  };
  for (const auto& [model, q] : queries) {
    const auto sql_for = [&](BuiltWarehouse& b) {
      std::string s = q;
      s.replace(s.find("{}"), 2, b.T(model));
      return s;
    };
    const auto a = duck->Lines(sql_for(*duck));
    const auto b = pg->Lines(sql_for(*pg));
    EXPECT_FALSE(a.empty()) << model;
    EXPECT_EQ(a.size(), b.size()) << model;
    std::vector<std::string> only_duck, only_pg;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only_duck));
    std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(only_pg));
    EXPECT_TRUE(only_duck.empty()) << model << ": " << only_duck.size() << " rows only on DuckDB, e.g. "
                                   << (only_duck.empty() ? "" : only_duck.front());
    EXPECT_TRUE(only_pg.empty()) << model << ": " << only_pg.size() << " rows only on PostgreSQL, e.g. "
                                 << (only_pg.empty() ? "" : only_pg.front());
  }
}

}  // namespace
}  // namespace revlens::marts
