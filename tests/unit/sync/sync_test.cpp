// revlens sync against the real emulator serving a generated portal, into DuckDB and PostgreSQL (the same test
// bodies for both engines).
#include "sync/sync.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <thread>

#include "emulator/generator/generator.hpp"
#include "emulator/faults.hpp"
#include "emulator/server.hpp"
#include "sync/raw_layout.hpp"

namespace revlens::sync {
namespace {

namespace fs = std::filesystem;
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

std::unique_ptr<emulator::Portal> SmallPortal(int64_t contacts = -1) {
  emulator::GeneratorOptions o;
  o.size = "small";
  o.seed = 11;
  o.anchor_date = "2026-06-30";
  o.contacts = contacts;
  return emulator::GeneratePortal(o).portal;
}

class SyncTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    if (GetParam() == Engine::kDuckDb) {
      file_ = fs::temp_directory_path() / ("revlens_sync_" + UniqueSuffix() + ".duckdb");
      wh_ = warehouse::OpenWarehouse("duckdb://" + file_.string());
    } else {
      const char* url = std::getenv("REVLENS_TEST_POSTGRES_URL");
      if (!url || !*url) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set; skipping PostgreSQL";
      wh_ = warehouse::OpenWarehouse(url);
    }
    schema_ = "sync_" + UniqueSuffix();
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (wh_) {
      for (const auto& s : schemas_) wh_->DropSchema(s);
      wh_->DropSchema(schema_);
    }
    wh_.reset();
    if (!file_.empty()) {
      fs::remove(file_);
      fs::remove(file_.string() + ".wal");
    }
  }

  void Serve(std::unique_ptr<emulator::Portal> portal, const std::string& faults = "", const std::string& tier = "none") {
    emulator::ServeOptions so;
    so.rate_limit = tier;
    so.faults = faults;
    server_ = std::make_unique<emulator::EmulatorServer>(std::move(portal), so);
    server_->Start();
    hubspot::ClientOptions co;
    co.base_url = server_->BaseUrl();
    co.access_token = so.token;
    co.search_per_second = 0;
    co.initial_per_ten_seconds = 0;
    co.base_backoff = std::chrono::milliseconds(5);
    co.max_backoff = std::chrono::milliseconds(50);
    co.max_retries = 12;
    co.jitter_seed = 7;
    client_ = std::make_unique<hubspot::Client>(co);
  }

  SyncSummary Sync(const std::string& schema, bool full_refresh = false) {
    SyncOptions o;
    o.schema = schema;
    o.full_refresh = full_refresh;
    o.lookback = std::chrono::milliseconds(0);
    o.chunk_records = 700;  // several chunks per type even on the small portal
    return RunSync(*client_, *wh_, o);
  }

  // The first `n` live record ids of `type` in the served portal.
  std::vector<std::string> LiveIds(emulator::ObjectType type, size_t n) {
    std::shared_lock lock(server_->GetPortal().mutex);
    std::vector<std::string> ids;
    for (const auto& r : server_->GetPortal().Table(type).Records()) {
      if (!r.archived && ids.size() < n) ids.push_back(std::to_string(r.id));
    }
    return ids;
  }

  int64_t Count(const std::string& sql) { return wh_->Query(sql).Scalar<int64_t>(); }
  std::string T(const std::string& table) const { return Warehouse::QualifiedName(schema_, table); }

  // Rows of `table` in schema a that are not in schema b (and the reverse), ignoring synced_at.
  int64_t Diff(const std::string& a, const std::string& b, const std::string& table) {
    std::string cols;
    for (const auto& c : wh_->Columns(a, table)) {
      if (c.name == "synced_at" || c.name == "updated_at_" ) continue;
      if (!cols.empty()) cols += ',';
      cols += Warehouse::QuoteIdent(c.name);
    }
    const auto qa = Warehouse::QualifiedName(a, table), qb = Warehouse::QualifiedName(b, table);
    return Count("SELECT COUNT(*) FROM (SELECT " + cols + " FROM " + qa + " EXCEPT SELECT " + cols + " FROM " + qb +
                 ") x") +
           Count("SELECT COUNT(*) FROM (SELECT " + cols + " FROM " + qb + " EXCEPT SELECT " + cols + " FROM " + qa +
                 ") x");
  }

  void ExpectSameTables(const std::string& a, const std::string& b) {
    for (auto t : kObjectTypes) EXPECT_EQ(Diff(a, b, std::string(t)), 0) << t;
    for (const char* t : {"associations", "property_history", "owners", "owner_teams", "pipelines", "pipeline_stages"}) {
      EXPECT_EQ(Diff(a, b, t), 0) << t;
    }
  }

  std::unique_ptr<Warehouse> wh_;
  fs::path file_;
  std::string schema_;
  std::vector<std::string> schemas_;
  std::unique_ptr<emulator::EmulatorServer> server_;
  std::unique_ptr<hubspot::Client> client_;
};

TEST_P(SyncTest, FullSyncLoadsEveryRecordAssociationAndHistory) {
  Serve(SmallPortal());
  const auto s = Sync(schema_);
  EXPECT_EQ(s.rate_limited, 0);
  EXPECT_EQ(s.quarantined, 0);
  const emulator::Portal& p = server_->GetPortal();
  for (auto t : emulator::kAllObjectTypes) {
    const std::string name(emulator::ObjectTypeName(t));
    int64_t live = 0, archived = 0;
    for (const auto& r : p.Table(t).Records()) (r.archived ? archived : live)++;
    EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T(name) + " WHERE NOT is_deleted"), live) << name;
    EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T(name) + " WHERE is_deleted"), archived) << name;
    EXPECT_EQ(Count("SELECT COUNT(DISTINCT id) FROM " + T(name)), Count("SELECT COUNT(*) FROM " + T(name))) << name;
  }
  // Associations: every edge from a live record to a live record, for each pair read.
  auto expect_edges = [&](emulator::ObjectType from, emulator::ObjectType to) {
    int64_t n = 0;
    for (const auto& r : p.Table(from).Records()) {
      if (r.archived) continue;
      for (const auto& e : p.Assoc(from, to).From(r.id)) {
        const auto* target = p.Table(to).Find(e.to_id);
        if (target && !target->archived) ++n;
      }
    }
    const std::string f(emulator::ObjectTypeName(from)), tt(emulator::ObjectTypeName(to));
    EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("associations") + " WHERE from_type = '" + f + "' AND to_type = '" + tt +
                    "'"),
              n)
        << f << "->" << tt;
    return n;
  };
  using emulator::ObjectType;
  EXPECT_GT(expect_edges(ObjectType::kContacts, ObjectType::kCompanies), 0);
  EXPECT_GT(expect_edges(ObjectType::kDeals, ObjectType::kCompanies), 0);
  EXPECT_GT(expect_edges(ObjectType::kDeals, ObjectType::kContacts), 0);
  EXPECT_GT(expect_edges(ObjectType::kCalls, ObjectType::kContacts), 0);
  expect_edges(ObjectType::kMeetings, ObjectType::kDeals);
  expect_edges(ObjectType::kEmails, ObjectType::kCompanies);
  // Every live deal has its stage history; closed-won deals went through more than one stage.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("deals") + " d WHERE NOT d.is_deleted AND NOT EXISTS (SELECT 1 FROM " +
                  T("property_history") + " h WHERE h.object_type = 'deals' AND h.object_id = d.id AND h.property = "
                  "'dealstage')"),
            0);
  EXPECT_GT(Count("SELECT COUNT(*) FROM " + T("property_history") + " WHERE object_type = 'contacts' AND property = "
                  "'lifecyclestage'"),
            0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("owners")), static_cast<int64_t>(p.owners.size()));
  EXPECT_GT(Count("SELECT COUNT(*) FROM " + T("pipeline_stages") + " WHERE is_closed AND probability = 1"), 0);
  // Typed columns: numbers as numbers, datetimes as timestamps.
  EXPECT_GT(Count("SELECT COUNT(*) FROM " + T("deals") + " WHERE amount > 0"), 0);
  EXPECT_GT(Count("SELECT COUNT(*) FROM " + T("contacts") + " WHERE createdate < TIMESTAMP '2026-07-01 00:00:00'"), 0);
  // The requests made stay at the minimum the page sizes allow.
  EXPECT_LE(s.requests, s.min_requests + s.retries);
}

TEST_P(SyncTest, RerunWithoutChangesWritesNothing) {
  Serve(SmallPortal());
  const auto first = Sync(schema_);
  EXPECT_GT(first.rows_written, 0);
  const auto second = Sync(schema_);
  EXPECT_EQ(second.rows_written, 0);
  EXPECT_EQ(second.table_rows, first.table_rows);
  for (const auto& [name, r] : second.resources) {
    if (r.mode != "metadata") {
      EXPECT_EQ(r.mode, "incremental") << name;
    }
  }
  // Nothing was archived: the live count matches, so the archived list (4 pages for contacts) is not re-read; one
  // newest-first search gives both the count and the (empty) set of changes.
  EXPECT_EQ(second.resources.at("contacts").requests, 1);
  // The live owners are as they were, so the archived owners are not re-read.
  EXPECT_EQ(second.resources.at("owners").requests, 1);
}

TEST_P(SyncTest, AnOwnerArchivedBetweenRunsIsPickedUp) {
  Serve(SmallPortal());
  Sync(schema_);
  int64_t archived_id = 0;
  {
    auto& portal = server_->GetPortal();
    std::unique_lock lock(portal.mutex);
    for (auto& o : portal.owners) {
      if (!o.archived) {
        o.archived = true;
        archived_id = o.id;
        break;
      }
    }
  }
  ASSERT_NE(archived_id, 0);
  const auto second = Sync(schema_);
  EXPECT_EQ(second.resources.at("owners").requests, 2);  // the live list changed: the archived list is read too
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("owners") + " WHERE is_deleted AND id = " + std::to_string(archived_id)),
            1);
  const std::string fresh = schema_ + "_fresh";
  schemas_.push_back(fresh);
  Sync(fresh);
  EXPECT_EQ(Diff(schema_, fresh, "owners"), 0);
  EXPECT_EQ(Diff(schema_, fresh, "owner_teams"), 0);
}

TEST_P(SyncTest, MoreChangesThanAPageAreReadInAscendingOrder) {
  Serve(SmallPortal());
  Sync(schema_);
  // 300 contacts changed: more than the newest-first page holds, so the ascending change search takes over.
  const auto ids = LiveIds(emulator::ObjectType::kContacts, 300);
  ASSERT_EQ(ids.size(), 300u);
  for (size_t i = 0; i < ids.size(); i += 100) {
    std::string body = R"({"inputs":[)";
    for (size_t j = i; j < i + 100; ++j) {
      body += (j > i ? "," : "") + std::string(R"({"id":")") + ids[j] + R"(","properties":{"jobtitle":"Batch )" +
              std::to_string(j) + R"("}})";
    }
    body += "]}";
    client_->Post("/crm/v3/objects/contacts/batch/update", body);
  }
  const auto inc = Sync(schema_);
  EXPECT_GE(inc.resources.at("contacts").records_read, 300);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("contacts") + " WHERE jobtitle LIKE 'Batch %'"), 300);
  const std::string fresh = schema_ + "_fresh";
  schemas_.push_back(fresh);
  Sync(fresh);
  ExpectSameTables(schema_, fresh);
}

TEST_P(SyncTest, IncrementalRunEqualsAFreshFullSync) {
  Serve(SmallPortal());
  Sync(schema_);
  // Change records through the API, as users do in HubSpot.
  auto& c = *client_;
  const auto contacts = LiveIds(emulator::ObjectType::kContacts, 8);
  for (size_t i = 0; i < 5; ++i) {
    c.Request("PATCH", "/crm/v3/objects/contacts/" + contacts[i], R"({"properties":{"jobtitle":"Chief Tester"}})");
  }
  for (const auto& id : LiveIds(emulator::ObjectType::kDeals, 5)) {
    c.Request("PATCH", "/crm/v3/objects/deals/" + id, R"({"properties":{"amount":"12345"}})");
  }
  // A deletion and a creation of the same type: the live count is unchanged, the archived list must still be read.
  c.Request("DELETE", "/crm/v3/objects/contacts/" + contacts[6]);
  c.Post("/crm/v3/objects/contacts", R"({"properties":{"email":"fresh.contact@example.com","firstname":"Fresh"}})");
  c.Post("/crm/v3/objects/deals",
         R"({"properties":{"dealname":"New one","amount":"99","dealstage":"appointmentscheduled","pipeline":"default"},)"
         R"("associations":[{"to":{"id":")" + contacts[7] +
             R"("},"types":[{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":3}]}]})");
  const auto inc = Sync(schema_);
  EXPECT_GT(inc.rows_written, 0);
  EXPECT_LT(inc.resources.at("contacts").records_read, 50);
  const std::string fresh = schema_ + "_fresh";
  schemas_.push_back(fresh);
  Sync(fresh);
  ExpectSameTables(schema_, fresh);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("contacts") + " WHERE is_deleted AND id = " + contacts[6]), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("deals") + " WHERE dealname = 'New one'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("contacts") + " WHERE email = 'fresh.contact@example.com'"), 1);
}

TEST_P(SyncTest, NewPropertyBecomesAColumnAndTypeChangesWiden) {
  Serve(SmallPortal());
  Sync(schema_);
  auto& c = *client_;
  const auto ids = LiveIds(emulator::ObjectType::kContacts, 2);
  c.Post("/crm/v3/properties/contacts",
         R"({"name":"nps_score","label":"NPS","type":"number","fieldType":"number","groupName":"contactinformation"})");
  c.Request("PATCH", "/crm/v3/objects/contacts/" + ids[0], R"({"properties":{"nps_score":"9"}})");
  const auto s = Sync(schema_);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("contacts") + " WHERE nps_score = 9"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("properties") + " WHERE name = 'nps_score'"), 1);
  // The property turns into text in HubSpot: the column becomes text, with a warning, and nothing is lost.
  c.Request("PATCH", "/crm/v3/properties/contacts/nps_score", R"({"type":"string","fieldType":"text"})");
  c.Request("PATCH", "/crm/v3/objects/contacts/" + ids[1], R"({"properties":{"nps_score":"great"}})");
  const auto s2 = Sync(schema_);
  ASSERT_FALSE(s2.warnings.empty());
  EXPECT_NE(s2.warnings[0].find("nps_score"), std::string::npos);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("contacts") + " WHERE nps_score = 'great'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("contacts") + " WHERE nps_score IS NOT NULL"), 2);
}

TEST_P(SyncTest, BadValuesAreQuarantinedAndTheRestLoads) {
  auto portal = SmallPortal();
  {
    auto& deals = portal->Table(emulator::ObjectType::kDeals);
    const auto amount = deals.Props().Find("amount");
    ASSERT_TRUE(amount);
    deals.Records()[3].SetRaw(*amount, "twelve dollars");
  }
  const int64_t bad_id = portal->Table(emulator::ObjectType::kDeals).Records()[3].id;
  Serve(std::move(portal));
  const auto s = Sync(schema_);
  EXPECT_EQ(s.quarantined, 1);
  auto rs = wh_->Query("SELECT resource, record_id, reason FROM " + T("quarantine"));
  ASSERT_EQ(rs.RowCount(), 1u);
  EXPECT_EQ(warehouse::AsString(rs.rows[0][0]), "deals");
  EXPECT_EQ(warehouse::AsString(rs.rows[0][1]), std::to_string(bad_id));
  EXPECT_NE(warehouse::AsString(rs.rows[0][2]).find("amount"), std::string::npos);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("deals") + " WHERE id = " + std::to_string(bad_id)), 0);
  EXPECT_GT(Count("SELECT COUNT(*) FROM " + T("deals")), 100);
  // A rerun does not duplicate the quarantine row.
  Sync(schema_, true);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("quarantine")), 1);
}

TEST_P(SyncTest, MergedContactsPointAtTheSurvivor) {
  Serve(SmallPortal());
  Sync(schema_);
  const auto ids = LiveIds(emulator::ObjectType::kContacts, 2);
  client_->Post("/crm/v3/objects/contacts/merge",
                R"({"primaryObjectId":")" + ids[0] + R"(","objectIdToMerge":")" + ids[1] + R"("})");
  Sync(schema_);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("contacts") + " WHERE id = " + ids[1] +
                  " AND is_deleted AND merged_into_id = " + ids[0]),
            1);
  // Merges from the generator (duplicates merged before the anchor) are mapped too.
  EXPECT_GT(Count("SELECT COUNT(*) FROM " + T("contacts") + " WHERE merged_into_id IS NOT NULL"), 1);
}

TEST_P(SyncTest, FaultsDoNotChangeTheResult) {
  Serve(SmallPortal(), "5xx=0.1,429=0.05,reset=0.02,truncate=0.02");
  const auto s = Sync(schema_);
  EXPECT_GT(s.retries, 0);
  const std::string clean = schema_ + "_clean";
  schemas_.push_back(clean);
  server_->Faults().SetSpec("");
  Sync(clean);
  ExpectSameTables(schema_, clean);
}

TEST_P(SyncTest, ARunThatDiesMidwayResumesToTheSameTables) {
  Serve(SmallPortal());
  // The first run dies partway: every request fails and the retries run out.
  hubspot::ClientOptions co;
  co.base_url = server_->BaseUrl();
  co.access_token = server_->Options().token;
  co.initial_per_ten_seconds = 0;
  co.search_per_second = 0;
  co.max_retries = 1;
  co.base_backoff = std::chrono::milliseconds(1);
  hubspot::Client fragile(co);
  SyncOptions o;
  o.schema = schema_;
  o.chunk_records = 300;
  o.concurrency = 2;
  // Break it once two chunks are committed (a fixed delay let a quiet machine finish the whole sync first).
  std::atomic<int> progressed{0};
  o.progress = [&](const std::string&, const std::string&, bool final) {
    if (!final && ++progressed == 2) server_->Faults().SetSpec("5xx=1");
  };
  EXPECT_THROW(RunSync(fragile, *wh_, o), HubSpotApiError);
  server_->Faults().SetSpec("");
  const int64_t partial = Count("SELECT COUNT(*) FROM " + T("calls")) + Count("SELECT COUNT(*) FROM " + T("contacts"));
  const auto resumed = Sync(schema_);
  EXPECT_EQ(resumed.rate_limited, 0);
  const std::string fresh = schema_ + "_fresh";
  schemas_.push_back(fresh);
  Sync(fresh);
  ExpectSameTables(schema_, fresh);
  for (auto t : kObjectTypes) {
    EXPECT_EQ(Count("SELECT COUNT(*) - COUNT(DISTINCT id) FROM " + T(std::string(t))), 0) << t;
  }
  RecordProperty("rows_before_resume", static_cast<int>(partial));
}

TEST_P(SyncTest, SearchPastTheTenThousandCeiling) {
  Serve(SmallPortal(12000));
  SyncOptions o;
  o.schema = schema_;
  o.objects = {"contacts"};
  o.lookback = std::chrono::milliseconds(0);
  RunSync(*client_, *wh_, o);
  const int64_t all = Count("SELECT COUNT(*) FROM " + T("contacts") + " WHERE NOT is_deleted");
  ASSERT_GT(all, 10000);
  // Forget the rows but keep an incremental cursor from before every record: the search must find them all.
  wh_->Execute("DELETE FROM " + T("contacts"));
  wh_->Execute("UPDATE " + T("sync_state") + " SET high_watermark = '0' WHERE resource = 'contacts'");
  const auto s = RunSync(*client_, *wh_, o);
  EXPECT_EQ(s.resources.at("contacts").mode, "incremental");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM " + T("contacts") + " WHERE NOT is_deleted"), all);
}

TEST_P(SyncTest, RefusedTokenIsOneLineWithoutTheToken) {
  Serve(SmallPortal());
  hubspot::ClientOptions co;
  co.base_url = server_->BaseUrl();
  co.access_token = "pat-na1-very-secret-token";
  co.max_retries = 1;
  hubspot::Client bad(co);
  SyncOptions o;
  o.schema = schema_;
  try {
    RunSync(bad, *wh_, o);
    FAIL() << "expected an error";
  } catch (const HubSpotApiError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.Status(), 401);
    EXPECT_EQ(msg.find("very-secret"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, SyncTest, ::testing::Values(Engine::kDuckDb, Engine::kPostgres), EngineName);

}  // namespace
}  // namespace revlens::sync
