// Keep to DuckDB's current C API: the deprecated row-value and column-data calls are compiled out.
#define DUCKDB_API_NO_DEPRECATED
#include "warehouse/duckdb_warehouse.hpp"

#include <duckdb.h>

#include <cmath>
#include <cstring>
#include <limits>

namespace revlens::warehouse {
namespace {

// ---- RAII around DuckDB's C handles -------------------------------------------------------------------------

struct DatabaseDeleter {
  void operator()(duckdb_database db) const { duckdb_close(&db); }
};
struct ConnectionDeleter {
  void operator()(duckdb_connection c) const { duckdb_disconnect(&c); }
};
struct AppenderDeleter {
  void operator()(duckdb_appender a) const { duckdb_appender_destroy(&a); }
};
struct ChunkDeleter {
  void operator()(duckdb_data_chunk c) const { duckdb_destroy_data_chunk(&c); }
};
struct LogicalTypeDeleter {
  void operator()(duckdb_logical_type t) const { duckdb_destroy_logical_type(&t); }
};
struct ErrorDataDeleter {
  void operator()(duckdb_error_data e) const { duckdb_destroy_error_data(&e); }
};
struct DuckFree {
  void operator()(char* p) const { duckdb_free(p); }
};

using DatabasePtr = std::unique_ptr<std::remove_pointer_t<duckdb_database>, DatabaseDeleter>;
using ConnectionPtr = std::unique_ptr<std::remove_pointer_t<duckdb_connection>, ConnectionDeleter>;
using AppenderPtr = std::unique_ptr<std::remove_pointer_t<duckdb_appender>, AppenderDeleter>;
using ChunkPtr = std::unique_ptr<std::remove_pointer_t<duckdb_data_chunk>, ChunkDeleter>;
using LogicalTypePtr = std::unique_ptr<std::remove_pointer_t<duckdb_logical_type>, LogicalTypeDeleter>;
using ErrorDataPtr = std::unique_ptr<std::remove_pointer_t<duckdb_error_data>, ErrorDataDeleter>;
using DuckString = std::unique_ptr<char, DuckFree>;

/// A duckdb_result that is destroyed with its owner (duckdb_result is a struct, not a pointer).
class Result {
 public:
  Result() { std::memset(&result_, 0, sizeof result_); }
  ~Result() { duckdb_destroy_result(&result_); }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  duckdb_result* get() { return &result_; }

 private:
  duckdb_result result_;
};

/// DuckDB messages may span lines and end with the statement text and a caret ("\n\nLINE 1: ..."); revlens
/// messages are one line, so the statement excerpt is dropped and the other lines joined.
std::string OneLine(const char* message) {
  if (!message || !*message) return "unknown error";
  std::string_view m(message);
  if (const size_t cut = m.find("\nLINE "); cut != std::string_view::npos) m = m.substr(0, cut);
  std::string out;
  for (char c : m) {
    if (c == '\n' || c == '\r') {
      if (!out.empty() && !out.ends_with("; ")) out += "; ";
    } else {
      out += c;
    }
  }
  while (out.ends_with("; ")) out.resize(out.size() - 2);
  return out;
}

[[noreturn]] void Fail(const std::string& what, const char* engine_message) {
  throw WarehouseError("DuckDB " + what + ": " + OneLine(engine_message));
}

void CheckAppender(duckdb_state state, duckdb_appender appender, const std::string& what) {
  if (state == DuckDBSuccess) return;
  ErrorDataPtr err(duckdb_appender_error_data(appender));
  Fail(what, err ? duckdb_error_data_message(err.get()) : nullptr);
}

// ---- reading results -----------------------------------------------------------------------------------------


int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

double HugeToDouble(duckdb_hugeint h) {
  return std::ldexp(static_cast<double>(h.upper), 64) + static_cast<double>(h.lower);
}

/// HUGEINT fits in int64 when the upper word is only the sign extension of the lower word.
Value HugeToValue(duckdb_hugeint h) {
  const auto lower = static_cast<int64_t>(h.lower);
  if ((h.upper == 0 && lower >= 0) || (h.upper == -1 && lower < 0)) return lower;
  return HugeToDouble(h);
}

std::string FormatUuid(duckdb_hugeint h) {
  // DuckDB stores UUIDs as HUGEINT with the top bit flipped so that they sort as unsigned.
  const uint64_t upper = static_cast<uint64_t>(h.upper) ^ (uint64_t{1} << 63);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(upper >> 32),
                static_cast<unsigned>((upper >> 16) & 0xffff), static_cast<unsigned>(upper & 0xffff),
                static_cast<unsigned>(h.lower >> 48), static_cast<unsigned long long>(h.lower & 0xffffffffffffULL));
  return buf;
}

std::string FormatTime(int64_t micros) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld.%06lld", static_cast<long long>(micros / 3600000000LL),
                static_cast<long long>(micros / 60000000LL % 60), static_cast<long long>(micros / 1000000LL % 60),
                static_cast<long long>(micros % 1000000LL));
  return buf;
}

/// How to read one result column, decided once from its logical type.
struct ColumnReader {
  duckdb_type type = DUCKDB_TYPE_INVALID;
  duckdb_type internal = DUCKDB_TYPE_INVALID;  // DECIMAL and ENUM storage
  double scale = 1;                            // DECIMAL divisor
  std::vector<std::string> dictionary;         // ENUM values
};

std::string TypeName(duckdb_logical_type t) {
  switch (duckdb_get_type_id(t)) {
    case DUCKDB_TYPE_INTERVAL:
      return "INTERVAL";
    case DUCKDB_TYPE_LIST:
      return "LIST";
    case DUCKDB_TYPE_STRUCT:
      return "STRUCT";
    case DUCKDB_TYPE_MAP:
      return "MAP";
    case DUCKDB_TYPE_ARRAY:
      return "ARRAY";
    case DUCKDB_TYPE_UNION:
      return "UNION";
    case DUCKDB_TYPE_BIT:
      return "BIT";
    case DUCKDB_TYPE_TIME_TZ:
      return "TIMETZ";
    case DUCKDB_TYPE_BIGNUM:
      return "BIGNUM";
    default:
      return "type #" + std::to_string(static_cast<int>(duckdb_get_type_id(t)));
  }
}

ColumnType Classify(duckdb_logical_type t, const std::string& name, ColumnReader& reader) {
  reader.type = duckdb_get_type_id(t);
  switch (reader.type) {
    case DUCKDB_TYPE_BOOLEAN:
      return ColumnType::kBoolean;
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
      return ColumnType::kBigInt;
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
      return ColumnType::kDouble;
    case DUCKDB_TYPE_DECIMAL:
      reader.internal = duckdb_decimal_internal_type(t);
      reader.scale = std::pow(10.0, duckdb_decimal_scale(t));
      return ColumnType::kDouble;
    case DUCKDB_TYPE_VARCHAR: {
      DuckString alias(duckdb_logical_type_get_alias(t));
      return alias && std::strcmp(alias.get(), "JSON") == 0 ? ColumnType::kJson : ColumnType::kText;
    }
    case DUCKDB_TYPE_BLOB:
    case DUCKDB_TYPE_UUID:
    case DUCKDB_TYPE_TIME:
    case DUCKDB_TYPE_SQLNULL:
      return ColumnType::kText;
    case DUCKDB_TYPE_ENUM: {
      reader.internal = duckdb_enum_internal_type(t);
      const uint32_t n = duckdb_enum_dictionary_size(t);
      for (uint32_t i = 0; i < n; ++i)
        reader.dictionary.emplace_back(DuckString(duckdb_enum_dictionary_value(t, i)).get());
      return ColumnType::kText;
    }
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
      return ColumnType::kTimestamp;
    case DUCKDB_TYPE_DATE:
      return ColumnType::kDate;
    default:
      throw WarehouseError("DuckDB result column '" + name + "' has type " + TypeName(t) +
                           ", which revlens cannot read; cast it to VARCHAR in the query");
  }
}

Value ReadCell(const ColumnReader& r, const void* data, idx_t i) {
  switch (r.type) {
    case DUCKDB_TYPE_BOOLEAN:
      return static_cast<const bool*>(data)[i];
    case DUCKDB_TYPE_TINYINT:
      return int64_t{static_cast<const int8_t*>(data)[i]};
    case DUCKDB_TYPE_SMALLINT:
      return int64_t{static_cast<const int16_t*>(data)[i]};
    case DUCKDB_TYPE_INTEGER:
      return int64_t{static_cast<const int32_t*>(data)[i]};
    case DUCKDB_TYPE_BIGINT:
      return static_cast<const int64_t*>(data)[i];
    case DUCKDB_TYPE_UTINYINT:
      return int64_t{static_cast<const uint8_t*>(data)[i]};
    case DUCKDB_TYPE_USMALLINT:
      return int64_t{static_cast<const uint16_t*>(data)[i]};
    case DUCKDB_TYPE_UINTEGER:
      return int64_t{static_cast<const uint32_t*>(data)[i]};
    case DUCKDB_TYPE_UBIGINT: {
      const uint64_t v = static_cast<const uint64_t*>(data)[i];
      if (v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return static_cast<int64_t>(v);
      return static_cast<double>(v);
    }
    case DUCKDB_TYPE_HUGEINT:
      return HugeToValue(static_cast<const duckdb_hugeint*>(data)[i]);
    case DUCKDB_TYPE_UHUGEINT: {
      const duckdb_uhugeint u = static_cast<const duckdb_uhugeint*>(data)[i];
      if (u.upper == 0 && u.lower <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return static_cast<int64_t>(u.lower);
      return std::ldexp(static_cast<double>(u.upper), 64) + static_cast<double>(u.lower);
    }
    case DUCKDB_TYPE_FLOAT:
      return double{static_cast<const float*>(data)[i]};
    case DUCKDB_TYPE_DOUBLE:
      return static_cast<const double*>(data)[i];
    case DUCKDB_TYPE_DECIMAL:
      switch (r.internal) {
        case DUCKDB_TYPE_SMALLINT:
          return static_cast<const int16_t*>(data)[i] / r.scale;
        case DUCKDB_TYPE_INTEGER:
          return static_cast<const int32_t*>(data)[i] / r.scale;
        case DUCKDB_TYPE_BIGINT:
          return static_cast<double>(static_cast<const int64_t*>(data)[i]) / r.scale;
        default:
          return HugeToDouble(static_cast<const duckdb_hugeint*>(data)[i]) / r.scale;
      }
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BLOB: {
      // duckdb_string_t_data takes a non-const pointer but only reads.
      auto* s = const_cast<duckdb_string_t*>(static_cast<const duckdb_string_t*>(data) + i);
      return std::string(duckdb_string_t_data(s), duckdb_string_t_length(*s));
    }
    case DUCKDB_TYPE_UUID:
      return FormatUuid(static_cast<const duckdb_hugeint*>(data)[i]);
    case DUCKDB_TYPE_TIME:
      return FormatTime(static_cast<const int64_t*>(data)[i]);
    case DUCKDB_TYPE_ENUM: {
      size_t idx = 0;
      switch (r.internal) {
        case DUCKDB_TYPE_UTINYINT:
          idx = static_cast<const uint8_t*>(data)[i];
          break;
        case DUCKDB_TYPE_USMALLINT:
          idx = static_cast<const uint16_t*>(data)[i];
          break;
        default:
          idx = static_cast<const uint32_t*>(data)[i];
          break;
      }
      return idx < r.dictionary.size() ? Value(r.dictionary[idx]) : Value();
    }
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return Timestamp{static_cast<const int64_t*>(data)[i]};
    case DUCKDB_TYPE_TIMESTAMP_S:
      return Timestamp{static_cast<const int64_t*>(data)[i] * 1000000};
    case DUCKDB_TYPE_TIMESTAMP_MS:
      return Timestamp{static_cast<const int64_t*>(data)[i] * 1000};
    case DUCKDB_TYPE_TIMESTAMP_NS:
      return Timestamp{FloorDiv(static_cast<const int64_t*>(data)[i], 1000)};
    case DUCKDB_TYPE_DATE:
      return Date{static_cast<const int32_t*>(data)[i]};
    default:
      return Value();  // SQLNULL
  }
}

// ---- bulk load -----------------------------------------------------------------------------------------------

duckdb_type ChunkType(ColumnType t) {
  switch (t) {
    case ColumnType::kText:
    case ColumnType::kJson:
      return DUCKDB_TYPE_VARCHAR;  // the appender casts to JSON on the way in
    case ColumnType::kBigInt:
      return DUCKDB_TYPE_BIGINT;
    case ColumnType::kDouble:
      return DUCKDB_TYPE_DOUBLE;
    case ColumnType::kBoolean:
      return DUCKDB_TYPE_BOOLEAN;
    case ColumnType::kTimestamp:
      return DUCKDB_TYPE_TIMESTAMP;
    case ColumnType::kDate:
      return DUCKDB_TYPE_DATE;
  }
  return DUCKDB_TYPE_VARCHAR;
}

class DuckDbWarehouse final : public Warehouse {
 public:
  explicit DuckDbWarehouse(std::string path) : path_(std::move(path)) {
    // A file is ATTACHed under a fixed catalog name instead of opened directly: DuckDB names a file's catalog
    // after its stem, so `revlens.duckdb` holding a `revlens` schema would make `revlens.deals` ambiguous.
    duckdb_database db = nullptr;
    char* error = nullptr;
    if (duckdb_open_ext(nullptr, &db, nullptr, &error) == DuckDBError) {
      DuckString owned(error);
      if (db) duckdb_close(&db);
      Fail("could not start", owned.get());
    }
    db_.reset(db);
    duckdb_connection con = nullptr;
    if (duckdb_connect(db_.get(), &con) == DuckDBError) {
      if (con) duckdb_disconnect(&con);
      Fail("could not connect to " + path_, nullptr);
    }
    con_.reset(con);
    if (path_ == ":memory:") {
      catalog_ = "memory";
      return;
    }
    catalog_ = kCatalog;
    Result result;
    const std::string attach =
        "ATTACH " + QuoteLiteral(path_) + " AS " + QuoteIdent(kCatalog) + "; USE " + QuoteIdent(kCatalog) +
        // DuckDB checkpoints whenever the WAL passes 16 MB, and each checkpoint rewrites the partly filled last
        // row group of every growing table: a sync committing chunk after chunk paid that again and again.
        // Checkpoint at 1 GB of WAL instead (and on close); the WAL is still flushed at every commit.
        "; SET checkpoint_threshold = '1GB'";
    if (duckdb_query(con_.get(), attach.c_str(), result.get()) == DuckDBError)
      Fail("could not open " + path_, duckdb_result_error(result.get()));
  }

  void Execute(const std::string& sql) override {
    Result result;
    Run(sql, result);
  }

  ResultSet Query(const std::string& sql) override {
    Result result;
    Run(sql, result);
    ResultSet out;
    const idx_t ncols = duckdb_column_count(result.get());
    std::vector<ColumnReader> readers(ncols);
    for (idx_t c = 0; c < ncols; ++c) {
      LogicalTypePtr type(duckdb_column_logical_type(result.get(), c));
      std::string name = duckdb_column_name(result.get(), c);
      const ColumnType ct = Classify(type.get(), name, readers[c]);
      out.columns.push_back({std::move(name), ct});
    }
    while (ChunkPtr chunk{duckdb_fetch_chunk(*result.get())}) {
      const idx_t n = duckdb_data_chunk_get_size(chunk.get());
      if (n == 0) break;
      const size_t base = out.rows.size();
      out.rows.resize(base + n, std::vector<Value>(ncols));
      for (idx_t c = 0; c < ncols; ++c) {
        duckdb_vector vec = duckdb_data_chunk_get_vector(chunk.get(), c);
        const void* data = duckdb_vector_get_data(vec);
        uint64_t* validity = duckdb_vector_get_validity(vec);
        for (idx_t i = 0; i < n; ++i) {
          if (validity && !duckdb_validity_row_is_valid(validity, i)) continue;
          out.rows[base + i][c] = ReadCell(readers[c], data, i);
        }
      }
    }
    return out;
  }

  bool TableExists(const std::string& schema, const std::string& table) override {
    return Query("SELECT count(*) FROM information_schema.tables WHERE table_catalog = " + QuoteLiteral(catalog_) +
                 " AND table_schema = " + QuoteLiteral(schema) + " AND table_name = " + QuoteLiteral(table))
               .Scalar<int64_t>() > 0;
  }

  std::vector<Column> Columns(const std::string& schema, const std::string& table) override {
    const ResultSet rs = Query("SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = " +
                               QuoteLiteral(catalog_) + " AND table_schema = " + QuoteLiteral(schema) +
                               " AND table_name = " + QuoteLiteral(table) + " ORDER BY ordinal_position");
    std::vector<Column> out;
    for (const auto& row : rs.rows) out.push_back({AsString(row[0]), MapTypeName(AsString(row[1]))});
    return out;
  }

  void BulkLoad(const std::string& schema, const std::string& table, const std::vector<Column>& columns,
                const std::vector<std::vector<Value>>& rows) override {
    CheckRows(schema, table, columns, rows);
    if (rows.empty()) return;
    // The appender commits each flush on its own in auto-commit mode; one transaction makes the load atomic.
    const bool own_transaction = !in_transaction_;
    if (own_transaction) Begin();
    try {
      Append(schema, table, columns, rows);
    } catch (...) {
      if (own_transaction) RollbackQuietly();
      throw;
    }
    if (own_transaction) Commit();
  }

  void Begin() override {
    Execute("BEGIN TRANSACTION");
    in_transaction_ = true;
  }
  void Commit() override {
    // A failed COMMIT ends the transaction too.
    in_transaction_ = false;
    Execute("COMMIT");
  }
  void Rollback() override {
    in_transaction_ = false;
    Execute("ROLLBACK");
  }

  std::string Dialect() const override { return "duckdb"; }

  std::string SqlType(ColumnType type) const override {
    switch (type) {
      case ColumnType::kText:
        return "VARCHAR";
      case ColumnType::kBigInt:
        return "BIGINT";
      case ColumnType::kDouble:
        return "DOUBLE";
      case ColumnType::kBoolean:
        return "BOOLEAN";
      case ColumnType::kTimestamp:
        return "TIMESTAMP";
      case ColumnType::kDate:
        return "DATE";
      case ColumnType::kJson:
        return "JSON";
    }
    return "VARCHAR";
  }

  std::string Describe() const override { return "duckdb://" + path_; }

 private:
  void Run(const std::string& sql, Result& result) {
    if (duckdb_query(con_.get(), sql.c_str(), result.get()) == DuckDBError)
      Fail("error", duckdb_result_error(result.get()));
  }

  void RollbackQuietly() {
    in_transaction_ = false;
    Result result;
    // Best effort: the load's own error is what the caller needs; a failed ROLLBACK leaves nothing open.
    (void)duckdb_query(con_.get(), "ROLLBACK", result.get());
  }

  static ColumnType MapTypeName(const std::string& t) {
    if (t == "BOOLEAN") return ColumnType::kBoolean;
    if (t == "JSON") return ColumnType::kJson;
    if (t == "DATE") return ColumnType::kDate;
    if (t.starts_with("TIMESTAMP")) return ColumnType::kTimestamp;
    if (t == "FLOAT" || t == "DOUBLE" || t == "REAL" || t.starts_with("DECIMAL")) return ColumnType::kDouble;
    if (t.ends_with("INT") || t.ends_with("INTEGER") || t == "HUGEINT" || t == "UHUGEINT") return ColumnType::kBigInt;
    return ColumnType::kText;
  }

 private:
  void Append(const std::string& schema, const std::string& table, const std::vector<Column>& columns,
              const std::vector<std::vector<Value>>& rows) {
    duckdb_appender raw = nullptr;
    const duckdb_state st =
        duckdb_appender_create_ext(con_.get(), catalog_.c_str(), schema.c_str(), table.c_str(), &raw);
    AppenderPtr appender(raw);
    CheckAppender(st, raw, "cannot load " + schema + "." + table);
    for (const Column& c : columns)
      CheckAppender(duckdb_appender_add_column(raw, c.name.c_str()), raw, "cannot load " + schema + "." + table);

    std::vector<LogicalTypePtr> owned;
    std::vector<duckdb_logical_type> types;
    for (const Column& c : columns) {
      owned.emplace_back(duckdb_create_logical_type(ChunkType(c.type)));
      types.push_back(owned.back().get());
    }
    ChunkPtr chunk(duckdb_create_data_chunk(types.data(), types.size()));
    const idx_t capacity = duckdb_vector_size();
    const std::string what = "bulk load into " + schema + "." + table + " failed";
    for (size_t start = 0; start < rows.size(); start += capacity) {
      const size_t n = std::min<size_t>(capacity, rows.size() - start);
      duckdb_data_chunk_reset(chunk.get());
      for (size_t c = 0; c < columns.size(); ++c) FillVector(chunk.get(), c, columns[c].type, rows, start, n);
      duckdb_data_chunk_set_size(chunk.get(), n);
      CheckAppender(duckdb_append_data_chunk(raw, chunk.get()), raw, what);
    }
    CheckAppender(duckdb_appender_close(raw), raw, what);
  }

  static void FillVector(duckdb_data_chunk chunk, size_t col, ColumnType type,
                         const std::vector<std::vector<Value>>& rows, size_t start, size_t n) {
    duckdb_vector vec = duckdb_data_chunk_get_vector(chunk, col);
    void* data = duckdb_vector_get_data(vec);
    uint64_t* validity = nullptr;
    auto set_null = [&](size_t i) {
      if (!validity) {
        duckdb_vector_ensure_validity_writable(vec);
        validity = duckdb_vector_get_validity(vec);
      }
      duckdb_validity_set_row_invalid(validity, i);
    };
    for (size_t i = 0; i < n; ++i) {
      const Value& v = rows[start + i][col];
      if (IsNull(v)) {
        set_null(i);
        continue;
      }
      switch (type) {
        case ColumnType::kText:
        case ColumnType::kJson: {
          const std::string& s = *std::get_if<std::string>(&v);
          duckdb_vector_assign_string_element_len(vec, i, s.data(), s.size());
          break;
        }
        case ColumnType::kBigInt:
          static_cast<int64_t*>(data)[i] = *std::get_if<int64_t>(&v);
          break;
        case ColumnType::kDouble:
          static_cast<double*>(data)[i] =
              v.index() == 2 ? static_cast<double>(*std::get_if<int64_t>(&v)) : *std::get_if<double>(&v);
          break;
        case ColumnType::kBoolean:
          static_cast<bool*>(data)[i] = *std::get_if<bool>(&v);
          break;
        case ColumnType::kTimestamp:
          static_cast<int64_t*>(data)[i] = std::get_if<Timestamp>(&v)->micros;
          break;
        case ColumnType::kDate:
          static_cast<int32_t*>(data)[i] = std::get_if<Date>(&v)->days;
          break;
      }
    }
  }

  /// The catalog every revlens table lives in; one a revlens schema name never collides with.
  static constexpr const char* kCatalog = "revlens_warehouse";

  std::string path_;
  std::string catalog_;
  DatabasePtr db_;
  ConnectionPtr con_;
  bool in_transaction_ = false;
};

}  // namespace

std::unique_ptr<Warehouse> OpenDuckDbWarehouse(const std::string& path) {
  return std::make_unique<DuckDbWarehouse>(path);
}

}  // namespace revlens::warehouse
