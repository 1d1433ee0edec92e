#include "warehouse/postgres_warehouse.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include "core/config.hpp"

namespace revlens::warehouse {
namespace {

// ---- RAII around libpq handles --------------------------------------------------------------------------------

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
struct ConninfoDeleter {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};
struct PqFree {
  void operator()(char* p) const { PQfreemem(p); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;
using ConninfoPtr = std::unique_ptr<PQconninfoOption, ConninfoDeleter>;
using PqString = std::unique_ptr<char, PqFree>;

// Type OIDs from pg_type.dat; stable across PostgreSQL versions.
constexpr Oid kBoolOid = 16, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23, kOidOid = 26, kJsonOid = 114,
              kFloat4Oid = 700, kFloat8Oid = 701, kDateOid = 1082, kTimestampOid = 1114, kTimestampTzOid = 1184,
              kNumericOid = 1700, kJsonbOid = 3802;

/// libpq messages span lines ("connection to server ... failed: FATAL: ..."); revlens messages are one line.
std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
      if (!out.empty()) out += "; ";
    } else if (c == ' ' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';  // libpq pads ("FATAL:  password ...")
    } else {
      out += c;
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
  return out;
}

/// Replace every occurrence of `secret` in `text` with ***.
std::string Scrub(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 3))
    text.replace(pos, secret.size(), "***");
  return text;
}

/// The message of a failed result: SQLSTATE, primary message, detail and hint (not the statement text).
std::string ResultMessage(const PGresult* res, PGconn* conn) {
  const char* primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  if (!primary) return OneLine(PQerrorMessage(conn));
  std::string out;
  if (const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE)) out += std::string("[") + state + "] ";
  out += primary;
  if (const char* detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)) out += std::string(" (") + detail + ")";
  if (const char* hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT)) out += std::string(" hint: ") + hint;
  return OneLine(out);
}

void AppendInt(std::string& buf, int64_t v) {
  char tmp[24];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  buf.append(tmp, r.ptr);
}

void AppendDouble(std::string& buf, double v) {
  if (std::isnan(v)) {
    buf += "NaN";
  } else if (std::isinf(v)) {
    buf += v > 0 ? "Infinity" : "-Infinity";
  } else {
    char tmp[32];
    auto r = std::to_chars(tmp, tmp + sizeof tmp, v);  // shortest text that round-trips
    buf.append(tmp, r.ptr);
  }
}

/// COPY text format: backslash, tab, newline and carriage return are escaped; everything else is literal.
void AppendCopyText(std::string& buf, const std::string& s) {
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const char* esc = nullptr;
    switch (c) {
      case '\\':
        esc = "\\\\";
        break;
      case '\t':
        esc = "\\t";
        break;
      case '\n':
        esc = "\\n";
        break;
      case '\r':
        esc = "\\r";
        break;
      default:
        continue;
    }
    buf.append(s, run, i - run);
    buf += esc;
    run = i + 1;
  }
  buf.append(s, run, s.size() - run);
}

void AppendCopyValue(std::string& buf, const Value& v) {
  switch (v.index()) {
    case 0:
      buf += "\\N";
      break;
    case 1:
      buf += *std::get_if<bool>(&v) ? 't' : 'f';
      break;
    case 2:
      AppendInt(buf, *std::get_if<int64_t>(&v));
      break;
    case 3:
      AppendDouble(buf, *std::get_if<double>(&v));
      break;
    case 4:
      AppendCopyText(buf, *std::get_if<std::string>(&v));
      break;
    case 5:
      AppendTimestamp(buf, *std::get_if<Timestamp>(&v));
      break;
    case 6:
      AppendDate(buf, *std::get_if<Date>(&v));
      break;
  }
}

ColumnType TypeForOid(Oid oid) {
  switch (oid) {
    case kBoolOid:
      return ColumnType::kBoolean;
    case kInt8Oid:
    case kInt2Oid:
    case kInt4Oid:
    case kOidOid:
      return ColumnType::kBigInt;
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid:
      return ColumnType::kDouble;
    case kDateOid:
      return ColumnType::kDate;
    case kTimestampOid:
    case kTimestampTzOid:
      return ColumnType::kTimestamp;
    case kJsonOid:
    case kJsonbOid:
      return ColumnType::kJson;
    default:
      return ColumnType::kText;
  }
}

/// Parse one text-format cell. Values that do not parse (a timestamp of 'infinity', say) stay text rather
/// than being misread.
Value ParseCell(ColumnType type, const char* text, int len) {
  const std::string_view s(text, static_cast<size_t>(len));
  switch (type) {
    case ColumnType::kBoolean:
      return s == "t";
    case ColumnType::kBigInt: {
      int64_t v = 0;
      auto r = std::from_chars(s.data(), s.data() + s.size(), v);
      if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return v;
      break;
    }
    case ColumnType::kDouble: {
      double v = 0;
      auto r = std::from_chars(s.data(), s.data() + s.size(), v);
      if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return v;
      if (s == "Infinity") return HUGE_VAL;
      if (s == "-Infinity") return -HUGE_VAL;
      break;
    }
    case ColumnType::kTimestamp:
      if (auto ts = ParseTimestamp(s)) return *ts;
      break;
    case ColumnType::kDate:
      if (auto d = ParseDate(s)) return *d;
      break;
    case ColumnType::kText:
    case ColumnType::kJson:
      break;
  }
  return std::string(s);
}

class PostgresWarehouse final : public Warehouse {
 public:
  explicit PostgresWarehouse(const std::string& url) : redacted_url_(Redact(url)) {
    char* parse_error = nullptr;
    ConninfoPtr options(PQconninfoParse(url.c_str(), &parse_error));
    if (!options) {
      // libpq's parse message may quote a fragment of the URL, the password included; it is not repeated.
      PqString owned(parse_error);
      throw ConfigError("invalid PostgreSQL URL " + redacted_url_ +
                        "; check its syntax and percent-encode special characters in the password");
    }
    for (PQconninfoOption* o = options.get(); o->keyword; ++o)
      if (std::strcmp(o->keyword, "password") == 0 && o->val) password_ = o->val;

    // A default connect timeout so a wrong host fails instead of hanging; the URL's own setting wins because
    // the expanded dbname overrides earlier keywords.
    const char* keywords[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
    const char* values[] = {"10", "revlens", url.c_str(), nullptr};
    conn_.reset(PQconnectdbParams(keywords, values, 1));
    if (!conn_) throw WarehouseError("PostgreSQL: out of memory connecting to " + redacted_url_);
    if (PQstatus(conn_.get()) != CONNECTION_OK)
      throw WarehouseError("PostgreSQL: cannot connect to " + redacted_url_ + ": " +
                           Scrub(OneLine(PQerrorMessage(conn_.get())), password_));
    // Notices ("schema ... does not exist, skipping") would go to stderr; they are not errors.
    PQsetNoticeProcessor(
        conn_.get(), [](void*, const char*) {}, nullptr);
    if (PQsetClientEncoding(conn_.get(), "UTF8") != 0)
      throw WarehouseError("PostgreSQL: cannot set client encoding UTF8 on " + redacted_url_);
    // UTC and ISO dates make text results parse the same everywhere; timestamps are UTC by convention.
    Execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601'");
  }

  void Execute(const std::string& sql) override {
    // PQexec (not PQexecParams) so that several statements separated by ';' run in one call.
    ResultPtr res(PQexec(Conn(), sql.c_str()));
    Check(res.get(), PGRES_COMMAND_OK, PGRES_TUPLES_OK);
  }

  ResultSet Query(const std::string& sql) override {
    ResultPtr res(PQexecParams(Conn(), sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0));
    Check(res.get(), PGRES_TUPLES_OK, PGRES_COMMAND_OK);
    ResultSet out;
    PGresult* r = res.get();
    const int ncols = PQnfields(r);
    const int nrows = PQntuples(r);
    for (int c = 0; c < ncols; ++c) out.columns.push_back({PQfname(r, c), TypeForOid(PQftype(r, c))});
    out.rows.resize(static_cast<size_t>(nrows));
    for (int i = 0; i < nrows; ++i) {
      auto& row = out.rows[static_cast<size_t>(i)];
      row.resize(static_cast<size_t>(ncols));
      for (int c = 0; c < ncols; ++c) {
        if (PQgetisnull(r, i, c)) continue;
        row[static_cast<size_t>(c)] =
            ParseCell(out.columns[static_cast<size_t>(c)].type, PQgetvalue(r, i, c), PQgetlength(r, i, c));
      }
    }
    return out;
  }

  bool TableExists(const std::string& schema, const std::string& table) override {
    return Query("SELECT count(*) FROM information_schema.tables WHERE table_schema = " + QuoteLiteral(schema) +
                 " AND table_name = " + QuoteLiteral(table))
               .Scalar<int64_t>() > 0;
  }

  std::vector<Column> Columns(const std::string& schema, const std::string& table) override {
    const ResultSet rs = Query(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = " + QuoteLiteral(schema) +
        " AND table_name = " + QuoteLiteral(table) + " ORDER BY ordinal_position");
    std::vector<Column> out;
    for (const auto& row : rs.rows) out.push_back({AsString(row[0]), MapTypeName(AsString(row[1]))});
    return out;
  }

  void BulkLoad(const std::string& schema, const std::string& table, const std::vector<Column>& columns,
                const std::vector<std::vector<Value>>& rows) override {
    CheckRows(schema, table, columns, rows);
    if (rows.empty()) return;
    std::string sql = "COPY " + QualifiedName(schema, table) + " (";
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i) sql += ", ";
      sql += QuoteIdent(columns[i].name);
    }
    sql += ") FROM STDIN";
    const std::string what = "bulk load into " + schema + "." + table + " failed";
    {
      ResultPtr res(PQexec(Conn(), sql.c_str()));
      Check(res.get(), PGRES_COPY_IN, PGRES_COPY_IN, what);
    }
    // Send in ~1 MiB pieces: big enough to keep the socket busy, small enough to stay in cache.
    constexpr size_t kFlushAt = 1 << 20;
    std::string buf;
    buf.reserve(kFlushAt + 4096);
    bool send_failed = false;
    for (const auto& row : rows) {
      for (size_t c = 0; c < row.size(); ++c) {
        if (c) buf += '\t';
        AppendCopyValue(buf, row[c]);
      }
      buf += '\n';
      if (buf.size() >= kFlushAt) {
        if (PQputCopyData(Conn(), buf.data(), static_cast<int>(buf.size())) != 1) {
          send_failed = true;
          break;
        }
        buf.clear();
      }
    }
    if (!send_failed && !buf.empty() && PQputCopyData(Conn(), buf.data(), static_cast<int>(buf.size())) != 1)
      send_failed = true;
    if (PQputCopyEnd(Conn(), send_failed ? "revlens: sending rows failed" : nullptr) != 1) send_failed = true;
    // Drain every result so the connection is ready for the next statement; the first failure is reported.
    std::string error;
    while (ResultPtr res{PQgetResult(Conn())}) {
      if (PQresultStatus(res.get()) != PGRES_COMMAND_OK && error.empty()) error = ResultMessage(res.get(), Conn());
    }
    if (error.empty() && send_failed) error = OneLine(PQerrorMessage(Conn()));
    if (!error.empty()) throw WarehouseError("PostgreSQL " + what + ": " + Scrub(error, password_));
  }

  std::string Dialect() const override { return "postgresql"; }

  std::string SqlType(ColumnType type) const override {
    switch (type) {
      case ColumnType::kText:
        return "TEXT";
      case ColumnType::kBigInt:
        return "BIGINT";
      case ColumnType::kDouble:
        return "DOUBLE PRECISION";
      case ColumnType::kBoolean:
        return "BOOLEAN";
      case ColumnType::kTimestamp:
        return "TIMESTAMP";
      // JSONB rather than JSON: JSON has no equality operator, so DISTINCT/GROUP BY on it fail.
      case ColumnType::kJson:
        return "JSONB";
      case ColumnType::kDate:
        return "DATE";
    }
    return "TEXT";
  }

  std::string Describe() const override { return redacted_url_; }

 private:
  /// The connection, re-established once if the server dropped it (a restart, an idle timeout).
  PGconn* Conn() {
    if (PQstatus(conn_.get()) == CONNECTION_BAD) {
      PQreset(conn_.get());
      if (PQstatus(conn_.get()) != CONNECTION_OK)
        throw WarehouseError("PostgreSQL: lost the connection to " + redacted_url_ + ": " +
                             Scrub(OneLine(PQerrorMessage(conn_.get())), password_));
      Execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601'");
    }
    return conn_.get();
  }

  void Check(const PGresult* res, ExecStatusType ok1, ExecStatusType ok2, const std::string& what = "error") {
    const ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == ok1 || st == ok2) return;
    if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT) {
      // A COPY run through Execute/Query would leave the connection mid-copy; end it so the connection stays usable.
      if (st == PGRES_COPY_IN) PQputCopyEnd(conn_.get(), "revlens: use BulkLoad for COPY FROM STDIN");
      while (ResultPtr r{PQgetResult(conn_.get())}) {
        if (PQresultStatus(r.get()) == PGRES_COPY_OUT) {
          char* row = nullptr;
          while (PQgetCopyData(conn_.get(), &row, 0) > 0) PqString owned(row);
        }
      }
      throw WarehouseError("PostgreSQL: COPY ... STDIN/STDOUT cannot run through Execute or Query; use BulkLoad");
    }
    throw WarehouseError("PostgreSQL " + what + ": " + Scrub(ResultMessage(res, conn_.get()), password_));
  }

  static ColumnType MapTypeName(const std::string& t) {
    if (t == "boolean") return ColumnType::kBoolean;
    if (t == "bigint" || t == "integer" || t == "smallint") return ColumnType::kBigInt;
    if (t == "double precision" || t == "real" || t == "numeric") return ColumnType::kDouble;
    if (t.starts_with("timestamp")) return ColumnType::kTimestamp;
    if (t == "date") return ColumnType::kDate;
    if (t == "json" || t == "jsonb") return ColumnType::kJson;
    return ColumnType::kText;
  }

  std::string redacted_url_;
  std::string password_;
  ConnPtr conn_;
};

}  // namespace

std::unique_ptr<Warehouse> OpenPostgresWarehouse(const std::string& url) {
  return std::make_unique<PostgresWarehouse>(url);
}

}  // namespace revlens::warehouse
