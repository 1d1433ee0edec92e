#include "warehouse/value.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/time_util.hpp"

namespace revlens::warehouse {
namespace {

constexpr int64_t kMicrosPerDay = 86400LL * 1000000LL;



bool ReadInt(std::string_view s, size_t& pos, size_t len, int& out) {
  if (pos + len > s.size()) return false;
  auto r = std::from_chars(s.data() + pos, s.data() + pos + len, out);
  if (r.ec != std::errc() || r.ptr != s.data() + pos + len) return false;
  pos += len;
  return true;
}

// Parses `YYYY-MM-DD` at the start of s; PostgreSQL may print years beyond 9999 or ` BC`, which revlens
// never writes, so those are rejected rather than misread.
bool ReadDate(std::string_view s, size_t& pos, int64_t& days) {
  int y = 0, m = 0, d = 0;
  if (!ReadInt(s, pos, 4, y) || pos >= s.size() || s[pos++] != '-' || !ReadInt(s, pos, 2, m) || pos >= s.size() ||
      s[pos++] != '-' || !ReadInt(s, pos, 2, d))
    return false;
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  days = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

[[noreturn]] void TypeMismatch(const char* wanted, const Value& v) {
  throw WarehouseError(std::string("expected ") + wanted + " but got " + (IsNull(v) ? "NULL" : ToString(v)));
}

}  // namespace

int64_t AsInt64(const Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* b = std::get_if<bool>(&v)) return *b ? 1 : 0;
  if (const auto* d = std::get_if<double>(&v)) {
    // 2^63 is exactly representable; anything at or past it does not fit.
    if (std::isfinite(*d) && std::trunc(*d) == *d && *d >= -9223372036854775808.0 && *d < 9223372036854775808.0)
      return static_cast<int64_t>(*d);
  }
  TypeMismatch("an integer", v);
}

double AsDouble(const Value& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  TypeMismatch("a number", v);
}

const std::string& AsString(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  TypeMismatch("text", v);
}

bool AsBool(const Value& v) {
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  TypeMismatch("a boolean", v);
}

namespace {

void PutDigits(char* out, unsigned v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

/// Append `YYYY-MM-DD`; hand-rolled because snprintf dominated COPY formatting. Years outside 0..9999 (which
/// neither engine prints as four digits) take the slow path.
void AppendCivil(std::string& out, int64_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  if (y < 0 || y > 9999) {
    char buf[32];
    const int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
    out.append(buf, static_cast<size_t>(n));
    return;
  }
  char buf[10];
  PutDigits(buf, static_cast<unsigned>(y), 4);
  buf[4] = '-';
  PutDigits(buf + 5, m, 2);
  buf[7] = '-';
  PutDigits(buf + 8, d, 2);
  out.append(buf, sizeof buf);
}

}  // namespace

void AppendTimestamp(std::string& out, Timestamp ts) {
  const int64_t days = FloorDiv(ts.micros, kMicrosPerDay);
  const auto rem = static_cast<uint64_t>(ts.micros - days * kMicrosPerDay);
  AppendCivil(out, days);
  char buf[16];
  buf[0] = ' ';
  PutDigits(buf + 1, static_cast<unsigned>(rem / 3600000000ULL), 2);
  buf[3] = ':';
  PutDigits(buf + 4, static_cast<unsigned>(rem / 60000000ULL % 60), 2);
  buf[6] = ':';
  PutDigits(buf + 7, static_cast<unsigned>(rem / 1000000ULL % 60), 2);
  buf[9] = '.';
  PutDigits(buf + 10, static_cast<unsigned>(rem % 1000000ULL), 6);
  out.append(buf, sizeof buf);
}

void AppendDate(std::string& out, Date date) {
  AppendCivil(out, date.days);
}

std::string FormatTimestamp(Timestamp ts) {
  std::string out;
  AppendTimestamp(out, ts);
  return out;
}

std::string FormatDate(Date date) {
  std::string out;
  AppendDate(out, date);
  return out;
}

std::optional<Date> ParseDate(std::string_view s) {
  size_t pos = 0;
  int64_t days = 0;
  if (!ReadDate(s, pos, days) || pos != s.size()) return std::nullopt;
  return Date{static_cast<int32_t>(days)};
}

std::optional<Timestamp> ParseTimestamp(std::string_view s) {
  size_t pos = 0;
  int64_t days = 0;
  if (!ReadDate(s, pos, days)) return std::nullopt;
  int64_t micros = days * kMicrosPerDay;
  if (pos == s.size()) return Timestamp{micros};
  if (s[pos] != ' ' && s[pos] != 'T') return std::nullopt;
  ++pos;
  int hh = 0, mi = 0, ss = 0;
  if (!ReadInt(s, pos, 2, hh) || pos >= s.size() || s[pos++] != ':' || !ReadInt(s, pos, 2, mi)) return std::nullopt;
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    if (!ReadInt(s, pos, 2, ss)) return std::nullopt;
  }
  micros += (hh * 3600LL + mi * 60LL + ss) * 1000000LL;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int64_t frac = 0;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      // Digits past microseconds are truncated.
      if (digits < 6) frac = frac * 10 + (s[pos] - '0'), ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    while (digits++ < 6) frac *= 10;
    micros += frac;
  }
  if (pos == s.size()) return Timestamp{micros};
  if (s[pos] == 'Z' && pos + 1 == s.size()) return Timestamp{micros};
  if (s[pos] != '+' && s[pos] != '-') return std::nullopt;
  const int sign = s[pos++] == '-' ? -1 : 1;
  int oh = 0, om = 0, os = 0;
  if (!ReadInt(s, pos, 2, oh)) return std::nullopt;
  // PostgreSQL prints `+05:30` and even `+05:30:15`; ISO also allows `+0530`.
  if (pos < s.size() && s[pos] == ':') ++pos;
  if (pos < s.size() && !ReadInt(s, pos, 2, om)) return std::nullopt;
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    if (!ReadInt(s, pos, 2, os)) return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  micros -= sign * ((oh * 3600LL + om * 60LL + os) * 1000000LL);
  return Timestamp{micros};
}

std::string ToString(const Value& v) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "NULL"; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, d);
      return std::string(buf, r.ptr);
    }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(Timestamp t) const { return FormatTimestamp(t); }
    std::string operator()(Date d) const { return FormatDate(d); }
  };
  return std::visit(Visitor{}, v);
}

std::string_view ColumnTypeName(ColumnType t) {
  switch (t) {
    case ColumnType::kText:
      return "text";
    case ColumnType::kBigInt:
      return "bigint";
    case ColumnType::kDouble:
      return "double";
    case ColumnType::kBoolean:
      return "boolean";
    case ColumnType::kTimestamp:
      return "timestamp";
    case ColumnType::kDate:
      return "date";
    case ColumnType::kJson:
      return "json";
  }
  return "unknown";
}

bool Fits(ColumnType t, const Value& v) {
  switch (v.index()) {
    case 0:
      return true;
    case 1:
      return t == ColumnType::kBoolean;
    case 2:
      return t == ColumnType::kBigInt || t == ColumnType::kDouble;
    case 3:
      return t == ColumnType::kDouble;
    case 4:
      return t == ColumnType::kText || t == ColumnType::kJson;
    case 5:
      return t == ColumnType::kTimestamp;
    case 6:
      return t == ColumnType::kDate;
  }
  return false;
}

size_t ResultSet::ColumnIndex(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == name) return i;
  throw WarehouseError("the query result has no column named '" + std::string(name) + "'");
}

const Value& ResultSet::At(size_t row, std::string_view column) const {
  const size_t col = ColumnIndex(column);
  if (row >= rows.size())
    throw WarehouseError("row " + std::to_string(row) + " is out of range (" + std::to_string(rows.size()) + " rows)");
  return rows[row][col];
}

const Value& ResultSet::ScalarValue() const {
  if (rows.empty() || rows.front().empty()) throw WarehouseError("expected one value but the query returned no rows");
  return rows.front().front();
}

}  // namespace revlens::warehouse
