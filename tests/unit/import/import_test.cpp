// `revlens import` against the warehouse: HubSpot exports written from a generated portal (as HubSpot's UI
// writes them) and product-usage files, imported into DuckDB and PostgreSQL with the same test bodies.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <span>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "emulator/generator/generator.hpp"
#include "sync/csv_import.hpp"
#include "sync/product_usage.hpp"
#include "sync/raw_layout.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::sync {
namespace {

namespace fs = std::filesystem;
using emulator::ObjectType;
using warehouse::Value;
using warehouse::Warehouse;

constexpr const char* kCommaCompany = "Comma, \"Quote\" & Sons\nLtd";

std::string UniqueSuffix() {
  static std::atomic<int> counter{0};
  const auto ns = std::chrono::steady_clock::now().time_since_epoch().count();
  return std::to_string(::getpid()) + "_" + std::to_string(ns % 1000000007) + "_" + std::to_string(counter++);
}

void WriteText(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}
std::string ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// The portal, its exports and product-usage file, made once for every test; the files go with the process.
struct Fixture {
  emulator::GeneratedPortal g;
  fs::path dir;
  Fixture() = default;
  Fixture(Fixture&&) = default;
  ~Fixture() {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

Fixture MakeFixture() {
  Fixture fx;
  emulator::GeneratorOptions o;
  o.size = "small";
  o.seed = 11;
  o.anchor_date = "2026-06-30";
  fx.g = emulator::GeneratePortal(o);
  // One company with every character CSV must quote, so the writer and the reader both meet them.
  auto& companies = fx.g.portal->Table(ObjectType::kCompanies);
  const uint16_t name = *companies.Props().Find("name");
  for (auto& r : companies.Records()) {
    if (!r.archived) {
      r.SetRaw(name, kCommaCompany);
      break;
    }
  }
  fx.dir = fs::temp_directory_path() / ("revlens_import_" + UniqueSuffix());
  emulator::WriteHubSpotExports(*fx.g.portal, fx.dir.string());
  // Excel-saved exports start with a BOM.
  WriteText(fx.dir / "companies.csv", "\xEF\xBB\xBF" + ReadText(fx.dir / "companies.csv"));
  WriteText(fx.dir / "product_usage.csv", fx.g.product_usage_csv);
  return fx;
}

Fixture& Shared() {
  static Fixture f = MakeFixture();
  return f;
}

enum class Engine { kDuckDb, kPostgres };

class ImportTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    if (GetParam() == Engine::kPostgres) {
      const char* url = std::getenv("REVLENS_TEST_POSTGRES_URL");
      if (!url || !*url) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set; skipping PostgreSQL";
      wh_ = warehouse::OpenWarehouse(url);
    } else {
      wh_ = warehouse::OpenWarehouse("duckdb://:memory:");
    }
    schema_ = "revlens_import_" + UniqueSuffix();
    opts_.schema = schema_;
    opts_.time_zone = Portal().time_zone;
    opts_.run_id = "test";
  }
  void TearDown() override {
    if (wh_) wh_->DropSchema(schema_);
    wh_.reset();
  }

  const emulator::Portal& Portal() const { return *Shared().g.portal; }
  std::string Path(const std::string& file) const { return (Shared().dir / file).string(); }
  std::string T(const std::string& table) const { return Warehouse::QualifiedName(schema_, table); }
  int64_t Count(const std::string& table, const std::string& where = "") {
    return wh_->Query("SELECT count(*) FROM " + T(table) + (where.empty() ? "" : " WHERE " + where)).Scalar<int64_t>();
  }
  void ImportAll() {
    for (const char* f : {"companies.csv", "contacts.csv", "deals.csv"}) ImportHubSpotExport(*wh_, Path(f), opts_);
  }
  int64_t Live(ObjectType t) const {
    int64_t n = 0;
    for (const auto& r : Portal().Table(t).Records()) n += r.archived ? 0 : 1;
    return n;
  }
  bool IsLive(ObjectType t, int64_t id) const {
    const auto* r = Portal().Table(t).Find(id);
    return r && !r->archived;
  }
  /// The portal's live edges of a pair, as (from, to).
  std::set<std::pair<int64_t, int64_t>> PortalEdges(ObjectType from, ObjectType to) const {
    std::set<std::pair<int64_t, int64_t>> out;
    Portal().Assoc(from, to).ForEach([&](int64_t id, std::span<const emulator::AssociationEdge> edges) {
      if (!IsLive(from, id)) return;
      for (const auto& e : edges)
        if (IsLive(to, e.to_id)) out.insert({id, e.to_id});
    });
    return out;
  }
  std::set<std::pair<int64_t, int64_t>> WarehouseEdges(const std::string& from, const std::string& to) {
    std::set<std::pair<int64_t, int64_t>> out;
    auto rs = wh_->Query("SELECT from_id, to_id FROM " + T("associations") + " WHERE from_type = '" + from +
                         "' AND to_type = '" + to + "'");
    for (const auto& r : rs.rows) out.insert({warehouse::AsInt64(r[0]), warehouse::AsInt64(r[1])});
    return out;
  }
  /// A portal property of every live record, by id.
  std::map<int64_t, std::string> PortalValues(ObjectType t, const std::string& prop) const {
    std::map<int64_t, std::string> out;
    const auto idx = Portal().Table(t).Props().Find(prop);
    for (const auto& r : Portal().Table(t).Records()) {
      if (r.archived) continue;
      out[r.id] = std::string(idx ? r.Get(*idx).value_or("") : "");
    }
    return out;
  }
  std::map<int64_t, std::string> WarehouseValues(const std::string& table, const std::string& column) {
    std::map<int64_t, std::string> out;
    for (const auto& r : wh_->Query("SELECT id, " + Warehouse::QuoteIdent(column) + " FROM " + T(table)).rows)
      out[warehouse::AsInt64(r[0])] = warehouse::IsNull(r[1]) ? std::string() : warehouse::ToString(r[1]);
    return out;
  }
  /// Fill the metadata tables from the portal, as a previous `revlens sync` would have.
  void LoadPortalMetadata() {
    EnsureRawTables(*wh_, schema_);
    std::vector<std::vector<Value>> props, pipelines, stages, owners;
    for (auto t : {ObjectType::kContacts, ObjectType::kCompanies, ObjectType::kDeals}) {
      const auto& reg = Portal().Table(t).Props();
      for (uint16_t i = 0; i < reg.Size(); ++i) {
        const auto& d = reg.Def(i);
        std::string options = "[";
        for (const auto& o : d.options) {
          auto esc = [](std::string s) {
            std::string out;
            for (char c : s) out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
            return out;
          };
          options += (options.size() > 1 ? "," : "") + std::string("{\"label\":\"") + esc(o.label) + "\",\"value\":\"" +
                     esc(o.value) + "\"}";
        }
        options += "]";
        props.push_back({Value{std::string(emulator::ObjectTypeName(t))}, Value{d.name}, Value{d.label}, Value{d.type},
                         Value{d.field_type}, Value{d.group_name}, Value{d.description}, Value{options},
                         Value{d.hubspot_defined}, Value{d.calculated}, Value{d.archived},
                         Value{PropertyColumn(d.name)}});
      }
    }
    for (const auto& p : Portal().deal_pipelines) {
      pipelines.push_back({Value{"deals"}, Value{p.id}, Value{p.label}, Value{int64_t{p.display_order}}, Value{false},
                           Value{}, Value{}});
      for (const auto& s : p.stages)
        stages.push_back({Value{"deals"}, Value{p.id}, Value{s.id}, Value{s.label}, Value{int64_t{s.display_order}},
                          Value{s.probability}, Value{s.is_closed}, Value{false}});
    }
    for (const auto& o : Portal().owners)
      owners.push_back({Value{o.id}, Value{o.user_id}, Value{o.email}, Value{o.first_name}, Value{o.last_name}, Value{},
                        Value{}, Value{o.archived}, Value{}});
    wh_->BulkLoad(schema_, "properties", PropertyColumns(), props);
    wh_->BulkLoad(schema_, "pipelines", PipelineColumns(), pipelines);
    wh_->BulkLoad(schema_, "pipeline_stages", PipelineStageColumns(), stages);
    wh_->BulkLoad(schema_, "owners", OwnerColumns(), owners);
  }

  std::unique_ptr<Warehouse> wh_;
  std::string schema_;
  ExportImportOptions opts_;
};

TEST_P(ImportTest, ExportsLoadEveryLiveRecordAssociationAndStageDate) {
  ImportAll();
  EXPECT_EQ(Count("contacts"), Live(ObjectType::kContacts));
  EXPECT_EQ(Count("companies"), Live(ObjectType::kCompanies));
  EXPECT_EQ(Count("deals"), Live(ObjectType::kDeals));
  EXPECT_EQ(Count("contacts", "is_deleted"), 0);
  EXPECT_EQ(Count("quarantine"), 0);

  EXPECT_EQ(WarehouseEdges("contacts", "companies"), PortalEdges(ObjectType::kContacts, ObjectType::kCompanies));
  EXPECT_EQ(WarehouseEdges("deals", "contacts"), PortalEdges(ObjectType::kDeals, ObjectType::kContacts));
  EXPECT_EQ(WarehouseEdges("deals", "companies"), PortalEdges(ObjectType::kDeals, ObjectType::kCompanies));
  EXPECT_GT(Count("associations"), 0);
  EXPECT_EQ(Count("associations", "category <> 'HUBSPOT_DEFINED' OR label IS NOT NULL"), 0);
  EXPECT_EQ(Count("associations", "from_type = 'contacts' AND type_id <> 279"), 0);
  EXPECT_EQ(Count("associations", "from_type = 'deals' AND to_type = 'contacts' AND type_id <> 3"), 0);

  // One dealstage history row per stage date the portal's live deals have.
  int64_t stage_dates = 0;
  for (const auto& r : Portal().Table(ObjectType::kDeals).Records()) {
    if (r.archived) continue;
    for (const auto& [p, v] : r.props)
      stage_dates +=
          Portal().Table(ObjectType::kDeals).Props().Def(p).name.starts_with("hs_date_entered_") && !v.empty();
  }
  EXPECT_GT(stage_dates, 0);
  EXPECT_EQ(Count("property_history", "object_type = 'deals' AND property = 'dealstage'"), stage_dates);
  EXPECT_GT(Count("property_history", "object_type = 'contacts' AND property = 'lifecyclestage'"), 0);

  // Option labels map back to values through HubSpot's defaults; plain text arrives as is.
  EXPECT_EQ(WarehouseValues("contacts", "lifecyclestage"), PortalValues(ObjectType::kContacts, "lifecyclestage"));
  EXPECT_EQ(WarehouseValues("contacts", "email"), PortalValues(ObjectType::kContacts, "email"));
  const auto names = WarehouseValues("companies", "name");
  EXPECT_EQ(names, PortalValues(ObjectType::kCompanies, "name"));
  EXPECT_EQ(std::count_if(names.begin(), names.end(), [](const auto& kv) { return kv.second == kCommaCompany; }), 1);

  // Times are the portal's, read in its zone, to the minute the export prints (DST's repeated hour may be
  // read as its first occurrence).
  auto created = wh_->Query("SELECT id, created_at FROM " + T("deals"));
  const auto& deals = Portal().Table(ObjectType::kDeals);
  int64_t exact = 0;
  for (const auto& r : created.rows) {
    const auto* d = deals.Find(warehouse::AsInt64(r[0]));
    ASSERT_NE(d, nullptr);
    const int64_t got_ms = std::get<warehouse::Timestamp>(r[1]).micros / 1000;
    const int64_t want_ms = FloorDiv(d->created_ms, 60000) * 60000;
    EXPECT_TRUE(got_ms == want_ms || got_ms == want_ms - 3600000) << d->id << ": " << got_ms << " vs " << want_ms;
    exact += got_ms == want_ms;
  }
  EXPECT_GE(exact, static_cast<int64_t>(created.rows.size()) - 3);
}

TEST_P(ImportTest, MetadataFromAPreviousSyncMapsStagesOwnersAndOptionsToTheirIds) {
  LoadPortalMetadata();
  const int64_t metadata_rows = Count("properties");
  ImportAll();
  EXPECT_EQ(Count("properties"), metadata_rows) << "every export label is a known property";
  for (const char* prop : {"dealstage", "pipeline", "hubspot_owner_id", "dealtype", "competitor"})
    EXPECT_EQ(WarehouseValues("deals", prop), PortalValues(ObjectType::kDeals, prop)) << prop;
  EXPECT_EQ(WarehouseValues("companies", "industry"), PortalValues(ObjectType::kCompanies, "industry"));
  EXPECT_EQ(WarehouseValues("contacts", "hubspot_owner_id"), PortalValues(ObjectType::kContacts, "hubspot_owner_id"));
  // Stage dates land in the API's own columns and history values are stage ids.
  const auto cols = wh_->Columns(schema_, "deals");
  EXPECT_TRUE(std::any_of(cols.begin(), cols.end(), [](const auto& c) {
    return c.name == "hs_date_entered_closedwon" && c.type == warehouse::ColumnType::kTimestamp;
  }));
  std::set<std::string> stage_ids;
  for (const auto& p : Portal().deal_pipelines)
    for (const auto& s : p.stages) stage_ids.insert(s.id);
  auto hist = wh_->Query("SELECT DISTINCT value FROM " + T("property_history") + " WHERE property = 'dealstage'");
  ASSERT_GT(hist.RowCount(), 3u);
  for (const auto& r : hist.rows) EXPECT_TRUE(stage_ids.count(warehouse::AsString(r[0]))) << warehouse::AsString(r[0]);
}

TEST_P(ImportTest, ImportingTwiceLeavesTheSameRows) {
  ImportAll();
  const std::vector<std::string> tables = {"contacts",         "companies",  "deals",     "associations",
                                           "property_history", "properties", "quarantine"};
  std::map<std::string, int64_t> counts;
  for (const auto& t : tables) {
    counts[t] = Count(t);
    std::string cols;
    for (const auto& c : wh_->Columns(schema_, t))
      if (c.name != "synced_at" && c.name != "quarantined_at")
        cols += (cols.empty() ? "" : ", ") + Warehouse::QuoteIdent(c.name);
    wh_->Execute("CREATE TABLE " + T("snap_" + t) + " AS SELECT " + cols + " FROM " + T(t));
  }
  ImportAll();
  for (const auto& t : tables) {
    EXPECT_EQ(Count(t), counts[t]) << t;
    std::string cols;
    for (const auto& c : wh_->Columns(schema_, "snap_" + t))
      cols += (cols.empty() ? "" : ", ") + Warehouse::QuoteIdent(c.name);
    const auto diff = [&](const std::string& a, const std::string& b) {
      return wh_
          ->Query("SELECT count(*) FROM (SELECT " + cols + " FROM " + T(a) + " EXCEPT SELECT " + cols + " FROM " +
                  T(b) + ") d")
          .Scalar<int64_t>();
    };
    EXPECT_EQ(diff(t, "snap_" + t), 0) << t;
    EXPECT_EQ(diff("snap_" + t, t), 0) << t;
  }
  EXPECT_EQ(wh_->Query("SELECT count(DISTINCT id) FROM " + T("contacts")).Scalar<int64_t>(), Count("contacts"));
}

TEST_P(ImportTest, MalformedRowsAreQuarantinedAndTheRestLoads) {
  const fs::path bad = Shared().dir / ("deals_bad_" + UniqueSuffix() + ".csv");
  WriteText(bad,
            "Record ID,Deal Name,Deal Stage,Amount,Close Date,Associated Company IDs\n"
            "101,\"Good, one\",Closed Won,1200,2024-03-01 14:05,7;8\n"
            "102,Short row,Closed Won\n"
            "abc,Bad id,Closed Lost,5,2024-03-02,\n"
            "104,Bad amount,Closed Lost,lots,2024-03-02,\n"
            "105,\"Also good\",Contract Sent,,,\n");
  const std::string name = bad.filename().string();
  for (int run = 0; run < 2; ++run) {
    auto r = ImportHubSpotExport(*wh_, bad.string(), opts_);
    EXPECT_EQ(r.object_type, "deals");
    EXPECT_EQ(r.records, 2);
    EXPECT_EQ(r.quarantined, 3);
    EXPECT_EQ(Count("deals"), 2);
    EXPECT_EQ(Count("quarantine"), 3) << "a rerun replaces the file's quarantine rows";
  }
  auto q = wh_->Query("SELECT record_id, reason, payload FROM " + T("quarantine") + " ORDER BY reason");
  ASSERT_EQ(q.RowCount(), 3u);
  EXPECT_EQ(warehouse::AsString(q.rows[0][1]), name + ":3: 3 fields, the header has 6");
  EXPECT_EQ(warehouse::AsString(q.rows[0][2]), "102,Short row,Closed Won");
  EXPECT_EQ(warehouse::AsString(q.rows[1][1]), name + ":4: Record ID 'abc' is not a positive integer");
  EXPECT_EQ(warehouse::AsString(q.rows[2][1]), name + ":5: column 'Amount': 'lots' is not a number");
  EXPECT_EQ(WarehouseValues("deals", "dealname").at(101), "Good, one");
  EXPECT_EQ(WarehouseValues("deals", "dealstage").at(101), "closedwon") << "HubSpot's default pipeline stage";
  EXPECT_EQ(Count("associations", "from_type = 'deals' AND from_id = 101"), 2);
  // The portal zone is America/New_York: 14:05 EST is 19:05 UTC.
  EXPECT_EQ(WarehouseValues("deals", "closedate").at(101), "2024-03-01 19:05:00.000000");
  fs::remove(bad);
}

TEST_P(ImportTest, AFileThatIsNotAnExportIsOneClearError) {
  const fs::path other = Shared().dir / ("other_" + UniqueSuffix() + ".csv");
  WriteText(other, "name,value\nfoo,1\n");
  try {
    ImportHubSpotExport(*wh_, other.string(), opts_);
    FAIL() << "expected InvalidInputError";
  } catch (const InvalidInputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("is not a HubSpot export"), std::string::npos) << msg;
    EXPECT_NE(msg.find("Record ID"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  EXPECT_THROW(ImportHubSpotExport(*wh_, (Shared().dir / "missing.csv").string(), opts_), IOError);
  fs::remove(other);
}

TEST_P(ImportTest, AssociationNamesResolveAgainstImportedCompanies) {
  ImportHubSpotExport(*wh_, Path("companies.csv"), opts_);
  // An older export: company names instead of ids; one name is unknown.
  const auto companies = WarehouseValues("companies", "name");
  auto it = std::find_if(companies.begin(), companies.end(), [](const auto& kv) { return kv.second != kCommaCompany; });
  ASSERT_NE(it, companies.end());
  const fs::path old = Shared().dir / ("contacts_old_" + UniqueSuffix() + ".csv");
  WriteText(old,
            "Record ID,First Name,Last Name,Email,Associated Company\n"
            "990001,Ada,Lovelace,ada@example.com,\"" +
                it->second +
                "\"\n"
                "990002,Alan,Turing,alan@example.com,No Such Company Ltd\n");
  auto r = ImportHubSpotExport(*wh_, old.string(), opts_);
  EXPECT_EQ(r.records, 2);
  auto edges = WarehouseEdges("contacts", "companies");
  std::erase_if(edges, [](const auto& e) { return e.first < 990000; });
  EXPECT_EQ(edges, (std::set<std::pair<int64_t, int64_t>>{{990001, it->first}}));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("1 associated companies names matched no single record"), std::string::npos)
      << r.warnings[0];
  fs::remove(old);
}

TEST_P(ImportTest, CustomColumnsBecomeSnakeCaseTextProperties) {
  const fs::path f = Shared().dir / ("contacts_custom_" + UniqueSuffix() + ".csv");
  WriteText(f, "Record ID,Email,Favourite Colour,Lifecycle Stage\n1,a@x.com,Teal,Customer\n");
  auto r = ImportHubSpotExport(*wh_, f.string(), opts_);
  EXPECT_EQ(r.custom_properties, std::vector<std::string>{"Favourite Colour"});
  EXPECT_EQ(WarehouseValues("contacts", "favourite_colour").at(1), "Teal");
  EXPECT_EQ(WarehouseValues("contacts", "lifecyclestage").at(1), "customer");
  EXPECT_EQ(Count("properties", "object_type = 'contacts' AND name = 'favourite_colour' AND NOT hubspot_defined"), 1);
  fs::remove(f);
}

TEST_P(ImportTest, ProductUsageFromCsvAndParquetReplacesPerFile) {
  const std::string csv = Path("product_usage.csv");
  const int64_t lines =
      static_cast<int64_t>(std::count(Shared().g.product_usage_csv.begin(), Shared().g.product_usage_csv.end(), '\n'));
  ASSERT_GT(lines, 10);
  auto r1 = ImportProductUsage(*wh_, csv, schema_);
  EXPECT_EQ(r1.rows, lines - 1);
  EXPECT_EQ(r1.rejected, 0);
  auto r2 = ImportProductUsage(*wh_, csv, schema_);
  EXPECT_EQ(r2.replaced, r1.rows);
  EXPECT_EQ(Count("product_usage"), r1.rows) << "reloading a file replaces its rows";
  EXPECT_EQ(Count("product_usage", "hubspot_contact_id IS NULL OR seats IS NULL OR event_date IS NULL"), 0);

  // A Parquet file written by DuckDB: typed columns, an extra column, no `seats`, and one row without a user.
  const fs::path parquet = Shared().dir / ("usage_" + UniqueSuffix() + ".parquet");
  {
    auto duck = warehouse::OpenWarehouse("duckdb://:memory:");
    duck->Execute(
        "COPY (SELECT CAST(event_date AS DATE) AS event_date, user_id, email, account_domain, "
        "CAST(hubspot_contact_id AS BIGINT) AS hubspot_contact_id, CAST(logins AS INTEGER) AS logins, "
        "CAST(key_feature_uses AS BIGINT) AS key_feature_uses, 'pro' AS plan FROM read_csv(" +
        Warehouse::QuoteLiteral(csv) +
        ", header = true, all_varchar = true) "
        "UNION ALL SELECT DATE '2026-01-01', NULL, NULL, 'x.com', NULL, 1, 1, 'pro') TO " +
        Warehouse::QuoteLiteral(parquet.string()) + " (FORMAT parquet)");
  }
  auto p = ImportProductUsage(*wh_, parquet.string(), schema_);
  EXPECT_EQ(p.format, "parquet");
  EXPECT_EQ(p.rows, r1.rows);
  EXPECT_EQ(p.rejected, 1);
  EXPECT_EQ(Count("product_usage"), 2 * r1.rows);
  EXPECT_EQ(Count("product_usage", "source_file = " + Warehouse::QuoteLiteral(p.source_file) + " AND seats IS NULL"),
            r1.rows);
  EXPECT_EQ(Count("quarantine", "resource LIKE 'product_usage:%'"), 1);
  // Both files hold the same events: same totals.
  auto sums =
      wh_->Query("SELECT source_file, sum(logins), sum(key_feature_uses), count(DISTINCT hubspot_contact_id) FROM " +
                 T("product_usage") + " GROUP BY source_file ORDER BY source_file");
  ASSERT_EQ(sums.RowCount(), 2u);
  for (size_t c = 1; c < 4; ++c) EXPECT_EQ(warehouse::AsInt64(sums.rows[0][c]), warehouse::AsInt64(sums.rows[1][c]));

  const fs::path not_usage = Shared().dir / ("nousage_" + UniqueSuffix() + ".csv");
  WriteText(not_usage, "day,visitor\n2026-01-01,u1\n");
  EXPECT_THROW(ImportProductUsage(*wh_, not_usage.string(), schema_), InvalidInputError);
  EXPECT_TRUE(LooksLikeProductUsage(csv));
  EXPECT_FALSE(LooksLikeProductUsage(Path("deals.csv")));
  fs::remove(parquet);
  fs::remove(not_usage);
}

INSTANTIATE_TEST_SUITE_P(Engines, ImportTest, ::testing::Values(Engine::kDuckDb, Engine::kPostgres),
                         [](const auto& info) { return info.param == Engine::kDuckDb ? "DuckDb" : "Postgres"; });

}  // namespace
}  // namespace revlens::sync
