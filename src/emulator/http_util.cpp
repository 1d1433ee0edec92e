// Shared pieces of the emulator's route handlers: HubSpot's error body, query parameters,
// record serialization (the list-page hot path).
#include "emulator/http_util.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <random>

#include "core/time_util.hpp"

namespace revlens::emulator {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Append `v` as a JSON string: one memcpy for the common case of nothing to escape.
void AppendJsonString(std::string& out, std::string_view v) {
  size_t i = 0;
  while (i < v.size()) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c < 0x20 || c == '"' || c == '\\') break;
    ++i;
  }
  if (i == v.size()) {
    out += '"';
    out.append(v.data(), v.size());
    out += '"';
    return;
  }
  JsonWriter::AppendQuoted(out, v);
}


// Append `"2024-11-20T20:12:09.236Z"` (quoted); falls back to FormatIsoMillis outside years 0-9999.
void AppendIsoQuoted(std::string& out, int64_t ms) {
  int64_t days = ms / 86400000;
  if (ms % 86400000 < 0) --days;
  int64_t rem = ms - days * 86400000;
  int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, y, m, d);
  if (y < 0 || y > 9999) {
    out += '"';
    out += FormatIsoMillis(ms);
    out += '"';
    return;
  }
  char buf[26];
  auto put = [&buf](int pos, int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      buf[pos + i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  buf[0] = '"';
  put(1, y, 4);
  buf[5] = '-';
  put(6, m, 2);
  buf[8] = '-';
  put(9, d, 2);
  buf[11] = 'T';
  put(12, rem / 3600000, 2);
  rem %= 3600000;
  buf[14] = ':';
  put(15, rem / 60000, 2);
  rem %= 60000;
  buf[17] = ':';
  put(18, rem / 1000, 2);
  buf[20] = '.';
  put(21, rem % 1000, 3);
  buf[24] = 'Z';
  buf[25] = '"';
  out.append(buf, sizeof buf);
}

// Write one propertiesWithHistory array: newest first. A property with a value but no recorded
// history reports its current value stamped with the record's updatedAt (store.hpp).
void WriteHistory(JsonWriter& w, const Record& r, uint16_t p) {
  w.BeginArray();
  bool any = false;
  for (auto it = r.history.rbegin(); it != r.history.rend(); ++it) {
    if (it->prop != p) continue;
    any = true;
    w.BeginObject();
    w.Key("value");
    w.String(it->value);
    w.Key("timestamp");
    w.String(FormatIsoMillis(it->timestamp_ms));
    w.Key("sourceType");
    w.String(it->source_type);
    w.EndObject();
  }
  if (!any) {
    if (const auto v = r.Get(p)) {
      w.BeginObject();
      w.Key("value");
      w.String(*v);
      w.Key("timestamp");
      w.String(FormatIsoMillis(r.updated_ms));
      w.Key("sourceType");
      w.String("CRM_UI");
      w.EndObject();
    }
  }
  w.EndArray();
}

}  // namespace

std::string NewCorrelationId() {
  // One generator per thread: correlation ids only need to be unique, not unpredictable.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t a = rng(), b = rng();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(36, '-');
  int nibble = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) continue;
    const uint64_t src = nibble < 16 ? a : b;
    s[i] = kHex[(src >> ((nibble % 16) * 4)) & 15];
    ++nibble;
  }
  s[14] = '4';                                   // version 4
  s[19] = kHex[8 + ((b >> 60) & 3)];             // variant 10xx
  return s;
}

void SendError(httplib::Response& res, int status, std::string_view category, std::string_view message,
               nlohmann::json errors, nlohmann::json context) {
  nlohmann::json body = {{"status", "error"},
                         {"message", std::string(message)},
                         {"correlationId", NewCorrelationId()},
                         {"category", std::string(category)}};
  body["errors"] = errors.is_array() ? std::move(errors) : nlohmann::json::array();
  body["context"] = context.is_object() ? std::move(context) : nlohmann::json::object();
  body["links"] = nlohmann::json::object();
  SendJson(res, status, body.dump());
}

void SendJson(httplib::Response& res, int status, std::string body) {
  res.status = status;
  // Assigning the body directly avoids set_content's copy of a page that may be 100+ KB.
  res.body = std::move(body);
  if (res.has_header("Content-Type")) res.headers.erase("Content-Type");
  res.set_header("Content-Type", "application/json;charset=utf-8");
}

std::vector<std::string> MultiParam(const httplib::Request& req, const char* name) {
  std::vector<std::string> out;
  auto range = req.params.equal_range(name);
  for (auto it = range.first; it != range.second; ++it) {
    std::string_view v = it->second;
    size_t start = 0;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      if (comma == std::string_view::npos) comma = v.size();
      std::string_view item = v.substr(start, comma - start);
      while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.remove_prefix(1);
      while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.remove_suffix(1);
      if (!item.empty()) out.emplace_back(item);
      start = comma + 1;
    }
  }
  return out;
}

std::optional<bool> BoolParam(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  const std::string v = req.get_param_value(name);
  if (IEquals(v, "true")) return true;
  if (IEquals(v, "false")) return false;
  throw BadRequest{400, "VALIDATION_ERROR",
                   "Invalid value for query parameter '" + std::string(name) + "': expected true or false"};
}

std::optional<int64_t> IntParam(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  const std::string v = req.get_param_value(name);
  int64_t out = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size()) {
    throw BadRequest{400, "VALIDATION_ERROR",
                     "Invalid value for query parameter '" + std::string(name) + "': expected an integer"};
  }
  return out;
}

ObjectType RequireObjectType(std::string_view text) {
  if (auto t = ParseObjectType(text)) return *t;
  // HubSpot answers an unknown object type with 400 "Unable to infer object type from: x".
  throw BadRequest{400, "VALIDATION_ERROR", "Unable to infer object type from: " + std::string(text)};
}

nlohmann::json ParseBody(const httplib::Request& req) {
  if (req.body.empty()) throw BadRequest{400, "VALIDATION_ERROR", "Invalid input JSON: the request body is empty"};
  nlohmann::json j = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    throw BadRequest{400, "VALIDATION_ERROR", "Invalid input JSON on line 1: the request body is not valid JSON"};
  }
  return j;
}

RecordView MakeRecordView(const ObjectTable& table, const std::vector<std::string>& properties,
                          const std::vector<std::string>& properties_with_history,
                          const std::vector<ObjectType>& associations) {
  RecordView v;
  const auto& reg = table.Props();
  std::vector<std::string> names = properties.empty() ? DefaultReturnedProperties(table.Type()) : properties;
  if (!properties.empty()) {
    // HubSpot always returns the record id, create date and last-modified date, even when the
    // request names other properties (the `?properties=email` example in its object docs).
    const bool crm = table.Type() == ObjectType::kContacts || table.Type() == ObjectType::kCompanies ||
                     table.Type() == ObjectType::kDeals;
    names.emplace_back("hs_object_id");
    names.emplace_back(crm ? "createdate" : "hs_createdate");
    names.emplace_back(LastModifiedProperty(table.Type()));
  }
  v.props.reserve(names.size());
  for (const auto& n : names) {
    if (auto i = reg.Find(n)) {
      if (std::find(v.props.begin(), v.props.end(), *i) == v.props.end()) v.props.push_back(*i);
    } else {
      v.unknown_props.push_back(n);
    }
  }
  v.prop_keys.reserve(v.props.size());
  for (uint16_t p : v.props) {
    std::string k;
    AppendJsonString(k, reg.Def(p).name);
    k += ':';
    v.prop_keys.push_back(std::move(k));
  }
  for (const auto& n : properties_with_history) {
    if (auto i = reg.Find(n)) {
      if (std::find(v.history_props.begin(), v.history_props.end(), *i) == v.history_props.end())
        v.history_props.push_back(*i);
    } else {
      v.unknown_props.push_back(n);
    }
  }
  for (auto t : associations) {
    if (std::find(v.associations.begin(), v.associations.end(), t) == v.associations.end()) v.associations.push_back(t);
  }
  return v;
}

void WriteRecord(JsonWriter& w, const Portal& portal, const ObjectTable& table, const Record& r,
                 const RecordView& view) {
  const auto& reg = table.Props();
  w.BeginObject();
  w.Key("id");
  char idbuf[24];
  auto idr = std::to_chars(idbuf + 1, idbuf + sizeof idbuf - 1, r.id);
  idbuf[0] = '"';
  *idr.ptr = '"';
  w.Raw(std::string_view(idbuf, static_cast<size_t>(idr.ptr - idbuf + 1)));
  w.Key("properties");
  {
    // The properties object is most of a page: built by hand into a per-thread scratch string
    // with pre-quoted keys, then inserted as one raw value.
    thread_local std::string scratch;
    scratch.clear();
    scratch += '{';
    const bool keyed = view.prop_keys.size() == view.props.size();
    for (size_t i = 0; i < view.props.size(); ++i) {
      if (i != 0) scratch += ',';
      if (keyed) {
        scratch += view.prop_keys[i];
      } else {
        AppendJsonString(scratch, reg.Def(view.props[i]).name);
        scratch += ':';
      }
      if (const auto v = r.Get(view.props[i])) {
        AppendJsonString(scratch, *v);
      } else {
        scratch += "null";
      }
    }
    scratch += '}';
    w.Raw(scratch);
  }
  if (!view.history_props.empty()) {
    w.Key("propertiesWithHistory");
    w.BeginObject();
    for (uint16_t p : view.history_props) {
      w.Key(reg.Def(p).name);
      WriteHistory(w, r, p);
    }
    w.EndObject();
  }
  {
    thread_local std::string dates;
    dates.clear();
    AppendIsoQuoted(dates, r.created_ms);
    w.Key("createdAt");
    w.Raw(dates);
    dates.clear();
    AppendIsoQuoted(dates, r.updated_ms);
    w.Key("updatedAt");
    w.Raw(dates);
  }
  w.Key("archived");
  w.Bool(r.archived);
  if (r.archived) {
    w.Key("archivedAt");
    w.String(FormatIsoMillis(r.archived_ms != 0 ? r.archived_ms : r.updated_ms));
  }
  if (!view.associations.empty()) {
    // v3 expansion: one entry per associated record (edges of several types to the same record
    // collapse into one), records that are archived left out; types with none omitted.
    bool opened = false;
    std::vector<int64_t> seen;
    for (ObjectType to : view.associations) {
      const auto edges = portal.Assoc(table.Type(), to).From(r.id);
      if (edges.empty()) continue;
      const auto& to_table = portal.Table(to);
      seen.clear();
      bool type_open = false;
      const std::string type_name = AssociationTypeName(table.Type(), to);
      for (const auto& e : edges) {
        if (std::find(seen.begin(), seen.end(), e.to_id) != seen.end()) continue;
        const Record* target = to_table.Find(e.to_id);
        if (target == nullptr || target->archived) continue;
        seen.push_back(e.to_id);
        if (!opened) {
          w.Key("associations");
          w.BeginObject();
          opened = true;
        }
        if (!type_open) {
          w.Key(ObjectTypeName(to));
          w.BeginObject();
          w.Key("results");
          w.BeginArray();
          type_open = true;
        }
        w.BeginObject();
        w.Key("id");
        w.String(std::to_string(e.to_id));
        w.Key("type");
        w.String(type_name);
        w.EndObject();
      }
      if (type_open) {
        w.EndArray();
        w.EndObject();
      }
    }
    if (opened) w.EndObject();
  }
  w.EndObject();
}

void WritePagingNext(JsonWriter& w, std::string_view after, std::string_view link) {
  w.Key("paging");
  w.BeginObject();
  w.Key("next");
  w.BeginObject();
  w.Key("after");
  w.String(after);
  if (!link.empty()) {
    w.Key("link");
    w.String(link);
  }
  w.EndObject();
  w.EndObject();
}

}  // namespace revlens::emulator
