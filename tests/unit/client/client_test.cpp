// The HubSpot client against a real in-process emulator: pacing at a tier's limits, retries of
// injected faults, errors that are one line and never show the token.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/time_util.hpp"
#include "emulator/faults.hpp"
#include "emulator/server.hpp"
#include "hubspot/client.hpp"

namespace revlens::hubspot {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr const char* kToken = "client-test-token-5f2a";

std::unique_ptr<emulator::Portal> SeedPortal(int contacts) {
  auto p = std::make_unique<emulator::Portal>();
  const int64_t now = NowMillis() - 86'400'000;
  emulator::InstallDefaultSchema(*p, now);
  for (int i = 0; i < contacts; ++i) {
    p->Table(emulator::ObjectType::kContacts)
        .Create({{"email", "c" + std::to_string(i) + "@example.com"}, {"firstname", "F" + std::to_string(i)}}, now + i);
  }
  return p;
}

// A list page must be complete JSON with `n` results, as a sync's page parser would demand.
std::function<void(const Response&)> ExpectPage(size_t n, std::atomic<int>* accepted) {
  return [n, accepted](const Response& r) {
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.contains("results") || !j["results"].is_array() || j["results"].size() != n) {
      throw MalformedResponseError("list page is not complete JSON with " + std::to_string(n) + " results");
    }
    accepted->fetch_add(1);
  };
}

class ClientTest : public ::testing::Test {
 protected:
  void Start(const std::string& tier, const std::string& faults = "", int contacts = 30) {
    emulator::ServeOptions o;
    o.port = 0;
    o.token = kToken;
    o.rate_limit = tier;
    o.faults = faults;
    o.seed = 11;
    server_ = std::make_unique<emulator::EmulatorServer>(SeedPortal(contacts), o);
    server_->Start();
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  ClientOptions Options() const {
    ClientOptions o;
    o.base_url = server_->BaseUrl();
    o.access_token = kToken;
    o.base_backoff = milliseconds(5);
    o.max_backoff = milliseconds(100);
    o.timeout = milliseconds(10'000);
    o.jitter_seed = 7;
    return o;
  }
  // Run `per_thread` calls of `fn` on each of `threads` threads; returns the wall time.
  template <typename Fn>
  static double RunThreads(int threads, int per_thread, Fn fn) {
    const auto start = Clock::now();
    std::vector<std::thread> pool;
    std::atomic<int> failures{0};
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (int i = 0; i < per_thread; ++i) {
          try {
            fn();
          } catch (const std::exception& e) {
            if (failures.fetch_add(1) < 3) ADD_FAILURE() << e.what();
          }
        }
      });
    }
    for (auto& th : pool) th.join();
    EXPECT_EQ(failures.load(), 0);
    return std::chrono::duration<double>(Clock::now() - start).count();
  }

  std::unique_ptr<emulator::EmulatorServer> server_;
};

TEST_F(ClientTest, AtTheProLimitFourThreadsGetNo429AndStayCloseToTheLimit) {
  Start("pro");
  Client client(Options());
  constexpr int kRequests = 240;
  std::atomic<int> accepted{0};
  const double secs = RunThreads(4, kRequests / 4, [&] {
    client.Get("/crm/v3/objects/contacts?limit=5&properties=email", ExpectPage(5, &accepted));
  });
  const ClientStats s = client.Stats();
  EXPECT_EQ(accepted.load(), kRequests);
  EXPECT_EQ(s.rate_limited, 0);
  EXPECT_EQ(s.requests, kRequests);
  EXPECT_EQ(s.retries, 0);
  EXPECT_EQ(s.ten_second_limit, 190);
  EXPECT_EQ(s.daily_limit, 625'000);
  EXPECT_GT(s.daily_remaining, 600'000);
  EXPECT_GT(s.bytes_received, 0);
  // 190 go at once; the other 50 must wait for the window (the emulator would refuse them
  // sooner), and no longer than the benchmark's bound of 1.10 x requests / 19 per second.
  EXPECT_GE(secs, 10.0);
  EXPECT_LE(secs, 1.10 * kRequests / 19.0);
  std::cout << "[ pacing ] pro: " << kRequests << " GETs in " << secs << " s = " << kRequests / secs
            << " req/s (limit 19/s, bound " << 1.10 * kRequests / 19.0 << " s)\n";
}

TEST_F(ClientTest, EveryFaultIsRetriedUntilTheHandlerSeesCompleteJson) {
  Start("none", "5xx=0.1,429=0.05,reset=0.02,truncate=0.02");
  ClientOptions o = Options();
  o.max_retries = 12;
  Client client(o);
  constexpr int kRequests = 240;
  std::atomic<int> accepted{0};
  const double secs = RunThreads(4, kRequests / 4, [&] {
    client.Get("/crm/v3/objects/contacts?limit=20&properties=email,firstname", ExpectPage(20, &accepted));
  });
  const ClientStats s = client.Stats();
  EXPECT_EQ(accepted.load(), kRequests);
  EXPECT_EQ(s.requests, kRequests + s.retries);
  const auto c = server_->Faults().Counts();
  using emulator::FaultKind;
  auto count = [&](FaultKind k) { return static_cast<int64_t>(c[static_cast<size_t>(k)]); };
  const int64_t injected_5xx = count(FaultKind::kStatus500) + count(FaultKind::kStatus502) + count(FaultKind::kStatus503);
  EXPECT_GT(count(FaultKind::kTruncate), 0);
  EXPECT_GT(count(FaultKind::kReset), 0);
  EXPECT_GT(count(FaultKind::kStatus429), 0);
  EXPECT_EQ(s.rate_limited, count(FaultKind::kStatus429));
  // A reset whose socket the emulator cannot find is answered 503 instead; a reset of a reused
  // connection before any byte came back is re-sent by libcurl itself, unseen here. A body cut
  // short always surfaces.
  EXPECT_GE(s.server_errors, injected_5xx);
  EXPECT_GE(s.network_errors, count(FaultKind::kTruncate));
  EXPECT_LE(s.server_errors + s.network_errors, injected_5xx + count(FaultKind::kReset) + count(FaultKind::kTruncate));
  EXPECT_EQ(s.retries, s.rate_limited + s.server_errors + s.network_errors);
  // Tier `none` announces no limits, so the pacer lifts its initial 100 per 10 s.
  EXPECT_LT(secs, 8.0);
  std::cout << "[ faults ] " << kRequests << " GETs, " << s.retries << " retries (" << s.server_errors << " 5xx, "
            << s.rate_limited << " 429, " << s.network_errors << " network) in " << secs << " s\n";
}

TEST_F(ClientTest, InjectedRateLimitsAtARealTierAreBackedOffNotWaitedOut) {
  // The emulator's injected 429s carry headers that still show room: a spurious 429 must cost a
  // short backoff, not a 10-second pause.
  Start("free", "429=0.3");
  Client client(Options());
  std::atomic<int> accepted{0};
  const double secs = RunThreads(2, 15, [&] { client.Get("/crm/v3/objects/contacts?limit=3", ExpectPage(3, &accepted)); });
  EXPECT_EQ(accepted.load(), 30);
  EXPECT_GT(client.Stats().rate_limited, 0);
  EXPECT_LT(secs, 5.0);
}

TEST_F(ClientTest, SearchPostsArePacedPerSecondWithout429) {
  Start("pro");
  ClientOptions o = Options();
  o.search_per_second = 5;  // the emulator's (and HubSpot's) figure: the margin keeps it safe
  Client client(o);
  const std::string body = R"({"filterGroups":[{"filters":[{"propertyName":"firstname","operator":"EQ","value":"F3"}]}],)"
                           R"("properties":["email"],"limit":10})";
  std::atomic<int> found{0};
  const double secs = RunThreads(3, 4, [&] {
    const Response r = client.Post("/crm/v3/objects/contacts/search", body, RequestKind::kSearch);
    const auto j = nlohmann::json::parse(r.body);
    if (j.value("total", 0) == 1 && j["results"][0]["properties"]["email"] == "c3@example.com") found.fetch_add(1);
  });
  const ClientStats s = client.Stats();
  EXPECT_EQ(found.load(), 12);
  EXPECT_EQ(s.rate_limited, 0);
  EXPECT_EQ(s.requests, 12);
  // 5, then 5 more a window (1.1 s) later, then 2: at least 2.2 s.
  EXPECT_GE(secs, 2.15);
  EXPECT_LT(secs, 4.0);
  // Searches carry no rate-limit headers and are outside the 10-second window.
  EXPECT_EQ(s.ten_second_limit, 0);
}

TEST_F(ClientTest, ABadTokenIsOneLine401WithoutTheToken) {
  Start("none");
  ClientOptions o = Options();
  o.access_token = "pat-na1-very-secret-value";
  Client client(o);
  try {
    client.Get("/crm/v3/objects/contacts?limit=10&after=abc");
    FAIL() << "expected a 401";
  } catch (const HubSpotApiError& e) {
    const std::string m = e.what();
    EXPECT_EQ(e.Status(), 401);
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    EXPECT_EQ(m.find("very-secret"), std::string::npos) << m;
    EXPECT_NE(m.find("GET /crm/v3/objects/contacts?limit&after"), std::string::npos) << m;
    EXPECT_NE(m.find("HUBSPOT_ACCESS_TOKEN"), std::string::npos) << m;
    EXPECT_FALSE(e.CorrelationId().empty());
    EXPECT_NE(m.find(e.CorrelationId()), std::string::npos) << m;
  }
  EXPECT_EQ(client.Stats().requests, 1);
  EXPECT_EQ(client.Stats().retries, 0);
}

TEST_F(ClientTest, AnUnreachablePortIsAnIOErrorQuickly) {
  ClientOptions o;
  o.base_url = "http://127.0.0.1:1/";
  o.access_token = kToken;
  o.max_retries = 2;
  o.base_backoff = milliseconds(10);
  Client client(o);
  EXPECT_EQ(client.BaseUrl(), "http://127.0.0.1:1");
  const auto start = Clock::now();
  try {
    client.Get("/crm/v3/objects/contacts");
    FAIL() << "expected an IOError";
  } catch (const IOError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind("cannot reach http://127.0.0.1:1: ", 0), 0u) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    EXPECT_EQ(m.find(kToken), std::string::npos) << m;
  }
  EXPECT_LT(Clock::now() - start, milliseconds(2000));
  EXPECT_EQ(client.Stats().requests, 3);
  EXPECT_EQ(client.Stats().network_errors, 3);
}

TEST_F(ClientTest, ABadRequestIsNotRetriedAndCarriesHubSpotsMessage) {
  Start("none");
  Client client(Options());
  try {
    client.Post("/crm/v3/objects/contacts", R"({"properties":{"no_such_property":"x"}})");
    FAIL() << "expected a 400";
  } catch (const HubSpotApiError& e) {
    const std::string m = e.what();
    EXPECT_EQ(e.Status(), 400);
    EXPECT_NE(m.find("POST /crm/v3/objects/contacts: HTTP 400: "), std::string::npos) << m;
    EXPECT_NE(m.find("no_such_property"), std::string::npos) << m;
  }
  EXPECT_EQ(client.Stats().requests, 1);
  EXPECT_EQ(client.Stats().retries, 0);
}

TEST_F(ClientTest, WritesWithEachMethodReachTheEmulator) {
  Start("none");
  Client client(Options());
  const Response created =
      client.Post("/crm/v3/objects/contacts", R"({"properties":{"email":"new@example.com","firstname":"Ann"}})");
  EXPECT_EQ(created.status, 201);
  const std::string id = nlohmann::json::parse(created.body)["id"];
  const Response patched =
      client.Request("PATCH", "/crm/v3/objects/contacts/" + id, R"({"properties":{"firstname":"Anne"}})");
  EXPECT_EQ(nlohmann::json::parse(patched.body)["properties"]["firstname"], "Anne");
  const Response read = client.Get("/crm/v3/objects/contacts/" + id + "?properties=firstname");
  EXPECT_EQ(nlohmann::json::parse(read.body)["properties"]["firstname"], "Anne");
  EXPECT_EQ(client.Request("DELETE", "/crm/v3/objects/contacts/" + id).status, 204);
  EXPECT_THROW(client.Get("/crm/v3/objects/contacts/" + id), HubSpotApiError);
}

TEST_F(ClientTest, ServerErrorsRunOutIntoOneLineWithTheStatusAndAttempts) {
  Start("none", "500=1");
  ClientOptions o = Options();
  o.max_retries = 2;
  Client client(o);
  try {
    client.Get("/crm/v3/objects/contacts");
    FAIL() << "expected a 500";
  } catch (const HubSpotApiError& e) {
    const std::string m = e.what();
    EXPECT_EQ(e.Status(), 500);
    EXPECT_NE(m.find("HTTP 500 after 3 attempts"), std::string::npos) << m;
  }
  EXPECT_EQ(client.Stats().server_errors, 3);
  EXPECT_EQ(client.Stats().retries, 2);
}

TEST_F(ClientTest, AHandlerRejectingTheBodyIsRetriedThenNamed) {
  Start("none");
  ClientOptions o = Options();
  o.max_retries = 3;
  Client client(o);
  int calls = 0;
  const Response r = client.Get("/crm/v3/objects/contacts?limit=2", [&](const Response&) {
    if (++calls < 3) throw MalformedResponseError("page cut short");
  });
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(client.Stats().retries, 2);
  EXPECT_EQ(client.Stats().network_errors, 2);
  try {
    client.Get("/crm/v3/objects/contacts?limit=2", [](const Response&) { throw MalformedResponseError("not JSON"); });
    FAIL() << "expected the malformed body to be reported";
  } catch (const HubSpotApiError& e) {
    EXPECT_NE(std::string(e.what()).find("malformed response after 4 attempts: not JSON"), std::string::npos)
        << e.what();
  }
}

TEST(UrlEncode, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(UrlEncode("abc-XYZ_0.9~"), "abc-XYZ_0.9~");
  EXPECT_EQ(UrlEncode("a b&c=d/\xC3\xA9,"), "a%20b%26c%3Dd%2F%C3%A9%2C");
  EXPECT_EQ(UrlEncode(""), "");
}

}  // namespace
}  // namespace revlens::hubspot
