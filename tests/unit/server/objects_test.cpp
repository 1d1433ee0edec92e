// CRM v3 object routes against an in-process emulator: auth, paging, parameters, CRUD, history,
// batch, validation errors, merge.
#include <set>
#include <shared_mutex>

#include "server_fixture.hpp"

namespace revlens::emulator::testing {
namespace {

using nlohmann::json;

class Objects : public ServerTest {};

TEST_F(Objects, MissingOrWrongTokenIs401WithHubSpotBody) {
  Start(SeedPortal(3));
  ExpectHubSpotError(cli_->Get("/crm/v3/objects/contacts"), 401, "INVALID_AUTHENTICATION");
  ExpectHubSpotError(cli_->Get("/crm/v3/objects/contacts", {{"Authorization", "Bearer nope"}}), 401);
  // A refused POST with a body must not poison the keep-alive connection for the next request.
  ExpectHubSpotError(cli_->Post("/crm/v3/objects/contacts", R"({"properties":{"email":"x@y.z"}})", "application/json"),
                     401);
  auto ok = Get("/crm/v3/objects/contacts");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  std::shared_lock lock(server_->GetPortal().mutex);
  EXPECT_EQ(server_->GetPortal().Table(ObjectType::kContacts).Records().size(), 3u);  // nothing created
}

TEST_F(Objects, ListPagingVisitsEveryRecordExactlyOnce) {
  auto portal = SeedPortal(253);
  // Archived records are skipped by the default listing.
  for (int64_t id : {5, 100, 101, 250}) portal->Table(ObjectType::kContacts).Find(id)->archived = true;
  Start(std::move(portal));
  std::set<std::string> seen;
  std::string after;
  int pages = 0;
  while (true) {
    auto r = Get("/crm/v3/objects/contacts?limit=100" + (after.empty() ? "" : "&after=" + after));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    auto j = json::parse(r->body);
    ++pages;
    for (const auto& rec : j["results"]) {
      EXPECT_TRUE(seen.insert(rec["id"].get<std::string>()).second) << "duplicate " << rec["id"];
      EXPECT_FALSE(rec["archived"].get<bool>());
      EXPECT_TRUE(rec["properties"]["email"].is_string());
    }
    if (!j.contains("paging")) break;
    after = j["paging"]["next"]["after"].get<std::string>();
    const std::string link = j["paging"]["next"]["link"].get<std::string>();
    EXPECT_EQ(link.rfind(server_->BaseUrl() + "/crm/v3/objects/contacts?", 0), 0u) << link;
    EXPECT_NE(link.find("after=" + after), std::string::npos) << link;
    EXPECT_NE(link.find("limit=100"), std::string::npos) << link;
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(seen.size(), 249u);
  EXPECT_EQ(pages, 3);
  EXPECT_FALSE(seen.count("5"));

  // Default limit is 10; limits above 100 are capped.
  EXPECT_EQ(Json(Get("/crm/v3/objects/contacts"))["results"].size(), 10u);
  EXPECT_EQ(Json(Get("/crm/v3/objects/contacts?limit=1000"))["results"].size(), 100u);
  // propertiesWithHistory caps a page at 50.
  EXPECT_EQ(Json(Get("/crm/v3/objects/contacts?limit=100&propertiesWithHistory=email"))["results"].size(), 50u);
}

TEST_F(Objects, BothArrayParameterStylesAndNullForUnset) {
  Start(SeedPortal(2));
  auto a = Json(Get("/crm/v3/objects/contacts?properties=email,firstname,jobtitle,no_such_prop"));
  auto b = Json(Get("/crm/v3/objects/contacts?properties=email&properties=firstname&properties=jobtitle"));
  ASSERT_EQ(a["results"].size(), 2u);
  for (const auto& j : {a, b}) {
    const auto& props = j["results"][0]["properties"];
    // The three requested plus what HubSpot always returns: id, create and last-modified dates.
    EXPECT_EQ(props.size(), 6u) << props;
    EXPECT_EQ(props["hs_object_id"], "1");
    EXPECT_TRUE(props["createdate"].is_string());
    EXPECT_TRUE(props["lastmodifieddate"].is_string());
    EXPECT_EQ(props["email"], "c0@example.com");
    EXPECT_EQ(props["firstname"], "F0");
    EXPECT_TRUE(props["jobtitle"].is_null());  // requested but unset
    EXPECT_FALSE(props.contains("no_such_prop"));
  }
  // Without `properties`, HubSpot's defaults for the type; all values are strings.
  auto d = Json(Get("/crm/v3/objects/0-1?limit=1"));
  const auto& props = d["results"][0]["properties"];
  EXPECT_TRUE(props["hs_object_id"].is_string());
  EXPECT_TRUE(props["createdate"].is_string());
  EXPECT_TRUE(props["lastmodifieddate"].is_string());
  EXPECT_TRUE(d["results"][0]["createdAt"].is_string());
  EXPECT_TRUE(d["results"][0]["updatedAt"].is_string());
}

TEST_F(Objects, ArchivedListingReturnsOnlyArchived) {
  Start(SeedPortal(20));
  for (const char* id : {"3", "7", "11"}) {
    auto r = Delete(std::string("/crm/v3/objects/contacts/") + id);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 204);
  }
  auto j = Json(Get("/crm/v3/objects/contacts?limit=100&archived=True"));
  ASSERT_EQ(j["results"].size(), 3u);
  for (const auto& rec : j["results"]) {
    EXPECT_TRUE(rec["archived"].get<bool>());
    EXPECT_TRUE(rec["archivedAt"].is_string());
  }
  EXPECT_EQ(Json(Get("/crm/v3/objects/contacts?limit=100&archived=false"))["results"].size(), 17u);
}

TEST_F(Objects, CreateGetUpdateArchiveRoundTripWithHistory) {
  Start(SeedPortal(0));
  auto c = Post("/crm/v3/objects/contacts",
                {{"properties", {{"email", "Ada@Example.com"}, {"firstname", "Ada"}, {"hs_analytics_num_visits", 3}}}});
  ASSERT_TRUE(c);
  ASSERT_EQ(c->status, 201) << c->body;
  auto created = json::parse(c->body);
  const std::string id = created["id"];
  EXPECT_EQ(created["properties"]["email"], "ada@example.com");
  EXPECT_EQ(created["properties"]["hs_analytics_num_visits"], "3");  // numbers come back as strings
  EXPECT_EQ(created["properties"]["hs_object_id"], id);
  EXPECT_FALSE(created["archived"].get<bool>());

  auto g = Json(Get("/crm/v3/objects/contacts/" + id + "?properties=firstname"));
  EXPECT_EQ(g["properties"]["firstname"], "Ada");
  auto by_email = Json(Get("/crm/v3/objects/contacts/ada@example.com?idProperty=email&properties=firstname"));
  EXPECT_EQ(by_email["id"], id);

  const int64_t before = ParseTimestampMillis(g["updatedAt"].get<std::string>()).value();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto u = Patch("/crm/v3/objects/contacts/" + id, {{"properties", {{"firstname", "Augusta"}}}});
  ASSERT_TRUE(u);
  ASSERT_EQ(u->status, 200) << u->body;
  auto updated = json::parse(u->body);
  EXPECT_EQ(updated["properties"]["firstname"], "Augusta");
  EXPECT_GT(ParseTimestampMillis(updated["updatedAt"].get<std::string>()).value(), before);
  EXPECT_EQ(updated["properties"]["lastmodifieddate"], updated["updatedAt"]);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(Patch("/crm/v3/objects/contacts/" + id, {{"properties", {{"firstname", "Lovelace"}}}})->status, 200);

  auto h = Json(Get("/crm/v3/objects/contacts/" + id + "?propertiesWithHistory=firstname,email"));
  const auto& fh = h["propertiesWithHistory"]["firstname"];
  ASSERT_EQ(fh.size(), 3u) << h;
  EXPECT_EQ(fh[0]["value"], "Lovelace");  // newest first
  EXPECT_EQ(fh[1]["value"], "Augusta");
  EXPECT_EQ(fh[2]["value"], "Ada");
  EXPECT_EQ(fh[0]["sourceType"], "API");
  EXPECT_GE(fh[0]["timestamp"].get<std::string>(), fh[2]["timestamp"].get<std::string>());
  EXPECT_EQ(h["propertiesWithHistory"]["email"].size(), 1u);

  auto d = Delete("/crm/v3/objects/contacts/" + id);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->status, 204);
  ExpectHubSpotError(Get("/crm/v3/objects/contacts/" + id), 404, "OBJECT_NOT_FOUND");
  auto a = Json(Get("/crm/v3/objects/contacts/" + id + "?archived=true"));
  EXPECT_TRUE(a["archived"].get<bool>());
}

TEST_F(Objects, PropertyWithoutHistoryReportsCurrentValueAtUpdatedAt) {
  auto portal = SeedPortal(0);
  Record r;
  r.created_ms = 1'700'000'000'000;
  r.updated_ms = 1'700'000'100'000;
  auto& table = portal->Table(ObjectType::kContacts);
  r.SetRaw(*table.Props().Find("firstname"), "Grace");
  table.Append(std::move(r));
  Start(std::move(portal));
  auto h = Json(Get("/crm/v3/objects/contacts/1?propertiesWithHistory=firstname,lastname"));
  ASSERT_EQ(h["propertiesWithHistory"]["firstname"].size(), 1u) << h;
  EXPECT_EQ(h["propertiesWithHistory"]["firstname"][0]["value"], "Grace");
  EXPECT_EQ(h["propertiesWithHistory"]["firstname"][0]["timestamp"], FormatIsoMillis(1'700'000'100'000));
  EXPECT_EQ(h["propertiesWithHistory"]["lastname"].size(), 0u);
}

TEST_F(Objects, WritesAreValidatedWithHubSpotErrors) {
  Start(SeedPortal(1));
  auto r = Post("/crm/v3/objects/contacts", {{"properties", {{"email", "a@b.c"}, {"favourite_colour", "blue"}}}});
  ExpectHubSpotError(r, 400, "VALIDATION_ERROR");
  auto j = Json(r);
  ASSERT_EQ(j["errors"].size(), 1u) << j;
  EXPECT_EQ(j["errors"][0]["code"], "PROPERTY_DOESNT_EXIST");
  EXPECT_EQ(j["errors"][0]["context"]["propertyName"][0], "favourite_colour");

  auto n = Json(Patch("/crm/v3/objects/contacts/1", {{"properties", {{"hs_analytics_num_visits", "1.5"}}}}));
  EXPECT_EQ(n["errors"][0]["code"], "INVALID_INTEGER") << n;
  auto o = Json(Patch("/crm/v3/objects/contacts/1", {{"properties", {{"lifecyclestage", "martian"}}}}));
  EXPECT_EQ(o["errors"][0]["code"], "INVALID_OPTION") << o;
  auto ok = Patch("/crm/v3/objects/contacts/1", {{"properties", {{"lifecyclestage", "lead"}}}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  // Duplicate email on create: 409 CONFLICT.
  ExpectHubSpotError(Post("/crm/v3/objects/contacts", {{"properties", {{"email", "C0@example.com"}}}}), 409, "CONFLICT");
}

TEST_F(Objects, BadInputNeverCrashesAndAnswersInHubSpotShape) {
  Start(SeedPortal(3));
  ExpectHubSpotError(Get("/crm/v3/objects/widgets"), 400, "VALIDATION_ERROR");
  ExpectHubSpotError(Post("/crm/v3/objects/widgets/batch/read", {{"inputs", json::array()}}), 400);
  ExpectHubSpotError(PostRaw("/crm/v3/objects/contacts", "{\"properties\": {"), 400, "VALIDATION_ERROR");
  ExpectHubSpotError(PostRaw("/crm/v3/objects/contacts/batch/update", "[1,2"), 400);
  ExpectHubSpotError(PostRaw("/crm/v3/objects/contacts/batch/update", R"({"inputs": 7})"), 400);
  ExpectHubSpotError(PostRaw("/crm/v3/objects/contacts/batch/create", R"({"inputs": [5, "x"]})"), 400);
  ExpectHubSpotError(PostRaw("/crm/v3/objects/contacts", R"({"properties": "email"})"), 400);
  ExpectHubSpotError(Get("/crm/v3/objects/contacts?limit=abc"), 400);
  ExpectHubSpotError(Get("/crm/v3/objects/contacts?limit=0"), 400);
  ExpectHubSpotError(Get("/crm/v3/objects/contacts?limit=-5"), 400);
  ExpectHubSpotError(Get("/crm/v3/objects/contacts?after=zzz"), 400);
  ExpectHubSpotError(Get("/crm/v3/objects/contacts?archived=maybe"), 400);
  ExpectHubSpotError(Get("/crm/v3/objects/contacts/999999"), 404, "OBJECT_NOT_FOUND");
  ExpectHubSpotError(Get("/crm/v3/objects/contacts/not-a-number"), 404);
  ExpectHubSpotError(Get("/crm/v3/objects/contacts/x?idProperty=firstname"), 400);
  ExpectHubSpotError(Get("/crm/v9/nothing/here"), 404);
  ExpectHubSpotError(Post("/crm/v3/objects/contacts/batch/explode", {{"inputs", json::array()}}), 404);
  ExpectHubSpotError(Get("/crm/v3/objects/contacts?properties=" + std::string(9000, 'a')), 414);
  // The server is still serving.
  auto ok = Get("/crm/v3/objects/contacts");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(Objects, BatchReadUpdateWithBadIdsAre207AndApplyTheRest) {
  Start(SeedPortal(5));
  auto r = Post("/crm/v3/objects/contacts/batch/read",
                {{"properties", {"email"}}, {"inputs", {{{"id", "1"}}, {{"id", "424242"}}, {{"id", "3"}}}}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 207) << r->body;
  auto j = json::parse(r->body);
  EXPECT_EQ(j["status"], "COMPLETE");
  EXPECT_EQ(j["results"].size(), 2u);
  EXPECT_EQ(j["numErrors"], 1);
  EXPECT_EQ(j["errors"][0]["context"]["ids"][0], "424242");
  EXPECT_TRUE(j["startedAt"].is_string() && j["completedAt"].is_string());
  EXPECT_FALSE(j["results"][0].contains("associations"));

  auto by_email = Json(Post("/crm/v3/objects/contacts/batch/read",
                            {{"idProperty", "email"}, {"inputs", {{{"id", "c2@example.com"}}}}}));
  EXPECT_EQ(by_email["results"][0]["id"], "3");

  auto u = Post("/crm/v3/objects/contacts/batch/update",
                {{"inputs",
                  {{{"id", "2"}, {"properties", {{"firstname", "Two"}}}},
                   {{"id", "999"}, {"properties", {{"firstname", "Nope"}}}},
                   {{"id", "4"}, {"properties", {{"firstname", "Four"}}}}}}});
  ASSERT_TRUE(u);
  ASSERT_EQ(u->status, 207) << u->body;
  auto uj = json::parse(u->body);
  EXPECT_EQ(uj["results"].size(), 2u);
  EXPECT_EQ(uj["numErrors"], 1);
  EXPECT_EQ(Json(Get("/crm/v3/objects/contacts/2?properties=firstname"))["properties"]["firstname"], "Two");
  EXPECT_EQ(Json(Get("/crm/v3/objects/contacts/4?properties=firstname"))["properties"]["firstname"], "Four");

  auto all_ok = Post("/crm/v3/objects/contacts/batch/update", {{"inputs", {{{"id", "5"}, {"properties", {{"lastname", "L"}}}}}}});
  ASSERT_TRUE(all_ok);
  EXPECT_EQ(all_ok->status, 200);
}

TEST_F(Objects, BatchCreatePartialFailureNeedsUniqueTraceIds) {
  Start(SeedPortal(0));
  json good = {{"properties", {{"email", "g@x.io"}}}, {"objectWriteTraceId", "t1"}};
  json bad = {{"properties", {{"email", "b@x.io"}, {"nonsense", "1"}}}, {"objectWriteTraceId", "t2"}};
  json good2 = {{"properties", {{"email", "h@x.io"}}}, {"objectWriteTraceId", "t3"}};
  auto r = Post("/crm/v3/objects/contacts/batch/create", {{"inputs", {good, bad, good2}}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 207) << r->body;
  auto j = json::parse(r->body);
  EXPECT_EQ(j["results"].size(), 2u);
  EXPECT_EQ(j["errors"][0]["context"]["objectWriteTraceId"][0], "t2");
  EXPECT_EQ(j["errors"][0]["category"], "VALIDATION_ERROR");

  // Without unique trace ids the whole batch fails and nothing is created.
  good["properties"]["email"] = "g2@x.io";
  bad.erase("objectWriteTraceId");
  ExpectHubSpotError(Post("/crm/v3/objects/contacts/batch/create", {{"inputs", {good, bad}}}), 400, "VALIDATION_ERROR");
  EXPECT_EQ(Json(Get("/crm/v3/objects/contacts?limit=100"))["results"].size(), 2u);

  auto ok = Post("/crm/v3/objects/contacts/batch/create", {{"inputs", {good}}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 201) << ok->body;
}

TEST_F(Objects, OverLimitBatchIs400) {
  Start(SeedPortal(0));
  json inputs = json::array();
  for (int i = 0; i < 101; ++i) inputs.push_back({{"id", std::to_string(i + 1)}});
  ExpectHubSpotError(Post("/crm/v3/objects/contacts/batch/read", {{"inputs", inputs}}), 400, "VALIDATION_ERROR");
  ExpectHubSpotError(Post("/crm/v3/objects/contacts/batch/archive", {{"inputs", inputs}}), 400);
  inputs.erase(inputs.begin());
  auto ok = Post("/crm/v3/objects/contacts/batch/read", {{"inputs", inputs}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 207);  // 100 inputs are fine; none of them exist
}

TEST_F(Objects, UpsertByEmailReportsNew) {
  Start(SeedPortal(2));
  auto r = Post("/crm/v3/objects/contacts/batch/upsert",
                {{"inputs",
                  {{{"id", "C1@example.com"}, {"idProperty", "email"}, {"properties", {{"lastname", "One"}}}},
                   {{"id", "new@example.com"}, {"idProperty", "email"}, {"properties", {{"lastname", "New"}}}}}}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = json::parse(r->body);
  ASSERT_EQ(j["results"].size(), 2u);
  EXPECT_EQ(j["results"][0]["id"], "2");
  EXPECT_FALSE(j["results"][0]["new"].get<bool>());
  EXPECT_TRUE(j["results"][1]["new"].get<bool>());
  EXPECT_EQ(j["results"][1]["properties"]["email"], "new@example.com");
  EXPECT_EQ(Json(Get("/crm/v3/objects/contacts/2?properties=lastname"))["properties"]["lastname"], "One");
}

TEST_F(Objects, MergeArchivesTheMergedRecordAndRecordsIt) {
  Start(SeedPortal(3, 1));
  {
    std::unique_lock lock(server_->GetPortal().mutex);
    server_->GetPortal().Associate(ObjectType::kContacts, 2, ObjectType::kCompanies, 1);
  }
  auto r = Post("/crm/v3/objects/contacts/merge", {{"primaryObjectId", "1"}, {"objectIdToMerge", "2"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = json::parse(r->body);
  EXPECT_EQ(j["id"], "1");
  EXPECT_EQ(j["properties"]["hs_merged_object_ids"], "2");
  auto merged = Json(Get("/crm/v3/objects/contacts/2?archived=true"));
  EXPECT_TRUE(merged["archived"].get<bool>());
  // The old id answers with the surviving record; its company moved over.
  auto via_old = Json(Get("/crm/v3/objects/contacts/2?associations=companies"));
  EXPECT_EQ(via_old["id"], "1");
  EXPECT_EQ(via_old["associations"]["companies"]["results"][0]["id"], "1");
  std::shared_lock lock(server_->GetPortal().mutex);
  EXPECT_EQ(server_->GetPortal().Table(ObjectType::kContacts).Find(2)->merged_into, 1);
  ExpectHubSpotError(Post("/crm/v3/objects/contacts/merge", {{"primaryObjectId", "1"}, {"objectIdToMerge", "1"}}), 400);
}

TEST_F(Objects, V3AssociationsExpansionOnListAndGet) {
  Start(SeedPortal(2, 2));
  {
    std::unique_lock lock(server_->GetPortal().mutex);
    server_->GetPortal().Associate(ObjectType::kContacts, 1, ObjectType::kCompanies, 2);
  }
  auto l = Json(Get("/crm/v3/objects/contacts?associations=companies,deals"));
  const auto& first = l["results"][0];
  ASSERT_TRUE(first.contains("associations")) << first;
  EXPECT_EQ(first["associations"]["companies"]["results"][0]["id"], "2");
  EXPECT_EQ(first["associations"]["companies"]["results"][0]["type"], "contact_to_company");
  EXPECT_FALSE(first["associations"].contains("deals"));
  EXPECT_FALSE(l["results"][1].contains("associations"));
  auto g = Json(Get("/crm/v3/objects/companies/2?associations=contacts"));
  EXPECT_EQ(g["associations"]["contacts"]["results"][0]["type"], "company_to_contact");
}

}  // namespace
}  // namespace revlens::emulator::testing
