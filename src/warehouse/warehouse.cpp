#include "warehouse/warehouse.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <thread>

#include "core/config.hpp"
#include "warehouse/duckdb_warehouse.hpp"
#include "warehouse/postgres_warehouse.hpp"

namespace revlens::warehouse {

void Warehouse::CreateSchema(const std::string& schema) {
  Execute("CREATE SCHEMA IF NOT EXISTS " + QuoteIdent(schema));
}

void Warehouse::DropSchema(const std::string& schema) {
  Execute("DROP SCHEMA IF EXISTS " + QuoteIdent(schema) + " CASCADE");
}

void Warehouse::CreateTable(const std::string& schema, const std::string& table, const std::vector<Column>& columns) {
  if (columns.empty()) throw WarehouseError("cannot create " + schema + "." + table + " without columns");
  std::string sql = "CREATE TABLE IF NOT EXISTS " + QualifiedName(schema, table) + " (";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) sql += ", ";
    sql += QuoteIdent(columns[i].name);
    sql += ' ';
    sql += SqlType(columns[i].type);
  }
  sql += ')';
  Execute(sql);
}

std::string Warehouse::QuoteIdent(std::string_view ident) {
  std::string out;
  out.reserve(ident.size() + 2);
  out += '"';
  for (char c : ident) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string Warehouse::QualifiedName(std::string_view schema, std::string_view table) {
  return QuoteIdent(schema) + "." + QuoteIdent(table);
}

std::string Warehouse::QuoteLiteral(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '\'';
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

std::string Warehouse::Literal(const Value& value) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "NULL"; }
    std::string operator()(bool b) const { return b ? "TRUE" : "FALSE"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const {
      if (std::isnan(d)) return "CAST('NaN' AS DOUBLE PRECISION)";
      if (std::isinf(d))
        return d > 0 ? "CAST('Infinity' AS DOUBLE PRECISION)" : "CAST('-Infinity' AS DOUBLE PRECISION)";
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, d);
      // Quoted: a bare 0.30000000000000004 is a DECIMAL to the parser and may lose the last digit on the way to
      // a double; text to double is correctly rounded on both engines.
      return "CAST('" + std::string(buf, r.ptr) + "' AS DOUBLE PRECISION)";
    }
    std::string operator()(const std::string& s) const { return QuoteLiteral(s); }
    std::string operator()(Timestamp t) const { return "TIMESTAMP '" + FormatTimestamp(t) + "'"; }
    std::string operator()(Date d) const { return "DATE '" + FormatDate(d) + "'"; }
  };
  return std::visit(Visitor{}, value);
}

void Warehouse::CheckRows(const std::string& schema, const std::string& table, const std::vector<Column>& columns,
                          const std::vector<std::vector<Value>>& rows) {
  if (columns.empty()) throw WarehouseError("bulk load into " + schema + "." + table + " names no columns");
  for (size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() != columns.size())
      throw WarehouseError("bulk load into " + schema + "." + table + ": row " + std::to_string(r) + " has " +
                           std::to_string(rows[r].size()) + " values for " + std::to_string(columns.size()) +
                           " columns");
    for (size_t c = 0; c < columns.size(); ++c) {
      if (!Fits(columns[c].type, rows[r][c]))
        throw WarehouseError("bulk load into " + schema + "." + table + ": row " + std::to_string(r) + " column '" +
                             columns[c].name + "' expects " + std::string(ColumnTypeName(columns[c].type)) +
                             " but got " + ToString(rows[r][c]).substr(0, 40));
    }
  }
}

std::unique_ptr<Warehouse> OpenWarehouse(const std::string& url) {
  constexpr std::string_view kDuck = "duckdb://";
  if (url.starts_with(kDuck)) {
    const std::string path = url.substr(kDuck.size());
    if (path.empty()) throw ConfigError("warehouse URL 'duckdb://' needs a path, e.g. duckdb://revlens.duckdb");
    return OpenDuckDbWarehouse(path);
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) return OpenPostgresWarehouse(url);
  const auto colon = url.find("://");
  if (colon == std::string::npos)
    throw ConfigError("warehouse URL has no scheme; use duckdb://path or postgresql://user@host/db");
  throw ConfigError("unknown warehouse scheme '" + url.substr(0, colon) +
                    "'; use duckdb://path or postgresql://user@host/db");
}

bool IsLockConflict(const WarehouseError& e) {
  // DuckDB: "IO Error: Could not set lock on file \"...\": Conflicting lock is held in ... (PID n)".
  const std::string_view m = e.what();
  return m.find("Could not set lock") != std::string_view::npos ||
         m.find("Conflicting lock") != std::string_view::npos;
}

std::unique_ptr<Warehouse> OpenWarehouseWaiting(const std::string& url, std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  auto pause = std::chrono::milliseconds(100);
  for (;;) {
    try {
      return OpenWarehouse(url);
    } catch (const WarehouseError& e) {
      if (!IsLockConflict(e) || std::chrono::steady_clock::now() + pause > deadline) throw;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(500));
  }
}

Transaction::Transaction(Warehouse& warehouse) : warehouse_(warehouse) {
  warehouse_.Begin();
}

Transaction::~Transaction() {
  if (!open_) return;
  try {
    warehouse_.Rollback();
  } catch (const std::exception&) {
    // A destructor must not throw; the engine drops the transaction with the connection anyway, and the error
    // that unwound us is the one the caller needs to see.
  }
}

void Transaction::Commit() {
  open_ = false;
  warehouse_.Commit();
}

void Transaction::Rollback() {
  open_ = false;
  warehouse_.Rollback();
}

}  // namespace revlens::warehouse
