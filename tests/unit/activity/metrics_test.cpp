// The metric definitions of `revlens activity` on a small hand-made warehouse (the marts' columns, a few rows
// each), on DuckDB and on PostgreSQL: calls and connects, emails sent / received / replied, meetings booked /
// held / no-show, notes, tasks completed, first touch on inbound leads, activities per open deal, stale deals, and
// the in-window deal features.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "core/errors.hpp"
#include "insights/activity.hpp"
#include "portal_fixture.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::insights {
namespace {

using warehouse::Column;
using warehouse::ColumnType;
using warehouse::Value;

Value Ts(const char* text) {
  return *warehouse::ParseTimestamp(text);
}
Value Day(const char* text) {
  return *warehouse::ParseDate(text);
}

constexpr const char* kConnected = "f240bbac-87c9-4f6e-bf70-924b57d47db7";
constexpr const char* kNoAnswer = "73a0d17f-1163-4015-bdd5-ec830791da20";

class HandMade {
 public:
  explicit HandMade(const std::string& engine) {
    if (engine == "postgres") {
      const char* url = std::getenv("REVLENS_TEST_POSTGRES_URL");
      if (!url) return;
      wh_ = warehouse::OpenWarehouse(url);
    } else {
      wh_ = warehouse::OpenWarehouse("duckdb://:memory:");
    }
    schema_ = "activity_metrics_" + testing::UniqueSuffix();
    wh_->CreateSchema(schema_);
    Load();
  }
  ~HandMade() {
    if (wh_) wh_->DropSchema(schema_);
  }
  warehouse::Warehouse* Wh() { return wh_.get(); }
  const std::string& Schema() const { return schema_; }

 private:
  void Table(const std::string& name, const std::vector<Column>& columns, const std::vector<std::vector<Value>>& rows) {
    wh_->CreateTable(schema_, name, columns);
    wh_->BulkLoad(schema_, name, columns, rows);
  }
  void Load() {
    const auto T = ColumnType::kText, B = ColumnType::kBigInt, S = ColumnType::kTimestamp, D = ColumnType::kDate,
               F = ColumnType::kDouble, L = ColumnType::kBoolean;
    const Value null;
    const Value ann = std::string("Ann Lee"), east = std::string("East");
    auto eng = [&](int64_t id, const char* type, const char* at, const char* week, const Value& direction,
                   const Value& outcome, const Value& status, const Value& contact, const Value& deal) {
      return std::vector<Value>{std::string(type) + ":" + std::to_string(id),
                                id,
                                std::string(type),
                                Ts(at),
                                Day(week),
                                int64_t{1},
                                ann,
                                east,
                                direction,
                                outcome,
                                status,
                                contact,
                                deal};
    };
    const Value c100 = int64_t{100}, c101 = int64_t{101};
    const Value out = std::string("EMAIL"), in = std::string("INCOMING_EMAIL");
    Table("engagements",
          {{"engagement_key", T},
           {"engagement_id", B},
           {"engagement_type", T},
           {"occurred_at", S},
           {"occurred_week", D},
           {"owner_id", B},
           {"owner_name", T},
           {"team_name", T},
           {"direction", T},
           {"outcome", T},
           {"status", T},
           {"contact_id", B},
           {"deal_id", B}},
          {eng(1, "call", "2026-06-22 10:00:00", "2026-06-22", std::string("OUTBOUND"), std::string(kConnected),
               std::string("COMPLETED"), c100, int64_t{10}),
           eng(2, "call", "2026-06-22 11:00:00", "2026-06-22", std::string("OUTBOUND"), std::string(kNoAnswer),
               std::string("COMPLETED"), c100, null),
           eng(3, "email", "2026-06-23 09:00:00", "2026-06-22", out, null, std::string("SENT"), c100, null),
           eng(4, "email", "2026-06-24 09:00:00", "2026-06-22", in, null, std::string("SENT"), c100, null),
           eng(5, "email", "2026-06-23 10:00:00", "2026-06-22", out, null, std::string("SENT"), c101, null),
           eng(6, "meeting", "2026-06-24 15:00:00", "2026-06-22", null, std::string("COMPLETED"), null, c100,
               int64_t{10}),
           eng(7, "meeting", "2026-06-25 15:00:00", "2026-06-22", null, std::string("NO_SHOW"), null, c101, null),
           eng(8, "meeting", "2026-07-02 15:00:00", "2026-06-29", null, std::string("SCHEDULED"), null, c101, null),
           eng(9, "note", "2026-06-25 12:00:00", "2026-06-22", null, null, null, null, int64_t{12}),
           eng(10, "task", "2026-06-26 12:00:00", "2026-06-22", null, null, std::string("COMPLETED"), null, null),
           eng(11, "task", "2026-06-26 13:00:00", "2026-06-22", null, null, std::string("NOT_STARTED"), null, null),
           eng(13, "meeting", "2026-03-05 00:00:00", "2026-03-02", null, std::string("COMPLETED"), null, int64_t{104},
               int64_t{13}),
           // In deal 13's window too: a cancelled meeting and a reply from another contact are touches, but neither
           // a meeting held nor an outgoing email (the values in any case).
           eng(14, "meeting", "2026-03-02 00:00:00", "2026-03-02", null, std::string("canceled"), null, int64_t{104},
               int64_t{13}),
           eng(15, "email", "2026-03-03 00:00:00", "2026-03-02", std::string("incoming_email"), null, null,
               int64_t{105}, int64_t{13})});
    auto deal = [&](int64_t id, bool open, bool won, const char* created, const Value& closed, double amount) {
      return std::vector<Value>{id,
                                "Deal " + std::to_string(id),
                                std::string("default"),
                                std::string("stage"),
                                int64_t{1},
                                ann,
                                east,
                                open,
                                won,
                                !open && !won,
                                amount,
                                null,
                                Ts(created),
                                closed,
                                int64_t{500},
                                c100};
    };
    Table("deals",
          {{"deal_id", B},
           {"deal_name", T},
           {"pipeline_id", T},
           {"deal_stage_id", T},
           {"owner_id", B},
           {"owner_name", T},
           {"team_name", T},
           {"is_open", L},
           {"is_won", L},
           {"is_lost", L},
           {"amount", F},
           {"cycle_days", F},
           {"deal_created_at", S},
           {"closedate", S},
           {"company_id", B},
           {"contact_id", B}},
          {deal(10, true, false, "2026-06-22 09:00:00", null, 1000),
           deal(11, true, false, "2026-05-01 09:00:00", null, 2000),
           deal(12, true, false, "2026-06-01 09:00:00", null, 3000),
           deal(13, false, true, "2026-03-01 00:00:00", Ts("2026-04-15 00:00:00"), 4000)});
    Table("deal_stage_history", {{"deal_id", B}, {"visit_number", B}, {"is_closed_stage", L}, {"entered_at", S}},
          {{int64_t{13}, int64_t{1}, false, Ts("2026-03-01 00:00:00")},
           {int64_t{13}, int64_t{2}, false, Ts("2026-03-10 00:00:00")},
           {int64_t{13}, int64_t{3}, true, Ts("2026-04-15 00:00:00")}});
    auto contact = [&](int64_t id, const char* source, const char* created) {
      return std::vector<Value>{id, int64_t{1}, ann, east, std::string(source), Ts(created), int64_t{500}};
    };
    Table("contacts",
          {{"contact_id", B},
           {"owner_id", B},
           {"owner_name", T},
           {"team_name", T},
           {"original_source", T},
           {"contact_created_at", S},
           {"company_id", B}},
          {contact(100, "ORGANIC_SEARCH", "2026-06-22 08:00:00"), contact(101, "PAID_SEARCH", "2026-06-22 00:00:00"),
           contact(102, "OFFLINE", "2026-06-22 00:00:00"), contact(103, "DIRECT_TRAFFIC", "2026-06-26 00:00:00")});
    Table("companies", {{"company_id", B}, {"industry", T}, {"size_band", T}},
          {{int64_t{500}, std::string("Software"), std::string("51-200")}});
    Table("int_as_of", {{"as_of_date", D}}, {{Day("2026-06-30")}});
  }
  std::unique_ptr<warehouse::Warehouse> wh_;
  std::string schema_;
};

void CheckMetrics(warehouse::Warehouse& wh, const std::string& schema) {
  ActivityOptions o;
  o.schema = schema;
  o.run_id = "metrics";
  const ActivityData data = LoadActivityData(wh, o);
  EXPECT_EQ(data.as_of, "2026-06-30");
  EXPECT_EQ(data.engagements, 13);  // the meeting after the cutoff is not counted
  ASSERT_EQ(data.deals.size(), 4u);
  const ActivityDeal& d13 = data.deals[3];
  EXPECT_EQ(d13.deal_id, 13);
  EXPECT_EQ(d13.window_meetings, 1);
  EXPECT_EQ(d13.window_touches, 3);
  EXPECT_EQ(d13.window_contacts, 2);
  EXPECT_EQ(d13.window_calls, 0);
  EXPECT_EQ(d13.window_emails_out, 0);
  EXPECT_DOUBLE_EQ(d13.window_longest_gap_days, 10.0);  // from the meeting on day 4 to the window's end
  EXPECT_EQ(d13.window_stage_moves, 1);
  EXPECT_EQ(d13.segment, "Software × 51-200");
  ASSERT_EQ(data.leads.size(), 3u);  // the offline contact is not an inbound lead
  EXPECT_EQ(data.leads[0].contact_id, 100);
  EXPECT_EQ(data.leads[0].owner_name, "Ann Lee");
  EXPECT_EQ(data.leads[0].team_name, "East");
  EXPECT_EQ(data.leads[0].source, "ORGANIC_SEARCH");
  EXPECT_EQ(data.leads[0].segment, "Software × 51-200");
  EXPECT_DOUBLE_EQ(*data.leads[0].first_touch_hours, 2.0);
  EXPECT_TRUE(data.leads[0].became_opportunity);
  EXPECT_DOUBLE_EQ(*data.leads[1].first_touch_hours, 34.0);
  EXPECT_FALSE(data.leads[2].first_touch_hours);

  const ActivityReport r = AnalyzeActivity(data, o);
  const RepWeek* week = nullptr;
  for (const auto& w : r.rep_weeks)
    if (w.week_start == *warehouse::ParseDate("2026-06-22")) week = &w;
  ASSERT_NE(week, nullptr);
  EXPECT_EQ(week->owner_id, 1);
  EXPECT_EQ(week->owner_name, "Ann Lee");
  EXPECT_EQ(week->team_name, "East");
  EXPECT_EQ(week->calls, 2);
  EXPECT_EQ(week->connects, 1);
  EXPECT_EQ(week->emails_sent, 2);
  EXPECT_EQ(week->emails_received, 1);
  EXPECT_EQ(week->emails_replied, 1);
  EXPECT_EQ(week->meetings_booked, 2);
  EXPECT_EQ(week->meetings_held, 1);
  EXPECT_EQ(week->meetings_no_show, 1);
  EXPECT_EQ(week->notes, 1);
  EXPECT_EQ(week->tasks_completed, 1);
  EXPECT_EQ(week->inbound_leads, 3);
  EXPECT_EQ(week->leads_touched, 2);
  EXPECT_EQ(week->leads_touched_in_time, 1);
  EXPECT_DOUBLE_EQ(*week->median_first_touch_hours, 18.0);
  EXPECT_EQ(week->open_deals, 3);                // deals 10, 11 and 12
  EXPECT_EQ(week->activities_on_open_deals, 3);  // the call and meeting on 10, the note on 12
  EXPECT_DOUBLE_EQ(*week->activities_per_open_deal, 1.0);
  // The week of the cutoff: open deals only (the scheduled meeting lies after the cutoff).
  const RepWeek& last = r.rep_weeks.back();
  EXPECT_EQ(last.week_start, *warehouse::ParseDate("2026-06-29"));
  EXPECT_EQ(last.open_deals, 3);
  EXPECT_EQ(last.meetings_booked, 0);
  ASSERT_FALSE(r.team_weeks.empty());
  EXPECT_EQ(r.team_weeks.size(), r.rep_weeks.size());
  // Deal 11 has had nothing for 60 full days; 12 had a note 5 days before the cutoff, 10 a meeting 6 days before.
  ASSERT_EQ(r.stale_deals.size(), 1u);
  EXPECT_EQ(r.stale_deals[0].deal_id, 11);
  EXPECT_EQ(r.stale_deals[0].days_without_activity, 60);
  // Too few deals for any effect.
  for (const auto& e : r.effects) EXPECT_FALSE(e.estimated) << e.pattern;
  // Shorter staleness thresholds catch deal 10 (6 days), then deal 12 (5 days) too.
  ActivityOptions short_stale = o;
  short_stale.stale_days = 5;
  EXPECT_EQ(AnalyzeActivity(data, short_stale).stale_deals.size(), 2u);
  short_stale.stale_days = 4;
  EXPECT_EQ(AnalyzeActivity(data, short_stale).stale_deals.size(), 3u);
  // The tables are written and replaced.
  WriteActivityReport(wh, schema, r);
  WriteActivityReport(wh, schema, r);
  EXPECT_EQ(
      wh.Query("select count(*) from " + warehouse::Warehouse::QualifiedName(schema, "stale_deals")).Scalar<int64_t>(),
      1);
  EXPECT_EQ(wh.Query("select sum(calls) from " + warehouse::Warehouse::QualifiedName(schema, "activity_rep_weekly"))
                .Scalar<int64_t>(),
            2);
}

TEST(ActivityMetrics, HandMadeWarehouseDuckDb) {
  HandMade h("duckdb");
  CheckMetrics(*h.Wh(), h.Schema());
}

TEST(ActivityMetrics, HandMadeWarehousePostgres) {
  HandMade h("postgres");
  if (!h.Wh()) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  CheckMetrics(*h.Wh(), h.Schema());
}

// Simpson's paradox: renewals win more and rarely hold an early meeting; within each pipeline a meeting doubles the
// odds. The raw rates say meetings hurt; the adjusted (standardised) rates, like the odds ratio, say they help, and
// the finding gives the adjusted pair first.
TEST(ActivityMetrics, AdjustedRatesFollowTheOddsRatioWhereTheRawOnesDoNot) {
  ActivityData data;
  data.cutoff_ms = 1782777600000;  // 2026-06-30
  const auto created = std::get<warehouse::Timestamp>(Ts("2026-01-05 09:00:00"));
  int64_t id = 0;
  auto add = [&](const char* pipeline, bool meeting, int deals, int wins) {
    for (int i = 0; i < deals; ++i) {
      ActivityDeal d;
      d.deal_id = ++id;
      d.pipeline_id = pipeline;
      d.segment = "Software × 51-200";
      d.is_won = i < wins;
      d.is_lost = !d.is_won;
      d.amount = 1000;
      d.created_at = created;
      d.closed_at = warehouse::Timestamp{created.micros + (30 + i % 40) * 86400000000LL};  // 30-69 days
      d.window_meetings = meeting ? 1 : 0;
      d.window_touches = 1;
      data.deals.push_back(d);
    }
  };
  add("renewals", true, 60, 54);     // 90% with a meeting
  add("renewals", false, 540, 459);  // 85% without
  add("new", true, 420, 168);        // 40% with
  add("new", false, 180, 45);        // 25% without
  ActivityOptions o;
  const ActivityReport r = AnalyzeActivity(data, o);
  const PatternEffect* em = nullptr;
  for (const auto& e : r.effects)
    if (e.pattern == "early_meeting") em = &e;
  ASSERT_NE(em, nullptr);
  ASSERT_TRUE(em->estimated);
  EXPECT_LT(static_cast<double>(em->successes_with) / static_cast<double>(em->n_with),
            static_cast<double>(em->successes_without) / static_cast<double>(em->n - em->n_with));
  EXPECT_GT(em->odds_ratio, 1.5);
  ASSERT_TRUE(em->adjusted_rate_with && em->adjusted_rate_without);
  // Half the deals in each pipeline: about (90% + 40%) / 2 with, (85% + 25%) / 2 without.
  EXPECT_NEAR(*em->adjusted_rate_with, 0.65, 0.03);
  EXPECT_NEAR(*em->adjusted_rate_without, 0.55, 0.03);
  EXPECT_NE(em->finding.find("adjusted win rate 6"), std::string::npos) << em->finding;
  EXPECT_NE(em->finding.find("raw 46% vs 70%"), std::string::npos) << em->finding;
}

TEST(ActivityMetrics, RejectsBadOptions) {
  ActivityData data;
  ActivityOptions o;
  o.confidence = 1.5;
  EXPECT_THROW(AnalyzeActivity(data, o), InvalidInputError);
  o = ActivityOptions{};
  o.stale_days = 0;
  EXPECT_THROW(AnalyzeActivity(data, o), InvalidInputError);
  o = ActivityOptions{};
  o.response_hours = 0;
  EXPECT_THROW(AnalyzeActivity(data, o), InvalidInputError);
}

TEST(ActivityMetrics, MissingMartsSayWhatToRun) {
  auto wh = warehouse::OpenWarehouse("duckdb://:memory:");
  ActivityOptions o;
  o.schema = "nothing_here";
  try {
    LoadActivityData(*wh, o);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("revlens build"), std::string::npos);
  }
}

}  // namespace
}  // namespace revlens::insights
