// Portal directory format (all files deterministic for a given portal):
//   portal.json          schema (property definitions and groups per type), pipelines, owners, teams,
//                        association labels, subscriptions, portal settings
//   <type>.ndjson        one record per line, ids ascending:
//                        {"id":1051,"c":created_ms,"u":updated_ms,"a":archived,"am":archived_ms,"m":merged_into,
//                         "p":{"name":"value",...},"h":[["name",ms,"value","SOURCE"],...]}
//   associations.tsv     from_type \t to_type \t from_id \t to_id:type_id:category[,...]  (every directed edge)
//   truth.json           the ground truth (what `revlens emulator truth` prints)
//   product_usage.csv    daily product events
// NDJSON lines are parsed with simdjson's on-demand API straight out of one padded buffer, so a
// malformed line is reported with its file and line number.
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <span>
#include <unordered_map>

#include "core/errors.hpp"
#include "core/json_writer.hpp"
#include "emulator/generator/generator.hpp"

namespace revlens::emulator {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kFormat = "revlens-portal/1";

/// A FILE* that closes itself.
struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

FilePtr OpenWrite(const fs::path& p) {
  FilePtr f(std::fopen(p.c_str(), "wb"));
  if (!f) throw IOError("cannot write " + p.string());
  return f;
}
void WriteAll(std::FILE* f, std::string_view s, const fs::path& p) {
  if (!s.empty() && std::fwrite(s.data(), 1, s.size(), f) != s.size()) throw IOError("short write to " + p.string());
}
void WriteFile(const fs::path& p, std::string_view s) {
  auto f = OpenWrite(p);
  WriteAll(f.get(), s, p);
}
std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw InvalidInputError("cannot read " + p.string() + ": not a portal directory written by `emulator generate`?");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

json DefToJson(const PropertyDef& d) {
  json o = {{"name", d.name}, {"label", d.label}, {"type", d.type}, {"fieldType", d.field_type},
            {"groupName", d.group_name}, {"description", d.description}, {"displayOrder", d.display_order},
            {"hasUniqueValue", d.has_unique_value}, {"hidden", d.hidden}, {"formField", d.form_field},
            {"calculated", d.calculated}, {"hubspotDefined", d.hubspot_defined}, {"archived", d.archived},
            {"createdAt", d.created_ms}, {"updatedAt", d.updated_ms}, {"archivedAt", d.archived_ms}};
  json opts = json::array();
  for (const auto& op : d.options)
    opts.push_back({{"label", op.label}, {"value", op.value}, {"description", op.description},
                    {"displayOrder", op.display_order}, {"hidden", op.hidden}});
  o["options"] = std::move(opts);
  return o;
}
PropertyDef DefFromJson(const json& o) {
  PropertyDef d;
  d.name = o.at("name").get<std::string>();
  d.label = o.value("label", "");
  d.type = o.value("type", "string");
  d.field_type = o.value("fieldType", "text");
  d.group_name = o.value("groupName", "");
  d.description = o.value("description", "");
  d.display_order = o.value("displayOrder", -1);
  d.has_unique_value = o.value("hasUniqueValue", false);
  d.hidden = o.value("hidden", false);
  d.form_field = o.value("formField", false);
  d.calculated = o.value("calculated", false);
  d.hubspot_defined = o.value("hubspotDefined", true);
  d.archived = o.value("archived", false);
  d.created_ms = o.value("createdAt", int64_t{0});
  d.updated_ms = o.value("updatedAt", int64_t{0});
  d.archived_ms = o.value("archivedAt", int64_t{0});
  for (const auto& op : o.value("options", json::array()))
    d.options.push_back({op.value("label", ""), op.value("value", ""), op.value("description", ""),
                         op.value("displayOrder", 0), op.value("hidden", false)});
  return d;
}

json PortalJson(const Portal& p) {
  json j;
  j["format"] = kFormat;
  j["portalId"] = p.portal_id;
  j["appId"] = p.app_id;
  j["timeZone"] = p.time_zone;
  j["webhookTargetUrl"] = p.webhook_target_url;
  j["maxConcurrentWebhookRequests"] = p.max_concurrent_webhook_requests;
  j["webhookThrottlingPeriod"] = p.webhook_throttling_period;
  j["webhookSettingsCreatedAt"] = p.webhook_settings_created_ms;
  j["webhookSettingsUpdatedAt"] = p.webhook_settings_updated_ms;
  json types = json::object();
  for (auto t : kAllObjectTypes) {
    json props = json::array(), groups = json::array();
    const auto& reg = p.Table(t).Props();
    for (size_t i = 0; i < reg.Size(); ++i) props.push_back(DefToJson(reg.Def(static_cast<uint16_t>(i))));
    for (const auto& g : p.Groups(t))
      groups.push_back({{"name", g.name}, {"label", g.label}, {"displayOrder", g.display_order}, {"archived", g.archived}});
    types[std::string(ObjectTypeName(t))] = {{"properties", props}, {"groups", groups}, {"nextId", p.Table(t).NextId()}};
  }
  j["types"] = std::move(types);
  json labels = json::array();
  for (const auto& [pair, v] : p.labels)
    for (const auto& l : v)
      labels.push_back({{"from", ObjectTypeName(pair.first)}, {"to", ObjectTypeName(pair.second)},
                        {"category", l.category}, {"typeId", l.type_id}, {"label", l.label}});
  j["associationLabels"] = std::move(labels);
  json pipes = json::array();
  for (const auto& pl : p.deal_pipelines) {
    json stages = json::array();
    for (const auto& s : pl.stages)
      stages.push_back({{"id", s.id}, {"label", s.label}, {"displayOrder", s.display_order},
                        {"probability", s.probability}, {"isClosed", s.is_closed}, {"archived", s.archived},
                        {"createdAt", s.created_ms}, {"updatedAt", s.updated_ms}});
    pipes.push_back({{"id", pl.id}, {"label", pl.label}, {"displayOrder", pl.display_order}, {"archived", pl.archived},
                     {"createdAt", pl.created_ms}, {"updatedAt", pl.updated_ms}, {"stages", stages}});
  }
  j["pipelines"] = std::move(pipes);
  json owners = json::array();
  for (const auto& o : p.owners)
    owners.push_back({{"id", o.id}, {"userId", o.user_id}, {"email", o.email}, {"firstName", o.first_name},
                      {"lastName", o.last_name}, {"type", o.type}, {"teams", o.team_ids}, {"archived", o.archived},
                      {"createdAt", o.created_ms}, {"updatedAt", o.updated_ms}});
  j["owners"] = std::move(owners);
  json teams = json::array();
  for (const auto& t : p.teams) teams.push_back({{"id", t.id}, {"name", t.name}});
  j["teams"] = std::move(teams);
  json subs = json::array();
  for (const auto& s : p.subscriptions)
    subs.push_back({{"id", s.id}, {"eventType", s.event_type}, {"propertyName", s.property_name}, {"active", s.active},
                    {"createdAt", s.created_ms}, {"updatedAt", s.updated_ms}, {"objectTypeId", s.object_type_id}});
  j["subscriptions"] = std::move(subs);
  return j;
}

void LoadPortalJson(Portal& p, const json& j, const std::string& file) {
  if (j.value("format", "") != kFormat) throw InvalidInputError(file + ": not a revlens portal (format '" + j.value("format", "") + "')");
  p.portal_id = j.value("portalId", p.portal_id);
  p.app_id = j.value("appId", p.app_id);
  p.time_zone = j.value("timeZone", p.time_zone);
  p.webhook_target_url = j.value("webhookTargetUrl", "");
  p.max_concurrent_webhook_requests = j.value("maxConcurrentWebhookRequests", 4);
  p.webhook_throttling_period = j.value("webhookThrottlingPeriod", p.webhook_throttling_period);
  p.webhook_settings_created_ms = j.value("webhookSettingsCreatedAt", int64_t{0});
  p.webhook_settings_updated_ms = j.value("webhookSettingsUpdatedAt", int64_t{0});
  const auto& types = j.at("types");
  for (auto t : kAllObjectTypes) {
    const auto& tj = types.at(std::string(ObjectTypeName(t)));
    for (const auto& d : tj.at("properties")) p.Table(t).Props().Put(DefFromJson(d));
    for (const auto& g : tj.at("groups"))
      p.Groups(t).push_back({g.at("name").get<std::string>(), g.value("label", ""), g.value("displayOrder", -1),
                             g.value("archived", false)});
  }
  for (const auto& l : j.value("associationLabels", json::array())) {
    auto from = ParseObjectType(l.at("from").get<std::string>()), to = ParseObjectType(l.at("to").get<std::string>());
    if (!from || !to) throw InvalidInputError(file + ": unknown object type in associationLabels");
    p.labels[{*from, *to}].push_back({l.value("category", uint8_t{1}), l.value("typeId", 0), l.value("label", "")});
  }
  for (const auto& pj : j.at("pipelines")) {
    Pipeline pl;
    pl.id = pj.at("id").get<std::string>();
    pl.label = pj.value("label", "");
    pl.display_order = pj.value("displayOrder", 0);
    pl.archived = pj.value("archived", false);
    pl.created_ms = pj.value("createdAt", int64_t{0});
    pl.updated_ms = pj.value("updatedAt", int64_t{0});
    for (const auto& s : pj.at("stages"))
      pl.stages.push_back({s.at("id").get<std::string>(), s.value("label", ""), s.value("displayOrder", 0),
                           s.value("probability", 0.0), s.value("isClosed", false), s.value("archived", false),
                           s.value("createdAt", int64_t{0}), s.value("updatedAt", int64_t{0})});
    p.deal_pipelines.push_back(std::move(pl));
  }
  for (const auto& oj : j.at("owners")) {
    Owner o;
    o.id = oj.at("id").get<int64_t>();
    o.user_id = oj.value("userId", int64_t{0});
    o.email = oj.value("email", "");
    o.first_name = oj.value("firstName", "");
    o.last_name = oj.value("lastName", "");
    o.type = oj.value("type", "PERSON");
    o.team_ids = oj.value("teams", std::vector<std::string>{});
    o.archived = oj.value("archived", false);
    o.created_ms = oj.value("createdAt", int64_t{0});
    o.updated_ms = oj.value("updatedAt", int64_t{0});
    p.owners.push_back(std::move(o));
  }
  for (const auto& t : j.value("teams", json::array())) p.teams.push_back({t.at("id").get<std::string>(), t.value("name", "")});
  for (const auto& s : j.value("subscriptions", json::array()))
  {
    WebhookSubscription w;
    w.id = s.at("id").get<int64_t>();
    w.event_type = s.value("eventType", "");
    w.property_name = s.value("propertyName", "");
    w.active = s.value("active", true);
    w.created_ms = s.value("createdAt", int64_t{0});
    w.updated_ms = s.value("updatedAt", int64_t{0});
    w.object_type_id = s.value("objectTypeId", "");
    p.subscriptions.push_back(std::move(w));
  }
}

void SaveRecords(const ObjectTable& tbl, const fs::path& path) {
  auto f = OpenWrite(path);
  std::string buf;
  buf.reserve(1 << 23);
  const auto& reg = tbl.Props();
  for (const auto& r : tbl.Records()) {
    JsonWriter w(buf);
    w.BeginObject();
    w.Key("id"); w.Int(r.id);
    w.Key("c"); w.Int(r.created_ms);
    w.Key("u"); w.Int(r.updated_ms);
    if (r.archived) { w.Key("a"); w.Bool(true); w.Key("am"); w.Int(r.archived_ms); }
    if (r.merged_into != 0) { w.Key("m"); w.Int(r.merged_into); }
    w.Key("p");
    w.BeginObject();
    for (const auto& [idx, v] : r.props) {
      w.Key(reg.Def(idx).name);
      w.String(v);
    }
    w.EndObject();
    if (!r.history.empty()) {
      w.Key("h");
      w.BeginArray();
      for (const auto& h : r.history) {
        w.BeginArray();
        w.String(reg.Def(h.prop).name);
        w.Int(h.timestamp_ms);
        w.String(h.value);
        w.String(h.source_type);
        w.EndArray();
      }
      w.EndArray();
    }
    w.EndObject();
    buf += '\n';
    if (buf.size() > (1 << 23) - (1 << 16)) {
      WriteAll(f.get(), buf, path);
      buf.clear();
    }
  }
  WriteAll(f.get(), buf, path);
}

void SaveAssociations(const Portal& p, const fs::path& path) {
  auto f = OpenWrite(path);
  std::string buf;
  for (auto from : kAllObjectTypes) {
    for (auto to : kAllObjectTypes) {
      const std::string prefix = std::string(ObjectTypeName(from)) + "\t" + std::string(ObjectTypeName(to)) + "\t";
      p.Assoc(from, to).ForEach([&](int64_t k, std::span<const AssociationEdge> edges) {
        buf += prefix;
        buf += std::to_string(k);
        buf += '\t';
        for (size_t i = 0; i < edges.size(); ++i) {
          if (i > 0) buf += ',';
          buf += std::to_string(edges[i].to_id);
          buf += ':';
          buf += std::to_string(edges[i].type_id);
          buf += ':';
          buf += std::to_string(edges[i].category);
        }
        buf += '\n';
        if (buf.size() > (1 << 23)) {
          WriteAll(f.get(), buf, path);
          buf.clear();
        }
      });
    }
  }
  WriteAll(f.get(), buf, path);
}

/// Property name -> index without allocating a string per lookup.
struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using NameIndex = std::unordered_map<std::string, uint16_t, NameHash, std::equal_to<>>;

[[noreturn]] void Bad(const std::string& file, size_t line, const std::string& what) {
  throw InvalidInputError(file + ":" + std::to_string(line) + ": " + what);
}

void LoadRecords(ObjectTable& tbl, const fs::path& path) {
  const std::string file = path.filename().string();
  simdjson::padded_string data;
  if (simdjson::padded_string::load(path.string()).get(data) != simdjson::SUCCESS) {
    throw InvalidInputError("cannot read " + path.string());
  }
  auto& reg = tbl.Props();
  NameIndex names;
  for (size_t i = 0; i < reg.Size(); ++i) names.emplace(reg.Def(static_cast<uint16_t>(i)).name, static_cast<uint16_t>(i));
  auto index_of = [&](std::string_view n) -> uint16_t {
    auto it = names.find(n);
    if (it != names.end()) return it->second;
    const uint16_t i = reg.Intern(n);
    names.emplace(std::string(n), i);
    return i;
  };
  simdjson::ondemand::parser parser;
  const char* base = data.data();
  const size_t size = data.size();
  size_t pos = 0, line = 0;
  int64_t last_id = 0;
  PropertyValuesBuilder values;
  while (pos < size) {
    ++line;
    const char* nl = static_cast<const char*>(std::memchr(base + pos, '\n', size - pos));
    const size_t end = nl ? static_cast<size_t>(nl - base) : size;
    const size_t len = end - pos;
    if (len == 0) { pos = end + 1; continue; }
    try {
      simdjson::ondemand::document doc = parser.iterate(base + pos, len, size + simdjson::SIMDJSON_PADDING - pos);
      simdjson::ondemand::object obj = doc.get_object();
      Record r;
      bool have_id = false;
      for (auto field : obj) {
        std::string_view key = field.unescaped_key();
        auto value = field.value();
        if (key == "id") { r.id = value.get_int64(); have_id = true; }
        else if (key == "c") r.created_ms = value.get_int64();
        else if (key == "u") r.updated_ms = value.get_int64();
        else if (key == "a") r.archived = value.get_bool();
        else if (key == "am") r.archived_ms = value.get_int64();
        else if (key == "m") r.merged_into = value.get_int64();
        else if (key == "p") {
          for (auto pf : value.get_object()) {
            std::string_view name = pf.unescaped_key();
            const uint16_t idx = index_of(name);
            std::string_view v = pf.value().get_string();
            values.Add(idx, v);
          }
        } else if (key == "h") {
          for (auto entry : value.get_array()) {
            auto arr = entry.get_array();
            HistoryEntry h;
            size_t k = 0;
            for (auto el : arr) {
              switch (k++) {
                case 0: h.prop = index_of(el.get_string().value()); break;
                case 1: h.timestamp_ms = el.get_int64(); break;
                case 2: h.value = std::string(el.get_string().value()); break;
                case 3: h.source_type = std::string(el.get_string().value()); break;
                default: Bad(file, line, "history entry has more than 4 elements");
              }
            }
            if (k != 4) Bad(file, line, "history entry needs [property, timestamp, value, source]");
            r.history.push_back(std::move(h));
          }
        }
      }
      if (!have_id) Bad(file, line, "record without \"id\"");
      if (r.id <= last_id) Bad(file, line, "record ids must ascend (" + std::to_string(r.id) + " after " + std::to_string(last_id) + ")");
      last_id = r.id;
      r.props = values.Build();
      tbl.Append(std::move(r));
    } catch (const simdjson::simdjson_error& e) {
      Bad(file, line, std::string("malformed JSON: ") + e.what());
    }
    pos = end + 1;
  }
}

int64_t ParseId(std::string_view s, const std::string& file, size_t line) {
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) Bad(file, line, "bad number '" + std::string(s) + "'");
  return v;
}

void LoadAssociations(Portal& p, const fs::path& path) {
  const std::string file = path.filename().string();
  const std::string data = ReadFile(path);
  std::array<std::vector<BulkEdge>, kObjectTypeCount * kObjectTypeCount> pending;
  size_t pos = 0, line = 0;
  while (pos < data.size()) {
    ++line;
    size_t end = data.find('\n', pos);
    if (end == std::string::npos) end = data.size();
    std::string_view l(data.data() + pos, end - pos);
    pos = end + 1;
    if (l.empty()) continue;
    std::string_view cols[4];
    size_t c = 0, s = 0;
    for (size_t i = 0; i <= l.size() && c < 4; ++i) {
      if (i == l.size() || l[i] == '\t') {
        cols[c++] = l.substr(s, i - s);
        s = i + 1;
      }
    }
    if (c != 4) Bad(file, line, "expected 4 tab-separated columns");
    auto from = ParseObjectType(cols[0]), to = ParseObjectType(cols[1]);
    if (!from || !to) Bad(file, line, "unknown object type");
    const int64_t from_id = ParseId(cols[2], file, line);
    auto& edges = pending[static_cast<size_t>(*from) * kObjectTypeCount + static_cast<size_t>(*to)];
    std::string_view rest = cols[3];
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      std::string_view e = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      const size_t a = e.find(':'), b = e.find(':', a == std::string_view::npos ? a : a + 1);
      if (a == std::string_view::npos || b == std::string_view::npos) Bad(file, line, "edge must be to_id:type_id:category");
      AssociationEdge edge;
      edge.to_id = ParseId(e.substr(0, a), file, line);
      edge.type_id = static_cast<int32_t>(ParseId(e.substr(a + 1, b - a - 1), file, line));
      edge.category = static_cast<uint8_t>(ParseId(e.substr(b + 1), file, line));
      edges.push_back(BulkEdge{from_id, edge});
    }
  }
  for (auto from : kAllObjectTypes)
    for (auto to : kAllObjectTypes)
      p.Assoc(from, to).AddBulk(std::move(pending[static_cast<size_t>(from) * kObjectTypeCount + static_cast<size_t>(to)]));
}

}  // namespace

void SavePortal(const GeneratedPortal& g, const std::string& path) {
  if (!g.portal) throw InvalidInputError("no portal to save");
  const fs::path dir(path);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IOError("cannot create " + dir.string() + ": " + ec.message());
  const Portal& p = *g.portal;
  WriteFile(dir / "portal.json", PortalJson(p).dump(1) + "\n");
  for (auto t : kAllObjectTypes) SaveRecords(p.Table(t), dir / (std::string(ObjectTypeName(t)) + ".ndjson"));
  SaveAssociations(p, dir / "associations.tsv");
  WriteFile(dir / "truth.json", (g.truth.is_null() ? json::object() : g.truth).dump() + "\n");
  WriteFile(dir / "product_usage.csv", g.product_usage_csv);
}

GeneratedPortal LoadPortal(const std::string& path) {
  const fs::path dir(path);
  if (!fs::is_directory(dir)) throw InvalidInputError(path + " is not a directory (expected a portal written by `emulator generate`)");
  GeneratedPortal g;
  g.portal = std::make_unique<Portal>();
  Portal& p = *g.portal;
  {
    const auto f = dir / "portal.json";
    json j;
    try {
      j = json::parse(ReadFile(f));
    } catch (const json::exception& e) {
      throw InvalidInputError("portal.json: " + std::string(e.what()));
    }
    try {
      LoadPortalJson(p, j, "portal.json");
    } catch (const json::exception& e) {
      throw InvalidInputError("portal.json: " + std::string(e.what()));
    }
  }
  for (auto t : kAllObjectTypes) {
    const auto f = dir / (std::string(ObjectTypeName(t)) + ".ndjson");
    if (!fs::exists(f)) throw InvalidInputError(f.string() + " is missing");
    LoadRecords(p.Table(t), f);
  }
  LoadAssociations(p, dir / "associations.tsv");
  if (fs::exists(dir / "truth.json")) g.truth = LoadTruth(path);
  if (fs::exists(dir / "product_usage.csv")) g.product_usage_csv = ReadFile(dir / "product_usage.csv");
  return g;
}

json LoadTruth(const std::string& path) {
  const fs::path f = fs::path(path) / "truth.json";
  try {
    return json::parse(ReadFile(f));
  } catch (const json::exception& e) {
    throw InvalidInputError("truth.json: " + std::string(e.what()));
  }
}

}  // namespace revlens::emulator
