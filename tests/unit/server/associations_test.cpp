// Associations v4 against an in-process emulator: batch read paging, create/archive, type ids, labels.
#include <set>
#include <shared_mutex>

#include "server_fixture.hpp"

namespace revlens::emulator::testing {
namespace {

using nlohmann::json;

class Associations : public ServerTest {};

TEST_F(Associations, BatchReadPagesOverManyAssociationsOfOneRecord) {
  auto portal = SeedPortal(1200, 2);
  for (int64_t c = 1; c <= 1200; ++c) portal->Associate(ObjectType::kCompanies, 1, ObjectType::kContacts, c);
  portal->Associate(ObjectType::kCompanies, 2, ObjectType::kContacts, 7);
  Start(std::move(portal));

  std::set<int64_t> seen;
  std::string after;
  int pages = 0;
  while (true) {
    json input = {{"id", "1"}};
    if (!after.empty()) input["after"] = after;
    auto r = Post("/crm/v4/associations/companies/contacts/batch/read", {{"inputs", {input, {{"id", "2"}}}}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body.substr(0, 500);
    auto j = json::parse(r->body);
    ASSERT_EQ(j["results"].size(), 2u);
    const auto& res = j["results"][0];
    EXPECT_EQ(res["from"]["id"], "1");
    EXPECT_LE(res["to"].size(), 500u);
    for (const auto& t : res["to"]) {
      EXPECT_TRUE(seen.insert(t["toObjectId"].get<int64_t>()).second);
      EXPECT_EQ(t["associationTypes"][0]["typeId"], 280);
      EXPECT_EQ(t["associationTypes"][0]["category"], "HUBSPOT_DEFINED");
      EXPECT_TRUE(t["associationTypes"][0]["label"].is_null());
    }
    ++pages;
    if (!res.contains("paging")) break;
    after = res["paging"]["next"]["after"].get<std::string>();
    ASSERT_LT(pages, 5);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 1200u);

  // Records without associations: 207 with one error per input, the rest still answered.
  auto r = Post("/crm/v4/associations/contacts/companies/batch/read",
                {{"inputs", {{{"id", "7"}}, {{"id", "5000"}}}}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 207) << r->body;
  auto j = json::parse(r->body);
  ASSERT_EQ(j["results"].size(), 1u);
  EXPECT_EQ(j["results"][0]["to"].size(), 2u);  // contact 7 is with companies 1 and 2
  EXPECT_EQ(j["numErrors"], 1);

  json too_many = json::array();
  for (int i = 0; i < 1001; ++i) too_many.push_back({{"id", std::to_string(i + 1)}});
  ExpectHubSpotError(Post("/crm/v4/associations/contacts/companies/batch/read", {{"inputs", too_many}}), 400);
  ExpectHubSpotError(Post("/crm/v4/associations/contacts/gadgets/batch/read", {{"inputs", json::array()}}), 400);
}

TEST_F(Associations, CreateListAndArchiveOnOneRecord) {
  Start(SeedPortal(2, 2));
  auto put = Put("/crm/v4/objects/contacts/1/associations/companies/2",
                 json::array({{{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", 1}}}));
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 201) << put->body;
  auto pj = json::parse(put->body);
  EXPECT_EQ(pj["fromObjectId"], 1);
  EXPECT_EQ(pj["toObjectTypeId"], "0-2");
  EXPECT_EQ(pj["labels"][0], "Primary");

  auto list = Json(Get("/crm/v4/objects/contacts/1/associations/companies"));
  ASSERT_EQ(list["results"].size(), 1u) << list;
  std::set<int> types;
  for (const auto& t : list["results"][0]["associationTypes"]) types.insert(t["typeId"].get<int>());
  EXPECT_EQ(types, (std::set<int>{1, 279}));  // a labeled association carries the default too
  auto back = Json(Get("/crm/v4/objects/companies/2/associations/contacts"));
  std::set<int> back_types;
  for (const auto& t : back["results"][0]["associationTypes"]) back_types.insert(t["typeId"].get<int>());
  EXPECT_EQ(back_types, (std::set<int>{2, 280}));

  ExpectHubSpotError(Put("/crm/v4/objects/contacts/1/associations/companies/2",
                         json::array({{{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", 3}}})),
                     400);
  ExpectHubSpotError(Put("/crm/v4/objects/contacts/1/associations/companies/99",
                         json::array({{{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", 279}}})),
                     404);

  auto del = Delete("/crm/v4/objects/contacts/1/associations/companies/2");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 204);
  EXPECT_EQ(Json(Get("/crm/v4/objects/contacts/1/associations/companies"))["results"].size(), 0u);
  EXPECT_EQ(Json(Get("/crm/v4/objects/companies/2/associations/contacts"))["results"].size(), 0u);
}

TEST_F(Associations, BatchCreateArchiveAndDefaultTypeIds) {
  auto portal = SeedPortal(2, 1);
  const int64_t now = NowMillis();
  portal->Table(ObjectType::kDeals).Create({{"dealname", "D"}}, now);
  portal->Table(ObjectType::kCalls).Create({{"hs_call_title", "hello"}}, now);
  Start(std::move(portal));

  auto r = Post("/crm/v4/associations/deals/contacts/batch/associate/default",
                {{"inputs", {{{"from", {{"id", "1"}}}, {"to", {{"id", "2"}}}}}}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto type_of = [&](const std::string& from, int64_t id, const std::string& to) {
    auto j = Json(Get("/crm/v4/objects/" + from + "/" + std::to_string(id) + "/associations/" + to));
    return j["results"].empty() ? -1 : j["results"][0]["associationTypes"][0]["typeId"].get<int>();
  };
  EXPECT_EQ(type_of("deals", 1, "contacts"), 3);
  EXPECT_EQ(type_of("contacts", 2, "deals"), 4);

  auto c = Post("/crm/v4/associations/deals/companies/batch/create",
                {{"inputs",
                  {{{"from", {{"id", "1"}}},
                    {"to", {{"id", "1"}}},
                    {"types", {{{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", 341}}}}}}}});
  ASSERT_TRUE(c);
  ASSERT_EQ(c->status, 201) << c->body;
  EXPECT_EQ(type_of("companies", 1, "deals"), 342);

  ASSERT_EQ(Post("/crm/v4/associations/contacts/calls/batch/associate/default",
                 {{"inputs", {{{"from", {{"id", "1"}}}, {"to", {{"id", "1"}}}}}}})
                ->status,
            200);
  EXPECT_EQ(type_of("contacts", 1, "calls"), 193);
  EXPECT_EQ(type_of("calls", 1, "contacts"), 194);

  // Missing records: 207 with the error; present ones created.
  auto partial = Post("/crm/v4/associations/contacts/companies/batch/create",
                      {{"inputs",
                        {{{"from", {{"id", "1"}}},
                          {"to", {{"id", "1"}}},
                          {"types", {{{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", 279}}}}},
                         {{"from", {{"id", "1"}}},
                          {"to", {{"id", "77"}}},
                          {"types", {{{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", 279}}}}}}}});
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->status, 207) << partial->body;
  EXPECT_EQ(type_of("contacts", 1, "companies"), 279);

  auto a = Post("/crm/v4/associations/deals/contacts/batch/archive",
                {{"inputs", {{{"from", {{"id", "1"}}}, {"to", {{{"id", "2"}}}}}}}});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 204);
  EXPECT_EQ(type_of("deals", 1, "contacts"), -1);
  EXPECT_EQ(type_of("contacts", 2, "deals"), -1);
}

TEST_F(Associations, UserDefinedLabels) {
  Start(SeedPortal(2, 1));
  auto defaults = Json(Get("/crm/associations/v4/contacts/companies/labels"));
  ASSERT_GE(defaults["results"].size(), 2u);
  EXPECT_EQ(defaults["results"][0]["typeId"], 279);
  EXPECT_TRUE(defaults["results"][0]["label"].is_null());

  auto c = Post("/crm/v4/associations/contacts/companies/labels",
                {{"label", "Billing contact"}, {"name", "billing_contact"}, {"inverseLabel", "Billed company"}});
  ASSERT_TRUE(c);
  ASSERT_EQ(c->status, 200) << c->body;
  const int type_id = json::parse(c->body)["results"][0]["typeId"];
  auto put = Put("/crm/v4/objects/contacts/2/associations/companies/1",
                 json::array({{{"associationCategory", "USER_DEFINED"}, {"associationTypeId", type_id}}}));
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 201) << put->body;
  auto back = Json(Post("/crm/v4/associations/companies/contacts/batch/read", {{"inputs", {{{"id", "1"}}}}}));
  bool found = false;
  for (const auto& t : back["results"][0]["to"][0]["associationTypes"]) {
    if (t["category"] == "USER_DEFINED") {
      found = true;
      EXPECT_EQ(t["label"], "Billed company");
      EXPECT_EQ(t["typeId"], type_id + 1);
    }
  }
  EXPECT_TRUE(found) << back;
  auto del = Delete("/crm/v4/associations/contacts/companies/labels/" + std::to_string(type_id));
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 204);
  EXPECT_EQ(Json(Get("/crm/v4/associations/contacts/companies/labels"))["results"].size(), defaults["results"].size());
}

}  // namespace
}  // namespace revlens::emulator::testing
