// `revlens activity` against the generator's ground truth: on the `demo` portal (DuckDB, built once for the
// binary) the planted early-meeting and multi-threading win multipliers and the slow-first-response opportunity
// multiplier fall inside the reported intervals and are significant; on a `demo` portal generated with effects off no pattern is
// significant at the FDR; the result tables hold what the report says; DuckDB and PostgreSQL agree (`small`).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "insights/activity.hpp"
#include "portal_fixture.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::insights {
namespace {

using warehouse::AsDouble;
using warehouse::AsInt64;
using warehouse::AsString;

testing::BuiltPortal& Demo() {
  static std::unique_ptr<testing::BuiltPortal> p =
      testing::BuiltPortal::Create("duckdb", testing::TestPortalOptions("demo", 8));
  return *p;
}

testing::BuiltPortal& DemoNoEffects() {
  // Two thirds of `demo` (about 900 closed deals): enough power to see the planted sizes, built in less time.
  auto options = testing::TestPortalOptions("demo", 9, /*effects=*/false);
  options.contacts = 13000;
  static std::unique_ptr<testing::BuiltPortal> p = testing::BuiltPortal::Create("duckdb", options);
  return *p;
}

ActivityOptions Options(const testing::BuiltPortal& p) {
  ActivityOptions o;
  o.schema = p.ModelSchema();
  o.run_id = "activity-test";
  o.computed_at_ms = 1782777600000;  // 2026-06-30
  return o;
}

const PatternEffect& Effect(const ActivityReport& r, const std::string& pattern) {
  for (const auto& e : r.effects)
    if (e.pattern == pattern) return e;
  throw std::runtime_error("no effect " + pattern);
}

void Print(const ActivityReport& r, const char* label) {
  std::printf("%s (load %.2f s, analyze %.2f s, write %.2f s)\n", label, r.load_seconds, r.analyze_seconds,
              r.write_seconds);
  for (const auto& e : r.effects)
    std::printf("  %-20s n %6lld with %6lld OR %.3f [%.3f, %.3f] p %.3g q %.3g%s cycle %s\n", e.pattern.c_str(),
                static_cast<long long>(e.n), static_cast<long long>(e.n_with), e.odds_ratio, e.or_low, e.or_high,
                e.p_value, e.q_value, e.significant ? " *" : "",
                e.cycle_ratio ? (std::to_string(*e.cycle_ratio) +
                                 (e.cycle_q_value ? " q " + std::to_string(*e.cycle_q_value) : " (descriptive)"))
                                    .c_str()
                              : "-");
  for (const auto& f : r.TopFindings(3)) std::printf("  > %s\n", f.c_str());
}

TEST(ActivityTruth, PlantedEffectsRecovered) {
  auto& p = Demo();
  const ActivityReport r = RunActivity(p.Wh(), Options(p));
  Print(r, "demo, effects on");
  const auto& truth = p.Truth().at("activity_effects");
  const double early = truth.at("early_meeting").at("odds_multiplier").get<double>();
  const double slow = truth.at("slow_first_response").at("opportunity_odds_multiplier").get<double>();
  const double multi = truth.at("multi_threaded").at("odds_multiplier").get<double>();
  const auto& em = Effect(r, "early_meeting");
  ASSERT_TRUE(em.estimated);
  EXPECT_TRUE(em.significant);
  EXPECT_LE(em.or_low, early);
  EXPECT_GE(em.or_high, early);
  EXPECT_GT(em.n, 300);
  // Multi-threading is chosen after the outcome (a if won, b if lost): odds ratio a(1-b)/(b(1-a)) given any controls.
  const auto& mt = Effect(r, "multi_threaded");
  ASSERT_TRUE(mt.estimated);
  EXPECT_TRUE(mt.significant) << mt.finding;
  EXPECT_LE(mt.or_low, multi);
  EXPECT_GE(mt.or_high, multi);
  EXPECT_GT(mt.n_with, 100);
  const auto& sr = Effect(r, "slow_first_response");
  ASSERT_TRUE(sr.estimated);
  EXPECT_TRUE(sr.significant);
  EXPECT_LE(sr.or_low, slow);
  EXPECT_GE(sr.or_high, slow);
  EXPECT_EQ(sr.outcome, "opportunity");
  // Nothing was planted on cycle length.
  for (const auto& e : r.effects) EXPECT_FALSE(e.cycle_significant) << e.pattern;
  // The top finding speaks plainly about the strongest planted effect.
  const auto findings = r.TopFindings();
  ASSERT_FALSE(findings.empty());
  EXPECT_NE(findings.front().find("× the odds"), std::string::npos) << findings.front();
}

TEST(ActivityTruth, RepEarlyMeetingRatesTrackTheirHabits) {
  // Each rep's planted early-meeting habit (the probability a new-business deal gets a meeting in its first 14
  // days) against the rate the rep view measures: they must move together.
  auto& p = Demo();
  const ActivityReport r = RunActivity(p.Wh(), Options(p), /*write=*/false);
  std::map<int64_t, double> habit;
  for (const auto& rep : p.Truth().at("activity_effects").at("reps"))
    habit[rep.at("owner_id").get<int64_t>()] = rep.at("early_meeting_rate").get<double>();
  std::vector<std::pair<double, double>> pairs;
  for (const auto& g : r.rep_gaps)
    if (g.metric == "early_meeting" && g.owner_id && habit.count(*g.owner_id) && g.n >= 20)
      pairs.emplace_back(habit[*g.owner_id], g.rep_value);
  ASSERT_GE(pairs.size(), 5u);
  double mx = 0, my = 0;
  for (const auto& [x, y] : pairs) mx += x, my += y;
  mx /= static_cast<double>(pairs.size());
  my /= static_cast<double>(pairs.size());
  double sxy = 0, sxx = 0, syy = 0;
  for (const auto& [x, y] : pairs) sxy += (x - mx) * (y - my), sxx += (x - mx) * (x - mx), syy += (y - my) * (y - my);
  const double corr = sxy / std::sqrt(sxx * syy);
  std::printf("reps %zu, correlation of measured early-meeting rate with the planted habit %.3f\n", pairs.size(), corr);
  EXPECT_GT(corr, 0.6);
}

TEST(ActivityTruth, TablesHoldTheReport) {
  auto& p = Demo();
  const ActivityReport r = RunActivity(p.Wh(), Options(p));
  auto& wh = p.Wh();
  const std::string cut = "timestamp '" + r.as_of + " 00:00:00' + interval '1 day'";
  // Weekly rows add up to the engagements mart.
  const auto totals = wh.Query(
      "select sum(calls), sum(emails_sent) + sum(emails_received), sum(meetings_booked), "
      "sum(notes), count(distinct run_id), min(run_id) from " +
      p.T("activity_rep_weekly"));
  const auto mart = wh.Query(
      "select sum(case when engagement_type = 'call' then 1 else 0 end), sum(case when engagement_type = 'email' "
      "then 1 else 0 end), sum(case when engagement_type = 'meeting' then 1 else 0 end), sum(case when "
      "engagement_type = 'note' then 1 else 0 end) from " +
      p.T("engagements") + " where occurred_at < " + cut);
  for (size_t k = 0; k < 4; ++k) EXPECT_EQ(AsInt64(totals.rows[0][k]), AsInt64(mart.rows[0][k])) << k;
  EXPECT_EQ(AsInt64(totals.rows[0][4]), 1);
  EXPECT_EQ(AsString(totals.rows[0][5]), "activity-test");
  // Connects are a subset of calls, replies of sent emails, held and no-shows of booked meetings.
  const auto bad = wh.Query("select count(*) from " + p.T("activity_rep_weekly") +
                            " where connects > calls or emails_replied > emails_sent or meetings_held + "
                            "meetings_no_show > meetings_booked or leads_touched > inbound_leads");
  EXPECT_EQ(bad.Scalar<int64_t>(), 0);
  const auto sums = wh.Query(
      "select sum(connects), sum(emails_replied), sum(meetings_held), sum(tasks_completed), "
      "sum(inbound_leads), sum(open_deals) from " +
      p.T("activity_rep_weekly"));
  for (size_t k = 0; k < 6; ++k) EXPECT_GT(AsInt64(sums.rows[0][k]), 0) << k;
  // Team weeks are the sums of rep weeks.
  EXPECT_EQ(wh.Query("select sum(calls) from " + p.T("activity_team_weekly")).Scalar<int64_t>(),
            AsInt64(totals.rows[0][0]));
  // Effects and stale deals as reported.
  EXPECT_EQ(wh.Query("select count(*) from " + p.T("activity_effects")).Scalar<int64_t>(),
            static_cast<int64_t>(r.effects.size()));
  const auto em =
      wh.Query("select odds_ratio, significant from " + p.T("activity_effects") + " where pattern = 'early_meeting'");
  EXPECT_DOUBLE_EQ(AsDouble(em.rows[0][0]), Effect(r, "early_meeting").odds_ratio);
  EXPECT_EQ(wh.Query("select count(*) from " + p.T("stale_deals")).Scalar<int64_t>(),
            static_cast<int64_t>(r.stale_deals.size()));
  const auto stale_ok = wh.Query("select count(*) from " + p.T("stale_deals") + " as s join " + p.T("deals") +
                                 " as d on d.deal_id = s.deal_id where d.is_open and s.days_without_activity > 14");
  EXPECT_EQ(stale_ok.Scalar<int64_t>(), static_cast<int64_t>(r.stale_deals.size()));
  EXPECT_GT(r.stale_deals.size(), 0u);
  EXPECT_GT(wh.Query("select count(*) from " + p.T("activity_rep_gaps") + " where gap_rank = 1").Scalar<int64_t>(), 0);
  // A second run replaces the first.
  ActivityOptions again = Options(p);
  again.run_id = "activity-test-2";
  again.stale_days = 30;
  const ActivityReport r2 = RunActivity(wh, again);
  EXPECT_EQ(wh.Query("select count(distinct run_id) from " + p.T("stale_deals")).Scalar<int64_t>(),
            r2.stale_deals.empty() ? 0 : 1);
  EXPECT_LE(r2.stale_deals.size(), r.stale_deals.size());
}

TEST(ActivityTruth, NothingSignificantWithoutEffects) {
  auto& p = DemoNoEffects();
  ASSERT_FALSE(p.Truth().at("effects").get<bool>());
  const ActivityReport r = RunActivity(p.Wh(), Options(p), /*write=*/false);
  Print(r, "demo, effects off");
  size_t estimated = 0;
  for (const auto& e : r.effects) {
    estimated += e.estimated;
    EXPECT_FALSE(e.significant) << e.finding;
    EXPECT_FALSE(e.cycle_significant) << e.finding;
  }
  EXPECT_GE(estimated, 4u);
  // The pattern occurs (at the same rate whatever the outcome), so it is estimated, and found to be nothing.
  EXPECT_TRUE(Effect(r, "multi_threaded").estimated);
}

/// A result table as sorted text rows, for comparing engines.
std::vector<std::string> Rows(warehouse::Warehouse& wh, const std::string& sql) {
  std::vector<std::string> out;
  for (const auto& row : wh.Query(sql).rows) {
    std::string line;
    for (const auto& v : row) {
      if (const double* d = std::get_if<double>(&v)) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.6g", *d);
        line += buf;
      } else {
        line += warehouse::ToString(v);
      }
      line += '|';
    }
    out.push_back(std::move(line));
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ActivityEngines, DuckDbAndPostgresAgree) {
  if (!std::getenv("REVLENS_TEST_POSTGRES_URL")) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  const auto opts = testing::TestPortalOptions("small", 5);
  auto duck = testing::BuiltPortal::Create("duckdb", opts);
  auto pg = testing::BuiltPortal::Create("postgres", opts);
  ASSERT_TRUE(pg);
  ActivityOptions o = Options(*duck);
  o.stale_days = 3;  // the small portal has few long-quiet open deals
  RunActivity(duck->Wh(), o);
  o.schema = pg->ModelSchema();
  RunActivity(pg->Wh(), o);
  for (const char* table :
       {"activity_rep_weekly", "activity_team_weekly", "activity_effects", "activity_rep_gaps", "stale_deals"}) {
    const auto a = Rows(duck->Wh(), "select * from " + duck->T(table));
    const auto b = Rows(pg->Wh(), "select * from " + pg->T(table));
    EXPECT_GT(a.size(), 0u) << table;
    EXPECT_EQ(a, b) << table;
  }
}

}  // namespace
}  // namespace revlens::insights
