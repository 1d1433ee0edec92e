#include "deliver/properties.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "hubspot/client.hpp"

namespace revlens::deliver {
namespace {

using nlohmann::json;

PropertySpec Number(std::string name, std::string label, std::string description, bool hidden = false) {
  return PropertySpec{std::move(name), std::move(label), "number", "number", std::move(description), {}, hidden};
}
PropertySpec Text(std::string name, std::string label, std::string description, bool hidden = false,
                  std::string field_type = "text") {
  return PropertySpec{std::move(name), std::move(label), "string", std::move(field_type), std::move(description), {},
                      hidden};
}
PropertySpec DateTime(std::string name, std::string label, std::string description, bool hidden = false) {
  return PropertySpec{std::move(name), std::move(label), "datetime", "date", std::move(description), {}, hidden};
}
PropertySpec Tier(std::string name, std::string label, std::string description, bool hidden = false) {
  return PropertySpec{std::move(name),        std::move(label),     "enumeration", "select",
                      std::move(description), {"A", "B", "C", "D"}, hidden};
}

// The lead-score properties, visible or as hidden shadow twins (`revlens_shadow_*`).
void AddLeadScore(std::vector<PropertySpec>& out, bool shadow) {
  const std::string p = shadow ? "revlens_shadow_" : "revlens_";
  const std::string l = shadow ? "revlens shadow " : "revlens ";
  const std::string note = shadow ? " Shadow mode: written while the score is not shown to the team (shadow mode, a "
                                    "model without lift, or the A/B holdout)."
                                  : "";
  out.push_back(Number(p + "score", l + "score",
                       "Likelihood (0-100) that this contact converts within the model's window, from revlens lead "
                       "scoring." +
                           note,
                       shadow));
  out.push_back(Tier(p + "tier", l + "tier", "Score tier by percentile: A (top) to D." + note, shadow));
  out.push_back(Number(p + "fit", l + "fit", "Fit score: who the contact and their company are." + note, shadow));
  out.push_back(
      Number(p + "engagement", l + "engagement", "Engagement score: what the contact has done." + note, shadow));
  out.push_back(
      Text(p + "reasons", l + "reasons", "The top reasons behind the score, one per line." + note, shadow, "textarea"));
  out.push_back(
      Text(p + "model_version", l + "model version", "The model version that produced the score." + note, shadow));
  out.push_back(DateTime(p + "scored_at", l + "scored at", "When the values shown were computed." + note, shadow));
}

bool ValidName(std::string_view name) {
  if (!name.starts_with(kPropertyPrefix) || name.size() > 100) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

// The documented type/fieldType pairs (hubspot-api-notes.md section 5), restricted to what revlens writes.
bool ValidPair(std::string_view type, std::string_view field_type) {
  if (type == "number") return field_type == "number";
  if (type == "string") return field_type == "text" || field_type == "textarea";
  if (type == "enumeration") return field_type == "select" || field_type == "radio";
  if (type == "datetime" || type == "date") return field_type == "date";
  if (type == "bool") return field_type == "booleancheckbox";
  return false;
}

json CreateBody(const PropertySpec& p, int order) {
  json j{{"name", p.name},
         {"label", p.label},
         {"type", p.type},
         {"fieldType", p.field_type},
         {"groupName", std::string(kGroupName)},
         {"description", p.description},
         {"displayOrder", order},
         {"hidden", p.hidden},
         {"formField", false}};
  if (!p.options.empty()) {
    json opts = json::array();
    int i = 0;
    for (const auto& o : p.options)
      opts.push_back({{"label", o}, {"value", o}, {"displayOrder", i++}, {"hidden", false}});
    j["options"] = std::move(opts);
  }
  return j;
}

// The `errors` of a batch answer (207), or an empty array.
json Errors(const json& body) {
  auto it = body.find("errors");
  return it != body.end() && it->is_array() ? *it : json::array();
}

std::string ErrorName(const json& e) {
  // Properties batch errors name the input as context.name: ["revlens_score"].
  if (auto c = e.find("context"); c != e.end() && c->is_object()) {
    if (auto n = c->find("name"); n != c->end() && n->is_array() && !n->empty() && (*n)[0].is_string()) {
      return (*n)[0].get<std::string>();
    }
  }
  return {};
}

json ParseOrThrow(const hubspot::Response& r) {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw hubspot::MalformedResponseError("malformed HubSpot response: expected a JSON object");
  }
  return j;
}

}  // namespace

const PropertySpec* PropertyCatalog::Find(std::string_view object_type, std::string_view name) const {
  auto it = by_type.find(std::string(object_type));
  if (it == by_type.end()) return nullptr;
  for (const auto& p : it->second) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

PropertyCatalog DefaultCatalog() {
  PropertyCatalog c;
  auto& contacts = c.by_type["contacts"];
  AddLeadScore(contacts, false);
  AddLeadScore(contacts, true);
  auto& companies = c.by_type["companies"];
  companies.push_back(Number("revlens_icp_fit", "revlens ICP fit",
                             "Ideal-customer-profile fit (0-100) from revlens ICP analysis: how closely this company "
                             "matches the segments that win."));
  companies.push_back(
      Text("revlens_icp_segment", "revlens ICP segment", "The winning segment this company best fits."));
  companies.push_back(DateTime("revlens_scored_at", "revlens scored at", "When the values shown were computed."));
  auto& deals = c.by_type["deals"];
  deals.push_back(Text("revlens_competitors", "revlens competitors",
                       "Competitors revlens detected on this open deal (notes, emails, calls, meetings, the competitor "
                       "and closed-lost-reason properties), ';'-separated."));
  deals.push_back(Number("revlens_win_probability", "revlens win probability",
                         "Probability (0-1) that this open deal is won, from revlens forecast: a model of the deal "
                         "history, calibrated and backtested (historical stage conversion rates when the deal "
                         "features add nothing over the stage)."));
  deals.push_back(Text("revlens_deal_risk", "revlens deal risk",
                       "Risk flags revlens forecast raised on this open deal, ';'-separated: slipped_close_date, "
                       "stalled_in_stage, no_recent_activity, single_threaded. Empty when none."));
  deals.push_back(DateTime("revlens_predicted_at", "revlens predicted at",
                           "When the win probability and risk shown were computed."));
  return c;
}

void ValidateCatalog(const PropertyCatalog& catalog) {
  for (const auto& [type, props] : catalog.by_type) {
    std::set<std::string> seen;
    for (const auto& p : props) {
      if (!ValidName(p.name)) {
        throw ConfigError("property '" + p.name + "' on " + type + ": revlens writes only its own properties, named " +
                          std::string(kPropertyPrefix) + "<lower-case letters, digits, underscores>");
      }
      if (!seen.insert(p.name).second) throw ConfigError("property '" + p.name + "' is listed twice on " + type);
      if (p.label.empty()) throw ConfigError("property '" + p.name + "' on " + type + " has no label");
      if (!ValidPair(p.type, p.field_type)) {
        throw ConfigError("property '" + p.name + "' on " + type + ": type '" + p.type + "' with fieldType '" +
                          p.field_type + "' is not a pair revlens writes");
      }
      if (p.type == "enumeration" && p.options.empty()) {
        throw ConfigError("property '" + p.name + "' on " + type + " is an enumeration without options");
      }
    }
  }
}

SetupReport EnsureProperties(hubspot::Client& client, const std::string& object_type,
                             const std::vector<PropertySpec>& properties) {
  SetupReport report;
  report.object_type = object_type;
  const std::string base = "/crm/v3/properties/" + hubspot::UrlEncode(object_type);

  // 1. The group: read it; create it when HubSpot says 404 (409 on create means another run just made it).
  ++report.requests;
  try {
    client.Get(base + "/groups/" + std::string(kGroupName));
  } catch (const HubSpotApiError& e) {
    if (e.Status() != 404) throw;
    ++report.requests;
    try {
      const json body{{"name", std::string(kGroupName)}, {"label", std::string(kGroupLabel)}, {"displayOrder", -1}};
      client.Post(base + "/groups", body.dump());
      report.group_created = true;
    } catch (const HubSpotApiError& c) {
      if (c.Status() != 409) throw;
    }
  }
  if (properties.empty()) return report;

  // 2. Which properties exist, and where.
  json read{{"archived", false}, {"inputs", json::array()}};
  for (const auto& p : properties) read["inputs"].push_back({{"name", p.name}});
  json found;
  ++report.requests;
  client.Post(base + "/batch/read", read.dump(), hubspot::RequestKind::kStandard,
              [&found](const hubspot::Response& r) { found = ParseOrThrow(r); });
  std::set<std::string> present;
  if (auto it = found.find("results"); it != found.end() && it->is_array()) {
    for (const auto& r : *it) {
      if (!r.is_object() || !r.contains("name") || !r["name"].is_string()) continue;
      const std::string name = r["name"].get<std::string>();
      const auto spec =
          std::find_if(properties.begin(), properties.end(), [&](const PropertySpec& p) { return p.name == name; });
      if (spec == properties.end()) continue;
      const std::string group = r.value("groupName", std::string());
      if (group != kGroupName) {
        throw ConfigError("HubSpot already has a " + object_type + " property '" + name + "' in group '" + group +
                          "', not '" + std::string(kGroupName) +
                          "': revlens writes only its own group, so it will not touch it; rename or move that "
                          "property, then run revlens push again");
      }
      const std::string type = r.value("type", std::string());
      if (type != spec->type) {
        throw ConfigError("HubSpot's " + object_type + " property '" + name + "' has type '" + type +
                          "' but revlens writes '" + spec->type +
                          "': archive it in HubSpot so revlens can recreate it");
      }
      present.insert(name);
      report.existing.push_back(name);
    }
  }

  // 3. Create what is missing, in one batch (HubSpot takes up to 100 inputs).
  json create{{"inputs", json::array()}};
  std::vector<std::string> creating;
  int order = 0;
  for (const auto& p : properties) {
    ++order;
    if (present.count(p.name)) continue;
    create["inputs"].push_back(CreateBody(p, order));
    creating.push_back(p.name);
  }
  if (creating.empty()) return report;
  json created;
  ++report.requests;
  client.Post(base + "/batch/create", create.dump(), hubspot::RequestKind::kStandard,
              [&created](const hubspot::Response& r) { created = ParseOrThrow(r); });
  std::set<std::string> failed;
  for (const auto& e : Errors(created)) {
    const std::string name = ErrorName(e);
    const std::string category = e.value("category", std::string());
    const std::string message = e.value("message", std::string());
    if (category == "OBJECT_ALREADY_EXISTS" && message.find("archived") == std::string::npos) {
      failed.insert(name);  // created by a concurrent run since the read: fine
      continue;
    }
    throw ConfigError("HubSpot refused to create the " + object_type + " property '" + name + "' (" + category +
                      "): " + message +
                      (message.find("archived") != std::string::npos
                           ? "; restore it in HubSpot (Settings > Properties > Archived) or delete it for good"
                           : ""));
  }
  for (const auto& name : creating) {
    (failed.count(name) ? report.existing : report.created).push_back(name);
  }
  return report;
}

}  // namespace revlens::deliver
