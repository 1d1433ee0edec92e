// Metadata routes (hubspot-api-notes.md sections 5 and 6): properties and property groups,
// deal pipelines and stages, owners. Field names and required fields follow the official Node
// client's codegen models (crm/properties Property, crm/pipelines PipelineStage, crm/owners
// PublicOwner). Not a hot path: bodies are built with nlohmann::ordered_json.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <shared_mutex>

#include "core/time_util.hpp"
#include "emulator/http_util.hpp"
#include "emulator/server.hpp"

namespace revlens::emulator {
namespace {

using nlohmann::json;
using ojson = nlohmann::ordered_json;
using httplib::Request;
using httplib::Response;

// ---- request helpers ----

[[noreturn]] void Fail(int status, std::string category, std::string message) {
  BadRequest e;
  e.status = status;
  e.category = std::move(category);
  e.message = std::move(message);
  throw e;
}
[[noreturn]] void Invalid(std::string message) {
  Fail(400, "VALIDATION_ERROR", std::move(message));
}
[[noreturn]] void NotFound(std::string message) {
  Fail(404, "OBJECT_NOT_FOUND", std::move(message));
}

void RequireObject(const json& body) {
  if (!body.is_object()) Invalid("Invalid input JSON: expected a JSON object");
}

std::optional<std::string> OptString(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) Invalid(std::string("Field '") + key + "' must be a string");
  return it->get<std::string>();
}
std::string ReqString(const json& o, const char* key) {
  auto v = OptString(o, key);
  if (!v || v->empty()) Invalid(std::string("Missing required field '") + key + "'");
  return *v;
}
std::optional<int> OptInt(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::nullopt;
  if (it->is_number_integer()) return it->get<int>();
  if (it->is_number_float() && it->get<double>() == std::floor(it->get<double>())) {
    return static_cast<int>(it->get<double>());
  }
  Invalid(std::string("Field '") + key + "' must be an integer");
}
std::optional<bool> OptBool(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::nullopt;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_string() && (it->get<std::string>() == "true" || it->get<std::string>() == "false")) {
    return it->get<std::string>() == "true";
  }
  Invalid(std::string("Field '") + key + "' must be a boolean");
}

/// The `inputs` array of a batch body.
const json& Inputs(const json& body) {
  RequireObject(body);
  auto it = body.find("inputs");
  if (it == body.end() || !it->is_array()) Invalid("Missing required field 'inputs' (an array)");
  if (it->size() > 100) Invalid("Batch requests accept at most 100 inputs; got " + std::to_string(it->size()));
  return *it;
}

std::string Iso(int64_t ms) {
  return FormatIsoMillis(ms);
}

// ---- properties ----

constexpr std::string_view kTypes[] = {"bool", "date", "datetime", "enumeration", "number", "phone_number", "string"};
constexpr std::string_view kFieldTypes[] = {
    "booleancheckbox", "calculation_equation", "checkbox", "date",   "file", "html",
    "number",          "phonenumber",          "radio",    "select", "text", "textarea"};

bool ValidPair(std::string_view type, std::string_view field_type) {
  // The documented type/fieldType pairs; calculation_equation goes with any non-date type.
  if (field_type == "calculation_equation") return type != "date" && type != "datetime";
  if (type == "number") return field_type == "number";
  if (type == "string") {
    return field_type == "text" || field_type == "textarea" || field_type == "file" || field_type == "html" ||
           field_type == "phonenumber";
  }
  if (type == "enumeration") {
    return field_type == "select" || field_type == "radio" || field_type == "checkbox" ||
           field_type == "booleancheckbox";
  }
  if (type == "date" || type == "datetime") return field_type == "date";
  if (type == "bool") return field_type == "booleancheckbox";
  if (type == "phone_number") return field_type == "phonenumber";
  return false;
}

void ValidateTypePair(const std::string& type, const std::string& field_type) {
  if (std::find(std::begin(kTypes), std::end(kTypes), type) == std::end(kTypes)) {
    Invalid("Invalid property type '" + type +
            "'; expected one of bool, date, datetime, enumeration, number, phone_number, string");
  }
  if (std::find(std::begin(kFieldTypes), std::end(kFieldTypes), field_type) == std::end(kFieldTypes)) {
    Invalid("Invalid fieldType '" + field_type +
            "'; expected one of booleancheckbox, calculation_equation, checkbox, date, file, html, number, "
            "phonenumber, radio, select, text, textarea");
  }
  if (!ValidPair(type, field_type)) {
    Invalid("fieldType '" + field_type + "' cannot be used with property type '" + type + "'");
  }
}

/// HubSpot's internal names: a lower-case letter first, then lower-case letters, digits, underscores.
bool ValidInternalName(std::string_view name) {
  if (name.empty() || name.size() > 100 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

std::vector<PropertyOption> ParseOptions(const json& arr) {
  if (!arr.is_array()) Invalid("Field 'options' must be an array");
  std::vector<PropertyOption> out;
  int order = 0;
  for (const auto& o : arr) {
    if (!o.is_object()) Invalid("Each option must be an object with label and value");
    PropertyOption opt;
    opt.label = ReqString(o, "label");
    opt.value = ReqString(o, "value");
    opt.description = OptString(o, "description").value_or("");
    opt.display_order = OptInt(o, "displayOrder").value_or(order);
    opt.hidden = OptBool(o, "hidden").value_or(false);
    for (const auto& prev : out) {
      if (prev.value == opt.value) Invalid("Duplicate option value '" + opt.value + "'");
    }
    out.push_back(std::move(opt));
    ++order;
  }
  return out;
}

const PropertyGroup* FindGroup(const Portal& portal, ObjectType t, std::string_view name) {
  for (const auto& g : portal.Groups(t)) {
    if (g.name == name && !g.archived) return &g;
  }
  return nullptr;
}

// One failed input of a properties batch, in HubSpot's StandardError shape.
ojson BatchError(std::string_view category, std::string_view message, const std::string& name) {
  return ojson{{"status", "error"},  {"category", category},      {"message", message},
               {"context", {{"name", {name}}}}, {"errors", ojson::array()}, {"links", ojson::object()}};
}

// Send a batch response: `ok_status` when every input succeeded, 207 with the errors otherwise.
void SendBatch(Response& res, ojson results, ojson errors, int64_t started, int ok_status) {
  ojson out{{"status", "COMPLETE"}, {"results", std::move(results)}};
  const bool partial = !errors.empty();
  if (partial) {
    out["numErrors"] = errors.size();
    out["errors"] = std::move(errors);
  }
  out["startedAt"] = Iso(started);
  out["completedAt"] = Iso(NowMillis());
  SendJson(res, partial ? 207 : ok_status, out.dump());
}

ojson OptionJson(const PropertyOption& o) {
  return ojson{{"label", o.label},
               {"value", o.value},
               {"description", o.description},
               {"displayOrder", o.display_order},
               {"hidden", o.hidden}};
}

/// Properties whose options HubSpot derives from other objects: deal stages and pipelines, owners.
bool HasExternalOptions(ObjectType t, const PropertyDef& d) {
  return d.name == "hubspot_owner_id" || (t == ObjectType::kDeals && (d.name == "dealstage" || d.name == "pipeline"));
}

std::vector<const PipelineStage*> OrderedStages(const Pipeline& p);
std::vector<const Pipeline*> OrderedPipelines(const Portal& portal);

ojson PropertyJson(const Portal& portal, ObjectType t, const PropertyDef& d) {
  ojson j;
  j["updatedAt"] = Iso(d.updated_ms);
  j["createdAt"] = Iso(d.created_ms);
  if (d.archived) j["archivedAt"] = Iso(d.archived_ms != 0 ? d.archived_ms : d.updated_ms);
  j["name"] = d.name;
  j["label"] = d.label;
  j["type"] = d.type;
  j["fieldType"] = d.field_type;
  j["description"] = d.description;
  j["groupName"] = d.group_name;
  ojson opts = ojson::array();
  for (const auto& o : d.options) opts.push_back(OptionJson(o));
  const bool external = HasExternalOptions(t, d);
  if (external && d.options.empty()) {
    // Filled from the live pipelines and owners, so a client mapping values to labels (as a
    // sync does for dealstage) sees what the records hold.
    int order = 0;
    if (d.name == "dealstage") {
      for (const Pipeline* p : OrderedPipelines(portal)) {
        for (const PipelineStage* s : OrderedStages(*p)) {
          opts.push_back(OptionJson(PropertyOption{s->label, s->id, "", order++, false}));
        }
      }
    } else if (d.name == "pipeline") {
      for (const Pipeline* p : OrderedPipelines(portal)) {
        opts.push_back(OptionJson(PropertyOption{p->label, p->id, "", order++, false}));
      }
    } else {
      for (const Owner& o : portal.owners) {
        if (o.archived) continue;
        std::string label = o.first_name + (o.first_name.empty() || o.last_name.empty() ? "" : " ") + o.last_name;
        if (label.empty()) label = o.email;
        opts.push_back(OptionJson(PropertyOption{label, std::to_string(o.id), "", order++, false}));
      }
    }
  }
  j["options"] = std::move(opts);
  j["displayOrder"] = d.display_order;
  j["calculated"] = d.calculated;
  j["externalOptions"] = external;
  j["hasUniqueValue"] = d.has_unique_value;
  j["hidden"] = d.hidden;
  if (d.hubspot_defined) j["hubspotDefined"] = true;
  j["modificationMetadata"] = ojson{
      {"archivable", !d.hubspot_defined}, {"readOnlyDefinition", d.hubspot_defined}, {"readOnlyValue", d.calculated}};
  j["formField"] = d.form_field;
  j["archived"] = d.archived;
  return j;
}

/// Build a new property definition from a PropertyCreate body; throws BadRequest (409 on a
/// duplicate name).
PropertyDef BuildProperty(const Portal& portal, const ObjectTable& table, const json& in, int64_t now) {
  if (!in.is_object()) Invalid("Each property must be a JSON object");
  PropertyDef d;
  d.name = ReqString(in, "name");
  d.label = ReqString(in, "label");
  d.type = ReqString(in, "type");
  d.field_type = ReqString(in, "fieldType");
  d.group_name = ReqString(in, "groupName");
  if (!ValidInternalName(d.name)) {
    Invalid("Invalid property name '" + d.name +
            "': use lower-case letters, digits and underscores, starting with a letter");
  }
  ValidateTypePair(d.type, d.field_type);
  if (FindGroup(portal, table.Type(), d.group_name) == nullptr) {
    Invalid("Property group '" + d.group_name + "' does not exist on " + std::string(ObjectTypeName(table.Type())));
  }
  if (auto idx = table.Props().Find(d.name)) {
    Fail(409, "OBJECT_ALREADY_EXISTS",
         "Property " + d.name + " already exists on " + std::string(ObjectTypeName(table.Type())) +
             (table.Props().Def(*idx).archived ? " (archived)" : ""));
  }
  d.description = OptString(in, "description").value_or("");
  if (auto o = in.find("options"); o != in.end() && !o->is_null()) d.options = ParseOptions(*o);
  if (d.type == "bool" && d.options.empty()) {
    d.options = {PropertyOption{"Yes", "true", "", 0, false}, PropertyOption{"No", "false", "", 1, false}};
  }
  d.display_order = OptInt(in, "displayOrder").value_or(-1);
  d.has_unique_value = OptBool(in, "hasUniqueValue").value_or(false);
  d.hidden = OptBool(in, "hidden").value_or(false);
  d.form_field = OptBool(in, "formField").value_or(false);
  d.calculated = d.field_type == "calculation_equation";
  d.hubspot_defined = false;
  d.created_ms = d.updated_ms = now;
  if (d.has_unique_value) {
    size_t unique = 0;
    for (size_t i = 0; i < table.Props().Size(); ++i) {
      const auto& p = table.Props().Def(static_cast<uint16_t>(i));
      if (p.has_unique_value && !p.archived) ++unique;
    }
    if (unique >= 10) Invalid("An object can have at most 10 unique-value properties");
  }
  return d;
}

/// Property by name (not archived unless `archived`), or 404.
uint16_t RequireProperty(const ObjectTable& table, const std::string& name, bool archived) {
  auto idx = table.Props().Find(name);
  if (!idx || table.Props().Def(*idx).archived != archived) {
    NotFound("Property " + name + " does not exist on " + std::string(ObjectTypeName(table.Type())));
  }
  return *idx;
}

ojson GroupJson(const PropertyGroup& g) {
  return ojson{{"name", g.name}, {"label", g.label}, {"displayOrder", g.display_order}, {"archived", g.archived}};
}

PropertyGroup& RequireGroup(Portal& portal, ObjectType t, const std::string& name) {
  for (auto& g : portal.Groups(t)) {
    if (g.name == name && !g.archived) return g;
  }
  NotFound("Property group " + name + " does not exist on " + std::string(ObjectTypeName(t)));
}

void RegisterPropertyRoutes(RouteContext& ctx) {
  EmulatorServer& server = ctx.server;
  auto& http = ctx.http;
  const std::string base = "/crm/v3/properties/([^/]+)";

  // Groups first: `groups` would otherwise match the {propertyName} patterns.
  http.Get(base + "/groups/?", [&server](const Request& req, Response& res) {
    const ObjectType t = RequireObjectType(req.matches[1].str());
    const bool archived = BoolParam(req, "archived").value_or(false);
    const Portal& portal = server.GetPortal();
    ojson results = ojson::array();
    {
      std::shared_lock lock(portal.mutex);
      for (const auto& g : portal.Groups(t)) {
        if (g.archived == archived) results.push_back(GroupJson(g));
      }
    }
    SendJson(res, 200, ojson{{"results", std::move(results)}}.dump());
  });
  http.Post(base + "/groups/?", [&server](const Request& req, Response& res) {
    const ObjectType t = RequireObjectType(req.matches[1].str());
    const json body = ParseBody(req);
    RequireObject(body);
    PropertyGroup g;
    g.name = ReqString(body, "name");
    g.label = ReqString(body, "label");
    g.display_order = OptInt(body, "displayOrder").value_or(-1);
    if (!ValidInternalName(g.name)) {
      Invalid("Invalid group name '" + g.name + "': use lower-case letters, digits and underscores");
    }
    Portal& portal = server.GetPortal();
    std::unique_lock lock(portal.mutex);
    for (auto& existing : portal.Groups(t)) {
      if (existing.name != g.name) continue;
      if (!existing.archived) {
        Fail(409, "OBJECT_ALREADY_EXISTS",
             "Property group " + g.name + " already exists on " + std::string(ObjectTypeName(t)));
      }
      existing = g;  // re-creating an archived group restores it
      SendJson(res, 201, GroupJson(existing).dump());
      return;
    }
    portal.Groups(t).push_back(g);
    SendJson(res, 201, GroupJson(g).dump());
  });
  http.Get(base + "/groups/([^/]+)", [&server](const Request& req, Response& res) {
    const ObjectType t = RequireObjectType(req.matches[1].str());
    Portal& portal = server.GetPortal();
    std::shared_lock lock(portal.mutex);
    SendJson(res, 200, GroupJson(RequireGroup(portal, t, req.matches[2].str())).dump());
  });
  http.Patch(base + "/groups/([^/]+)", [&server](const Request& req, Response& res) {
    const ObjectType t = RequireObjectType(req.matches[1].str());
    const json body = ParseBody(req);
    RequireObject(body);
    Portal& portal = server.GetPortal();
    std::unique_lock lock(portal.mutex);
    PropertyGroup& g = RequireGroup(portal, t, req.matches[2].str());
    if (auto label = OptString(body, "label")) {
      if (label->empty()) Invalid("Field 'label' must not be empty");
      g.label = *label;
    }
    if (auto order = OptInt(body, "displayOrder")) g.display_order = *order;
    SendJson(res, 200, GroupJson(g).dump());
  });
  http.Delete(base + "/groups/([^/]+)", [&server](const Request& req, Response& res) {
    const ObjectType t = RequireObjectType(req.matches[1].str());
    Portal& portal = server.GetPortal();
    std::unique_lock lock(portal.mutex);
    RequireGroup(portal, t, req.matches[2].str()).archived = true;
    res.status = 204;
  });

  // Batch.
  http.Post(base + "/batch/read", [&server](const Request& req, Response& res) {
    const ObjectType t = RequireObjectType(req.matches[1].str());
    const json body = ParseBody(req);
    const json& inputs = Inputs(body);
    const bool archived = OptBool(body, "archived").value_or(false);
    const int64_t started = NowMillis();
    const Portal& portal = server.GetPortal();
    ojson results = ojson::array();
    ojson errors = ojson::array();
    {
      std::shared_lock lock(portal.mutex);
      const auto& table = portal.Table(t);
      for (const auto& in : inputs) {
        const std::string name = in.is_object() ? OptString(in, "name").value_or("") : "";
        auto idx = table.Props().Find(name);
        if (idx && table.Props().Def(*idx).archived == archived) {
          results.push_back(PropertyJson(portal, t, table.Props().Def(*idx)));
        } else {
          errors.push_back(BatchError("OBJECT_NOT_FOUND", "Property " + name + " does not exist", name));
        }
      }
    }
    SendBatch(res, std::move(results), std::move(errors), started, 200);
  });
  http.Post(base + "/batch/create", [&server](const Request& req, Response& res) {
    const ObjectType t = RequireObjectType(req.matches[1].str());
    const json body = ParseBody(req);
    const json& inputs = Inputs(body);
    const int64_t started = NowMillis();
    Portal& portal = server.GetPortal();
    ojson results = ojson::array();
    ojson errors = ojson::array();
    {
      std::unique_lock lock(portal.mutex);
      auto& table = portal.Table(t);
      for (const auto& in : inputs) {
        try {
          PropertyDef d = BuildProperty(portal, table, in, started);
          const uint16_t idx = table.Props().Put(std::move(d));
          results.push_back(PropertyJson(portal, t, table.Props().Def(idx)));
        } catch (const BadRequest& e) {
          const std::string name = in.is_object() ? OptString(in, "name").value_or("") : "";
          errors.push_back(BatchError(e.category, e.message, name));
        }
      }
    }
    SendBatch(res, std::move(results), std::move(errors), started, 201);
  });
  http.Post(base + "/batch/archive", [&server](const Request& req, Response& res) {
    const ObjectType t = RequireObjectType(req.matches[1].str());
    const json body = ParseBody(req);
    const json& inputs = Inputs(body);
    const int64_t now = NowMillis();
    Portal& portal = server.GetPortal();
    std::unique_lock lock(portal.mutex);
    auto& props = portal.Table(t).Props();
    // Validate every input before archiving any, so a refused batch changes nothing.
    std::vector<uint16_t> targets;
    for (const auto& in : inputs) {
      const std::string name = in.is_object() ? OptString(in, "name").value_or("") : "";
      auto idx = props.Find(name);
      if (!idx || props.Def(*idx).archived) continue;  // unknown names are ignored
      if (props.Def(*idx).hubspot_defined) Invalid("HubSpot-defined property " + name + " cannot be archived");
      targets.push_back(*idx);
    }
    for (uint16_t i : targets) {
      props.Def(i).archived = true;
      props.Def(i).archived_ms = props.Def(i).updated_ms = now;
    }
    res.status = 204;
  });

  // Single properties.
  http.Get(base + "/?", [&server](const Request& req, Response& res) {
    const ObjectType t = RequireObjectType(req.matches[1].str());
    const bool archived = BoolParam(req, "archived").value_or(false);
    const std::vector<std::string> only = MultiParam(req, "properties");
    const Portal& portal = server.GetPortal();
    std::string out;
    {
      std::shared_lock lock(portal.mutex);
      const auto& props = portal.Table(t).Props();
      ojson results = ojson::array();
      for (size_t i = 0; i < props.Size(); ++i) {
        const auto& d = props.Def(static_cast<uint16_t>(i));
        if (d.archived != archived) continue;
        if (!only.empty() && std::find(only.begin(), only.end(), d.name) == only.end()) continue;
        results.push_back(PropertyJson(portal, t, d));
      }
      out = ojson{{"results", std::move(results)}}.dump();
    }
    SendJson(res, 200, std::move(out));
  });
  http.Post(base + "/?", [&server](const Request& req, Response& res) {
    const ObjectType t = RequireObjectType(req.matches[1].str());
    const json body = ParseBody(req);
    RequireObject(body);
    Portal& portal = server.GetPortal();
    std::unique_lock lock(portal.mutex);
    auto& table = portal.Table(t);
    PropertyDef d = BuildProperty(portal, table, body, NowMillis());
    const uint16_t idx = table.Props().Put(std::move(d));
    SendJson(res, 201, PropertyJson(portal, t, table.Props().Def(idx)).dump());
  });
  http.Get(base + "/([^/]+)", [&server](const Request& req, Response& res) {
    const ObjectType t = RequireObjectType(req.matches[1].str());
    const bool archived = BoolParam(req, "archived").value_or(false);
    const Portal& portal = server.GetPortal();
    std::shared_lock lock(portal.mutex);
    const auto& table = portal.Table(t);
    SendJson(res, 200,
             PropertyJson(portal, t, table.Props().Def(RequireProperty(table, req.matches[2].str(), archived))).dump());
  });
  http.Patch(base + "/([^/]+)", [&server](const Request& req, Response& res) {
    const ObjectType t = RequireObjectType(req.matches[1].str());
    const json body = ParseBody(req);
    RequireObject(body);
    Portal& portal = server.GetPortal();
    std::unique_lock lock(portal.mutex);
    auto& table = portal.Table(t);
    PropertyDef& d = table.Props().Def(RequireProperty(table, req.matches[2].str(), false));
    PropertyDef updated = d;
    if (auto v = OptString(body, "label")) updated.label = *v;
    if (auto v = OptString(body, "description")) updated.description = *v;
    if (auto v = OptString(body, "type")) updated.type = *v;
    if (auto v = OptString(body, "fieldType")) updated.field_type = *v;
    if (auto v = OptString(body, "groupName")) updated.group_name = *v;
    if (auto v = OptInt(body, "displayOrder")) updated.display_order = *v;
    if (auto v = OptBool(body, "hidden")) updated.hidden = *v;
    if (auto v = OptBool(body, "formField")) updated.form_field = *v;
    if (auto o = body.find("options"); o != body.end() && !o->is_null()) updated.options = ParseOptions(*o);
    if (updated.label.empty()) Invalid("Field 'label' must not be empty");
    if (d.hubspot_defined && (updated.type != d.type || updated.field_type != d.field_type)) {
      Invalid("The type and fieldType of HubSpot-defined property " + d.name + " are read-only");
    }
    ValidateTypePair(updated.type, updated.field_type);
    if (updated.group_name != d.group_name && FindGroup(portal, t, updated.group_name) == nullptr) {
      Invalid("Property group '" + updated.group_name + "' does not exist on " + std::string(ObjectTypeName(t)));
    }
    updated.calculated = d.hubspot_defined ? d.calculated : updated.field_type == "calculation_equation";
    updated.updated_ms = NowMillis();
    d = std::move(updated);
    SendJson(res, 200, PropertyJson(portal, t, d).dump());
  });
  http.Delete(base + "/([^/]+)", [&server](const Request& req, Response& res) {
    const ObjectType t = RequireObjectType(req.matches[1].str());
    Portal& portal = server.GetPortal();
    std::unique_lock lock(portal.mutex);
    auto& table = portal.Table(t);
    PropertyDef& d = table.Props().Def(RequireProperty(table, req.matches[2].str(), false));
    if (d.hubspot_defined) Invalid("HubSpot-defined property " + d.name + " cannot be archived");
    d.archived = true;
    d.archived_ms = d.updated_ms = NowMillis();
    res.status = 204;
  });
}

// ---- pipelines ----

/// Pipelines exist for deals (tickets are not emulated); other object types have none.
void RequirePipelineType(const std::string& text) {
  const ObjectType t = RequireObjectType(text);
  if (t != ObjectType::kDeals) {
    Invalid("Object type " + std::string(ObjectTypeName(t)) + " does not support pipelines; use deals");
  }
}

std::string FormatProbability(double p) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f", p);
  return buf;
}

ojson StageJson(const PipelineStage& s) {
  ojson j{
      {"label", s.label},
      {"displayOrder", s.display_order},
      {"metadata", {{"isClosed", s.is_closed ? "true" : "false"}, {"probability", FormatProbability(s.probability)}}},
      {"id", s.id},
      {"createdAt", Iso(s.created_ms)}};
  if (s.archived) j["archivedAt"] = Iso(s.updated_ms);
  j["updatedAt"] = Iso(s.updated_ms);
  j["archived"] = s.archived;
  j["writePermissions"] = "CRM_PERMISSIONS_ENFORCEMENT";
  return j;
}

/// Live stages of `p` in display order; equal displayOrders sort by label, as HubSpot documents.
std::vector<const PipelineStage*> OrderedStages(const Pipeline& p) {
  std::vector<const PipelineStage*> out;
  for (const auto& s : p.stages) {
    if (!s.archived) out.push_back(&s);
  }
  std::stable_sort(out.begin(), out.end(), [](const PipelineStage* a, const PipelineStage* b) {
    return a->display_order != b->display_order ? a->display_order < b->display_order : a->label < b->label;
  });
  return out;
}

/// Live pipelines in display order (then label).
std::vector<const Pipeline*> OrderedPipelines(const Portal& portal) {
  std::vector<const Pipeline*> out;
  for (const auto& p : portal.deal_pipelines) {
    if (!p.archived) out.push_back(&p);
  }
  std::stable_sort(out.begin(), out.end(), [](const Pipeline* a, const Pipeline* b) {
    return a->display_order != b->display_order ? a->display_order < b->display_order : a->label < b->label;
  });
  return out;
}

ojson PipelineJson(const Pipeline& p) {
  ojson stages = ojson::array();
  for (const PipelineStage* s : OrderedStages(p)) stages.push_back(StageJson(*s));
  ojson j{{"label", p.label},
          {"displayOrder", p.display_order},
          {"id", p.id},
          {"stages", std::move(stages)},
          {"createdAt", Iso(p.created_ms)}};
  if (p.archived) j["archivedAt"] = Iso(p.updated_ms);
  j["updatedAt"] = Iso(p.updated_ms);
  j["archived"] = p.archived;
  return j;
}

/// Largest numeric pipeline or stage id in use (HubSpot's are numeric strings), counting `extra`
/// (a pipeline being built outside the portal) too; new ids count up from it.
int64_t MaxPipelineId(const Portal& portal, const Pipeline* extra = nullptr) {
  int64_t max_id = 1000000;
  auto consider = [&](const std::string& id) {
    int64_t v = 0;
    auto r = std::from_chars(id.data(), id.data() + id.size(), v);
    if (r.ec == std::errc() && r.ptr == id.data() + id.size()) max_id = std::max(max_id, v);
  };
  auto scan = [&](const Pipeline& p) {
    consider(p.id);
    for (const auto& s : p.stages) consider(s.id);
  };
  for (const auto& p : portal.deal_pipelines) scan(p);
  if (extra != nullptr) scan(*extra);
  return max_id;
}

Pipeline& RequirePipeline(Portal& portal, const std::string& id) {
  for (auto& p : portal.deal_pipelines) {
    if (p.id == id && !p.archived) return p;
  }
  NotFound("Pipeline " + id + " does not exist");
}

PipelineStage& RequireStage(Pipeline& p, const std::string& id) {
  for (auto& s : p.stages) {
    if (s.id == id && !s.archived) return s;
  }
  NotFound("Stage " + id + " does not exist in pipeline " + p.id);
}

/// Apply a stage's `metadata` (probability required for deals, 0.0-1.0 in steps of 0.1).
void ApplyStageMetadata(PipelineStage& s, const json& meta) {
  if (!meta.is_object()) Invalid("Stage metadata must be an object with probability");
  auto pj = meta.find("probability");
  if (pj == meta.end() || pj->is_null()) Invalid("Deal stage metadata requires 'probability' (0.0 to 1.0)");
  double p = 0;
  if (pj->is_number()) {
    p = pj->get<double>();
  } else if (pj->is_string()) {
    const std::string& text = pj->get_ref<const std::string&>();
    char* end = nullptr;
    p = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size()) Invalid("Stage probability '" + text + "' is not a number");
  } else {
    Invalid("Stage probability must be a number between 0.0 and 1.0");
  }
  const double tenths = p * 10;
  if (!(p >= 0 && p <= 1) || std::abs(tenths - std::round(tenths)) > 1e-9) {
    Invalid("Deal stage probability must be between 0.0 and 1.0 in steps of 0.1; got " + pj->dump());
  }
  s.probability = std::round(tenths) / 10;
  // Stages at 0% and 100% are HubSpot's closed-lost and closed-won; isClosed may say otherwise.
  s.is_closed = s.probability == 0.0 || s.probability == 1.0;
  if (auto c = meta.find("isClosed"); c != meta.end() && !c->is_null()) {
    if (c->is_boolean()) {
      s.is_closed = c->get<bool>();
    } else if (c->is_string() && (*c == "true" || *c == "false")) {
      s.is_closed = *c == "true";
    } else {
      Invalid("Stage metadata isClosed must be true or false");
    }
  }
}

/// A stage from a PipelineStageInput body (label, displayOrder, metadata all required).
PipelineStage BuildStage(const json& in, int64_t now) {
  if (!in.is_object()) Invalid("Each stage must be an object with label, displayOrder and metadata");
  PipelineStage s;
  s.label = ReqString(in, "label");
  auto order = OptInt(in, "displayOrder");
  if (!order) Invalid("Missing required field 'displayOrder' on stage " + s.label);
  s.display_order = *order;
  auto meta = in.find("metadata");
  if (meta == in.end()) Invalid("Missing required field 'metadata' on stage " + s.label);
  ApplyStageMetadata(s, *meta);
  s.created_ms = s.updated_ms = now;
  return s;
}

void CheckStageLabelsUnique(const Pipeline& p) {
  for (size_t i = 0; i < p.stages.size(); ++i) {
    for (size_t j = i + 1; j < p.stages.size(); ++j) {
      if (!p.stages[i].archived && !p.stages[j].archived && p.stages[i].label == p.stages[j].label) {
        Invalid("Stage label '" + p.stages[i].label + "' is used twice in pipeline " + p.label);
      }
    }
  }
}

void CheckPipelineLabelUnique(const Portal& portal, const std::string& label, const std::string& except_id) {
  for (const auto& p : portal.deal_pipelines) {
    if (!p.archived && p.id != except_id && p.label == label) {
      Fail(409, "OBJECT_ALREADY_EXISTS", "A pipeline with label '" + label + "' already exists");
    }
  }
}

/// Replace `p`'s stages from a `stages` array; stages keep their ids when the label matches.
void ReplaceStages(Portal& portal, Pipeline& p, const json& stages, int64_t now) {
  if (!stages.is_array() || stages.empty()) Invalid("A pipeline needs a non-empty 'stages' array");
  std::vector<PipelineStage> next;
  for (const auto& in : stages) {
    PipelineStage s = BuildStage(in, now);
    for (const auto& old : p.stages) {
      if (!old.archived && old.label == s.label) {
        s.id = old.id;
        s.created_ms = old.created_ms;
      }
    }
    next.push_back(std::move(s));
  }
  p.stages = std::move(next);
  int64_t id = MaxPipelineId(portal, &p);
  for (auto& s : p.stages) {
    if (s.id.empty()) s.id = std::to_string(++id);
  }
  CheckStageLabelsUnique(p);
}

void RegisterPipelineRoutes(RouteContext& ctx) {
  EmulatorServer& server = ctx.server;
  auto& http = ctx.http;
  const std::string base = "/crm/v3/pipelines/([^/]+)";

  http.Get(base + "/?", [&server](const Request& req, Response& res) {
    RequirePipelineType(req.matches[1].str());
    const Portal& portal = server.GetPortal();
    std::shared_lock lock(portal.mutex);
    ojson results = ojson::array();
    for (const Pipeline* p : OrderedPipelines(portal)) results.push_back(PipelineJson(*p));
    SendJson(res, 200, ojson{{"results", std::move(results)}}.dump());
  });
  http.Post(base + "/?", [&server](const Request& req, Response& res) {
    RequirePipelineType(req.matches[1].str());
    const json body = ParseBody(req);
    RequireObject(body);
    const int64_t now = NowMillis();
    Portal& portal = server.GetPortal();
    std::unique_lock lock(portal.mutex);
    Pipeline p;
    p.label = ReqString(body, "label");
    auto order = OptInt(body, "displayOrder");
    if (!order) Invalid("Missing required field 'displayOrder'");
    p.display_order = *order;
    p.created_ms = p.updated_ms = now;
    CheckPipelineLabelUnique(portal, p.label, "");
    auto stages = body.find("stages");
    if (stages == body.end()) Invalid("Missing required field 'stages'");
    p.id = std::to_string(MaxPipelineId(portal) + 1);
    portal.deal_pipelines.push_back(p);
    Pipeline& stored = portal.deal_pipelines.back();
    try {
      ReplaceStages(portal, stored, *stages, now);
    } catch (const BadRequest&) {
      portal.deal_pipelines.pop_back();
      throw;
    }
    RegisterPipelineStageProperties(portal, now);
    SendJson(res, 201, PipelineJson(stored).dump());
  });
  http.Get(base + "/([^/]+)", [&server](const Request& req, Response& res) {
    RequirePipelineType(req.matches[1].str());
    Portal& portal = server.GetPortal();
    std::shared_lock lock(portal.mutex);
    SendJson(res, 200, PipelineJson(RequirePipeline(portal, req.matches[2].str())).dump());
  });
  http.Put(base + "/([^/]+)", [&server](const Request& req, Response& res) {
    RequirePipelineType(req.matches[1].str());
    const json body = ParseBody(req);
    RequireObject(body);
    const int64_t now = NowMillis();
    Portal& portal = server.GetPortal();
    std::unique_lock lock(portal.mutex);
    Pipeline& p = RequirePipeline(portal, req.matches[2].str());
    Pipeline updated = p;
    updated.label = ReqString(body, "label");
    auto order = OptInt(body, "displayOrder");
    if (!order) Invalid("Missing required field 'displayOrder'");
    updated.display_order = *order;
    CheckPipelineLabelUnique(portal, updated.label, p.id);
    auto stages = body.find("stages");
    if (stages == body.end()) Invalid("Missing required field 'stages'");
    ReplaceStages(portal, updated, *stages, now);
    updated.updated_ms = now;
    p = std::move(updated);
    RegisterPipelineStageProperties(portal, now);
    SendJson(res, 200, PipelineJson(p).dump());
  });
  http.Patch(base + "/([^/]+)", [&server](const Request& req, Response& res) {
    RequirePipelineType(req.matches[1].str());
    const json body = ParseBody(req);
    RequireObject(body);
    Portal& portal = server.GetPortal();
    std::unique_lock lock(portal.mutex);
    const std::string id = req.matches[2].str();
    // PATCH with archived:false restores an archived pipeline.
    Pipeline* target = nullptr;
    for (auto& p : portal.deal_pipelines) {
      if (p.id == id && (!p.archived || OptBool(body, "archived") == false)) target = &p;
    }
    if (target == nullptr) NotFound("Pipeline " + id + " does not exist");
    if (auto label = OptString(body, "label")) {
      if (label->empty()) Invalid("Field 'label' must not be empty");
      CheckPipelineLabelUnique(portal, *label, id);
      target->label = *label;
    }
    if (auto order = OptInt(body, "displayOrder")) target->display_order = *order;
    if (auto archived = OptBool(body, "archived")) target->archived = *archived;
    target->updated_ms = NowMillis();
    SendJson(res, 200, PipelineJson(*target).dump());
  });
  http.Delete(base + "/([^/]+)", [&server](const Request& req, Response& res) {
    RequirePipelineType(req.matches[1].str());
    Portal& portal = server.GetPortal();
    std::unique_lock lock(portal.mutex);
    Pipeline& p = RequirePipeline(portal, req.matches[2].str());
    p.archived = true;
    p.updated_ms = NowMillis();
    res.status = 204;
  });

  // Stages.
  http.Get(base + "/([^/]+)/stages/?", [&server](const Request& req, Response& res) {
    RequirePipelineType(req.matches[1].str());
    Portal& portal = server.GetPortal();
    std::shared_lock lock(portal.mutex);
    const Pipeline& p = RequirePipeline(portal, req.matches[2].str());
    ojson results = ojson::array();
    for (const PipelineStage* s : OrderedStages(p)) results.push_back(StageJson(*s));
    SendJson(res, 200, ojson{{"results", std::move(results)}}.dump());
  });
  http.Post(base + "/([^/]+)/stages/?", [&server](const Request& req, Response& res) {
    RequirePipelineType(req.matches[1].str());
    const json body = ParseBody(req);
    const int64_t now = NowMillis();
    Portal& portal = server.GetPortal();
    std::unique_lock lock(portal.mutex);
    Pipeline& p = RequirePipeline(portal, req.matches[2].str());
    PipelineStage s = BuildStage(body, now);
    for (const auto& other : p.stages) {
      if (!other.archived && other.label == s.label) {
        Invalid("Stage label '" + s.label + "' is already used in pipeline " + p.label);
      }
    }
    s.id = std::to_string(MaxPipelineId(portal) + 1);
    p.stages.push_back(s);
    p.updated_ms = now;
    RegisterPipelineStageProperties(portal, now);
    SendJson(res, 201, StageJson(s).dump());
  });
  http.Get(base + "/([^/]+)/stages/([^/]+)", [&server](const Request& req, Response& res) {
    RequirePipelineType(req.matches[1].str());
    Portal& portal = server.GetPortal();
    std::shared_lock lock(portal.mutex);
    Pipeline& p = RequirePipeline(portal, req.matches[2].str());
    SendJson(res, 200, StageJson(RequireStage(p, req.matches[3].str())).dump());
  });
  auto update_stage = [&server](const Request& req, Response& res, bool replace) {
    RequirePipelineType(req.matches[1].str());
    const json body = ParseBody(req);
    RequireObject(body);
    const int64_t now = NowMillis();
    Portal& portal = server.GetPortal();
    std::unique_lock lock(portal.mutex);
    Pipeline& p = RequirePipeline(portal, req.matches[2].str());
    PipelineStage& s = RequireStage(p, req.matches[3].str());
    PipelineStage updated = s;
    if (replace) {
      PipelineStage fresh = BuildStage(body, now);
      updated.label = fresh.label;
      updated.display_order = fresh.display_order;
      updated.probability = fresh.probability;
      updated.is_closed = fresh.is_closed;
    } else {
      if (auto label = OptString(body, "label")) {
        if (label->empty()) Invalid("Field 'label' must not be empty");
        updated.label = *label;
      }
      if (auto order = OptInt(body, "displayOrder")) updated.display_order = *order;
      if (auto meta = body.find("metadata"); meta != body.end() && !meta->is_null()) {
        ApplyStageMetadata(updated, *meta);
      }
      if (auto archived = OptBool(body, "archived")) updated.archived = *archived;
    }
    for (const auto& other : p.stages) {
      if (&other != &s && !other.archived && other.label == updated.label) {
        Invalid("Stage label '" + updated.label + "' is already used in pipeline " + p.label);
      }
    }
    updated.updated_ms = now;
    s = std::move(updated);
    p.updated_ms = now;
    SendJson(res, 200, StageJson(s).dump());
  };
  http.Patch(base + "/([^/]+)/stages/([^/]+)",
             [update_stage](const Request& req, Response& res) { update_stage(req, res, false); });
  http.Put(base + "/([^/]+)/stages/([^/]+)",
           [update_stage](const Request& req, Response& res) { update_stage(req, res, true); });
  http.Delete(base + "/([^/]+)/stages/([^/]+)", [&server](const Request& req, Response& res) {
    RequirePipelineType(req.matches[1].str());
    Portal& portal = server.GetPortal();
    std::unique_lock lock(portal.mutex);
    Pipeline& p = RequirePipeline(portal, req.matches[2].str());
    PipelineStage& s = RequireStage(p, req.matches[3].str());
    s.archived = true;
    s.updated_ms = p.updated_ms = NowMillis();
    res.status = 204;
  });
}

// ---- owners ----

ojson OwnerJson(const Portal& portal, const Owner& o) {
  ojson teams = ojson::array();
  for (size_t i = 0; i < o.team_ids.size(); ++i) {
    std::string name;
    for (const auto& t : portal.teams) {
      if (t.id == o.team_ids[i]) name = t.name;
    }
    teams.push_back(ojson{{"id", o.team_ids[i]}, {"name", name}, {"primary", i == 0}});
  }
  ojson j{{"id", std::to_string(o.id)},
          {"email", o.email},
          {"type", o.type},
          {"firstName", o.first_name},
          {"lastName", o.last_name},
          {"userId", o.user_id},
          {"userIdIncludingInactive", o.user_id},
          {"createdAt", Iso(o.created_ms)},
          {"updatedAt", Iso(o.updated_ms)},
          {"archived", o.archived},
          {"teams", std::move(teams)}};
  // Archived owners are deactivated users: HubSpot keeps only userIdIncludingInactive.
  if (o.archived) j.erase("userId");
  return j;
}

void RegisterOwnerRoutes(RouteContext& ctx) {
  EmulatorServer& server = ctx.server;
  auto list = [&server](const Request& req, Response& res) {
    const int64_t limit = IntParam(req, "limit").value_or(100);
    if (limit < 1 || limit > 500) Invalid("limit must be between 1 and 500; got " + std::to_string(limit));
    const int64_t after = IntParam(req, "after").value_or(0);
    const bool archived = BoolParam(req, "archived").value_or(false);
    const std::string email = req.has_param("email") ? req.get_param_value("email") : "";
    auto iequals = [](std::string_view a, std::string_view b) {
      return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
             });
    };
    const Portal& portal = server.GetPortal();
    ojson out;
    {
      std::shared_lock lock(portal.mutex);
      std::vector<const Owner*> owners;
      for (const auto& o : portal.owners) {
        if (o.archived != archived || o.id < after) continue;
        if (!email.empty() && !iequals(o.email, email)) continue;
        owners.push_back(&o);
      }
      std::sort(owners.begin(), owners.end(), [](const Owner* a, const Owner* b) { return a->id < b->id; });
      ojson results = ojson::array();
      for (size_t i = 0; i < owners.size() && i < static_cast<size_t>(limit); ++i) {
        results.push_back(OwnerJson(portal, *owners[i]));
      }
      out["results"] = std::move(results);
      if (owners.size() > static_cast<size_t>(limit)) {
        // The cursor is the next owner's id, like the object list endpoints.
        const std::string next = std::to_string(owners[static_cast<size_t>(limit)]->id);
        out["paging"] =
            ojson{{"next",
                   {{"after", next},
                    {"link", server.BaseUrl() + "/crm/v3/owners/?limit=" + std::to_string(limit) + "&after=" + next}}}};
      }
    }
    SendJson(res, 200, out.dump());
  };
  ctx.http.Get("/crm/v3/owners/?", list);
  ctx.http.Get("/crm/v3/owners/([^/]+)", [&server](const Request& req, Response& res) {
    const std::string id_text = req.matches[1].str();
    const std::string id_property = req.has_param("idProperty") ? req.get_param_value("idProperty") : "id";
    if (id_property != "id" && id_property != "userId") Invalid("idProperty must be id or userId");
    const bool archived = BoolParam(req, "archived").value_or(false);
    int64_t id = 0;
    auto r = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (r.ec != std::errc() || r.ptr != id_text.data() + id_text.size()) {
      Invalid("Owner id must be an integer; got '" + id_text + "'");
    }
    const Portal& portal = server.GetPortal();
    std::shared_lock lock(portal.mutex);
    for (const auto& o : portal.owners) {
      if ((id_property == "id" ? o.id : o.user_id) == id && o.archived == archived) {
        SendJson(res, 200, OwnerJson(portal, o).dump());
        return;
      }
    }
    NotFound("Owner " + id_text + " does not exist");
  });
}

}  // namespace

void RegisterMetadataRoutes(RouteContext& ctx) {
  RegisterPropertyRoutes(ctx);
  RegisterPipelineRoutes(ctx);
  RegisterOwnerRoutes(ctx);
}

}  // namespace revlens::emulator
