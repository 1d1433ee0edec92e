// AnalyzeCompetition on hand-made deals and mentions: involvement, the baseline's pipelines, win rates and their
// comparison, loss reasons, reps, months, latest mentions, the open-deal list for the write-back.
#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.hpp"
#include "insights/compete.hpp"
#include "insights/stats.hpp"

namespace revlens::insights {
namespace {

using warehouse::Timestamp;

Timestamp At(int y, int m, int d) {
  return *warehouse::ParseTimestamp(std::to_string(y) + "-" + (m < 10 ? "0" : "") + std::to_string(m) + "-" +
                                    (d < 10 ? "0" : "") + std::to_string(d) + " 12:00:00");
}

CompeteDeal Deal(int64_t id, const std::string& pipeline, int status, int64_t owner, double amount, double cycle) {
  CompeteDeal d;
  d.deal_id = id;
  d.pipeline_id = pipeline;
  d.owner_id = owner;
  d.owner_name = "Rep " + std::to_string(owner);
  d.is_open = status == 0;
  d.is_won = status == 1;
  d.is_lost = status == 2;
  d.amount = amount;
  d.created_at = At(2026, 1, 10);
  if (!d.is_open) {
    d.closed_at = At(2026, 3, 5);
    d.cycle_days = cycle;
  }
  return d;
}

MentionRecord Mention(size_t competitor, const std::string& name, std::optional<int64_t> deal, const std::string& source,
                      const std::string& field, Timestamp at, std::optional<int64_t> engagement = std::nullopt) {
  MentionRecord m;
  m.competitor = competitor;
  m.competitor_name = name;
  m.deal_id = deal;
  m.source = source;
  m.field = field;
  m.mentioned_at = at;
  m.engagement_id = engagement;
  m.matched_text = name;
  m.snippet = "... " + name + " ...";
  return m;
}

struct Data {
  std::vector<CompeteDeal> deals;
  std::vector<MentionRecord> mentions;
};

Data Make() {
  Data x;
  int64_t id = 1;
  // 10 closed deals against Acme (property), 3 won, all owned by rep 7; losses mostly "Price".
  for (int i = 0; i < 10; ++i) {
    auto d = Deal(id, "default", i < 3 ? 1 : 2, 7, 1000 * (i + 1), 60 + i);
    d.competitor_property = "Acme";
    if (d.is_lost) d.loss_reason = i < 8 ? "Price" : "Timing";
    x.deals.push_back(d);
    x.mentions.push_back(Mention(0, "Acme", id, "deal_property", "competitor", At(2026, 1, 10)));
    ++id;
  }
  // 20 closed deals with no competitor in the same pipeline, 10 won (rep 7 wins 5 of 10, rep 8 5 of 10).
  for (int i = 0; i < 20; ++i) x.deals.push_back(Deal(id++, "default", i % 2 ? 1 : 2, i < 10 ? 7 : 8, 1000 * (i + 1), 40 + i));
  // 20 renewals, all won, no competitor: not part of the baseline.
  for (int i = 0; i < 20; ++i) x.deals.push_back(Deal(id++, "renewals", 1, 8, 500, 30));
  // An open deal where Acme comes up in a note, twice.
  x.deals.push_back(Deal(id, "default", 0, 8, 5000, 0));
  x.mentions.push_back(Mention(0, "Acme", id, "note", "body", At(2026, 4, 2), 900));
  x.mentions.push_back(Mention(0, "Acme", id, "email", "body", At(2026, 5, 20), 901));
  ++id;
  // A lost deal whose loss reason names Beta.
  auto b = Deal(id, "default", 2, 8, 2000, 50);
  b.loss_reason = "Lost to Beta";
  x.deals.push_back(b);
  x.mentions.push_back(Mention(1, "Beta", id, "deal_property", "closed_lost_reason", At(2026, 3, 5)));
  ++id;
  // A contact-level mention with no deal, and one naming a deal that is gone.
  x.mentions.push_back(Mention(1, "Beta", std::nullopt, "note", "body", At(2026, 6, 1), 902));
  x.mentions.push_back(Mention(1, "Beta", 999999, "call", "body", At(2026, 2, 1), 903));
  return x;
}

CompeteOptions Options() {
  CompeteOptions o;
  o.run_id = "r1";
  o.computed_at_ms = 1782777600000;
  return o;
}

TEST(CompeteAnalysis, InvolvementBaselineAndWinRates) {
  const Data x = Make();
  const CompeteReport r = AnalyzeCompetition(x.deals, x.mentions, {"Acme", "Beta", "Gamma"}, Options());
  EXPECT_EQ(r.run_id, "r1");
  EXPECT_EQ(r.baseline.pipelines, std::vector<std::string>{"default"});
  EXPECT_EQ(r.baseline.closed, 20);
  EXPECT_EQ(r.baseline.won, 10);
  EXPECT_DOUBLE_EQ(r.baseline.win_rate, 0.5);
  ASSERT_EQ(r.competitors.size(), 3u);
  const auto& a = r.competitors[0];
  EXPECT_EQ(a.competitor, "Acme");
  EXPECT_EQ(a.deals_involved, 11);
  EXPECT_EQ(a.deals_by_property, 10);
  EXPECT_EQ(a.deals_by_mention, 1);
  EXPECT_EQ(a.open_deals, 1);
  EXPECT_EQ(a.mentions, 12);
  EXPECT_EQ(a.closed, 10);
  EXPECT_EQ(a.won, 3);
  EXPECT_DOUBLE_EQ(a.win_rate, 0.3);
  const Interval ci = WilsonInterval(3, 10);
  EXPECT_DOUBLE_EQ(a.ci_low, ci.low);
  EXPECT_DOUBLE_EQ(a.ci_high, ci.high);
  ASSERT_TRUE(a.win_rate_diff);
  EXPECT_NEAR(*a.win_rate_diff, -0.2, 1e-12);
  EXPECT_LT(*a.diff_low, -0.2);
  EXPECT_GT(*a.diff_high, -0.2);
  EXPECT_DOUBLE_EQ(a.p_value, FisherExactTwoSided(3, 7, 10, 10));
  EXPECT_FALSE(a.significant);  // 10 deals are not enough to tell 30% from 50%
  // Loss reasons, most frequent first.
  ASSERT_EQ(a.loss_reasons.size(), 2u);
  EXPECT_EQ(a.loss_reasons[0], (std::pair<std::string, int64_t>{"Price", 5}));
  EXPECT_EQ(a.loss_reasons[1], (std::pair<std::string, int64_t>{"Timing", 2}));
  // Reps: rep 7 closed all ten, won three; on baseline deals rep 7 won 5 of 10.
  ASSERT_EQ(a.reps.size(), 1u);
  EXPECT_EQ(a.reps[0].owner_id, 7);
  EXPECT_EQ(a.reps[0].won, 3);
  EXPECT_DOUBLE_EQ(*a.reps[0].baseline_win_rate, 0.5);
  // Latest engagement mentions, newest first (deal-property mentions are not "latest mentions").
  ASSERT_EQ(a.latest.size(), 2u);
  EXPECT_EQ(a.latest[0].engagement_id, 901);
  EXPECT_EQ(a.latest[1].engagement_id, 900);
  EXPECT_EQ(*a.last_mentioned_at, At(2026, 5, 20));
  // Months: January (created + property mentions), March (closes), April and May (mentions).
  ASSERT_EQ(a.months.size(), 4u);
  EXPECT_EQ(warehouse::FormatDate(a.months[0].month), "2026-01-01");
  EXPECT_EQ(a.months[0].deals_created, 11);
  EXPECT_EQ(a.months[0].mentions, 10);
  EXPECT_EQ(a.months[0].deals_mentioned, 10);
  EXPECT_EQ(warehouse::FormatDate(a.months[1].month), "2026-03-01");
  EXPECT_EQ(a.months[1].closed, 10);
  EXPECT_EQ(a.months[1].won, 3);
  EXPECT_EQ(a.months[3].mentions, 1);
  // Deal size and cycle: compared with the baseline's deals.
  ASSERT_TRUE(a.amount_ratio);
  EXPECT_LT(*a.amount_ratio_low, *a.amount_ratio);
  EXPECT_GT(*a.amount_ratio_high, *a.amount_ratio);
  ASSERT_TRUE(a.cycle_ratio);
  EXPECT_GT(*a.cycle_ratio, 1.0);  // 60-69 days against 40-59
  // Beta: one lost deal by its loss reason; the contact-level and orphan mentions still count as mentions.
  const auto& b = r.competitors[1];
  EXPECT_EQ(b.competitor, "Beta");
  EXPECT_EQ(b.deals_involved, 1);
  EXPECT_EQ(b.deals_by_mention, 1);
  EXPECT_EQ(b.mentions, 3);
  EXPECT_EQ(b.closed, 1);
  EXPECT_EQ(b.won, 0);
  EXPECT_FALSE(b.amount_ratio);  // one deal: no interval
  // Gamma: never seen.
  const auto& g = r.competitors[2];
  EXPECT_EQ(g.deals_involved, 0);
  EXPECT_FALSE(g.win_rate_diff);
  EXPECT_EQ(g.p_value, 1);
  EXPECT_FALSE(g.significant);
  // Open deals with competitors, for the revlens_competitors write-back.
  ASSERT_EQ(r.deal_competitors.size(), 1u);
  EXPECT_EQ(r.deal_competitors[0].second, "Acme");
}

TEST(CompeteAnalysis, SeveralCompetitorsOnOneOpenDealAreJoined) {
  Data x = Make();
  const int64_t open_id = x.deals[50].deal_id;
  ASSERT_TRUE(x.deals[50].is_open);
  x.mentions.push_back(Mention(2, "Gamma", open_id, "call", "body", At(2026, 6, 2), 904));
  x.mentions.push_back(Mention(1, "Beta", open_id, "meeting", "title", At(2026, 6, 3), 905));
  const CompeteReport r = AnalyzeCompetition(x.deals, x.mentions, {"Acme", "Beta", "Gamma"}, Options());
  ASSERT_EQ(r.deal_competitors.size(), 1u);
  EXPECT_EQ(r.deal_competitors[0].second, "Acme;Beta;Gamma");
}

TEST(CompeteAnalysis, StrongEffectIsSignificant) {
  std::vector<CompeteDeal> deals;
  std::vector<MentionRecord> mentions;
  for (int64_t i = 0; i < 400; ++i) {
    const bool comp = i < 200;
    const bool won = comp ? i % 5 == 0 : i % 2 == 0;  // 20% against 50%
    deals.push_back(Deal(i + 1, "default", won ? 1 : 2, 1, 1000, 30));
    if (comp) mentions.push_back(Mention(0, "Acme", i + 1, "note", "body", At(2026, 2, 1), 1000 + i));
  }
  const CompeteReport r = AnalyzeCompetition(deals, mentions, {"Acme"}, Options());
  EXPECT_TRUE(r.competitors[0].significant);
  EXPECT_LT(*r.competitors[0].diff_high, 0);
  EXPECT_LT(r.competitors[0].q_value, 1e-6);
}

TEST(CompeteAnalysis, RejectsBadOptions) {
  CompeteOptions o = Options();
  o.confidence = 1.5;
  EXPECT_THROW(AnalyzeCompetition({}, {}, {"A"}, o), InvalidInputError);
  o = Options();
  o.fdr = 0;
  EXPECT_THROW(AnalyzeCompetition({}, {}, {"A"}, o), InvalidInputError);
  o = Options();
  o.min_pipeline_share = -1;
  EXPECT_THROW(AnalyzeCompetition({}, {}, {"A"}, o), InvalidInputError);
  MentionRecord m;
  m.competitor = 3;
  EXPECT_THROW(AnalyzeCompetition({}, {m}, {"A"}, Options()), InvalidInputError);
}

TEST(CompeteAnalysis, DealPropertiesAreScanned) {
  std::vector<CompetitorEntry> dict(2);
  dict[0].name = "Acme";
  dict[1].name = "PipeDrift";
  const MentionScanner s(dict);
  std::vector<CompeteDeal> deals(3);
  deals[0].deal_id = 1;
  deals[0].competitor_property = "acme";
  deals[0].created_at = At(2026, 1, 1);
  deals[1].deal_id = 2;
  deals[1].loss_reason = "Went with Acme on price";
  deals[1].is_lost = true;
  deals[1].closed_at = At(2026, 2, 1);
  deals[2].deal_id = 3;
  deals[2].competitor_property = "pipe  drift";  // two spaces: not a match, but it names PipeDrift exactly
  const auto m = ScanDealProperties(s, deals);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].field, "competitor");
  EXPECT_EQ(m[0].competitor_name, "Acme");
  EXPECT_EQ(*m[0].mentioned_at, At(2026, 1, 1));
  EXPECT_EQ(m[1].field, "closed_lost_reason");
  EXPECT_EQ(m[1].matched_text, "Acme");
  EXPECT_EQ(m[1].offset, 10);
  EXPECT_EQ(*m[1].mentioned_at, At(2026, 2, 1));
  EXPECT_EQ(m[2].competitor_name, "PipeDrift");
  EXPECT_EQ(m[2].matched_text, "pipe  drift");
  EXPECT_EQ(m[2].source, "deal_property");
}

}  // namespace
}  // namespace revlens::insights
