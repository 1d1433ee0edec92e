// revlens push against the emulator (served in this process), with the result tables and the push state in
// DuckDB and PostgreSQL: the same test bodies for both engines. What HubSpot holds afterwards is read from the
// emulator's portal; what was sent, from its batch-update counters.
#include "deliver/push.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>

#include "core/time_util.hpp"
#include "emulator/faults.hpp"
#include "emulator/server.hpp"
#include "emulator/store.hpp"
#include "hubspot/client.hpp"

namespace revlens::deliver {
namespace {

namespace fs = std::filesystem;
using emulator::ObjectType;
using warehouse::Column;
using warehouse::ColumnType;
using warehouse::Value;
using warehouse::Warehouse;

std::string UniqueSuffix() {
  static std::atomic<int> counter{0};
  const auto ns = std::chrono::steady_clock::now().time_since_epoch().count();
  return std::to_string(::getpid()) + "_" + std::to_string(ns % 1000000007) + "_" + std::to_string(counter++);
}

enum class Engine { kDuckDb, kPostgres };

std::string EngineName(const ::testing::TestParamInfo<Engine>& info) {
  return info.param == Engine::kDuckDb ? "DuckDb" : "Postgres";
}

constexpr int64_t kContacts = 300;
constexpr int64_t kCompanies = 40;
constexpr int64_t kDay = 86'400'000'000LL;
const int64_t kScoredAt = 1782777600LL * 1'000'000;  // 2026-06-30T00:00:00Z

// One synthetic lead score.
struct Score {
  int64_t contact_id = 0;
  double likelihood = 0;
  std::string tier;
  bool usable = true;
  bool holdout = false;
  int64_t scored_at = kScoredAt;
  std::string run_id = "run1";
};

std::string TierOf(double likelihood) {
  return likelihood >= 75 ? "A" : likelihood >= 50 ? "B" : likelihood >= 25 ? "C" : "D";
}

std::vector<Score> Scores() {
  std::vector<Score> out;
  for (int64_t id = 1; id <= kContacts; ++id) {
    Score s;
    s.contact_id = id;
    s.likelihood = static_cast<double>((id * 37) % 100) + 0.25;
    s.tier = TierOf(s.likelihood);
    s.holdout = id % 10 == 0;  // a tenth in the A/B holdout
    out.push_back(s);
  }
  return out;
}

// The score as pushed: one decimal, no trailing zero.
std::string Formatted(double likelihood) {
  const int64_t tenths = std::llround(likelihood * 10);
  return std::to_string(tenths / 10) + (tenths % 10 != 0 ? "." + std::to_string(tenths % 10) : "");
}

class PushTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    if (GetParam() == Engine::kDuckDb) {
      file_ = fs::temp_directory_path() / ("revlens_push_" + UniqueSuffix() + ".duckdb");
      wh_ = warehouse::OpenWarehouse("duckdb://" + file_.string());
    } else {
      const char* url = std::getenv("REVLENS_TEST_POSTGRES_URL");
      if (!url || !*url) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set; skipping PostgreSQL";
      wh_ = warehouse::OpenWarehouse(url);
    }
    schema_ = "push_" + UniqueSuffix();
    wh_->CreateSchema(schema_);
  }
  void TearDown() override {
    client_.reset();  // close its keep-alive connections first, so the server stops at once
    if (server_) server_->Stop();
    if (wh_) wh_->DropSchema(schema_);
    wh_.reset();
    if (!file_.empty()) {
      fs::remove(file_);
      fs::remove(file_.string() + ".wal");
    }
  }

  // An empty portal with kContacts contacts, kCompanies companies and a few deals, served with `faults`.
  void Serve(const std::string& faults = "") {
    auto portal = std::make_unique<emulator::Portal>();
    const int64_t now = NowMillis();
    emulator::InstallDefaultSchema(*portal, now);
    // The emulator's default schema carries a `revlens` group; a real portal starts without it.
    for (auto t : emulator::kAllObjectTypes) {
      std::erase_if(portal->Groups(t), [](const emulator::PropertyGroup& g) { return g.name == "revlens"; });
    }
    for (int64_t i = 1; i <= kContacts; ++i) {
      portal->Table(ObjectType::kContacts)
          .Create({{"email", "c" + std::to_string(i) + "@example.com"},
                   {"firstname", "C" + std::to_string(i)},
                   {"lifecyclestage", "lead"}},
                  now);
    }
    for (int64_t i = 1; i <= kCompanies; ++i) {
      portal->Table(ObjectType::kCompanies).Create({{"name", "Company " + std::to_string(i)}}, now);
    }
    for (int64_t i = 1; i <= 5; ++i) {
      portal->Table(ObjectType::kDeals).Create({{"dealname", "Deal " + std::to_string(i)}}, now);
    }
    emulator::ServeOptions so;
    so.faults = faults;
    server_ = std::make_unique<emulator::EmulatorServer>(std::move(portal), so);
    server_->Start();
    hubspot::ClientOptions co;
    co.base_url = server_->BaseUrl();
    co.access_token = so.token;
    co.initial_per_ten_seconds = 0;
    co.base_backoff = std::chrono::milliseconds(5);
    co.max_backoff = std::chrono::milliseconds(50);
    co.max_retries = 12;
    co.jitter_seed = 7;
    client_ = std::make_unique<hubspot::Client>(co);
  }

  // (Re)write revlens.lead_scores with `scores` (appended when `append`).
  void WriteScores(const std::vector<Score>& scores, bool append = false) {
    const std::vector<Column> cols = {{"run_id", ColumnType::kText},       {"model_version", ColumnType::kText},
                                      {"contact_id", ColumnType::kBigInt}, {"scored_at", ColumnType::kTimestamp},
                                      {"likelihood", ColumnType::kDouble}, {"tier", ColumnType::kText},
                                      {"fit", ColumnType::kDouble},        {"engagement", ColumnType::kDouble},
                                      {"reasons", ColumnType::kText},      {"ab_group", ColumnType::kText},
                                      {"usable", ColumnType::kBoolean}};
    if (!append) wh_->Execute("DROP TABLE IF EXISTS " + T("lead_scores"));
    wh_->CreateTable(schema_, "lead_scores", cols);
    std::vector<std::vector<Value>> rows;
    for (const auto& s : scores) {
      rows.push_back({s.run_id, std::string("v1"), s.contact_id, warehouse::Timestamp{s.scored_at}, s.likelihood,
                      s.tier, s.likelihood / 2, 10.0 + static_cast<double>(s.contact_id % 7),
                      std::string(R"j(["200-1,000 employees (+)","3 pricing-page visits this week (+)"])j"),
                      std::string(s.holdout ? "holdout" : "treatment"), s.usable});
    }
    wh_->BulkLoad(schema_, "lead_scores", cols, rows);
  }

  void WriteIcp() {
    const std::vector<Column> cols = {{"run_id", ColumnType::kText},
                                      {"company_id", ColumnType::kBigInt},
                                      {"icp_fit", ColumnType::kDouble},
                                      {"top_segment", ColumnType::kText},
                                      {"scored_at", ColumnType::kTimestamp}};
    wh_->CreateTable(schema_, "company_icp_fit", cols);
    std::vector<std::vector<Value>> rows;
    for (int64_t id = 1; id <= kCompanies; ++id) {
      rows.push_back({std::string("icp1"), id, static_cast<double>(id * 2), std::string("Software x 200-1,000"),
                      warehouse::Timestamp{kScoredAt}});
    }
    wh_->BulkLoad(schema_, "company_icp_fit", cols, rows);
  }

  PushOptions Options() const {
    PushOptions o;
    o.schema = schema_;
    o.round_backoff = std::chrono::milliseconds(10);
    return o;
  }
  PushSummary Push(PushOptions o) { return RunPush(*wh_, client_.get(), o); }
  PushSummary Push() { return Push(Options()); }

  static const TargetSummary& Target(const PushSummary& s, const std::string& name) {
    for (const auto& t : s.targets) {
      if (t.name == name) return t;
    }
    throw std::runtime_error("no target " + name);
  }

  // A property's value in the emulator's portal (nullopt when unset).
  std::optional<std::string> Value_(ObjectType type, int64_t id, const std::string& prop) {
    const auto& portal = server_->GetPortal();
    std::shared_lock lock(portal.mutex);
    const auto& table = portal.Table(type);
    const auto idx = table.Props().Find(prop);
    const auto* r = table.Find(id);
    if (!idx || r == nullptr) return std::nullopt;
    const auto v = r->Get(*idx);
    return v ? std::optional<std::string>(*v) : std::nullopt;
  }

  // Every property that is not a revlens one (nor a modification stamp), per record: what revlens must not touch.
  std::map<int64_t, std::map<std::string, std::string>> Others(ObjectType type) {
    std::map<int64_t, std::map<std::string, std::string>> out;
    const auto& portal = server_->GetPortal();
    std::shared_lock lock(portal.mutex);
    const auto& table = portal.Table(type);
    for (const auto& r : table.Records()) {
      for (const auto& [p, v] : r.props) {
        const std::string& name = table.Props().Def(p).name;
        if (name.starts_with("revlens_") || name == "lastmodifieddate" || name == "hs_lastmodifieddate") continue;
        out[r.id][name] = v;
      }
    }
    return out;
  }

  void Archive(ObjectType type, int64_t id) {
    auto& portal = server_->GetPortal();
    std::unique_lock lock(portal.mutex);
    auto* r = portal.Table(type).Find(id);
    ASSERT_NE(r, nullptr);
    r->archived = true;
    r->archived_ms = NowMillis();
  }

  int64_t Count(const std::string& sql) { return wh_->Query(sql).Scalar<int64_t>(); }
  std::string T(const std::string& table) const { return Warehouse::QualifiedName(schema_, table); }

  std::unique_ptr<Warehouse> wh_;
  fs::path file_;
  std::string schema_;
  std::unique_ptr<emulator::EmulatorServer> server_;
  std::unique_ptr<hubspot::Client> client_;
};

TEST_P(PushTest, FirstPushCreatesPropertiesAndWritesOnlyItsOwnGroup) {
  Serve();
  WriteScores(Scores());
  WriteIcp();
  const auto contacts_before = Others(ObjectType::kContacts);
  const auto companies_before = Others(ObjectType::kCompanies);

  const PushSummary s = Push();
  const auto& leads = Target(s, "lead_scores");
  EXPECT_EQ(leads.rows, kContacts);
  EXPECT_EQ(leads.changed, kContacts);
  EXPECT_EQ(leads.written, kContacts);
  EXPECT_EQ(leads.holdout, kContacts / 10);
  EXPECT_EQ(leads.hidden, kContacts / 10);
  EXPECT_EQ(leads.update_requests, (kContacts + 99) / 100);
  EXPECT_EQ(Target(s, "company_icp_fit").written, kCompanies);
  EXPECT_TRUE(s.Complete());
  EXPECT_EQ(s.rate_limited, 0);
  // Set-up on a fresh portal: read group (404), create it, batch read, batch create, per type.
  EXPECT_EQ(s.setup_requests, 8);
  ASSERT_EQ(s.setup.size(), 2u);
  EXPECT_TRUE(s.setup[0].group_created);
  EXPECT_EQ(s.setup[1].created.size(), 14u);  // contacts: 7 visible + 7 shadow
  EXPECT_EQ(s.requests, s.setup_requests + s.update_requests);
  EXPECT_EQ(s.update_requests, (kContacts + 99) / 100 + (kCompanies + 99) / 100);

  {
    const auto& portal = server_->GetPortal();
    std::shared_lock lock(portal.mutex);
    for (ObjectType type : {ObjectType::kContacts, ObjectType::kCompanies}) {
      const auto& groups = portal.Groups(type);
      EXPECT_TRUE(std::any_of(groups.begin(), groups.end(), [](const auto& g) { return g.name == "revlens"; }));
    }
    const auto& props = portal.Table(ObjectType::kContacts).Props();
    for (const char* name : {"revlens_score", "revlens_tier", "revlens_reasons", "revlens_shadow_score"}) {
      const auto idx = props.Find(name);
      ASSERT_TRUE(idx) << name;
      EXPECT_EQ(props.Def(*idx).group_name, "revlens") << name;
      EXPECT_EQ(props.Def(*idx).hidden, std::string(name).starts_with("revlens_shadow_")) << name;
    }
  }
  const auto scores = Scores();
  for (const auto& sc : scores) {
    if (sc.holdout) {
      EXPECT_FALSE(Value_(ObjectType::kContacts, sc.contact_id, "revlens_score")) << sc.contact_id;
      EXPECT_EQ(Value_(ObjectType::kContacts, sc.contact_id, "revlens_shadow_score"), Formatted(sc.likelihood));
    } else {
      EXPECT_EQ(Value_(ObjectType::kContacts, sc.contact_id, "revlens_score"), Formatted(sc.likelihood));
      EXPECT_EQ(Value_(ObjectType::kContacts, sc.contact_id, "revlens_tier"), sc.tier);
      EXPECT_FALSE(Value_(ObjectType::kContacts, sc.contact_id, "revlens_shadow_score"));
    }
  }
  EXPECT_EQ(Value_(ObjectType::kContacts, 1, "revlens_reasons"),
            "200-1,000 employees (+)\n3 pricing-page visits this week (+)");
  EXPECT_EQ(Value_(ObjectType::kContacts, 1, "revlens_scored_at"), "2026-06-30T00:00:00.000Z");
  EXPECT_EQ(Value_(ObjectType::kCompanies, 3, "revlens_icp_fit"), "6");
  // Nothing outside the group changed.
  EXPECT_EQ(Others(ObjectType::kContacts), contacts_before);
  EXPECT_EQ(Others(ObjectType::kCompanies), companies_before);
  // push_state holds exactly what was sent.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("push_state")), leads.values + Target(s, "company_icp_fit").values);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("push_quarantine")), 0);

  // Idempotent: the second push finds nothing to send and makes no request at all.
  const auto before = server_->BatchUpdates(ObjectType::kContacts);
  const PushSummary again = Push();
  EXPECT_EQ(Target(again, "lead_scores").changed, 0);
  EXPECT_EQ(Target(again, "lead_scores").unchanged, kContacts);
  EXPECT_EQ(again.update_requests, 0);
  EXPECT_EQ(again.requests, 0);
  EXPECT_EQ(server_->BatchUpdates(ObjectType::kContacts).inputs, before.inputs);
}

TEST_P(PushTest, OnlyChangedValuesAreSent) {
  Serve();
  auto scores = Scores();
  WriteScores(scores);
  Push();
  const auto before = server_->BatchUpdates(ObjectType::kContacts);
  // A new scoring run a day later (appended): every contact re-scored, one in ten with a different score.
  int64_t changed = 0;
  for (auto& sc : scores) {
    sc.scored_at += kDay;
    sc.run_id = "run2";
    if (sc.contact_id % 10 == 3) {
      sc.likelihood = std::fmod(sc.likelihood + 7.0, 100.0);
      sc.tier = TierOf(sc.likelihood);
      ++changed;
    }
  }
  WriteScores(scores, /*append=*/true);
  const PushSummary s = Push();
  const auto& leads = Target(s, "lead_scores");
  EXPECT_EQ(leads.changed, changed);
  EXPECT_EQ(leads.written, changed);
  EXPECT_EQ(s.update_requests, (changed + 99) / 100);
  const auto after = server_->BatchUpdates(ObjectType::kContacts);
  EXPECT_EQ(after.requests - before.requests, s.update_requests);
  EXPECT_EQ(after.inputs - before.inputs, changed);
  EXPECT_EQ(after.values - before.values, leads.values) << "only the changed values go out";
  // Score, fit (half the score here) and the companion timestamp per changed record, plus the tier where it moved.
  EXPECT_GE(leads.values, 3 * changed);
  EXPECT_LE(leads.values, 4 * changed);
  for (const auto& sc : scores) {
    if (sc.holdout) continue;
    EXPECT_EQ(Value_(ObjectType::kContacts, sc.contact_id, "revlens_score"), Formatted(sc.likelihood));
    EXPECT_EQ(Value_(ObjectType::kContacts, sc.contact_id, "revlens_scored_at"),
              sc.contact_id % 10 == 3 ? "2026-07-01T00:00:00.000Z" : "2026-06-30T00:00:00.000Z");
  }
}

TEST_P(PushTest, MovingIntoTheHoldoutClearsTheVisibleScore) {
  Serve();
  auto scores = Scores();
  WriteScores(scores);
  Push();
  ASSERT_EQ(Value_(ObjectType::kContacts, 1, "revlens_score"), Formatted(scores[0].likelihood));
  scores[0].holdout = true;
  WriteScores(scores);
  const PushSummary s = Push();
  EXPECT_EQ(Target(s, "lead_scores").changed, 1);
  EXPECT_FALSE(Value_(ObjectType::kContacts, 1, "revlens_score"));
  EXPECT_FALSE(Value_(ObjectType::kContacts, 1, "revlens_tier"));
  EXPECT_EQ(Value_(ObjectType::kContacts, 1, "revlens_shadow_score"), Formatted(scores[0].likelihood));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("push_state") +
                  " WHERE object_id = 1 AND property NOT LIKE 'revlens_shadow_%'"),
            0);
  EXPECT_EQ(Target(Push(), "lead_scores").changed, 0);
  // A full refresh sends everything again and leaves push_state the same size (rows replaced, not doubled).
  const int64_t rows = Count("SELECT COUNT(*) FROM " + T("push_state"));
  PushOptions full = Options();
  full.plan.full_refresh = true;
  const PushSummary f = Push(full);
  EXPECT_EQ(Target(f, "lead_scores").changed, kContacts);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("push_state")), rows);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM (SELECT object_id, property FROM " + T("push_state") +
                  " GROUP BY object_id, property HAVING COUNT(*) > 1) d"),
            0);
}

TEST_P(PushTest, PartialFailuresAndServerFaultsAreRetried) {
  Serve("5xx=0.1,429=0.05,reset=0.03,truncate=0.02,partial=0.2");
  WriteScores(Scores());
  WriteIcp();
  PushOptions o = Options();
  o.retry_rounds = 8;  // an input fails 9 times in a row with probability 0.2^9: never, in practice
  const PushSummary s = Push(o);
  EXPECT_TRUE(s.Complete()) << s.ToJson();
  EXPECT_EQ(Target(s, "lead_scores").written, kContacts);
  EXPECT_GT(Target(s, "lead_scores").retried_inputs, 0) << "207 partial failures should have been retried";
  EXPECT_GT(s.retries, 0) << "injected 5xx/429/resets should have been retried by the client";
  EXPECT_GT(server_->Faults().PartialCount(), 0u);
  for (const auto& sc : Scores()) {
    const std::string prop = sc.holdout ? "revlens_shadow_score" : "revlens_score";
    EXPECT_EQ(Value_(ObjectType::kContacts, sc.contact_id, prop), Formatted(sc.likelihood)) << sc.contact_id;
  }
  // push_state matches HubSpot exactly: without faults, nothing is left to send.
  server_->Faults().SetSpec("");
  const PushSummary again = Push();
  EXPECT_EQ(Target(again, "lead_scores").changed, 0);
  EXPECT_EQ(Target(again, "company_icp_fit").changed, 0);
}

TEST_P(PushTest, TransientFailuresAreQuarantinedThenRetriedNextPush) {
  Serve("partial=1");
  WriteScores(Scores());
  PushOptions o = Options();
  o.retry_rounds = 1;
  const PushSummary s = Push(o);
  const auto& leads = Target(s, "lead_scores");
  EXPECT_EQ(leads.written, 0);
  EXPECT_EQ(leads.quarantined_transient, kContacts);
  EXPECT_EQ(leads.retried_inputs, kContacts);
  EXPECT_FALSE(s.Complete());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("push_quarantine") + " WHERE kind = 'transient' AND attempts = 1"),
            kContacts);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("push_state")), 0) << "nothing HubSpot refused is recorded as pushed";
  server_->Faults().SetSpec("");
  const PushSummary again = Push(o);
  EXPECT_EQ(Target(again, "lead_scores").written, kContacts);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("push_quarantine")), 0);
  EXPECT_EQ(Value_(ObjectType::kContacts, 1, "revlens_score"), Formatted(Scores()[0].likelihood));
}

TEST_P(PushTest, PermanentFailuresAreQuarantinedNotRetriedForever) {
  Serve();
  auto scores = Scores();
  scores[4].tier = "E";  // contact 5: a tier HubSpot's options do not have
  WriteScores(scores);
  for (int64_t id : {7, 8, 9}) Archive(ObjectType::kContacts, id);
  const PushSummary s = Push();
  const auto& leads = Target(s, "lead_scores");
  EXPECT_EQ(leads.quarantined_not_found, 3);
  EXPECT_EQ(leads.quarantined_invalid, 1);
  EXPECT_EQ(leads.written, kContacts - 4);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("push_quarantine") + " WHERE kind = 'not_found'"), 3);
  const auto reason = wh_->Query("SELECT reason, properties FROM " + T("push_quarantine") + " WHERE object_id = 5");
  ASSERT_EQ(reason.RowCount(), 1u);
  EXPECT_NE(warehouse::AsString(reason.rows[0][0]).find("'E' is not one of revlens_tier's options"), std::string::npos);
  EXPECT_NE(warehouse::AsString(reason.rows[0][1]).find("\"revlens_tier\":\"E\""), std::string::npos);
  EXPECT_FALSE(Value_(ObjectType::kContacts, 5, "revlens_score"));

  // Next push: the quarantined records are not sent again, so it makes no request.
  const PushSummary again = Push();
  EXPECT_EQ(Target(again, "lead_scores").skipped_quarantined, 4);
  EXPECT_EQ(again.requests, 0);

  // HubSpot refusing a whole batch for one bad value (an option removed in HubSpot after set-up): the batch is
  // split until the bad records stand alone; the rest is written.
  {
    auto& portal = server_->GetPortal();
    std::unique_lock lock(portal.mutex);
    auto& props = portal.Table(ObjectType::kContacts).Props();
    auto& def = props.Def(*props.Find("revlens_tier"));
    std::erase_if(def.options, [](const auto& o) { return o.value == "D"; });
  }
  scores[4].tier = "A";  // contact 5 fixed: tried again
  int64_t to_d = 0;      // records whose tier moves to D: HubSpot refuses those now
  for (auto& sc : scores) {
    if (sc.contact_id >= 100 && sc.contact_id < 140 && !sc.holdout) {
      const std::string old_tier = sc.tier;
      sc.likelihood = sc.contact_id % 4 == 0 ? 10.0 : 90.0;
      sc.tier = TierOf(sc.likelihood);
      to_d += sc.tier == "D" && old_tier != "D";
    }
  }
  WriteScores(scores);
  const PushSummary third = Push();
  const auto& t3 = Target(third, "lead_scores");
  ASSERT_GT(to_d, 0);
  EXPECT_EQ(t3.quarantined_invalid, to_d);
  EXPECT_GT(t3.update_requests, 1) << "the refused batch should have been split";
  EXPECT_EQ(Value_(ObjectType::kContacts, 5, "revlens_tier"), "A");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("push_quarantine") + " WHERE object_id = 5"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("push_quarantine") +
                  " WHERE kind = 'invalid' AND http_status = 400 AND reason LIKE '%INVALID_OPTION%'"),
            to_d);
  EXPECT_EQ(Value_(ObjectType::kContacts, 101, "revlens_tier"), "A");
}

TEST_P(PushTest, RefusesAPropertyOfTheSameNameInAnotherGroup) {
  Serve();
  WriteScores(Scores());
  {
    auto& portal = server_->GetPortal();
    std::unique_lock lock(portal.mutex);
    emulator::PropertyDef d;
    d.name = "revlens_score";
    d.label = "Someone else's score";
    d.type = "number";
    d.field_type = "number";
    d.group_name = "contactinformation";
    d.hubspot_defined = false;
    portal.Table(ObjectType::kContacts).Props().Put(d);
  }
  try {
    Push();
    FAIL() << "pushed into a property outside the revlens group";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("group 'contactinformation'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(server_->BatchUpdates(ObjectType::kContacts).requests, 0);
}

TEST_P(PushTest, DryRunContactsNothingAndWritesNothing) {
  Serve();
  WriteScores(Scores());
  PushOptions o = Options();
  o.dry_run = true;
  const PushSummary s = RunPush(*wh_, nullptr, o);
  const auto& leads = Target(s, "lead_scores");
  EXPECT_TRUE(s.dry_run);
  EXPECT_EQ(leads.changed, kContacts);
  EXPECT_EQ(leads.sample.size(), 5u);
  EXPECT_EQ(leads.sample[0].changes[0].property, "revlens_score");
  EXPECT_FALSE(Target(s, "company_icp_fit").found);
  EXPECT_FALSE(wh_->TableExists(schema_, "push_state"));
  EXPECT_FALSE(wh_->TableExists(schema_, "push_quarantine"));
  EXPECT_EQ(client_->Stats().requests, 0);
  EXPECT_FALSE(server_->GetPortal().Table(ObjectType::kContacts).Props().Find("revlens_score"));
  const auto j = nlohmann::json::parse(s.ToJson());
  EXPECT_EQ(j["targets"][0]["changed"], kContacts);
  EXPECT_EQ(j["dry_run"], true);
}

TEST_P(PushTest, UnusableModelWritesShadowPropertiesUnlessForced) {
  Serve();
  auto scores = Scores();
  for (auto& sc : scores) sc.usable = false;
  WriteScores(scores);
  const PushSummary s = Push();
  EXPECT_EQ(Target(s, "lead_scores").hidden, kContacts);
  EXPECT_FALSE(s.warnings.empty());
  EXPECT_FALSE(Value_(ObjectType::kContacts, 1, "revlens_score"));
  EXPECT_EQ(Value_(ObjectType::kContacts, 1, "revlens_shadow_score"), Formatted(scores[0].likelihood));
  PushOptions force = Options();
  force.plan.force = true;
  const PushSummary forced = Push(force);
  EXPECT_EQ(Target(forced, "lead_scores").visible, kContacts - kContacts / 10) << "the holdout stays hidden";
  EXPECT_EQ(Value_(ObjectType::kContacts, 1, "revlens_score"), Formatted(scores[0].likelihood));
  EXPECT_FALSE(Value_(ObjectType::kContacts, 10, "revlens_score"));
}

TEST_P(PushTest, ScoresFromShadowModeStayHidden) {
  // `revlens score --shadow` records shadow = TRUE per row (the column is optional in the input contract).
  Serve();
  WriteScores(Scores());
  wh_->Execute("ALTER TABLE " + T("lead_scores") + " ADD COLUMN shadow BOOLEAN");
  wh_->Execute("UPDATE " + T("lead_scores") + " SET shadow = (contact_id <= 100)");
  const PushSummary s = Push();
  const auto& leads = Target(s, "lead_scores");
  EXPECT_EQ(leads.shadow, 100);
  EXPECT_EQ(leads.hidden, 100 + (kContacts - 100) / 10);
  EXPECT_FALSE(Value_(ObjectType::kContacts, 1, "revlens_score"));
  EXPECT_EQ(Value_(ObjectType::kContacts, 1, "revlens_shadow_score"), Formatted(Scores()[0].likelihood));
  EXPECT_EQ(Value_(ObjectType::kContacts, 101, "revlens_score"), Formatted(Scores()[100].likelihood));
}

TEST_P(PushTest, ANewProductIsAConfigEntry) {
  // A further product's write-back (a made-up deal health table): catalog entries and a target, no new code.
  Serve();
  wh_->CreateTable(schema_, "deal_health",
                   {{"deal_id", ColumnType::kBigInt},
                    {"win_probability", ColumnType::kDouble},
                    {"risk", ColumnType::kText},
                    {"predicted_at", ColumnType::kTimestamp}});
  wh_->BulkLoad(schema_, "deal_health",
                {{"deal_id", ColumnType::kBigInt},
                 {"win_probability", ColumnType::kDouble},
                 {"risk", ColumnType::kText},
                 {"predicted_at", ColumnType::kTimestamp}},
                {{int64_t{1}, 0.42, std::string("high"), warehouse::Timestamp{kScoredAt}},
                 {int64_t{1}, 0.47, std::string("medium"), warehouse::Timestamp{kScoredAt + kDay}},
                 {int64_t{2}, 0.9, std::string("low"), warehouse::Timestamp{kScoredAt}}});
  PushOptions o = Options();
  o.catalog.by_type["deals"] = {
      {"revlens_health_score", "revlens health score", "number", "number", "Health (0-1).", {}, false},
      {"revlens_health", "revlens health", "enumeration", "select", "Risk.", {"low", "medium", "high"}, false}};
  PushTarget deals;
  deals.name = "deal_health";
  deals.object_type = "deals";
  deals.table = "deal_health";
  deals.id_column = "deal_id";
  deals.order_column = "predicted_at";
  deals.fields = {{"win_probability", "revlens_health_score", "", ValueFormat::kNumber, 2, false},
                  {"risk", "revlens_health", "", ValueFormat::kText, 0, false}};
  o.targets = {deals};
  const PushSummary s = Push(o);
  EXPECT_EQ(Target(s, "deal_health").written, 2);
  EXPECT_EQ(Value_(ObjectType::kDeals, 1, "revlens_health_score"), "0.47");  // the latest row
  EXPECT_EQ(Value_(ObjectType::kDeals, 1, "revlens_health"), "medium");
  EXPECT_EQ(Value_(ObjectType::kDeals, 2, "revlens_health"), "low");
  // ... and it still cannot aim outside the group.
  o.targets[0].fields[1].property = "dealstage";
  EXPECT_THROW(Push(o), ConfigError);
}

TEST_P(PushTest, CompetitorsOnOpenDealsArePushed) {
  // `revlens compete` writes deal_competitors; the default targets carry it to revlens_competitors on deals.
  Serve();
  const std::vector<warehouse::Column> cols = {
      {"deal_id", ColumnType::kBigInt}, {"competitors", ColumnType::kText}, {"run_id", ColumnType::kText}};
  wh_->CreateTable(schema_, "deal_competitors", cols);
  wh_->BulkLoad(schema_, "deal_competitors", cols,
                {{int64_t{1}, std::string("Acme;Globex"), std::string("r1")},
                 {int64_t{2}, std::string("Initech"), std::string("r1")}});
  const PushSummary s = Push();
  EXPECT_EQ(Target(s, "deal_competitors").written, 2);
  EXPECT_EQ(Value_(ObjectType::kDeals, 1, "revlens_competitors"), "Acme;Globex");
  EXPECT_EQ(Value_(ObjectType::kDeals, 2, "revlens_competitors"), "Initech");
  // A rerun sends nothing; a changed list is sent again.
  EXPECT_EQ(Push().update_requests, 0);
  wh_->Execute("UPDATE " + T("deal_competitors") + " SET competitors = 'Acme' WHERE deal_id = 1");
  const PushSummary again = Push();
  EXPECT_EQ(Target(again, "deal_competitors").written, 1);
  EXPECT_EQ(Value_(ObjectType::kDeals, 1, "revlens_competitors"), "Acme");
}

TEST_P(PushTest, DealPredictionsArePushed) {
  // `revlens forecast` writes deal_predictions; the default targets carry p_win and the risk flags to deals.
  Serve();
  const std::vector<warehouse::Column> cols = {{"deal_id", ColumnType::kBigInt},
                                               {"p_win", ColumnType::kDouble},
                                               {"risk_flags", ColumnType::kText},
                                               {"method", ColumnType::kText},
                                               {"predicted_at", ColumnType::kTimestamp}};
  wh_->CreateTable(schema_, "deal_predictions", cols);
  wh_->BulkLoad(schema_, "deal_predictions", cols,
                {{int64_t{1}, 0.4712, std::string("stalled_in_stage;single_threaded"), std::string("model"),
                  warehouse::Timestamp{kScoredAt}},
                 {int64_t{2}, 0.9, warehouse::Value(), std::string("stage_rates"), warehouse::Timestamp{kScoredAt}}});
  const PushSummary s = Push();
  EXPECT_EQ(Target(s, "deal_predictions").written, 2);
  EXPECT_EQ(Value_(ObjectType::kDeals, 1, "revlens_win_probability"), "0.47");
  EXPECT_EQ(Value_(ObjectType::kDeals, 1, "revlens_deal_risk"), "stalled_in_stage;single_threaded");
  EXPECT_EQ(Value_(ObjectType::kDeals, 2, "revlens_win_probability"), "0.9");
  EXPECT_EQ(Value_(ObjectType::kDeals, 2, "revlens_deal_risk").value_or(""), "");  // no flags: nothing set
  EXPECT_TRUE(Value_(ObjectType::kDeals, 1, "revlens_predicted_at").has_value());
  // A re-forecast that moves a deal by less than a point, with a new timestamp, sends nothing; a new flag is sent.
  wh_->Execute("UPDATE " + T("deal_predictions") + " SET p_win = p_win + 0.002, predicted_at = predicted_at + " +
               "INTERVAL '1 day'");
  EXPECT_EQ(Push().update_requests, 0);
  wh_->Execute("UPDATE " + T("deal_predictions") + " SET risk_flags = 'no_recent_activity' WHERE deal_id = 2");
  const PushSummary again = Push();
  EXPECT_EQ(Target(again, "deal_predictions").written, 1);
  EXPECT_EQ(Value_(ObjectType::kDeals, 2, "revlens_deal_risk"), "no_recent_activity");
  // Deal 1 closed: the next forecast has no row for it, so its prediction is cleared, once.
  wh_->Execute("DELETE FROM " + T("deal_predictions") + " WHERE deal_id = 1");
  const PushSummary closed = Push();
  EXPECT_EQ(Target(closed, "deal_predictions").cleared, 1);
  EXPECT_EQ(Target(closed, "deal_predictions").written, 1);
  EXPECT_EQ(Value_(ObjectType::kDeals, 1, "revlens_win_probability").value_or(""), "");
  EXPECT_EQ(Value_(ObjectType::kDeals, 1, "revlens_deal_risk").value_or(""), "");
  EXPECT_EQ(Value_(ObjectType::kDeals, 2, "revlens_win_probability"), "0.9");
  EXPECT_EQ(Push().update_requests, 0);
}

TEST_P(PushTest, NothingToPushIsAClearError) {
  Serve();
  try {
    Push();
    FAIL() << "a push without result tables succeeded";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("lead_scores"), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, PushTest, ::testing::Values(Engine::kDuckDb, Engine::kPostgres), EngineName);

}  // namespace
}  // namespace revlens::deliver
