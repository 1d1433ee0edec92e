// CRM v3 objects: list, get, create, update, archive, batch read/create/update/upsert/archive and
// contact merge (hubspot-api-notes.md sections 1, 2, 9). The list page is the hot path: one
// JsonWriter string built under a shared lock, property lookups by index, no DOM.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <unordered_map>

#include "core/time_util.hpp"
#include "emulator/faults.hpp"
#include "emulator/http_util.hpp"
#include "emulator/server.hpp"
#include "emulator/webhooks.hpp"

namespace revlens::emulator {
namespace {

// HubSpot pages object lists 100 at a time at most, 50 with propertiesWithHistory, and takes at
// most 100 inputs per batch (hubspot-api-notes.md sections 1-2; the Python client's constants).
constexpr int64_t kDefaultLimit = 10;
constexpr int64_t kMaxLimit = 100;
constexpr int64_t kMaxLimitWithHistory = 50;
constexpr size_t kMaxBatchInputs = 100;

using Props = std::vector<std::pair<std::string, std::string>>;

std::optional<int64_t> ParseId(std::string_view s) {
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Query-string encoding for the paging link.
std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::vector<ObjectType> AssociationTypesParam(const httplib::Request& req) {
  std::vector<ObjectType> out;
  for (const auto& n : MultiParam(req, "associations")) {
    if (auto t = ParseObjectType(n)) out.push_back(*t);  // unknown names are ignored, as HubSpot does
  }
  return out;
}

// Properties whose values HubSpot must not take from a write: ids and modification stamps.
bool IsReadOnly(std::string_view name) {
  return name == "hs_object_id" || name == "lastmodifieddate" || name == "hs_lastmodifieddate" ||
         name == "hs_merged_object_ids";
}

// HubSpot types number properties without saying whether they hold integers; these are the
// counts and ids that reject fractions with INVALID_INTEGER. Everything else is a decimal.
bool IsIntegerProperty(std::string_view name) {
  return name.starts_with("num") || name.find("_num_") != std::string_view::npos ||
         name.find("count") != std::string_view::npos || name.ends_with("_id") || name == "hs_email_open" ||
         name == "hs_email_click" || name == "hs_call_duration";
}

bool IsDecimal(std::string_view v) {
  if (v.empty()) return false;
  double d = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), d);
  return r.ec == std::errc() && r.ptr == v.data() + v.size() && std::isfinite(d);
}

bool IsInteger(std::string_view v) {
  if (v.empty()) return false;
  int64_t i = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), i);
  return r.ec == std::errc() && r.ptr == v.data() + v.size();
}

// Unique-value properties: `email` for contacts and any property defined with hasUniqueValue.
bool IsUniqueProperty(const ObjectTable& table, uint16_t p) {
  const auto& def = table.Props().Def(p);
  return def.has_unique_value || (table.Type() == ObjectType::kContacts && def.name == "email");
}

std::string UniqueKey(std::string_view prop, std::string_view value) {
  // Emails match case-insensitively, as HubSpot stores them lower-cased.
  return prop == "email" ? Lower(value) : std::string(value);
}

// Finds live records by a unique property's value; builds its index on first use so a batch of
// 100 upserts scans the table once, not 100 times. Valid while the caller holds the lock.
class UniqueLookup {
 public:
  explicit UniqueLookup(const ObjectTable& table) : table_(table) {}
  const Record* Find(uint16_t p, std::string_view value) {
    auto& idx = Index(p);
    auto it = idx.find(UniqueKey(table_.Props().Def(p).name, value));
    return it == idx.end() ? nullptr : table_.Find(it->second);
  }
  void Note(uint16_t p, std::string_view value, int64_t id) {
    if (value.empty()) return;
    auto it = indexes_.find(p);
    if (it != indexes_.end()) it->second[UniqueKey(table_.Props().Def(p).name, value)] = id;
  }

 private:
  std::unordered_map<std::string, int64_t>& Index(uint16_t p) {
    auto it = indexes_.find(p);
    if (it != indexes_.end()) return it->second;
    auto& idx = indexes_[p];
    const std::string& name = table_.Props().Def(p).name;
    for (const auto& r : table_.Records()) {
      if (r.archived) continue;
      if (const auto v = r.Get(p)) idx.emplace(UniqueKey(name, *v), r.id);
    }
    return idx;
  }
  const ObjectTable& table_;
  std::unordered_map<uint16_t, std::unordered_map<std::string, int64_t>> indexes_;
};

// One failed property value: HubSpot's `errors[]` entry and its line in the message.
struct PropertyError {
  std::string name, code, message;
};

BadRequest PropertyErrors(const std::vector<PropertyError>& errs, int64_t portal_id) {
  nlohmann::json detail = nlohmann::json::array();
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& e : errs) {
    detail.push_back({{"isValid", false},
                      {"message", e.message},
                      {"error", e.code},
                      {"name", e.name},
                      {"localizedErrorMessage", e.message},
                      {"portalId", portal_id}});
    errors.push_back({{"message", e.message}, {"code", e.code}, {"context", {{"propertyName", {e.name}}}}});
  }
  return BadRequest{400, "VALIDATION_ERROR", "Property values were not valid: " + detail.dump(), std::move(errors)};
}

std::string JsonValueText(const nlohmann::json& v, bool& ok) {
  ok = true;
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return {};
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number()) {
    const double d = v.get<double>();
    if (std::floor(d) == d && std::fabs(d) < 9e15) return std::to_string(static_cast<int64_t>(d));
    return v.dump();
  }
  ok = false;
  return {};
}

// Validate and normalise a `properties` object against the type's definitions. Values come back
// as HubSpot stores them (strings; dates as ISO). Appends failures to `errs`.
Props ValidateProperties(const ObjectTable& table, const nlohmann::json& props, std::vector<PropertyError>& errs) {
  Props out;
  if (props.is_null()) return out;
  if (!props.is_object()) {
    errs.push_back({"properties", "INVALID_JSON", "properties must be an object of name: value"});
    return out;
  }
  for (const auto& [name, raw] : props.items()) {
    bool ok = false;
    std::string value = JsonValueText(raw, ok);
    if (!ok) {
      errs.push_back({name, "INVALID_PROPERTY_VALUE", "Property \"" + name + "\" needs a string, number or boolean"});
      continue;
    }
    auto idx = table.Props().Find(name);
    if (!idx || table.Props().Def(*idx).archived) {
      errs.push_back({name, "PROPERTY_DOESNT_EXIST", "Property \"" + name + "\" does not exist"});
      continue;
    }
    if (IsReadOnly(name)) continue;  // HubSpot ignores writes to its own ids and stamps
    const PropertyDef& def = table.Props().Def(*idx);
    if (def.calculated) {
      errs.push_back({name, "READ_ONLY_VALUE", "\"" + name + "\" is a calculated property and cannot be set"});
      continue;
    }
    if (!value.empty()) {
      if (def.type == "number") {
        if (IsIntegerProperty(name) ? !IsInteger(value) : !IsDecimal(value)) {
          const bool integer = IsIntegerProperty(name);
          errs.push_back({name, integer ? "INVALID_INTEGER" : "INVALID_DECIMAL",
                          value + " was not a valid " + (integer ? "integer" : "number") + "."});
          continue;
        }
      } else if (def.type == "enumeration" && !def.options.empty()) {
        std::string bad;
        std::string_view rest = value;
        while (true) {
          const size_t semi = def.field_type == "checkbox" ? rest.find(';') : std::string_view::npos;
          const std::string_view item = rest.substr(0, semi);
          const bool known = std::any_of(def.options.begin(), def.options.end(),
                                         [&](const PropertyOption& o) { return o.value == item; });
          if (!known && !item.empty()) bad = std::string(item);
          if (semi == std::string_view::npos) break;
          rest.remove_prefix(semi + 1);
        }
        if (!bad.empty()) {
          std::string allowed;
          for (const auto& o : def.options) allowed += (allowed.empty() ? "" : ", ") + o.value;
          errs.push_back({name, "INVALID_OPTION", bad + " was not one of the allowed options: [" + allowed + "]"});
          continue;
        }
      } else if (def.type == "datetime" || def.type == "date") {
        auto ms = ParseTimestampMillis(value);
        if (!ms) {
          errs.push_back({name, "INVALID_DATE", value + " is not a valid date (ISO-8601 or epoch milliseconds)"});
          continue;
        }
        value = def.type == "date" ? FormatDate(*ms) : FormatIsoMillis(*ms);
      } else if (def.type == "bool") {
        const std::string l = Lower(value);
        if (l != "true" && l != "false") {
          errs.push_back({name, "INVALID_BOOLEAN", value + " is not a valid boolean (true or false)"});
          continue;
        }
        value = l;
      }
    }
    if (table.Type() == ObjectType::kContacts && name == "email") value = Lower(value);
    out.emplace_back(name, std::move(value));
  }
  return out;
}

// The record's own properties (everything it has a value for), as create/update responses show.
RecordView FullView(const Record& r) {
  RecordView v;
  v.props.reserve(r.props.size());
  for (const auto& [p, value] : r.props) v.props.push_back(p);
  return v;
}

BadRequest NotFound(std::string_view id) {
  return BadRequest{404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.",
                    nlohmann::json::array(), nlohmann::json{{"id", {std::string(id)}}}};
}

// Resolve a record by id or by a unique `idProperty`. Archived records only when `archived`.
Record* FindRecord(ObjectTable& table, std::string_view key, const std::string& id_property, bool archived) {
  Record* r = nullptr;
  if (id_property.empty() || id_property == "hs_object_id") {
    if (auto id = ParseId(key)) r = table.Find(*id);
  } else {
    auto p = table.Props().Find(id_property);
    if (!p || !IsUniqueProperty(table, *p)) {
      throw BadRequest{400, "VALIDATION_ERROR",
                       "idProperty " + id_property + " is not a unique-value property of " +
                           std::string(ObjectTypeName(table.Type()))};
    }
    const std::string want = UniqueKey(id_property, key);
    for (auto& rec : table.Records()) {
      if (rec.archived != archived) continue;
      const auto v = rec.Get(*p);
      if (v && UniqueKey(id_property, *v) == want) return &rec;
    }
    return nullptr;
  }
  if (r == nullptr) return nullptr;
  if (r->archived && !archived && r->merged_into != 0) {
    // A merged-away id keeps answering with the record it was merged into, as HubSpot does.
    Record* primary = table.Find(r->merged_into);
    if (primary != nullptr && !primary->archived) return primary;
  }
  return r->archived == archived ? r : nullptr;
}

// Check unique-value properties of a write; `self` is the record being updated (0 on create).
void CheckUnique(const ObjectTable& table, UniqueLookup& lookup, const Props& props, int64_t self) {
  for (const auto& [name, value] : props) {
    if (value.empty()) continue;
    auto p = table.Props().Find(name);
    if (!p || !IsUniqueProperty(table, *p)) continue;
    if (const Record* other = lookup.Find(*p, value); other != nullptr && other->id != self) {
      const std::string what = table.Type() == ObjectType::kContacts ? "Contact" : "Object";
      throw BadRequest{409, "CONFLICT", what + " already exists. Existing ID: " + std::to_string(other->id),
                       nlohmann::json::array(), nlohmann::json{{"existingId", {std::to_string(other->id)}}}};
    }
  }
}

// Apply property writes and publish one propertyChange per changed value. Exclusive lock held.
void ApplyWrites(EmulatorServer& server, ObjectTable& table, Record& r, const Props& props, int64_t now) {
  for (const auto& [name, value] : props) {
    auto p = table.Props().Find(name);
    const auto old = p ? r.Get(*p) : std::nullopt;
    if ((!old && value.empty()) || (old && *old == value)) continue;
    table.Write(r, name, value, now, "API");
    server.Webhooks().Publish(table.Type(), "propertyChange", r.id, name, value);
  }
}

struct AssociationInput {
  int64_t to_id = 0;
  std::vector<ResolvedAssociationType> types;
};

// Parse `associations: [{to:{id}, types:[{associationCategory, associationTypeId}]}]` of a create.
std::vector<AssociationInput> ParseCreateAssociations(const Portal& portal, ObjectType from, const nlohmann::json& in) {
  std::vector<AssociationInput> out;
  if (in.is_null()) return out;
  if (!in.is_array()) throw BadRequest{400, "VALIDATION_ERROR", "associations must be a list"};
  for (const auto& a : in) {
    AssociationInput ai;
    if (a.is_object() && a.contains("to")) {
      const auto& to = a["to"];
      const auto& idj = to.is_object() && to.contains("id") ? to["id"] : to;
      if (idj.is_string()) ai.to_id = ParseId(idj.get<std::string>()).value_or(0);
      if (idj.is_number_integer()) ai.to_id = idj.get<int64_t>();
    }
    if (ai.to_id <= 0) throw BadRequest{400, "VALIDATION_ERROR", "Each association needs to.id"};
    if (!a.contains("types") || !a["types"].is_array() || a["types"].empty()) {
      throw BadRequest{400, "VALIDATION_ERROR", "Each association needs types [{associationCategory, associationTypeId}]"};
    }
    for (const auto& t : a["types"]) {
      if (!t.is_object() || !t.contains("associationTypeId") || !t["associationTypeId"].is_number_integer()) {
        throw BadRequest{400, "VALIDATION_ERROR", "Each association type needs an integer associationTypeId"};
      }
      const auto id = t["associationTypeId"].get<int32_t>();
      auto r = ResolveAssociationType(portal, from, id);
      if (!r) {
        throw BadRequest{400, "VALIDATION_ERROR",
                         "associationTypeId " + std::to_string(id) + " is not valid from " +
                             std::string(ObjectTypeName(from))};
      }
      const Record* target = portal.Table(r->to).Find(ai.to_id);
      if (target == nullptr || target->archived) {
        throw BadRequest{400, "VALIDATION_ERROR",
                         std::string(ObjectTypeSingular(r->to)) + " " + std::to_string(ai.to_id) +
                             " does not exist, so it cannot be associated"};
      }
      ai.types.push_back(*r);
    }
    out.push_back(std::move(ai));
  }
  return out;
}

// Create a record from validated properties, associate it, publish its events. Exclusive lock.
Record& CreateRecord(EmulatorServer& server, ObjectTable& table, const Props& props,
                     const std::vector<AssociationInput>& assoc, int64_t now) {
  Record& r = table.Create(props, now, "API");
  const int64_t id = r.id;
  server.Webhooks().Publish(table.Type(), "creation", id);
  for (const auto& [name, value] : props) {
    if (!value.empty()) server.Webhooks().Publish(table.Type(), "propertyChange", id, name, value);
  }
  for (const auto& a : assoc) {
    for (const auto& t : a.types) AddAssociation(server, table.Type(), id, a.to_id, t);
  }
  return *table.Find(id);
}

void Archive(EmulatorServer& server, ObjectTable& table, Record& r, int64_t now) {
  if (r.archived) return;
  r.archived = true;
  r.archived_ms = now;
  r.updated_ms = now;
  server.Webhooks().Publish(table.Type(), "deletion", r.id);
}

// The rest of a batch response after its `{"results":[...]`.
std::string BatchEnd(int64_t started_ms, const nlohmann::json& errors) {
  std::string s = ",\"status\":\"COMPLETE\",\"startedAt\":\"" + FormatIsoMillis(started_ms) +
                  "\",\"completedAt\":\"" + FormatIsoMillis(NowMillis()) + "\"";
  if (!errors.empty()) s += ",\"numErrors\":" + std::to_string(errors.size()) + ",\"errors\":" + errors.dump();
  s += "}";
  return s;
}

const nlohmann::json& RequireInputs(const nlohmann::json& body) {
  if (!body.is_object() || !body.contains("inputs") || !body["inputs"].is_array()) {
    throw BadRequest{400, "VALIDATION_ERROR", "Invalid input JSON: expected {\"inputs\":[...]}"};
  }
  const auto& inputs = body["inputs"];
  if (inputs.size() > kMaxBatchInputs) {
    throw BadRequest{400, "VALIDATION_ERROR",
                     "Batch input size must be at most " + std::to_string(kMaxBatchInputs) + ", got " +
                         std::to_string(inputs.size())};
  }
  return inputs;
}

std::string InputId(const nlohmann::json& in) {
  if (!in.is_object() || !in.contains("id")) return {};
  const auto& id = in["id"];
  if (id.is_string()) return id.get<std::string>();
  if (id.is_number_integer()) return id.dump();
  return {};
}

std::vector<std::string> StringList(const nlohmann::json& body, const char* key) {
  std::vector<std::string> out;
  if (!body.is_object() || !body.contains(key)) return out;
  const auto& v = body[key];
  if (v.is_array()) {
    for (const auto& s : v) {
      if (s.is_string()) out.push_back(s.get<std::string>());
    }
  } else if (v.is_string()) {
    out.push_back(v.get<std::string>());
  }
  return out;
}

nlohmann::json BatchNotFound(ObjectType type, const std::vector<std::string>& ids, std::string_view verb) {
  return nlohmann::json{{"status", "error"},
                        {"category", "OBJECT_NOT_FOUND"},
                        {"message", "Could not " + std::string(verb) + " some " + Upper(ObjectTypeSingular(type)) +
                                        " objects, they may be deleted or not exist. Check that ids are valid."},
                        {"context", {{"ids", ids}}},
                        {"errors", nlohmann::json::array()},
                        {"links", nlohmann::json::object()}};
}

// ---- handlers ----

void ListObjects(EmulatorServer& server, const httplib::Request& req, httplib::Response& res) {
  const ObjectType type = RequireObjectType(req.matches[1].str());
  const auto props = MultiParam(req, "properties");
  const auto hist = MultiParam(req, "propertiesWithHistory");
  const auto assoc = AssociationTypesParam(req);
  int64_t limit = IntParam(req, "limit").value_or(kDefaultLimit);
  if (limit < 1) throw BadRequest{400, "VALIDATION_ERROR", "limit must be at least 1, got " + std::to_string(limit)};
  limit = std::min(limit, hist.empty() ? kMaxLimit : kMaxLimitWithHistory);
  int64_t after = 0;
  if (req.has_param("after")) {
    const std::string a = req.get_param_value("after");
    auto v = ParseId(a);
    if (!a.empty() && !v) throw BadRequest{400, "VALIDATION_ERROR", "Invalid 'after' cursor: " + a};
    after = v.value_or(0);
  }
  const bool archived = BoolParam(req, "archived").value_or(false);

  // Reserve what this thread's last page needed: one allocation per page in steady state.
  thread_local size_t last_size = 16384;
  std::string body;
  body.reserve(last_size + last_size / 4);
  int64_t next_id = 0;
  {
    const Portal& portal = server.GetPortal();
    std::shared_lock lock(portal.mutex);
    const ObjectTable& table = portal.Table(type);
    const RecordView view = MakeRecordView(table, props, hist, assoc);
    JsonWriter w(body);
    w.BeginObject();
    w.Key("results");
    w.BeginArray();
    const auto& recs = table.Records();
    int64_t n = 0;
    for (size_t i = table.LowerBound(after); i < recs.size(); ++i) {
      const Record& r = recs[i];
      if (r.archived != archived) continue;
      if (n == limit) {
        next_id = r.id;
        break;
      }
      WriteRecord(w, portal, table, r, view);
      ++n;
    }
    w.EndArray();
    if (next_id != 0) {
      const std::string next = std::to_string(next_id);
      std::string link = "http://" + (req.has_header("Host") ? req.get_header_value("Host") : std::string("localhost")) +
                         req.path + "?";
      for (const auto& [k, v] : req.params) {
        if (k == "after") continue;
        link += UrlEncode(k) + "=" + UrlEncode(v) + "&";
      }
      link += "after=" + next;
      WritePagingNext(w, next, link);
    }
    w.EndObject();
  }
  last_size = std::max<size_t>(body.size(), 1024);
  SendJson(res, 200, std::move(body));
}

void GetObject(EmulatorServer& server, const httplib::Request& req, httplib::Response& res) {
  const ObjectType type = RequireObjectType(req.matches[1].str());
  const std::string key = req.matches[2].str();
  const auto props = MultiParam(req, "properties");
  const auto hist = MultiParam(req, "propertiesWithHistory");
  const auto assoc = AssociationTypesParam(req);
  const bool archived = BoolParam(req, "archived").value_or(false);
  const std::string id_property = req.has_param("idProperty") ? req.get_param_value("idProperty") : "";
  std::string body;
  {
    Portal& portal = server.GetPortal();
    std::shared_lock lock(portal.mutex);
    ObjectTable& table = portal.Table(type);
    const Record* r = FindRecord(table, key, id_property, archived);
    if (r == nullptr) throw NotFound(key);
    JsonWriter w(body);
    WriteRecord(w, portal, table, *r, MakeRecordView(table, props, hist, assoc));
  }
  SendJson(res, 200, std::move(body));
}

void CreateObject(EmulatorServer& server, const httplib::Request& req, httplib::Response& res) {
  const ObjectType type = RequireObjectType(req.matches[1].str());
  const nlohmann::json body = ParseBody(req);
  if (!body.is_object()) throw BadRequest{400, "VALIDATION_ERROR", "Invalid input JSON: expected an object"};
  std::string out;
  {
    Portal& portal = server.GetPortal();
    std::unique_lock lock(portal.mutex);
    ObjectTable& table = portal.Table(type);
    std::vector<PropertyError> errs;
    const Props props = ValidateProperties(table, body.value("properties", nlohmann::json::object()), errs);
    if (!errs.empty()) throw PropertyErrors(errs, portal.portal_id);
    const auto assoc = ParseCreateAssociations(portal, type, body.value("associations", nlohmann::json()));
    UniqueLookup lookup(table);
    CheckUnique(table, lookup, props, 0);
    Record& r = CreateRecord(server, table, props, assoc, NowMillis());
    JsonWriter w(out);
    WriteRecord(w, portal, table, r, FullView(r));
  }
  SendJson(res, 201, std::move(out));
}

void UpdateObject(EmulatorServer& server, const httplib::Request& req, httplib::Response& res) {
  const ObjectType type = RequireObjectType(req.matches[1].str());
  const std::string key = req.matches[2].str();
  const std::string id_property = req.has_param("idProperty") ? req.get_param_value("idProperty") : "";
  const nlohmann::json body = ParseBody(req);
  if (!body.is_object()) throw BadRequest{400, "VALIDATION_ERROR", "Invalid input JSON: expected an object"};
  std::string out;
  {
    Portal& portal = server.GetPortal();
    std::unique_lock lock(portal.mutex);
    ObjectTable& table = portal.Table(type);
    Record* r = FindRecord(table, key, id_property, false);
    if (r == nullptr) throw NotFound(key);
    std::vector<PropertyError> errs;
    const Props props = ValidateProperties(table, body.value("properties", nlohmann::json::object()), errs);
    if (!errs.empty()) throw PropertyErrors(errs, portal.portal_id);
    UniqueLookup lookup(table);
    CheckUnique(table, lookup, props, r->id);
    ApplyWrites(server, table, *r, props, NowMillis());
    JsonWriter w(out);
    WriteRecord(w, portal, table, *r, FullView(*r));
  }
  SendJson(res, 200, std::move(out));
}

void ArchiveObject(EmulatorServer& server, const httplib::Request& req, httplib::Response& res) {
  const ObjectType type = RequireObjectType(req.matches[1].str());
  const std::string key = req.matches[2].str();
  Portal& portal = server.GetPortal();
  std::unique_lock lock(portal.mutex);
  ObjectTable& table = portal.Table(type);
  auto id = ParseId(key);
  Record* r = id ? table.Find(*id) : nullptr;
  if (r == nullptr) throw NotFound(key);
  Archive(server, table, *r, NowMillis());
  res.status = 204;
}

// ---- batch ----

void BatchRead(EmulatorServer& server, ObjectType type, const httplib::Request& req, const nlohmann::json& body,
               httplib::Response& res) {
  const int64_t started = NowMillis();
  const auto& inputs = RequireInputs(body);
  const auto props = StringList(body, "properties");
  const auto hist = StringList(body, "propertiesWithHistory");
  const std::string id_property = body.contains("idProperty") && body["idProperty"].is_string()
                                      ? body["idProperty"].get<std::string>()
                                      : "";
  const bool archived = BoolParam(req, "archived").value_or(false);
  std::string out;
  std::vector<std::string> missing;
  {
    Portal& portal = server.GetPortal();
    std::shared_lock lock(portal.mutex);
    ObjectTable& table = portal.Table(type);
    const RecordView view = MakeRecordView(table, props, hist);
    JsonWriter w(out);
    w.BeginObject();
    w.Key("results");
    w.BeginArray();
    std::set<int64_t> seen;
    for (const auto& in : inputs) {
      const std::string key = InputId(in);
      const Record* r = key.empty() ? nullptr : FindRecord(table, key, id_property, archived);
      if (r == nullptr) {
        missing.push_back(key);
        continue;
      }
      if (!seen.insert(r->id).second) continue;  // HubSpot returns each record once
      WriteRecord(w, portal, table, *r, view);
    }
    w.EndArray();
  }
  nlohmann::json errors = nlohmann::json::array();
  if (!missing.empty()) errors.push_back(BatchNotFound(type, missing, "get"));
  out += BatchEnd(started, errors);
  SendJson(res, errors.empty() ? 200 : 207, std::move(out));
}

void BatchCreate(EmulatorServer& server, ObjectType type, const nlohmann::json& body, httplib::Response& res) {
  const int64_t started = NowMillis();
  const auto& inputs = RequireInputs(body);
  std::string out;
  nlohmann::json errors = nlohmann::json::array();
  {
    Portal& portal = server.GetPortal();
    std::unique_lock lock(portal.mutex);
    ObjectTable& table = portal.Table(type);
    struct Input {
      Props props;
      std::vector<AssociationInput> assoc;
      std::string trace_id;
      std::optional<BadRequest> error;
    };
    std::vector<Input> parsed;
    std::set<std::string> trace_ids;
    bool traceable = true;  // every input has a unique objectWriteTraceId
    UniqueLookup lookup(table);
    std::set<std::string> batch_unique;  // unique values claimed by earlier inputs of this batch
    for (const auto& in : inputs) {
      Input p;
      if (in.is_object() && in.contains("objectWriteTraceId") && in["objectWriteTraceId"].is_string()) {
        p.trace_id = in["objectWriteTraceId"].get<std::string>();
      }
      if (p.trace_id.empty() || !trace_ids.insert(p.trace_id).second) traceable = false;
      try {
        if (!in.is_object()) throw BadRequest{400, "VALIDATION_ERROR", "Each input must be an object"};
        std::vector<PropertyError> errs;
        p.props = ValidateProperties(table, in.value("properties", nlohmann::json::object()), errs);
        if (!errs.empty()) throw PropertyErrors(errs, portal.portal_id);
        p.assoc = ParseCreateAssociations(portal, type, in.value("associations", nlohmann::json()));
        CheckUnique(table, lookup, p.props, 0);
        for (const auto& [name, value] : p.props) {
          auto idx = table.Props().Find(name);
          if (idx && IsUniqueProperty(table, *idx) && !value.empty() &&
              !batch_unique.insert(name + '\n' + UniqueKey(name, value)).second) {
            throw BadRequest{400, "VALIDATION_ERROR", "Duplicate " + name + " " + value + " in this batch"};
          }
        }
      } catch (BadRequest& e) {
        p.error = std::move(e);
      }
      parsed.push_back(std::move(p));
    }
    const auto first_bad = std::find_if(parsed.begin(), parsed.end(), [](const Input& p) { return p.error.has_value(); });
    if (first_bad != parsed.end() && !traceable) {
      // Without a unique objectWriteTraceId per input HubSpot fails the whole batch.
      BadRequest e = *first_bad->error;
      if (e.status == 409) e.status = 400;
      throw e;
    }
    const int64_t now = NowMillis();
    JsonWriter w(out);
    w.BeginObject();
    w.Key("results");
    w.BeginArray();
    for (auto& p : parsed) {
      if (p.error) {
        nlohmann::json ctx = p.error->context.is_object() ? p.error->context : nlohmann::json::object();
        ctx["objectWriteTraceId"] = {p.trace_id};
        errors.push_back({{"status", "error"},
                          {"category", p.error->category == "CONFLICT" ? "CONFLICT" : "VALIDATION_ERROR"},
                          {"message", p.error->message},
                          {"errors", p.error->errors},
                          {"context", ctx},
                          {"links", nlohmann::json::object()}});
        continue;
      }
      Record& r = CreateRecord(server, table, p.props, p.assoc, now);
      RecordView view = FullView(r);
      WriteRecord(w, portal, table, r, view);
      if (!p.trace_id.empty()) {
        // Echo the trace id so clients can match results to inputs.
        out.pop_back();
        out += ",\"objectWriteTraceId\":";
        JsonWriter::AppendQuoted(out, p.trace_id);
        out += '}';
      }
    }
    w.EndArray();
  }
  out += BatchEnd(started, errors);
  SendJson(res, errors.empty() ? 201 : 207, std::move(out));
}

void BatchUpdate(EmulatorServer& server, ObjectType type, const nlohmann::json& body, httplib::Response& res) {
  const int64_t started = NowMillis();
  const auto& inputs = RequireInputs(body);
  int64_t values = 0;
  for (const auto& in : inputs) {
    if (in.is_object() && in.contains("properties") && in["properties"].is_object()) {
      values += static_cast<int64_t>(in["properties"].size());
    }
  }
  std::string out;
  std::vector<std::string> missing;
  std::vector<std::string> failed;  // injected `partial` faults: valid inputs left unapplied
  try {
    Portal& portal = server.GetPortal();
    std::unique_lock lock(portal.mutex);
    ObjectTable& table = portal.Table(type);
    struct Input {
      std::string key;
      Record* record = nullptr;
      Props props;
    };
    std::vector<Input> parsed;
    std::vector<PropertyError> errs;
    UniqueLookup lookup(table);
    for (const auto& in : inputs) {
      Input p;
      p.key = InputId(in);
      const std::string id_property = in.is_object() && in.contains("idProperty") && in["idProperty"].is_string()
                                          ? in["idProperty"].get<std::string>()
                                          : "";
      p.record = p.key.empty() ? nullptr : FindRecord(table, p.key, id_property, false);
      if (p.record == nullptr) missing.push_back(p.key);
      p.props = ValidateProperties(table, in.is_object() ? in.value("properties", nlohmann::json::object())
                                                         : nlohmann::json::object(),
                                   errs);
      if (p.record != nullptr) CheckUnique(table, lookup, p.props, p.record->id);
      parsed.push_back(std::move(p));
    }
    // Invalid property values fail the whole batch; unknown ids fail only their inputs.
    if (!errs.empty()) throw PropertyErrors(errs, portal.portal_id);
    const int64_t now = NowMillis();
    JsonWriter w(out);
    w.BeginObject();
    w.Key("results");
    w.BeginArray();
    for (auto& p : parsed) {
      if (p.record == nullptr) continue;
      if (server.Faults().NextInputFails()) {
        failed.push_back(p.key);
        continue;
      }
      ApplyWrites(server, table, *p.record, p.props, now);
      WriteRecord(w, portal, table, *p.record, FullView(*p.record));
    }
    w.EndArray();
  } catch (const BadRequest&) {
    server.NoteBatchUpdate(type, static_cast<int64_t>(inputs.size()), values, static_cast<int64_t>(inputs.size()));
    throw;
  }
  server.NoteBatchUpdate(type, static_cast<int64_t>(inputs.size()), values,
                         static_cast<int64_t>(missing.size() + failed.size()));
  nlohmann::json errors = nlohmann::json::array();
  if (!missing.empty()) errors.push_back(BatchNotFound(type, missing, "update"));
  if (!failed.empty()) {
    // The emulator's own shape for a transient per-input failure (HubSpot documents none): a
    // StandardError naming the ids, like OBJECT_NOT_FOUND does, with a category a client retries.
    errors.push_back(nlohmann::json{{"status", "error"},
                                    {"category", "INTERNAL_ERROR"},
                                    {"message", "Some " + Upper(ObjectTypeSingular(type)) +
                                                    " objects could not be updated (injected partial failure); "
                                                    "retry them"},
                                    {"context", {{"ids", failed}}},
                                    {"errors", nlohmann::json::array()},
                                    {"links", nlohmann::json::object()}});
  }
  out += BatchEnd(started, errors);
  SendJson(res, errors.empty() ? 200 : 207, std::move(out));
}

void BatchUpsert(EmulatorServer& server, ObjectType type, const nlohmann::json& body, httplib::Response& res) {
  const int64_t started = NowMillis();
  const auto& inputs = RequireInputs(body);
  std::string out;
  {
    Portal& portal = server.GetPortal();
    std::unique_lock lock(portal.mutex);
    ObjectTable& table = portal.Table(type);
    struct Input {
      std::string key;
      uint16_t prop = 0;
      Props props;
    };
    std::vector<Input> parsed;
    std::vector<PropertyError> errs;
    for (const auto& in : inputs) {
      Input p;
      p.key = InputId(in);
      std::string id_property = in.is_object() && in.contains("idProperty") && in["idProperty"].is_string()
                                    ? in["idProperty"].get<std::string>()
                                    : "";
      if (id_property.empty() && type == ObjectType::kContacts) id_property = "email";
      auto idx = id_property.empty() ? std::nullopt : table.Props().Find(id_property);
      if (!idx || !IsUniqueProperty(table, *idx)) {
        throw BadRequest{400, "VALIDATION_ERROR",
                         "Upsert needs an idProperty that is a unique-value property of " +
                             std::string(ObjectTypeName(type)) + (id_property.empty() ? "" : ", not " + id_property)};
      }
      if (p.key.empty()) throw BadRequest{400, "VALIDATION_ERROR", "Each upsert input needs an id"};
      p.prop = *idx;
      p.props = ValidateProperties(table, in.value("properties", nlohmann::json::object()), errs);
      parsed.push_back(std::move(p));
    }
    if (!errs.empty()) throw PropertyErrors(errs, portal.portal_id);
    const int64_t now = NowMillis();
    UniqueLookup lookup(table);
    JsonWriter w(out);
    w.BeginObject();
    w.Key("results");
    w.BeginArray();
    for (auto& p : parsed) {
      const std::string& prop_name = table.Props().Def(p.prop).name;
      const Record* found = lookup.Find(p.prop, p.key);
      bool created = false;
      Record* r = nullptr;
      if (found != nullptr) {
        r = table.Find(found->id);
        ApplyWrites(server, table, *r, p.props, now);
      } else {
        Props props = p.props;
        std::erase_if(props, [&](const auto& kv) { return kv.first == prop_name; });
        props.emplace_back(prop_name, prop_name == "email" ? Lower(p.key) : p.key);
        r = &CreateRecord(server, table, props, {}, now);
        lookup.Note(p.prop, p.key, r->id);
        created = true;
      }
      WriteRecord(w, portal, table, *r, FullView(*r));
      out.pop_back();
      out += created ? ",\"new\":true}" : ",\"new\":false}";
    }
    w.EndArray();
  }
  out += BatchEnd(started, nlohmann::json::array());
  SendJson(res, 200, std::move(out));
}

void BatchArchive(EmulatorServer& server, ObjectType type, const nlohmann::json& body, httplib::Response& res) {
  const auto& inputs = RequireInputs(body);
  Portal& portal = server.GetPortal();
  std::unique_lock lock(portal.mutex);
  ObjectTable& table = portal.Table(type);
  const int64_t now = NowMillis();
  for (const auto& in : inputs) {
    auto id = ParseId(InputId(in));
    if (Record* r = id ? table.Find(*id) : nullptr) Archive(server, table, *r, now);
  }
  res.status = 204;
}

void MergeObjects(EmulatorServer& server, const httplib::Request& req, httplib::Response& res) {
  const ObjectType type = RequireObjectType(req.matches[1].str());
  const nlohmann::json body = ParseBody(req);
  auto id_of = [&](const char* key) -> std::optional<int64_t> {
    if (!body.is_object() || !body.contains(key)) return std::nullopt;
    const auto& v = body[key];
    if (v.is_string()) return ParseId(v.get<std::string>());
    if (v.is_number_integer()) return v.get<int64_t>();
    return std::nullopt;
  };
  const auto primary_id = id_of("primaryObjectId");
  const auto merged_id = id_of("objectIdToMerge");
  if (!primary_id || !merged_id) {
    throw BadRequest{400, "VALIDATION_ERROR", "Merge needs primaryObjectId and objectIdToMerge"};
  }
  if (*primary_id == *merged_id) throw BadRequest{400, "VALIDATION_ERROR", "Cannot merge a record into itself"};
  std::string out;
  {
    Portal& portal = server.GetPortal();
    std::unique_lock lock(portal.mutex);
    ObjectTable& table = portal.Table(type);
    Record* primary = table.Find(*primary_id);
    Record* merged = table.Find(*merged_id);
    if (primary == nullptr || primary->archived) throw NotFound(std::to_string(*primary_id));
    if (merged == nullptr || merged->archived) throw NotFound(std::to_string(*merged_id));
    const int64_t now = NowMillis();
    // Properties the primary lacks move over from the merged record; the primary's values win.
    Props moved;
    for (const auto& [p, value] : merged->props) {
      const std::string& name = table.Props().Def(p).name;
      if (IsReadOnly(name) || name == "createdate" || name == "hs_createdate" || name.starts_with("hs_date_")) continue;
      if (!primary->Get(p) && !value.empty()) moved.emplace_back(name, value);
    }
    const auto merged_prop = table.Props().Intern("hs_merged_object_ids");
    std::string ids(primary->Get(merged_prop).value_or(""));
    ids += (ids.empty() ? "" : ";") + std::to_string(*merged_id);
    if (const auto more = merged->Get(merged_prop)) {
      ids += ';';
      ids += *more;
    }
    // Associations of the merged record move to the primary.
    for (ObjectType to : kAllObjectTypes) {
      const auto edges = portal.Assoc(type, to).From(*merged_id);
      if (edges.empty()) continue;
      const std::vector<AssociationEdge> copy(edges.begin(), edges.end());
      for (const auto& e : copy) {
        auto t = ResolveAssociationType(portal, type, e.type_id, to);
        RemoveAssociations(server, type, *merged_id, to, e.to_id);
        if (t && !(to == type && e.to_id == *primary_id)) AddAssociation(server, type, *primary_id, e.to_id, *t);
      }
    }
    merged = table.Find(*merged_id);
    primary = table.Find(*primary_id);
    merged->archived = true;
    merged->archived_ms = now;
    merged->updated_ms = now;
    merged->merged_into = *primary_id;
    for (const auto& [name, value] : moved) table.Write(*primary, name, value, now, "API");
    table.Write(*primary, "hs_merged_object_ids", ids, now, "API");
    server.Webhooks().Publish(type, "merge", *primary_id, {}, {},
                              nlohmann::json{{"primaryObjectId", *primary_id},
                                             {"mergedObjectIds", {*merged_id}},
                                             {"newObjectId", *primary_id},
                                             {"numberOfPropertiesMoved", moved.size()}});
    JsonWriter w(out);
    WriteRecord(w, portal, table, *primary, FullView(*primary));
  }
  SendJson(res, 200, std::move(out));
}

}  // namespace

void RegisterObjectRoutes(RouteContext& ctx) {
  EmulatorServer& server = ctx.server;
  // The list route goes first: httplib tries routes in registration order and this is the hot one.
  ctx.http.Get(R"(/crm/v3/objects/([^/]+))", [&server](const httplib::Request& req, httplib::Response& res) {
    ListObjects(server, req, res);
  });
  ctx.http.Get(R"(/crm/v3/objects/([^/]+)/([^/]+))", [&server](const httplib::Request& req, httplib::Response& res) {
    GetObject(server, req, res);
  });
  ctx.http.Post(R"(/crm/v3/objects/([^/]+))", [&server](const httplib::Request& req, httplib::Response& res) {
    CreateObject(server, req, res);
  });
  ctx.http.Patch(R"(/crm/v3/objects/([^/]+)/([^/]+))", [&server](const httplib::Request& req, httplib::Response& res) {
    UpdateObject(server, req, res);
  });
  ctx.http.Delete(R"(/crm/v3/objects/([^/]+)/([^/]+))", [&server](const httplib::Request& req, httplib::Response& res) {
    ArchiveObject(server, req, res);
  });
  ctx.http.Post(R"(/crm/v3/objects/([^/]+)/merge)", [&server](const httplib::Request& req, httplib::Response& res) {
    MergeObjects(server, req, res);
  });
  ctx.http.Post(R"(/crm/v3/objects/([^/]+)/batch/([^/]+))",
                [&server](const httplib::Request& req, httplib::Response& res) {
                  const ObjectType type = RequireObjectType(req.matches[1].str());
                  const std::string op = req.matches[2].str();
                  if (op != "read" && op != "create" && op != "update" && op != "upsert" && op != "archive") {
                    throw BadRequest{404, "OBJECT_NOT_FOUND", "Unknown batch operation: " + op};
                  }
                  const nlohmann::json body = ParseBody(req);
                  if (op == "read") {
                    BatchRead(server, type, req, body, res);
                  } else if (op == "create") {
                    BatchCreate(server, type, body, res);
                  } else if (op == "update") {
                    BatchUpdate(server, type, body, res);
                  } else if (op == "upsert") {
                    BatchUpsert(server, type, body, res);
                  } else {
                    BatchArchive(server, type, body, res);
                  }
                });
}

}  // namespace revlens::emulator
