// Search and metadata routes over HTTP: an in-process EmulatorServer on a free port, driven
// with httplib::Client as the official clients would call it.
#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "core/time_util.hpp"
#include "emulator/server.hpp"
#include "emulator/store.hpp"

namespace revlens::emulator {
namespace {

using nlohmann::json;

constexpr int64_t kT0 = 1700000000000;

class MetaRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto portal = std::make_unique<Portal>();
    InstallDefaultSchema(*portal, kT0);
    Seed(*portal);
    ServeOptions opts;
    opts.port = 0;
    opts.threads = 4;
    server_ = std::make_unique<EmulatorServer>(std::move(portal), opts);
    const int port = server_->Start();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port);
    client_->set_bearer_token_auth(opts.token);
    client_->set_read_timeout(10, 0);
  }
  void TearDown() override { server_->Stop(); }

  static void Seed(Portal& p) {
    auto& c = p.Table(ObjectType::kContacts);
    for (int i = 0; i < 25; ++i) {
      c.Create({{"email", "user" + std::to_string(i) + "@example.com"},
                {"firstname", i % 2 == 0 ? "Even" : "Odd"},
                {"lastname", "Number" + std::to_string(i)},
                {"hs_analytics_num_visits", std::to_string(i)}},
               kT0 + i * 1000);
    }
    c.Records()[3].archived = true;  // id 4
    auto& co = p.Table(ObjectType::kCompanies);
    co.Create({{"name", "Acme"}, {"domain", "acme.com"}}, kT0);
    p.Associate(ObjectType::kContacts, 1, ObjectType::kCompanies, 1);
    p.Associate(ObjectType::kContacts, 2, ObjectType::kCompanies, 1);
    p.teams = {Team{"11", "East"}, Team{"12", "West"}};
    p.owners = {Owner{301, 9001, "ada@corp.com", "Ada", "Lovelace", "PERSON", {"11"}, false, kT0, kT0},
                Owner{303, 9003, "cy@corp.com", "Cy", "Young", "PERSON", {"12", "11"}, false, kT0, kT0},
                Owner{302, 9002, "bo@corp.com", "Bo", "Diddley", "PERSON", {}, false, kT0, kT0},
                Owner{304, 9004, "gone@corp.com", "Old", "Timer", "PERSON", {}, true, kT0, kT0}};
  }

  struct Reply {
    int status = 0;
    json body;
  };
  static Reply Make(const httplib::Result& r) {
    Reply out;
    if (!r) {
      ADD_FAILURE() << "request failed: " << httplib::to_string(r.error());
      return out;
    }
    out.status = r->status;
    if (!r->body.empty()) out.body = json::parse(r->body, nullptr, false);
    return out;
  }
  Reply Get(const std::string& path) { return Make(client_->Get(path)); }
  Reply Post(const std::string& path, const json& body) {
    return Make(client_->Post(path, body.dump(), "application/json"));
  }
  Reply Patch(const std::string& path, const json& body) {
    return Make(client_->Patch(path, body.dump(), "application/json"));
  }
  Reply Put(const std::string& path, const json& body) {
    return Make(client_->Put(path, body.dump(), "application/json"));
  }
  Reply Delete(const std::string& path) { return Make(client_->Delete(path)); }

  static void ExpectHubSpotError(const Reply& r, int status, const std::string& category) {
    EXPECT_EQ(r.status, status) << r.body.dump();
    EXPECT_EQ(r.body.value("status", ""), "error");
    EXPECT_EQ(r.body.value("category", ""), category) << r.body.dump();
    EXPECT_FALSE(r.body.value("message", "").empty());
    EXPECT_EQ(r.body.value("correlationId", "").size(), 36U);
    EXPECT_TRUE(r.body.contains("errors"));
    EXPECT_TRUE(r.body.contains("context"));
  }

  std::unique_ptr<EmulatorServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

// ---- search ----

TEST_F(MetaRoutesTest, SearchFiltersPagesAndSkipsArchived) {
  json body = {
      {"filterGroups", {{{"filters", {{{"propertyName", "firstname"}, {"operator", "EQ"}, {"value", "even"}}}}}}},
      {"properties", {"email", "firstname"}},
      {"limit", 5}};
  Reply r = Post("/crm/v3/objects/contacts/search", body);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["total"], 13);
  ASSERT_EQ(r.body["results"].size(), 5U);
  EXPECT_EQ(r.body["results"][0]["id"], "1");
  EXPECT_EQ(r.body["results"][0]["properties"]["email"], "user0@example.com");
  // The two requested plus hs_object_id, createdate and lastmodifieddate, as HubSpot returns.
  EXPECT_EQ(r.body["results"][0]["properties"].size(), 5U);
  EXPECT_EQ(r.body["results"][0]["properties"]["hs_object_id"], "1");
  EXPECT_EQ(r.body["results"][0]["archived"], false);
  EXPECT_EQ(r.body["paging"]["next"]["after"], "5");

  body["after"] = "10";
  r = Post("/crm/v3/objects/contacts/search", body);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["results"].size(), 3U);
  EXPECT_FALSE(r.body.contains("paging"));

  // Odd ids: 1-based ids 2,4,6,...; id 4 (i=3) is archived.
  r = Post("/crm/v3/objects/0-1/search",
           {{"filterGroups", {{{"filters", {{{"propertyName", "firstname"}, {"operator", "EQ"}, {"value", "Odd"}}}}}}},
            {"limit", 100}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["total"], 11);
  for (const auto& rec : r.body["results"]) EXPECT_NE(rec["id"], "4");
}

TEST_F(MetaRoutesTest, SearchDefaultPropertiesSortAndAssociations) {
  Reply r =
      Post("/crm/v3/objects/contacts/search",
           {{"sorts", {{{"propertyName", "hs_analytics_num_visits"}, {"direction", "DESCENDING"}}}}, {"limit", 2}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["results"][0]["id"], "25");
  EXPECT_EQ(r.body["results"][1]["id"], "24");
  const auto& props = r.body["results"][0]["properties"];
  for (const char* p : {"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"}) {
    EXPECT_TRUE(props.contains(p)) << p;
  }
  r = Post("/crm/v3/objects/contacts/search",
           {{"filterGroups",
             {{{"filters", {{{"propertyName", "associations.company"}, {"operator", "EQ"}, {"value", "1"}}}}}}}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["total"], 2);
  r = Post("/crm/v3/objects/contacts/search", {{"query", "number12"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["total"], 1);
}

TEST_F(MetaRoutesTest, SearchErrorsUseHubSpotShape) {
  ExpectHubSpotError(
      Post("/crm/v3/objects/contacts/search",
           {{"filterGroups", {{{"filters", {{{"propertyName", "email"}, {"operator", "LIKE"}, {"value", "x"}}}}}}}}),
      400, "VALIDATION_ERROR");
  ExpectHubSpotError(
      Post("/crm/v3/objects/contacts/search",
           {{"filterGroups", {{{"filters", {{{"propertyName", "nope"}, {"operator", "EQ"}, {"value", "x"}}}}}}}}),
      400, "VALIDATION_ERROR");
  ExpectHubSpotError(Post("/crm/v3/objects/contacts/search", {{"after", "10000"}}), 400, "VALIDATION_ERROR");
  ExpectHubSpotError(Post("/crm/v3/objects/contacts/search", {{"limit", 500}}), 400, "VALIDATION_ERROR");
  ExpectHubSpotError(Post("/crm/v3/objects/contacts/search", {{"sorts", {"email", "-createdate"}}}), 400,
                     "VALIDATION_ERROR");
  ExpectHubSpotError(Post("/crm/v3/objects/widgets/search", json::object()), 400, "VALIDATION_ERROR");
}

// ---- properties ----

TEST_F(MetaRoutesTest, ListsPropertiesInHubSpotsShape) {
  Reply r = Get("/crm/v3/properties/contacts");
  ASSERT_EQ(r.status, 200);
  const json* email = nullptr;
  for (const auto& p : r.body["results"]) {
    if (p["name"] == "email") email = &p;
  }
  ASSERT_NE(email, nullptr);
  for (const char* k : {"name", "label", "type", "fieldType", "description", "groupName", "options", "displayOrder",
                        "calculated", "externalOptions", "hasUniqueValue", "hidden", "hubspotDefined",
                        "modificationMetadata", "formField", "createdAt", "updatedAt", "archived"}) {
    EXPECT_TRUE(email->contains(k)) << k;
  }
  EXPECT_EQ((*email)["modificationMetadata"]["archivable"], false);
  EXPECT_EQ((*email)["modificationMetadata"]["readOnlyDefinition"], true);
  r = Get("/crm/v3/properties/contacts/lifecyclestage");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["type"], "enumeration");
  ASSERT_GE(r.body["options"].size(), 8U);
  EXPECT_EQ(r.body["options"][1]["value"], "lead");
  EXPECT_TRUE(r.body["options"][1].contains("displayOrder"));
  // Options HubSpot derives from pipelines and owners.
  r = Get("/crm/v3/properties/deals/dealstage");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["externalOptions"], true);
  ASSERT_EQ(r.body["options"].size(), 7U);
  EXPECT_EQ(r.body["options"][0]["value"], "appointmentscheduled");
  EXPECT_EQ(r.body["options"][0]["label"], "Appointment Scheduled");
  r = Get("/crm/v3/properties/deals/pipeline");
  ASSERT_EQ(r.body["options"].size(), 1U);
  EXPECT_EQ(r.body["options"][0]["value"], "default");
  r = Get("/crm/v3/properties/companies/hubspot_owner_id");
  ASSERT_EQ(r.body["options"].size(), 3U);  // archived owner left out
  EXPECT_EQ(
      r.body["options"][0],
      (json{{"label", "Ada Lovelace"}, {"value", "301"}, {"description", ""}, {"displayOrder", 0}, {"hidden", false}}));
  ExpectHubSpotError(Get("/crm/v3/properties/contacts/no_such_thing"), 404, "OBJECT_NOT_FOUND");
  ExpectHubSpotError(Get("/crm/v3/properties/widgets"), 400, "VALIDATION_ERROR");
}

TEST_F(MetaRoutesTest, CreatesUpdatesAndArchivesProperties) {
  const json create = {{"name", "revlens_score"}, {"label", "revlens score"}, {"type", "number"},
                       {"fieldType", "number"},   {"groupName", "revlens"},   {"description", "Lead score"}};
  Reply r = Post("/crm/v3/properties/contacts", create);
  ASSERT_EQ(r.status, 201) << r.body.dump();
  EXPECT_EQ(r.body["name"], "revlens_score");
  EXPECT_FALSE(r.body.contains("hubspotDefined"));
  EXPECT_EQ(r.body["modificationMetadata"]["archivable"], true);
  EXPECT_EQ(r.body["archived"], false);

  ExpectHubSpotError(Post("/crm/v3/properties/contacts", create), 409, "OBJECT_ALREADY_EXISTS");

  json bad = create;
  bad["name"] = "x2";
  bad["type"] = "integer";
  ExpectHubSpotError(Post("/crm/v3/properties/contacts", bad), 400, "VALIDATION_ERROR");
  bad["type"] = "number";
  bad["fieldType"] = "text";  // not a valid pair
  ExpectHubSpotError(Post("/crm/v3/properties/contacts", bad), 400, "VALIDATION_ERROR");
  bad["fieldType"] = "number";
  bad["groupName"] = "nowhere";
  ExpectHubSpotError(Post("/crm/v3/properties/contacts", bad), 400, "VALIDATION_ERROR");
  bad.erase("groupName");
  ExpectHubSpotError(Post("/crm/v3/properties/contacts", bad), 400, "VALIDATION_ERROR");

  r = Patch("/crm/v3/properties/contacts/revlens_score", {{"label", "Score (revlens)"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["label"], "Score (revlens)");
  ExpectHubSpotError(Patch("/crm/v3/properties/contacts/email", {{"type", "number"}, {"fieldType", "number"}}), 400,
                     "VALIDATION_ERROR");
  ExpectHubSpotError(Delete("/crm/v3/properties/contacts/email"), 400, "VALIDATION_ERROR");

  // The new property is searchable right away.
  r = Post("/crm/v3/objects/contacts/search",
           {{"filterGroups", {{{"filters", {{{"propertyName", "revlens_score"}, {"operator", "HAS_PROPERTY"}}}}}}}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["total"], 0);

  r = Delete("/crm/v3/properties/contacts/revlens_score");
  EXPECT_EQ(r.status, 204);
  ExpectHubSpotError(Get("/crm/v3/properties/contacts/revlens_score"), 404, "OBJECT_NOT_FOUND");
  r = Get("/crm/v3/properties/contacts/revlens_score?archived=true");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["archived"], true);
  EXPECT_TRUE(r.body.contains("archivedAt"));
  r = Get("/crm/v3/properties/contacts?archived=true");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body["results"].size(), 1U);
  EXPECT_EQ(r.body["results"][0]["name"], "revlens_score");
}

TEST_F(MetaRoutesTest, BatchPropertyEndpoints) {
  json inputs = json::array();
  inputs.push_back({{"name", "icp_tier"},
                    {"label", "ICP tier"},
                    {"type", "enumeration"},
                    {"fieldType", "select"},
                    {"groupName", "revlens"},
                    {"options", {{{"label", "A"}, {"value", "a"}}, {{"label", "B"}, {"value", "b"}}}}});
  inputs.push_back({{"name", "is_icp"},
                    {"label", "Is ICP"},
                    {"type", "bool"},
                    {"fieldType", "booleancheckbox"},
                    {"groupName", "revlens"}});
  Reply r = Post("/crm/v3/properties/companies/batch/create", {{"inputs", inputs}});
  ASSERT_EQ(r.status, 201) << r.body.dump();
  EXPECT_EQ(r.body["status"], "COMPLETE");
  EXPECT_EQ(r.body["results"].size(), 2U);

  inputs.push_back(
      {{"name", "ok_one"}, {"label", "OK"}, {"type", "string"}, {"fieldType", "text"}, {"groupName", "revlens"}});
  r = Post("/crm/v3/properties/companies/batch/create", {{"inputs", inputs}});
  ASSERT_EQ(r.status, 207);
  EXPECT_EQ(r.body["numErrors"], 2);
  EXPECT_EQ(r.body["results"].size(), 1U);

  r = Post("/crm/v3/properties/companies/batch/read", {{"inputs", {{{"name", "icp_tier"}}, {{"name", "is_icp"}}}}});
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body["results"].size(), 2U);
  EXPECT_EQ(r.body["results"][0]["options"].size(), 2U);
  EXPECT_EQ(r.body["results"][1]["options"][0]["value"], "true");

  r = Post("/crm/v3/properties/companies/batch/archive", {{"inputs", {{{"name", "icp_tier"}}, {{"name", "is_icp"}}}}});
  EXPECT_EQ(r.status, 204);
  r = Post("/crm/v3/properties/companies/batch/read", {{"inputs", {{{"name", "icp_tier"}}}}});
  EXPECT_EQ(r.status, 207);
  r = Post("/crm/v3/properties/companies/batch/read", {{"inputs", {{{"name", "icp_tier"}}}}, {"archived", true}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["results"][0]["archived"], true);
}

TEST_F(MetaRoutesTest, PropertyGroups) {
  Reply r = Get("/crm/v3/properties/deals/groups");
  ASSERT_EQ(r.status, 200);
  ASSERT_FALSE(r.body["results"].empty());
  EXPECT_EQ(r.body["results"][0]["name"], "dealinformation");
  for (const char* k : {"name", "label", "displayOrder", "archived"}) EXPECT_TRUE(r.body["results"][0].contains(k));

  r = Post("/crm/v3/properties/deals/groups", {{"name", "forecasting"}, {"label", "Forecasting"}, {"displayOrder", 3}});
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(r.body["displayOrder"], 3);
  ExpectHubSpotError(Post("/crm/v3/properties/deals/groups", {{"name", "forecasting"}, {"label", "Again"}}), 409,
                     "OBJECT_ALREADY_EXISTS");
  ExpectHubSpotError(Post("/crm/v3/properties/deals/groups", {{"name", "nolabel"}}), 400, "VALIDATION_ERROR");
  r = Patch("/crm/v3/properties/deals/groups/forecasting", {{"label", "Forecast"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["label"], "Forecast");
  r = Get("/crm/v3/properties/deals/groups/forecasting");
  EXPECT_EQ(r.body["label"], "Forecast");
  // A property can now go into the group.
  r = Post("/crm/v3/properties/deals",
           {{"name", "fc"}, {"label", "FC"}, {"type", "string"}, {"fieldType", "text"}, {"groupName", "forecasting"}});
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(Delete("/crm/v3/properties/deals/groups/forecasting").status, 204);
  ExpectHubSpotError(Get("/crm/v3/properties/deals/groups/forecasting"), 404, "OBJECT_NOT_FOUND");
}

// ---- pipelines ----

TEST_F(MetaRoutesTest, DefaultDealPipeline) {
  Reply r = Get("/crm/v3/pipelines/deals");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body["results"].size(), 1U);
  const json& p = r.body["results"][0];
  EXPECT_EQ(p["id"], "default");
  ASSERT_EQ(p["stages"].size(), 7U);
  EXPECT_EQ(p["stages"][0]["id"], "appointmentscheduled");
  EXPECT_EQ(p["stages"][0]["metadata"]["probability"], "0.2");
  EXPECT_EQ(p["stages"][0]["metadata"]["isClosed"], "false");
  EXPECT_EQ(p["stages"][5]["metadata"]["probability"], "1.0");
  EXPECT_EQ(p["stages"][5]["metadata"]["isClosed"], "true");
  for (const char* k : {"id", "label", "displayOrder", "stages", "createdAt", "updatedAt", "archived"}) {
    EXPECT_TRUE(p.contains(k)) << k;
  }
  r = Get("/crm/v3/pipelines/deals/default/stages/closedlost");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["metadata"]["probability"], "0.0");
  ExpectHubSpotError(Get("/crm/v3/pipelines/contacts"), 400, "VALIDATION_ERROR");
  ExpectHubSpotError(Get("/crm/v3/pipelines/deals/nope"), 404, "OBJECT_NOT_FOUND");
}

TEST_F(MetaRoutesTest, CreatesAndEditsPipelinesAndStages) {
  const json stages = {{{"label", "Discovery"}, {"displayOrder", 0}, {"metadata", {{"probability", "0.1"}}}},
                       {{"label", "Won"}, {"displayOrder", 1}, {"metadata", {{"probability", 1.0}}}},
                       {{"label", "Lost"}, {"displayOrder", 2}, {"metadata", {{"probability", 0}}}}};
  Reply r = Post("/crm/v3/pipelines/deals", {{"label", "Renewals"}, {"displayOrder", 1}, {"stages", stages}});
  ASSERT_EQ(r.status, 201) << r.body.dump();
  const std::string pid = r.body["id"];
  ASSERT_EQ(r.body["stages"].size(), 3U);
  const std::string discovery = r.body["stages"][0]["id"];
  EXPECT_NE(discovery, r.body["stages"][1]["id"]);
  EXPECT_EQ(r.body["stages"][1]["metadata"]["isClosed"], "true");
  EXPECT_EQ(r.body["stages"][0]["metadata"]["probability"], "0.1");
  // Stage properties exist for the new stages.
  EXPECT_EQ(Get("/crm/v3/properties/deals/hs_date_entered_" + discovery).status, 200);

  ExpectHubSpotError(Post("/crm/v3/pipelines/deals", {{"label", "Renewals"}, {"displayOrder", 2}, {"stages", stages}}),
                     409, "OBJECT_ALREADY_EXISTS");
  for (const json& prob : {json("0.25"), json(1.5), json("abc")}) {
    json bad = {{"label", "Odd"},
                {"displayOrder", 2},
                {"stages", {{{"label", "S"}, {"displayOrder", 0}, {"metadata", {{"probability", prob}}}}}}};
    ExpectHubSpotError(Post("/crm/v3/pipelines/deals", bad), 400, "VALIDATION_ERROR");
  }
  ExpectHubSpotError(Post("/crm/v3/pipelines/deals",
                          {{"label", "NoProb"},
                           {"displayOrder", 2},
                           {"stages", {{{"label", "S"}, {"displayOrder", 0}, {"metadata", json::object()}}}}}),
                     400, "VALIDATION_ERROR");

  r = Post("/crm/v3/pipelines/deals/" + pid + "/stages",
           {{"label", "Proposal"}, {"displayOrder", 1}, {"metadata", {{"probability", "0.6"}}}});
  ASSERT_EQ(r.status, 201) << r.body.dump();
  const std::string proposal = r.body["id"];
  EXPECT_EQ(Get("/crm/v3/properties/deals/hs_date_exited_" + proposal).status, 200);
  r = Patch("/crm/v3/pipelines/deals/" + pid + "/stages/" + proposal, {{"metadata", {{"probability", "0.7"}}}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["metadata"]["probability"], "0.7");
  EXPECT_EQ(r.body["label"], "Proposal");
  ExpectHubSpotError(
      Patch("/crm/v3/pipelines/deals/" + pid + "/stages/" + proposal, {{"metadata", {{"probability", "0.75"}}}}), 400,
      "VALIDATION_ERROR");
  r = Get("/crm/v3/pipelines/deals/" + pid + "/stages");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["results"].size(), 4U);

  EXPECT_EQ(Delete("/crm/v3/pipelines/deals/" + pid + "/stages/" + proposal).status, 204);
  ExpectHubSpotError(Get("/crm/v3/pipelines/deals/" + pid + "/stages/" + proposal), 404, "OBJECT_NOT_FOUND");

  // PUT replaces the stages; a stage keeps its id when its label survives.
  r = Put("/crm/v3/pipelines/deals/" + pid,
          {{"label", "Renewals 2"},
           {"displayOrder", 4},
           {"stages",
            {{{"label", "Discovery"}, {"displayOrder", 0}, {"metadata", {{"probability", "0.2"}}}},
             {{"label", "Signed"}, {"displayOrder", 1}, {"metadata", {{"probability", "1.0"}}}}}}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["label"], "Renewals 2");
  ASSERT_EQ(r.body["stages"].size(), 2U);
  EXPECT_EQ(r.body["stages"][0]["id"], discovery);
  EXPECT_EQ(r.body["stages"][0]["metadata"]["probability"], "0.2");

  r = Patch("/crm/v3/pipelines/deals/" + pid, {{"label", "Renewals 3"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["label"], "Renewals 3");
  EXPECT_EQ(Delete("/crm/v3/pipelines/deals/" + pid).status, 204);
  ExpectHubSpotError(Get("/crm/v3/pipelines/deals/" + pid), 404, "OBJECT_NOT_FOUND");
  EXPECT_EQ(Get("/crm/v3/pipelines/deals").body["results"].size(), 1U);
}

// ---- owners ----

TEST_F(MetaRoutesTest, OwnersListPagesAndFilters) {
  Reply r = Get("/crm/v3/owners?limit=2");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body["results"].size(), 2U);
  EXPECT_EQ(r.body["results"][0]["id"], "301");
  EXPECT_EQ(r.body["results"][1]["id"], "302");
  const std::string after = r.body["paging"]["next"]["after"];
  r = Get("/crm/v3/owners/?limit=2&after=" + after);
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body["results"].size(), 1U);
  EXPECT_EQ(r.body["results"][0]["id"], "303");
  EXPECT_FALSE(r.body.contains("paging"));

  const json& cy = r.body["results"][0];
  EXPECT_EQ(cy["userId"], 9003);
  EXPECT_EQ(cy["userIdIncludingInactive"], 9003);
  EXPECT_EQ(cy["type"], "PERSON");
  ASSERT_EQ(cy["teams"].size(), 2U);
  EXPECT_EQ(cy["teams"][0], (json{{"id", "12"}, {"name", "West"}, {"primary", true}}));
  EXPECT_EQ(cy["teams"][1]["primary"], false);
  for (const char* k : {"email", "firstName", "lastName", "createdAt", "updatedAt", "archived"}) {
    EXPECT_TRUE(cy.contains(k)) << k;
  }

  r = Get("/crm/v3/owners/?email=ADA@corp.com");
  ASSERT_EQ(r.body["results"].size(), 1U);
  EXPECT_EQ(r.body["results"][0]["firstName"], "Ada");
  r = Get("/crm/v3/owners?archived=true");
  ASSERT_EQ(r.body["results"].size(), 1U);
  EXPECT_EQ(r.body["results"][0]["id"], "304");
  EXPECT_EQ(Get("/crm/v3/owners").body["results"].size(), 3U);
  ExpectHubSpotError(Get("/crm/v3/owners?limit=501"), 400, "VALIDATION_ERROR");
}

TEST_F(MetaRoutesTest, OwnerById) {
  Reply r = Get("/crm/v3/owners/302");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["email"], "bo@corp.com");
  r = Get("/crm/v3/owners/9001?idProperty=userId");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["id"], "301");
  ExpectHubSpotError(Get("/crm/v3/owners/9001"), 404, "OBJECT_NOT_FOUND");
  ExpectHubSpotError(Get("/crm/v3/owners/304"), 404, "OBJECT_NOT_FOUND");
  EXPECT_EQ(Get("/crm/v3/owners/304?archived=true").status, 200);
  ExpectHubSpotError(Get("/crm/v3/owners/301?idProperty=email"), 400, "VALIDATION_ERROR");
}

}  // namespace
}  // namespace revlens::emulator
