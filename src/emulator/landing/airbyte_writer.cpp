// Airbyte's source-hubspot streams as a Destinations V2 SQL destination types them (source-hubspot's schemas/*.json
// and dynamic property schemas): one table per stream named as the stream, column names as the fields with every
// character outside [a-z0-9_] turned into `_` and lower-cased (the PostgreSQL destination's unquoted names:
// createdAt -> createdat, source-type -> source_type), `_airbyte_raw_id`, `_airbyte_extracted_at`, `_airbyte_meta`
// first. CRM object streams carry `properties` (the JSON object) and one typed `properties_<name>` column per
// property, `archived`, and their associations as JSON arrays of ids (`companies`, `contacts`, `deals`); HubSpot's
// association type ids and labels do not reach them. Property history streams are the legacy v1 shapes.
#include <algorithm>
#include <cstdio>
#include <unordered_map>

#include "core/json_writer.hpp"
#include "emulator/landing/landing_internal.hpp"

namespace revlens::landing::internal {

using emulator::ObjectTable;
using emulator::ObjectType;
using emulator::Portal;
using warehouse::Timestamp;
using warehouse::Value;

namespace {

/// A new table with Airbyte's three leading columns.
Table Stream(std::string name) {
  Table t{std::move(name), {}, {}};
  t.Add("_airbyte_raw_id", kText);
  t.Add("_airbyte_extracted_at", kTs);
  t.Add("_airbyte_meta", kJson);
  return t;
}

/// A new row with the Airbyte columns filled: a deterministic UUID-shaped raw id per stream and row.
std::vector<Value>& StreamRow(Table& t, Timestamp synced) {
  uint32_t h = 2166136261u;
  for (char c : t.name) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  char id[40];
  std::snprintf(id, sizeof id, "%08x-0000-4000-8000-%012llx", h, static_cast<unsigned long long>(t.rows.size() + 1));
  auto& row = t.NewRow();
  row[0] = Value{std::string(id)};
  row[1] = Value{synced};
  row[2] = Value{std::string(R"({"changes":[]})")};
  return row;
}

/// `[1,2]` (numbers) or `["1","2"]` (strings): the distinct ids `from` links to among live `to` records.
class LinkArrays {
 public:
  LinkArrays(const Portal& portal, ObjectType from, ObjectType to, bool as_strings) : strings_(as_strings) {
    for (const auto& l : LiveLinks(portal, from, to)) {
      auto& ids = by_from_[l.from_id];
      if (ids.empty() || ids.back() != l.to_id) ids.push_back(l.to_id);  // several type ids: one entry
    }
  }
  Value For(int64_t id) const {
    auto it = by_from_.find(id);
    std::string out = "[";
    if (it != by_from_.end()) {
      for (size_t i = 0; i < it->second.size(); ++i) {
        if (i) out += ',';
        if (strings_) out += '"';
        out += std::to_string(it->second[i]);
        if (strings_) out += '"';
      }
    }
    out += ']';
    return Value{std::move(out)};
  }

 private:
  bool strings_;
  std::unordered_map<int64_t, std::vector<int64_t>> by_from_;
};

/// The `properties` JSON object of a record: every set property as HubSpot's string.
Value PropertiesJson(const ObjectTable& ot, const emulator::Record& r) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  for (const auto& [p, text] : r.props) {
    const auto& def = ot.Props().Def(p);
    if (def.archived) continue;
    w.Key(def.name);
    w.String(text);
  }
  w.EndObject();
  return Value{std::move(out)};
}

struct ArrayColumn {
  const char* name;
  ObjectType to;
};

// A CRM object stream: id, createdat, updatedat, archived, properties, properties_*, association arrays.
Table ObjectStream(const Portal& portal, ObjectType type, const char* name, std::vector<ArrayColumn> arrays,
                   bool string_ids, Timestamp synced, int64_t& bad) {
  const ObjectTable& ot = portal.Table(type);
  Table t = Stream(name);
  const size_t c_id = t.Add("id", kText);
  t.Add("createdat", kTs);
  t.Add("updatedat", kTs);
  t.Add("archived", kBool);
  t.Add("properties", kJson);
  const auto pc = AddPropertyColumns(t, ot, "properties_");
  std::vector<std::pair<size_t, LinkArrays>> link_cols;
  for (const auto& a : arrays) link_cols.emplace_back(t.Add(a.name, kJson), LinkArrays(portal, type, a.to, string_ids));
  t.rows.reserve(ot.Records().size());
  for (const auto& r : ot.Records()) {
    auto& row = StreamRow(t, synced);
    row[c_id] = Value{std::to_string(r.id)};
    row[c_id + 1] = Ts(r.created_ms);
    row[c_id + 2] = Ts(r.updated_ms);
    row[c_id + 3] = Value{r.archived};
    row[c_id + 4] = PropertiesJson(ot, r);
    FillProperties(row, r, t, pc, bad);
    // HubSpot does not return the associations of archived records.
    for (const auto& [col, links] : link_cols) row[col] = r.archived ? Value{std::string("[]")} : links.For(r.id);
  }
  return t;
}

// contacts_property_history (v1 contacts API shape): vid, canonical_vid, portal_id, property, value, timestamp
// (epoch ms), source_type, source_id, source_label, updated_by_user_id.
Table ContactHistory(const Portal& portal, Timestamp synced) {
  Table t = Stream("contacts_property_history");
  const size_t c = t.Add("vid", kBigInt);
  t.Add("canonical_vid", kBigInt);
  t.Add("portal_id", kBigInt);
  t.Add("property", kText);
  t.Add("value", kText);
  t.Add("timestamp", kBigInt);
  t.Add("source_type", kText);
  t.Add("source_id", kText);
  t.Add("source_label", kText);
  t.Add("updated_by_user_id", kBigInt);
  for (const auto& h : TrackedHistory(portal.Table(ObjectType::kContacts))) {
    auto& row = StreamRow(t, synced);
    row[c] = Value{h.record_id};
    row[c + 1] = Value{h.record_id};
    row[c + 2] = Value{portal.portal_id};
    row[c + 3] = Value{h.property};
    row[c + 4] = Value{h.value};
    row[c + 5] = Value{h.timestamp_ms};
    row[c + 6] = Value{h.source};
  }
  return t;
}

// deals_property_history / companies_property_history (v1 shape): <dealId|companyId>, portalId, property, value,
// timestamp (epoch ms), source, sourceId, updatedByUserId.
Table ObjectHistory(const Portal& portal, ObjectType type, const char* name, const char* id_col, Timestamp synced) {
  Table t = Stream(name);
  const size_t c = t.Add(id_col, kBigInt);
  t.Add("portalid", kBigInt);
  t.Add("property", kText);
  t.Add("value", kText);
  t.Add("timestamp", kBigInt);
  t.Add("source", kText);
  t.Add("sourceid", kText);
  t.Add("updatedbyuserid", kBigInt);
  for (const auto& h : TrackedHistory(portal.Table(type))) {
    auto& row = StreamRow(t, synced);
    row[c] = Value{h.record_id};
    row[c + 1] = Value{portal.portal_id};
    row[c + 2] = Value{h.property};
    row[c + 3] = Value{h.value};
    row[c + 4] = Value{h.timestamp_ms};
    row[c + 5] = Value{h.source};
  }
  return t;
}

std::string Probability(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", p);
  return buf;
}

// deal_pipelines (v1 pipelines shape): pipelineid, label, displayorder, active, objecttype, objecttypeid,
// createdat / updatedat (epoch ms), stages (JSON: stageId, label, displayOrder, metadata {isClosed, probability}
// as strings, createdAt, updatedAt, active).
Table Pipelines(const Portal& portal, Timestamp synced) {
  Table t = Stream("deal_pipelines");
  const size_t c = t.Add("pipelineid", kText);
  t.Add("label", kText);
  t.Add("displayorder", kBigInt);
  t.Add("active", kBool);
  t.Add("objecttype", kText);
  t.Add("objecttypeid", kText);
  t.Add("createdat", kBigInt);
  t.Add("updatedat", kBigInt);
  t.Add("stages", kJson);
  for (const auto& v : LivePipelines(portal)) {
    const auto& pl = *v.pipeline;
    std::string stages;
    JsonWriter w(stages);
    w.BeginArray();
    for (const auto* s : v.stages) {
      w.BeginObject();
      w.Key("stageId");
      w.String(s->id);
      w.Key("label");
      w.String(s->label);
      w.Key("displayOrder");
      w.Int(s->display_order);
      w.Key("metadata");
      w.BeginObject();
      w.Key("isClosed");
      w.String(s->is_closed ? "true" : "false");
      w.Key("probability");
      w.String(Probability(s->probability));
      w.EndObject();
      w.Key("createdAt");
      w.Int(s->created_ms);
      w.Key("updatedAt");
      w.Int(s->updated_ms);
      w.Key("active");
      w.Bool(true);
      w.EndObject();
    }
    w.EndArray();
    auto& row = StreamRow(t, synced);
    row[c] = Value{pl.id};
    row[c + 1] = Value{pl.label};
    row[c + 2] = Value{static_cast<int64_t>(pl.display_order)};
    row[c + 3] = Value{true};
    row[c + 4] = Value{std::string("DEAL")};
    row[c + 5] = Value{std::string("0-3")};
    row[c + 6] = Value{pl.created_ms};
    row[c + 7] = Value{pl.updated_ms};
    row[c + 8] = Value{std::move(stages)};
  }
  return t;
}

// owners (v3 owners shape, archived ones included with archived = true and no user id): id, email, firstname,
// lastname, userid, createdat, updatedat, archived, teams (JSON: id, name, primary).
Table Owners(const Portal& portal, Timestamp synced) {
  Table t = Stream("owners");
  const size_t c = t.Add("id", kText);
  t.Add("email", kText);
  t.Add("firstname", kText);
  t.Add("lastname", kText);
  t.Add("userid", kBigInt);
  t.Add("createdat", kTs);
  t.Add("updatedat", kTs);
  t.Add("archived", kBool);
  t.Add("teams", kJson);
  for (const auto& o : portal.owners) {
    std::string teams;
    JsonWriter w(teams);
    w.BeginArray();
    for (size_t i = 0; i < o.team_ids.size(); ++i) {
      w.BeginObject();
      w.Key("id");
      w.String(o.team_ids[i]);
      w.Key("name");
      w.String(TeamName(portal, o.team_ids[i]));
      w.Key("primary");
      w.Bool(i == 0);
      w.EndObject();
    }
    w.EndArray();
    auto& row = StreamRow(t, synced);
    row[c] = Value{std::to_string(o.id)};
    row[c + 1] = Value{o.email};
    row[c + 2] = Value{o.first_name};
    row[c + 3] = Value{o.last_name};
    if (!o.archived) row[c + 4] = Value{o.user_id};
    row[c + 5] = Ts(o.created_ms);
    row[c + 6] = Ts(o.updated_ms);
    row[c + 7] = Value{o.archived};
    row[c + 8] = Value{std::move(teams)};
  }
  return t;
}

}  // namespace

void AirbyteTables(const Portal& portal, Timestamp synced, int64_t& bad, const TableSink& sink) {
  using T = ObjectType;
  sink(ObjectStream(portal, T::kContacts, "contacts", {{"companies", T::kCompanies}}, false, synced, bad));
  sink(ObjectStream(portal, T::kCompanies, "companies", {{"contacts", T::kContacts}}, false, synced, bad));
  sink(ObjectStream(portal, T::kDeals, "deals", {{"companies", T::kCompanies}, {"contacts", T::kContacts}}, false,
                    synced, bad));
  const std::vector<ArrayColumn> engagement_arrays = {
      {"contacts", T::kContacts}, {"companies", T::kCompanies}, {"deals", T::kDeals}};
  sink(ObjectStream(portal, T::kCalls, "engagements_calls", engagement_arrays, true, synced, bad));
  sink(ObjectStream(portal, T::kEmails, "engagements_emails", engagement_arrays, true, synced, bad));
  sink(ObjectStream(portal, T::kMeetings, "engagements_meetings", engagement_arrays, true, synced, bad));
  sink(ObjectStream(portal, T::kNotes, "engagements_notes", engagement_arrays, true, synced, bad));
  sink(ObjectStream(portal, T::kTasks, "engagements_tasks", engagement_arrays, true, synced, bad));
  sink(ContactHistory(portal, synced));
  sink(ObjectHistory(portal, T::kDeals, "deals_property_history", "dealid", synced));
  sink(ObjectHistory(portal, T::kCompanies, "companies_property_history", "companyid", synced));
  sink(Pipelines(portal, synced));
  sink(Owners(portal, synced));
}

}  // namespace revlens::landing::internal
