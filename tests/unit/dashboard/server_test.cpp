// The dashboard's HTTP server: the embedded front end, the token (bearer header, login form, cookie) when it is not on
// loopback, the allow-list, errors as JSON, and the same figures over HTTP as from the API directly.
#include "dashboard/server.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include "core/errors.hpp"
#include "insights/forecast.hpp"
#include "portal_fixture.hpp"

namespace revlens::dashboard {
namespace {

using nlohmann::json;

DashboardOptions Options(const std::string& bind, const std::string& token = "") {
  DashboardOptions o;
  o.warehouse_url = "duckdb://:memory:";  // opened per request: every page says its tables are not there yet
  o.bind = bind;
  o.port = 0;
  o.token = token;
  o.threads = 2;
  return o;
}

TEST(DashboardServer, ServesTheFrontEndAndTheApiOnLoopback) {
  DashboardServer s(Options("127.0.0.1"));
  const int port = s.Start();
  httplib::Client c("127.0.0.1", port);
  auto r = c.Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("<title>revlens dashboard</title>"), std::string::npos);
  EXPECT_NE(r->body.find("/echarts.min.js"), std::string::npos);
  r = c.Get("/echarts.min.js");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_GT(r->body.size(), 500000u);
  EXPECT_NE(r->body.find("echarts"), std::string::npos);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  r = c.Get("/app.js");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  // An empty warehouse: the pages answer, saying what is missing.
  r = c.Get("/api/overview");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(json::parse(r->body)["available"].get<bool>());
  r = c.Get("/api/health");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const json h = json::parse(r->body);
  EXPECT_NE(h["alerts"]["message"].get<std::string>().find("not available yet — run revlens alert"), std::string::npos);
  EXPECT_NE(h["sync"]["message"].get<std::string>().find("run revlens sync"), std::string::npos);
  r = c.Get("/api/nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = c.Get("/api/overview?owner=1%20OR%201%3D1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(json::parse(r->body)["error"].get<std::string>().find("owner"), std::string::npos);
  r = c.Get("/etc/passwd");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST(DashboardServer, RefusesToBindBeyondLoopbackWithoutAToken) {
  EXPECT_THROW(DashboardServer{Options("0.0.0.0")}, ConfigError);
  EXPECT_NO_THROW(DashboardServer{Options("0.0.0.0", "s3cret-token")});
  EXPECT_TRUE(IsLoopback("127.0.0.1"));
  EXPECT_TRUE(IsLoopback("127.1.2.3"));
  EXPECT_TRUE(IsLoopback("::1"));
  EXPECT_TRUE(IsLoopback("localhost"));
  EXPECT_FALSE(IsLoopback("0.0.0.0"));
  EXPECT_FALSE(IsLoopback("10.1.2.3"));
  EXPECT_FALSE(IsLoopback("::"));
}

TEST(DashboardServer, BeyondLoopbackEveryRequestNeedsTheToken) {
  const std::string token = "s3cret-token";
  DashboardServer s(Options("0.0.0.0", token));
  const int port = s.Start();
  httplib::Client c("127.0.0.1", port);
  // No token: the API answers 401, pages send the browser to the login form.
  auto r = c.Get("/api/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_NE(r->get_header_value("WWW-Authenticate").find("Bearer"), std::string::npos);
  r = c.Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303);
  EXPECT_EQ(r->get_header_value("Location"), "/login");
  r = c.Get("/echarts.min.js");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303);
  // A wrong token, or the right one in the wrong place: refused.
  r = c.Get("/api/health", {{"Authorization", "Bearer wrong-token!"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = c.Get("/api/health?token=" + token);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = c.Get("/api/health", {{"Cookie", std::string(kSessionCookie) + "=" + token}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  // The bearer header.
  r = c.Get("/api/health", {{"Authorization", "Bearer " + token}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  // The login form: a wrong token is refused, the right one sets a session cookie that then works.
  r = c.Post("/login", "token=nope", "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_TRUE(r->get_header_value("Set-Cookie").empty());
  r = c.Post("/login", "token=" + token, "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 303);
  const std::string cookie = r->get_header_value("Set-Cookie");
  ASSERT_NE(cookie.find(std::string(kSessionCookie) + "="), std::string::npos);
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_EQ(cookie.find(token), std::string::npos) << "the cookie must not carry the token itself";
  const std::string session = cookie.substr(0, cookie.find(';'));
  r = c.Get("/api/health", {{"Cookie", "other=1; " + session}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c.Get("/", {{"Cookie", session}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(DashboardServer, AllowListRefusesOtherAddresses) {
  auto o = Options("127.0.0.1");
  o.allow = {"10.0.0.0/8", "fd00::/8"};
  DashboardServer refused(o);
  httplib::Client c1("127.0.0.1", refused.Start());
  auto r = c1.Get("/api/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  o.allow = {"10.0.0.0/8", "127.0.0.0/8"};
  DashboardServer allowed(o);
  httplib::Client c2("127.0.0.1", allowed.Start());
  r = c2.Get("/api/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);

  EXPECT_TRUE(AddressRange::Parse("10.0.0.0/8").Contains("10.200.3.4"));
  EXPECT_FALSE(AddressRange::Parse("10.0.0.0/8").Contains("11.0.0.1"));
  EXPECT_TRUE(AddressRange::Parse("192.168.1.0/25").Contains("192.168.1.127"));
  EXPECT_FALSE(AddressRange::Parse("192.168.1.0/25").Contains("192.168.1.128"));
  EXPECT_TRUE(AddressRange::Parse("203.0.113.7").Contains("203.0.113.7"));
  EXPECT_TRUE(AddressRange::Parse("203.0.113.7").Contains("::ffff:203.0.113.7"));
  EXPECT_FALSE(AddressRange::Parse("203.0.113.7").Contains("203.0.113.8"));
  EXPECT_TRUE(AddressRange::Parse("fd00::/8").Contains("fd12::1"));
  EXPECT_FALSE(AddressRange::Parse("fd00::/8").Contains("fe80::1"));
  EXPECT_TRUE(AddressRange::Parse("0.0.0.0/0").Contains("8.8.8.8"));
  EXPECT_THROW(AddressRange::Parse("10.0.0.0/33"), ConfigError);
  EXPECT_THROW(AddressRange::Parse("example.com"), ConfigError);
  EXPECT_THROW(AddressRange::Parse("10.0.0.0/x"), ConfigError);
  auto bad = Options("127.0.0.1");
  bad.allow = {"not-an-address"};
  EXPECT_THROW(DashboardServer{bad}, ConfigError);
}

TEST(DashboardServer, AnUnopenableWarehouseIs503) {
  auto o = Options("127.0.0.1");
  o.open = []() -> std::unique_ptr<warehouse::Warehouse> {
    throw WarehouseError("IO Error: Could not set lock on file \"x.duckdb\": Conflicting lock is held");
  };
  DashboardServer s(o);
  httplib::Client c("127.0.0.1", s.Start());
  auto r = c.Get("/api/overview");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(json::parse(r->body)["error"].get<std::string>().find("busy"), std::string::npos);
}

/// A Warehouse that forwards to one the test owns (the portal's), for serving it over HTTP.
class Borrowed final : public warehouse::Warehouse {
 public:
  explicit Borrowed(warehouse::Warehouse& w) : w_(w) {}
  void Execute(const std::string& sql) override { w_.Execute(sql); }
  warehouse::ResultSet Query(const std::string& sql) override { return w_.Query(sql); }
  bool TableExists(const std::string& s, const std::string& t) override { return w_.TableExists(s, t); }
  std::vector<warehouse::Column> Columns(const std::string& s, const std::string& t) override {
    return w_.Columns(s, t);
  }
  void BulkLoad(const std::string& s, const std::string& t, const std::vector<warehouse::Column>& c,
                const std::vector<std::vector<warehouse::Value>>& rows) override {
    w_.BulkLoad(s, t, c, rows);
  }
  std::string Dialect() const override { return w_.Dialect(); }
  std::string SqlType(warehouse::ColumnType t) const override { return w_.SqlType(t); }
  std::string Describe() const override { return w_.Describe(); }

 private:
  warehouse::Warehouse& w_;
};

TEST(DashboardServer, HttpAnswersEqualTheApi) {
  auto p = testing::BuiltPortal::Create("duckdb", testing::TestPortalOptions("small", 5));
  insights::ForecastOptions fo;
  fo.schema = p->ModelSchema();
  fo.draws = 1000;
  insights::RunForecast(p->Wh(), fo);
  auto o = Options("127.0.0.1");
  o.api.model_schema = p->ModelSchema();
  o.api.raw_schema = p->RawSchema();
  o.open = [&p] { return std::make_unique<Borrowed>(p->Wh()); };
  DashboardServer s(o);
  httplib::Client c("127.0.0.1", s.Start());
  DashboardApi api(o.api);
  auto r = c.Get("/api/filters");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  json filters = json::parse(r->body);
  filters.erase("elapsed_ms");
  EXPECT_EQ(filters, api.FilterChoices(p->Wh()));
  const std::string pipeline = filters["pipelines"][0]["id"];
  for (const auto& page : PageNames()) {
    r = c.Get("/api/" + page + "?period=all&pipeline=" + pipeline);
    ASSERT_TRUE(r) << page;
    ASSERT_EQ(r->status, 200) << page << ": " << r->body;
    json got = json::parse(r->body);
    got.erase("elapsed_ms");
    json want = api.Page(page, p->Wh(), {.pipeline = pipeline, .period = "all"});
    if (page == "health") {  // its clock moves between the two calls
      got.erase("now");
      want.erase("now");
      got["sync"]["last_success"].erase("age_hours");
      want["sync"]["last_success"].erase("age_hours");
    }
    EXPECT_EQ(got, want) << page;
  }
}

}  // namespace
}  // namespace revlens::dashboard
