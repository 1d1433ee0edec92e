// revlens enrich --push against the emulator (served in this process, the synthetic portal's companies synced into
// DuckDB and PostgreSQL): provider values land in HubSpot's own properties of blank companies; a value a person
// entered after the sync is never overwritten; a rerun sends nothing; a provider's later change is re-sent only
// while HubSpot still holds revlens's value; a dry run sends nothing; an invalid enumeration value is reported,
// not sent; refused and failing records are quarantined and the state holds only what HubSpot accepted.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <stdexcept>

#include "core/errors.hpp"
#include "emulator/enrichment.hpp"
#include "emulator/faults.hpp"
#include "emulator/server.hpp"
#include "emulator/store.hpp"
#include "enrich/enrich.hpp"
#include "enrich/hubspot_push.hpp"
#include "hubspot/client.hpp"
#include "portal_fixture.hpp"
#include "sync/raw_layout.hpp"
#include "sync/sync.hpp"

namespace revlens::enrich {
namespace {

namespace fs = std::filesystem;
using warehouse::Warehouse;

/// A small generated portal served by the emulator (with its enrichment truth) and its companies synced into a
/// fresh raw schema; the emulator stays up so the push writes into it. One per test: pushes change the portal.
class EnrichPushTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "duckdb") {
      file_ = fs::temp_directory_path() / ("revlens_enrich_push_" + testing::UniqueSuffix() + ".duckdb");
      wh_ = warehouse::OpenWarehouse("duckdb://" + file_.string());
    } else {
      const char* url = std::getenv("REVLENS_TEST_POSTGRES_URL");
      if (!url || !*url) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set";
      wh_ = warehouse::OpenWarehouse(url);
    }
    raw_ = "enp_raw_" + testing::UniqueSuffix();
    auto g = emulator::GeneratePortal(testing::TestPortalOptions("small", 5));
    truth_ = g.truth;
    emulator::ServeOptions so;
    so.rate_limit = "none";
    server_ = std::make_unique<emulator::EmulatorServer>(std::move(g.portal), so);
    server_->Enrichment().Load(truth_);
    server_->Start();
    hubspot::ClientOptions co;  // the emulator serves without limits: no pacing
    co.base_url = server_->BaseUrl();
    co.access_token = so.token;
    co.initial_per_ten_seconds = co.search_per_second = 0;
    client_ = std::make_unique<hubspot::Client>(co);
    Sync();
  }
  void TearDown() override {
    client_.reset();
    if (server_) server_->Stop();
    if (wh_) wh_->DropSchema(raw_);
    wh_.reset();
    if (!file_.empty()) {
      fs::remove(file_);
      fs::remove(file_.string() + ".wal");
    }
  }

  void Sync() {
    sync::SyncOptions s;
    s.schema = raw_;
    s.objects = {"companies"};
    s.lookback = std::chrono::milliseconds(0);
    sync::RunSync(*client_, *wh_, s);
  }
  /// Enrich every company that needs it (the emulated provider, no cap to speak of); push only when asked.
  EnrichSummary Enrich(bool push) {
    EnrichOptions o;
    o.schema = raw_;
    o.settings.providers.push_back(EmulatedProvider(server_->BaseUrl(), 1.0, 1e9));
    o.settings.push = push;
    o.push_client = client_.get();
    o.push.round_backoff = std::chrono::milliseconds(1);
    return RunEnrich(*wh_, o);
  }
  EnrichPushSummary Push(bool dry_run = false, bool with_client = true) {
    EnrichPushOptions o;
    o.schema = raw_;
    o.dry_run = dry_run;
    o.round_backoff = std::chrono::milliseconds(1);
    return RunEnrichPush(*wh_, with_client ? client_.get() : nullptr, o);
  }
  /// The company's value in HubSpot (the emulator's portal) now; "" when unset.
  std::string Live(int64_t id, const std::string& prop) {
    emulator::Portal& portal = server_->GetPortal();
    std::shared_lock lock(portal.mutex);
    const auto& table = portal.Table(emulator::ObjectType::kCompanies);
    const auto idx = table.Props().Find(prop);
    const emulator::Record* r = table.Find(id);
    if (!idx || !r) return "";
    const auto v = r->Get(*idx);
    return v ? std::string(*v) : std::string();
  }
  /// A person edits the company in HubSpot (through the API, as a UI save would).
  void PersonSets(int64_t id, const std::string& prop, const std::string& value) {
    client_->Request("PATCH", "/crm/v3/objects/companies/" + std::to_string(id),
                     nlohmann::json{{"properties", {{prop, value}}}}.dump());
  }
  /// Companies blank in the warehouse copy for `prop` that have a provider value for it, by id.
  std::vector<int64_t> BlankWithValue(const std::string& prop) {
    const std::string col = Warehouse::QuoteIdent(sync::PropertyColumn(prop));
    const auto rs =
        wh_->Query("select distinct r.record_id from " + T("enrichment_results") + " as r join " + T("companies") +
                   " as c on c.id = r.record_id where r.property = " + Warehouse::QuoteLiteral(prop) + " and (c." +
                   col + " is null or trim(cast(c." + col + " as varchar)) = '') order by r.record_id");
    std::vector<int64_t> out;
    for (const auto& row : rs.rows) out.push_back(warehouse::AsInt64(row[0]));
    return out;
  }
  /// A newer provider value, as a later enrichment answer would land.
  void ProviderSays(int64_t id, const std::string& prop, const std::string& value) {
    const std::string n = std::to_string(++later_);
    wh_->Execute("insert into " + T("enrichment_results") + " values ('later-" + n + "', 'emulated', 'companies', " +
                 std::to_string(id) + ", " + Warehouse::QuoteLiteral(prop) + ", " + Warehouse::QuoteLiteral(value) +
                 ", TIMESTAMP '2099-01-0" + n + " 00:00:00')");
  }
  int64_t Count(const std::string& table, const std::string& where = "1 = 1") {
    return wh_->Query("select count(*) from " + T(table) + " where " + where).Scalar<int64_t>();
  }
  emulator::BatchUpdateStats Updates() { return server_->BatchUpdates(emulator::ObjectType::kCompanies); }
  std::string T(const std::string& table) { return Warehouse::QualifiedName(raw_, table); }
  /// The generator's truth for one company with blanks.
  const nlohmann::json& Gap(int64_t id) {
    for (const auto& g : truth_.at("firmographic_gaps"))
      if (g.at("company_id").get<int64_t>() == id) return g;
    throw std::runtime_error("no gap for company " + std::to_string(id));
  }
  static std::string Text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

  std::unique_ptr<Warehouse> wh_;
  fs::path file_;
  std::string raw_;
  nlohmann::json truth_;
  std::unique_ptr<emulator::EmulatorServer> server_;
  std::unique_ptr<hubspot::Client> client_;
  int later_ = 0;
};

TEST_P(EnrichPushTest, BlankFieldsGetTheProviderValuesAndARerunSendsNothing) {
  const auto before = Updates();
  const auto s = Enrich(/*push=*/true);
  ASSERT_TRUE(s.push.has_value());
  ASSERT_EQ(s.push->objects.size(), 1u);
  const auto& p = s.push->objects[0];
  // Every provider value for a field blank at the sync was written; the fields HubSpot had were left alone.
  std::map<std::string, std::vector<int64_t>> blank;
  int64_t expected = 0;
  for (const std::string prop : {"industry", "numberofemployees", "annualrevenue"}) {
    blank[prop] = BlankWithValue(prop);
    expected += static_cast<int64_t>(blank[prop].size());
  }
  ASSERT_GT(expected, 20);
  EXPECT_EQ(p.written, expected);
  EXPECT_EQ(p.to_send, expected);
  EXPECT_EQ(p.invalid + p.skipped_filled + p.skipped_property + p.unchanged, 0);
  EXPECT_EQ(p.kept_hubspot + p.written, p.values);
  EXPECT_GT(p.kept_hubspot, 0);
  EXPECT_EQ(p.quarantined_invalid + p.quarantined_not_found + p.quarantined_transient, 0);
  EXPECT_EQ(Updates().values - before.values, expected);
  EXPECT_EQ(p.update_requests, (p.written_records + 99) / 100);
  for (const auto& [prop, ids] : blank) {
    for (int64_t id : ids) {
      EXPECT_TRUE(SameHubSpotValue(Live(id, prop), Text(Gap(id).at(prop))))
          << "company " << id << " " << prop << ": " << Live(id, prop);
    }
  }
  // Numbers went as plain numbers, industry as one of the enumeration's values.
  EXPECT_EQ(Live(blank["numberofemployees"].front(), "numberofemployees").find_first_not_of("0123456789"),
            std::string::npos);
  // What a person entered before the sync is untouched: the warehouse copy still matches HubSpot.
  const auto kept =
      wh_->Query("select id, industry from " + T("companies") +
                 " where industry is not null and trim(industry) <> '' and id in (select record_id from " +
                 T("enrichment_results") + " where property = 'industry') order by id");
  ASSERT_GT(kept.RowCount(), 0u);
  for (const auto& row : kept.rows)
    EXPECT_EQ(Live(warehouse::AsInt64(row[0]), "industry"), warehouse::AsString(row[1]));
  // The state holds what HubSpot accepted, one row per value.
  EXPECT_EQ(Count(kPushStateTable), expected);

  // A rerun sends nothing.
  const auto again = Push();
  EXPECT_EQ(again.objects[0].to_send, 0);
  EXPECT_EQ(again.objects[0].update_requests, 0);
  EXPECT_EQ(again.objects[0].unchanged, expected);
  EXPECT_EQ(Updates().values - before.values, expected);
  // Nor after the next sync brought revlens's values into the warehouse copy: they are known as revlens's own.
  Sync();
  EXPECT_EQ(BlankWithValue("industry").size(), 0u);
  const auto synced = Push();
  EXPECT_EQ(synced.objects[0].to_send, 0);
  EXPECT_EQ(synced.objects[0].unchanged, expected);
  EXPECT_EQ(synced.objects[0].kept_hubspot, p.kept_hubspot);
  EXPECT_EQ(Updates().requests - before.requests, p.update_requests);
}

TEST_P(EnrichPushTest, ValueAPersonEnteredAfterTheSyncIsNeverOverwritten) {
  Enrich(/*push=*/false);
  const auto blank = BlankWithValue("industry");
  ASSERT_GE(blank.size(), 2u);
  const int64_t typed = blank[0];
  const std::string truth = Gap(typed).at("industry").get<std::string>();
  const std::string persons = truth == "RETAIL" ? "INSURANCE" : "RETAIL";
  PersonSets(typed, "industry", persons);  // after the sync, before the push
  const auto s = Push();
  ASSERT_EQ(s.objects.size(), 1u);
  EXPECT_EQ(s.objects[0].skipped_filled, 1);
  EXPECT_EQ(Live(typed, "industry"), persons);
  EXPECT_EQ(Live(blank[1], "industry"), Gap(blank[1]).at("industry").get<std::string>());
  EXPECT_EQ(Count(kPushStateTable, "object_id = " + std::to_string(typed) + " and property = 'industry'"), 0);
  // The other blank fields of that company were still filled.
  for (const auto& f : Gap(typed).at("blank")) {
    const std::string prop = f.get<std::string>();
    if (prop != "industry") {
      EXPECT_TRUE(SameHubSpotValue(Live(typed, prop), Text(Gap(typed).at(prop))));
    }
  }
  // Nor on a rerun, nor after the sync brings the person's value in.
  const auto again = Push();
  EXPECT_EQ(again.objects[0].to_send, 0);
  Sync();
  const auto synced = Push();
  EXPECT_EQ(synced.objects[0].to_send, 0);
  EXPECT_EQ(Live(typed, "industry"), persons);
}

TEST_P(EnrichPushTest, ProviderChangeIsResentOnlyWhileHubSpotHoldsRevlensValue) {
  Enrich(/*push=*/true);
  Sync();  // the warehouse copy now holds revlens's values
  const auto blank = BlankWithValue("numberofemployees");
  ASSERT_TRUE(blank.empty());
  const auto pushed = wh_->Query("select object_id from " + T(kPushStateTable) +
                                 " where property = 'numberofemployees' order by object_id");
  ASSERT_GE(pushed.RowCount(), 2u);
  const int64_t kept_ours = warehouse::AsInt64(pushed.rows[0][0]);
  const int64_t person = warehouse::AsInt64(pushed.rows[1][0]);
  ProviderSays(kept_ours, "numberofemployees", "4321");
  ProviderSays(person, "numberofemployees", "5432");
  PersonSets(person, "numberofemployees", "77");  // a person corrected revlens's value
  const auto before = Updates();
  const auto s = Push();
  EXPECT_EQ(s.objects[0].to_send, 1);
  EXPECT_EQ(s.objects[0].written, 1);
  EXPECT_EQ(s.objects[0].skipped_filled, 1);
  EXPECT_EQ(Live(kept_ours, "numberofemployees"), "4321");
  EXPECT_EQ(Live(person, "numberofemployees"), "77");
  EXPECT_EQ(Updates().values - before.values, 1);
  ASSERT_EQ(s.objects[0].sample.size(), 1u);
  EXPECT_TRUE(SameHubSpotValue(s.objects[0].sample[0].old_value, Text(Gap(kept_ours).at("numberofemployees"))));
  // Once the person's value is synced it is theirs for good: never a candidate again.
  Sync();
  const auto later = Push();
  EXPECT_EQ(later.objects[0].to_send, 0);
  EXPECT_EQ(Live(person, "numberofemployees"), "77");
}

TEST_P(EnrichPushTest, DryRunSendsNothing) {
  Enrich(/*push=*/false);
  const auto before = Updates();
  const auto dry = Push(/*dry_run=*/true);
  EXPECT_TRUE(dry.reread);
  EXPECT_GT(dry.objects[0].to_send, 0);
  EXPECT_FALSE(dry.objects[0].sample.empty());
  const auto offline = Push(/*dry_run=*/true, /*with_client=*/false);
  EXPECT_FALSE(offline.reread);
  EXPECT_EQ(offline.objects[0].to_send, dry.objects[0].to_send);
  EXPECT_EQ(Updates().requests, before.requests);
  EXPECT_EQ(Updates().values, before.values);
  EXPECT_FALSE(wh_->TableExists(raw_, kPushStateTable));
  const int64_t blank_industry = BlankWithValue("industry").front();
  EXPECT_EQ(Live(blank_industry, "industry"), "");
  // The real push writes exactly what the dry run listed.
  const auto real = Push();
  EXPECT_EQ(real.objects[0].written, dry.objects[0].to_send);
  EXPECT_EQ(real.objects[0].by_property, dry.objects[0].by_property);
  // A dry run through `revlens enrich` (no provider call either) pushes nothing.
  EnrichOptions o;
  o.schema = raw_;
  o.dry_run = true;
  o.settings.push = true;
  o.push_client = client_.get();
  const auto s = RunEnrich(*wh_, o);
  ASSERT_TRUE(s.push.has_value());
  EXPECT_TRUE(s.push->dry_run);
  EXPECT_EQ(Updates().values - before.values, real.objects[0].written);
}

TEST_P(EnrichPushTest, InvalidEnumerationValueIsReportedNotSent) {
  Enrich(/*push=*/false);
  const auto blank = BlankWithValue("industry");
  ASSERT_GE(blank.size(), 2u);
  const auto no_employees = BlankWithValue("numberofemployees");
  ASSERT_FALSE(no_employees.empty());
  const auto no_revenue = BlankWithValue("annualrevenue");
  ASSERT_FALSE(no_revenue.empty());
  ProviderSays(blank[0], "industry", "Space Tourism");         // not an option of HubSpot's industry
  ProviderSays(blank[1], "industry", "computer software");     // the label of COMPUTER_SOFTWARE, spelled loosely
  ProviderSays(no_revenue[0], "annualrevenue", "1250000.50");  // a decimal number
  ProviderSays(no_employees[0], "numberofemployees", "about 40");
  const auto s = Push();
  const auto& p = s.objects[0];
  EXPECT_EQ(p.invalid, 2);
  EXPECT_EQ(p.quarantined_invalid, 0);  // refused locally, never sent
  EXPECT_EQ(Live(blank[0], "industry"), "");
  EXPECT_EQ(Live(blank[1], "industry"), "COMPUTER_SOFTWARE");
  EXPECT_EQ(Live(no_revenue[0], "annualrevenue"), "1250000.5");
  EXPECT_EQ(Live(no_employees[0], "numberofemployees"), "");
  bool named = false;
  for (const auto& w : s.warnings) named = named || w.find("'Space Tourism' is not one of the") != std::string::npos;
  EXPECT_TRUE(named) << (s.warnings.empty() ? "no warnings" : s.warnings.front());
  // Reported again on the next run, still not sent; the rest is unchanged.
  const auto again = Push();
  EXPECT_EQ(again.objects[0].invalid, 2);
  EXPECT_EQ(again.objects[0].to_send, 0);
}

TEST_P(EnrichPushTest, FailingRecordsAreQuarantinedAndTheStateHoldsOnlyWhatHubSpotAccepted) {
  Enrich(/*push=*/false);
  // A company deleted in HubSpot since the sync is not written (nor recreated).
  const int64_t gone = BlankWithValue("industry").front();
  client_->Request("DELETE", "/crm/v3/objects/companies/" + std::to_string(gone));
  server_->Faults().SetSpec("partial=0.3");
  EnrichPushOptions o;
  o.schema = raw_;
  o.retry_rounds = 0;  // what fails once is quarantined at once
  o.batch_size = 10;
  const auto s = RunEnrichPush(*wh_, client_.get(), o);
  const auto& p = s.objects[0];
  EXPECT_GT(p.skipped_not_found, 0);
  EXPECT_GT(p.quarantined_transient, 0);
  EXPECT_GT(p.written_records, 0);
  EXPECT_EQ(p.written_records + p.quarantined_transient, p.records);
  EXPECT_EQ(Count(kPushStateTable), p.written);
  EXPECT_EQ(Count(kPushQuarantineTable, "kind = 'transient'"), p.quarantined_transient);
  // Nothing HubSpot did not take is in the state.
  const auto rs = wh_->Query("select object_id, property, value from " + T(kPushStateTable));
  for (const auto& row : rs.rows)
    EXPECT_TRUE(
        SameHubSpotValue(Live(warehouse::AsInt64(row[0]), warehouse::AsString(row[1])), warehouse::AsString(row[2])));
  // With HubSpot healthy again the next push sends exactly the quarantined records and clears them.
  server_->Faults().SetSpec("");
  const auto next = Push();
  EXPECT_EQ(next.objects[0].records, p.quarantined_transient);
  EXPECT_EQ(next.objects[0].written, p.to_send - p.written);
  EXPECT_EQ(Count(kPushQuarantineTable), 0);
  EXPECT_EQ(Live(gone, "industry"), "");
}

INSTANTIATE_TEST_SUITE_P(Engines, EnrichPushTest, ::testing::Values("duckdb", "postgres"));

TEST(EnrichPushFormat, NumbersEnumerationsAndBooleansAsHubSpotTakesThem) {
  PropertyDefinition number{"annualrevenue", "number", "number", {}, false};
  EXPECT_EQ(FormatForHubSpot(number, "1200.0").value, "1200");
  EXPECT_EQ(FormatForHubSpot(number, " 1250000.50 ").value, "1250000.5");
  EXPECT_EQ(FormatForHubSpot(number, "1e6").value, "1000000");
  EXPECT_FALSE(FormatForHubSpot(number, "1,200").ok);
  EXPECT_FALSE(FormatForHubSpot(number, "nan").ok);
  PropertyDefinition industry{
      "industry",
      "enumeration",
      "select",
      {{"COMPUTER_SOFTWARE", "Computer Software"}, {"HOSPITAL_HEALTH_CARE", "Hospital & Health Care"}},
      false};
  EXPECT_EQ(FormatForHubSpot(industry, "COMPUTER_SOFTWARE").value, "COMPUTER_SOFTWARE");
  EXPECT_EQ(FormatForHubSpot(industry, "computer software").value, "COMPUTER_SOFTWARE");
  EXPECT_EQ(FormatForHubSpot(industry, "Hospital & Health Care").value, "HOSPITAL_HEALTH_CARE");
  const auto bad = FormatForHubSpot(industry, "Space Tourism");
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.reason.find("Space Tourism"), std::string::npos);
  PropertyDefinition tags{"tags", "enumeration", "checkbox", {{"a", "A"}, {"b", "B"}}, false};
  EXPECT_EQ(FormatForHubSpot(tags, "A; b").value, "a;b");
  EXPECT_FALSE(FormatForHubSpot(tags, "a;c").ok);
  PropertyDefinition flag{"is_public", "bool", "booleancheckbox", {}, false};
  EXPECT_EQ(FormatForHubSpot(flag, "Yes").value, "true");
  EXPECT_FALSE(FormatForHubSpot(flag, "maybe").ok);
  EXPECT_TRUE(SameHubSpotValue("120", "120.0"));
  EXPECT_FALSE(SameHubSpotValue("120", "121"));
  EXPECT_FALSE(SameHubSpotValue("RETAIL", "retail"));
  const auto settings = ParseEnrichSettings("[enrichment]\npush = true\n", "revlens.toml", "http://h");
  EXPECT_TRUE(settings.push);
  EXPECT_THROW(ParseEnrichSettings("[enrichment]\npush = \"yes\"\n", "revlens.toml", "http://h"), ConfigError);
}

}  // namespace
}  // namespace revlens::enrich
