// The dashboard's JSON API against the warehouse it reads: every figure checked here is recomputed from the marts and
// result tables with its own SQL (or from an independent table), on DuckDB and PostgreSQL, and the filters are
// shown to change the figures the way they should (a partition by pipeline adds up to the whole).
#include "dashboard/api.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "core/errors.hpp"
#include "insights/compete.hpp"
#include "insights/forecast.hpp"
#include "insights/icp.hpp"
#include "insights/scoring.hpp"
#include "portal_fixture.hpp"

namespace revlens::dashboard {
namespace {

using nlohmann::json;
using warehouse::AsDouble;
using warehouse::AsInt64;

/// A small portal with every product run on it, built once per engine per process.
testing::BuiltPortal* Portal(const std::string& engine) {
  static std::map<std::string, std::unique_ptr<testing::BuiltPortal>> portals;
  auto it = portals.find(engine);
  if (it != portals.end()) return it->second.get();
  auto p = testing::BuiltPortal::Create(engine, testing::TestPortalOptions("small", 5));
  if (p) {
    insights::IcpOptions icp;
    icp.schema = p->ModelSchema();
    insights::RunIcp(p->Wh(), icp);
    insights::ScoringOptions score;
    score.model_schema = p->ModelSchema();
    score.force = true;  // the small portal has fewer conversions than a usable model needs: scores still get written
    insights::RunLeadScoring(p->Wh(), score);
    insights::CompeteOptions compete;
    compete.schema = p->ModelSchema();
    insights::RunCompete(p->Wh(), compete);
    insights::ForecastOptions forecast;
    forecast.schema = p->ModelSchema();
    forecast.backtest = true;
    forecast.draws = 2000;
    insights::RunForecast(p->Wh(), forecast);
  }
  return portals.emplace(engine, std::move(p)).first->second.get();
}

class DashboardApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    p_ = Portal(GetParam());
    if (!p_) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
    ApiOptions o;
    o.model_schema = p_->ModelSchema();
    o.raw_schema = p_->RawSchema();
    o.quarterly_goal = 500000;
    api_ = std::make_unique<DashboardApi>(o);
  }
  warehouse::Warehouse& Wh() { return p_->Wh(); }
  std::string T(const std::string& t) const { return p_->T(t); }
  double SqlNum(const std::string& sql) {
    const auto v = Wh().Query(sql).Scalar<warehouse::Value>();
    return warehouse::IsNull(v) ? 0.0 : AsDouble(v);
  }

  testing::BuiltPortal* p_ = nullptr;
  std::unique_ptr<DashboardApi> api_;
};

double SumBookings(const json& overview) {
  double s = 0;
  for (const auto& r : overview["bookings_by_quarter"]) s += r["bookings"].get<double>();
  return s;
}

TEST_P(DashboardApiTest, OverviewFiguresEqualTheWarehouse) {
  const json d = api_->Overview(Wh(), {});
  ASSERT_NE(d.value("available", true), false) << d.dump();
  // Bookings per quarter add up to every won deal's amount.
  EXPECT_NEAR(SumBookings(d), SqlNum("SELECT SUM(amount) FROM " + T("deals") + " WHERE is_won"), 0.5);
  EXPECT_GE(d["bookings_by_quarter"].size(), 4u);
  // The period defaults to the quarter of the data's last day; its bookings are the deals won inside it.
  const std::string as_of = d["as_of"];
  const Quarter q = QuarterOf(as_of);
  EXPECT_EQ(d["period"]["label"], q.Label());
  const std::string in_q = " WHERE closed_date >= DATE '" + q.Start() + "' AND closed_date <= DATE '" + q.End() + "'";
  EXPECT_NEAR(d["kpi"]["bookings"].get<double>(),
              SqlNum("SELECT SUM(amount) FROM " + T("deals") + in_q + " AND is_won"), 0.5);
  EXPECT_EQ(d["kpi"]["won_deals"].get<int64_t>(),
            static_cast<int64_t>(SqlNum("SELECT COUNT(*) FROM " + T("deals") + in_q + " AND is_won")));
  EXPECT_NEAR(d["kpi"]["goal_attainment"].get<double>(), d["kpi"]["bookings"].get<double>() / 500000, 1e-9);
  // Open pipeline on the last day (from the daily snapshot) equals the deals mart's open deals: two tables, one
  // answer.
  EXPECT_EQ(d["kpi"]["open_deals"].get<int64_t>(),
            static_cast<int64_t>(SqlNum("SELECT COUNT(*) FROM " + T("deals") + " WHERE is_open")));
  EXPECT_NEAR(d["kpi"]["open_pipeline"].get<double>(),
              SqlNum("SELECT SUM(amount) FROM " + T("deals") + " WHERE is_open"), 0.5);
  // The forecast rows are the forecast table's total slice, P10 <= P50 <= P90.
  ASSERT_TRUE(d["forecast"]["available"].get<bool>());
  const auto& fc = d["forecast"]["rows"];
  ASSERT_EQ(fc.size(), static_cast<size_t>(SqlNum("SELECT COUNT(*) FROM " + T("forecast") +
                                                  " WHERE slice_type = 'total' AND period_type = 'quarter'")));
  ASSERT_FALSE(fc.empty());
  for (const auto& r : fc) {
    EXPECT_LE(r["p10"].get<double>(), r["p50"].get<double>());
    EXPECT_LE(r["p50"].get<double>(), r["p90"].get<double>());
    const std::string where = " WHERE slice_type = 'total' AND period = '" + r["period"].get<std::string>() + "'";
    EXPECT_NEAR(r["p50"].get<double>(), SqlNum("SELECT p50 FROM " + T("forecast") + where), 1e-6);
    EXPECT_NEAR(r["weighted_pipeline"].get<double>(), SqlNum("SELECT weighted_pipeline FROM " + T("forecast") + where),
                1e-6);
    EXPECT_NEAR(r["commit"].get<double>(), SqlNum("SELECT commit FROM " + T("forecast") + where), 1e-6);
  }
  // Backtest: one row per past quarter, accuracy per method recomputed here.
  ASSERT_TRUE(d["backtest"]["available"].get<bool>());
  const auto bt = Wh().Query("SELECT actual, error_revlens, covered FROM " + T("forecast_backtest") +
                             " WHERE slice_type = 'total' AND period_type = 'quarter'");
  ASSERT_EQ(d["backtest"]["rows"].size(), bt.RowCount());
  ASSERT_GT(bt.RowCount(), 0u);
  double ape = 0;
  int64_t n = 0, covered = 0;
  for (const auto& r : bt.rows) {
    if (AsDouble(r[0]) > 0) {
      ape += std::fabs(AsDouble(r[1])) / AsDouble(r[0]);
      ++n;
    }
    covered += warehouse::AsBool(r[2]);
  }
  EXPECT_NEAR(d["backtest"]["accuracy"][0]["mape"].get<double>(), ape / static_cast<double>(n), 1e-9);
  EXPECT_NEAR(d["backtest"]["coverage"].get<double>(),
              static_cast<double>(covered) / static_cast<double>(bt.RowCount()), 1e-9);
  // Pipeline by stage: every stage row is an open stage.
  for (const auto& s : d["pipeline_by_stage"]) EXPECT_LT(s["probability"].get<double>(), 1.0) << s.dump();
}

TEST_P(DashboardApiTest, FiltersChangeTheFigures) {
  const json all = api_->Overview(Wh(), {.period = "all"});
  const double total = SumBookings(all);
  ASSERT_GT(total, 0);
  const json choices = api_->FilterChoices(Wh());
  ASSERT_GE(choices["pipelines"].size(), 2u);
  ASSERT_GE(choices["owners"].size(), 2u);
  // The pipelines partition the deals: their bookings add up to the whole, each one less than it.
  double sum = 0, open = 0;
  for (const auto& pl : choices["pipelines"]) {
    Filters f;
    f.pipeline = pl["id"].get<std::string>();
    f.period = "all";
    const json d = api_->Overview(Wh(), f);
    const double b = SumBookings(d);
    EXPECT_LT(b, total) << f.pipeline;
    EXPECT_NEAR(
        b, SqlNum("SELECT SUM(amount) FROM " + T("deals") + " WHERE is_won AND pipeline_id = '" + f.pipeline + "'"),
        0.5);
    sum += b;
    open += d["kpi"]["open_pipeline"].get<double>();
    EXPECT_EQ(d["forecast_slice"]["type"], "pipeline");
    for (const auto& r : d["forecast"]["rows"]) {
      EXPECT_NEAR(r["p50"].get<double>(),
                  SqlNum("SELECT p50 FROM " + T("forecast") + " WHERE slice_type = 'pipeline' AND slice_value = '" +
                         f.pipeline + "' AND period = '" + r["period"].get<std::string>() + "'"),
                  1e-6);
    }
  }
  EXPECT_NEAR(sum, total, 0.5);
  EXPECT_NEAR(open, all["kpi"]["open_pipeline"].get<double>(), 0.5);
  // One owner: that owner's won deals only.
  const std::string owner = choices["owners"][0]["id"];
  const json one = api_->Overview(Wh(), {.owner = owner, .period = "all"});
  EXPECT_LT(SumBookings(one), total);
  EXPECT_NEAR(SumBookings(one),
              SqlNum("SELECT SUM(amount) FROM " + T("deals") + " WHERE is_won AND owner_id = " + owner), 0.5);
  // A team narrows the activity page to its reps.
  const std::string team = choices["teams"][0]["id"];
  const json act_all = api_->Activity(Wh(), {.period = "all"});
  const json act_team = api_->Activity(Wh(), {.team = team, .period = "all"});
  for (const auto& r : act_team["reps"])
    EXPECT_EQ(SqlNum("SELECT COUNT(*) FROM " + T("owner_performance_weekly") + " WHERE owner_id = " +
                     std::to_string(r["owner_id"].get<int64_t>()) + " AND team_id = '" + team + "'") > 0,
              true);
  EXPECT_LT(act_team["reps"].size(), act_all["reps"].size());
  double eng = 0;
  for (const auto& w : act_all["weekly"]) eng += w["engagements"].get<double>();
  EXPECT_NEAR(eng, SqlNum("SELECT SUM(engagements) FROM " + T("owner_performance_weekly")), 0.5);
  // A period narrows the bookings KPI to that quarter.
  const std::string period = all["bookings_by_quarter"][1]["period"];
  const json in_period = api_->Overview(Wh(), {.period = period});
  EXPECT_NEAR(in_period["kpi"]["bookings"].get<double>(), all["bookings_by_quarter"][1]["bookings"].get<double>(), 0.5);
}

TEST_P(DashboardApiTest, LeadsIcpCompetitiveEqualTheirTables) {
  const json leads = api_->Leads(Wh(), {.period = "all"});
  ASSERT_TRUE(leads["scores"]["available"].get<bool>()) << leads.dump();
  const int64_t scored =
      static_cast<int64_t>(SqlNum("SELECT COUNT(*) FROM " + T("lead_scores") + " WHERE shadow IS NULL OR NOT shadow"));
  EXPECT_EQ(leads["scores"]["contacts"].get<int64_t>(), scored);
  int64_t in_hist = 0, in_tiers = 0;
  for (const auto& h : leads["scores"]["histogram"]) in_hist += h["contacts"].get<int64_t>();
  for (const auto& t : leads["scores"]["tiers"]) {
    in_tiers += t["contacts"].get<int64_t>();
    EXPECT_EQ(t["contacts"].get<int64_t>(),
              static_cast<int64_t>(SqlNum("SELECT COUNT(*) FROM " + T("lead_scores") + " WHERE tier = '" +
                                          t["tier"].get<std::string>() + "'")));
  }
  EXPECT_EQ(in_hist, scored);
  EXPECT_EQ(in_tiers, scored);
  const auto& top = leads["scores"]["top_leads"];
  ASSERT_FALSE(top.empty());
  for (size_t i = 1; i < top.size(); ++i) EXPECT_GE(top[i - 1]["likelihood"], top[i]["likelihood"]);
  EXPECT_FALSE(top[0]["reasons"].get<std::string>().empty());
  ASSERT_TRUE(leads["model"]["available"].get<bool>());
  EXPECT_EQ(leads["model"]["runs"][0]["model_version"].get<std::string>(),
            Wh().Query("SELECT model_version FROM " + T("model_runs") + " ORDER BY ran_at DESC LIMIT 1")
                .Scalar<std::string>());
  // The quarter's leads are those created in it.
  const std::string quarter = QuarterOf(leads["period"]["end"].get<std::string>()).Label();
  const json q = api_->Leads(Wh(), {.period = quarter});
  const Quarter qq = *ParseQuarter(quarter);
  EXPECT_EQ(q["scores"]["contacts"].get<int64_t>(),
            static_cast<int64_t>(SqlNum("SELECT COUNT(*) FROM " + T("lead_scores") + " s JOIN " + T("contacts") +
                                        " c ON c.contact_id = s.contact_id WHERE c.contact_created_at >= DATE '" +
                                        qq.Start() + "' AND c.contact_created_at < DATE '" + qq.End() +
                                        "' + INTERVAL '1 day'")));
  EXPECT_LT(q["scores"]["contacts"].get<int64_t>(), scored);

  const json icp = api_->Icp(Wh(), {});
  ASSERT_TRUE(icp["segments"]["available"].get<bool>());
  EXPECT_EQ(icp["segments"]["rows"].size(), static_cast<size_t>(SqlNum("SELECT COUNT(*) FROM " + T("icp_segments"))));
  int64_t companies = 0;
  for (const auto& h : icp["fit"]["histogram"]) companies += h["companies"].get<int64_t>();
  EXPECT_EQ(companies, static_cast<int64_t>(
                           SqlNum("SELECT COUNT(*) FROM " + T("company_icp_fit") + " WHERE icp_fit IS NOT NULL")));

  const json comp = api_->Competitive(Wh(), {.period = "all"});
  ASSERT_TRUE(comp["stats"]["available"].get<bool>());
  EXPECT_EQ(comp["stats"]["rows"].size(), static_cast<size_t>(SqlNum("SELECT COUNT(*) FROM " + T("competitor_stats"))));
  int64_t open_with = 0;
  for (const auto& d : comp["open_deals"]) open_with += d["deal_id"].get<int64_t>() > 0;
  EXPECT_EQ(
      open_with,
      std::min<int64_t>(25, static_cast<int64_t>(SqlNum("SELECT COUNT(*) FROM " + T("deal_competitors") + " dc JOIN " +
                                                        T("deals") + " d ON d.deal_id = dc.deal_id WHERE d.is_open"))));
}

TEST_P(DashboardApiTest, HealthShowsSyncsAndSaysWhatIsMissing) {
  const json h = api_->Health(Wh());
  ASSERT_TRUE(h["sync"]["available"].get<bool>());
  ASSERT_FALSE(h["sync"]["runs"].empty());
  EXPECT_EQ(h["sync"]["runs"].size(),
            static_cast<size_t>(
                SqlNum("SELECT COUNT(*) FROM " + warehouse::Warehouse::QualifiedName(p_->RawSchema(), "sync_runs"))));
  ASSERT_FALSE(h["sync"]["last_success"].is_null());
  EXPECT_FALSE(h["sync"]["resources"].empty());
  EXPECT_TRUE(h["quarantine"]["available"].get<bool>());
  EXPECT_EQ(h["quarantine"]["total"].get<int64_t>(),
            static_cast<int64_t>(
                SqlNum("SELECT COUNT(*) FROM " + warehouse::Warehouse::QualifiedName(p_->RawSchema(), "quarantine"))));
  for (const auto& p : h["products"]) {
    ASSERT_TRUE(p["available"].get<bool>()) << p.dump();
    EXPECT_EQ(p["rows"].get<int64_t>(),
              static_cast<int64_t>(SqlNum("SELECT COUNT(*) FROM " + T(p["table"].get<std::string>()))));
  }
  // Tables the portal does not have: said so, with the command that makes them, never filled in.
  EXPECT_FALSE(h["alerts"]["available"].get<bool>());
  EXPECT_NE(h["alerts"]["message"].get<std::string>().find("not available yet — run revlens alert"), std::string::npos);
  EXPECT_FALSE(h["runs"]["available"].get<bool>());
  const json act = api_->Activity(Wh(), {});
  EXPECT_FALSE(act["analysis"]["available"].get<bool>());
  EXPECT_NE(act["analysis"]["message"].get<std::string>().find("not available yet — run revlens activity"),
            std::string::npos);
}

TEST_P(DashboardApiTest, EveryPageAnswers) {
  for (const auto& page : PageNames()) {
    const json d = api_->Page(page, Wh(), {});
    EXPECT_TRUE(d.is_object()) << page;
    EXPECT_FALSE(d.dump().empty()) << page;
  }
  EXPECT_THROW(api_->Page("nope", Wh(), {}), InvalidInputError);
}

INSTANTIATE_TEST_SUITE_P(Engines, DashboardApiTest, ::testing::Values("duckdb", "postgres"));

TEST(DashboardFilters, ParseAndReject) {
  const Filters f = ParseFilters({{"pipeline", "default"}, {"owner", "81007919"}, {"period", "2026-Q3"}});
  EXPECT_EQ(f.pipeline, "default");
  EXPECT_EQ(f.owner, "81007919");
  EXPECT_EQ(f.period, "2026-Q3");
  EXPECT_THROW(ParseFilters({{"owner", "1 OR 1=1"}}), InvalidInputError);
  EXPECT_THROW(ParseFilters({{"period", "2026-Q5"}}), InvalidInputError);
  EXPECT_THROW(ParseFilters({{"period", "last year"}}), InvalidInputError);
  EXPECT_EQ(ParseFilters({{"period", "all"}}).period, "all");
  EXPECT_EQ(QuarterOf("2026-11-27").Label(), "2026-Q4");
  EXPECT_EQ(ParseQuarter("2026-Q2")->Start(), "2026-04-01");
  EXPECT_EQ(ParseQuarter("2026-Q2")->End(), "2026-06-30");
  EXPECT_EQ(ParseQuarter("2026-Q4")->Start(), "2026-10-01");
}

}  // namespace
}  // namespace revlens::dashboard
