#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/json_writer.hpp"
#include "core/time_util.hpp"
#include "emulator/landing/landing_internal.hpp"

namespace revlens::landing {

using warehouse::Column;
using warehouse::ColumnType;
using warehouse::Value;
using warehouse::Warehouse;

std::optional<LandingFormat> ParseLandingFormat(std::string_view text) {
  std::string l(text);
  for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "fivetran") return LandingFormat::kFivetran;
  if (l == "airbyte") return LandingFormat::kAirbyte;
  return std::nullopt;
}

std::string_view LandingFormatName(LandingFormat format) {
  return format == LandingFormat::kFivetran ? "fivetran" : "airbyte";
}

std::string LandSummary::ToJson() const {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("format");
  w.String(format);
  w.Key("schema");
  w.String(schema);
  w.Key("total_rows");
  w.Int(total_rows);
  w.Key("unconvertible_values");
  w.Int(unconvertible_values);
  w.Key("seconds");
  w.Double(seconds);
  w.Key("tables");
  w.BeginObject();
  for (const auto& [table, n] : rows) {
    w.Key(table);
    w.Int(n);
  }
  w.EndObject();
  w.EndObject();
  return out;
}

namespace internal {

using emulator::ObjectTable;
using emulator::ObjectType;
using emulator::Portal;

size_t Table::Add(std::string column, ColumnType type) {
  columns.push_back(Column{std::move(column), type});
  return columns.size() - 1;
}

std::vector<Value>& Table::NewRow() {
  rows.emplace_back(columns.size());
  return rows.back();
}

void WriteTable(Warehouse& wh, const std::string& schema, const Table& t, LandSummary& summary) {
  const std::string qualified = Warehouse::QualifiedName(schema, t.name);
  if (wh.TableExists(schema, t.name)) {
    // Same shape: keep the table (views built on it stay valid) and replace its rows; another shape: recreate it.
    if (wh.Columns(schema, t.name) == t.columns) {
      wh.Execute("DELETE FROM " + qualified);
    } else {
      wh.Execute("DROP TABLE " + qualified);
      wh.CreateTable(schema, t.name, t.columns);
    }
  } else {
    wh.CreateTable(schema, t.name, t.columns);
  }
  if (!t.rows.empty()) wh.BulkLoad(schema, t.name, t.columns, t.rows);
  summary.rows[t.name] = static_cast<int64_t>(t.rows.size());
  summary.total_rows += static_cast<int64_t>(t.rows.size());
}

ColumnType PropertyType(std::string_view hubspot_type) {
  if (hubspot_type == "number") return ColumnType::kDouble;
  if (hubspot_type == "datetime") return ColumnType::kTimestamp;
  if (hubspot_type == "date") return ColumnType::kDate;
  if (hubspot_type == "bool") return ColumnType::kBoolean;
  return ColumnType::kText;
}

namespace {

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

constexpr int64_t kDayMs = 86400000;
constexpr int64_t kDayMicros = 86400000000LL;

}  // namespace

// Both connectors read HubSpot's string values and type them by the property metadata. This mirrors that typing
// (not revlens's loader, which the landing formats must not depend on); the landing test checks that the two agree.
std::optional<Value> TypedValue(ColumnType type, std::string_view text) {
  if (text.empty()) return Value{};
  switch (type) {
    case ColumnType::kText:
    case ColumnType::kJson:
      return Value{std::string(text)};
    case ColumnType::kDouble: {
      std::string_view t = text;
      if (!t.empty() && t[0] == '+') t.remove_prefix(1);
      double v = 0;
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (ec != std::errc() || p != t.data() + t.size() || !std::isfinite(v)) return std::nullopt;
      return Value{v};
    }
    case ColumnType::kBigInt: {
      auto v = ParseInt(text);
      if (!v) return std::nullopt;
      return Value{*v};
    }
    case ColumnType::kBoolean: {
      std::string l(text);
      for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
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
        return Value{warehouse::Date{static_cast<int32_t>(FloorDiv(*ms, kDayMs))}};
      }
      if (auto d = warehouse::ParseDate(text)) return Value{*d};
      // HubSpot sometimes sends a date property as a full timestamp at midnight.
      if (auto ts = warehouse::ParseTimestamp(text)) {
        return Value{warehouse::Date{static_cast<int32_t>(FloorDiv(ts->micros, kDayMicros))}};
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::vector<uint16_t> LiveProperties(const ObjectTable& table) {
  std::vector<uint16_t> out;
  const auto& reg = table.Props();
  for (size_t i = 0; i < reg.Size(); ++i) {
    if (!reg.Def(static_cast<uint16_t>(i)).archived) out.push_back(static_cast<uint16_t>(i));
  }
  std::sort(out.begin(), out.end(), [&reg](uint16_t a, uint16_t b) { return reg.Def(a).name < reg.Def(b).name; });
  return out;
}

std::vector<HistoryRow> TrackedHistory(const ObjectTable& table) {
  static const std::vector<std::string> kDeals = {
      "dealstage", "amount", "closedate", "hubspot_owner_id", "hs_manual_forecast_category", "pipeline"};
  static const std::vector<std::string> kContacts = {"lifecyclestage", "hs_lead_status", "hubspot_owner_id"};
  const std::vector<std::string>* names = table.Type() == ObjectType::kDeals      ? &kDeals
                                          : table.Type() == ObjectType::kContacts ? &kContacts
                                                                                  : nullptr;
  std::vector<HistoryRow> out;
  if (names == nullptr) return out;
  std::vector<std::pair<uint16_t, const std::string*>> tracked;
  for (const auto& n : *names) {
    auto idx = table.Props().Find(n);
    if (idx && !table.Props().Def(*idx).archived) tracked.emplace_back(*idx, &n);
  }
  for (const auto& r : table.Records()) {
    if (r.archived) continue;
    for (const auto& [p, name] : tracked) {
      bool any = false;
      for (const auto& h : r.history) {
        if (h.prop != p) continue;
        any = true;
        out.push_back(HistoryRow{r.id, *name, h.value, h.timestamp_ms, h.source_type});
      }
      if (!any) {
        if (const auto v = r.Get(p)) out.push_back(HistoryRow{r.id, *name, std::string(*v), r.updated_ms, "CRM_UI"});
      }
    }
  }
  return out;
}

std::vector<Link> LiveLinks(const Portal& portal, ObjectType from, ObjectType to) {
  const ObjectTable& from_table = portal.Table(from);
  const ObjectTable& to_table = portal.Table(to);
  const auto& assoc = portal.Assoc(from, to);
  std::vector<Link> out;
  for (const auto& r : from_table.Records()) {
    if (r.archived) continue;
    for (const auto& e : assoc.From(r.id)) {
      const auto* target = to_table.Find(e.to_id);
      if (target == nullptr || target->archived) continue;
      out.push_back(Link{r.id, e.to_id, e.type_id, std::string(emulator::AssociationCategoryName(e.category))});
    }
  }
  std::sort(out.begin(), out.end(), [](const Link& a, const Link& b) {
    if (a.from_id != b.from_id) return a.from_id < b.from_id;
    if (a.to_id != b.to_id) return a.to_id < b.to_id;
    return a.type_id < b.type_id;
  });
  return out;
}

double ReportedProbability(double probability) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", probability);
  return std::strtod(buf, nullptr);
}

std::vector<PipelineView> LivePipelines(const Portal& portal) {
  std::vector<PipelineView> out;
  for (const auto& p : portal.deal_pipelines) {
    if (p.archived) continue;
    PipelineView v;
    v.pipeline = &p;
    for (const auto& s : p.stages) {
      if (!s.archived) v.stages.push_back(&s);
    }
    // HubSpot orders stages by display order, then label.
    std::stable_sort(v.stages.begin(), v.stages.end(), [](const auto* a, const auto* b) {
      return a->display_order != b->display_order ? a->display_order < b->display_order : a->label < b->label;
    });
    out.push_back(std::move(v));
  }
  std::stable_sort(out.begin(), out.end(), [](const PipelineView& a, const PipelineView& b) {
    return a.pipeline->display_order != b.pipeline->display_order
               ? a.pipeline->display_order < b.pipeline->display_order
               : a.pipeline->label < b.pipeline->label;
  });
  return out;
}

PropertyColumns AddPropertyColumns(Table& t, const ObjectTable& table, std::string_view prefix,
                                   const std::vector<std::string>& skip) {
  PropertyColumns pc;
  pc.column_of.assign(table.Props().Size(), -1);
  for (uint16_t p : LiveProperties(table)) {
    const auto& def = table.Props().Def(p);
    if (std::find(skip.begin(), skip.end(), def.name) != skip.end()) continue;
    pc.column_of[p] = static_cast<int>(t.Add(std::string(prefix) + def.name, PropertyType(def.type)));
    pc.properties.push_back(p);
  }
  return pc;
}

void FillProperties(std::vector<Value>& row, const emulator::Record& r, const Table& t, const PropertyColumns& pc,
                    int64_t& unconvertible) {
  for (const auto& [p, text] : r.props) {
    if (p >= pc.column_of.size() || pc.column_of[p] < 0) continue;
    const auto col = static_cast<size_t>(pc.column_of[p]);
    auto v = TypedValue(t.columns[col].type, text);
    if (v) {
      row[col] = std::move(*v);
    } else {
      ++unconvertible;
    }
  }
}

std::string TeamName(const Portal& portal, const std::string& team_id) {
  for (const auto& t : portal.teams) {
    if (t.id == team_id) return t.name;
  }
  return "";
}

}  // namespace internal
}  // namespace revlens::landing
