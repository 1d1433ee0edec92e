#include "sync/loader.hpp"

#include <charconv>
#include <cmath>
#include <map>
#include <unordered_set>

#include "sync/raw_layout.hpp"

namespace revlens::sync {

using warehouse::Column;
using warehouse::ColumnType;
using warehouse::Value;
using warehouse::Warehouse;

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<double> ParseDouble(std::string_view text) {
  double v = 0;
  const char* b = text.data();
  const char* e = b + text.size();
  if (b != e && *b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// The type a column must become to hold both `have` and `want` values without loss.
ColumnType Widen(ColumnType have, ColumnType want) {
  if (have == want) return have;
  if ((have == ColumnType::kBigInt && want == ColumnType::kDouble) ||
      (have == ColumnType::kDouble && want == ColumnType::kBigInt)) {
    return ColumnType::kDouble;
  }
  if ((have == ColumnType::kDate && want == ColumnType::kTimestamp) ||
      (have == ColumnType::kTimestamp && want == ColumnType::kDate)) {
    return ColumnType::kTimestamp;
  }
  return ColumnType::kText;
}

}  // namespace

std::optional<Value> ConvertValue(ColumnType type, std::string_view text) {
  if (text.empty()) return Value{};
  switch (type) {
    case ColumnType::kText:
    case ColumnType::kJson:
      return Value{std::string(text)};
    case ColumnType::kDouble: {
      auto d = ParseDouble(text);
      if (!d) return std::nullopt;
      return Value{*d};
    }
    case ColumnType::kBigInt: {
      if (auto i = ParseInt(text)) return Value{*i};
      auto d = ParseDouble(text);
      if (!d || std::floor(*d) != *d || std::fabs(*d) > 9.0e18) return std::nullopt;
      return Value{static_cast<int64_t>(*d)};
    }
    case ColumnType::kBoolean: {
      const std::string l = Lower(text);
      if (l == "true") return Value{true};
      if (l == "false") return Value{false};
      return std::nullopt;
    }
    case ColumnType::kTimestamp: {
      if (AllDigits(text)) {
        auto ms = ParseInt(text);
        if (!ms) return std::nullopt;
        return Value{warehouse::TimestampFromMillis(*ms)};
      }
      auto ts = warehouse::ParseTimestamp(text);
      if (!ts) return std::nullopt;
      return Value{*ts};
    }
    case ColumnType::kDate: {
      if (AllDigits(text)) {
        auto ms = ParseInt(text);
        if (!ms) return std::nullopt;
        const int64_t day_ms = 86400000;
        int64_t days = *ms / day_ms;
        if (*ms % day_ms < 0) --days;
        return Value{warehouse::Date{static_cast<int32_t>(days)}};
      }
      if (auto d = warehouse::ParseDate(text)) return Value{*d};
      // HubSpot sometimes sends a date property as a full timestamp at midnight.
      if (auto ts = warehouse::ParseTimestamp(text)) {
        int64_t days = ts->micros / 86400000000LL;
        if (ts->micros % 86400000000LL < 0) --days;
        return Value{warehouse::Date{static_cast<int32_t>(days)}};
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

ObjectTableShape EvolveObjectTable(Warehouse& wh, const std::string& schema, const std::string& object_type,
                                   const std::vector<PropertyMeta>& properties, std::vector<std::string>& warnings) {
  const auto fixed = ObjectFixedColumns();
  if (!wh.TableExists(schema, object_type)) wh.CreateTable(schema, object_type, fixed);
  auto existing = wh.Columns(schema, object_type);
  std::map<std::string, ColumnType> have;
  for (const auto& c : existing) have[c.name] = c.type;

  ObjectTableShape shape;
  shape.columns = fixed;
  std::unordered_set<std::string> seen;
  const std::string table = Warehouse::QualifiedName(schema, object_type);
  for (const auto& p : properties) {
    const std::string col = PropertyColumn(p.name);
    if (!seen.insert(col).second) continue;
    ColumnType want = PropertyColumnType(p.type);
    auto it = have.find(col);
    if (it == have.end()) {
      wh.Execute("ALTER TABLE " + table + " ADD COLUMN " + Warehouse::QuoteIdent(col) + " " + wh.SqlType(want));
      have[col] = want;
    } else if (it->second != want) {
      const ColumnType to = Widen(it->second, want);
      if (to != it->second) {
        wh.Execute("ALTER TABLE " + table + " ALTER COLUMN " + Warehouse::QuoteIdent(col) + " TYPE " +
                   wh.SqlType(to) + " USING CAST(" + Warehouse::QuoteIdent(col) + " AS " + wh.SqlType(to) + ")");
        warnings.push_back(object_type + "." + p.name + ": HubSpot type is now '" + p.type + "'; column " + col +
                           " changed from " + std::string(warehouse::ColumnTypeName(it->second)) + " to " +
                           std::string(warehouse::ColumnTypeName(to)));
        it->second = to;
      }
      want = it->second;
    }
    shape.columns.push_back({col, have[col]});
    shape.property_names.push_back(p.name);
  }
  return shape;
}

void DeleteWhereIn(Warehouse& wh, const std::string& schema, const std::string& table, const std::string& column,
                   const std::vector<int64_t>& ids, const std::string& also) {
  const std::string prefix = "DELETE FROM " + Warehouse::QualifiedName(schema, table) + " WHERE " +
                             (also.empty() ? "" : "(" + also + ") AND ") + Warehouse::QuoteIdent(column) + " IN (";
  constexpr size_t kBatch = 5000;
  for (size_t i = 0; i < ids.size(); i += kBatch) {
    std::string sql = prefix;
    const size_t end = std::min(ids.size(), i + kBatch);
    for (size_t j = i; j < end; ++j) {
      if (j > i) sql += ',';
      sql += std::to_string(ids[j]);
    }
    sql += ')';
    wh.Execute(sql);
  }
}

void ReplaceByKey(Warehouse& wh, const std::string& schema, const std::string& table, const std::vector<Column>& columns,
                  const std::vector<size_t>& key_columns, const std::vector<std::vector<Value>>& rows) {
  if (rows.empty()) return;
  if (key_columns.size() == 1 && columns[key_columns[0]].type == ColumnType::kBigInt) {
    std::vector<int64_t> ids;
    ids.reserve(rows.size());
    for (const auto& r : rows) {
      if (const auto* v = std::get_if<int64_t>(&r[key_columns[0]])) ids.push_back(*v);
    }
    DeleteWhereIn(wh, schema, table, columns[key_columns[0]].name, ids);
  } else {
    // Composite keys: one DELETE per distinct key tuple, batched as ORed conjunctions.
    constexpr size_t kBatch = 500;
    for (size_t i = 0; i < rows.size(); i += kBatch) {
      std::string sql = "DELETE FROM " + Warehouse::QualifiedName(schema, table) + " WHERE ";
      const size_t end = std::min(rows.size(), i + kBatch);
      for (size_t j = i; j < end; ++j) {
        if (j > i) sql += " OR ";
        sql += '(';
        for (size_t k = 0; k < key_columns.size(); ++k) {
          if (k) sql += " AND ";
          const Value& v = rows[j][key_columns[k]];
          sql += Warehouse::QuoteIdent(columns[key_columns[k]].name);
          sql += warehouse::IsNull(v) ? " IS NULL" : " = " + Warehouse::Literal(v);
        }
        sql += ')';
      }
      wh.Execute(sql);
    }
  }
  wh.BulkLoad(schema, table, columns, rows);
}

void StorePropertyMetadata(Warehouse& wh, const std::string& schema, const std::string& object_type,
                           const std::vector<PropertyMeta>& properties) {
  wh.Execute("DELETE FROM " + Warehouse::QualifiedName(schema, "properties") +
             " WHERE object_type = " + Warehouse::QuoteLiteral(object_type));
  std::vector<std::vector<Value>> rows;
  rows.reserve(properties.size());
  for (const auto& p : properties) {
    rows.push_back({Value{object_type}, Value{p.name}, Value{p.label}, Value{p.type}, Value{p.field_type},
                    Value{p.group_name}, Value{p.description}, Value{p.options_json}, Value{p.hubspot_defined},
                    Value{p.calculated}, Value{p.archived}, Value{PropertyColumn(p.name)}});
  }
  wh.BulkLoad(schema, "properties", PropertyColumns(), rows);
}

}  // namespace revlens::sync
