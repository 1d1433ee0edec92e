// `revlens serve` (serve/server.hpp) on DuckDB and PostgreSQL stores: signature checks (forged, tampered, replayed ->
// 401 and nothing stored), dedupe by eventId, the real-time paths against the emulator's signed webhooks (a created
// contact gets its score written back; a note naming a competitor on an open deal reaches Slack and an outbound
// webhook once; a deal stage change re-predicts the deal with the stored forecast model and flags it), a restart
// mid-stream that loses nothing, and reprocessing that changes nothing.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <thread>

#include "core/time_util.hpp"
#include "deliver/outbound.hpp"
#include "deliver/push.hpp"
#include "deliver/push_state.hpp"
#include "deliver/targets.hpp"
#include "emulator/generator/generator.hpp"
#include "emulator/server.hpp"
#include "emulator/webhooks.hpp"
#include "hubspot/client.hpp"
#include "hubspot/signature.hpp"
#include "insights/forecast.hpp"
#include "insights/scoring.hpp"
#include "portal_fixture.hpp"
#include "serve/live_deals.hpp"
#include "serve/live_scoring.hpp"
#include "serve/server.hpp"

namespace revlens::serve {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using warehouse::Warehouse;

constexpr const char* kSecret = "serve-test-client-secret";

/// Forwards to a warehouse owned elsewhere (the fixture's): a DuckDB file admits one open per process here.
class Borrowed : public Warehouse {
 public:
  explicit Borrowed(Warehouse& w) : w_(w) {}
  void Execute(const std::string& sql) override { w_.Execute(sql); }
  warehouse::ResultSet Query(const std::string& sql) override { return w_.Query(sql); }
  void CreateSchema(const std::string& s) override { w_.CreateSchema(s); }
  void DropSchema(const std::string& s) override { w_.DropSchema(s); }
  bool TableExists(const std::string& s, const std::string& t) override { return w_.TableExists(s, t); }
  std::vector<warehouse::Column> Columns(const std::string& s, const std::string& t) override {
    return w_.Columns(s, t);
  }
  void BulkLoad(const std::string& s, const std::string& t, const std::vector<warehouse::Column>& c,
                const std::vector<std::vector<warehouse::Value>>& r) override {
    w_.BulkLoad(s, t, c, r);
  }
  void Begin() override { w_.Begin(); }
  void Commit() override { w_.Commit(); }
  void Rollback() override { w_.Rollback(); }
  std::string Dialect() const override { return w_.Dialect(); }
  std::string SqlType(warehouse::ColumnType t) const override { return w_.SqlType(t); }
  std::string Describe() const override { return w_.Describe(); }

 private:
  Warehouse& w_;
};

/// A local receiver for Slack and outbound webhooks.
class Sink {
 public:
  Sink() {
    server_.Post(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      posts_.push_back({req.path, req.body, req.get_header_value("X-Revlens-Timestamp"),
                        req.get_header_value("X-Revlens-Signature")});
      res.set_content("ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Sink() {
    server_.stop();
    thread_.join();
  }
  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  struct Post {
    std::string path, body, timestamp, signature;
  };
  std::vector<Post> Posts(const std::string& path) {
    std::lock_guard lock(mu_);
    std::vector<Post> out;
    for (const auto& p : posts_)
      if (p.path == path) out.push_back(p);
    return out;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<Post> posts_;
};

/// One built portal per engine with a trained lead model and a forecast run (its deal model stored), served by the
/// emulator (same seed: same records).
struct World {
  std::unique_ptr<testing::BuiltPortal> portal;
  std::unique_ptr<emulator::EmulatorServer> emulator;
  std::unique_ptr<hubspot::Client> client;
  std::string engine;
};

World* Shared(const std::string& engine) {
  static std::map<std::string, std::unique_ptr<World>> worlds;
  static std::mutex mu;
  std::lock_guard lock(mu);
  if (auto it = worlds.find(engine); it != worlds.end()) return it->second.get();
  auto w = std::make_unique<World>();
  w->engine = engine;
  auto options = testing::TestPortalOptions("small", 5);
  options.deals = 900;  // enough closed deals for the forecast's deal model
  w->portal = testing::BuiltPortal::Create(engine, options);
  if (w->portal) {
    insights::ScoringOptions so;
    so.model_schema = w->portal->ModelSchema();
    so.force = true;  // the small portal may have fewer conversions than a usable model needs
    so.min_conversions = 10;
    so.min_holdout_conversions = 2;
    insights::RunLeadScoring(w->portal->Wh(), so);
    insights::ForecastOptions fo;
    fo.schema = w->portal->ModelSchema();
    fo.draws = 500;
    fo.run_id = "serve-test-forecast";
    insights::RunForecast(w->portal->Wh(), fo);
    emulator::ServeOptions eo;
    eo.client_secret = kSecret;
    w->emulator = std::make_unique<emulator::EmulatorServer>(emulator::GeneratePortal(options).portal, eo);
    w->emulator->Start();
    w->emulator->Webhooks().SetRetryDelays({100, 200, 300, 500, 800, 1000, 1000, 1000, 1000, 1000});
    hubspot::ClientOptions co;
    co.base_url = w->emulator->BaseUrl();
    co.access_token = eo.token;
    co.initial_per_ten_seconds = 0;
    co.search_per_second = 0;
    co.base_backoff = std::chrono::milliseconds(5);
    w->client = std::make_unique<hubspot::Client>(co);
  }
  return (worlds[engine] = std::move(w)).get();
}

/// A fresh event store per test: a DuckDB file, or a unique schema in PostgreSQL.
struct StoreSpec {
  std::string url, schema;
  fs::path file;
  ~StoreSpec() {
    if (!file.empty()) {
      fs::remove(file);
      fs::remove(file.string() + ".wal");
    } else if (!url.empty()) {
      try {
        warehouse::OpenWarehouse(url)->DropSchema(schema);
      } catch (const std::exception&) {
        // Best effort: a uniquely named schema left behind never fails a later run.
      }
    }
  }
};

std::unique_ptr<StoreSpec> NewStore(const std::string& engine) {
  auto s = std::make_unique<StoreSpec>();
  s->schema = "serve_" + testing::UniqueSuffix();
  if (engine == "duckdb") {
    s->file = fs::temp_directory_path() / ("revlens_serve_" + testing::UniqueSuffix() + ".duckdb");
    s->url = "duckdb://" + s->file.string();
  } else {
    const char* url = std::getenv("REVLENS_TEST_POSTGRES_URL");
    if (!url || !*url) return nullptr;
    s->url = url;
  }
  return s;
}

ServeOptions BaseOptions(const StoreSpec& store) {
  ServeOptions o;
  o.port = 0;
  o.client_secret = kSecret;
  o.store_url = store.url;
  o.store_schema = store.schema;
  o.warehouse_url = "duckdb://:memory:";  // replaced by open_warehouse where a test needs the portal's
  o.mirror_interval = std::chrono::milliseconds(0);
  o.retry_delay = std::chrono::milliseconds(100);
  o.delivery.base_backoff = std::chrono::milliseconds(10);
  o.slack_interval = std::chrono::milliseconds(0);
  if (std::getenv("REVLENS_SERVE_TEST_LOG"))
    o.log = [](const std::string& line) { std::fprintf(stderr, "serve: %s\n", line.c_str()); };
  return o;
}

ServeOptions WorldOptions(World& w, const StoreSpec& store) {
  ServeOptions o = BaseOptions(store);
  Warehouse& wh = w.portal->Wh();
  o.open_warehouse = [&wh] { return std::make_unique<Borrowed>(wh); };
  o.model_schema = w.portal->ModelSchema();
  o.hubspot.base_url = w.emulator->BaseUrl();
  o.hubspot.access_token = w.emulator->Options().token;
  o.hubspot.initial_per_ten_seconds = 0;
  o.hubspot.search_per_second = 0;
  o.hubspot.base_backoff = std::chrono::milliseconds(5);
  o.competitors = {{"Pipedrift", {"Pipe Drift"}, {}, {}, false, true, "config"}};
  return o;
}

/// Point the emulator's webhooks at `url` with these subscriptions (replacing earlier ones).
void Subscribe(World& w, const std::string& url, const std::vector<std::pair<std::string, std::string>>& subs) {
  auto& p = w.emulator->GetPortal();
  std::unique_lock lock(p.mutex);
  p.webhook_target_url = url;
  p.subscriptions.clear();
  int64_t id = 1;
  for (const auto& [type, object_type] : subs) {
    emulator::WebhookSubscription s;
    s.id = id++;
    s.event_type = type;
    s.object_type_id = object_type;
    s.created_ms = s.updated_ms = NowMillis();
    p.subscriptions.push_back(s);
  }
}

void Unsubscribe(World& w) {
  w.emulator->Webhooks().Flush(10000);
  auto& p = w.emulator->GetPortal();
  std::unique_lock lock(p.mutex);
  p.webhook_target_url.clear();
  p.subscriptions.clear();
}

std::string HookUrl(int port) {
  return "http://127.0.0.1:" + std::to_string(port) + "/webhooks/hubspot";
}

/// A property's value; "" when unset (the API answers null).
std::string Prop(const json& props, const char* name) {
  const auto it = props.find(name);
  return it != props.end() && it->is_string() ? it->get<std::string>() : std::string();
}

json Get(World& w, const std::string& path) {
  return json::parse(w.client->Get(path).body);
}

template <typename F>
bool WaitFor(F f, int ms = 15000) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return f();
}

class ServeTest : public ::testing::TestWithParam<std::string> {};

std::string EngineName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param == "duckdb" ? "DuckDb" : "Postgres";
}

// ------------------------------------------------------------------------------------------------ receiver

httplib::Result PostSigned(httplib::Client& http, int port, const std::string& body, const std::string& secret,
                           int64_t ts, const std::string& sent_body = "") {
  const std::string sig = hubspot::SignatureV3(secret, "POST", HookUrl(port), body, ts);
  httplib::Headers h = {{"X-HubSpot-Signature-v3", sig}, {"X-HubSpot-Request-Timestamp", std::to_string(ts)}};
  return http.Post("/webhooks/hubspot", h, sent_body.empty() ? body : sent_body, "application/json");
}

std::string Events(std::initializer_list<int64_t> ids) {
  json a = json::array();
  for (int64_t id : ids)
    a.push_back({{"eventId", id},
                 {"subscriptionId", 1},
                 {"portalId", 1},
                 {"appId", 1},
                 {"occurredAt", NowMillis()},
                 {"subscriptionType", "company.creation"},
                 {"attemptNumber", 0},
                 {"objectId", 100 + id},
                 {"changeSource", "API"}});
  return a.dump();
}

TEST_P(ServeTest, ForgedTamperedAndReplayedRequestsAre401AndNeverStored) {
  auto store = NewStore(GetParam());
  if (!store) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  ServeOptions o = BaseOptions(*store);
  o.process = false;
  ServeServer server(o);
  const int port = server.Start();
  httplib::Client http("127.0.0.1", port);
  const int64_t now = NowMillis();
  const std::string body = Events({1, 2});

  auto forged = PostSigned(http, port, body, "not-the-secret", now);
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 401);
  EXPECT_NE(forged->body.find("signature does not match"), std::string::npos) << forged->body;
  auto tampered = PostSigned(http, port, body, kSecret, now, Events({1, 3}));
  EXPECT_EQ(tampered->status, 401);
  auto replayed = PostSigned(http, port, body, kSecret, now - 6 * 60 * 1000);
  EXPECT_EQ(replayed->status, 401);
  EXPECT_NE(replayed->body.find("5 minutes"), std::string::npos) << replayed->body;
  auto future = PostSigned(http, port, body, kSecret, now + 6 * 60 * 1000);
  EXPECT_EQ(future->status, 401);
  auto unsigned_req = http.Post("/webhooks/hubspot", body, "application/json");
  EXPECT_EQ(unsigned_req->status, 401);
  // Signed for another URL (a request replayed against another endpoint).
  httplib::Headers h = {
      {"X-HubSpot-Signature-v3", hubspot::SignatureV3(kSecret, "POST", "http://127.0.0.1:1/other", body, now)},
      {"X-HubSpot-Request-Timestamp", std::to_string(now)}};
  EXPECT_EQ(http.Post("/webhooks/hubspot", h, body, "application/json")->status, 401);
  EXPECT_EQ(server.Store().Counts().events, 0) << "a rejected request reached the store";
  EXPECT_EQ(server.Stats().rejected, 6);

  auto bad = PostSigned(http, port, "{\"not\":\"an array\"}", kSecret, now);
  EXPECT_EQ(bad->status, 400);
  auto ok = PostSigned(http, port, body, kSecret, now);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(server.Store().Counts().events, 2) << "stored before the 200";
  auto health = http.Get("/healthz");
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(json::parse(health->body)["events"], 2);
}

TEST_P(ServeTest, DuplicateEventIdsAreStoredOnce) {
  auto store = NewStore(GetParam());
  if (!store) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  ServeOptions o = BaseOptions(*store);
  o.process = false;
  ServeServer server(o);
  const int port = server.Start();
  httplib::Client http("127.0.0.1", port);
  EXPECT_EQ(PostSigned(http, port, Events({10, 11, 11}), kSecret, NowMillis())->status, 200);
  EXPECT_EQ(PostSigned(http, port, Events({10, 11, 12}), kSecret, NowMillis())->status, 200);  // a HubSpot retry
  EXPECT_EQ(server.Store().EventIds(), (std::vector<int64_t>{10, 11, 12}));
  const auto st = server.Stats();
  EXPECT_EQ(st.events_new, 3);
  EXPECT_EQ(st.duplicates, 3);
}

// ------------------------------------------------------------------------------------------------ real time

TEST_P(ServeTest, CreatedContactGetsItsScoreWrittenBack) {
  World* w = Shared(GetParam());
  if (!w->portal) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  auto store = NewStore(GetParam());
  ServeServer server(WorldOptions(*w, *store));
  const int port = server.Start();
  Subscribe(*w, HookUrl(port), {{"contact.creation", ""}, {"contact.propertyChange", ""}});
  const auto created = json::parse(
      w->client
          ->Post("/crm/v3/objects/contacts", json{{"properties",
                                                   {{"email", "rt." + testing::UniqueSuffix() + "@example.com"},
                                                    {"jobtitle", "VP of Sales"},
                                                    {"hs_analytics_source", "ORGANIC_SEARCH"},
                                                    {"phone", "+1 555 0100"}}}}
                                                 .dump())
          .body);
  const std::string id = created["id"].get<std::string>();
  json props;
  const bool scored = WaitFor([&] {
    props = Get(*w, "/crm/v3/objects/contacts/" + id +
                        "?properties=revlens_score,revlens_shadow_score,revlens_tier,revlens_shadow_tier,"
                        "revlens_model_version,revlens_shadow_model_version")["properties"];
    return !Prop(props, "revlens_score").empty() || !Prop(props, "revlens_shadow_score").empty();
  });
  Unsubscribe(*w);
  EXPECT_TRUE(server.WaitIdle(std::chrono::seconds(10)));
  server.Stop();
  ASSERT_TRUE(scored) << props.dump() << "\n" << server.Stats().ToJson().dump();
  const std::string score =
      Prop(props, "revlens_score").empty() ? Prop(props, "revlens_shadow_score") : Prop(props, "revlens_score");
  const double v = std::stod(score);
  EXPECT_GE(v, 0.0);
  EXPECT_LE(v, 100.0);
  const std::string tier = Prop(props, "revlens_tier") + Prop(props, "revlens_shadow_tier");
  EXPECT_TRUE(tier == "A" || tier == "B" || tier == "C" || tier == "D") << tier;
  EXPECT_GE(server.Stats().contacts_scored, 1);
  EXPECT_EQ(server.Store().Counts().pending, 0);
}

// The nightly score went to HubSpot through `revlens push`; serve then writes a live one. The copy into the
// warehouse marks the properties serve wrote in push_state, so the next push (same nightly scores) sends them again:
// without that it compared the nightly value with its own last one, found no change, and left the live value in
// HubSpot.
TEST_P(ServeTest, LiveScoreMakesTheNextPushSendTheNightlyScoreAgain) {
  World* w = Shared(GetParam());
  if (!w->portal) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  Warehouse& wh = w->portal->Wh();
  // A scored contact that is neither in the A/B holdout nor left without a score.
  const auto rs = wh.Query("SELECT contact_id FROM " + w->portal->T("lead_scores") +
                           " WHERE ab_group <> 'holdout' ORDER BY contact_id LIMIT 1");
  ASSERT_EQ(rs.RowCount(), 1u);
  const int64_t contact = warehouse::AsInt64(rs.rows[0][0]);
  const std::string path = "/crm/v3/objects/contacts/" + std::to_string(contact) +
                           "?properties=revlens_score,revlens_shadow_score,revlens_model_version,"
                           "revlens_shadow_model_version";
  const auto score = [&] {
    const json p = Get(*w, path)["properties"];
    return Prop(p, "revlens_score") + "|" + Prop(p, "revlens_shadow_score");
  };
  deliver::PushOptions po;
  po.schema = w->portal->ModelSchema();
  po.round_backoff = std::chrono::milliseconds(10);
  std::erase_if(po.targets, [](const deliver::PushTarget& t) { return t.name != "lead_scores"; });
  ASSERT_EQ(po.targets.size(), 1u);
  deliver::RunPush(wh, w->client.get(), po);
  const std::string nightly = score();
  ASSERT_NE(nightly, "|");
  EXPECT_EQ(deliver::RunPush(wh, w->client.get(), po).targets[0].changed, 0);  // state and HubSpot agree

  auto store = NewStore(GetParam());
  ServeServer server(WorldOptions(*w, *store));
  const int port = server.Start();
  Subscribe(*w, HookUrl(port), {{"contact.propertyChange", ""}});
  // A new title and source: the live features differ from the nightly ones, so does the score.
  w->client->Request(
      "PATCH", "/crm/v3/objects/contacts/" + std::to_string(contact),
      json{{"properties", {{"jobtitle", "Chief Executive Officer"}, {"hs_analytics_source", "REFERRALS"}}}}.dump());
  const bool live = WaitFor([&] { return score() != nightly; });
  Unsubscribe(*w);
  EXPECT_TRUE(server.WaitIdle(std::chrono::seconds(10)));
  ASSERT_TRUE(live) << "serve wrote no live score: " << server.Stats().ToJson().dump();
  ASSERT_TRUE(WaitFor([&] { return server.Store().UnmirroredLiveWrites().empty(); }));
  server.Stop();
  // push_state now says the score was written elsewhere (one of the two properties: the one serve wrote).
  EXPECT_EQ(warehouse::AsInt64(wh.Query("SELECT COUNT(*) FROM " + w->portal->T("push_state") +
                                        " WHERE object_type = 'contacts' AND object_id = " + std::to_string(contact) +
                                        " AND property IN ('revlens_score', 'revlens_shadow_score') AND value = " +
                                        Warehouse::QuoteLiteral(std::string(deliver::kWrittenElsewhere)))
                                   .rows[0][0]),
            1);

  const auto again = deliver::RunPush(wh, w->client.get(), po);
  EXPECT_EQ(again.targets[0].changed, 1);
  EXPECT_EQ(again.targets[0].written, 1);
  EXPECT_EQ(score(), nightly);
  EXPECT_EQ(deliver::RunPush(wh, w->client.get(), po).targets[0].changed, 0);
}

TEST_P(ServeTest, CompetitorNoteOnOpenDealAlertsOnceAndStageChangeIsFlagged) {
  World* w = Shared(GetParam());
  if (!w->portal) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  const auto open = w->portal->Wh().Query("SELECT deal_id FROM " + w->portal->T("deals") +
                                          " WHERE NOT is_closed ORDER BY deal_id LIMIT 1");
  ASSERT_EQ(open.RowCount(), 1u);
  const int64_t deal = warehouse::AsInt64(open.rows[0][0]);
  auto store = NewStore(GetParam());
  Sink sink;
  ServeOptions o = WorldOptions(*w, *store);
  o.slack_webhook_urls = {sink.Url("/services/T1/B1/x")};
  o.webhooks = {{sink.Url("/hook"), "hook-secret"}};
  ServeServer server(o);
  const int port = server.Start();
  Subscribe(*w, HookUrl(port), {{"object.creation", "0-46"}, {"deal.propertyChange", ""}});
  auto note = [&](const std::string& body) {
    const json req = {
        {"properties", {{"hs_note_body", body}, {"hs_timestamp", FormatIsoMillis(NowMillis())}}},
        {"associations",
         {{{"to", {{"id", std::to_string(deal)}}},
           {"types",
            {{{"associationCategory", "HUBSPOT_DEFINED"},
              {"associationTypeId",
               emulator::DefaultAssociationTypeId(emulator::ObjectType::kNotes, emulator::ObjectType::kDeals)}}}}}}}};
    w->client->Post("/crm/v3/objects/notes", req.dump());
  };
  note("Call recap: they are also looking at Pipe Drift for forecasting.");
  ASSERT_TRUE(WaitFor([&] { return !sink.Posts("/services/T1/B1/x").empty() && !sink.Posts("/hook").empty(); }))
      << server.Stats().ToJson().dump();
  const auto slack = sink.Posts("/services/T1/B1/x");
  ASSERT_EQ(slack.size(), 1u);
  EXPECT_NE(slack[0].body.find("Pipedrift"), std::string::npos) << slack[0].body;
  EXPECT_NE(slack[0].body.find("\"blocks\""), std::string::npos);
  const auto hook = sink.Posts("/hook");
  ASSERT_EQ(hook.size(), 1u);
  EXPECT_TRUE(deliver::VerifyOutboundSignature("hook-secret", hook[0].timestamp, hook[0].body, hook[0].signature,
                                               NowMillis() / 1000));
  EXPECT_EQ(json::parse(hook[0].body)["rule"], "competitor_on_deal");

  // A second mention of the same competitor on the same deal: no second message.
  note("Follow-up: Pipedrift pricing came up again.");
  // A note with no competitor, and a stage change.
  note("Nothing to see here.");
  w->client->Request("PATCH", "/crm/v3/objects/deals/" + std::to_string(deal),
                     json{{"properties", {{"dealstage", "contractsent"}}}}.dump());
  w->emulator->Webhooks().Flush(10000);
  ASSERT_TRUE(server.WaitIdle(std::chrono::seconds(15)));
  Unsubscribe(*w);
  server.Stop();
  EXPECT_EQ(sink.Posts("/services/T1/B1/x").size(), 1u) << "the same deal and competitor alerted twice";
  EXPECT_EQ(sink.Posts("/hook").size(), 1u);
  EXPECT_EQ(server.Stats().alerts_deduplicated, 2);  // Slack and the outbound hook
  EXPECT_GE(server.Stats().deals_flagged, 1);
  // Copied into the warehouse on stop: the alert (for `revlens alert`'s dedupe) and the flagged deal.
  auto& wh = w->portal->Wh();
  EXPECT_EQ(wh.Query("SELECT COUNT(*) FROM " + w->portal->T("alerts") +
                     " WHERE rule = 'competitor_on_deal' AND status = 'sent' AND alert_key = " +
                     Warehouse::QuoteLiteral("competitor_on_deal:" + std::to_string(deal) + ":Pipedrift"))
                .Scalar<int64_t>(),
            2);
  EXPECT_EQ(wh.Query("SELECT dealstage FROM " + w->portal->T("deal_forecast_flags") +
                     " WHERE deal_id = " + std::to_string(deal))
                .Scalar<std::string>(),
            "contractsent");
}

// ------------------------------------------------------------------------------------------------ deal predictions

/// The deal's deal_predictions row, column -> value as text ("" for NULL).
std::map<std::string, std::string> PredictionRow(World& w, int64_t deal) {
  auto& wh = w.portal->Wh();
  const auto cols = wh.Columns(w.portal->ModelSchema(), "deal_predictions");
  const auto rs = wh.Query("SELECT * FROM " + w.portal->T("deal_predictions") + " WHERE deal_id = " +
                           std::to_string(deal));
  std::map<std::string, std::string> out;
  if (rs.RowCount() != 1) return out;
  for (size_t i = 0; i < cols.size(); ++i)
    out[cols[i].name] = warehouse::IsNull(rs.rows[0][i]) ? "" : warehouse::ToString(rs.rows[0][i]);
  return out;
}

double RowNumber(const std::map<std::string, std::string>& row, const std::string& col) {
  const auto it = row.find(col);
  return it == row.end() || it->second.empty() ? std::nan("") : std::stod(it->second);
}

// A stage change on an open deal: serve predicts the deal again with the stored forecast model, exactly as
// DealModel::Predict does on the deal's state computed here from the last build's history plus the change, and
// writes it into the deal's deal_predictions row (method live). Moves to closed-won and closed-lost give p_win 1 and
// 0. Reprocessing every event changes nothing.
TEST_P(ServeTest, DealStageChangeUpdatesItsPrediction) {
  World* w = Shared(GetParam());
  if (!w->portal) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  auto& wh = w->portal->Wh();
  const std::string schema = w->portal->ModelSchema();
  // What the forecast would use, loaded here directly: the stored model and the build's histories in its codes.
  const auto stored = insights::LatestDealModel(wh, schema);
  ASSERT_TRUE(stored.has_value());
  insights::ForecastData data = insights::LoadForecastData(wh, schema);
  insights::AlignCodes(data, stored->model->Codes());
  const insights::OutcomeIndex outcomes(data);
  // Three open deals of the forecast, away from the ones other tests touch (those take the lowest ids).
  const auto rs = wh.Query("SELECT deal_id, p_win FROM " + w->portal->T("deal_predictions") +
                           " WHERE method <> 'live' ORDER BY deal_id DESC LIMIT 3");
  ASSERT_EQ(rs.RowCount(), 3u);
  const int64_t open_deal = warehouse::AsInt64(rs.rows[0][0]), won_deal = warehouse::AsInt64(rs.rows[1][0]),
                lost_deal = warehouse::AsInt64(rs.rows[2][0]);
  const double forecast_p_win = warehouse::AsDouble(rs.rows[0][1]);
  size_t idx = data.deals.size();
  for (size_t i = 0; i < data.deals.size(); ++i)
    if (data.deals[i].deal_id == open_deal) idx = i;
  ASSERT_LT(idx, data.deals.size());
  // The next open stage of the deal's pipeline (or the first, from the last).
  const auto& rec = data.deals[idx];
  const int current = rec.stages.back().value;
  const std::string& pipeline = data.stages[static_cast<size_t>(current)].pipeline_id;
  int target = -1, first = -1, won = -1, lost = -1;
  for (size_t i = 0; i < data.stages.size(); ++i) {
    const auto& st = data.stages[i];
    if (st.pipeline_id != pipeline) continue;
    if (st.closed) {
      (st.won ? won : lost) = static_cast<int>(i);
      continue;
    }
    if (first < 0 || st.order < data.stages[static_cast<size_t>(first)].order) first = static_cast<int>(i);
    if (st.order == data.stages[static_cast<size_t>(current)].order + 1) target = static_cast<int>(i);
  }
  if (target < 0) target = first;
  ASSERT_GE(target, 0);
  ASSERT_NE(target, current);
  ASSERT_GE(won, 0);
  ASSERT_GE(lost, 0);

  auto store = NewStore(GetParam());
  ServeOptions o = WorldOptions(*w, *store);
  auto server = std::make_unique<ServeServer>(o);
  const int port = server->Start();
  o.port = port;
  Subscribe(*w, HookUrl(port), {{"deal.propertyChange", ""}});
  const double new_amount = 12345.5;
  const auto Patch = [&](int64_t deal, const json& props) {
    w->client->Request("PATCH", "/crm/v3/objects/deals/" + std::to_string(deal), json{{"properties", props}}.dump());
  };
  Patch(open_deal, {{"dealstage", data.stages[static_cast<size_t>(target)].stage_id},
                    {"amount", std::to_string(new_amount)}});
  Patch(won_deal, {{"dealstage", data.stages[static_cast<size_t>(won)].stage_id}});
  Patch(lost_deal, {{"dealstage", data.stages[static_cast<size_t>(lost)].stage_id}});
  ASSERT_TRUE(w->emulator->Webhooks().Flush(10000));
  ASSERT_TRUE(server->WaitIdle(std::chrono::seconds(20)));
  Unsubscribe(*w);
  server->Stop();  // copies what is left into the warehouse
  EXPECT_GE(server->Stats().deals_predicted, 3) << server->Stats().ToJson().dump();
  EXPECT_GE(server->Stats().deals_flagged, 3);

  // The expected prediction: the deal's history, the change at the instant HubSpot sent, HubSpot's values then.
  const auto changes = server->Store().DealStageChanges(open_deal, std::numeric_limits<int64_t>::max());
  ASSERT_EQ(changes.size(), 1u);
  const int64_t at = changes[0].occurred_at_ms, cutoff = at + 1;
  insights::DealRecord r = rec;
  r.stages.push_back({at, target});
  r.amounts.push_back({at, new_amount});
  const json live = Get(*w, "/crm/v3/objects/deals/" + std::to_string(open_deal) +
                                "?properties=closedate,hubspot_owner_id")["properties"];
  if (const auto close = ParseTimestampMillis(Prop(live, "closedate"));
      close && (r.close_dates.empty() || r.close_dates.back().value != *close))
    r.close_dates.push_back({at, *close});
  if (const std::string owner = Prop(live, "hubspot_owner_id");
      !owner.empty() && (r.owners.empty() || r.owners.back().value != std::stoll(owner)))
    r.owners.push_back({at, std::stoll(owner)});
  const insights::DealState state = insights::StateAt(data, r, cutoff);
  ASSERT_TRUE(state.open);
  ASSERT_EQ(state.stage, target);
  std::vector<int64_t> ends;
  size_t past = 0;
  for (const auto& p : stored->periods) {
    if (p.end_ms <= cutoff)
      ++past;  // ended before the change: an open deal did not win in it
    else
      ends.push_back(p.end_ms);
  }
  const auto expected = stored->model->Predict(data, outcomes, std::vector<const insights::DealRecord*>{&r},
                                               std::vector<insights::DealState>{state}, cutoff, ends)[0];
  const auto row = PredictionRow(*w, open_deal);
  ASSERT_FALSE(row.empty()) << "the deal has no deal_predictions row";
  EXPECT_EQ(row.at("method"), "live");
  EXPECT_EQ(row.at("deal_stage_id"), data.stages[static_cast<size_t>(target)].stage_id);
  EXPECT_EQ(row.at("run_id"), stored->run_id);
  EXPECT_NEAR(RowNumber(row, "p_win"), expected.p_win, 1e-9);
  EXPECT_NE(RowNumber(row, "p_win"), forecast_p_win) << "the row was not updated";
  double prev = 0;
  for (size_t k = 0; k < stored->periods.size(); ++k) {
    const double won_by = k < past ? 0.0 : expected.won_by[k - past];
    EXPECT_NEAR(RowNumber(row, "p_close_period_" + std::to_string(k + 1)), won_by - prev, 1e-9) << k;
    prev = won_by;
  }
  EXPECT_NEAR(RowNumber(row, "amount"), new_amount, 1e-9);
  EXPECT_NEAR(RowNumber(row, "expected_bookings"), new_amount * prev, 1e-6);
  EXPECT_EQ(warehouse::ToString(wh.Query("SELECT predicted_at FROM " + w->portal->T("deal_predictions") +
                                         " WHERE deal_id = " + std::to_string(open_deal))
                                    .rows[0][0]),
            warehouse::ToString(warehouse::TimestampFromMillis(at)));

  // The open deal's live win probability and risk reached HubSpot, formatted as `revlens push` formats them; the
  // closed deals' 1 and 0 did not (the next forecast drops them and the push clears their values).
  const auto hs = [&](int64_t deal) {
    return Get(*w, "/crm/v3/objects/deals/" + std::to_string(deal) +
                       "?properties=revlens_win_probability,revlens_deal_risk")["properties"];
  };
  const deliver::FieldMapping* p_win_field = nullptr;  // the push's own mapping
  const auto targets = deliver::DefaultTargets();
  for (const auto& t : targets)
    for (const auto& f : t.fields)
      if (t.name == "deal_predictions" && f.property == "revlens_win_probability") p_win_field = &f;
  ASSERT_NE(p_win_field, nullptr);
  EXPECT_EQ(Prop(hs(open_deal), "revlens_win_probability"),
            deliver::FormatValue(*p_win_field, warehouse::Value(expected.p_win)));
  EXPECT_EQ(Prop(hs(open_deal), "revlens_deal_risk"), row.at("risk_flags"));
  EXPECT_EQ(Prop(hs(won_deal), "revlens_win_probability"), "");
  EXPECT_EQ(Prop(hs(lost_deal), "revlens_win_probability"), "");
  // push_state knows the open deal's values were written elsewhere: the next push sends its own.
  EXPECT_EQ(wh.Query("SELECT value FROM " + w->portal->T("push_state") +
                     " WHERE object_type = 'deals' AND object_id = " + std::to_string(open_deal) +
                     " AND property = 'revlens_win_probability'")
                .Scalar<std::string>(),
            std::string(deliver::kWrittenElsewhere));

  // Closed: won is 1, lost is 0, and a lost deal books nothing.
  const auto won_row = PredictionRow(*w, won_deal), lost_row = PredictionRow(*w, lost_deal);
  ASSERT_FALSE(won_row.empty());
  ASSERT_FALSE(lost_row.empty());
  EXPECT_EQ(RowNumber(won_row, "p_win"), 1.0);
  EXPECT_EQ(won_row.at("method"), "live");
  EXPECT_EQ(RowNumber(lost_row, "p_win"), 0.0);
  EXPECT_EQ(RowNumber(lost_row, "expected_bookings"), 0.0);
  double won_sum = 0;
  for (size_t k = 1; k <= stored->periods.size(); ++k) {
    EXPECT_EQ(RowNumber(lost_row, "p_close_period_" + std::to_string(k)), 0.0);
    won_sum += RowNumber(won_row, "p_close_period_" + std::to_string(k));
  }
  EXPECT_TRUE(won_sum == 0.0 || won_sum == 1.0) << won_sum;
  // The flags stay for the next forecast run (the quarter totals).
  EXPECT_EQ(wh.Query("SELECT COUNT(*) FROM " + w->portal->T("deal_forecast_flags") + " WHERE deal_id IN (" +
                     std::to_string(open_deal) + "," + std::to_string(won_deal) + "," + std::to_string(lost_deal) +
                     ")")
                .Scalar<int64_t>(),
            3);

  // Reprocessing every event (a crash before the marks) writes the same rows.
  const auto open_before = PredictionRow(*w, open_deal), won_before = PredictionRow(*w, won_deal);
  server.reset();
  {
    EventStore s(store->url, store->schema);
    s.Requeue(s.EventIds());
  }
  auto again = std::make_unique<ServeServer>(o);
  again->Start();
  ASSERT_TRUE(again->WaitIdle(std::chrono::seconds(20)));
  again->Stop();
  EXPECT_GE(again->Stats().deals_predicted, 3);
  EXPECT_EQ(PredictionRow(*w, open_deal), open_before);
  EXPECT_EQ(PredictionRow(*w, won_deal), won_before);
  EXPECT_EQ(wh.Query("SELECT COUNT(*) FROM " + w->portal->T("deal_predictions") + " WHERE deal_id = " +
                     std::to_string(open_deal))
                .Scalar<int64_t>(),
            1);
}

// ------------------------------------------------------------------------------------------------ restart

TEST_P(ServeTest, RestartMidStreamLosesNothingAndReprocessingChangesNothing) {
  World* w = Shared(GetParam());
  if (!w->portal) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  auto store = NewStore(GetParam());
  ServeOptions o = WorldOptions(*w, *store);
  auto first = std::make_unique<ServeServer>(o);
  const int port = first->Start();
  o.port = port;  // the restarted server listens where HubSpot sends
  Subscribe(*w, HookUrl(port), {{"contact.creation", ""}, {"contact.propertyChange", ""}});
  const auto before = w->emulator->Webhooks().Stats();

  // Create contacts in bursts while the server is stopped and started again in the middle.
  std::thread writer([&] {
    for (int b = 0; b < 6; ++b) {
      json inputs = json::array();
      for (int i = 0; i < 10; ++i)
        inputs.push_back({{"properties",
                           {{"email", "restart." + std::to_string(b) + "." + std::to_string(i) + "." +
                                          testing::UniqueSuffix() + "@example.com"},
                            {"jobtitle", i % 2 ? "Marketing Manager" : "Software Engineer"}}}});
      w->client->Post("/crm/v3/objects/contacts/batch/create", json{{"inputs", inputs}}.dump());
      std::this_thread::sleep_for(std::chrono::milliseconds(60));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  first->Stop();  // mid-stream: the emulator's deliveries fail now and are retried
  const std::string first_stats = first->Stats().ToJson().dump();
  first.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto second = std::make_unique<ServeServer>(o);
  second->Start();
  writer.join();
  // The write-back publishes propertyChange events of its own: settle until nothing is in flight either way.
  emulator::WebhookStats after;
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(w->emulator->Webhooks().Flush(20000));
    ASSERT_TRUE(second->WaitIdle(std::chrono::seconds(20)));
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    after = w->emulator->Webhooks().Stats();
    if (second->Store().Counts().events == static_cast<int64_t>(after.events_published - before.events_published) &&
        second->Store().Counts().pending == 0)
      break;
  }
  EXPECT_GT(after.failures, before.failures) << "no delivery failed: the restart did not happen mid-stream";
  EXPECT_EQ(after.dropped, before.dropped);
  const int64_t published = static_cast<int64_t>(after.events_published - before.events_published);
  const auto counts = second->Store().Counts();
  {
    // The emulator numbers its events 1, 2, ...: this test's are the ones published since `before`.
    const auto ids = second->Store().EventIds();
    std::string missing;
    for (auto id = static_cast<int64_t>(before.events_published) + 1;
         id <= static_cast<int64_t>(after.events_published); ++id)
      if (!std::binary_search(ids.begin(), ids.end(), id)) missing += std::to_string(id) + " ";
    EXPECT_EQ(counts.events, published) << "events lost or invented across the restart; missing: " << missing
                                        << "\nfirst: " << first_stats
                                        << "\nsecond: " << second->Stats().ToJson().dump();
  }
  EXPECT_EQ(counts.pending, 0);
  EXPECT_EQ(counts.reprocessed, 0);
  second->Stop();
  second.reset();

  // A crash after the effects but before the mark: every event processed again changes nothing in HubSpot.
  const auto writes_before = w->emulator->BatchUpdates(emulator::ObjectType::kContacts);
  {
    EventStore s(store->url, store->schema);
    const auto ids = s.EventIds();
    s.Requeue(ids);
    EXPECT_EQ(s.Counts().pending, static_cast<int64_t>(ids.size()));
  }
  auto third = std::make_unique<ServeServer>(o);
  third->Start();
  ASSERT_TRUE(third->WaitIdle(std::chrono::seconds(20)));
  Unsubscribe(*w);
  third->Stop();
  const auto writes_after = w->emulator->BatchUpdates(emulator::ObjectType::kContacts);
  EXPECT_EQ(writes_after.inputs, writes_before.inputs) << "reprocessing wrote scores again";
  EXPECT_EQ(third->Stats().properties_written, 0);
}

// ------------------------------------------------------------------------------------------------ scoring pieces

TEST_P(ServeTest, TitleRulesMatchTheSqlModel) {
  World* w = Shared(GetParam());
  if (!w->portal) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  const auto rs = w->portal->Wh().Query("SELECT DISTINCT jobtitle, seniority, job_function FROM " +
                                        w->portal->T("lead_features") + " WHERE jobtitle IS NOT NULL");
  ASSERT_GT(rs.RowCount(), 10u);
  for (const auto& r : rs.rows) {
    const std::string title = warehouse::ToString(r[0]);
    const std::string seniority = warehouse::IsNull(r[1]) ? "" : warehouse::ToString(r[1]);
    const std::string function = warehouse::IsNull(r[2]) ? "" : warehouse::ToString(r[2]);
    EXPECT_EQ(TitleSeniority(title), seniority) << title;
    EXPECT_EQ(TitleJobFunction(title), function) << title;
  }
}

// A contact at a company the last build has not seen gets the segment the build would give it: the C++ rule on
// the company's industry and employee count equals lead_features' company_segment on every company of the portal.
TEST_P(ServeTest, CompanySegmentRuleMatchesTheSqlModel) {
  World* w = Shared(GetParam());
  if (!w->portal) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  Warehouse& wh = w->portal->Wh();
  std::map<std::string, std::string> synonyms;
  for (const auto& r : wh.Query("SELECT industry_key, industry FROM " + w->portal->T("icp_industry_synonyms")).rows)
    synonyms[warehouse::ToString(r[0])] = warehouse::ToString(r[1]);
  ASSERT_GT(synonyms.size(), 10u);
  const auto rs = wh.Query("SELECT DISTINCT c.filled_industry, c.filled_employee_count, f.company_segment FROM " +
                           w->portal->T("lead_features") + " AS f JOIN " + w->portal->T("companies") +
                           " AS c ON c.company_id = f.company_id");
  ASSERT_GT(rs.RowCount(), 50u);
  size_t with_segment = 0, mapped = 0;
  for (const auto& r : rs.rows) {
    const std::string industry = warehouse::IsNull(r[0]) ? "" : warehouse::ToString(r[0]);
    std::optional<double> employees;
    if (!warehouse::IsNull(r[1])) employees = std::stod(warehouse::ToString(r[1]));
    const std::string segment = warehouse::IsNull(r[2]) ? "" : warehouse::ToString(r[2]);
    EXPECT_EQ(CompanySegment(industry, employees, synonyms), segment) << industry << " / " << warehouse::ToString(r[1]);
    with_segment += !segment.empty();
    std::string lowered = industry;
    for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // An admin's spelling ("SaaS", "Fintech") that became another value (HubSpot's own values, "COMPUTER_SOFTWARE",
    // only lose their underscores).
    mapped += !segment.empty() && industry.find('_') == std::string::npos && segment.rfind(lowered + ",", 0) != 0;
  }
  EXPECT_GT(with_segment, rs.RowCount() / 2);
  EXPECT_GT(mapped, 5u);
  EXPECT_EQ(CompanySegment("", 50.0, synonyms), "");
  EXPECT_EQ(CompanySegment("SaaS", std::nullopt, synonyms), "");
  EXPECT_EQ(CompanySegment(" SaaS ", 250.0, synonyms), "computer software, 201-1000 employees");
}

TEST_P(ServeTest, WithoutAModelContactEventsAreRecordedAndSkipped) {
  auto store = NewStore(GetParam());
  if (!store) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
  auto empty = warehouse::OpenWarehouse("duckdb://:memory:");
  ServeOptions o = BaseOptions(*store);
  Warehouse& wh = *empty;
  o.open_warehouse = [&wh] { return std::make_unique<Borrowed>(wh); };
  ServeServer server(o);
  const int port = server.Start();
  httplib::Client http("127.0.0.1", port);
  json ev = json::array(
      {{{"eventId", 77}, {"occurredAt", NowMillis()}, {"subscriptionType", "contact.creation"}, {"objectId", 5}},
       {{"eventId", 78},
        {"occurredAt", NowMillis()},
        {"subscriptionType", "deal.propertyChange"},
        {"propertyName", "dealstage"},
        {"propertyValue", "contractsent"},
        {"objectId", 9}}});
  ASSERT_EQ(PostSigned(http, port, ev.dump(), kSecret, NowMillis())->status, 200);
  ASSERT_TRUE(server.WaitIdle(std::chrono::seconds(5)));
  server.Stop();
  const auto outcome = server.Store().Outcome(77);
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->rfind("no model", 0), 0u) << *outcome;
  // A stage change without a stored forecast model: flagged only.
  const auto deal_outcome = server.Store().Outcome(78);
  ASSERT_TRUE(deal_outcome.has_value());
  EXPECT_EQ(deal_outcome->rfind("no model", 0), 0u) << *deal_outcome;
  EXPECT_NE(deal_outcome->find("flagged"), std::string::npos) << *deal_outcome;
  EXPECT_EQ(server.Stats().deals_predicted, 0);
  EXPECT_EQ(wh.Query("SELECT dealstage FROM " + Warehouse::QualifiedName("revlens", "deal_forecast_flags") +
                     " WHERE deal_id = 9")
                .Scalar<std::string>(),
            "contractsent");
  EXPECT_FALSE(wh.TableExists("revlens", "deal_predictions"));
}

INSTANTIATE_TEST_SUITE_P(Engines, ServeTest, ::testing::Values("duckdb", "postgres"), EngineName);

}  // namespace
}  // namespace revlens::serve
