#include "emulator/webhooks.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <set>
#include <thread>

#include "core/time_util.hpp"
#include "hubspot/signature.hpp"

namespace revlens::emulator {
namespace {

using nlohmann::json;

constexpr const char* kSecret = "test-client-secret";

struct Delivery {
  std::string body;
  std::string signature_v1, signature_version, signature_v3, timestamp, content_type;
  json events;
};

// A real HTTP receiver on 127.0.0.1:<free port>; `respond(n)` gives the status of the n-th
// delivery (from 0) and may sleep to play a slow receiver.
class Receiver {
 public:
  explicit Receiver(std::function<int(size_t)> respond = [](size_t) { return 200; }) : respond_(std::move(respond)) {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      Delivery d;
      d.body = req.body;
      d.signature_v1 = req.get_header_value("X-HubSpot-Signature");
      d.signature_version = req.get_header_value("X-HubSpot-Signature-Version");
      d.signature_v3 = req.get_header_value("X-HubSpot-Signature-v3");
      d.timestamp = req.get_header_value("X-HubSpot-Request-Timestamp");
      d.content_type = req.get_header_value("Content-Type");
      d.events = json::parse(req.body);
      size_t n = 0;
      {
        std::lock_guard lock(mu_);
        n = got_.size();
        got_.push_back(std::move(d));
      }
      res.status = respond_(n);
      if (res.status != 204) res.set_content("{}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<Delivery> Got() {
    std::lock_guard lock(mu_);
    return got_;
  }

 private:
  std::function<int(size_t)> respond_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<Delivery> got_;
};

WebhookSubscription Sub(int64_t id, std::string event_type, std::string property = {}, bool active = true,
                        std::string object_type_id = {}) {
  WebhookSubscription s;
  s.id = id;
  s.event_type = std::move(event_type);
  s.property_name = std::move(property);
  s.active = active;
  s.object_type_id = std::move(object_type_id);
  return s;
}

std::vector<json> AllEvents(const std::vector<Delivery>& got) {
  std::vector<json> out;
  for (const auto& d : got) {
    for (const auto& e : d.events) out.push_back(e);
  }
  return out;
}

TEST(WebhookDispatcher, BatchesOf100SignedV1AndV3) {
  Receiver receiver;
  Portal portal;
  portal.webhook_target_url = receiver.Url();
  portal.subscriptions.push_back(Sub(7, "contact.creation"));
  WebhookDispatcher dispatcher(portal, kSecret);
  const int64_t before = NowMillis();
  {
    std::unique_lock lock(portal.mutex);
    for (int i = 1; i <= 250; ++i) dispatcher.Publish(ObjectType::kContacts, "creation", 1000 + i);
  }
  ASSERT_TRUE(dispatcher.Flush(10'000));
  const auto got = receiver.Got();
  ASSERT_EQ(got.size(), 3u);
  std::set<int64_t> event_ids, object_ids;
  for (const auto& d : got) {
    ASSERT_TRUE(d.events.is_array());
    EXPECT_LE(d.events.size(), 100u);
    EXPECT_EQ(d.content_type, "application/json");
    EXPECT_EQ(d.signature_version, "v1");
    EXPECT_TRUE(hubspot::VerifyV1(kSecret, d.body, d.signature_v1));
    EXPECT_TRUE(hubspot::VerifyV3(kSecret, "POST", receiver.Url(), d.body, std::string_view(d.timestamp),
                                  d.signature_v3, NowMillis()));
    EXPECT_FALSE(hubspot::VerifyV3("wrong-secret", "POST", receiver.Url(), d.body, std::string_view(d.timestamp),
                                   d.signature_v3, NowMillis()));
    for (const auto& e : d.events) {
      event_ids.insert(e.at("eventId").get<int64_t>());
      object_ids.insert(e.at("objectId").get<int64_t>());
      EXPECT_EQ(e.at("subscriptionId"), 7);
      EXPECT_EQ(e.at("portalId"), portal.portal_id);
      EXPECT_EQ(e.at("appId"), portal.app_id);
      EXPECT_EQ(e.at("subscriptionType"), "contact.creation");
      EXPECT_EQ(e.at("attemptNumber"), 0);
      EXPECT_EQ(e.at("changeSource"), "API");
      EXPECT_GE(e.at("occurredAt").get<int64_t>(), before);
      EXPECT_FALSE(e.contains("propertyName"));
    }
  }
  EXPECT_EQ(event_ids.size(), 250u);
  EXPECT_EQ(object_ids.size(), 250u);
  const WebhookStats stats = dispatcher.Stats();
  EXPECT_EQ(stats.events_published, 250u);
  EXPECT_EQ(stats.batches_delivered, 3u);
  EXPECT_EQ(stats.attempts, 3u);
  EXPECT_EQ(stats.failures, 0u);
}

TEST(WebhookDispatcher, FailedBatchIsRetriedWithNextAttemptNumber) {
  Receiver receiver([](size_t n) { return n == 0 ? 500 : 200; });
  Portal portal;
  portal.webhook_target_url = receiver.Url();
  portal.subscriptions.push_back(Sub(1, "deal.propertyChange", "dealstage"));
  WebhookDispatcher dispatcher(portal, kSecret);
  dispatcher.SetRetryDelays({50, 50});
  {
    std::shared_lock lock(portal.mutex);
    dispatcher.Publish(ObjectType::kDeals, "propertyChange", 42, "dealstage", "closedwon");
  }
  ASSERT_TRUE(dispatcher.Flush(10'000));
  const auto got = receiver.Got();
  ASSERT_EQ(got.size(), 2u);
  ASSERT_EQ(got[0].events.size(), 1u);
  ASSERT_EQ(got[1].events.size(), 1u);
  EXPECT_EQ(got[0].events[0].at("attemptNumber"), 0);
  EXPECT_EQ(got[1].events[0].at("attemptNumber"), 1);
  EXPECT_EQ(got[0].events[0].at("eventId"), got[1].events[0].at("eventId"));
  EXPECT_EQ(got[1].events[0].at("propertyName"), "dealstage");
  EXPECT_EQ(got[1].events[0].at("propertyValue"), "closedwon");
  // The retry is signed afresh (new timestamp, valid signature).
  EXPECT_TRUE(hubspot::VerifyV3(kSecret, "POST", receiver.Url(), got[1].body, std::string_view(got[1].timestamp),
                                got[1].signature_v3, NowMillis()));
  const WebhookStats stats = dispatcher.Stats();
  EXPECT_EQ(stats.attempts, 2u);
  EXPECT_EQ(stats.failures, 1u);
  EXPECT_EQ(stats.batches_delivered, 1u);
  EXPECT_EQ(stats.dropped, 0u);
}

TEST(WebhookDispatcher, SlowReceiverCountsAsFailure) {
  Receiver receiver([](size_t n) {
    if (n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5300));
    return 200;
  });
  Portal portal;
  portal.webhook_target_url = receiver.Url();
  portal.subscriptions.push_back(Sub(1, "company.creation"));
  WebhookDispatcher dispatcher(portal, kSecret);
  dispatcher.SetRetryDelays({10});
  const auto start = std::chrono::steady_clock::now();
  {
    std::shared_lock lock(portal.mutex);
    dispatcher.Publish(ObjectType::kCompanies, "creation", 5);
  }
  ASSERT_TRUE(dispatcher.Flush(20'000));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(4900));
  const auto got = receiver.Got();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].events[0].at("attemptNumber"), 1);
  EXPECT_EQ(dispatcher.Stats().failures, 1u);
  EXPECT_EQ(dispatcher.Stats().batches_delivered, 1u);
}

TEST(WebhookDispatcher, GivesUpAfterTheLastRetry) {
  Receiver receiver([](size_t) { return 503; });
  Portal portal;
  portal.webhook_target_url = receiver.Url();
  portal.subscriptions.push_back(Sub(1, "contact.deletion"));
  WebhookDispatcher dispatcher(portal, kSecret);
  dispatcher.SetRetryDelays({5, 5, 5});
  {
    std::shared_lock lock(portal.mutex);
    dispatcher.Publish(ObjectType::kContacts, "deletion", 1);
    dispatcher.Publish(ObjectType::kContacts, "deletion", 2);
  }
  ASSERT_TRUE(dispatcher.Flush(10'000));
  const auto got = receiver.Got();
  ASSERT_EQ(got.size(), 4u);  // first attempt + 3 retries, both events in one batch
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].events.size(), 2u);
    EXPECT_EQ(got[i].events[0].at("attemptNumber"), static_cast<int>(i));
  }
  const WebhookStats stats = dispatcher.Stats();
  EXPECT_EQ(stats.failures, 4u);
  EXPECT_EQ(stats.dropped, 2u);
  EXPECT_EQ(stats.batches_delivered, 0u);
}

TEST(WebhookDispatcher, ConnectionRefusedIsRetried) {
  // Bind a port without listening, note it, close it: connections to it are refused.
  int port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port = ntohs(addr.sin_port);
    ::close(fd);
  }
  Portal portal;
  portal.webhook_target_url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  portal.subscriptions.push_back(Sub(1, "contact.creation"));
  WebhookDispatcher dispatcher(portal, kSecret);
  dispatcher.SetRetryDelays({5, 5});
  {
    std::shared_lock lock(portal.mutex);
    dispatcher.Publish(ObjectType::kContacts, "creation", 1);
  }
  ASSERT_TRUE(dispatcher.Flush(10'000));
  const WebhookStats stats = dispatcher.Stats();
  EXPECT_EQ(stats.attempts, 3u);
  EXPECT_EQ(stats.failures, 3u);
  EXPECT_EQ(stats.dropped, 1u);
}

TEST(WebhookDispatcher, SubscriptionFiltering) {
  Receiver receiver;
  Portal portal;
  portal.webhook_target_url = receiver.Url();
  portal.subscriptions = {
      Sub(1, "contact.propertyChange", "email"),
      Sub(2, "contact.propertyChange", "firstname", /*active=*/false),
      Sub(3, "deal.creation"),
      Sub(4, "object.creation", {}, true, "0-48"),  // calls only
      Sub(5, "company.propertyChange"),             // every property (emulator extension)
      Sub(6, "contact.merge"),
      Sub(7, "task.creation"),  // engagement by singular name
  };
  WebhookDispatcher dispatcher(portal, kSecret);
  {
    std::shared_lock lock(portal.mutex);
    dispatcher.Publish(ObjectType::kContacts, "propertyChange", 10, "email", "a@example.com");
    dispatcher.Publish(ObjectType::kContacts, "propertyChange", 11, "firstname", "Ada");  // inactive
    dispatcher.Publish(ObjectType::kContacts, "propertyChange", 12, "lastname", "L");     // no subscription
    dispatcher.Publish(ObjectType::kContacts, "creation", 13);                            // no subscription
    dispatcher.Publish(ObjectType::kDeals, "creation", 20);
    dispatcher.Publish(ObjectType::kDeals, "deletion", 21);  // no subscription
    dispatcher.Publish(ObjectType::kCalls, "creation", 30);
    dispatcher.Publish(ObjectType::kEmails, "creation", 31);  // other object type
    dispatcher.Publish(ObjectType::kCompanies, "propertyChange", 40, "name", "Acme");
    dispatcher.Publish(
        ObjectType::kContacts, "merge", 50, {}, {},
        json{{"primaryObjectId", 50}, {"mergedObjectIds", {51}}, {"newObjectId", 50}, {"numberOfPropertiesMoved", 3}});
    dispatcher.Publish(ObjectType::kTasks, "creation", 60);
  }
  ASSERT_TRUE(dispatcher.Flush(10'000));
  std::map<int64_t, json> by_object;
  for (const auto& e : AllEvents(receiver.Got())) by_object[e.at("objectId").get<int64_t>()] = e;
  ASSERT_EQ(by_object.size(), 6u);
  EXPECT_EQ(by_object.at(10).at("subscriptionId"), 1);
  EXPECT_EQ(by_object.at(10).at("propertyValue"), "a@example.com");
  EXPECT_EQ(by_object.at(20).at("subscriptionType"), "deal.creation");
  EXPECT_EQ(by_object.at(30).at("subscriptionType"), "object.creation");
  EXPECT_EQ(by_object.at(30).at("objectTypeId"), "0-48");
  EXPECT_EQ(by_object.at(40).at("propertyName"), "name");
  EXPECT_EQ(by_object.at(50).at("mergedObjectIds"), json::array({51}));
  EXPECT_EQ(by_object.at(50).at("numberOfPropertiesMoved"), 3);
  EXPECT_EQ(by_object.at(60).at("subscriptionType"), "task.creation");
  EXPECT_FALSE(by_object.at(60).contains("objectTypeId"));
}

TEST(WebhookDispatcher, NoTargetUrlMeansNoDelivery) {
  Portal portal;
  portal.subscriptions.push_back(Sub(1, "contact.creation"));
  WebhookDispatcher dispatcher(portal, kSecret);
  dispatcher.Publish(ObjectType::kContacts, "creation", 1);
  EXPECT_TRUE(dispatcher.Flush(1000));
  EXPECT_EQ(dispatcher.Stats().events_published, 0u);
}

TEST(WebhookDispatcher, DestructorStopsPromptlyWithPendingRetries) {
  Receiver receiver([](size_t) { return 500; });
  Portal portal;
  portal.webhook_target_url = receiver.Url();
  portal.subscriptions.push_back(Sub(1, "contact.creation"));
  const auto start = std::chrono::steady_clock::now();
  {
    WebhookDispatcher dispatcher(portal, kSecret);  // default delays: the first retry is a minute away
    dispatcher.Publish(ObjectType::kContacts, "creation", 1);
    EXPECT_FALSE(dispatcher.Flush(500));
    EXPECT_EQ(receiver.Got().size(), 1u);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(WebhookDispatcher, ConcurrencyFollowsPortalSetting) {
  // Each delivery takes 200 ms; 6 full batches with 3 workers take about 400 ms, not 1.2 s.
  std::atomic<int> active{0}, peak{0};
  Receiver receiver([&](size_t) {
    const int now = ++active;
    int prev = peak.load();
    while (now > prev && !peak.compare_exchange_weak(prev, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    --active;
    return 204;
  });
  Portal portal;
  portal.webhook_target_url = receiver.Url();
  portal.max_concurrent_webhook_requests = 3;
  portal.subscriptions.push_back(Sub(1, "contact.creation"));
  WebhookDispatcher dispatcher(portal, kSecret);
  dispatcher.SetRetryDelays({});
  for (int i = 0; i < 600; ++i) dispatcher.Publish(ObjectType::kContacts, "creation", i + 1);
  ASSERT_TRUE(dispatcher.Flush(10'000));
  EXPECT_EQ(receiver.Got().size(), 6u);
  EXPECT_EQ(peak.load(), 3);
  EXPECT_EQ(dispatcher.Stats().batches_delivered, 6u);
  EXPECT_EQ(dispatcher.Stats().failures, 0u);
}

}  // namespace
}  // namespace revlens::emulator
