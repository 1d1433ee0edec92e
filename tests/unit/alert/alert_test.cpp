// `revlens alert` against a local HTTP receiver (cpp-httplib) standing in for Slack and for an outbound webhook
// endpoint; the result tables are small hand-made ones, on DuckDB and PostgreSQL.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "deliver/alerts.hpp"
#include "deliver/outbound.hpp"
#include "deliver/slack.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::deliver {
namespace {

using nlohmann::json;
using warehouse::Column;
using warehouse::ColumnType;
using warehouse::Timestamp;
using warehouse::Value;
using Clock = std::chrono::steady_clock;

constexpr const char* kSlackSecretPath = "/services/T0001/B0002/SECRETxyz123";
constexpr const char* kWebhookSecret = "whsec-do-not-print-42";

struct Received {
  std::string path, body, timestamp, signature, event, delivery;
  Clock::time_point at;
};

// What the receiver answers to the n-th request (from 0): status and an optional Retry-After.
struct Reply {
  int status = 200;
  std::string retry_after;
};

class Receiver {
 public:
  explicit Receiver(std::function<Reply(size_t)> respond = [](size_t) { return Reply{}; })
      : respond_(std::move(respond)) {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      Received r{req.path,
                 req.body,
                 req.get_header_value("X-Revlens-Timestamp"),
                 req.get_header_value("X-Revlens-Signature"),
                 req.get_header_value("X-Revlens-Event"),
                 req.get_header_value("X-Revlens-Delivery"),
                 Clock::now()};
      size_t n = 0;
      {
        std::lock_guard lock(mu_);
        n = got_.size();
        got_.push_back(std::move(r));
      }
      const Reply reply = respond_(n);
      res.status = reply.status;
      if (!reply.retry_after.empty()) res.set_header("Retry-After", reply.retry_after);
      // Slack answers "ok" as text/plain; its errors are one word ("invalid_payload", "rate_limited").
      res.set_content(reply.status == 200 ? "ok" : reply.status == 429 ? "rate_limited" : "server_error", "text/plain");
    };
    server_.Post(R"(/services/.*)", handler);
    server_.Post("/hook", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::string SlackUrl() const { return "http://127.0.0.1:" + std::to_string(port_) + kSlackSecretPath; }
  std::string HookUrl() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook?token=abc"; }
  std::vector<Received> Got() {
    std::lock_guard lock(mu_);
    return got_;
  }

 private:
  std::function<Reply(size_t)> respond_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<Received> got_;
};

// A port nothing listens on: bound, then closed.
int DeadPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

enum class Engine { kDuckDb, kPostgres };

std::string EngineName(const ::testing::TestParamInfo<Engine>& info) {
  return info.param == Engine::kDuckDb ? "DuckDB" : "PostgreSQL";
}

constexpr int64_t kNowMs = 1'782'820'800'000;  // 2026-06-30 12:00:00 UTC

Timestamp HoursAgo(double h) {
  return Timestamp{(kNowMs - static_cast<int64_t>(h * 3600.0 * 1000.0)) * 1000};
}

class AlertTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    if (GetParam() == Engine::kDuckDb) {
      wh_ = warehouse::OpenWarehouse("duckdb://:memory:");
    } else {
      const char* url = std::getenv("REVLENS_TEST_POSTGRES_URL");
      if (!url || !*url) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set; skipping PostgreSQL";
      wh_ = warehouse::OpenWarehouse(url);
    }
    std::mt19937_64 rng(std::random_device{}());
    const std::string suffix = std::to_string(rng() % 1'000'000'000);
    schema_ = "alert_t_" + suffix;
    raw_ = "alert_raw_" + suffix;
    wh_->CreateSchema(schema_);
    wh_->CreateSchema(raw_);
  }
  void TearDown() override {
    if (!wh_) return;
    wh_->DropSchema(schema_);
    wh_->DropSchema(raw_);
  }

  void Load(const std::string& schema, const std::string& table, const std::vector<Column>& cols,
            const std::vector<std::vector<Value>>& rows) {
    wh_->CreateTable(schema, table, cols);
    wh_->BulkLoad(schema, table, cols, rows);
  }

  // Result tables as the products write them (the columns the rules read).
  void SeedProducts() {
    Load(schema_, "lead_scores",
         {{"run_id", ColumnType::kText},
          {"model_version", ColumnType::kText},
          {"contact_id", ColumnType::kBigInt},
          {"likelihood", ColumnType::kDouble},
          {"tier", ColumnType::kText},
          {"fit", ColumnType::kDouble},
          {"engagement", ColumnType::kDouble},
          {"reasons", ColumnType::kText},
          {"ab_group", ColumnType::kText},
          {"usable", ColumnType::kBoolean},
          {"shadow", ColumnType::kBoolean}},
         {{"s1", "v2", int64_t{1}, 91.0, "A", 88.0, 95.0, "201–1,000 employees (+)\nOpened 12 emails (+)", "treatment",
           true, false},
          {"s1", "v2", int64_t{2}, 90.0, "A", 80.0, 80.0, "x", "holdout", true, false},  // A/B holdout: hidden
          {"s1", "v2", int64_t{3}, 40.0, "B", 50.0, 30.0, "y", "treatment", true, false},
          {"s1", "v2", int64_t{4}, 85.0, "A", 70.0, 90.0, "z", "treatment", true, true}});  // shadow: hidden
    Load(schema_, "contacts",
         {{"contact_id", ColumnType::kBigInt},
          {"firstname", ColumnType::kText},
          {"lastname", ColumnType::kText},
          {"email", ColumnType::kText}},
         {{int64_t{1}, "Ada", "Lovelace <script>", "ada@example.com"}});
    Load(schema_, "deal_competitors",
         {{"deal_id", ColumnType::kBigInt}, {"competitors", ColumnType::kText}, {"run_id", ColumnType::kText}},
         {{int64_t{10}, "Acme;Globex", "c1"}});
    Load(schema_, "competitor_mentions",
         {{"deal_id", ColumnType::kBigInt},
          {"competitor", ColumnType::kText},
          {"snippet", ColumnType::kText},
          {"mentioned_at", ColumnType::kTimestamp}},
         {{int64_t{10}, "Acme", "they are also talking to Acme & co", HoursAgo(5)}});
    Load(schema_, "deals",
         {{"deal_id", ColumnType::kBigInt}, {"deal_name", ColumnType::kText}, {"amount", ColumnType::kText}},
         {{int64_t{10}, "Big renewal", "120000"}, {int64_t{20}, "Stuck expansion", "50000"}});
    Load(schema_, "deal_predictions",
         {{"deal_id", ColumnType::kBigInt},
          {"amount", ColumnType::kDouble},
          {"p_win", ColumnType::kDouble},
          {"risk_flags", ColumnType::kText},
          {"close_date", ColumnType::kDate},
          {"deal_stage_label", ColumnType::kText}},
         {{int64_t{20}, 50000.0, 0.22, "slipped_close_date;no_recent_activity", warehouse::Date{20650}, "Negotiation"},
          {int64_t{21}, 9000.0, 0.5, "single_threaded", warehouse::Date{20650}, "Demo"},
          {int64_t{22}, 7000.0, 0.6, "", Value(), "Demo"}});
    SeedForecast("f1", 100000.0);
    Load(raw_, "sync_runs",
         {{"run_id", ColumnType::kText},
          {"started_at", ColumnType::kTimestamp},
          {"finished_at", ColumnType::kTimestamp},
          {"status", ColumnType::kText}},
         {{"r1", HoursAgo(31), HoursAgo(30), "ok"}, {"r2", HoursAgo(2), HoursAgo(1), "failed"}});
    const json v1 = {{"holdout", {{"likelihood", {{"auc_roc", 0.81}}}}}, {"drift", {{"score_psi", 0.05}}}};
    const json v2 = {{"holdout", {{"likelihood", {{"auc_roc", 0.72}}}}},
                     {"drift", {{"score_psi", 0.31}, {"feature_psi", {{"num_employees", 0.4}, {"country", 0.1}}}}}};
    Load(schema_, "model_runs",
         {{"run_id", ColumnType::kText},
          {"model_version", ColumnType::kText},
          {"ran_at", ColumnType::kTimestamp},
          {"status", ColumnType::kText},
          {"metrics", ColumnType::kJson}},
         {{"m1", "v1", HoursAgo(200), "trained", v1.dump()}, {"m2", "v2", HoursAgo(3), "trained", v2.dump()}});
  }

  void SeedForecast(const std::string& run, double p50) {
    if (wh_->TableExists(schema_, "forecast"))
      wh_->Execute("DROP TABLE " + warehouse::Warehouse::QualifiedName(schema_, "forecast"));
    Load(schema_, "forecast",
         {{"run_id", ColumnType::kText},
          {"period_type", ColumnType::kText},
          {"period", ColumnType::kText},
          {"period_start", ColumnType::kDate},
          {"slice_type", ColumnType::kText},
          {"p10", ColumnType::kDouble},
          {"p50", ColumnType::kDouble},
          {"p90", ColumnType::kDouble},
          {"computed_at", ColumnType::kTimestamp}},
         {{run, "quarter", "2026-Q3", warehouse::Date{20635}, "total", p50 * 0.8, p50, p50 * 1.2, HoursAgo(1)},
          {run, "quarter", "2026-Q3", warehouse::Date{20635}, "pipeline", 1.0, 2.0, 3.0, HoursAgo(1)}});
  }

  AlertOptions Options() const {
    AlertOptions o;
    o.schema = schema_;
    o.raw_schema = raw_;
    o.now_ms = kNowMs;
    o.slack_interval = std::chrono::milliseconds(20);
    o.base_backoff = std::chrono::milliseconds(20);
    o.max_backoff = std::chrono::milliseconds(3000);
    o.timeout = std::chrono::milliseconds(3000);
    return o;
  }

  int64_t Count(const std::string& where = "TRUE") {
    if (!wh_->TableExists(schema_, "alerts")) return 0;
    return wh_
        ->Query("SELECT COUNT(*) FROM " + warehouse::Warehouse::QualifiedName(schema_, "alerts") + " WHERE " + where)
        .Scalar<int64_t>();
  }

  std::string DumpAlerts() {
    std::string out;
    if (!wh_->TableExists(schema_, "alerts")) return out;
    for (const auto& row : wh_->Query("SELECT * FROM " + warehouse::Warehouse::QualifiedName(schema_, "alerts")).rows)
      for (const auto& v : row) out += warehouse::ToString(v) + "|";
    return out;
  }

  std::unique_ptr<warehouse::Warehouse> wh_;
  std::string schema_, raw_;
};

int Raised(const AlertSummary& s, const std::string& rule) {
  for (const auto& [r, n] : s.raised)
    if (r == rule) return n;
  return -1;
}

// tier_a_lead is news only while the contact is still a lead: not yet a customer, and created within the lead
// model's window (90 days by default) of the build's as-of date. Without lead_features every tier-A contact is raised,
// with a note saying why.
TEST_P(AlertTest, TierAIsRaisedOnlyForContactsStillLeads) {
  SeedProducts();
  // Two more visible tier-A contacts: 5 created 200 days before the as-of date, 6 already a customer.
  const std::vector<Column> score_cols = {
      {"run_id", ColumnType::kText},       {"model_version", ColumnType::kText}, {"contact_id", ColumnType::kBigInt},
      {"likelihood", ColumnType::kDouble}, {"tier", ColumnType::kText},          {"fit", ColumnType::kDouble},
      {"engagement", ColumnType::kDouble}, {"reasons", ColumnType::kText},       {"ab_group", ColumnType::kText},
      {"usable", ColumnType::kBoolean},    {"shadow", ColumnType::kBoolean}};
  wh_->BulkLoad(schema_, "lead_scores", score_cols,
                {{"s1", "v2", int64_t{5}, 95.0, "A", 90.0, 90.0, "old", "treatment", true, false},
                 {"s1", "v2", int64_t{6}, 93.0, "A", 90.0, 90.0, "customer", "treatment", true, false}});
  AlertOptions o = Options();
  o.dry_run = true;
  o.rules = {"tier_a_lead"};
  AlertSummary s = RunAlerts(*wh_, o);
  EXPECT_EQ(Raised(s, "tier_a_lead"), 3);  // no lead_features: 1, 5 and 6
  bool noted = false;
  for (const auto& n : s.notes) noted = noted || n.find("lead_features does not exist") != std::string::npos;
  EXPECT_TRUE(noted);

  const auto day = [](int64_t days) { return warehouse::Date{static_cast<int32_t>(days)}; };
  const auto at = [](int64_t days) { return Timestamp{days * 86400LL * 1000000LL}; };
  const int64_t as_of = 20634;  // 2026-06-30
  Load(schema_, "lead_features",
       {{"contact_id", ColumnType::kBigInt},
        {"created_at", ColumnType::kTimestamp},
        {"became_customer_at", ColumnType::kTimestamp},
        {"as_of_date", ColumnType::kDate}},
       {{int64_t{1}, at(as_of - 20), Value(), day(as_of)},
        {int64_t{2}, at(as_of - 20), Value(), day(as_of)},
        {int64_t{5}, at(as_of - 200), Value(), day(as_of)},
        {int64_t{6}, at(as_of - 30), at(as_of - 5), day(as_of)}});
  s = RunAlerts(*wh_, o);
  EXPECT_EQ(Raised(s, "tier_a_lead"), 1);  // contact 1: 5 is 200 days old, 6 is a customer
  ASSERT_EQ(s.messages.size(), 1u);
  EXPECT_NE(s.messages.front().find("Lovelace"), std::string::npos);  // contact 1's name
  o.thresholds.lead_max_age_days = 0;  // any age: the old contact too, never the customer
  s = RunAlerts(*wh_, o);
  EXPECT_EQ(Raised(s, "tier_a_lead"), 2);
  o.thresholds.lead_max_age_days = 365;
  EXPECT_EQ(Raised(RunAlerts(*wh_, o), "tier_a_lead"), 2);
  o.thresholds.lead_max_age_days = -1;
  EXPECT_THROW(RunAlerts(*wh_, o), ConfigError);
}

TEST_P(AlertTest, DryRunEvaluatesEveryRuleAndWritesNothing) {
  SeedProducts();
  AlertOptions o = Options();
  o.dry_run = true;
  const AlertSummary s = RunAlerts(*wh_, o);
  EXPECT_EQ(Raised(s, "tier_a_lead"), 1);         // contact 1 only: holdout and shadow scores stay hidden
  EXPECT_EQ(Raised(s, "competitor_on_deal"), 2);  // Acme and Globex on deal 10
  EXPECT_EQ(Raised(s, "deal_at_risk"), 1);        // deal 20 has 2 flags; 21 has one
  EXPECT_EQ(Raised(s, "forecast_moved"), 0);      // first forecast run seen: the baseline
  EXPECT_EQ(Raised(s, "data_stale"), 1);          // last *successful* sync 30 h ago
  EXPECT_EQ(Raised(s, "score_drift"), 1);
  EXPECT_EQ(Raised(s, "auc_drop"), 1);
  EXPECT_EQ(Raised(s, "daily_digest"), 1);
  ASSERT_EQ(s.messages.size(), 7u);  // one Slack message per rule with alerts
  for (const auto& m : s.messages) {
    const json payload = json::parse(m);
    EXPECT_TRUE(ValidateBlockKit(payload).empty()) << m;
  }
  // HubSpot text is escaped: no raw '<' can form a Slack link or mention.
  bool saw_name = false;
  for (const auto& m : s.messages) {
    if (m.find("Ada Lovelace") != std::string::npos) {
      saw_name = true;
      EXPECT_NE(m.find("&lt;script&gt;"), std::string::npos);
      EXPECT_EQ(m.find("<script>"), std::string::npos);
    }
  }
  EXPECT_TRUE(saw_name);
  EXPECT_FALSE(wh_->TableExists(schema_, "alerts"));
  EXPECT_FALSE(wh_->TableExists(schema_, "alert_forecast_history"));
}

TEST_P(AlertTest, MissingSourceTablesAreSkippedWithANoteNeverFaked) {
  AlertOptions o = Options();
  o.dry_run = true;
  const AlertSummary s = RunAlerts(*wh_, o);
  EXPECT_EQ(s.alerts_raised, 1);  // the digest only
  const std::string text = s.Text();
  for (const char* table :
       {"lead_scores", "deal_competitors", "deal_predictions", "forecast", "sync_runs", "model_runs"}) {
    EXPECT_NE(text.find(std::string(table) + " does not exist"), std::string::npos) << table << "\n" << text;
  }
}

TEST_P(AlertTest, SlackGetsValidBlockKitOnceThenDedupes) {
  SeedProducts();
  Receiver slack;
  AlertOptions o = Options();
  o.slack_webhook_urls = {slack.SlackUrl()};
  o.slack_interval = std::chrono::milliseconds(150);
  const AlertSummary first = RunAlerts(*wh_, o);
  const auto got = slack.Got();
  ASSERT_EQ(got.size(), 7u) << first.Text();
  EXPECT_EQ(first.slack_messages_sent, 7);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].path, kSlackSecretPath);
    const json payload = json::parse(got[i].body);
    EXPECT_TRUE(ValidateBlockKit(payload).empty()) << got[i].body;
    ASSERT_TRUE(payload.contains("text"));
    EXPECT_EQ(payload["blocks"][0]["type"], "header");
  }
  // Paced: about one message per interval to one webhook. Judged on the whole span at the receiver: a single gap
  // between arrivals can shrink when one request reaches the receiver late on a loaded machine (the suite once
  // failed that way under ctest -j2), the span by at most that delay; without pacing it would be near zero.
  EXPECT_GE(got.back().at - got.front().at, std::chrono::milliseconds(150 * 6 - 100));
  const int64_t raised = first.alerts_raised;
  EXPECT_EQ(Count(), raised);
  EXPECT_EQ(Count("status = 'sent' AND channel = 'slack' AND attempts = 1"), raised);
  EXPECT_EQ(Count("alert_key = 'tier_a_lead:1' AND rule = 'tier_a_lead' AND entity = '1'"), 1);

  const AlertSummary second = RunAlerts(*wh_, o);
  EXPECT_EQ(slack.Got().size(), 7u) << "a second run within the window sends nothing";
  EXPECT_EQ(second.deduplicated, raised);
  EXPECT_EQ(second.slack_messages_sent, 0);
  EXPECT_EQ(Count(), raised);

  // A week later: a deal still at risk is reported again; a lead already announced in tier A is not new.
  o.now_ms = kNowMs + 8 * 24 * 3600 * 1000LL;
  o.rules = {"tier_a_lead", "deal_at_risk"};
  const AlertSummary later = RunAlerts(*wh_, o);
  EXPECT_EQ(later.slack_messages_sent, 1);
  EXPECT_EQ(later.deduplicated, 1);
  EXPECT_EQ(Count("alert_key = 'deal_at_risk:20'"), 2);
  EXPECT_EQ(Count("alert_key = 'tier_a_lead:1'"), 1);
}

TEST_P(AlertTest, RateLimitedWithRetryAfterThenDelivered) {
  SeedProducts();
  Receiver slack([](size_t n) { return n == 0 ? Reply{429, "1"} : Reply{}; });
  AlertOptions o = Options();
  o.slack_webhook_urls = {slack.SlackUrl()};
  o.rules = {"data_stale"};
  const AlertSummary s = RunAlerts(*wh_, o);
  const auto got = slack.Got();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_GE(got[1].at - got[0].at, std::chrono::milliseconds(950)) << "Retry-After: 1 was honoured";
  EXPECT_EQ(got[0].body, got[1].body);
  EXPECT_EQ(s.slack_messages_sent, 1);
  EXPECT_EQ(Count("status = 'sent' AND attempts = 2"), 1);
}

TEST_P(AlertTest, ServerErrorsAreRetried) {
  SeedProducts();
  Receiver slack([](size_t n) { return n < 2 ? Reply{500, ""} : Reply{}; });
  AlertOptions o = Options();
  o.slack_webhook_urls = {slack.SlackUrl()};
  o.rules = {"deal_at_risk"};
  const AlertSummary s = RunAlerts(*wh_, o);
  EXPECT_EQ(slack.Got().size(), 3u);
  EXPECT_EQ(s.slack_messages_sent, 1);
  EXPECT_EQ(Count("status = 'sent' AND attempts = 3 AND http_status = 200"), 1);
}

TEST_P(AlertTest, DeadReceiverIsRecordedAsFailedAndNothingIsLost) {
  SeedProducts();
  AlertOptions o = Options();
  const std::string dead = "http://127.0.0.1:" + std::to_string(DeadPort()) + kSlackSecretPath;
  o.slack_webhook_urls = {dead};
  o.max_retries = 1;
  o.max_consecutive_failures = 2;
  const AlertSummary failed = RunAlerts(*wh_, o);
  EXPECT_EQ(failed.slack_messages_sent, 0);
  EXPECT_EQ(failed.slack_messages_failed, 7);
  EXPECT_EQ(Count("status = 'failed'"), failed.alerts_raised);
  EXPECT_EQ(Count("status = 'failed' AND attempts = 0"), Count("status = 'failed'") - Count("attempts = 2"))
      << "after two dead deliveries the rest is recorded without being attempted";
  EXPECT_GT(Count("attempts = 0"), 0);
  // The same destination comes back: everything goes out, nothing was lost.
  Receiver slack;
  o.slack_webhook_urls = {slack.SlackUrl()};
  const AlertSummary retry = RunAlerts(*wh_, o);
  EXPECT_EQ(retry.slack_messages_sent, 7);
  EXPECT_EQ(retry.deduplicated, 0);
  EXPECT_EQ(Count("status = 'sent'"), failed.alerts_raised);
}

TEST_P(AlertTest, OutboundWebhooksAreSignedPerAlert) {
  SeedProducts();
  Receiver hook([](size_t n) { return n == 0 ? Reply{503, ""} : Reply{}; });
  AlertOptions o = Options();
  o.webhooks = {{hook.HookUrl(), kWebhookSecret}};
  const AlertSummary s = RunAlerts(*wh_, o);
  const auto got = hook.Got();
  ASSERT_EQ(static_cast<int64_t>(got.size()), s.alerts_raised + 1) << "one POST per alert, plus the 503's retry";
  EXPECT_EQ(s.webhooks_sent, s.alerts_raised);
  const int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::set<std::string> ids;
  for (const auto& r : got) {
    EXPECT_TRUE(VerifyOutboundSignature(kWebhookSecret, r.timestamp, r.body, r.signature, now_s)) << r.body;
    EXPECT_FALSE(VerifyOutboundSignature(kWebhookSecret, r.timestamp, r.body + " ", r.signature, now_s));
    EXPECT_FALSE(VerifyOutboundSignature("other-secret", r.timestamp, r.body, r.signature, now_s));
    EXPECT_FALSE(VerifyOutboundSignature(kWebhookSecret, r.timestamp, r.body, r.signature, now_s + 3600))
        << "an old signature is refused (replay)";
    const json body = json::parse(r.body);
    EXPECT_EQ(body["type"], "revlens.alert");
    EXPECT_EQ(body["rule"], r.event);
    EXPECT_EQ(r.delivery, body["run_id"].get<std::string>() + "/" + body["id"].get<std::string>());
    ids.insert(body["id"].get<std::string>());
  }
  EXPECT_EQ(static_cast<int64_t>(ids.size()), s.alerts_raised);
  EXPECT_TRUE(ids.count("deal_at_risk:20"));
  EXPECT_EQ(Count("channel = 'webhook' AND status = 'sent'"), s.alerts_raised);
  // The signature scheme is the documented one: hex HMAC-SHA256 of "<timestamp>.<body>".
  EXPECT_EQ(SignOutbound("key", 1700000000, "{}"), SignOutbound("key", 1700000000, "{}"));
  EXPECT_EQ(SignOutbound("key", 1700000000, "{}").rfind("sha256=", 0), 0u);
  EXPECT_EQ(SignOutbound("key", 1700000000, "{}").size(), 7u + 64u);
}

TEST_P(AlertTest, NoSecretInAnyOutputOrTable) {
  SeedProducts();
  std::string all;
  {
    Receiver slack([](size_t) { return Reply{400, ""}; });  // refused: the error path prints too
    AlertOptions o = Options();
    o.slack_webhook_urls = {slack.SlackUrl(),
                            "http://127.0.0.1:" + std::to_string(DeadPort()) + "/services/T9/B9/SECRETxyz123"};
    o.webhooks = {{"http://127.0.0.1:" + std::to_string(DeadPort()) + "/hook?token=SECRETxyz123", kWebhookSecret}};
    o.max_retries = 1;
    const AlertSummary s = RunAlerts(*wh_, o);
    EXPECT_GT(s.slack_messages_failed, 0);
    all += s.Text() + s.ToJson().dump();
    for (const auto& d : s.deliveries) all += d.destination + d.error;
  }
  {
    Receiver slack;
    AlertOptions o = Options();
    o.slack_webhook_urls = {slack.SlackUrl()};
    o.webhooks = {{slack.HookUrl(), kWebhookSecret}};
    o.dedupe_hours = 0;
    const AlertSummary s = RunAlerts(*wh_, o);
    all += s.Text() + s.ToJson().dump();
    o.dry_run = true;
    const AlertSummary d = RunAlerts(*wh_, o);
    all += d.Text() + d.ToJson().dump();
    for (const auto& m : d.messages) all += m;
  }
  all += DumpAlerts();
  EXPECT_NE(all.find("127.0.0.1"), std::string::npos) << "destinations are named (host only)";
  EXPECT_EQ(all.find("SECRETxyz123"), std::string::npos);
  EXPECT_EQ(all.find("T0001/B0002"), std::string::npos);
  EXPECT_EQ(all.find("token=abc"), std::string::npos);
  EXPECT_EQ(all.find(kWebhookSecret), std::string::npos);
}

TEST_P(AlertTest, ForecastMoveIsMeasuredAgainstThePreviousRun) {
  SeedProducts();
  Receiver slack;
  AlertOptions o = Options();
  o.slack_webhook_urls = {slack.SlackUrl()};
  o.rules = {"forecast_moved"};
  const AlertSummary first = RunAlerts(*wh_, o);
  EXPECT_EQ(first.alerts_raised, 0);
  EXPECT_NE(first.Text().find("baseline"), std::string::npos);
  SeedForecast("f2", 105000.0);  // +5%: under the 10% threshold
  EXPECT_EQ(RunAlerts(*wh_, o).alerts_raised, 0);
  SeedForecast("f3", 80000.0);  // -23.8% against f2
  const AlertSummary moved = RunAlerts(*wh_, o);
  ASSERT_EQ(moved.alerts_raised, 1);
  const json body = json::parse(slack.Got().back().body);
  const std::string text = body.dump();
  EXPECT_NE(text.find("2026-Q3"), std::string::npos);
  EXPECT_NE(text.find("down"), std::string::npos);
  EXPECT_EQ(RunAlerts(*wh_, o).alerts_raised, 1) << "the same run still differs from f2";
  EXPECT_EQ(slack.Got().size(), 1u) << "and is not sent twice";
}

INSTANTIATE_TEST_SUITE_P(Engines, AlertTest, ::testing::Values(Engine::kDuckDb, Engine::kPostgres), EngineName);

// ------------------------------------------------------------------------------------------------ pure parts

TEST(SlackBlocks, TruncateKeepsUtf8AndLimits) {
  const std::string s = "é€😀abc";
  for (size_t n = 0; n < 12; ++n) {
    const std::string t = Truncate(s, n);
    EXPECT_LE(t.size(), n);
    // Valid UTF-8: no sequence cut in half (every lead byte has its continuation bytes).
    for (size_t i = 0; i < t.size();) {
      const auto c = static_cast<unsigned char>(t[i]);
      const size_t len = c < 0x80 ? 1 : c >> 5 == 6 ? 2 : c >> 4 == 14 ? 3 : 4;
      ASSERT_LE(i + len, t.size()) << n;
      i += len;
    }
  }
  EXPECT_EQ(Truncate("short", 10), "short");
  EXPECT_EQ(EscapeMrkdwn("<!channel> & <http://x|y>"), "&lt;!channel&gt; &amp; &lt;http://x|y&gt;");
}

TEST(SlackBlocks, ManyAlertsStayWithinSlackLimits) {
  std::vector<Alert> alerts(120);
  std::vector<const Alert*> ptrs;
  for (size_t i = 0; i < alerts.size(); ++i) {
    alerts[i].title = std::string(400, 'T');
    alerts[i].text = std::string(5000, 'x');
    alerts[i].fields = std::vector<std::string>(12, std::string(2500, 'f'));
    ptrs.push_back(&alerts[i]);
  }
  const json m = BuildRuleMessage(std::string(300, 'H'), ptrs, 100, "tier_a_lead", "run");
  EXPECT_TRUE(ValidateBlockKit(m).empty()) << m.dump().substr(0, 500);
  EXPECT_LE(m["blocks"].size(), kSlackMaxBlocks);
  EXPECT_NE(m.dump().find("more"), std::string::npos);
  // The validator does catch what Slack refuses.
  json bad = m;
  bad["blocks"][0]["text"]["text"] = std::string(151, 'h');
  EXPECT_FALSE(ValidateBlockKit(bad).empty());
  bad = m;
  bad["blocks"][1]["text"]["type"] = "markdown_x";
  EXPECT_FALSE(ValidateBlockKit(bad).empty());
  EXPECT_FALSE(ValidateBlockKit(json{{"text", "no blocks"}}).empty());
}

TEST(SlackBlocks, RedactedUrlsHideThePathButStayDistinct) {
  const std::string a = RedactUrl("https://hooks.slack.com/services/T1/B1/aaaa");
  const std::string b = RedactUrl("https://hooks.slack.com/services/T1/B2/bbbb");
  EXPECT_EQ(a.rfind("https://hooks.slack.com/***#", 0), 0u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find("T1"), std::string::npos);
  EXPECT_EQ(RedactUrl("https://u:pw@h.example/x").find("pw"), std::string::npos);
}

TEST(AlertRules, UnknownRuleIsRefused) {
  auto wh = warehouse::OpenWarehouse("duckdb://:memory:");
  AlertOptions o;
  o.rules = {"tier_b_lead"};
  EXPECT_THROW(RunAlerts(*wh, o), InvalidInputError);
}

}  // namespace
}  // namespace revlens::deliver
