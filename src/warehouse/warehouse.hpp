#pragma once
/// The one interface revlens uses to talk to a warehouse (DuckDB or PostgreSQL). No code outside
/// src/warehouse/ branches on the engine: engine differences live behind these calls.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.hpp"
#include "warehouse/value.hpp"

namespace revlens::warehouse {

/// A connection to one warehouse. Not thread-safe: one Warehouse per thread. Every failure throws
/// revlens::WarehouseError carrying the engine's own message; a failed statement never poisons the connection
/// (inside an explicit transaction it aborts that transaction, as both engines do: roll it back).
class Warehouse {
 public:
  virtual ~Warehouse() = default;
  Warehouse() = default;
  Warehouse(const Warehouse&) = delete;
  Warehouse& operator=(const Warehouse&) = delete;

  /// Run one or more SQL statements that return nothing of interest.
  virtual void Execute(const std::string& sql) = 0;
  /// Run one SQL statement and materialize its result.
  virtual ResultSet Query(const std::string& sql) = 0;

  /// Create a schema if it does not exist.
  virtual void CreateSchema(const std::string& schema);
  /// Drop a schema and everything in it, if it exists.
  virtual void DropSchema(const std::string& schema);
  /// Return true when `schema.table` exists (a table or a view).
  virtual bool TableExists(const std::string& schema, const std::string& table) = 0;
  /// Columns of `schema.table` in declaration order, engine types mapped to ColumnType (unknown ones to kText).
  /// Empty when the table does not exist.
  virtual std::vector<Column> Columns(const std::string& schema, const std::string& table) = 0;
  /// Create `schema.table` with these columns (CREATE TABLE IF NOT EXISTS); the schema must exist.
  void CreateTable(const std::string& schema, const std::string& table, const std::vector<Column>& columns);

  /// Append rows to the existing `schema.table`, the i-th value of each row going to columns[i] (columns not
  /// named get their defaults). Values must match the column's type (NULL anywhere; int64 is accepted for
  /// kDouble); a mismatch throws before anything is written. DuckDB uses the appender with typed data chunks,
  /// PostgreSQL `COPY ... FROM STDIN` in text format. Atomic on its own; inside Begin()/Commit() (or a
  /// Transaction) it is part of that transaction. Open transactions with Begin(), not a raw "BEGIN" statement:
  /// the DuckDB loader wraps itself in a transaction unless it knows one is open.
  virtual void BulkLoad(const std::string& schema, const std::string& table, const std::vector<Column>& columns,
                        const std::vector<std::vector<Value>>& rows) = 0;

  /// Start an explicit transaction.
  virtual void Begin() { Execute("BEGIN"); }
  /// Commit the explicit transaction.
  virtual void Commit() { Execute("COMMIT"); }
  /// Roll back the explicit transaction.
  virtual void Rollback() { Execute("ROLLBACK"); }

  /// The engine: "duckdb" or "postgresql". For messages and SQL-model macros only, never for branching
  /// outside src/warehouse/.
  virtual std::string Dialect() const = 0;
  /// The engine's SQL type name for a ColumnType (`VARCHAR`/`TEXT`, `JSON`/`JSONB`, ...).
  virtual std::string SqlType(ColumnType type) const = 0;
  /// The connection URL with any password hidden, for messages.
  virtual std::string Describe() const = 0;

  /// Quote an identifier: `a"b` -> `"a""b"`.
  static std::string QuoteIdent(std::string_view ident);
  /// Quote a qualified name: `"schema"."table"`.
  static std::string QualifiedName(std::string_view schema, std::string_view table);
  /// Quote a string literal: `it's` -> `'it''s'` (standard_conforming_strings, the default on both engines).
  static std::string QuoteLiteral(std::string_view text);
  /// Render a Value as a SQL literal usable on both engines (NULL, TRUE, 42, 1.5, 'text',
  /// TIMESTAMP '...', DATE '...'). Doubles round-trip exactly; non-finite doubles become 'NaN'/'Infinity' casts.
  static std::string Literal(const Value& value);

 protected:
  /// Throw WarehouseError unless every row has one value per column and every value Fits its column.
  static void CheckRows(const std::string& schema, const std::string& table, const std::vector<Column>& columns,
                        const std::vector<std::vector<Value>>& rows);
};

/// Open the warehouse at `url`: `duckdb://relative/path.duckdb`, `duckdb:///absolute/path.duckdb`,
/// `duckdb://:memory:`, or a libpq URL `postgresql://user:password@host:port/db` (also `postgres://`).
/// Throws ConfigError for an unknown scheme and WarehouseError when the engine refuses; messages hide the
/// password.
std::unique_ptr<Warehouse> OpenWarehouse(const std::string& url);

/// True when `e` says another process holds the DuckDB file's lock (a DuckDB file admits one writing process).
bool IsLockConflict(const WarehouseError& e);
/// OpenWarehouse, retrying every 100-500 ms for up to `wait` while another process holds the DuckDB file's lock
/// (`revlens serve`, `run` and `dashboard` each open the file only while they use it). Other errors, and the lock
/// error once `wait` has passed, are thrown as OpenWarehouse throws them.
std::unique_ptr<Warehouse> OpenWarehouseWaiting(const std::string& url, std::chrono::milliseconds wait);

/// Commits on Commit(), rolls back when destroyed uncommitted (an exception unwinding, an early return).
class Transaction {
 public:
  /// Begin a transaction on `warehouse`, which must outlive the guard.
  explicit Transaction(Warehouse& warehouse);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  /// Commit; after this the destructor does nothing.
  void Commit();
  /// Roll back now; after this the destructor does nothing.
  void Rollback();

 private:
  Warehouse& warehouse_;
  bool open_ = true;
};

}  // namespace revlens::warehouse
