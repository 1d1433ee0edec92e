// `revlens compete` against the generator's ground truth on the `demo` portal (DuckDB, built once for the
// binary): mention detection precision and recall (traps included) with the dictionary a user would write (names
// and aliases: misspellings are left to the edit-distance-1 rule), with configured misspellings and no variants,
// and seeded from the deal property alone; deal involvement; win rates against each competitor within their
// intervals of the planted rates; the result tables. Then DuckDB against PostgreSQL on a `small` portal.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "insights/compete.hpp"
#include "portal_fixture.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::insights {
namespace {

using warehouse::AsInt64;
using warehouse::AsString;

testing::BuiltPortal& Demo() {
  static std::unique_ptr<testing::BuiltPortal> p = testing::BuiltPortal::Create("duckdb", testing::TestPortalOptions("demo", 8));
  return *p;
}

/// The dictionary a user writes: names and aliases from the truth, optionally its misspellings.
std::vector<CompetitorEntry> TruthDictionary(const nlohmann::json& truth, bool misspellings) {
  std::vector<CompetitorEntry> out;
  for (const auto& c : truth.at("competitors")) {
    CompetitorEntry e;
    e.name = c.at("name").get<std::string>();
    e.aliases = c.at("aliases").get<std::vector<std::string>>();
    if (misspellings) e.misspellings = c.at("misspellings").get<std::vector<std::string>>();
    out.push_back(std::move(e));
  }
  return out;
}

using Key = std::tuple<std::string, int64_t, std::string>;  // source, engagement id, competitor

std::set<Key> TruthMentions(const nlohmann::json& truth) {
  static const std::map<std::string, std::string> kSource = {
      {"notes", "note"}, {"emails", "email"}, {"calls", "call"}, {"meetings", "meeting"}};
  const auto& m = truth.at("competitor_mentions");
  std::set<Key> out;
  for (size_t i = 0; i < m.at("engagement_id").size(); ++i)
    out.emplace(kSource.at(m.at("object_type")[i].get<std::string>()), m.at("engagement_id")[i].get<int64_t>(),
                m.at("competitor")[i].get<std::string>());
  return out;
}

std::set<Key> Detected(const std::vector<MentionRecord>& mentions) {
  std::set<Key> out;
  for (const auto& m : mentions)
    if (m.engagement_id) out.emplace(m.source, *m.engagement_id, m.competitor_name);
  return out;
}

struct Quality {
  double precision = 0, recall = 0;
  size_t truth = 0, detected = 0, hits = 0;
};

Quality Compare(const std::set<Key>& truth, const std::set<Key>& detected, const char* label) {
  Quality q;
  q.truth = truth.size();
  q.detected = detected.size();
  for (const auto& k : detected) q.hits += truth.count(k);
  q.precision = q.detected ? static_cast<double>(q.hits) / static_cast<double>(q.detected) : 0;
  q.recall = q.truth ? static_cast<double>(q.hits) / static_cast<double>(q.truth) : 0;
  std::printf("%-32s truth %zu detected %zu hits %zu: precision %.4f recall %.4f\n", label, q.truth, q.detected, q.hits,
              q.precision, q.recall);
  int shown = 0;
  for (const auto& k : detected)
    if (!truth.count(k) && shown++ < 5)
      std::printf("  false positive: %s %lld %s\n", std::get<0>(k).c_str(), static_cast<long long>(std::get<1>(k)),
                  std::get<2>(k).c_str());
  shown = 0;
  for (const auto& k : truth)
    if (!detected.count(k) && shown++ < 5)
      std::printf("  missed: %s %lld %s\n", std::get<0>(k).c_str(), static_cast<long long>(std::get<1>(k)),
                  std::get<2>(k).c_str());
  return q;
}

CompeteOptions Options(const testing::BuiltPortal& p, std::vector<CompetitorEntry> dictionary) {
  CompeteOptions o;
  o.schema = p.ModelSchema();
  o.dictionary = std::move(dictionary);
  o.run_id = "compete-test";
  o.computed_at_ms = 1782777600000;  // 2026-06-30
  return o;
}

TEST(CompeteTruth, MentionsWithNamesAndAliases) {
  auto& p = Demo();
  const CompeteReport r = RunCompete(p.Wh(), Options(p, TruthDictionary(p.Truth(), false)));
  // Read back what the table holds: the product's output is the table.
  const auto rs = p.Wh().Query("select source, engagement_id, competitor, run_id from " + p.T("competitor_mentions") +
                               " where engagement_id is not null");
  std::set<Key> detected;
  for (const auto& row : rs.rows) {
    detected.emplace(AsString(row[0]), AsInt64(row[1]), AsString(row[2]));
    ASSERT_EQ(AsString(row[3]), "compete-test");
  }
  EXPECT_EQ(detected, Detected(r.mentions));
  const Quality q = Compare(TruthMentions(p.Truth()), detected, "names + aliases (+ variants)");
  EXPECT_GE(q.truth, 500u);
  EXPECT_GE(q.precision, 0.98);
  EXPECT_GE(q.recall, 0.98);
  // Every misspelling form the generator writes was found through the edit-distance-1 rule.
  size_t variants = 0;
  for (const auto& m : r.mentions) variants += m.kind == MatchKind::kVariant;
  EXPECT_GT(variants, 20u);
}

TEST(CompeteTruth, MentionsWithConfiguredMisspellingsOnly) {
  auto& p = Demo();
  CompeteOptions o = Options(p, TruthDictionary(p.Truth(), true));
  o.scanner.fuzzy = false;
  const CompeteReport r = RunCompete(p.Wh(), o, /*write=*/false);
  const Quality q = Compare(TruthMentions(p.Truth()), Detected(r.mentions), "configured misspellings, no variants");
  EXPECT_GE(q.precision, 0.98);
  EXPECT_GE(q.recall, 0.98);
}

TEST(CompeteTruth, SeededFromTheDealPropertyAlone) {
  // No configuration: the dictionary is the competitor property's values. Aliases are unknown then, so recall is
  // lower, but what is found is right.
  auto& p = Demo();
  const CompeteReport r = RunCompete(p.Wh(), Options(p, {}), /*write=*/false);
  std::set<std::string> names;
  for (const auto& e : r.dictionary) {
    names.insert(e.name);
    EXPECT_EQ(e.origin, "deal_property");
  }
  std::set<std::string> truth_names;
  for (const auto& c : p.Truth().at("competitors")) truth_names.insert(c.at("name").get<std::string>());
  EXPECT_EQ(names, truth_names);
  const Quality q = Compare(TruthMentions(p.Truth()), Detected(r.mentions), "seeded from the deal property");
  EXPECT_GE(q.precision, 0.98);
  EXPECT_GE(q.recall, 0.6);
}

TEST(CompeteTruth, DealInvolvementAndWinRates) {
  auto& p = Demo();
  const CompeteReport r = RunCompete(p.Wh(), Options(p, TruthDictionary(p.Truth(), false)), /*write=*/false);
  const auto& truth = p.Truth();
  // Involvement: the truth's competitive deals against the deals the product ties to each competitor.
  std::map<int64_t, std::string> truth_comp;
  for (const auto& c : truth.at("competitors"))
    for (const auto& id : c.at("deal_ids")) truth_comp[id.get<int64_t>()] = c.at("name").get<std::string>();
  std::map<int64_t, std::set<std::string>> found;
  for (const auto& m : r.mentions)
    if (m.deal_id) found[*m.deal_id].insert(m.competitor_name);
  const auto live = p.Wh().Query("select deal_id from " + p.T("deals"));
  size_t truth_live = 0, truth_found = 0, extra = 0;
  for (const auto& row : live.rows) {
    const int64_t id = AsInt64(row[0]);
    const auto t = truth_comp.find(id);
    const auto f = found.find(id);
    if (t != truth_comp.end()) {
      ++truth_live;
      truth_found += f != found.end() && f->second.count(t->second);
    }
    if (f != found.end()) extra += t == truth_comp.end() || f->second.size() > 1;
  }
  std::printf("competitive live deals %zu, found %zu; deals with a wrong or extra competitor %zu\n", truth_live,
              truth_found, extra);
  EXPECT_GE(static_cast<double>(truth_found), 0.95 * static_cast<double>(truth_live));
  EXPECT_LE(static_cast<double>(extra), 0.02 * static_cast<double>(truth_live));

  // Win rates: the planted rate (mean true win probability of new-business deals against it) inside the interval.
  std::printf("baseline: %lld closed, win rate %.3f (%.3f-%.3f); planted %.3f\n",
              static_cast<long long>(r.baseline.closed), r.baseline.win_rate, r.baseline.ci_low, r.baseline.ci_high,
              truth.at("no_competitor_win_rate").get<double>());
  EXPECT_EQ(r.baseline.pipelines, std::vector<std::string>{"default"});
  const double planted_base = truth.at("no_competitor_win_rate").get<double>();
  EXPECT_GE(planted_base, r.baseline.ci_low);
  EXPECT_LE(planted_base, r.baseline.ci_high);
  std::map<std::string, const CompetitorStats*> by_name;
  for (const auto& s : r.competitors) by_name[s.competitor] = &s;
  for (const auto& c : truth.at("competitors")) {
    const std::string name = c.at("name").get<std::string>();
    ASSERT_TRUE(by_name.count(name)) << name;
    const auto& s = *by_name.at(name);
    const double planted = c.at("win_rate").get<double>();
    std::printf("%-11s deals %lld closed %lld win %.3f (%.3f-%.3f) planted %.3f odds x%.2f; diff %+.3f (%+.3f..%+.3f) "
                "q %.3g; size x%.2f; cycle x%.2f (%.2f-%.2f) planted x%.2f\n",
                name.c_str(), static_cast<long long>(s.deals_involved), static_cast<long long>(s.closed), s.win_rate,
                s.ci_low, s.ci_high, planted, c.at("odds_multiplier").get<double>(), s.win_rate_diff.value_or(0),
                s.diff_low.value_or(0), s.diff_high.value_or(0), s.q_value, s.amount_ratio.value_or(0),
                s.cycle_ratio.value_or(0), s.cycle_ratio_low.value_or(0), s.cycle_ratio_high.value_or(0), 0.0);
    EXPECT_GE(s.closed, 30) << name;
    EXPECT_GE(planted, s.ci_low) << name;
    EXPECT_LE(planted, s.ci_high) << name;
  }
  // The strongest planted effect (Forecastly: odds x0.45) is found, and it is a loss.
  const auto& fc = *by_name.at("Forecastly");
  EXPECT_TRUE(fc.significant);
  EXPECT_LT(*fc.win_rate_diff, 0);
  EXPECT_LT(*fc.diff_high, 0);
}

TEST(CompeteTruth, ResultTables) {
  auto& p = Demo();
  CompeteOptions o = Options(p, TruthDictionary(p.Truth(), false));
  o.run_id = "compete-first";
  RunCompete(p.Wh(), o);
  o.run_id = "compete-second";
  const CompeteReport r = RunCompete(p.Wh(), o);
  auto& wh = p.Wh();
  // Replaced per run: only the second run's rows remain.
  for (const char* t : {"competitor_mentions", "competitor_stats", "competitor_loss_reasons", "competitor_monthly",
                        "competitor_reps", "competitor_dictionary", "deal_competitors"}) {
    const auto rs = wh.Query("select distinct run_id from " + p.T(t));
    ASSERT_EQ(rs.RowCount(), 1u) << t;
    EXPECT_EQ(AsString(rs.rows[0][0]), "compete-second") << t;
  }
  EXPECT_EQ(wh.Query("select count(*) from " + p.T("competitor_mentions")).Scalar<int64_t>(),
            static_cast<int64_t>(r.mentions.size()));
  EXPECT_EQ(wh.Query("select count(*) from " + p.T("competitor_stats")).Scalar<int64_t>(), 5);
  // deal_competitors: open deals only, one row each, names from the dictionary.
  const auto dc = wh.Query("select c.deal_id, c.competitors, d.is_open from " + p.T("deal_competitors") +
                           " as c left join " + p.T("deals") + " as d on d.deal_id = c.deal_id");
  EXPECT_GT(dc.RowCount(), 10u);
  std::set<int64_t> ids;
  for (const auto& row : dc.rows) {
    EXPECT_TRUE(ids.insert(AsInt64(row[0])).second);
    EXPECT_TRUE(warehouse::AsBool(row[2]));
    EXPECT_FALSE(AsString(row[1]).empty());
  }
  EXPECT_EQ(dc.RowCount(), r.deal_competitors.size());
  // Stats agree with the mentions table on the number of mentions.
  const auto st = wh.Query("select s.competitor, s.mentions, (select count(*) from " + p.T("competitor_mentions") +
                           " as m where m.competitor = s.competitor) from " + p.T("competitor_stats") + " as s");
  for (const auto& row : st.rows) EXPECT_EQ(AsInt64(row[1]), AsInt64(row[2])) << AsString(row[0]);
  // Loss-reason shares add up to one per competitor with lost deals.
  const auto lr = wh.Query("select competitor, sum(share) from " + p.T("competitor_loss_reasons") + " group by competitor");
  for (const auto& row : lr.rows) EXPECT_NEAR(warehouse::AsDouble(row[1]), 1.0, 1e-9);
  // Snippets contain what was matched.
  const auto sn = wh.Query("select matched_text, snippet from " + p.T("competitor_mentions") + " limit 200");
  for (const auto& row : sn.rows) EXPECT_NE(AsString(row[1]).find(AsString(row[0])), std::string::npos);
  // The JSON report parses and names every competitor.
  const auto j = nlohmann::json::parse(r.ToJson());
  EXPECT_EQ(j.at("competitors").size(), 5u);
}

/// A result table as sorted text rows, for comparing engines.
std::vector<std::string> Rows(warehouse::Warehouse& wh, const std::string& sql) {
  std::vector<std::string> out;
  for (const auto& row : wh.Query(sql).rows) {
    std::string line;
    for (const auto& v : row) {
      if (const double* d = std::get_if<double>(&v)) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.9g", *d);
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

TEST(CompeteEngines, DuckDbAndPostgresAgree) {
  if (!std::getenv("REVLENS_TEST_POSTGRES_URL")) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  const auto opts = testing::TestPortalOptions("small", 5);
  auto duck = testing::BuiltPortal::Create("duckdb", opts);
  auto pg = testing::BuiltPortal::Create("postgres", opts);
  ASSERT_TRUE(pg);
  RunCompete(duck->Wh(), Options(*duck, TruthDictionary(duck->Truth(), false)));
  RunCompete(pg->Wh(), Options(*pg, TruthDictionary(pg->Truth(), false)));
  const std::vector<std::string> queries = {
      "select source, field, engagement_id, deal_id, competitor, match_kind, matched_text, match_offset, snippet, "
      "mentioned_at from {competitor_mentions}",
      "select competitor, deals_involved, deals_by_property, open_deals, mentions, closed_deals, won_deals, win_rate, "
      "win_rate_low, baseline_win_rate, p_value, median_amount, amount_ratio, cycle_ratio, top_loss_reasons, top_rep "
      "from {competitor_stats}",
      "select * from {competitor_monthly}",
      "select * from {competitor_reps}",
      "select * from {deal_competitors}"};
  for (const auto& q : queries) {
    const auto open = q.find('{'), close = q.find('}');
    const std::string table = q.substr(open + 1, close - open - 1);
    const auto a = Rows(duck->Wh(), q.substr(0, open) + duck->T(table));
    const auto b = Rows(pg->Wh(), q.substr(0, open) + pg->T(table));
    EXPECT_GT(a.size(), 0u) << table;
    EXPECT_EQ(a, b) << table;
  }
  // The small portal's mentions against its truth, on PostgreSQL.
  const auto rs = pg->Wh().Query("select source, engagement_id, competitor from " + pg->T("competitor_mentions") +
                                 " where engagement_id is not null");
  std::set<Key> detected;
  for (const auto& row : rs.rows) detected.emplace(AsString(row[0]), AsInt64(row[1]), AsString(row[2]));
  const Quality qy = Compare(TruthMentions(pg->Truth()), detected, "postgres small");
  EXPECT_GE(qy.precision, 0.98);
  EXPECT_GE(qy.recall, 0.98);
}

}  // namespace
}  // namespace revlens::insights
