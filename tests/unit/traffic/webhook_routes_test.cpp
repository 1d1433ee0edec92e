#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include "emulator/webhooks.hpp"

namespace revlens::emulator {
namespace {

using nlohmann::json;

// The Webhooks v3 management routes on a real httplib server, driven by a real client.
class WebhookRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterWebhookRoutes(server_, portal_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }
  std::string App() const { return "/webhooks/v3/" + std::to_string(portal_.app_id); }
  static json Body(const httplib::Result& r) { return r->body.empty() ? json() : json::parse(r->body); }

  Portal portal_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(WebhookRoutes, SubscriptionLifecycle) {
  auto r = client_->Post(App() + "/subscriptions",
                         R"({"eventType":"contact.propertyChange","propertyName":"email","active":true})",
                         "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  json created = Body(r);
  EXPECT_EQ(created["eventType"], "contact.propertyChange");
  EXPECT_EQ(created["propertyName"], "email");
  EXPECT_EQ(created["active"], true);
  ASSERT_TRUE(created["id"].is_string());
  EXPECT_TRUE(created["createdAt"].is_string());
  const std::string id = created["id"];

  // `active` defaults to false, as the official client documents.
  r = client_->Post(App() + "/subscriptions", R"({"eventType":"deal.creation"})", "application/json");
  ASSERT_EQ(r->status, 201);
  const std::string id2 = Body(r)["id"];
  EXPECT_EQ(Body(r)["active"], false);
  EXPECT_FALSE(Body(r).contains("propertyName"));

  r = client_->Post(App() + "/subscriptions", R"({"eventType":"object.creation","objectTypeId":"0-48","active":true})",
                    "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(Body(r)["objectTypeId"], "0-48");
  ASSERT_EQ(portal_.subscriptions.size(), 3u);
  EXPECT_EQ(portal_.subscriptions[2].object_type_id, "0-48");

  r = client_->Get(App() + "/subscriptions");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["results"].size(), 3u);

  r = client_->Get(App() + "/subscriptions/" + id);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["propertyName"], "email");

  r = client_->Patch(App() + "/subscriptions/" + id, R"({"active":false})", "application/json");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["active"], false);
  EXPECT_FALSE(portal_.subscriptions[0].active);

  // Batch update: one known, one unknown -> 207 with the error listed.
  r = client_->Post(
      App() + "/subscriptions/batch/update",
      json{{"inputs", {{{"id", std::stoll(id2)}, {"active", true}}, {{"id", 999}, {"active", true}}}}}.dump(),
      "application/json");
  ASSERT_EQ(r->status, 207) << r->body;
  json batch = Body(r);
  EXPECT_EQ(batch["status"], "COMPLETE");
  ASSERT_EQ(batch["results"].size(), 1u);
  EXPECT_EQ(batch["results"][0]["id"], id2);
  EXPECT_EQ(batch["results"][0]["active"], true);
  EXPECT_EQ(batch["numErrors"], 1);
  EXPECT_EQ(batch["errors"][0]["context"]["ids"][0], "999");

  r = client_->Post(App() + "/subscriptions/batch/update",
                    json{{"inputs", {{{"id", std::stoll(id)}, {"active", true}}}}}.dump(), "application/json");
  ASSERT_EQ(r->status, 200);
  EXPECT_FALSE(Body(r).contains("errors"));

  r = client_->Delete(App() + "/subscriptions/" + id);
  ASSERT_EQ(r->status, 204);
  r = client_->Get(App() + "/subscriptions/" + id);
  ASSERT_EQ(r->status, 404);
  EXPECT_EQ(Body(r)["status"], "error");
  r = client_->Delete(App() + "/subscriptions/" + id);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(portal_.subscriptions.size(), 2u);
}

TEST_F(WebhookRoutes, ValidationErrors) {
  struct Case {
    const char* body;
    const char* needle;
  };
  for (const Case& c : {Case{R"({"eventType":"contact.propertyChange"})", "propertyName"},
                        Case{R"({"eventType":"contact.explode"})", "Unknown eventType"},
                        Case{R"({"propertyName":"x"})", "eventType is required"},
                        Case{R"({"eventType":"object.creation"})", "objectTypeId"},
                        Case{R"({"eventType":"object.creation","objectTypeId":"9-9"})", "objectTypeId"},
                        Case{R"({"eventType":"deal.creation","active":"yes"})", "active"}, Case{"not json", "JSON"}}) {
    auto r = client_->Post(App() + "/subscriptions", c.body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << c.body;
    json b = Body(r);
    EXPECT_EQ(b["status"], "error") << c.body;
    EXPECT_EQ(b["category"], "VALIDATION_ERROR") << c.body;
    EXPECT_NE(b["message"].get<std::string>().find(c.needle), std::string::npos) << b["message"];
    EXPECT_TRUE(b.contains("correlationId"));
  }
  EXPECT_TRUE(portal_.subscriptions.empty());
  auto r = client_->Put(App() + "/settings", R"({"targetUrl":"ftp://x"})", "application/json");
  EXPECT_EQ(r->status, 400);
  r = client_->Put(App() + "/settings",
                   R"({"targetUrl":"http://x","throttling":{"maxConcurrentRequests":0,"period":"SECONDLY"}})",
                   "application/json");
  EXPECT_EQ(r->status, 400);
  r = client_->Put(App() + "/settings", R"({"targetUrl":"http://x","throttling":{"period":"HOURLY"}})",
                   "application/json");
  EXPECT_EQ(r->status, 400);
}

TEST_F(WebhookRoutes, UnknownAppIs404) {
  for (const std::string path : {"/webhooks/v3/123/subscriptions", "/webhooks/v3/123/settings",
                                 "/webhooks/v3/99999999999999999999999/subscriptions"}) {
    auto r = client_->Get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << path;
    json b = Body(r);
    EXPECT_EQ(b["status"], "error");
    EXPECT_NE(b["message"].get<std::string>().find("does not exist"), std::string::npos);
  }
}

TEST_F(WebhookRoutes, SettingsLifecycle) {
  auto r = client_->Get(App() + "/settings");
  EXPECT_EQ(r->status, 404);
  r = client_->Put(
      App() + "/settings",
      R"({"targetUrl":"http://127.0.0.1:9/hook","throttling":{"maxConcurrentRequests":7,"period":"ROLLING_MINUTE"}})",
      "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  json s = Body(r);
  EXPECT_EQ(s["targetUrl"], "http://127.0.0.1:9/hook");
  EXPECT_EQ(s["throttling"]["maxConcurrentRequests"], 7);
  EXPECT_EQ(s["throttling"]["period"], "ROLLING_MINUTE");
  EXPECT_TRUE(s["createdAt"].is_string());
  EXPECT_EQ(portal_.webhook_target_url, "http://127.0.0.1:9/hook");
  EXPECT_EQ(portal_.max_concurrent_webhook_requests, 7);
  r = client_->Get(App() + "/settings");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r), s);
  r = client_->Delete(App() + "/settings");
  EXPECT_EQ(r->status, 204);
  EXPECT_TRUE(portal_.webhook_target_url.empty());
  EXPECT_EQ(client_->Get(App() + "/settings")->status, 404);
}

TEST_F(WebhookRoutes, ConfiguredThroughTheApiThenDelivered) {
  // Receiver.
  httplib::Server receiver;
  std::mutex mu;
  std::vector<json> received;
  receiver.Post("/in", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    for (auto& e : json::parse(req.body)) received.push_back(e);
    res.status = 200;
  });
  const int rport = receiver.bind_to_any_port("127.0.0.1");
  std::thread rthread([&] { receiver.listen_after_bind(); });

  const std::string url = "http://127.0.0.1:" + std::to_string(rport) + "/in";
  ASSERT_EQ(client_->Put(App() + "/settings", json{{"targetUrl", url}}.dump(), "application/json")->status, 200);
  auto r =
      client_->Post(App() + "/subscriptions",
                    R"({"eventType":"deal.propertyChange","propertyName":"amount","active":true})", "application/json");
  ASSERT_EQ(r->status, 201);
  const int64_t sub_id = std::stoll(Body(r)["id"].get<std::string>());
  {
    WebhookDispatcher dispatcher(portal_, "secret");
    {
      std::shared_lock lock(portal_.mutex);
      dispatcher.Publish(ObjectType::kDeals, "propertyChange", 77, "amount", "1500");
      dispatcher.Publish(ObjectType::kDeals, "propertyChange", 77, "dealname", "x");
    }
    ASSERT_TRUE(dispatcher.Flush(10'000));
  }
  receiver.stop();
  rthread.join();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0]["subscriptionId"], sub_id);
  EXPECT_EQ(received[0]["propertyValue"], "1500");
}

}  // namespace
}  // namespace revlens::emulator
