#include "sync/product_usage.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "sync/raw_layout.hpp"

namespace revlens::sync {

using warehouse::Value;
using warehouse::Warehouse;

namespace {

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool EndsWithParquet(const std::string& path) {
  const std::string l = Lower(path);
  return l.size() >= 8 && l.compare(l.size() - 8, 8, ".parquet") == 0;
}

}  // namespace

bool LooksLikeProductUsage(const std::string& path) {
  if (EndsWithParquet(path)) return true;
  std::ifstream in(path);
  std::string header;
  if (!in || !std::getline(in, header)) return false;
  header = Lower(header);
  // `event_date` as a whole column name, quoted or not.
  size_t pos = 0;
  while ((pos = header.find("event_date", pos)) != std::string::npos) {
    const bool start = pos == 0 || header[pos - 1] == ',' || header[pos - 1] == '"' || header[pos - 1] == '\xBF';
    const size_t end = pos + 10;
    const bool stop = end >= header.size() || header[end] == ',' || header[end] == '"' || header[end] == '\r';
    if (start && stop) return true;
    pos = end;
  }
  return false;
}

ProductUsageResult ImportProductUsage(Warehouse& wh, const std::string& path, const std::string& schema,
                                      const std::string& run_id) {
  namespace fs = std::filesystem;
  ProductUsageResult result;
  result.path = path;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw IOError("cannot read " + path + ": no such file");
  result.source_file = fs::weakly_canonical(fs::absolute(path), ec).string();
  if (ec) result.source_file = fs::absolute(path).lexically_normal().string();
  result.format = EndsWithParquet(path) ? "parquet" : "csv";
  const std::string file_name = fs::path(path).filename().string();

  // DuckDB reads both formats (and types Parquet columns); the rows then go to whatever engine `wh` is.
  auto reader_db = warehouse::OpenWarehouse("duckdb://:memory:");
  const std::string source =
      result.format == "parquet"
          ? "read_parquet(" + Warehouse::QuoteLiteral(result.source_file) + ")"
          : "read_csv(" + Warehouse::QuoteLiteral(result.source_file) + ", header = true, all_varchar = true)";
  std::map<std::string, std::string> present;  // lowercased -> as in the file
  try {
    for (const auto& c : reader_db->Query("SELECT * FROM " + source + " LIMIT 0").columns)
      present[Lower(c.name)] = c.name;
  } catch (const WarehouseError& e) {
    throw InvalidInputError(path + " cannot be read as " + result.format + ": " + e.what());
  }
  if (!present.count("event_date") || (!present.count("user_id") && !present.count("email"))) {
    throw InvalidInputError(
        path + " is not a product usage file: it needs an event_date column and a user_id or email column");
  }
  auto col = [&](const std::string& name) { return Warehouse::QuoteIdent(present.at(name)); };
  auto text = [&](const std::string& name) {
    return present.count(name) ? "NULLIF(TRIM(CAST(" + col(name) + " AS VARCHAR)), '')"
                               : std::string("CAST(NULL AS VARCHAR)");
  };
  auto integer = [&](const std::string& name) {
    return present.count(name) ? "CAST(ROUND(TRY_CAST(" + col(name) + " AS DOUBLE)) AS BIGINT)"
                               : std::string("CAST(NULL AS BIGINT)");
  };
  const std::string select =
      "SELECT TRY_CAST(" + col("event_date") + " AS DATE) AS event_date, " + text("user_id") + " AS user_id, " +
      text("email") + " AS email, " + text("account_domain") + " AS account_domain, " + integer("hubspot_contact_id") +
      " AS hubspot_contact_id, " + integer("logins") + " AS logins, " + integer("key_feature_uses") +
      " AS key_feature_uses, " + integer("seats") + " AS seats, " + Warehouse::QuoteLiteral(result.source_file) +
      " AS source_file, row_number() OVER () AS rn FROM " + source;
  warehouse::ResultSet rs;
  try {
    rs = reader_db->Query("SELECT * FROM (" + select + ") ORDER BY rn");
  } catch (const WarehouseError& e) {
    throw InvalidInputError(path + " cannot be read as " + result.format + ": " + e.what());
  }

  const auto columns = ProductUsageColumns();
  const Value now{warehouse::TimestampFromMillis(NowMillis())};
  const std::string resource = "product_usage:" + file_name;
  const std::string run = run_id.empty() ? "import-" + std::to_string(NowMillis()) : run_id;
  std::vector<std::vector<Value>> rows, quarantine;
  rows.reserve(rs.rows.size());
  for (auto& r : rs.rows) {
    const int64_t rn = warehouse::AsInt64(r.back());
    r.pop_back();
    if (warehouse::IsNull(r[0]) || (warehouse::IsNull(r[1]) && warehouse::IsNull(r[2]))) {
      std::string payload;
      for (size_t i = 0; i + 1 < r.size(); ++i)
        payload += (i ? "," : "") + (warehouse::IsNull(r[i]) ? "" : warehouse::ToString(r[i]));
      // CSV rows are numbered as file lines (the header is line 1); Parquet rows from 1.
      const std::string where =
          file_name + (result.format == "csv" ? ":" + std::to_string(rn + 1) : " row " + std::to_string(rn));
      quarantine.push_back(
          {Value{resource}, Value{std::string()},
           Value{where + ": " + (warehouse::IsNull(r[0]) ? "no valid event_date" : "neither user_id nor email")},
           Value{payload}, now, Value{run}});
      continue;
    }
    rows.push_back(std::move(r));
  }

  EnsureRawTables(wh, schema);
  const std::string table = Warehouse::QualifiedName(schema, "product_usage");
  const std::string same_file = " WHERE source_file = " + Warehouse::QuoteLiteral(result.source_file);
  warehouse::Transaction tx(wh);
  result.replaced = wh.Query("SELECT count(*) FROM " + table + same_file).Scalar<int64_t>();
  wh.Execute("DELETE FROM " + table + same_file);
  constexpr size_t kChunk = 100000;
  for (size_t i = 0; i < rows.size(); i += kChunk) {
    std::vector<std::vector<Value>> chunk(
        std::make_move_iterator(rows.begin() + static_cast<std::ptrdiff_t>(i)),
        std::make_move_iterator(rows.begin() + static_cast<std::ptrdiff_t>(std::min(rows.size(), i + kChunk))));
    wh.BulkLoad(schema, "product_usage", columns, chunk);
  }
  wh.Execute("DELETE FROM " + Warehouse::QualifiedName(schema, "quarantine") +
             " WHERE resource = " + Warehouse::QuoteLiteral(resource));
  if (!quarantine.empty()) wh.BulkLoad(schema, "quarantine", QuarantineColumns(), quarantine);
  tx.Commit();
  result.rows = static_cast<int64_t>(rows.size());
  result.rejected = static_cast<int64_t>(quarantine.size());
  return result;
}

}  // namespace revlens::sync
