// Associations v4: batch read/create/archive, per-object list and create/remove, labels; and the
// helpers the object routes use to associate records on create (hubspot-api-notes.md section 4).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <mutex>
#include <shared_mutex>

#include "core/time_util.hpp"
#include "emulator/http_util.hpp"
#include "emulator/server.hpp"
#include "emulator/webhooks.hpp"

namespace revlens::emulator {
namespace {

// HubSpot caps v4 batch reads at 1,000 inputs (2025-02-10) and pages each input's associations
// 500 at a time; the per-object list defaults to and caps at 500 too.
constexpr size_t kMaxBatchInputs = 1000;
constexpr size_t kPageSize = 500;
// User-defined label ids are allocated in pairs from here: an even id for from->to and the next
// odd id for the inverse, far above HubSpot's own numbering.
constexpr int32_t kFirstUserTypeId = 1000;

struct PrimaryType {
  ObjectType from, to;
  int32_t id, inverse;
};
// HubSpot's "Primary" labels: contact->company 1 / 2, deal->company 5 / 6.
constexpr PrimaryType kPrimaryTypes[] = {
    {ObjectType::kContacts, ObjectType::kCompanies, 1, 2},
    {ObjectType::kCompanies, ObjectType::kContacts, 2, 1},
    {ObjectType::kDeals, ObjectType::kCompanies, 5, 6},
    {ObjectType::kCompanies, ObjectType::kDeals, 6, 5},
};

bool IsPrimaryType(int32_t id) { return id == 1 || id == 2 || id == 5 || id == 6; }

std::optional<int64_t> ParseId(std::string_view s) {
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

// An id given as a JSON string or number.
std::optional<int64_t> JsonId(const nlohmann::json& j) {
  if (j.is_number_integer()) {
    const int64_t v = j.get<int64_t>();
    return v > 0 ? std::optional<int64_t>(v) : std::nullopt;
  }
  if (j.is_string()) return ParseId(j.get_ref<const std::string&>());
  return std::nullopt;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool Live(const Portal& portal, ObjectType t, int64_t id) {
  const Record* r = portal.Table(t).Find(id);
  return r != nullptr && !r->archived;
}

void PublishAssociation(EmulatorServer& server, ObjectType from, int64_t from_id, ObjectType to, int64_t to_id,
                        int32_t type_id, bool removed) {
  nlohmann::json extra = {{"associationType", Upper(ObjectTypeSingular(from)) + "_TO_" + Upper(ObjectTypeSingular(to))},
                          {"fromObjectId", from_id},
                          {"toObjectId", to_id},
                          {"associationRemoved", removed},
                          {"isPrimaryAssociation", IsPrimaryType(type_id)}};
  server.Webhooks().Publish(from, "associationChange", from_id, {}, {}, std::move(extra));
}

// Every type from `from` to `to`: HubSpot's unlabeled default, the primary label, user labels.
std::vector<AssociationLabel> LabelsFor(const Portal& portal, ObjectType from, ObjectType to) {
  std::vector<AssociationLabel> out;
  if (int32_t d = DefaultAssociationTypeId(from, to); d != 0) out.push_back(AssociationLabel{0, d, ""});
  for (const auto& p : kPrimaryTypes) {
    if (p.from == from && p.to == to) out.push_back(AssociationLabel{0, p.id, "Primary"});
  }
  if (auto it = portal.labels.find({from, to}); it != portal.labels.end()) {
    out.insert(out.end(), it->second.begin(), it->second.end());
  }
  return out;
}

void WriteAssociationType(JsonWriter& w, const Portal& portal, ObjectType from, ObjectType to, const AssociationEdge& e) {
  w.BeginObject();
  w.Key("category");
  w.String(AssociationCategoryName(e.category));
  w.Key("typeId");
  w.Int(e.type_id);
  w.Key("label");
  std::string label;
  if (auto r = ResolveAssociationType(portal, from, e.type_id, to)) label = r->label;
  if (label.empty()) {
    w.Null();
  } else {
    w.String(label);
  }
  w.EndObject();
}

// Edges from one record grouped by target (several types to one record form one entry), live
// targets only, ordered by target id so that `after` (a target id) is a stable cursor.
std::vector<std::pair<int64_t, std::vector<AssociationEdge>>> GroupedEdges(const Portal& portal, ObjectType from,
                                                                           int64_t from_id, ObjectType to) {
  std::vector<std::pair<int64_t, std::vector<AssociationEdge>>> out;
  const auto edges = portal.Assoc(from, to).From(from_id);
  if (edges.empty()) return out;
  std::vector<AssociationEdge> sorted(edges.begin(), edges.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.to_id < b.to_id; });
  for (const auto& e : sorted) {
    if (!Live(portal, to, e.to_id)) continue;
    if (out.empty() || out.back().first != e.to_id) out.emplace_back(e.to_id, std::vector<AssociationEdge>{});
    out.back().second.push_back(e);
  }
  return out;
}

// Write `{"toObjectId":…, "associationTypes":[…]}` entries from position `start`, at most
// `limit`; returns the position after the last written.
size_t WriteGroups(JsonWriter& w, const Portal& portal, ObjectType from, ObjectType to,
                   const std::vector<std::pair<int64_t, std::vector<AssociationEdge>>>& groups, size_t start,
                   size_t limit) {
  size_t i = start;
  for (; i < groups.size() && i - start < limit; ++i) {
    w.BeginObject();
    w.Key("toObjectId");
    w.Int(groups[i].first);
    w.Key("associationTypes");
    w.BeginArray();
    for (const auto& e : groups[i].second) WriteAssociationType(w, portal, from, to, e);
    w.EndArray();
    w.EndObject();
  }
  return i;
}

size_t StartAfter(const std::vector<std::pair<int64_t, std::vector<AssociationEdge>>>& groups, int64_t after) {
  auto it = std::lower_bound(groups.begin(), groups.end(), after,
                             [](const auto& g, int64_t k) { return g.first < k; });
  return static_cast<size_t>(it - groups.begin());
}

int64_t RequireCursor(std::string_view s) {
  if (s.empty()) return 0;
  auto v = ParseId(s);
  if (!v) throw BadRequest{400, "VALIDATION_ERROR", "Invalid 'after' cursor: " + std::string(s)};
  return *v;
}

const nlohmann::json& RequireInputs(const nlohmann::json& body, size_t max) {
  if (!body.is_object() || !body.contains("inputs") || !body["inputs"].is_array()) {
    throw BadRequest{400, "VALIDATION_ERROR", "Invalid input JSON: expected {\"inputs\":[...]}"};
  }
  const auto& inputs = body["inputs"];
  if (inputs.size() > max) {
    throw BadRequest{400, "VALIDATION_ERROR",
                     "Too many inputs: " + std::to_string(inputs.size()) + " (at most " + std::to_string(max) + ")"};
  }
  return inputs;
}

// `{"id":"…"}` or a plain id.
std::optional<int64_t> NestedId(const nlohmann::json& j) {
  if (j.is_object() && j.contains("id")) return JsonId(j["id"]);
  return JsonId(j);
}

// The id of an input's `from` or `to` side, 0 when missing or malformed.
int64_t SideId(const nlohmann::json& in, const char* key) {
  if (!in.is_object() || !in.contains(key)) return 0;
  return NestedId(in[key]).value_or(0);
}

nlohmann::json NotFoundError(std::string_view message, nlohmann::json context) {
  return nlohmann::json{{"status", "error"},      {"category", "OBJECT_NOT_FOUND"},
                        {"message", message},     {"context", std::move(context)},
                        {"errors", nlohmann::json::array()}, {"links", nlohmann::json::object()}};
}

// Resolve an AssociationSpec list `[{associationCategory, associationTypeId}]` towards `to`.
std::vector<ResolvedAssociationType> RequireSpecs(const Portal& portal, ObjectType from, ObjectType to,
                                                  const nlohmann::json& specs) {
  if (!specs.is_array() || specs.empty()) {
    throw BadRequest{400, "VALIDATION_ERROR",
                     "Expected a list of association types [{associationCategory, associationTypeId}]"};
  }
  std::vector<ResolvedAssociationType> out;
  for (const auto& s : specs) {
    if (!s.is_object() || !s.contains("associationTypeId") || !s["associationTypeId"].is_number_integer()) {
      throw BadRequest{400, "VALIDATION_ERROR", "Each association type needs an integer associationTypeId"};
    }
    const auto id = s["associationTypeId"].get<int32_t>();
    auto r = ResolveAssociationType(portal, from, id, to);
    if (!r) {
      throw BadRequest{400, "VALIDATION_ERROR",
                       "associationTypeId " + std::to_string(id) + " is not valid from " +
                           std::string(ObjectTypeName(from)) + " to " + std::string(ObjectTypeName(to))};
    }
    if (s.contains("associationCategory") && s["associationCategory"].is_string()) {
      auto c = ParseAssociationCategory(s["associationCategory"].get<std::string>());
      if (!c || *c != r->category) {
        throw BadRequest{400, "VALIDATION_ERROR",
                         "associationCategory " + s["associationCategory"].get<std::string>() +
                             " does not match associationTypeId " + std::to_string(id)};
      }
    }
    out.push_back(*r);
  }
  return out;
}

ResolvedAssociationType DefaultType(ObjectType from, ObjectType to) {
  const int32_t id = DefaultAssociationTypeId(from, to);
  if (id == 0) {
    throw BadRequest{400, "VALIDATION_ERROR",
                     "No default association from " + std::string(ObjectTypeName(from)) + " to " +
                         std::string(ObjectTypeName(to))};
  }
  return ResolvedAssociationType{to, id, 0, DefaultAssociationTypeId(to, from), ""};
}

void WriteLabelResult(JsonWriter& w, ObjectType from, int64_t from_id, ObjectType to, int64_t to_id,
                      const std::vector<ResolvedAssociationType>& types) {
  w.BeginObject();
  w.Key("fromObjectTypeId");
  w.String(ObjectTypeId(from));
  w.Key("fromObjectId");
  w.Int(from_id);
  w.Key("toObjectTypeId");
  w.String(ObjectTypeId(to));
  w.Key("toObjectId");
  w.Int(to_id);
  w.Key("labels");
  w.BeginArray();
  for (const auto& t : types) {
    if (!t.label.empty()) w.String(t.label);
  }
  w.EndArray();
  w.EndObject();
}

void WriteDefaultResult(JsonWriter& w, int64_t from_id, int64_t to_id, int32_t type_id) {
  w.BeginObject();
  w.Key("from");
  w.BeginObject();
  w.Key("id");
  w.String(std::to_string(from_id));
  w.EndObject();
  w.Key("to");
  w.BeginObject();
  w.Key("id");
  w.String(std::to_string(to_id));
  w.EndObject();
  w.Key("associationSpec");
  w.BeginObject();
  w.Key("associationCategory");
  w.String("HUBSPOT_DEFINED");
  w.Key("associationTypeId");
  w.Int(type_id);
  w.EndObject();
  w.EndObject();
}

int32_t NextUserTypeId(const Portal& portal) {
  int32_t max_id = kFirstUserTypeId - 2;
  for (const auto& [pair, list] : portal.labels) {
    for (const auto& l : list) max_id = std::max(max_id, l.type_id);
  }
  int32_t next = max_id + 1;
  if (next % 2 != 0) ++next;
  return std::max(next, kFirstUserTypeId);
}

void RemoveLabelEverywhere(Portal& portal, ObjectType a, ObjectType b, int32_t type_id, int32_t inverse) {
  std::erase_if(portal.labels[{a, b}], [&](const AssociationLabel& l) { return l.type_id == type_id; });
  std::erase_if(portal.labels[{b, a}], [&](const AssociationLabel& l) { return l.type_id == inverse; });
  // Edges of a removed label go with it.
  std::vector<std::pair<int64_t, int64_t>> doomed;
  portal.Assoc(a, b).ForEach([&](int64_t from_id, std::span<const AssociationEdge> edges) {
    for (const auto& e : edges) {
      if (e.type_id == type_id) doomed.emplace_back(from_id, e.to_id);
    }
  });
  for (const auto& [f, t] : doomed) {
    portal.Assoc(a, b).Remove(f, t, type_id);
    portal.Assoc(b, a).Remove(t, f, inverse);
  }
}

// Close a batch response whose `results` array `w` just ended: status, times, and errors (207).
// `errors_array` is the errors as one JSON array (written only when `num_errors` > 0).
void EndBatch(JsonWriter& w, int64_t started_ms, size_t num_errors, std::string_view errors_array) {
  w.Key("status");
  w.String("COMPLETE");
  w.Key("startedAt");
  w.String(FormatIsoMillis(started_ms));
  w.Key("completedAt");
  w.String(FormatIsoMillis(NowMillis()));
  if (num_errors > 0) {
    w.Key("numErrors");
    w.Int(static_cast<int64_t>(num_errors));
    w.Key("errors");
    w.Raw(errors_array);
  }
  w.EndObject();
}

void EndBatch(JsonWriter& w, int64_t started_ms, const nlohmann::json& errors) {
  EndBatch(w, started_ms, errors.size(), errors.empty() ? std::string() : errors.dump());
}

void RegisterLabelRoutes(RouteContext& ctx, const std::string& prefix) {
  EmulatorServer& server = ctx.server;
  const std::string base = prefix + R"(/([^/]+)/([^/]+)/labels)";

  ctx.http.Get(base, [&server](const httplib::Request& req, httplib::Response& res) {
    const ObjectType from = RequireObjectType(req.matches[1].str());
    const ObjectType to = RequireObjectType(req.matches[2].str());
    std::string body;
    {
      std::shared_lock lock(server.GetPortal().mutex);
      JsonWriter w(body);
      w.BeginObject();
      w.Key("results");
      w.BeginArray();
      for (const auto& l : LabelsFor(server.GetPortal(), from, to)) {
        w.BeginObject();
        w.Key("category");
        w.String(AssociationCategoryName(l.category));
        w.Key("typeId");
        w.Int(l.type_id);
        w.Key("label");
        if (l.label.empty()) {
          w.Null();
        } else {
          w.String(l.label);
        }
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    }
    SendJson(res, 200, std::move(body));
  });

  ctx.http.Post(base, [&server](const httplib::Request& req, httplib::Response& res) {
    const ObjectType from = RequireObjectType(req.matches[1].str());
    const ObjectType to = RequireObjectType(req.matches[2].str());
    const nlohmann::json body = ParseBody(req);
    if (!body.is_object() || !body.contains("label") || !body["label"].is_string() ||
        body["label"].get<std::string>().empty()) {
      throw BadRequest{400, "VALIDATION_ERROR", "A label needs a non-empty 'label' (and a 'name')"};
    }
    const std::string label = body["label"].get<std::string>();
    const std::string inverse = body.contains("inverseLabel") && body["inverseLabel"].is_string()
                                    ? body["inverseLabel"].get<std::string>()
                                    : label;
    nlohmann::json results = nlohmann::json::array();
    {
      std::unique_lock lock(server.GetPortal().mutex);
      Portal& portal = server.GetPortal();
      for (const auto& l : LabelsFor(portal, from, to)) {
        if (l.label == label) {
          throw BadRequest{409, "CONFLICT", "An association label '" + label + "' already exists for this pair"};
        }
      }
      const int32_t id = NextUserTypeId(portal);
      portal.labels[{from, to}].push_back(AssociationLabel{1, id, label});
      portal.labels[{to, from}].push_back(AssociationLabel{1, id + 1, inverse});
      results.push_back({{"category", "USER_DEFINED"}, {"typeId", id}, {"label", label}});
      results.push_back({{"category", "USER_DEFINED"}, {"typeId", id + 1}, {"label", inverse}});
    }
    SendJson(res, 200, nlohmann::json{{"results", results}});
  });

  ctx.http.Put(base, [&server](const httplib::Request& req, httplib::Response& res) {
    const ObjectType from = RequireObjectType(req.matches[1].str());
    const ObjectType to = RequireObjectType(req.matches[2].str());
    const nlohmann::json body = ParseBody(req);
    if (!body.is_object() || !body.contains("associationTypeId") || !body["associationTypeId"].is_number_integer() ||
        !body.contains("label") || !body["label"].is_string()) {
      throw BadRequest{400, "VALIDATION_ERROR", "Expected {associationTypeId, label, inverseLabel?}"};
    }
    const auto id = body["associationTypeId"].get<int32_t>();
    std::unique_lock lock(server.GetPortal().mutex);
    Portal& portal = server.GetPortal();
    auto r = ResolveAssociationType(portal, from, id, to);
    if (!r || r->category != 1) throw BadRequest{404, "OBJECT_NOT_FOUND", "No user-defined label " + std::to_string(id)};
    for (auto& l : portal.labels[{from, to}]) {
      if (l.type_id == id) l.label = body["label"].get<std::string>();
    }
    if (body.contains("inverseLabel") && body["inverseLabel"].is_string()) {
      for (auto& l : portal.labels[{to, from}]) {
        if (l.type_id == r->inverse_type_id) l.label = body["inverseLabel"].get<std::string>();
      }
    }
    res.status = 204;
  });

  ctx.http.Delete(base + R"(/(\d+))", [&server](const httplib::Request& req, httplib::Response& res) {
    const ObjectType from = RequireObjectType(req.matches[1].str());
    const ObjectType to = RequireObjectType(req.matches[2].str());
    const auto id = ParseId(req.matches[3].str());
    std::unique_lock lock(server.GetPortal().mutex);
    Portal& portal = server.GetPortal();
    auto r = id ? ResolveAssociationType(portal, from, static_cast<int32_t>(*id), to) : std::nullopt;
    if (!r || r->category != 1) throw BadRequest{404, "OBJECT_NOT_FOUND", "No user-defined label " + req.matches[3].str()};
    RemoveLabelEverywhere(portal, from, to, r->type_id, r->inverse_type_id);
    res.status = 204;
  });
}

}  // namespace

std::optional<ResolvedAssociationType> ResolveAssociationType(const Portal& portal, ObjectType from, int32_t type_id,
                                                              std::optional<ObjectType> to) {
  for (ObjectType t : kAllObjectTypes) {
    if (to && *to != t) continue;
    const int32_t d = DefaultAssociationTypeId(from, t);
    if (d != 0 && d == type_id) return ResolvedAssociationType{t, d, 0, DefaultAssociationTypeId(t, from), ""};
    for (const auto& p : kPrimaryTypes) {
      if (p.from == from && p.to == t && p.id == type_id) return ResolvedAssociationType{t, p.id, 0, p.inverse, "Primary"};
    }
    auto it = portal.labels.find({from, t});
    if (it == portal.labels.end()) continue;
    for (const auto& l : it->second) {
      if (l.type_id != type_id) continue;
      // The inverse is the paired id when it exists on the reverse pair (labels created here),
      // else the same id, else the default type.
      int32_t inverse = DefaultAssociationTypeId(t, from);
      if (auto rit = portal.labels.find({t, from}); rit != portal.labels.end()) {
        const int32_t paired = type_id >= kFirstUserTypeId ? (type_id ^ 1) : type_id;
        for (const auto& rl : rit->second) {
          if (rl.type_id == paired) inverse = paired;
        }
      }
      return ResolvedAssociationType{t, l.type_id, l.category, inverse, l.label};
    }
  }
  return std::nullopt;
}

bool AddAssociation(EmulatorServer& server, ObjectType from, int64_t from_id, int64_t to_id,
                    const ResolvedAssociationType& t) {
  Portal& portal = server.GetPortal();
  bool added = portal.Assoc(from, t.to).Add(from_id, AssociationEdge{to_id, t.type_id, t.category});
  portal.Assoc(t.to, from).Add(to_id, AssociationEdge{from_id, t.inverse_type_id, t.category});
  // A labeled association always carries HubSpot's unlabeled default too.
  if (t.type_id != DefaultAssociationTypeId(from, t.to) && DefaultAssociationTypeId(from, t.to) != 0) {
    added |= portal.Assoc(from, t.to).Add(from_id, AssociationEdge{to_id, DefaultAssociationTypeId(from, t.to), 0});
    portal.Assoc(t.to, from).Add(to_id, AssociationEdge{from_id, DefaultAssociationTypeId(t.to, from), 0});
  }
  if (added) {
    PublishAssociation(server, from, from_id, t.to, to_id, t.type_id, false);
    PublishAssociation(server, t.to, to_id, from, from_id, t.inverse_type_id, false);
  }
  return added;
}

size_t RemoveAssociations(EmulatorServer& server, ObjectType from, int64_t from_id, ObjectType to, int64_t to_id) {
  Portal& portal = server.GetPortal();
  const size_t n = portal.Assoc(from, to).Remove(from_id, to_id);
  portal.Assoc(to, from).Remove(to_id, from_id);
  if (n > 0) {
    PublishAssociation(server, from, from_id, to, to_id, DefaultAssociationTypeId(from, to), true);
    PublishAssociation(server, to, to_id, from, from_id, DefaultAssociationTypeId(to, from), true);
  }
  return n;
}

void RegisterAssociationRoutes(RouteContext& ctx) {
  EmulatorServer& server = ctx.server;
  const std::string batch = R"(/crm/v4/associations/([^/]+)/([^/]+)/batch/)";

  // ---- batch read ----
  ctx.http.Post(batch + "read", [&server](const httplib::Request& req, httplib::Response& res) {
    const int64_t started = NowMillis();
    const ObjectType from = RequireObjectType(req.matches[1].str());
    const ObjectType to = RequireObjectType(req.matches[2].str());
    const nlohmann::json body = ParseBody(req);
    const auto& inputs = RequireInputs(body, kMaxBatchInputs);
    struct Input {
      std::string raw;
      int64_t id = 0;
      int64_t after = 0;
    };
    std::vector<Input> parsed;
    parsed.reserve(inputs.size());
    for (const auto& in : inputs) {
      Input p;
      if (in.is_object() && in.contains("id")) {
        p.raw = in["id"].is_string() ? in["id"].get<std::string>() : in["id"].dump();
        p.id = JsonId(in["id"]).value_or(0);
      }
      if (in.is_object() && in.contains("after") && in["after"].is_string()) {
        p.after = RequireCursor(in["after"].get<std::string>());
      }
      parsed.push_back(std::move(p));
    }
    std::string out;
    // Most inputs of a sparse pair (contacts -> deals) have no associations, each answered with an error object:
    // written straight into the errors array (a JSON tree per error cost more than the results themselves).
    std::string errors;
    size_t num_errors = 0;
    JsonWriter ew(errors);
    ew.BeginArray();
    {
      std::shared_lock lock(server.GetPortal().mutex);
      const Portal& portal = server.GetPortal();
      JsonWriter w(out);
      w.BeginObject();
      w.Key("results");
      w.BeginArray();
      for (const auto& p : parsed) {
        auto groups = p.id > 0 ? GroupedEdges(portal, from, p.id, to) : decltype(GroupedEdges(portal, from, 0, to)){};
        const size_t start = StartAfter(groups, p.after);
        if (start >= groups.size()) {
          ++num_errors;
          ew.BeginObject();
          ew.Key("status");
          ew.String("error");
          ew.Key("category");
          ew.String("OBJECT_NOT_FOUND");
          ew.Key("subCategory");
          ew.String("crm.associations.NO_ASSOCIATIONS_FOUND");
          ew.Key("message");
          ew.String("No " + std::string(ObjectTypeSingular(to)) + " is associated with " +
                    std::string(ObjectTypeSingular(from)) + " " + p.raw + ".");
          ew.Key("context");
          ew.BeginObject();
          ew.Key("fromObjectId");
          ew.BeginArray();
          ew.String(p.raw);
          ew.EndArray();
          ew.EndObject();
          ew.Key("errors");
          ew.BeginArray();
          ew.EndArray();
          ew.Key("links");
          ew.BeginObject();
          ew.EndObject();
          ew.EndObject();
          continue;
        }
        w.BeginObject();
        w.Key("from");
        w.BeginObject();
        w.Key("id");
        w.String(std::to_string(p.id));
        w.EndObject();
        w.Key("to");
        w.BeginArray();
        const size_t end = WriteGroups(w, portal, from, to, groups, start, kPageSize);
        w.EndArray();
        if (end < groups.size()) {
          WritePagingNext(w, std::to_string(groups[end].first), "");
        }
        w.EndObject();
      }
      w.EndArray();
      ew.EndArray();
      EndBatch(w, started, num_errors, errors);
    }
    SendJson(res, num_errors == 0 ? 200 : 207, std::move(out));
  });

  // ---- batch create (labeled) ----
  ctx.http.Post(batch + "create", [&server](const httplib::Request& req, httplib::Response& res) {
    const int64_t started = NowMillis();
    const ObjectType from = RequireObjectType(req.matches[1].str());
    const ObjectType to = RequireObjectType(req.matches[2].str());
    const nlohmann::json body = ParseBody(req);
    const auto& inputs = RequireInputs(body, kMaxBatchInputs);
    std::string out;
    nlohmann::json errors = nlohmann::json::array();
    {
      std::unique_lock lock(server.GetPortal().mutex);
      Portal& portal = server.GetPortal();
      // Validate every input before writing any, so a malformed batch changes nothing.
      struct Op {
        int64_t from_id, to_id;
        std::vector<ResolvedAssociationType> types;
      };
      std::vector<Op> ops;
      for (const auto& in : inputs) {
        if (!in.is_object()) throw BadRequest{400, "VALIDATION_ERROR", "Each input must be an object"};
        const int64_t fid = SideId(in, "from");
        const int64_t tid = SideId(in, "to");
        if (!fid || !tid) throw BadRequest{400, "VALIDATION_ERROR", "Each input needs from.id and to.id"};
        auto types = RequireSpecs(portal, from, to, in.contains("types") ? in["types"] : nlohmann::json());
        ops.push_back(Op{fid, tid, std::move(types)});
      }
      JsonWriter w(out);
      w.BeginObject();
      w.Key("results");
      w.BeginArray();
      for (const auto& op : ops) {
        if (!Live(portal, from, op.from_id) || !Live(portal, to, op.to_id)) {
          errors.push_back(NotFoundError(
              "Could not associate " + std::string(ObjectTypeSingular(from)) + " " + std::to_string(op.from_id) +
                  " with " + std::string(ObjectTypeSingular(to)) + " " + std::to_string(op.to_id) +
                  ": one of them does not exist",
              {{"fromObjectId", {std::to_string(op.from_id)}}, {"toObjectId", {std::to_string(op.to_id)}}}));
          continue;
        }
        for (const auto& t : op.types) AddAssociation(server, from, op.from_id, op.to_id, t);
        WriteLabelResult(w, from, op.from_id, to, op.to_id, op.types);
      }
      w.EndArray();
      EndBatch(w, started, errors);
    }
    SendJson(res, errors.empty() ? 201 : 207, std::move(out));
  });

  // ---- batch associate default ----
  ctx.http.Post(batch + "associate/default", [&server](const httplib::Request& req, httplib::Response& res) {
    const int64_t started = NowMillis();
    const ObjectType from = RequireObjectType(req.matches[1].str());
    const ObjectType to = RequireObjectType(req.matches[2].str());
    const nlohmann::json body = ParseBody(req);
    const auto& inputs = RequireInputs(body, kMaxBatchInputs);
    const ResolvedAssociationType t = DefaultType(from, to);
    std::string out;
    nlohmann::json errors = nlohmann::json::array();
    {
      std::unique_lock lock(server.GetPortal().mutex);
      Portal& portal = server.GetPortal();
      JsonWriter w(out);
      w.BeginObject();
      w.Key("results");
      w.BeginArray();
      for (const auto& in : inputs) {
        const int64_t fid = SideId(in, "from");
        const int64_t tid = SideId(in, "to");
        if (!fid || !tid) throw BadRequest{400, "VALIDATION_ERROR", "Each input needs from.id and to.id"};
        if (!Live(portal, from, fid) || !Live(portal, to, tid)) {
          errors.push_back(NotFoundError("Could not associate: a record does not exist",
                                         {{"fromObjectId", {std::to_string(fid)}}, {"toObjectId", {std::to_string(tid)}}}));
          continue;
        }
        AddAssociation(server, from, fid, tid, t);
        WriteDefaultResult(w, fid, tid, t.type_id);
        WriteDefaultResult(w, tid, fid, t.inverse_type_id);
      }
      w.EndArray();
      EndBatch(w, started, errors);
    }
    SendJson(res, errors.empty() ? 200 : 207, std::move(out));
  });

  // ---- batch archive (every type between the pairs) ----
  ctx.http.Post(batch + "archive", [&server](const httplib::Request& req, httplib::Response& res) {
    const ObjectType from = RequireObjectType(req.matches[1].str());
    const ObjectType to = RequireObjectType(req.matches[2].str());
    const nlohmann::json body = ParseBody(req);
    const auto& inputs = RequireInputs(body, kMaxBatchInputs);
    std::unique_lock lock(server.GetPortal().mutex);
    for (const auto& in : inputs) {
      const int64_t fid = SideId(in, "from");
      if (!fid) throw BadRequest{400, "VALIDATION_ERROR", "Each input needs from.id and to:[{id}]"};
      if (!in.contains("to")) continue;
      const auto& tos = in["to"];
      auto remove = [&](const nlohmann::json& t) {
        if (auto tid = NestedId(t)) RemoveAssociations(server, from, fid, to, *tid);
      };
      if (tos.is_array()) {
        for (const auto& t : tos) remove(t);
      } else {
        remove(tos);
      }
    }
    res.status = 204;
  });

  // ---- batch labels archive (only the given types) ----
  ctx.http.Post(batch + "labels/archive", [&server](const httplib::Request& req, httplib::Response& res) {
    const ObjectType from = RequireObjectType(req.matches[1].str());
    const ObjectType to = RequireObjectType(req.matches[2].str());
    const nlohmann::json body = ParseBody(req);
    const auto& inputs = RequireInputs(body, kMaxBatchInputs);
    std::unique_lock lock(server.GetPortal().mutex);
    Portal& portal = server.GetPortal();
    for (const auto& in : inputs) {
      const int64_t fid = SideId(in, "from");
      const int64_t tid = SideId(in, "to");
      if (!fid || !tid) throw BadRequest{400, "VALIDATION_ERROR", "Each input needs from.id, to.id and types"};
      for (const auto& t : RequireSpecs(portal, from, to, in.contains("types") ? in["types"] : nlohmann::json())) {
        if (portal.Assoc(from, to).Remove(fid, tid, t.type_id) > 0) {
          portal.Assoc(to, from).Remove(tid, fid, t.inverse_type_id);
          PublishAssociation(server, from, fid, to, tid, t.type_id, true);
          PublishAssociation(server, to, tid, from, fid, t.inverse_type_id, true);
        }
      }
    }
    res.status = 204;
  });

  // ---- per-object list ----
  ctx.http.Get(R"(/crm/v4/objects/([^/]+)/([^/]+)/associations/([^/]+))",
               [&server](const httplib::Request& req, httplib::Response& res) {
                 const ObjectType from = RequireObjectType(req.matches[1].str());
                 const ObjectType to = RequireObjectType(req.matches[3].str());
                 const auto id = ParseId(req.matches[2].str());
                 int64_t limit = IntParam(req, "limit").value_or(static_cast<int64_t>(kPageSize));
                 if (limit < 1) throw BadRequest{400, "VALIDATION_ERROR", "limit must be at least 1"};
                 limit = std::min<int64_t>(limit, static_cast<int64_t>(kPageSize));
                 const int64_t after = RequireCursor(req.has_param("after") ? req.get_param_value("after") : "");
                 std::string out;
                 {
                   std::shared_lock lock(server.GetPortal().mutex);
                   const Portal& portal = server.GetPortal();
                   if (!id || !Live(portal, from, *id)) {
                     throw BadRequest{404, "OBJECT_NOT_FOUND",
                                      std::string(ObjectTypeSingular(from)) + " " + req.matches[2].str() +
                                          " does not exist"};
                   }
                   const auto groups = GroupedEdges(portal, from, *id, to);
                   const size_t start = StartAfter(groups, after);
                   JsonWriter w(out);
                   w.BeginObject();
                   w.Key("results");
                   w.BeginArray();
                   const size_t end = WriteGroups(w, portal, from, to, groups, start, static_cast<size_t>(limit));
                   w.EndArray();
                   if (end < groups.size()) {
                     const std::string next = std::to_string(groups[end].first);
                     WritePagingNext(w, next, "?after=" + next);
                   }
                   w.EndObject();
                 }
                 SendJson(res, 200, std::move(out));
               });

  // ---- per-object default association ----
  ctx.http.Put(R"(/crm/v4/objects/([^/]+)/([^/]+)/associations/default/([^/]+)/([^/]+))",
               [&server](const httplib::Request& req, httplib::Response& res) {
                 const int64_t started = NowMillis();
                 const ObjectType from = RequireObjectType(req.matches[1].str());
                 const ObjectType to = RequireObjectType(req.matches[3].str());
                 const int64_t fid = ParseId(req.matches[2].str()).value_or(0);
                 const int64_t tid = ParseId(req.matches[4].str()).value_or(0);
                 const ResolvedAssociationType t = DefaultType(from, to);
                 std::string out;
                 {
                   std::unique_lock lock(server.GetPortal().mutex);
                   Portal& portal = server.GetPortal();
                   if (!fid || !tid || !Live(portal, from, fid) || !Live(portal, to, tid)) {
                     throw BadRequest{404, "OBJECT_NOT_FOUND", "One of the records to associate does not exist"};
                   }
                   AddAssociation(server, from, fid, tid, t);
                   JsonWriter w(out);
                   w.BeginObject();
                   w.Key("results");
                   w.BeginArray();
                   WriteDefaultResult(w, fid, tid, t.type_id);
                   WriteDefaultResult(w, tid, fid, t.inverse_type_id);
                   w.EndArray();
                   EndBatch(w, started, nlohmann::json::array());
                 }
                 SendJson(res, 200, std::move(out));
               });

  // ---- per-object labeled create and remove ----
  const std::string pair_path = R"(/crm/v4/objects/([^/]+)/([^/]+)/associations/([^/]+)/([^/]+))";
  ctx.http.Put(pair_path, [&server](const httplib::Request& req, httplib::Response& res) {
    const ObjectType from = RequireObjectType(req.matches[1].str());
    const ObjectType to = RequireObjectType(req.matches[3].str());
    const int64_t fid = ParseId(req.matches[2].str()).value_or(0);
    const int64_t tid = ParseId(req.matches[4].str()).value_or(0);
    const nlohmann::json body = ParseBody(req);
    std::string out;
    {
      std::unique_lock lock(server.GetPortal().mutex);
      Portal& portal = server.GetPortal();
      const auto types = RequireSpecs(portal, from, to, body);
      if (!fid || !tid || !Live(portal, from, fid) || !Live(portal, to, tid)) {
        throw BadRequest{404, "OBJECT_NOT_FOUND", "One of the records to associate does not exist"};
      }
      for (const auto& t : types) AddAssociation(server, from, fid, tid, t);
      JsonWriter w(out);
      WriteLabelResult(w, from, fid, to, tid, types);
    }
    SendJson(res, 201, std::move(out));
  });
  ctx.http.Delete(pair_path, [&server](const httplib::Request& req, httplib::Response& res) {
    const ObjectType from = RequireObjectType(req.matches[1].str());
    const ObjectType to = RequireObjectType(req.matches[3].str());
    const int64_t fid = ParseId(req.matches[2].str()).value_or(0);
    const int64_t tid = ParseId(req.matches[4].str()).value_or(0);
    if (fid && tid) {
      std::unique_lock lock(server.GetPortal().mutex);
      RemoveAssociations(server, from, fid, to, tid);
    }
    res.status = 204;
  });

  // ---- labels (the spec's path and the one the official clients use) ----
  RegisterLabelRoutes(ctx, "/crm/v4/associations");
  RegisterLabelRoutes(ctx, "/crm/associations/v4");
}

}  // namespace revlens::emulator
