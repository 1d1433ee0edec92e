#include "sync/page_parse.hpp"

#include <charconv>
#include <simdjson.h>

#include "core/time_util.hpp"
#include "hubspot/client.hpp"

namespace revlens::sync {

using warehouse::Value;
namespace dom = simdjson::dom;

namespace {

std::optional<int64_t> ParseId(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

// An id given as a JSON string or integer.
std::optional<int64_t> ElementId(dom::element e) {
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) return ParseId(s);
  int64_t i = 0;
  if (e.get_int64().get(i) == simdjson::SUCCESS && i > 0) return i;
  uint64_t u = 0;
  if (e.get_uint64().get(u) == simdjson::SUCCESS && u > 0 && u < (1ULL << 62)) return static_cast<int64_t>(u);
  return std::nullopt;
}

// A timestamp field (ISO text or epoch ms); nullopt when absent or unparsable.
std::optional<int64_t> FieldMillis(dom::object o, std::string_view key) {
  std::string_view s;
  if (o[key].get_string().get(s) == simdjson::SUCCESS) return ParseTimestampMillis(s);
  int64_t i = 0;
  if (o[key].get_int64().get(i) == simdjson::SUCCESS) return i;
  return std::nullopt;
}

std::string FieldText(dom::object o, std::string_view key) {
  std::string_view s;
  if (o[key].get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  int64_t i = 0;
  if (o[key].get_int64().get(i) == simdjson::SUCCESS) return std::to_string(i);
  return {};
}

[[noreturn]] void Malformed(const std::string& what) {
  throw hubspot::MalformedResponseError("malformed HubSpot response: " + what);
}

dom::element ParseBody(dom::parser& parser, std::string_view body) {
  dom::element doc;
  if (auto err = parser.parse(body.data(), body.size()).get(doc); err != simdjson::SUCCESS) {
    Malformed(std::string("not JSON (") + simdjson::error_message(err) + ")");
  }
  if (!doc.is_object()) Malformed("expected a JSON object");
  return doc;
}

dom::parser& ThreadParser() {
  thread_local dom::parser parser;
  return parser;
}

std::string NextAfter(dom::element doc) {
  std::string_view after;
  if (doc["paging"]["next"]["after"].get_string().get(after) == simdjson::SUCCESS) return std::string(after);
  return {};
}

void Quarantine(RowBatch& out, const std::string& resource, const std::string& record_id, const std::string& reason,
                dom::element record, warehouse::Timestamp at, const std::string& run_id) {
  out.quarantine.push_back({Value{resource}, record_id.empty() ? Value{} : Value{record_id}, Value{reason},
                            Value{simdjson::to_string(record)}, Value{at}, Value{run_id}});
}

}  // namespace

PageInfo ParseObjectPage(std::string_view body, const TypePlan& plan, bool with_history, const KeepRecord& keep,
                         warehouse::Timestamp synced_at, const std::string& run_id, RowBatch& out) {
  dom::parser& parser = ThreadParser();
  const dom::element doc = ParseBody(parser, body);
  PageInfo info;
  dom::array results;
  if (doc["results"].get_array().get(results) != simdjson::SUCCESS) Malformed("no 'results' list");
  info.next_after = NextAfter(doc);
  int64_t total = 0;
  if (doc["total"].get_int64().get(total) == simdjson::SUCCESS) info.total = total;

  const size_t ncols = plan.shape.columns.size();
  for (dom::element rec : results) {
    ++info.records;
    dom::object o;
    if (rec.get_object().get(o) != simdjson::SUCCESS) {
      Quarantine(out, plan.type, "", "record is not a JSON object", rec, synced_at, run_id);
      continue;
    }
    dom::element id_el;
    if (o["id"].get(id_el) != simdjson::SUCCESS || !ElementId(id_el)) {
      Quarantine(out, plan.type, FieldText(o, "id"), "record has no valid 'id'", rec, synced_at, run_id);
      continue;
    }
    const int64_t rid = *ElementId(id_el);
    const auto created = FieldMillis(o, "createdAt");
    const auto updated = FieldMillis(o, "updatedAt");
    if (!created || !updated) {
      Quarantine(out, plan.type, std::to_string(rid), "record lacks a valid createdAt/updatedAt", rec, synced_at,
                 run_id);
      continue;
    }
    bool archived = false;
    if (o["archived"].get_bool().get(archived) != simdjson::SUCCESS) archived = false;
    info.max_modified_ms = std::max(info.max_modified_ms, *updated);
    if (keep && !keep(rid, *updated, archived)) continue;

    std::vector<Value> row(ncols);
    row[0] = Value{rid};
    row[1] = Value{warehouse::TimestampFromMillis(*created)};
    row[2] = Value{warehouse::TimestampFromMillis(*updated)};
    row[3] = Value{archived};
    if (auto at = FieldMillis(o, "archivedAt")) row[4] = Value{warehouse::TimestampFromMillis(*at)};
    row[6] = Value{synced_at};

    std::string bad;
    dom::object props;
    const bool has_props = o["properties"].get_object().get(props) == simdjson::SUCCESS;
    if (has_props) {
      for (auto field : props) {
        auto it = plan.column_of.find(std::string(field.key));
        if (it == plan.column_of.end()) continue;  // a property the metadata did not list: ignored, not an error
        std::string_view text;
        if (field.value.is_null()) continue;
        if (field.value.get_string().get(text) != simdjson::SUCCESS) {
          // HubSpot sends every property value as a string; tolerate numbers and booleans.
          const std::string raw = simdjson::to_string(field.value);
          auto v = ConvertValue(plan.shape.columns[it->second].type, raw);
          if (!v) {
            bad = "property " + std::string(field.key) + ": unexpected JSON value " + raw;
            break;
          }
          row[it->second] = std::move(*v);
          continue;
        }
        auto v = ConvertValue(plan.shape.columns[it->second].type, text);
        if (!v) {
          bad = "property " + std::string(field.key) + ": '" + std::string(text.substr(0, 80)) + "' is not a valid " +
                std::string(warehouse::ColumnTypeName(plan.shape.columns[it->second].type));
          break;
        }
        row[it->second] = std::move(*v);
      }
    } else if (!o["properties"].error()) {
      bad = "'properties' is not an object";
    }
    if (!bad.empty()) {
      Quarantine(out, plan.type, std::to_string(rid), bad, rec, synced_at, run_id);
      continue;
    }
    if (with_history) {
      out.history_ids.push_back(rid);
      dom::object hist;
      if (o["propertiesWithHistory"].get_object().get(hist) == simdjson::SUCCESS) {
        for (const auto& prop : plan.history) {
          dom::array entries;
          if (hist[prop].get_array().get(entries) != simdjson::SUCCESS) continue;
          for (dom::element e : entries) {
            dom::object h;
            if (e.get_object().get(h) != simdjson::SUCCESS) continue;
            const auto ts = FieldMillis(h, "timestamp");
            if (!ts) continue;
            std::string_view value;
            Value v;
            if (h["value"].get_string().get(value) == simdjson::SUCCESS) v = Value{std::string(value)};
            int64_t user = 0;
            Value user_v;
            if (h["updatedByUserId"].get_int64().get(user) == simdjson::SUCCESS) user_v = Value{user};
            auto text_or_null = [&](std::string_view key) {
              std::string t = FieldText(h, key);
              return t.empty() ? Value{} : Value{std::move(t)};
            };
            out.history.push_back({Value{plan.type}, Value{rid}, Value{prop}, std::move(v),
                                   Value{warehouse::TimestampFromMillis(*ts)}, text_or_null("sourceType"),
                                   text_or_null("sourceId"), text_or_null("sourceLabel"), std::move(user_v),
                                   Value{synced_at}});
          }
        }
      }
    }
    info.ids.push_back(rid);
    out.objects.push_back(std::move(row));
  }
  return info;
}

void ParseAssociationPage(std::string_view body, const std::string& from_type, const std::string& to_type,
                          warehouse::Timestamp synced_at, RowBatch& out, std::vector<AssociationFollowUp>& follow_ups) {
  dom::parser& parser = ThreadParser();
  const dom::element doc = ParseBody(parser, body);
  dom::array results;
  if (doc["results"].get_array().get(results) != simdjson::SUCCESS) Malformed("association page has no 'results'");
  for (dom::element r : results) {
    dom::element from_id_el;
    if (r["from"]["id"].get(from_id_el) != simdjson::SUCCESS) Malformed("association result without from.id");
    const auto from_id = ElementId(from_id_el);
    if (!from_id) Malformed("association result with an invalid from.id");
    dom::array to;
    if (r["to"].get_array().get(to) != simdjson::SUCCESS) Malformed("association result without 'to'");
    for (dom::element t : to) {
      dom::element to_el;
      if (t["toObjectId"].get(to_el) != simdjson::SUCCESS) Malformed("association without toObjectId");
      const auto to_id = ElementId(to_el);
      if (!to_id) Malformed("association with an invalid toObjectId");
      dom::array types;
      if (t["associationTypes"].get_array().get(types) != simdjson::SUCCESS) Malformed("association without types");
      for (dom::element ty : types) {
        int64_t type_id = 0;
        if (ty["typeId"].get_int64().get(type_id) != simdjson::SUCCESS) Malformed("association type without typeId");
        std::string_view category, label;
        Value label_v;
        if (ty["label"].get_string().get(label) == simdjson::SUCCESS && !label.empty()) {
          label_v = Value{std::string(label)};
        }
        if (ty["category"].get_string().get(category) != simdjson::SUCCESS) category = {};
        out.associations.push_back({Value{from_type}, Value{*from_id}, Value{to_type}, Value{*to_id}, Value{type_id},
                                    category.empty() ? Value{} : Value{std::string(category)}, std::move(label_v),
                                    Value{synced_at}});
      }
    }
    std::string_view after;
    if (r["paging"]["next"]["after"].get_string().get(after) == simdjson::SUCCESS && !after.empty()) {
      follow_ups.push_back({*from_id, std::string(after)});
    }
  }
}

}  // namespace revlens::sync
