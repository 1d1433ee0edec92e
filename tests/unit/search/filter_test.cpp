// The search engine against a real Portal with HubSpot's default schema.
#include "emulator/filter.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>

#include "core/time_util.hpp"

namespace revlens::emulator {
namespace {

using nlohmann::json;

constexpr int64_t kT0 = 1700000000000;  // 2023-11-14T22:13:20Z

class SearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InstallDefaultSchema(portal_, kT0);
    auto& c = portal_.Table(ObjectType::kContacts);
    // id 1..6
    c.Create({{"email", "Alice@Example.com"},
              {"firstname", "Alice"},
              {"lastname", "Smith"},
              {"lifecyclestage", "lead"},
              {"hs_analytics_num_visits", "9"}},
             kT0);
    c.Create({{"email", "bob@hubspot.com"},
              {"firstname", "Bob"},
              {"lastname", "Jones"},
              {"lifecyclestage", "customer"},
              {"hs_analytics_num_visits", "10"}},
             kT0 + 1000);
    c.Create({{"email", "carol@hubspot.com"},
              {"firstname", "Carol"},
              {"lastname", "Smith-Jones"},
              {"lifecyclestage", "Lead"},
              {"hs_analytics_num_visits", "100"}},
             kT0 + 2000);
    c.Create({{"firstname", "Dave"}}, kT0 + 3000);
    c.Create({{"email", "erin@example.org"}, {"firstname", "Erin"}, {"hs_analytics_num_visits", "2.5"}}, kT0 + 4000);
    c.Create({{"email", "archived@example.com"}, {"firstname", "Zed"}}, kT0 + 5000);
    c.Records().back().archived = true;
    auto& co = portal_.Table(ObjectType::kCompanies);
    co.Create({{"name", "Acme"}, {"domain", "acme.com"}}, kT0);  // company 1
    co.Create({{"name", "Globex"}}, kT0);                        // company 2
    portal_.Associate(ObjectType::kContacts, 1, ObjectType::kCompanies, 1);
    portal_.Associate(ObjectType::kContacts, 3, ObjectType::kCompanies, 1);
    portal_.Associate(ObjectType::kContacts, 2, ObjectType::kCompanies, 2);
  }

  std::vector<int64_t> Ids(const json& body, ObjectType t = ObjectType::kContacts) {
    const auto& table = portal_.Table(t);
    SearchRequest req = ParseSearchRequest(body, table);
    SearchPage page = RunSearch(req, portal_, table);
    std::vector<int64_t> ids;
    for (const Record* r : page.results) ids.push_back(r->id);
    return ids;
  }
  static json One(const std::string& prop, const std::string& op, json value = nullptr) {
    json f = {{"propertyName", prop}, {"operator", op}};
    if (!value.is_null()) f["value"] = std::move(value);
    return json{{"filterGroups", json::array({json{{"filters", json::array({f})}}})}};
  }
  BadRequest Rejects(const json& body) {
    try {
      ParseSearchRequest(body, portal_.Table(ObjectType::kContacts));
    } catch (const BadRequest& e) {
      return e;
    }
    ADD_FAILURE() << "accepted: " << body.dump();
    return {};
  }

  Portal portal_;
};

using V = std::vector<int64_t>;

TEST_F(SearchTest, NoFiltersReturnsUnarchivedInIdOrder) {
  EXPECT_EQ(Ids(json::object()), (V{1, 2, 3, 4, 5}));
  EXPECT_EQ(Ids(nullptr), (V{1, 2, 3, 4, 5}));
}

TEST_F(SearchTest, EqOnStringsIgnoresCase) {
  EXPECT_EQ(Ids(One("email", "EQ", "alice@example.COM")), V{1});
  EXPECT_EQ(Ids(One("firstname", "EQ", "BOB")), V{2});
}

TEST_F(SearchTest, EnumerationsAreCaseSensitive) {
  EXPECT_EQ(Ids(One("lifecyclestage", "EQ", "lead")), V{1});
  EXPECT_EQ(Ids(One("lifecyclestage", "EQ", "Lead")), V{3});
}

TEST_F(SearchTest, NegationsIncludeRecordsWithoutTheProperty) {
  EXPECT_EQ(Ids(One("lifecyclestage", "NEQ", "lead")), (V{2, 3, 4, 5}));
  json body = One("email", "NOT_IN");
  body["filterGroups"][0]["filters"][0]["values"] = {"bob@hubspot.com", "CAROL@hubspot.com"};
  EXPECT_EQ(Ids(body), (V{1, 4, 5}));
}

TEST_F(SearchTest, NumbersCompareNumerically) {
  EXPECT_EQ(Ids(One("hs_analytics_num_visits", "GT", "9")), (V{2, 3}));
  EXPECT_EQ(Ids(One("hs_analytics_num_visits", "GTE", 9)), (V{1, 2, 3}));
  EXPECT_EQ(Ids(One("hs_analytics_num_visits", "LT", 10)), (V{1, 5}));
  EXPECT_EQ(Ids(One("hs_analytics_num_visits", "LTE", "2.5")), V{5});
  EXPECT_EQ(Ids(One("hs_analytics_num_visits", "EQ", "10.0")), V{2});
  json between = One("hs_analytics_num_visits", "BETWEEN", 3);
  between["filterGroups"][0]["filters"][0]["highValue"] = "10";
  EXPECT_EQ(Ids(between), (V{1, 2}));
}

TEST_F(SearchTest, DatesTakeIsoOrEpochMillis) {
  json between = One("createdate", "BETWEEN", std::to_string(kT0 + 1000));
  between["filterGroups"][0]["filters"][0]["highValue"] = FormatIsoMillis(kT0 + 3000);
  EXPECT_EQ(Ids(between), (V{2, 3, 4}));
  EXPECT_EQ(Ids(One("createdate", "GT", FormatIsoMillis(kT0 + 3000))), V{5});
  EXPECT_EQ(Ids(One("createdate", "EQ", kT0 + 2000)), V{3});
  EXPECT_EQ(Ids(One("createdate", "LT", "2023-11-15")), (V{1, 2, 3, 4, 5}));
  EXPECT_EQ(Ids(One("createdate", "GTE", "2023-11-15")), V{});
}

TEST_F(SearchTest, InMatchesAnyValue) {
  json body = One("firstname", "IN");
  body["filterGroups"][0]["filters"][0]["values"] = {"alice", "dave", "nobody"};
  EXPECT_EQ(Ids(body), (V{1, 4}));
  json nums = One("hs_analytics_num_visits", "IN");
  nums["filterGroups"][0]["filters"][0]["values"] = {9, "100"};
  EXPECT_EQ(Ids(nums), (V{1, 3}));
}

TEST_F(SearchTest, HasAndNotHasProperty) {
  EXPECT_EQ(Ids(One("email", "HAS_PROPERTY")), (V{1, 2, 3, 5}));
  EXPECT_EQ(Ids(One("email", "NOT_HAS_PROPERTY")), V{4});
}

TEST_F(SearchTest, ContainsTokenWithWildcards) {
  EXPECT_EQ(Ids(One("email", "CONTAINS_TOKEN", "*@hubspot.com")), (V{2, 3}));
  EXPECT_EQ(Ids(One("lastname", "CONTAINS_TOKEN", "smith")), (V{1, 3}));
  EXPECT_EQ(Ids(One("lastname", "CONTAINS_TOKEN", "jo*")), (V{2, 3}));
  EXPECT_EQ(Ids(One("email", "CONTAINS_TOKEN", "example")), (V{1, 5}));
  EXPECT_EQ(Ids(One("lastname", "NOT_CONTAINS_TOKEN", "smith")), (V{2, 4, 5}));
  EXPECT_EQ(Ids(One("email", "CONTAINS_TOKEN", "ALICE@EXAMPLE.COM")), V{1});
}

TEST_F(SearchTest, GroupsOrFiltersAnd) {
  json body = {{"filterGroups",
                {{{"filters",
                   {{{"propertyName", "lastname"}, {"operator", "CONTAINS_TOKEN"}, {"value", "smith"}},
                    {{"propertyName", "hs_analytics_num_visits"}, {"operator", "GT"}, {"value", "50"}}}}},
                 {{"filters", {{{"propertyName", "firstname"}, {"operator", "EQ"}, {"value", "dave"}}}}}}}};
  EXPECT_EQ(Ids(body), (V{3, 4}));
}

TEST_F(SearchTest, AssociationPseudoProperty) {
  EXPECT_EQ(Ids(One("associations.company", "EQ", "1")), (V{1, 3}));
  EXPECT_EQ(Ids(One("associations.companies", "EQ", 2)), V{2});
  EXPECT_EQ(Ids(One("associations.company", "NEQ", "1")), (V{2, 4, 5}));
  EXPECT_EQ(Ids(One("associations.company", "NOT_HAS_PROPERTY")), (V{4, 5}));
  EXPECT_EQ(Ids(One("associations.contact", "EQ", "3"), ObjectType::kCompanies), V{1});
  EXPECT_EQ(Rejects(One("associations.company", "GT", "1")).status, 400);
  EXPECT_EQ(Rejects(One("associations.widgets", "EQ", "1")).status, 400);
}

TEST_F(SearchTest, QuerySearchesDefaultTextProperties) {
  EXPECT_EQ(Ids(json{{"query", "smith"}}), (V{1, 3}));
  EXPECT_EQ(Ids(json{{"query", "Carol Smith"}}), V{3});
  EXPECT_EQ(Ids(json{{"query", "hubspot.com"}}), (V{2, 3}));
  EXPECT_EQ(Ids(json{{"query", "mith"}}), V{});  // terms match from a word start
  EXPECT_EQ(Ids(json{{"query", "acme"}}, ObjectType::kCompanies), V{1});
  EXPECT_EQ(Rejects(json{{"query", std::string(3001, 'a')}}).status, 400);
  EXPECT_NO_THROW(ParseSearchRequest(json{{"query", std::string(3000, 'a')}}, portal_.Table(ObjectType::kContacts)));
}

TEST_F(SearchTest, SortOneRuleMissingValuesLast) {
  json body = {{"sorts", {{{"propertyName", "hs_analytics_num_visits"}, {"direction", "DESCENDING"}}}}};
  EXPECT_EQ(Ids(body), (V{3, 2, 1, 5, 4}));
  body["sorts"][0]["direction"] = "ASCENDING";
  EXPECT_EQ(Ids(body), (V{5, 1, 2, 3, 4}));
  EXPECT_EQ(Ids(json{{"sorts", {"-createdate"}}}), (V{5, 4, 3, 2, 1}));
  EXPECT_EQ(Ids(json{{"sorts", {"firstname"}}}), (V{1, 2, 3, 4, 5}));
  EXPECT_EQ(Ids(json{{"sorts", {"-firstname"}}, {"limit", 2}}), (V{5, 4}));
  EXPECT_EQ(Rejects(json{{"sorts", {"firstname", "lastname"}}}).status, 400);
  EXPECT_EQ(Rejects(json{{"sorts", {"nope"}}}).status, 400);
  EXPECT_EQ(Rejects(json{{"sorts", {{{"propertyName", "email"}, {"direction", "UP"}}}}}).status, 400);
}

TEST_F(SearchTest, RejectsBadFilters) {
  const BadRequest op = Rejects(One("email", "LIKE", "x"));
  EXPECT_EQ(op.status, 400);
  EXPECT_EQ(op.category, "VALIDATION_ERROR");
  EXPECT_NE(op.message.find("LIKE"), std::string::npos);
  EXPECT_NE(Rejects(One("no_such_prop", "EQ", "x")).message.find("no_such_prop"), std::string::npos);
  EXPECT_EQ(Rejects(One("email", "EQ")).status, 400);                          // missing value
  EXPECT_EQ(Rejects(One("email", "IN")).status, 400);                          // missing values
  EXPECT_EQ(Rejects(One("createdate", "BETWEEN", "2024-01-01")).status, 400);  // missing highValue
  EXPECT_EQ(Rejects(One("hs_analytics_num_visits", "GT", "many")).status, 400);
  EXPECT_EQ(Rejects(One("createdate", "GT", "yesterday")).status, 400);
  EXPECT_EQ(Rejects(json{{"filterGroups", {{{"filters", {{{"operator", "EQ"}, {"value", "x"}}}}}}}}).status, 400);
  EXPECT_EQ(Rejects(json::array()).status, 400);
}

TEST_F(SearchTest, FilterCountLimits) {
  json f = {{"propertyName", "email"}, {"operator", "HAS_PROPERTY"}};
  auto groups = [&](size_t n_groups, size_t per_group) {
    json gs = json::array();
    for (size_t g = 0; g < n_groups; ++g) gs.push_back(json{{"filters", json(std::vector<json>(per_group, f))}});
    return json{{"filterGroups", gs}};
  };
  EXPECT_NO_THROW(ParseSearchRequest(groups(3, 6), portal_.Table(ObjectType::kContacts)));  // 18 in total
  EXPECT_NO_THROW(ParseSearchRequest(groups(5, 3), portal_.Table(ObjectType::kContacts)));
  EXPECT_EQ(Rejects(groups(6, 1)).category, "VALIDATION_ERROR");
  EXPECT_EQ(Rejects(groups(1, 7)).status, 400);
  EXPECT_EQ(Rejects(groups(4, 5)).status, 400);  // 20 > 18
}

TEST_F(SearchTest, LimitAndAfterValidation) {
  EXPECT_EQ(ParseSearchRequest(json::object(), portal_.Table(ObjectType::kContacts)).limit, 10);
  EXPECT_EQ(ParseSearchRequest(json{{"limit", 200}}, portal_.Table(ObjectType::kContacts)).limit, 200);
  EXPECT_EQ(Rejects(json{{"limit", 201}}).status, 400);
  EXPECT_EQ(Rejects(json{{"limit", -1}}).status, 400);
  EXPECT_EQ(Rejects(json{{"after", "abc"}}).status, 400);
  EXPECT_EQ(Rejects(json{{"after", "10000"}}).status, 400);
  EXPECT_EQ(ParseSearchRequest(json{{"after", "9999"}}, portal_.Table(ObjectType::kContacts)).after, 9999);
  EXPECT_EQ(ParseSearchRequest(json{{"after", 20}}, portal_.Table(ObjectType::kContacts)).after, 20);
}

TEST_F(SearchTest, OffsetPaging) {
  const auto& table = portal_.Table(ObjectType::kContacts);
  SearchPage p1 = RunSearch(ParseSearchRequest(json{{"limit", 2}}, table), portal_, table);
  EXPECT_EQ(p1.total, 5);
  ASSERT_EQ(p1.results.size(), 2U);
  ASSERT_TRUE(p1.next_after);
  EXPECT_EQ(*p1.next_after, 2);
  SearchPage p3 = RunSearch(ParseSearchRequest(json{{"limit", 2}, {"after", "4"}}, table), portal_, table);
  ASSERT_EQ(p3.results.size(), 1U);
  EXPECT_EQ(p3.results[0]->id, 5);
  EXPECT_FALSE(p3.next_after);
  SearchPage past = RunSearch(ParseSearchRequest(json{{"after", "50"}}, table), portal_, table);
  EXPECT_EQ(past.total, 5);
  EXPECT_TRUE(past.results.empty());
  EXPECT_FALSE(past.next_after);
}

TEST(SearchCeiling, NextNeverReachesTenThousand) {
  Portal portal;
  InstallDefaultSchema(portal, kT0);
  auto& c = portal.Table(ObjectType::kContacts);
  const uint16_t email = *c.Props().Find("email");
  c.Reserve(10050);
  for (int i = 0; i < 10050; ++i) {
    Record r;
    r.created_ms = kT0 + i;
    r.SetRaw(email, "u" + std::to_string(i) + "@example.com");
    c.Append(std::move(r));
  }
  const json body = {{"limit", 200}, {"after", "9800"}};
  SearchPage p = RunSearch(ParseSearchRequest(body, c), portal, c);
  EXPECT_EQ(p.total, 10050);
  EXPECT_EQ(p.results.size(), 200U);
  EXPECT_FALSE(p.next_after);  // would be 10000
  SearchPage q = RunSearch(ParseSearchRequest(json{{"limit", 20}, {"after", 9990}}, c), portal, c);
  EXPECT_EQ(q.results.size(), 10U);
  EXPECT_EQ(q.results.back()->id, 10000);
  EXPECT_FALSE(q.next_after);
  SearchPage r = RunSearch(ParseSearchRequest(json{{"limit", 100}, {"after", 9700}}, c), portal, c);
  ASSERT_TRUE(r.next_after);
  EXPECT_EQ(*r.next_after, 9800);
}

TEST(SearchSpeed, ScansAMillionContactsQuickly) {
  Portal portal;
  InstallDefaultSchema(portal, kT0);
  auto& c = portal.Table(ObjectType::kContacts);
  const auto& props = c.Props();
  const uint16_t email = *props.Find("email"), stage = *props.Find("lifecyclestage"),
                 visits = *props.Find("hs_analytics_num_visits"), created = *props.Find("createdate"),
                 first = *props.Find("firstname");
  constexpr int kN = 1000000;
  const char* stages[] = {"subscriber", "lead", "marketingqualifiedlead", "customer"};
  c.Reserve(kN);
  for (int i = 0; i < kN; ++i) {
    Record r;
    r.created_ms = kT0 + int64_t{i} * 1000;
    PropertyValuesBuilder v;
    v.Add(email, "user" + std::to_string(i) + "@example.com");
    v.Add(stage, stages[i % 4]);
    v.Add(visits, std::to_string(i % 50));
    v.Add(created, FormatIsoMillis(r.created_ms));
    v.Add(first, "name" + std::to_string(i % 1000));
    r.props = v.Build();
    c.Append(std::move(r));
  }
  auto time = [&](const json& body) {
    const auto t0 = std::chrono::steady_clock::now();
    SearchPage p = RunSearch(ParseSearchRequest(body, c), portal, c);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return std::pair{p.total, ms};
  };
  const auto [eq_total, eq_ms] = time(
      json{{"filterGroups",
            {{{"filters", {{{"propertyName", "email"}, {"operator", "EQ"}, {"value", "USER777@example.com"}}}}}}}});
  EXPECT_EQ(eq_total, 1);
  const auto [enum_total, enum_ms] =
      time(json{{"filterGroups",
                 {{{"filters", {{{"propertyName", "lifecyclestage"}, {"operator", "EQ"}, {"value", "lead"}}}}}}}});
  EXPECT_EQ(enum_total, kN / 4);
  const auto [num_total, num_ms] = time(
      json{{"filterGroups",
            {{{"filters", {{{"propertyName", "hs_analytics_num_visits"}, {"operator", "GTE"}, {"value", 45}}}}}}}});
  EXPECT_EQ(num_total, kN / 10);
  const auto [date_total, date_ms] = time(json{{"filterGroups",
                                                {{{"filters",
                                                   {{{"propertyName", "createdate"},
                                                     {"operator", "GT"},
                                                     {"value", std::to_string(kT0 + int64_t{kN - 1000} * 1000)}}}}}}},
                                               {"sorts", {"-createdate"}}});
  EXPECT_EQ(date_total, 999);
  std::cout << "1M contacts: EQ email " << eq_ms << " ms, EQ enum " << enum_ms << " ms, GTE number " << num_ms
            << " ms, GT datetime + sort " << date_ms << " ms\n";
#if !defined(__SANITIZE_ADDRESS__)
  // About 100 ms each on an idle machine; the bound leaves room for a loaded CI host.
  EXPECT_LT(eq_ms, 2000.0);
  EXPECT_LT(num_ms, 2000.0);
  EXPECT_LT(date_ms, 2000.0);
#endif
}

}  // namespace
}  // namespace revlens::emulator
