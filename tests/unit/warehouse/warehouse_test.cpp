// The same test bodies run against DuckDB (in memory and in a file) and PostgreSQL (REVLENS_TEST_POSTGRES_URL).
#include "warehouse/warehouse.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "core/config.hpp"

namespace revlens::warehouse {
namespace {

namespace fs = std::filesystem;

std::string UniqueSuffix() {
  static std::atomic<int> counter{0};
  const auto ns = std::chrono::steady_clock::now().time_since_epoch().count();
  return std::to_string(::getpid()) + "_" + std::to_string(ns % 1000000007) + "_" + std::to_string(counter++);
}

std::optional<std::string> PostgresUrl() {
  const char* url = std::getenv("REVLENS_TEST_POSTGRES_URL");
  if (!url || !*url) return std::nullopt;
  return std::string(url);
}

enum class Engine { kDuckMemory, kDuckFile, kPostgres };

std::string EngineName(const ::testing::TestParamInfo<Engine>& info) {
  switch (info.param) {
    case Engine::kDuckMemory:
      return "DuckDbMemory";
    case Engine::kDuckFile:
      return "DuckDbFile";
    case Engine::kPostgres:
      return "Postgres";
  }
  return "Unknown";
}

/// Opens the engine under test and gives each test its own schema, dropped afterwards.
class WarehouseTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    switch (GetParam()) {
      case Engine::kDuckMemory:
        wh_ = OpenWarehouse("duckdb://:memory:");
        break;
      case Engine::kDuckFile:
        file_ = fs::temp_directory_path() / ("revlens_wh_" + UniqueSuffix() + ".duckdb");
        wh_ = OpenWarehouse("duckdb://" + file_.string());
        break;
      case Engine::kPostgres: {
        auto url = PostgresUrl();
        if (!url) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set; skipping PostgreSQL";
        wh_ = OpenWarehouse(*url);
        break;
      }
    }
    schema_ = "revlens_test_" + UniqueSuffix();
    wh_->CreateSchema(schema_);
  }

  void TearDown() override {
    if (wh_) {
      wh_->DropSchema(schema_);
      wh_.reset();
    }
    if (!file_.empty()) {
      fs::remove(file_);
      fs::remove(file_.string() + ".wal");
    }
  }

  std::string Table(const std::string& name) const { return Warehouse::QualifiedName(schema_, name); }

  std::unique_ptr<Warehouse> wh_;
  std::string schema_;
  fs::path file_;
};

const std::vector<Column> kAllTypes = {
    {"t", ColumnType::kText},       {"i", ColumnType::kBigInt}, {"d", ColumnType::kDouble}, {"b", ColumnType::kBoolean},
    {"ts", ColumnType::kTimestamp}, {"dt", ColumnType::kDate},  {"j", ColumnType::kJson},
};

/// Rows that exercise every type, NULLs, escapes and unicode; the first column orders them.
std::vector<std::vector<Value>> TrickyRows() {
  return {
      {std::string("plain"), int64_t{0}, 0.1, true, Timestamp{1732133529236123}, Date{20047},
       std::string(R"({"a": 1, "b": [true, null]})")},
      {std::string("tab\there, newline\nthere, cr\rback\\slash \\N \\. and 'quote' \"dq\""),
       int64_t{-9223372036854775807}, -1.5e300, false, Timestamp{-1}, Date{-1}, std::string("[]")},
      {std::string("unicode: Zoë — 東京 🚀"), int64_t{9223372036854775807}, 2.0, true, Timestamp{0}, Date{0},
       std::string(R"({"k": "v\tw"})")},
      {std::string("x-nulls"), Value{}, Value{}, Value{}, Value{}, Value{}, Value{}},
      {std::string(""), int64_t{42}, 0.30000000000000004, false, Timestamp{253402300799999999}, Date{2932896}, std::string("null")},
  };
}

void ExpectRowsEqual(const ResultSet& rs, const std::vector<std::vector<Value>>& want) {
  ASSERT_EQ(rs.RowCount(), want.size());
  for (size_t r = 0; r < want.size(); ++r) {
    ASSERT_EQ(rs.rows[r].size(), want[r].size());
    for (size_t c = 0; c < want[r].size(); ++c)
      EXPECT_EQ(rs.rows[r][c], want[r][c]) << "row " << r << " column " << rs.columns[c].name << ": got "
                                           << ToString(rs.rows[r][c]) << ", want " << ToString(want[r][c]);
  }
}

TEST_P(WarehouseTest, ExecuteAndQueryRoundTripEveryType) {
  wh_->CreateTable(schema_, "all_types", kAllTypes);
  const auto rows = TrickyRows();
  for (const auto& row : rows) {
    std::string sql = "INSERT INTO " + Table("all_types") + " VALUES (";
    for (size_t c = 0; c < row.size(); ++c) {
      if (c) sql += ", ";
      sql += Warehouse::Literal(row[c]);
    }
    wh_->Execute(sql + ")");
  }
  const ResultSet rs = wh_->Query("SELECT * FROM " + Table("all_types") + " ORDER BY i NULLS LAST, t");
  ASSERT_EQ(rs.columns, kAllTypes);
  // Ordered by i: min, 0, 42, max, NULL.
  ExpectRowsEqual(rs, {rows[1], rows[0], rows[4], rows[2], rows[3]});
}

TEST_P(WarehouseTest, BulkLoadRoundTripsEscapesAndNulls) {
  wh_->CreateTable(schema_, "all_types", kAllTypes);
  const auto rows = TrickyRows();
  wh_->BulkLoad(schema_, "all_types", kAllTypes, rows);
  const ResultSet rs = wh_->Query("SELECT * FROM " + Table("all_types") + " ORDER BY i NULLS LAST, t");
  ExpectRowsEqual(rs, {rows[1], rows[0], rows[4], rows[2], rows[3]});
  // The JSON column is real JSON on both engines.
  EXPECT_EQ(wh_->Query("SELECT count(*) FROM " + Table("all_types") + " WHERE j IS NOT NULL").Scalar<int64_t>(), 4);
}

TEST_P(WarehouseTest, BulkLoadHundredThousandRowsCountAndChecksum) {
  const std::vector<Column> cols = {{"id", ColumnType::kBigInt},           {"name", ColumnType::kText},
                                    {"amount", ColumnType::kDouble},       {"won", ColumnType::kBoolean},
                                    {"closed_at", ColumnType::kTimestamp}, {"close_date", ColumnType::kDate}};
  wh_->CreateTable(schema_, "deals", cols);
  constexpr int64_t kRows = 100000;
  std::vector<std::vector<Value>> rows;
  rows.reserve(kRows);
  int64_t sum_id = 0, sum_len = 0, won = 0, nulls = 0;
  double sum_amount = 0;
  for (int64_t i = 0; i < kRows; ++i) {
    std::string name = "deal " + std::to_string(i) + (i % 7 == 0 ? "\twith\\tab" : "");
    const double amount = static_cast<double>(i % 1000) * 0.25;
    sum_id += i;
    sum_len += static_cast<int64_t>(name.size());
    sum_amount += amount;
    won += i % 3 == 0;
    nulls += i % 11 == 0;
    auto& row = rows.emplace_back();
    row.reserve(cols.size());
    row.emplace_back(i);
    row.emplace_back(std::move(name));
    row.emplace_back(amount);
    row.emplace_back(i % 3 == 0);
    if (i % 11 == 0)
      row.emplace_back();
    else
      row.emplace_back(Timestamp{1700000000000000 + i * 1000000});
    row.emplace_back(Date{static_cast<int32_t>(19000 + i % 365)});
  }
  wh_->BulkLoad(schema_, "deals", cols, rows);
  const ResultSet rs = wh_->Query(
      "SELECT count(*) AS n, sum(id) AS sum_id, sum(length(name)) AS sum_len, sum(amount) AS sum_amount, "
      "sum(CASE WHEN won THEN 1 ELSE 0 END) AS won, sum(CASE WHEN closed_at IS NULL THEN 1 ELSE 0 END) AS nulls, "
      "max(closed_at) AS max_ts, min(close_date) AS min_date FROM " +
      Table("deals"));
  EXPECT_EQ(AsInt64(rs.At(0, "n")), kRows);
  EXPECT_EQ(AsInt64(rs.At(0, "sum_id")), sum_id);
  EXPECT_EQ(AsInt64(rs.At(0, "sum_len")), sum_len);
  EXPECT_NEAR(AsDouble(rs.At(0, "sum_amount")), sum_amount, 1e-6);
  EXPECT_EQ(AsInt64(rs.At(0, "won")), won);
  EXPECT_EQ(AsInt64(rs.At(0, "nulls")), nulls);
  EXPECT_EQ(rs.At(0, "max_ts"), Value(Timestamp{1700000000000000 + (kRows - 1) * 1000000}));
  EXPECT_EQ(rs.At(0, "min_date"), Value(Date{19000}));
}

TEST_P(WarehouseTest, BulkLoadIntoSubsetOfColumnsAndWiderTypes) {
  wh_->Execute("CREATE TABLE " + Table("t") +
               " (id INTEGER, label VARCHAR(20) DEFAULT 'none', score DOUBLE PRECISION)");
  wh_->BulkLoad(schema_, "t", {{"score", ColumnType::kDouble}, {"id", ColumnType::kBigInt}},
                {{int64_t{3}, int64_t{1}}, {0.5, int64_t{2}}});
  const ResultSet rs = wh_->Query("SELECT id, label, score FROM " + Table("t") + " ORDER BY id");
  ExpectRowsEqual(rs, {{int64_t{1}, std::string("none"), 3.0}, {int64_t{2}, std::string("none"), 0.5}});
}

TEST_P(WarehouseTest, BulkLoadRejectsMismatchedValuesBeforeWriting) {
  const std::vector<Column> cols = {{"id", ColumnType::kBigInt}, {"name", ColumnType::kText}};
  wh_->CreateTable(schema_, "t", cols);
  std::vector<std::vector<Value>> rows(5000, {int64_t{1}, std::string("ok")});
  rows.push_back({std::string("not a number"), std::string("bad")});
  try {
    wh_->BulkLoad(schema_, "t", cols, rows);
    FAIL() << "expected WarehouseError";
  } catch (const WarehouseError& e) {
    EXPECT_NE(std::string(e.what()).find("row 5000 column 'id'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(wh_->BulkLoad(schema_, "t", cols, {{int64_t{1}}}), WarehouseError);
  EXPECT_EQ(wh_->Query("SELECT count(*) FROM " + Table("t")).Scalar<int64_t>(), 0);
}

TEST_P(WarehouseTest, BulkLoadIntoMissingTableCarriesEngineMessage) {
  try {
    wh_->BulkLoad(schema_, "no_such_table", {{"id", ColumnType::kBigInt}}, {{int64_t{1}}});
    FAIL() << "expected WarehouseError";
  } catch (const WarehouseError& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_table"), std::string::npos) << e.what();
  }
  EXPECT_EQ(wh_->Query("SELECT 1").Scalar<int64_t>(), 1);
}

TEST_P(WarehouseTest, TransactionRollbackLeavesNothing) {
  {
    Transaction tx(*wh_);
    wh_->CreateTable(schema_, "t", {{"id", ColumnType::kBigInt}});
    wh_->Execute("INSERT INTO " + Table("t") + " VALUES (1), (2)");
    wh_->BulkLoad(schema_, "t", {{"id", ColumnType::kBigInt}}, {{int64_t{3}}, {int64_t{4}}});
    EXPECT_EQ(wh_->Query("SELECT count(*) FROM " + Table("t")).Scalar<int64_t>(), 4);
    // No Commit(): the guard rolls back.
  }
  EXPECT_FALSE(wh_->TableExists(schema_, "t"));

  wh_->CreateTable(schema_, "t", {{"id", ColumnType::kBigInt}});
  EXPECT_THROW(
      {
        Transaction tx(*wh_);
        wh_->BulkLoad(schema_, "t", {{"id", ColumnType::kBigInt}}, {{int64_t{1}}});
        throw WarehouseError("simulated failure mid-load");
      },
      WarehouseError);
  EXPECT_EQ(wh_->Query("SELECT count(*) FROM " + Table("t")).Scalar<int64_t>(), 0);

  {
    Transaction tx(*wh_);
    wh_->BulkLoad(schema_, "t", {{"id", ColumnType::kBigInt}}, {{int64_t{7}}});
    tx.Commit();
  }
  EXPECT_EQ(wh_->Query("SELECT sum(id) FROM " + Table("t")).Scalar<int64_t>(), 7);
}

TEST_P(WarehouseTest, ErrorsCarryEngineMessageAndDoNotPoisonTheConnection) {
  try {
    wh_->Query("SELEC 1");
    FAIL() << "expected WarehouseError";
  } catch (const WarehouseError& e) {
    EXPECT_NE(std::string(e.what()).find("syntax error"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
  EXPECT_EQ(wh_->Query("SELECT 1 + 1").Scalar<int64_t>(), 2);

  try {
    wh_->Execute("INSERT INTO " + Table("missing_table") + " VALUES (1)");
    FAIL() << "expected WarehouseError";
  } catch (const WarehouseError& e) {
    EXPECT_NE(std::string(e.what()).find("missing_table"), std::string::npos) << e.what();
  }

  // A failure inside a transaction aborts it; after a rollback the connection works again.
  wh_->CreateTable(schema_, "t", {{"id", ColumnType::kBigInt}});
  wh_->Begin();
  wh_->Execute("INSERT INTO " + Table("t") + " VALUES (1)");
  EXPECT_THROW(wh_->Execute("SELECT * FROM " + Table("missing_table")), WarehouseError);
  wh_->Rollback();
  EXPECT_EQ(wh_->Query("SELECT count(*) FROM " + Table("t")).Scalar<int64_t>(), 0);
}

TEST_P(WarehouseTest, CatalogQueries) {
  EXPECT_FALSE(wh_->TableExists(schema_, "deals"));
  EXPECT_TRUE(wh_->Columns(schema_, "deals").empty());
  wh_->CreateTable(schema_, "deals", kAllTypes);
  wh_->CreateTable(schema_, "deals", kAllTypes);  // IF NOT EXISTS
  EXPECT_TRUE(wh_->TableExists(schema_, "deals"));
  EXPECT_EQ(wh_->Columns(schema_, "deals"), kAllTypes);
  // Identifiers with quotes and mixed case survive quoting.
  wh_->CreateTable(schema_, "Odd \"Name\"", {{"Mixed Case", ColumnType::kText}});
  EXPECT_TRUE(wh_->TableExists(schema_, "Odd \"Name\""));
  EXPECT_EQ(wh_->Columns(schema_, "Odd \"Name\"").at(0).name, "Mixed Case");
  EXPECT_FALSE(wh_->TableExists(schema_ + "_other", "deals"));
}

TEST_P(WarehouseTest, AggregatesReadPortably) {
  wh_->CreateTable(schema_, "t", {{"id", ColumnType::kBigInt}, {"x", ColumnType::kDouble}});
  wh_->BulkLoad(schema_, "t", {{"id", ColumnType::kBigInt}, {"x", ColumnType::kDouble}},
                {{int64_t{1}, 0.5}, {int64_t{2}, 1.5}, {int64_t{3}, Value{}}});
  // sum(bigint) is HUGEINT on DuckDB and NUMERIC on PostgreSQL; both read as an integer.
  EXPECT_EQ(wh_->Query("SELECT sum(id) FROM " + Table("t")).Scalar<int64_t>(), 6);
  EXPECT_DOUBLE_EQ(wh_->Query("SELECT avg(id) FROM " + Table("t")).Scalar<double>(), 2.0);
  EXPECT_DOUBLE_EQ(wh_->Query("SELECT sum(x) FROM " + Table("t")).Scalar<double>(), 2.0);
  EXPECT_DOUBLE_EQ(wh_->Query("SELECT CAST(1.25 AS DECIMAL(10,2))").Scalar<double>(), 1.25);
  EXPECT_EQ(wh_->Query("SELECT 'a' AS s").Scalar<std::string>(), "a");
  EXPECT_TRUE(wh_->Query("SELECT NULL AS n").Scalar<Value>().index() == 0);
  EXPECT_THROW(wh_->Query("SELECT id FROM " + Table("t") + " WHERE id > 10").Scalar<int64_t>(), WarehouseError);
  EXPECT_THROW(wh_->Query("SELECT max(x) FROM " + Table("t") + " WHERE id > 10").Scalar<double>(), WarehouseError);
}

INSTANTIATE_TEST_SUITE_P(Engines, WarehouseTest,
                         ::testing::Values(Engine::kDuckMemory, Engine::kDuckFile, Engine::kPostgres), EngineName);

// ---- engine-specific behaviour -------------------------------------------------------------------------------

TEST(DuckDbWarehouse, FilePersistsAcrossReopen) {
  const fs::path dir = fs::temp_directory_path() / ("revlens_wh_dir_" + UniqueSuffix());
  fs::create_directories(dir);
  // duckdb:///abs/path; a file named like a schema in it (revlens.duckdb holding `revlens`) must not make
  // `revlens.table` ambiguous.
  const std::string url = "duckdb://" + (dir / "revlens.duckdb").string();
  {
    auto wh = OpenWarehouse(url);
    wh->CreateSchema("revlens");
    wh->Execute("CREATE TABLE revlens.runs AS SELECT 1 AS id");
    EXPECT_TRUE(wh->TableExists("revlens", "runs"));
    wh->CreateSchema("hubspot");
    wh->CreateTable("hubspot", "contacts", {{"id", ColumnType::kBigInt}, {"email", ColumnType::kText}});
    wh->BulkLoad("hubspot", "contacts", {{"id", ColumnType::kBigInt}, {"email", ColumnType::kText}},
                 {{int64_t{1}, std::string("a@example.com")}, {int64_t{2}, std::string("b@example.com")}});
  }
  {
    auto wh = OpenWarehouse(url);
    EXPECT_EQ(wh->Dialect(), "duckdb");
    EXPECT_EQ(wh->Query("SELECT count(*) FROM hubspot.contacts").Scalar<int64_t>(), 2);
    EXPECT_EQ(wh->Query("SELECT email FROM hubspot.contacts WHERE id = 2").Scalar<std::string>(), "b@example.com");
    EXPECT_EQ(wh->Query("SELECT id FROM revlens.runs").Scalar<int64_t>(), 1);
    EXPECT_EQ(wh->Columns("hubspot", "contacts").size(), 2u);
  }
  fs::remove_all(dir);
}

TEST(DuckDbWarehouse, RelativePathAndBadPath) {
  const fs::path dir = fs::temp_directory_path() / ("revlens_wh_rel_" + UniqueSuffix());
  fs::create_directories(dir);
  const fs::path old = fs::current_path();
  fs::current_path(dir);
  {
    auto wh = OpenWarehouse("duckdb://rel.duckdb");
    wh->Execute("CREATE TABLE x AS SELECT 1 AS a");
  }
  EXPECT_TRUE(fs::exists(dir / "rel.duckdb"));
  fs::current_path(old);
  fs::remove_all(dir);
  EXPECT_THROW(OpenWarehouse("duckdb:///nonexistent-dir-revlens/x/y.duckdb"), WarehouseError);
}

TEST(DuckDbWarehouse, ReadsDuckDbOnlyTypes) {
  auto wh = OpenWarehouse("duckdb://:memory:");
  const ResultSet rs = wh->Query(
      "SELECT 'a'::ENUM('a','b') AS e, '00000000-0000-0000-0000-000000000001'::UUID AS u, "
      "TIMESTAMPTZ '2024-01-01 00:00:00+02' AS tz, TIMESTAMP_MS '2024-01-01 00:00:00.123' AS ms, "
      "TIME '01:02:03' AS t, 1::TINYINT AS tiny, 18446744073709551615::UBIGINT AS big");
  EXPECT_EQ(rs.At(0, "e"), Value(std::string("a")));
  EXPECT_EQ(rs.At(0, "u"), Value(std::string("00000000-0000-0000-0000-000000000001")));
  EXPECT_EQ(rs.At(0, "tz"), Value(*ParseTimestamp("2023-12-31 22:00:00")));
  EXPECT_EQ(rs.At(0, "ms"), Value(*ParseTimestamp("2024-01-01 00:00:00.123")));
  EXPECT_EQ(rs.At(0, "t"), Value(std::string("01:02:03.000000")));
  EXPECT_EQ(rs.At(0, "tiny"), Value(int64_t{1}));
  EXPECT_EQ(rs.At(0, "big"), Value(18446744073709551615.0));
  EXPECT_THROW(wh->Query("SELECT [1, 2] AS l"), WarehouseError);
}

TEST(PostgresWarehouse, WrongPasswordMessageHidesIt) {
  auto url = PostgresUrl();
  if (!url) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set; skipping PostgreSQL";
  // Swap the password (or add one) in the test URL.
  const std::string secret = "Wr0ng-Pa55word-" + UniqueSuffix();
  const size_t scheme = url->find("://") + 3;
  const size_t at = url->find('@', scheme);
  ASSERT_NE(at, std::string::npos) << "REVLENS_TEST_POSTGRES_URL needs a user@host";
  std::string user = url->substr(scheme, at - scheme);
  user = user.substr(0, user.find(':'));
  const std::string bad = url->substr(0, scheme) + user + ":" + secret + url->substr(at);
  try {
    OpenWarehouse(bad);
    FAIL() << "connecting with a wrong password succeeded (is the server set to trust?)";
  } catch (const WarehouseError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find(secret), std::string::npos) << msg;
    EXPECT_NE(msg.find("password authentication failed"), std::string::npos) << msg;
    EXPECT_NE(msg.find(":***@"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(PostgresWarehouse, CopyThroughExecuteFailsCleanly) {
  auto url = PostgresUrl();
  if (!url) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set; skipping PostgreSQL";
  auto wh = OpenWarehouse(*url);
  const std::string schema = "revlens_test_" + UniqueSuffix();
  wh->CreateSchema(schema);
  wh->CreateTable(schema, "t", {{"id", ColumnType::kBigInt}});
  EXPECT_THROW(wh->Execute("COPY " + Warehouse::QualifiedName(schema, "t") + " FROM STDIN"), WarehouseError);
  EXPECT_THROW(wh->Query("COPY " + Warehouse::QualifiedName(schema, "t") + " TO STDOUT"), WarehouseError);
  EXPECT_EQ(wh->Query("SELECT 3").Scalar<int64_t>(), 3);
  wh->DropSchema(schema);
}

TEST(PostgresWarehouse, DescribeHidesPasswordAndDialect) {
  auto url = PostgresUrl();
  if (!url) GTEST_SKIP() << "REVLENS_TEST_POSTGRES_URL is not set; skipping PostgreSQL";
  auto wh = OpenWarehouse(*url);
  EXPECT_EQ(wh->Dialect(), "postgresql");
  EXPECT_EQ(wh->Describe(), Redact(*url));
  // The session runs in UTC, so timestamptz reads as the same instant everywhere.
  EXPECT_EQ(wh->Query("SELECT TIMESTAMPTZ '2024-01-01 00:00:00+02'").Scalar<Timestamp>(),
            *ParseTimestamp("2023-12-31 22:00:00"));
}

TEST(OpenWarehouse, RejectsUnknownSchemes) {
  EXPECT_THROW(OpenWarehouse("mysql://root:pw@localhost/x"), ConfigError);
  EXPECT_THROW(OpenWarehouse("revlens.duckdb"), ConfigError);
  EXPECT_THROW(OpenWarehouse("duckdb://"), ConfigError);
  try {
    OpenWarehouse("mysql://root:hunter2@localhost/x");
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
  }
}

TEST(Values, ParseAndFormatTimestamps) {
  EXPECT_EQ(FormatTimestamp(Timestamp{0}), "1970-01-01 00:00:00.000000");
  EXPECT_EQ(FormatTimestamp(Timestamp{-1}), "1969-12-31 23:59:59.999999");
  EXPECT_EQ(ParseTimestamp("1969-12-31 23:59:59.999999"), Timestamp{-1});
  EXPECT_EQ(ParseTimestamp("2024-11-20T20:12:09.236Z"), Timestamp{1732133529236000});
  EXPECT_EQ(ParseTimestamp("2024-11-20 22:12:09.236+02"), Timestamp{1732133529236000});
  EXPECT_EQ(ParseTimestamp("2024-11-20 15:42:09.236-04:30"), Timestamp{1732133529236000});
  EXPECT_EQ(ParseTimestamp("2024-11-20"), Timestamp{1732060800000000});
  EXPECT_FALSE(ParseTimestamp("infinity").has_value());
  EXPECT_FALSE(ParseTimestamp("2024-13-01").has_value());
  EXPECT_EQ(FormatDate(Date{-1}), "1969-12-31");
  EXPECT_EQ(ParseDate("2024-11-20"), Date{20047});
  EXPECT_EQ(Warehouse::QuoteIdent("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(Warehouse::QuoteLiteral("it's"), "'it''s'");
}

}  // namespace
}  // namespace revlens::warehouse
