// Fault injection, rate limits and the /_emulator/ admin routes of an in-process emulator.
#include "server_fixture.hpp"

namespace revlens::emulator::testing {
namespace {

using nlohmann::json;

class Traffic : public ServerTest {};

TEST_F(Traffic, AdminHealthNeedsNoAuth) {
  Start(SeedPortal(4));
  auto r = cli_->Get("/_emulator/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["counts"]["contacts"], 4);
}

TEST_F(Traffic, Every5xxFaultCarriesHubSpotBodyAndTheSpecChangesWhileRunning) {
  ServeOptions o;
  o.faults = "5xx=1";
  Start(SeedPortal(3), o);
  for (int i = 0; i < 12; ++i) {
    auto r = i % 2 == 0 ? Get("/crm/v3/objects/contacts")
                        : Post("/crm/v3/objects/contacts/batch/read", {{"inputs", {{{"id", "1"}}}}});
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    EXPECT_TRUE(r->status == 500 || r->status == 502 || r->status == 503) << r->status;
    ExpectHubSpotError(r, r->status);
  }
  auto spec = cli_->Get("/_emulator/faults");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->status, 200);

  auto bad = cli_->Post("/_emulator/faults", R"({"spec":"5xx=banana"})", "application/json");
  ExpectHubSpotError(bad, 400);
  auto set = cli_->Post("/_emulator/faults", R"({"spec":""})", "application/json");
  ASSERT_TRUE(set);
  ASSERT_EQ(set->status, 200) << set->body;
  auto ok = Get("/crm/v3/objects/contacts");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);

  ASSERT_EQ(cli_->Post("/_emulator/faults", R"({"spec":"429=1"})", "application/json")->status, 200);
  auto limited = Get("/crm/v3/objects/contacts");
  ExpectHubSpotError(limited, 429);
  EXPECT_EQ(json::parse(limited->body)["policyName"], "TEN_SECONDLY_ROLLING");
  EXPECT_EQ(json::parse(limited->body)["errorType"], "RATE_LIMIT");
}

TEST_F(Traffic, ResetAndTruncateMakeTheClientFail) {
  ServeOptions o;
  o.faults = "reset=1";
  Start(SeedPortal(50), o);
  for (int i = 0; i < 3; ++i) {
    httplib::Client fresh(server_->BaseUrl());
    fresh.set_read_timeout(5, 0);
    auto r = fresh.Get("/crm/v3/objects/contacts?limit=100", auth_);
    EXPECT_FALSE(r) << "status " << r->status;
  }
  ASSERT_EQ(cli_->Post("/_emulator/faults", R"({"spec":"truncate=1"})", "application/json")->status, 200);
  for (int i = 0; i < 3; ++i) {
    httplib::Client fresh(server_->BaseUrl());
    fresh.set_read_timeout(5, 0);
    auto r = fresh.Get("/crm/v3/objects/contacts?limit=100", auth_);
    EXPECT_FALSE(r) << "status " << r->status << " body " << r->body.size();
  }
  ASSERT_EQ(cli_->Post("/_emulator/faults", R"({"spec":"slow=1,slow_ms=150"})", "application/json")->status, 200);
  const auto t0 = std::chrono::steady_clock::now();
  auto slow = Get("/crm/v3/objects/contacts");
  ASSERT_TRUE(slow);
  EXPECT_EQ(slow->status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(150));
}

TEST_F(Traffic, FreeTierRefusesThe101stRequestInTenSeconds) {
  ServeOptions o;
  o.rate_limit = "free";
  Start(SeedPortal(2), o);
  for (int i = 0; i < 100; ++i) {
    auto r = Get("/crm/v3/objects/contacts?limit=1");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << "request " << i + 1 << ": " << r->body;
    EXPECT_EQ(r->get_header_value("X-HubSpot-RateLimit-Max"), "100");
    EXPECT_EQ(r->get_header_value("X-HubSpot-RateLimit-Remaining"), std::to_string(99 - i));
    EXPECT_EQ(r->get_header_value("X-HubSpot-RateLimit-Interval-Milliseconds"), "10000");
    EXPECT_EQ(r->get_header_value("X-HubSpot-RateLimit-Daily"), "250000");
    EXPECT_FALSE(r->get_header_value("X-HubSpot-RateLimit-Daily-Remaining").empty());
  }
  auto r = Post("/crm/v3/objects/contacts/batch/read", {{"inputs", {{{"id", "1"}}}}});
  ExpectHubSpotError(r, 429, "RATE_LIMITS");
  auto j = json::parse(r->body);
  EXPECT_EQ(j["policyName"], "TEN_SECONDLY_ROLLING");
  EXPECT_EQ(j["errorType"], "RATE_LIMIT");
  EXPECT_FALSE(j.value("requestId", "").empty());
  EXPECT_EQ(r->get_header_value("X-HubSpot-RateLimit-Remaining"), "0");
  // Search has its own per-second limit and carries no rate-limit headers.
  auto s = Post("/crm/v3/objects/contacts/search", {{"limit", 1}});
  ASSERT_TRUE(s);
  EXPECT_NE(s->status, 429) << s->body;
  EXPECT_FALSE(s->has_header("X-HubSpot-RateLimit-Max"));
  // The keep-alive connection survived the refused POST with a body.
  ExpectHubSpotError(Get("/crm/v3/objects/contacts"), 429);
}

}  // namespace
}  // namespace revlens::emulator::testing
