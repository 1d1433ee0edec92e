// The three landing formats build the same marts. One small portal is served and synced into revlens's own layout
// and built (tests/support/portal_fixture.hpp); the same generated portal is landed in Fivetran's and in Airbyte's
// shape (src/emulator/landing) and built with landing_format fivetran / airbyte. Every build and every data test
// must pass, each format's staging models must have the canonical columns, and every mart must be identical to
// the revlens build's: same columns and types, same row count, and an EXCEPT ALL diff both ways that returns no
// rows. Also: owner_performance_weekly adds up to owner_performance. The same bodies run on DuckDB and PostgreSQL.
#include "emulator/landing/landing.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "emulator/generator/generator.hpp"
#include "models/runner.hpp"
#include "portal_fixture.hpp"
#include "sync/product_usage.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::landing {
namespace {

namespace fs = std::filesystem;
using testing::BuiltPortal;
using warehouse::Warehouse;

const std::vector<std::string> kMarts = {"deals",       "deal_stage_history", "daily_pipeline_snapshot",
                                         "engagements", "companies",          "contacts",
                                         "funnel",      "owner_performance",  "owner_performance_weekly"};

const std::vector<std::string> kStaging = {"stg_hubspot__contacts",
                                           "stg_hubspot__companies",
                                           "stg_hubspot__deals",
                                           "stg_hubspot__engagements",
                                           "stg_hubspot__associations",
                                           "stg_hubspot__deal_property_history",
                                           "stg_hubspot__deal_stage_history",
                                           "stg_hubspot__contact_lifecycle_history",
                                           "stg_hubspot__owners",
                                           "stg_hubspot__pipeline_stages",
                                           "stg_hubspot__product_usage",
                                           "stg_hubspot__deleted_records"};

/// Drops the schemas it was given when it goes out of scope.
class SchemaGuard {
 public:
  SchemaGuard(Warehouse& wh, std::vector<std::string> schemas) : wh_(wh), schemas_(std::move(schemas)) {}
  ~SchemaGuard() {
    for (const auto& s : schemas_) {
      try {
        wh_.DropSchema(s);
      } catch (const std::exception&) {
        // Best effort: uniquely named schemas left behind never fail a run.
      }
    }
  }
  SchemaGuard(const SchemaGuard&) = delete;
  SchemaGuard& operator=(const SchemaGuard&) = delete;

 private:
  Warehouse& wh_;
  std::vector<std::string> schemas_;
};

/// Removes a file when it goes out of scope.
struct TempFile {
  fs::path path;
  ~TempFile() {
    std::error_code ec;
    fs::remove(path, ec);
  }
};

std::map<std::string, warehouse::ColumnType> ColumnTypes(Warehouse& wh, const std::string& schema,
                                                         const std::string& table) {
  std::map<std::string, warehouse::ColumnType> out;
  for (const auto& c : wh.Columns(schema, table)) out[c.name] = c.type;
  return out;
}

std::string Names(const std::map<std::string, warehouse::ColumnType>& cols) {
  std::string s;
  for (const auto& [n, t] : cols) s += n + ":" + std::string(warehouse::ColumnTypeName(t)) + " ";
  return s;
}

/// A few rows of `a` EXCEPT ALL `b` for the failure message.
std::string Sample(Warehouse& wh, const std::string& diff_sql) {
  auto rs = wh.Query("SELECT * FROM (" + diff_sql + ") AS d LIMIT 3");
  std::string s;
  for (const auto& row : rs.rows) {
    s += "\n   ";
    for (size_t i = 0; i < row.size(); ++i) s += " " + rs.columns[i].name + "=" + warehouse::ToString(row[i]);
  }
  return s;
}

/// Expect `mart` in schema `got` to equal it in schema `want`: columns and types, row count, EXCEPT ALL both ways.
void ExpectSameMart(Warehouse& wh, const std::string& want, const std::string& got, const std::string& mart,
                    const std::string& format) {
  SCOPED_TRACE(format + " mart " + mart);
  const auto want_cols = ColumnTypes(wh, want, mart);
  const auto got_cols = ColumnTypes(wh, got, mart);
  ASSERT_FALSE(want_cols.empty());
  ASSERT_EQ(Names(want_cols), Names(got_cols));
  std::string list;
  for (const auto& [n, t] : want_cols) list += (list.empty() ? "" : ", ") + Warehouse::QuoteIdent(n);
  const std::string a = Warehouse::QualifiedName(want, mart), b = Warehouse::QualifiedName(got, mart);
  const auto count = [&](const std::string& rel) { return wh.Query("SELECT COUNT(*) FROM " + rel).Scalar<int64_t>(); };
  const int64_t rows = count(a);
  EXPECT_GT(rows, 0);
  EXPECT_EQ(rows, count(b));
  const std::string only_want = "SELECT " + list + " FROM " + a + " EXCEPT ALL SELECT " + list + " FROM " + b;
  const std::string only_got = "SELECT " + list + " FROM " + b + " EXCEPT ALL SELECT " + list + " FROM " + a;
  const int64_t missing = wh.Query("SELECT COUNT(*) FROM (" + only_want + ") AS d").Scalar<int64_t>();
  const int64_t extra = wh.Query("SELECT COUNT(*) FROM (" + only_got + ") AS d").Scalar<int64_t>();
  EXPECT_EQ(missing, 0) << "rows of the revlens build missing from the " << format
                        << " build:" << Sample(wh, only_want);
  EXPECT_EQ(extra, 0) << "rows of the " << format << " build not in the revlens build:" << Sample(wh, only_got);
}

class LandingFormats : public ::testing::TestWithParam<std::string> {};

TEST_P(LandingFormats, BuildTheSameMartsAsRevlensLayout) {
  const auto options = testing::TestPortalOptions("small");
  auto fx = BuiltPortal::Create(GetParam(), options);
  if (!fx) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is unset";
  Warehouse& wh = fx->Wh();

  // The same portal again (generation is deterministic), landed as the connectors would have landed it at the
  // moment revlens synced it: the load time is part of the marts (synced_at).
  const auto g = emulator::GeneratePortal(options);
  const auto synced = wh.Query("SELECT MAX(synced_at) FROM " + Warehouse::QualifiedName(fx->RawSchema(), "contacts"))
                          .Scalar<warehouse::Timestamp>();
  // owner_performance_weekly spreads owner_performance over weeks: wins, losses and bookings (closed by the as-of
  // date) add up to the owner's; activities too, except those dated after the as-of week.
  const auto weekly = wh.Query(
      "SELECT o.owner_id, o.won_deals, o.lost_deals, o.bookings_amount, o.engagements_total, "
      "COALESCE(SUM(w.won_deals), 0), COALESCE(SUM(w.lost_deals), 0), "
      "COALESCE(SUM(w.bookings_amount), 0), COALESCE(SUM(w.engagements), 0) FROM " +
      fx->T("owner_performance") + " AS o LEFT JOIN " + fx->T("owner_performance_weekly") +
      " AS w ON w.owner_id = o.owner_id GROUP BY o.owner_id, o.won_deals, o.lost_deals, "
      "o.bookings_amount, o.engagements_total");
  ASSERT_GT(weekly.RowCount(), 0u);
  for (const auto& r : weekly.rows) {
    EXPECT_EQ(warehouse::AsInt64(r[1]), warehouse::AsInt64(r[5])) << "owner " << warehouse::ToString(r[0]);
    EXPECT_EQ(warehouse::AsInt64(r[2]), warehouse::AsInt64(r[6])) << "owner " << warehouse::ToString(r[0]);
    EXPECT_DOUBLE_EQ(warehouse::AsDouble(r[3]), warehouse::AsDouble(r[7])) << "owner " << warehouse::ToString(r[0]);
    EXPECT_LE(warehouse::AsInt64(r[8]), warehouse::AsInt64(r[4])) << "owner " << warehouse::ToString(r[0]);
  }

  const std::string suffix = testing::UniqueSuffix();
  TempFile usage{fs::temp_directory_path() / ("revlens_landing_usage_" + suffix + ".csv")};
  std::ofstream(usage.path, std::ios::binary) << g.product_usage_csv;

  for (const LandingFormat format : {LandingFormat::kFivetran, LandingFormat::kAirbyte}) {
    const std::string name(LandingFormatName(format));
    SCOPED_TRACE(name);
    const std::string raw = "fx_" + name + "_raw_" + suffix, target = "fx_" + name + "_" + suffix;
    SchemaGuard guard(wh, {target, raw});

    LandOptions lo;
    lo.format = format;
    lo.schema = raw;
    lo.synced_at = synced;
    const LandSummary landed = LandPortal(wh, *g.portal, lo);
    EXPECT_EQ(landed.unconvertible_values, 0);
    EXPECT_GT(landed.total_rows, 10000);
    sync::ImportProductUsage(wh, usage.path.string(), raw);

    models::BuildOptions b;
    b.project_dir = testing::RepoSqlDir().string();
    b.target_schema = target;
    b.raw_schema = raw;
    b.landing_format = name;
    b.vars["as_of_date"] = models::JinjaValue::String(fx->AnchorDate());
    const auto vars = PassThroughVars(wh, raw, format);
    ASSERT_EQ(vars.size(), 3u);
    for (const auto& [k, v] : vars) b.vars[k] = models::JinjaValue::String(v);
    const models::BuildReport report = models::Build(wh, b);
    std::string failures;
    for (const auto& l : report.FailureLines()) failures += "\n  " + l;
    ASSERT_TRUE(report.Ok()) << name << " build failed:" << failures;
    ASSERT_EQ(report.models.size(), fx->Report().models.size());
    ASSERT_FALSE(report.tests.empty());
    for (const auto& t : report.tests) EXPECT_EQ(t.status, "pass") << t.name << " on " << t.model;
    for (const auto& f : report.freshness) EXPECT_EQ(f.status, "pass") << f.source;

    for (const auto& stg : kStaging) {
      SCOPED_TRACE(stg);
      EXPECT_EQ(Names(ColumnTypes(wh, fx->ModelSchema(), stg)), Names(ColumnTypes(wh, target, stg)));
    }
    for (const auto& mart : kMarts) ExpectSameMart(wh, fx->ModelSchema(), target, mart, name);
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, LandingFormats, ::testing::Values("duckdb", "postgres"));

// Landing is a replace: a second landing in the same schema leaves the same tables and rows.
TEST(Landing, ReplacesWhatItLanded) {
  const std::string suffix = testing::UniqueSuffix();
  auto wh = warehouse::OpenWarehouse("duckdb://:memory:");
  auto options = testing::TestPortalOptions("small");
  options.contacts = 300;
  const auto g = emulator::GeneratePortal(options);
  for (const LandingFormat format : {LandingFormat::kFivetran, LandingFormat::kAirbyte}) {
    LandOptions lo;
    lo.format = format;
    lo.schema = "land_" + std::string(LandingFormatName(format));
    const LandSummary first = LandPortal(*wh, *g.portal, lo);
    const LandSummary second = LandPortal(*wh, *g.portal, lo);
    EXPECT_EQ(first.rows, second.rows);
    for (const auto& [table, n] : second.rows) {
      EXPECT_EQ(wh->Query("SELECT COUNT(*) FROM " + Warehouse::QualifiedName(lo.schema, table)).Scalar<int64_t>(), n)
          << table;
    }
  }
  EXPECT_EQ(ParseLandingFormat("Fivetran"), LandingFormat::kFivetran);
  EXPECT_EQ(ParseLandingFormat("airbyte"), LandingFormat::kAirbyte);
  EXPECT_FALSE(ParseLandingFormat("stitch").has_value());
}

}  // namespace
}  // namespace revlens::landing
