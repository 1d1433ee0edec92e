// The competitor dictionary and the mention scanner on single texts: casing, word boundaries, punctuation,
// Unicode around a match, aliases, misspellings (configured and edit-distance-1), domains, snippets.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/errors.hpp"
#include "insights/competitors.hpp"

namespace revlens::insights {
namespace {

std::vector<CompetitorEntry> Dictionary() {
  return ParseCompetitorsToml(R"(
[warehouse]
url = "duckdb://x.duckdb"

[[competitors]]
name = "Base"
aliases = ["Base CRM", "BaseHQ"]
misspellings = ["Basecrm"]

[[competitors]]
name = "Forecastly"
aliases = ["FCly"]
domains = ["forecastly.io"]

[[competitors]]
name = "PipeDrift"
aliases = ["PD"]

[[competitors]]
name = "Quotably"
aliases = ["Quotably CPQ"]

[[competitors]]
name = "Stackwise"
aliases = ["Stack Wise", "StackwiseAI"]
)",
                              "test.toml");
}

const MentionScanner& Scanner() {
  static const MentionScanner s(Dictionary());
  return s;
}

/// Names found in `text`, in order.
std::vector<std::string> Found(std::string_view text, const MentionScanner& s = Scanner()) {
  std::vector<std::string> out;
  for (const auto& m : s.Scan(text)) out.push_back(m.name);
  return out;
}

using V = std::vector<std::string>;

TEST(CompetitorScanner, IgnoresCase) {
  EXPECT_EQ(Found("forecastly"), V{"Forecastly"});
  EXPECT_EQ(Found("FORECASTLY is cheaper"), V{"Forecastly"});
  EXPECT_EQ(Found("they use fOrEcAsTlY"), V{"Forecastly"});
  EXPECT_EQ(Found("BASE quoted less"), V{"Base"});
  EXPECT_EQ(Found("moving off base crm"), V{"Base"});
}

TEST(CompetitorScanner, WholeWordsOnly) {
  EXPECT_TRUE(Found("Their database team needs to sign off.").empty());
  EXPECT_TRUE(Found("We agreed on baseline metrics; they are based here; the codebase is Python.").empty());
  EXPECT_TRUE(Found("Sent the PDF. Migration is UPDATE-heavy; updated the forecast sheet.").empty());
  EXPECT_TRUE(Found("The quotable customer story; quota planning; a stacked report.").empty());
  EXPECT_TRUE(Found("Basex xBase Base2 2Base _Base Base_ forecastly2 Forecastly_x").empty());
  EXPECT_EQ(Found("Base"), V{"Base"});
  EXPECT_EQ(Found("database Base bases"), V{"Base"});
}

TEST(CompetitorScanner, PunctuationAroundAMatch) {
  for (const char* text : {"(Base)", "Base.", "Base,", "\"Base\"", "'Base'", "Base's pricing", "Base;", "Base:",
                           "Base!", "Base?", "[Base]", "Base/Forecastly", "#Base", "@Base", "Base\n", "\tBase"}) {
    const auto found = Found(text);
    ASSERT_FALSE(found.empty()) << text;
    EXPECT_EQ(found.front(), "Base") << text;
  }
  EXPECT_EQ(Found("Base/Forecastly"), (V{"Base", "Forecastly"}));
}

TEST(CompetitorScanner, UnicodeAroundAMatch) {
  // Accented letters are letters: no mention inside a word.
  EXPECT_TRUE(Found("éBase").empty());
  EXPECT_TRUE(Found("Baseé").empty());
  EXPECT_TRUE(Found("Forecastlyß").empty());
  // Punctuation, symbols, emoji and spaceless scripts are not.
  EXPECT_EQ(Found("«Base»"), V{"Base"});
  EXPECT_EQ(Found("—Base—"), V{"Base"});
  EXPECT_EQ(Found("“Forecastly”"), V{"Forecastly"});
  EXPECT_EQ(Found("🚀Forecastly🚀"), V{"Forecastly"});
  EXPECT_EQ(Found("我们用Base做CRM"), V{"Base"});
  EXPECT_EQ(Found("Zoë and José said Forecastly is cheaper"), V{"Forecastly"});
  // Offsets are bytes into the UTF-8 text.
  const std::string text = "Amélie: «Forecastly» — ok";
  const auto m = Scanner().Scan(text);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(text.substr(m[0].offset, m[0].length), "Forecastly");
  EXPECT_EQ(m[0].matched_text, "Forecastly");
}

TEST(CompetitorScanner, AliasesAndLongestMatch) {
  const auto m = Scanner().Scan("Currently on Base CRM, and StackwiseAI demoed. Quotably CPQ too.");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].name, "Base");
  EXPECT_EQ(m[0].matched_text, "Base CRM");
  EXPECT_EQ(m[0].kind, MatchKind::kAlias);
  EXPECT_EQ(m[1].name, "Stackwise");
  EXPECT_EQ(m[1].matched_text, "StackwiseAI");
  EXPECT_EQ(m[2].matched_text, "Quotably CPQ");
  EXPECT_EQ(Found("BaseHQ and FCly"), (V{"Base", "Forecastly"}));
}

TEST(CompetitorScanner, SpacesHyphensAndCamelCaseHumps) {
  for (const char* text : {"PipeDrift", "Pipe Drift", "pipe-drift", "PIPEDRIFT", "pipe_drift"}) {
    EXPECT_EQ(Found(text), V{"PipeDrift"}) << text;
  }
  EXPECT_EQ(Found("Base-CRM"), V{"Base"});
  EXPECT_EQ(Found("BaseCRM"), V{"Base"});
  EXPECT_EQ(Found("stack-wise"), V{"Stackwise"});
}

TEST(CompetitorScanner, ShortTermsKeepTheirCase) {
  EXPECT_EQ(Found("Lost to PD last quarter"), V{"PipeDrift"});
  EXPECT_TRUE(Found("pd is not a mention, nor is PDF or UPDATE").empty());
}

TEST(CompetitorScanner, ConfiguredMisspellings) {
  const auto m = Scanner().Scan("They run Basecrm today");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].name, "Base");
}

TEST(CompetitorScanner, EditDistanceOneVariants) {
  // Drops, insertions and swaps of names of at least 6 letters (the generator's misspellings among them).
  for (const char* text : {"Forcastly", "Forecastley", "Forecasly", "Pipedrfit", "Pipdrift", "Qoutably", "Quoteably",
                           "Stakwise", "Stackwse"}) {
    const auto m = Scanner().Scan(std::string("They also looked at ") + text + ".");
    ASSERT_EQ(m.size(), 1u) << text;
    EXPECT_EQ(m[0].kind, MatchKind::kVariant) << text;
    EXPECT_EQ(m[0].matched_text, text);
  }
  // Substitutions are not variants: they are how brand names become words.
  EXPECT_TRUE(Found("a quotable story").empty());
  // Names shorter than 6 letters get none.
  EXPECT_TRUE(Found("Bse Bace Baes").empty());
  // Off when asked.
  ScannerOptions o;
  o.fuzzy = false;
  const MentionScanner exact(Dictionary(), o);
  EXPECT_TRUE(Found("Forcastly", exact).empty());
  EXPECT_EQ(Found("Forecastly", exact), V{"Forecastly"});
}

TEST(CompetitorScanner, VariantsClaimedByTwoCompetitorsAreDropped) {
  std::vector<CompetitorEntry> d(2);
  d[0].name = "Marketo";
  d[1].name = "Markето";  // Cyrillic lookalike: not ASCII letters, no variants
  d.push_back({});
  d[2].name = "Markets";  // shares the variant "markes"/"marketso"? only exact terms below matter
  const MentionScanner s(d);
  // "Marketto" is a variant of Marketo only; "Market" is one drop from both Marketo and Markets: ambiguous.
  EXPECT_EQ(Found("Marketto", s), V{"Marketo"});
  EXPECT_TRUE(Found("Market", s).empty());
}

TEST(CompetitorScanner, Domains) {
  const auto m = Scanner().Scan("Email from jane@forecastly.io about https://forecastly.io/pricing");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].kind, MatchKind::kDomain);
  EXPECT_EQ(m[0].matched_text, "forecastly.io");
  EXPECT_EQ(m[1].name, "Forecastly");
}

TEST(CompetitorScanner, ManyMentionsInTextOrder) {
  const std::string text = "Stackwise, then Base, then Forecastly; Base again.";
  const auto m = Scanner().Scan(text);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].name, "Stackwise");
  EXPECT_EQ(m[1].name, "Base");
  EXPECT_EQ(m[2].name, "Forecastly");
  EXPECT_EQ(m[3].name, "Base");
  for (const auto& x : m) EXPECT_EQ(text.substr(x.offset, x.length), x.matched_text);
  EXPECT_TRUE(Scanner().Mentions(text));
  EXPECT_FALSE(Scanner().Mentions("nothing here but a database"));
  EXPECT_TRUE(Scanner().Scan("").empty());
  EXPECT_TRUE(Scanner().Scan("   ---   ").empty());
}

TEST(CompetitorScanner, CaseSensitiveCompetitor) {
  auto d = Dictionary();
  d[0].case_sensitive = true;
  const MentionScanner s(d);
  EXPECT_TRUE(Found("our customer base grew", s).empty());
  EXPECT_EQ(Found("they run Base", s), V{"Base"});
}

TEST(CompetitorScanner, Snippets) {
  const std::string text = std::string(200, 'x') + " The rest of the sentence before it.\n\n  Competing <b>with</b> "
                           "Forecastly on this one, after a long\tpause and more words follow here " +
                           std::string(200, 'y');
  const auto m = Scanner().Scan(text);
  ASSERT_EQ(m.size(), 1u);
  const std::string& s = m[0].snippet;
  EXPECT_NE(s.find("Competing with Forecastly on this one"), std::string::npos) << s;
  EXPECT_EQ(s.rfind("…", 0), 0u) << s;                    // cut at the start
  EXPECT_EQ(s.substr(s.size() - 3), "…") << s;            // and at the end
  EXPECT_EQ(s.find('\n'), std::string::npos) << s;
  EXPECT_EQ(s.find("  "), std::string::npos) << s;
  EXPECT_EQ(s.find('<'), std::string::npos) << s;
  EXPECT_LT(s.size(), 160u) << s;
  EXPECT_EQ(MentionSnippet("Base", 0, 4), "Base");
  // Never splits a UTF-8 character.
  const std::string u = "ééééééééééééééééééééééééééééééééééééééé Base ééééééééééééééééééééééééééééééééééééé";
  const std::string us = MentionSnippet(u, u.find("Base"), 4, 11);
  EXPECT_NE(us.find("Base"), std::string::npos);
  for (size_t i = 0; i + 1 < us.size(); ++i) {
    if (static_cast<unsigned char>(us[i]) == 0xC3) {
      EXPECT_EQ(static_cast<unsigned char>(us[i + 1]), 0xA9);
    }
  }
}

TEST(CompetitorDictionary, ParsesTomlAndJson) {
  const auto d = Dictionary();
  ASSERT_EQ(d.size(), 5u);
  EXPECT_EQ(d[0].name, "Base");
  EXPECT_EQ(d[0].aliases, (V{"Base CRM", "BaseHQ"}));
  EXPECT_EQ(d[1].domains, V{"forecastly.io"});
  EXPECT_EQ(d[0].origin, "config");
  const auto j = ParseCompetitorsJson(
      R"({"competitors": [{"name": " Gong ", "aliases": "Gong.io", "fuzzy": false, "case_sensitive": true}]})", "x.json");
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0].name, "Gong");
  EXPECT_EQ(j[0].aliases, V{"Gong.io"});
  EXPECT_FALSE(j[0].fuzzy);
  EXPECT_TRUE(j[0].case_sensitive);
  EXPECT_TRUE(ParseCompetitorsToml("[warehouse]\nurl = \"x\"\n", "r.toml").empty());
}

TEST(CompetitorDictionary, RejectsBadEntries) {
  EXPECT_THROW(ParseCompetitorsToml("[[competitors]]\naliases = [\"x\"]\n", "r.toml"), ConfigError);
  EXPECT_THROW(ParseCompetitorsToml("[[competitors]]\nname = \"A\"\nalias = [\"x\"]\n", "r.toml"), ConfigError);
  EXPECT_THROW(ParseCompetitorsToml("[[competitors]]\nname = \"A\"\nfuzzy = \"no\"\n", "r.toml"), ConfigError);
  EXPECT_THROW(ParseCompetitorsToml("competitors = 3\n", "r.toml"), ConfigError);
  EXPECT_THROW(ParseCompetitorsToml("[[competitors]\n", "r.toml"), ConfigError);
  EXPECT_THROW(ParseCompetitorsJson("[{\"name\": 3}]", "x.json"), ConfigError);
  EXPECT_THROW(ParseCompetitorsJson("{", "x.json"), ConfigError);
  try {
    ParseCompetitorsToml("[[competitors]]\nname = \"A\"\n\n[[competitors]]\nname = \"B\"\nmispellings = []\n", "r.toml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("r.toml:6"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("mispellings"), std::string::npos) << e.what();
  }
  EXPECT_THROW(LoadCompetitorsFile("/nonexistent/competitors.toml"), ConfigError);
}

TEST(CompetitorDictionary, SeedsFromTheDealProperty) {
  const auto merged = MergeCompetitorDictionary(
      Dictionary(), {"Base", "forecastly", "Gong", "Gong;Clari", "None", "N/A", "", " Other ", "pipe drift", "Clari"});
  V names;
  for (const auto& e : merged) names.push_back(e.name);
  EXPECT_EQ(names, (V{"Base", "Forecastly", "PipeDrift", "Quotably", "Stackwise", "Gong", "Clari"}));
  EXPECT_EQ(merged[0].origin, "config+deal_property");
  EXPECT_EQ(merged[2].origin, "config+deal_property");  // "pipe drift" names PipeDrift
  EXPECT_EQ(merged[3].origin, "config");
  EXPECT_EQ(merged[5].origin, "deal_property");
  // Seeded only.
  const auto seeded = MergeCompetitorDictionary({}, {"Base", "Forecastly"});
  ASSERT_EQ(seeded.size(), 2u);
  const MentionScanner s(seeded);
  EXPECT_EQ(Found("Forecastly and Base", s), (V{"Forecastly", "Base"}));
  EXPECT_EQ(s.FindCompetitor(" base "), 0);
  EXPECT_EQ(s.FindCompetitor("Nope"), -1);
}

TEST(CompetitorScanner, TermsAreCompiledOnce) {
  // One matcher for all competitors: thousands of terms (names, aliases, variants) compile and stay usable.
  EXPECT_GT(Scanner().Terms().size(), 1000u);
  EXPECT_EQ(Scanner().Competitors().size(), 5u);
}

}  // namespace
}  // namespace revlens::insights
