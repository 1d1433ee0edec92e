// The rules read the tables the products really write: a small synced portal, `revlens compete` and
// `revlens forecast` run on it, then `revlens alert` against a local receiver. Counts are checked against SQL over
// the same result tables.
#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <mutex>
#include <thread>

#include "deliver/alerts.hpp"
#include "deliver/slack.hpp"
#include "insights/compete.hpp"
#include "insights/forecast.hpp"
#include "portal_fixture.hpp"

namespace revlens::deliver {
namespace {

using nlohmann::json;

// One built portal per engine, with the products run on it, for the whole binary.
testing::BuiltPortal* Portal(const std::string& engine) {
  static std::map<std::string, std::unique_ptr<testing::BuiltPortal>> portals;
  static std::mutex mu;
  std::lock_guard lock(mu);
  auto it = portals.find(engine);
  if (it != portals.end()) return it->second.get();
  auto p = testing::BuiltPortal::Create(engine, testing::TestPortalOptions("small", 5));
  if (p) {
    insights::CompeteOptions c;
    c.schema = p->ModelSchema();
    c.computed_at_ms = 1782777600000;  // 2026-06-30
    insights::RunCompete(p->Wh(), c);
    insights::ForecastOptions f;
    f.schema = p->ModelSchema();
    f.draws = 500;
    insights::RunForecast(p->Wh(), f);
  }
  return (portals[engine] = std::move(p)).get();
}

class Sink {
 public:
  Sink() {
    server_.Post(R"(/services/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      bodies_.push_back(req.body);
      res.set_content("ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Sink() {
    server_.stop();
    thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/services/T1/B1/secret"; }
  std::vector<std::string> Bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<std::string> bodies_;
};

class AlertProductsTest : public ::testing::TestWithParam<std::string> {};

int Raised(const AlertSummary& s, const std::string& rule) {
  for (const auto& [r, n] : s.raised)
    if (r == rule) return n;
  return -1;
}

TEST_P(AlertProductsTest, RulesReadTheProductsTables) {
  testing::BuiltPortal* p = Portal(GetParam());
  if (!p) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set; skipping PostgreSQL";
  auto& wh = p->Wh();
  const std::string schema = p->ModelSchema();

  // Expected counts, from the result tables directly.
  int64_t pairs = 0;
  for (const auto& row : wh.Query("SELECT competitors FROM " + p->T("deal_competitors")).rows) {
    const std::string list = warehouse::AsString(row[0]);
    pairs += 1 + static_cast<int64_t>(std::count(list.begin(), list.end(), ';'));
  }
  const int64_t risky =
      wh.Query("SELECT COUNT(*) FROM " + p->T("deal_predictions") +
               " WHERE (CASE WHEN risk_slipped_close_date THEN 1 ELSE 0 END + CASE WHEN risk_stalled_in_stage THEN 1 "
               "ELSE 0 END + CASE WHEN risk_no_recent_activity THEN 1 ELSE 0 END + CASE WHEN risk_single_threaded "
               "THEN 1 ELSE 0 END) >= 2")
          .Scalar<int64_t>();
  ASSERT_GT(pairs + risky, 0) << "the small portal has competitors and risky deals to alert on";

  AlertOptions o;
  o.schema = schema;
  o.raw_schema = p->RawSchema();
  o.dry_run = true;
  const AlertSummary dry = RunAlerts(wh, o);
  EXPECT_EQ(Raised(dry, "competitor_on_deal"), pairs);
  EXPECT_EQ(Raised(dry, "deal_at_risk"), risky);
  EXPECT_EQ(Raised(dry, "data_stale"), 0) << "the portal was synced moments ago";
  const std::string text = dry.Text();
  for (const char* table : {"deal_competitors", "deal_predictions", ".forecast ", "sync_runs"})
    EXPECT_EQ(text.find(std::string(table) + " does not exist"), std::string::npos) << text;
  EXPECT_NE(text.find("lead_scores does not exist"), std::string::npos) << "scoring was not run here";
  for (const auto& m : dry.messages) EXPECT_TRUE(ValidateBlockKit(json::parse(m)).empty()) << m;

  Sink sink;
  o.dry_run = false;
  o.slack_webhook_urls = {sink.Url()};
  o.slack_interval = std::chrono::milliseconds(20);
  const AlertSummary sent = RunAlerts(wh, o);
  EXPECT_EQ(sent.slack_messages_failed, 0);
  EXPECT_EQ(sink.Bodies().size(), dry.messages.size());
  for (const auto& b : sink.Bodies()) EXPECT_TRUE(ValidateBlockKit(json::parse(b)).empty()) << b;
  EXPECT_EQ(wh.Query("SELECT COUNT(*) FROM " + p->T("alerts") + " WHERE status = 'sent'").Scalar<int64_t>(),
            sent.alerts_raised);
  const AlertSummary again = RunAlerts(wh, o);
  EXPECT_EQ(again.slack_messages_sent, 0);
  EXPECT_EQ(again.deduplicated, sent.alerts_raised);
  EXPECT_EQ(sink.Bodies().size(), dry.messages.size());
}

INSTANTIATE_TEST_SUITE_P(Engines, AlertProductsTest, ::testing::Values("duckdb", "postgres"),
                         [](const auto& info) { return info.param == "duckdb" ? "DuckDB" : "PostgreSQL"; });

}  // namespace
}  // namespace revlens::deliver
