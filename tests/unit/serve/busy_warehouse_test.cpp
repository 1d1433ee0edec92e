// serve beside `revlens run` (issue 9): contact events that arrive before serve could ever read the warehouse (the
// DuckDB file held by the run since serve started) stay pending, and are handled once the warehouse can be read,
// rather than being recorded as having no model.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "hubspot/signature.hpp"
#include "serve/server.hpp"

namespace revlens::serve {
namespace {
namespace busy {

constexpr const char* kBusySecret = "busy-secret";

TEST(ServeBusyWarehouse, ContactEventsWaitUntilTheWarehouseWasRead) {
  std::atomic<bool> locked{true};
  std::atomic<int> opens{0};
  ServeOptions o;
  o.port = 0;
  o.client_secret = kBusySecret;
  o.store_url = "duckdb://:memory:";
  o.warehouse_url = "duckdb://:memory:";
  o.retry_delay = std::chrono::milliseconds(50);
  o.open_warehouse = [&]() -> std::unique_ptr<warehouse::Warehouse> {
    ++opens;
    if (locked) throw WarehouseError("IO Error: Could not set lock on file \"w.duckdb\": Conflicting lock is held");
    return warehouse::OpenWarehouse("duckdb://:memory:");  // readable, but no model in it
  };
  ServeServer server(o);
  const int port = server.Start();
  httplib::Client http("127.0.0.1", port);
  const std::string body = R"([{"eventId": 91, "occurredAt": )" + std::to_string(NowMillis()) +
                           R"(, "subscriptionType": "contact.creation", "objectId": 7}])";
  const int64_t ts = NowMillis();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/hubspot";
  const httplib::Headers h = {{"X-HubSpot-Signature-v3", hubspot::SignatureV3(kBusySecret, "POST", url, body, ts)},
                              {"X-HubSpot-Request-Timestamp", std::to_string(ts)}};
  auto r = http.Post("/webhooks/hubspot", h, body, "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  // Stored, not processed while the warehouse cannot be read (the worker keeps trying it).
  EXPECT_FALSE(server.WaitIdle(std::chrono::milliseconds(600)));
  EXPECT_EQ(server.Store().Counts().pending, 1);
  EXPECT_GE(opens.load(), 2);
  EXPECT_EQ(server.Stats().no_model, 0);
  locked = false;
  ASSERT_TRUE(server.WaitIdle(std::chrono::seconds(10)));
  server.Stop();
  const auto outcome = server.Store().Outcome(91);
  ASSERT_TRUE(outcome.has_value());
  // The warehouse's own answer, read at last (it has no model_runs).
  EXPECT_EQ(outcome->rfind("no model", 0), 0u) << *outcome;
  EXPECT_NE(outcome->find("model_runs"), std::string::npos) << *outcome;
}

}  // namespace busy
}  // namespace
}  // namespace revlens::serve
