// The synthetic portal: determinism, integrity, and that the data follow the truth it writes out.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <span>
#include <sstream>
#include <unordered_map>
#include <unistd.h>
#include <algorithm>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "emulator/generator/generator.hpp"

namespace revlens::emulator {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

GeneratorOptions Opts(const std::string& size, uint64_t seed = 7, bool effects = true) {
  GeneratorOptions o;
  o.size = size;
  o.seed = seed;
  o.anchor_date = "2025-06-30";
  o.effects = effects;
  return o;
}

const GeneratedPortal& Demo() {
  static const GeneratedPortal g = GeneratePortal(Opts("demo"));
  return g;
}
const GeneratedPortal& Small() {
  static const GeneratedPortal g = GeneratePortal(Opts("small"));
  return g;
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path TempDir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("revlens_gen_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d;
}

std::string Prop(const Portal& p, ObjectType t, const Record& r, const char* name) {
  auto idx = p.Table(t).Props().Find(name);
  if (!idx) return {};
  return std::string(r.Get(*idx).value_or(""));
}

/// Within `k` standard errors of a binomial proportion around its true mean.
void ExpectWithinSe(double empirical, double truth, double n, double k = 4.0) {
  ASSERT_GT(n, 20);
  const double se = std::sqrt(std::max(truth * (1 - truth), 1e-4) / n);
  EXPECT_NEAR(empirical, truth, k * se) << "n=" << n;
}

TEST(Generator, SameArgumentsGiveTheSameBytes) {
  auto a = TempDir("a"), b = TempDir("b");
  SavePortal(GeneratePortal(Opts("small")), a.string());
  SavePortal(GeneratePortal(Opts("small")), b.string());
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(a)) {
    ++files;
    EXPECT_EQ(Slurp(e.path()), Slurp(b / e.path().filename())) << e.path().filename();
  }
  EXPECT_EQ(files, 12u);  // 8 object types, associations, portal, truth, product usage
  auto c = TempDir("c");
  SavePortal(GeneratePortal(Opts("small", 8)), c.string());
  EXPECT_NE(Slurp(a / "contacts.ndjson"), Slurp(c / "contacts.ndjson"));
  fs::remove_all(a);
  fs::remove_all(b);
  fs::remove_all(c);
}

TEST(Generator, TheThreadCountDoesNotChangeTheBytes) {
  // Enough contacts and engagements for several blocks of each (4,096 records, 1,024 contacts of engagements).
  GeneratorOptions o = Opts("small", 13);
  o.contacts = 12000;
  o.engagements = 40000;
  auto one = TempDir("t1"), three = TempDir("t3");
  o.threads = 1;
  SavePortal(GeneratePortal(o), one.string());
  o.threads = 3;
  SavePortal(GeneratePortal(o), three.string());
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(one)) {
    ++files;
    EXPECT_EQ(Slurp(e.path()), Slurp(three / e.path().filename())) << e.path().filename();
  }
  EXPECT_EQ(files, 12u);
  o.threads = -1;
  EXPECT_THROW(GeneratePortal(o), ConfigError);
  fs::remove_all(one);
  fs::remove_all(three);
}

TEST(Generator, LoadGivesBackWhatWasSaved) {
  auto a = TempDir("load_a"), b = TempDir("load_b");
  SavePortal(Small(), a.string());
  auto loaded = LoadPortal(a.string());
  for (auto t : kAllObjectTypes)
    EXPECT_EQ(loaded.portal->Table(t).Records().size(), Small().portal->Table(t).Records().size());
  EXPECT_EQ(loaded.truth, Small().truth);
  SavePortal(loaded, b.string());
  for (const auto& e : fs::directory_iterator(a)) EXPECT_EQ(Slurp(e.path()), Slurp(b / e.path().filename())) << e.path();
  EXPECT_EQ(LoadTruth(a.string())["seed"], 7);
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST(Generator, MalformedInputNamesFileAndLine) {
  auto a = TempDir("bad");
  SavePortal(Small(), a.string());
  std::string text = Slurp(a / "deals.ndjson");
  const size_t second = text.find('\n') + 1;
  text.insert(second + 10, "{{oops");
  std::ofstream(a / "deals.ndjson", std::ios::binary) << text;
  try {
    LoadPortal(a.string());
    FAIL() << "expected InvalidInputError";
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find("deals.ndjson:2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(LoadPortal((a / "nope").string()), InvalidInputError);
  fs::remove_all(a);
}

TEST(Generator, CountsMatchTheDemoSize) {
  const auto& p = *Demo().portal;
  EXPECT_EQ(p.Table(ObjectType::kCompanies).Records().size(), 2000u);
  const auto contacts = p.Table(ObjectType::kContacts).Records().size();
  EXPECT_GE(contacts, 20000u);
  EXPECT_LE(contacts, 21000u);  // plus duplicates
  const auto deals = static_cast<double>(p.Table(ObjectType::kDeals).Records().size());
  EXPECT_NEAR(deals, 1500, 300);
  const auto eng = Demo().truth["counts"]["engagements"].get<double>();
  EXPECT_NEAR(eng, 100000, 3000);
  EXPECT_GE(p.owners.size(), 6u);
  ASSERT_EQ(p.deal_pipelines.size(), 2u);
}

TEST(Generator, EveryAssociationPointsAtALiveRecord) {
  const auto& p = *Demo().portal;
  size_t edges = 0;
  for (auto from : kAllObjectTypes) {
    for (auto to : kAllObjectTypes) {
      p.Assoc(from, to).ForEach([&](int64_t from_id, std::span<const AssociationEdge> list) {
        const Record* src = p.Table(from).Find(from_id);
        ASSERT_NE(src, nullptr) << ObjectTypeName(from) << " " << from_id;
        EXPECT_FALSE(src->archived) << ObjectTypeName(from) << " " << from_id;
        for (const auto& e : list) {
          ++edges;
          const Record* dst = p.Table(to).Find(e.to_id);
          ASSERT_NE(dst, nullptr) << ObjectTypeName(to) << " " << e.to_id;
          EXPECT_FALSE(dst->archived);
          EXPECT_EQ(e.type_id, DefaultAssociationTypeId(from, to));
          const auto back = p.Assoc(to, from).From(e.to_id);
          ASSERT_FALSE(back.empty());
          EXPECT_TRUE(std::any_of(back.begin(), back.end(), [&](const auto& x) { return x.to_id == from_id; }));
        }
      });
    }
  }
  EXPECT_GT(edges, 200000u);
}

TEST(Generator, RecordsAreWellFormed) {
  const auto& p = *Demo().portal;
  const int64_t anchor = *ParseTimestampMillis("2025-06-30");
  for (auto t : kAllObjectTypes) {
    int64_t prev = 0;
    for (const auto& r : p.Table(t).Records()) {
      ASSERT_GT(r.id, prev);
      prev = r.id;
      for (size_t i = 1; i < r.props.size(); ++i) ASSERT_LT(r.props[i - 1].first, r.props[i].first);
      EXPECT_LE(r.created_ms, r.updated_ms);
      EXPECT_LT(r.updated_ms, anchor);
      EXPECT_EQ(Prop(p, t, r, "hs_object_id"), std::to_string(r.id));
      const char* created = t == ObjectType::kContacts ? "createdate" : "hs_createdate";
      ASSERT_EQ(Prop(p, t, r, created), FormatIsoMillis(r.created_ms)) << ObjectTypeName(t) << " " << r.id;
    }
  }
  // Emails are unique and fictional.
  std::set<std::string> emails;
  for (const auto& r : p.Table(ObjectType::kContacts).Records()) {
    const std::string e = Prop(p, ObjectType::kContacts, r, "email");
    ASSERT_FALSE(e.empty());
    EXPECT_TRUE(e.ends_with(".example") || e.ends_with(".test")) << e;
    EXPECT_TRUE(emails.insert(e).second) << e;
  }
}

TEST(Generator, StageHistoriesAreMonotoneAndEndInTheCurrentStage) {
  const auto& p = *Demo().portal;
  const auto& tbl = p.Table(ObjectType::kDeals);
  const uint16_t stage = *tbl.Props().Find("dealstage");
  std::unordered_map<std::string, std::pair<int, int>> order;  // stage id -> (pipeline, display order)
  for (size_t i = 0; i < p.deal_pipelines.size(); ++i)
    for (const auto& s : p.deal_pipelines[i].stages) order[s.id] = {static_cast<int>(i), s.display_order};
  size_t closed_won = 0;
  for (const auto& r : tbl.Records()) {
    std::vector<const HistoryEntry*> h;
    int64_t last_ts = 0;
    for (const auto& e : r.history) {
      EXPECT_GE(e.timestamp_ms, last_ts);
      last_ts = e.timestamp_ms;
      if (e.prop == stage) h.push_back(&e);
    }
    ASSERT_FALSE(h.empty());
    EXPECT_EQ(h.back()->value, *r.Get(stage));
    for (size_t i = 1; i < h.size(); ++i) {
      EXPECT_LT(h[i - 1]->timestamp_ms, h[i]->timestamp_ms);
      EXPECT_LT(order[h[i - 1]->value].second, order[h[i]->value].second);
    }
    const std::string entered = Prop(p, ObjectType::kDeals, r, ("hs_date_entered_" + h.back()->value).c_str());
    EXPECT_EQ(entered, FormatIsoMillis(h.back()->timestamp_ms));
    EXPECT_TRUE(Prop(p, ObjectType::kDeals, r, ("hs_date_exited_" + h.back()->value).c_str()).empty());
    for (const char* name : {"amount", "closedate", "hubspot_owner_id", "hs_manual_forecast_category"}) {
      const uint16_t idx = *tbl.Props().Find(name);
      const HistoryEntry* last = nullptr;
      for (const auto& e : r.history)
        if (e.prop == idx) last = &e;
      if (r.Get(idx)) {
        ASSERT_NE(last, nullptr) << name;
        EXPECT_EQ(last->value, *r.Get(idx)) << name;
      }
    }
    if (*r.Get(stage) == "closedwon") {
      ++closed_won;
      EXPECT_EQ(Prop(p, ObjectType::kDeals, r, "hs_is_closed_won"), "true");
      EXPECT_EQ(Prop(p, ObjectType::kDeals, r, "closedate"), entered);
    }
  }
  EXPECT_GT(closed_won, 100u);
}

TEST(Generator, OracleAucIsSane) {
  const double auc = Demo().truth["oracle_auc"].get<double>();
  EXPECT_GE(auc, 0.75);
  EXPECT_LE(auc, 0.95);
  const auto& cc = Demo().truth["contact_conversion"];
  ExpectWithinSe(cc["empirical_rate"].get<double>(), cc["mean_p_convert_90d"].get<double>(), cc["contacts"].get<double>());
}

/// Closed new-business deals of the truth matching `pred`: (empirical win rate, mean p_win, n).
template <typename Pred>
std::tuple<double, double, double> WinRates(const json& truth, Pred pred) {
  double won = 0, pw = 0, n = 0;
  for (const auto& d : truth["deals"]) {
    if (d["kind"] != "new_business" || !pred(d)) continue;
    won += d["won"].get<bool>() ? 1 : 0;
    pw += d["p_win"].get<double>();
    n += 1;
  }
  return {n > 0 ? won / n : 0, n > 0 ? pw / n : 0, n};
}

TEST(Generator, PlantedSegmentsWinAtTheirTrueRate) {
  const auto& t = Demo().truth;
  ASSERT_EQ(t["icp_segments"].size(), 2u);
  ASSERT_EQ(t["busy_losing_segments"].size(), 2u);
  for (const auto& s : t["icp_segments"]) {
    const std::string name = s["name"];
    auto [emp, truth, n] = WinRates(t, [&](const json& d) { return d["segment"] == name; });
    ExpectWithinSe(emp, truth, n);
    EXPECT_GT(s["true_win_rate"].get<double>(), 1.4 * s["base_win_rate"].get<double>()) << name;
    EXPECT_GE(s["conversion_lift"].get<double>(), 2.0) << name;
    EXPECT_LE(s["conversion_lift"].get<double>(), 3.5) << name;
    EXPECT_GT(s["mean_amount"].get<double>(), s["base_mean_amount"].get<double>()) << name;
    EXPECT_LT(s["mean_won_cycle_days"].get<double>(), s["base_mean_won_cycle_days"].get<double>()) << name;
  }
  for (const auto& s : t["busy_losing_segments"]) {
    EXPECT_LT(s["true_win_rate"].get<double>(), 0.75 * s["base_win_rate"].get<double>());
    EXPECT_GT(s["activity_multiplier"].get<double>(), 1.5);
  }
  auto [emp, truth, n] = WinRates(t, [](const json&) { return true; });
  ExpectWithinSe(emp, truth, n);
}

TEST(Generator, CompetitorsWinAtTheirTrueRatesAndAreMentioned) {
  const auto& g = Demo();
  const auto& t = g.truth;
  const auto& p = *g.portal;
  ASSERT_EQ(t["competitors"].size(), 5u);
  for (const auto& c : t["competitors"]) {
    const std::string name = c["name"];
    auto [emp, truth, n] = WinRates(t, [&](const json& d) { return d["competitor"] == name; });
    ExpectWithinSe(emp, truth, n);
  }
  const auto& fc = t["competitors"][1];
  EXPECT_EQ(fc["name"], "Forecastly");
  EXPECT_LT(fc["win_rate"].get<double>(), t["no_competitor_win_rate"].get<double>());
  // Every mention is in its engagement's text, spelled as the truth says.
  const auto& m = t["competitor_mentions"];
  ASSERT_GT(m["engagement_id"].size(), 200u);
  std::set<std::string> forms;
  for (size_t i = 0; i < m["engagement_id"].size(); ++i) {
    auto type = ParseObjectType(m["object_type"][i].get<std::string>());
    ASSERT_TRUE(type);
    const Record* r = p.Table(*type).Find(m["engagement_id"][i].get<int64_t>());
    ASSERT_NE(r, nullptr);
    std::string text;
    for (const auto& [idx, v] : r->props) {
      text += v;
      text += '\n';
    }
    EXPECT_NE(text.find(m["surface"][i].get<std::string>()), std::string::npos) << text;
    forms.insert(m["form"][i].get<std::string>());
    const int64_t deal = m["deal_id"][i].get<int64_t>();
    if (deal != 0 && !p.Table(ObjectType::kDeals).Find(deal)->archived) {
      const auto edges = p.Assoc(*type, ObjectType::kDeals).From(r->id);
      ASSERT_FALSE(edges.empty());
      EXPECT_EQ(edges.front().to_id, deal);
    }
  }
  EXPECT_EQ(forms.size(), 4u);
  // Trap words (e.g. "database" next to the competitor "Base") occur in text too.
  size_t traps = 0;
  const uint16_t body = *p.Table(ObjectType::kNotes).Props().Find("hs_note_body");
  for (const auto& r : p.Table(ObjectType::kNotes).Records())
    if (const auto v = r.Get(body); v && v->find("database") != std::string_view::npos) ++traps;
  EXPECT_GT(traps, 10u);
  // The competitor property is filled for only part of the involved deals.
  size_t involved = 0, recorded = 0;
  for (const auto& c : t["competitors"]) {
    involved += c["deal_ids"].size();
    recorded += c["recorded_deal_ids"].size();
  }
  EXPECT_GT(recorded, involved / 3);
  EXPECT_LT(recorded, involved * 4 / 5);
}

TEST(Generator, EarlyMeetingsAreInTheData) {
  const auto& g = Demo();
  const auto& p = *g.portal;
  const uint16_t ts = *p.Table(ObjectType::kMeetings).Props().Find("hs_timestamp");
  size_t with = 0, checked = 0;
  for (const auto& d : g.truth["deals"]) {
    if (d["kind"] != "new_business" || d["archived"].get<bool>()) continue;
    const int64_t id = d["id"];
    const int64_t created = *ParseTimestampMillis(d["create_date"].get<std::string>());
    // A meeting planned for after the anchor is not in the data yet.
    if (created + 14 * 86400000LL >= *ParseTimestampMillis("2025-06-30")) continue;
    bool early = false;
    {
      for (const auto& e : p.Assoc(ObjectType::kDeals, ObjectType::kMeetings).From(id)) {
        const int64_t t = *ParseTimestampMillis(*p.Table(ObjectType::kMeetings).Find(e.to_id)->Get(ts));
        if (t >= created && t < created + 14 * 86400000LL) early = true;
      }
    }
    EXPECT_EQ(early, d["early_meeting"].get<bool>()) << id;
    with += early ? 1 : 0;
    ++checked;
  }
  EXPECT_GT(with, checked / 4);
  // The planted effect: deals with an early meeting win more, at their true rate.
  auto [e1, t1, n1] = WinRates(g.truth, [](const json& d) { return d["early_meeting"].get<bool>(); });
  auto [e0, t0, n0] = WinRates(g.truth, [](const json& d) { return !d["early_meeting"].get<bool>(); });
  ExpectWithinSe(e1, t1, n1);
  ExpectWithinSe(e0, t0, n0);
  EXPECT_GT(t1, t0 + 0.08);
}

TEST(Generator, MultiThreadedDealsAreInTheData) {
  // A deal is multi-threaded when 2+ distinct contacts are on its calls, emails and meetings in its first 14 days:
  // exactly the deals the truth marks, chosen at the planted rates given the outcome.
  const auto& g = Demo();
  const auto& p = *g.portal;
  const auto& mt = g.truth["activity_effects"]["multi_threaded"];
  const double a = mt["rate_if_won"], b = mt["rate_if_lost"];
  EXPECT_NEAR(mt["odds_multiplier"].get<double>(), a * (1 - b) / (b * (1 - a)), 1e-6);
  EXPECT_GT(mt["odds_multiplier"].get<double>(), 1.8);
  const int64_t anchor = *ParseTimestampMillis("2025-06-30"), window = 14 * 86400000LL;
  double eligible = 0, with = 0, won_n = 0, won_mt = 0, lost_n = 0, lost_mt = 0;
  for (const auto& d : g.truth["deals"]) {
    const bool is_mt = d["multi_threaded"].get<bool>(), is_eligible = d["multi_thread_eligible"].get<bool>();
    EXPECT_TRUE(is_eligible || !is_mt) << d["id"];
    eligible += is_eligible;
    with += is_mt;
    if (d["archived"].get<bool>()) continue;
    const int64_t id = d["id"];
    const int64_t created = *ParseTimestampMillis(d["create_date"].get<std::string>());
    if (created + window >= anchor) continue;
    std::set<int64_t> contacts;
    for (auto t : {ObjectType::kCalls, ObjectType::kEmails, ObjectType::kMeetings}) {
      const uint16_t ts = *p.Table(t).Props().Find("hs_timestamp");
      for (const auto& e : p.Assoc(ObjectType::kDeals, t).From(id)) {
        const int64_t at = *ParseTimestampMillis(*p.Table(t).Find(e.to_id)->Get(ts));
        if (at < created || at >= created + window) continue;
        for (const auto& c : p.Assoc(t, ObjectType::kContacts).From(e.to_id)) contacts.insert(c.to_id);
      }
    }
    EXPECT_EQ(contacts.size() >= 2, is_mt) << id << " " << contacts.size();
    if (!is_eligible || !d["closed_at_anchor"].get<bool>()) continue;
    (d["won"].get<bool>() ? won_n : lost_n) += 1;
    (d["won"].get<bool>() ? won_mt : lost_mt) += is_mt;
  }
  EXPECT_EQ(mt["deals_with_multi_threading"].get<double>(), with);
  EXPECT_EQ(mt["eligible_deals"].get<double>(), eligible);
  EXPECT_GT(eligible, 0.7 * static_cast<double>(g.truth["deals"].size()));
  EXPECT_GE(mt["engagements"].get<double>(), with);
  ExpectWithinSe(won_mt / won_n, a, won_n);
  ExpectWithinSe(lost_mt / lost_n, b, lost_n);
  // Ineligible deals (never multi-threaded) are a minority of the deals activity analysis reads.
  const auto& analysed = mt["analysed_closed_deals"];
  std::printf("eligible %.0f of %zu deals; analysed: %s; expected crude OR %.3f\n", eligible, g.truth["deals"].size(),
              analysed.dump().c_str(), mt["expected_crude_odds_ratio"].get<double>());
  EXPECT_GT(analysed["eligible"].get<double>(), 3 * analysed["ineligible"].get<double>());
  EXPECT_GT(mt["expected_crude_odds_ratio"].get<double>(), 1.8);
  // With effects off the choice ignores the outcome.
  const auto off = GeneratePortal(Opts("small", 7, false));
  const auto& mt_off = off.truth["activity_effects"]["multi_threaded"];
  EXPECT_EQ(mt_off["rate_if_won"], mt_off["rate_if_lost"]);
  EXPECT_EQ(mt_off["odds_multiplier"].get<double>(), 1.0);
  EXPECT_GT(mt_off["deals_with_multi_threading"].get<double>(), 0);
}

TEST(Generator, FirstResponseTimesAreInTheData) {
  const auto& g = Demo();
  const auto& p = *g.portal;
  const auto& c = g.truth["contacts"];
  size_t checked = 0;
  for (size_t i = 0; i < c["id"].size() && checked < 500; ++i) {
    const double h = c["first_response_hours"][i];
    if (h < 0 || c["archived"][i].get<bool>()) continue;
    const int64_t id = c["id"][i];
    const Record* r = p.Table(ObjectType::kContacts).Find(id);
    const int64_t created = *ParseTimestampMillis(Prop(p, ObjectType::kContacts, *r, "createdate"));
    if (created + static_cast<int64_t>(h * 3600000) >= *ParseTimestampMillis("2025-06-30")) continue;
    int64_t first = INT64_MAX;
    for (auto t : {ObjectType::kCalls, ObjectType::kEmails, ObjectType::kMeetings, ObjectType::kNotes, ObjectType::kTasks}) {
      const uint16_t ts = *p.Table(t).Props().Find("hs_timestamp");
      for (const auto& e : p.Assoc(ObjectType::kContacts, t).From(id))
        first = std::min(first, *ParseTimestampMillis(*p.Table(t).Find(e.to_id)->Get(ts)));
    }
    ASSERT_NE(first, INT64_MAX) << id;
    EXPECT_NEAR(static_cast<double>(first - created) / 3600000.0, h, 0.01) << id;
    ++checked;
  }
  EXPECT_EQ(checked, 500u);
}

TEST(Generator, GapsDuplicatesAndUsageAreAsTheTruthSays) {
  const auto& g = Demo();
  const auto& p = *g.portal;
  const auto& gaps = g.truth["firmographic_gaps"];
  EXPECT_GT(gaps.size(), 300u);
  for (const auto& gp : gaps) {
    const Record* r = p.Table(ObjectType::kCompanies).Find(gp["company_id"].get<int64_t>());
    ASSERT_NE(r, nullptr);
    for (const auto& b : gp["blank"]) EXPECT_TRUE(Prop(p, ObjectType::kCompanies, *r, b.get<std::string>().c_str()).empty());
    EXPECT_FALSE(gp["industry"].get<std::string>().empty());
  }
  size_t merged = 0;
  for (const auto& d : g.truth["duplicates"]) {
    const Record* r = p.Table(ObjectType::kContacts).Find(d["id"].get<int64_t>());
    ASSERT_NE(r, nullptr);
    if (!d["merged"].get<bool>()) continue;
    ++merged;
    EXPECT_TRUE(r->archived);
    EXPECT_EQ(r->merged_into, d["original_id"].get<int64_t>());
    const Record* s = p.Table(ObjectType::kContacts).Find(r->merged_into);
    EXPECT_NE(Prop(p, ObjectType::kContacts, *s, "hs_merged_object_ids").find(std::to_string(r->id)), std::string::npos);
  }
  EXPECT_GT(merged, 100u);
  // Product usage: header plus rows for contacts that exist.
  const std::string& csv = g.product_usage_csv;
  ASSERT_TRUE(csv.starts_with("event_date,user_id,email,account_domain,hubspot_contact_id,logins,key_feature_uses,seats\n"));
  EXPECT_GT(std::count(csv.begin(), csv.end(), '\n'), 10000);
  // Lifecycle history ends in the current stage.
  const auto& ct = p.Table(ObjectType::kContacts);
  const uint16_t lc = *ct.Props().Find("lifecyclestage");
  size_t customers = 0;
  for (const auto& r : ct.Records()) {
    const HistoryEntry* last = nullptr;
    for (const auto& e : r.history)
      if (e.prop == lc) last = &e;
    if (!r.Get(lc)) continue;
    ASSERT_NE(last, nullptr);
    EXPECT_EQ(last->value, *r.Get(lc));
    EXPECT_EQ(Prop(p, ObjectType::kContacts, r, ("hs_lifecyclestage_" + last->value + "_date").c_str()),
              FormatIsoMillis(last->timestamp_ms));
    customers += *r.Get(lc) == "customer";
  }
  EXPECT_GT(customers, 100u);
}

TEST(Generator, NoEffectsPortalHasNothingPlanted) {
  const auto g = GeneratePortal(Opts("small", 7, false));
  const auto& t = g.truth;
  EXPECT_FALSE(t["effects"].get<bool>());
  EXPECT_TRUE(t["icp_segments"].empty());
  EXPECT_TRUE(t["busy_losing_segments"].empty());
  std::set<double> pw;
  for (const auto& d : t["deals"])
    if (d["kind"] == "new_business") pw.insert(d["p_win"].get<double>());
  EXPECT_EQ(pw.size(), 1u);
  for (const auto& c : t["competitors"]) EXPECT_EQ(c["odds_multiplier"].get<double>(), 1.0);
  EXPECT_LT(std::abs(t["oracle_auc"].get<double>() - 0.5), 0.1);
  const auto& popp = t["contacts"]["p_opportunity"];
  EXPECT_EQ(popp.front(), popp.back());
}

TEST(Generator, ExplicitCountsAndBadOptions) {
  GeneratorOptions o = Opts("small");
  o.contacts = 500;
  o.engagements = 3000;
  const auto g = GeneratePortal(o);
  EXPECT_GE(g.portal->Table(ObjectType::kContacts).Records().size(), 500u);
  EXPECT_NEAR(g.truth["counts"]["engagements"].get<double>(), 3000, 150);
  o.size = "huge";
  EXPECT_THROW(GeneratePortal(o), ConfigError);
  o.size = "small";
  o.anchor_date = "30/06/2025";
  EXPECT_THROW(GeneratePortal(o), ConfigError);
}

}  // namespace
}  // namespace revlens::emulator
