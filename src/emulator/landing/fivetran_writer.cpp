// Fivetran's HubSpot connector schema, as its dbt_hubspot_source package reads it (macros/get_*_columns.sql,
// models/src_hubspot.yml): singular table names, `property_<name>` columns typed by the property metadata,
// `_fivetran_synced` on every table and `_fivetran_deleted` (contacts, engagements, pipelines) or `is_deleted`
// (companies, deals) for deleted records. Deals carry their pipeline, stage and owner in deal_pipeline_id,
// deal_pipeline_stage_id and owner_id instead of property columns.
#include <algorithm>
#include <charconv>

#include "emulator/landing/landing_internal.hpp"

namespace revlens::landing::internal {

using emulator::ObjectTable;
using emulator::ObjectType;
using emulator::Portal;
using warehouse::Timestamp;
using warehouse::Value;

namespace {

Value IdOrNull(std::optional<std::string_view> text) {
  if (!text) return Value{};
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || p != text->data() + text->size()) return Value{};
  return Value{v};
}

std::optional<std::string_view> Prop(const ObjectTable& table, const emulator::Record& r, std::string_view name) {
  auto idx = table.Props().Find(name);
  return idx ? r.Get(*idx) : std::nullopt;
}

// contact: id, _fivetran_deleted, _fivetran_synced, property_*.
Table Contacts(const Portal& portal, Timestamp synced, int64_t& bad) {
  const ObjectTable& ot = portal.Table(ObjectType::kContacts);
  Table t{"contact", {}, {}};
  t.Add("id", kBigInt);
  t.Add("_fivetran_deleted", kBool);
  t.Add("_fivetran_synced", kTs);
  const auto pc = AddPropertyColumns(t, ot, "property_");
  t.rows.reserve(ot.Records().size());
  for (const auto& r : ot.Records()) {
    auto& row = t.NewRow();
    row[0] = Value{r.id};
    row[1] = Value{r.archived};
    row[2] = Value{synced};
    FillProperties(row, r, t, pc, bad);
  }
  return t;
}

// company: id, portal_id, is_deleted, _fivetran_deleted, _fivetran_synced, property_*.
Table Companies(const Portal& portal, Timestamp synced, int64_t& bad) {
  const ObjectTable& ot = portal.Table(ObjectType::kCompanies);
  Table t{"company", {}, {}};
  t.Add("id", kBigInt);
  t.Add("portal_id", kBigInt);
  t.Add("is_deleted", kBool);
  t.Add("_fivetran_deleted", kBool);
  t.Add("_fivetran_synced", kTs);
  const auto pc = AddPropertyColumns(t, ot, "property_");
  t.rows.reserve(ot.Records().size());
  for (const auto& r : ot.Records()) {
    auto& row = t.NewRow();
    row[0] = Value{r.id};
    row[1] = Value{portal.portal_id};
    row[2] = Value{r.archived};
    row[3] = Value{r.archived};
    row[4] = Value{synced};
    FillProperties(row, r, t, pc, bad);
  }
  return t;
}

// deal: deal_id, portal_id, deal_pipeline_id, deal_pipeline_stage_id, owner_id, is_deleted, _fivetran_deleted,
// _fivetran_synced, property_* (pipeline, dealstage and hubspot_owner_id live in the id columns).
Table Deals(const Portal& portal, Timestamp synced, int64_t& bad) {
  const ObjectTable& ot = portal.Table(ObjectType::kDeals);
  Table t{"deal", {}, {}};
  t.Add("deal_id", kBigInt);
  t.Add("portal_id", kBigInt);
  t.Add("deal_pipeline_id", kText);
  t.Add("deal_pipeline_stage_id", kText);
  t.Add("owner_id", kBigInt);
  t.Add("is_deleted", kBool);
  t.Add("_fivetran_deleted", kBool);
  t.Add("_fivetran_synced", kTs);
  const auto pc = AddPropertyColumns(t, ot, "property_", {"pipeline", "dealstage", "hubspot_owner_id"});
  t.rows.reserve(ot.Records().size());
  for (const auto& r : ot.Records()) {
    auto& row = t.NewRow();
    row[0] = Value{r.id};
    row[1] = Value{portal.portal_id};
    if (const auto v = Prop(ot, r, "pipeline")) row[2] = Value{std::string(*v)};
    if (const auto v = Prop(ot, r, "dealstage")) row[3] = Value{std::string(*v)};
    row[4] = IdOrNull(Prop(ot, r, "hubspot_owner_id"));
    row[5] = Value{r.archived};
    row[6] = Value{r.archived};
    row[7] = Value{synced};
    FillProperties(row, r, t, pc, bad);
  }
  return t;
}

struct EngagementKind {
  ObjectType type;
  const char* table;
  const char* fivetran_type;
};
constexpr EngagementKind kEngagements[] = {{ObjectType::kCalls, "engagement_call", "CALL"},
                                           {ObjectType::kEmails, "engagement_email", "EMAIL"},
                                           {ObjectType::kMeetings, "engagement_meeting", "MEETING"},
                                           {ObjectType::kNotes, "engagement_note", "NOTE"},
                                           {ObjectType::kTasks, "engagement_task", "TASK"}};

// engagement: id, portal_id, type, active, _fivetran_synced (HubSpot's v3 API leaves the parent's other fields
// empty; the typed tables hold the properties).
Table Engagements(const Portal& portal, Timestamp synced) {
  Table t{"engagement", {}, {}};
  t.Add("id", kBigInt);
  t.Add("portal_id", kBigInt);
  t.Add("type", kText);
  t.Add("active", kBool);
  t.Add("_fivetran_synced", kTs);
  for (const auto& k : kEngagements) {
    for (const auto& r : portal.Table(k.type).Records()) {
      auto& row = t.NewRow();
      row[0] = Value{r.id};
      row[1] = Value{portal.portal_id};
      row[2] = Value{std::string(k.fivetran_type)};
      row[3] = Value{!r.archived};
      row[4] = Value{synced};
    }
  }
  return t;
}

// engagement_<type>: engagement_id, _fivetran_deleted, _fivetran_synced, property_*.
Table EngagementType(const Portal& portal, const EngagementKind& k, Timestamp synced, int64_t& bad) {
  const ObjectTable& ot = portal.Table(k.type);
  Table t{k.table, {}, {}};
  t.Add("engagement_id", kBigInt);
  t.Add("_fivetran_deleted", kBool);
  t.Add("_fivetran_synced", kTs);
  const auto pc = AddPropertyColumns(t, ot, "property_");
  t.rows.reserve(ot.Records().size());
  for (const auto& r : ot.Records()) {
    auto& row = t.NewRow();
    row[0] = Value{r.id};
    row[1] = Value{r.archived};
    row[2] = Value{synced};
    FillProperties(row, r, t, pc, bad);
  }
  return t;
}

// <from>_<to>: <from>_id, <to>_id, type_id, category, _fivetran_synced.
Table Links(const Portal& portal, std::string name, ObjectType from, const char* from_col, ObjectType to,
            const char* to_col, Timestamp synced, std::vector<ObjectType> more_from = {}) {
  Table t{std::move(name), {}, {}};
  t.Add(from_col, kBigInt);
  t.Add(to_col, kBigInt);
  t.Add("type_id", kBigInt);
  t.Add("category", kText);
  t.Add("_fivetran_synced", kTs);
  more_from.insert(more_from.begin(), from);
  for (ObjectType f : more_from) {
    for (const auto& l : LiveLinks(portal, f, to)) {
      auto& row = t.NewRow();
      row[0] = Value{l.from_id};
      row[1] = Value{l.to_id};
      row[2] = Value{static_cast<int64_t>(l.type_id)};
      row[3] = Value{l.category};
      row[4] = Value{synced};
    }
  }
  return t;
}

// <object>_property_history: <object>_id, name, value, timestamp, source, source_id, _fivetran_synced.
Table History(const Portal& portal, ObjectType type, std::string name, const char* id_col, Timestamp synced) {
  Table t{std::move(name), {}, {}};
  t.Add(id_col, kBigInt);
  t.Add("name", kText);
  t.Add("value", kText);
  t.Add("timestamp", kTs);
  t.Add("source", kText);
  t.Add("source_id", kText);
  t.Add("_fivetran_synced", kTs);
  for (const auto& h : TrackedHistory(portal.Table(type))) {
    auto& row = t.NewRow();
    row[0] = Value{h.record_id};
    row[1] = Value{h.property};
    row[2] = Value{h.value};
    row[3] = Ts(h.timestamp_ms);
    row[4] = Value{h.source};
    row[6] = Value{synced};
  }
  return t;
}

// deal_stage: one row per recorded dealstage value with the interval it held (Fivetran's history mode columns).
Table DealStages(const Portal& portal, Timestamp synced) {
  Table t{"deal_stage", {}, {}};
  t.Add("deal_id", kBigInt);
  t.Add("value", kText);
  t.Add("date_entered", kTs);
  t.Add("source", kText);
  t.Add("source_id", kText);
  t.Add("_fivetran_start", kTs);
  t.Add("_fivetran_end", kTs);
  t.Add("_fivetran_active", kBool);
  t.Add("_fivetran_synced", kTs);
  std::vector<HistoryRow> stages;
  for (auto& h : TrackedHistory(portal.Table(ObjectType::kDeals))) {
    if (h.property == "dealstage") stages.push_back(std::move(h));
  }
  std::stable_sort(stages.begin(), stages.end(), [](const HistoryRow& a, const HistoryRow& b) {
    return a.record_id != b.record_id ? a.record_id < b.record_id : a.timestamp_ms < b.timestamp_ms;
  });
  // Fivetran closes an open interval at 9999-12-31 23:59:59.
  const int64_t kOpenEnd = 253402300799000;
  for (size_t i = 0; i < stages.size(); ++i) {
    const auto& h = stages[i];
    const bool last = i + 1 == stages.size() || stages[i + 1].record_id != h.record_id;
    auto& row = t.NewRow();
    row[0] = Value{h.record_id};
    row[1] = Value{h.value};
    row[2] = Ts(h.timestamp_ms);
    row[3] = Value{h.source};
    row[5] = Ts(h.timestamp_ms);
    row[6] = Ts(last ? kOpenEnd : stages[i + 1].timestamp_ms);
    row[7] = Value{last};
    row[8] = Value{synced};
  }
  return t;
}

// contact_merge_audit: one row per contact merged into another.
Table MergeAudits(const Portal& portal, Timestamp synced) {
  const ObjectTable& ot = portal.Table(ObjectType::kContacts);
  Table t{"contact_merge_audit", {}, {}};
  t.Add("contact_id", kBigInt);
  t.Add("canonical_vid", kBigInt);
  t.Add("vid_to_merge", kBigInt);
  t.Add("timestamp", kTs);
  t.Add("entity_id", kText);
  t.Add("first_name", kText);
  t.Add("last_name", kText);
  t.Add("num_properties_moved", kBigInt);
  t.Add("user_id", kBigInt);
  t.Add("_fivetran_synced", kTs);
  for (const auto& r : ot.Records()) {
    if (r.merged_into == 0) continue;
    auto& row = t.NewRow();
    row[0] = Value{r.merged_into};
    row[1] = Value{r.merged_into};
    row[2] = Value{r.id};
    row[3] = Ts(r.archived_ms != 0 ? r.archived_ms : r.updated_ms);
    if (const auto v = Prop(ot, r, "firstname")) row[5] = Value{std::string(*v)};
    if (const auto v = Prop(ot, r, "lastname")) row[6] = Value{std::string(*v)};
    row[9] = Value{synced};
  }
  return t;
}

// deal_pipeline and deal_pipeline_stage: the live pipelines and stages HubSpot's pipelines API lists. Fivetran
// keeps closed_won and probability but not the stage's isClosed flag.
std::vector<Table> Pipelines(const Portal& portal, Timestamp synced) {
  Table p{"deal_pipeline", {}, {}};
  p.Add("pipeline_id", kText);
  p.Add("label", kText);
  p.Add("display_order", kBigInt);
  p.Add("active", kBool);
  p.Add("created_at", kTs);
  p.Add("updated_at", kTs);
  p.Add("_fivetran_deleted", kBool);
  p.Add("_fivetran_synced", kTs);
  Table s{"deal_pipeline_stage", {}, {}};
  s.Add("stage_id", kText);
  s.Add("pipeline_id", kText);
  s.Add("label", kText);
  s.Add("display_order", kBigInt);
  s.Add("probability", kDouble);
  s.Add("closed_won", kBool);
  s.Add("active", kBool);
  s.Add("created_at", kTs);
  s.Add("updated_at", kTs);
  s.Add("_fivetran_deleted", kBool);
  s.Add("_fivetran_synced", kTs);
  for (const auto& v : LivePipelines(portal)) {
    const auto& pl = *v.pipeline;
    auto& row = p.NewRow();
    row = {Value{pl.id}, Value{pl.label},   Value{static_cast<int64_t>(pl.display_order)},
           Value{true},  Ts(pl.created_ms), Ts(pl.updated_ms),
           Value{false}, Value{synced}};
    for (const auto* st : v.stages) {
      const double prob = ReportedProbability(st->probability);
      auto& srow = s.NewRow();
      srow = {Value{st->id},      Value{pl.id},
              Value{st->label},   Value{static_cast<int64_t>(st->display_order)},
              Value{prob},        Value{st->is_closed && prob == 1.0},
              Value{true},        Ts(st->created_ms),
              Ts(st->updated_ms), Value{false},
              Value{synced}};
    }
  }
  std::vector<Table> out;
  out.push_back(std::move(p));
  out.push_back(std::move(s));
  return out;
}

// owner, team, owner_team. Deactivated (archived) owners stay with is_active false and no user id, as HubSpot
// reports them.
std::vector<Table> Owners(const Portal& portal, Timestamp synced) {
  Table o{"owner", {}, {}};
  o.Add("owner_id", kBigInt);
  o.Add("portal_id", kBigInt);
  o.Add("type", kText);
  o.Add("email", kText);
  o.Add("first_name", kText);
  o.Add("last_name", kText);
  o.Add("user_id", kBigInt);
  o.Add("created_at", kTs);
  o.Add("updated_at", kTs);
  o.Add("is_active", kBool);
  o.Add("_fivetran_deleted", kBool);
  o.Add("_fivetran_synced", kTs);
  Table team{"team", {}, {}};
  team.Add("id", kText);
  team.Add("name", kText);
  team.Add("_fivetran_synced", kTs);
  Table ot{"owner_team", {}, {}};
  ot.Add("owner_id", kBigInt);
  ot.Add("team_id", kText);
  ot.Add("is_team_primary", kBool);
  ot.Add("_fivetran_synced", kTs);
  for (const auto& w : portal.owners) {
    auto& row = o.NewRow();
    row = {Value{w.id},
           Value{portal.portal_id},
           Value{w.type},
           Value{w.email},
           Value{w.first_name},
           Value{w.last_name},
           w.archived ? Value{} : Value{w.user_id},
           Ts(w.created_ms),
           Ts(w.updated_ms),
           Value{!w.archived},
           Value{false},
           Value{synced}};
    for (size_t i = 0; i < w.team_ids.size(); ++i) {
      ot.NewRow() = {Value{w.id}, Value{w.team_ids[i]}, Value{i == 0}, Value{synced}};
    }
  }
  for (const auto& tm : portal.teams) team.NewRow() = {Value{tm.id}, Value{tm.name}, Value{synced}};
  std::vector<Table> out;
  out.push_back(std::move(o));
  out.push_back(std::move(team));
  out.push_back(std::move(ot));
  return out;
}

// property and property_option: the property metadata of every object type (Fivetran keys options by a generated
// _fivetran_id of the property).
std::vector<Table> Properties(const Portal& portal, Timestamp synced) {
  Table p{"property", {}, {}};
  p.Add("_fivetran_id", kText);
  p.Add("hubspot_object", kText);
  p.Add("name", kText);
  p.Add("label", kText);
  p.Add("type", kText);
  p.Add("field_type", kText);
  p.Add("group_name", kText);
  p.Add("description", kText);
  p.Add("hubspot_defined", kBool);
  p.Add("calculated", kBool);
  p.Add("created_at", kTs);
  p.Add("updated_at", kTs);
  p.Add("_fivetran_synced", kTs);
  Table o{"property_option", {}, {}};
  o.Add("property_id", kText);
  o.Add("label", kText);
  o.Add("value", kText);
  o.Add("display_order", kBigInt);
  o.Add("hidden", kBool);
  o.Add("_fivetran_synced", kTs);
  for (ObjectType type : emulator::kAllObjectTypes) {
    const ObjectTable& table = portal.Table(type);
    const std::string object(emulator::ObjectTypeSingular(type));
    for (uint16_t i : LiveProperties(table)) {
      const auto& d = table.Props().Def(i);
      const std::string fid = object + "." + d.name;
      p.NewRow() = {Value{fid},
                    Value{object},
                    Value{d.name},
                    Value{d.label},
                    Value{d.type},
                    Value{d.field_type},
                    Value{d.group_name},
                    d.description.empty() ? Value{} : Value{d.description},
                    Value{d.hubspot_defined},
                    Value{d.calculated},
                    Ts(d.created_ms),
                    Ts(d.updated_ms),
                    Value{synced}};
      for (const auto& opt : d.options) {
        o.NewRow() = {Value{fid},        Value{opt.label},
                      Value{opt.value},  Value{static_cast<int64_t>(opt.display_order)},
                      Value{opt.hidden}, Value{synced}};
      }
    }
  }
  std::vector<Table> out;
  out.push_back(std::move(p));
  out.push_back(std::move(o));
  return out;
}

}  // namespace

void FivetranTables(const Portal& portal, Timestamp synced, int64_t& bad, const TableSink& sink) {
  sink(Contacts(portal, synced, bad));
  sink(Companies(portal, synced, bad));
  sink(Deals(portal, synced, bad));
  sink(Engagements(portal, synced));
  for (const auto& k : kEngagements) sink(EngagementType(portal, k, synced, bad));
  sink(Links(portal, "contact_company", ObjectType::kContacts, "contact_id", ObjectType::kCompanies, "company_id",
             synced));
  sink(Links(portal, "deal_company", ObjectType::kDeals, "deal_id", ObjectType::kCompanies, "company_id", synced));
  sink(Links(portal, "deal_contact", ObjectType::kDeals, "deal_id", ObjectType::kContacts, "contact_id", synced));
  const std::vector<ObjectType> more = {ObjectType::kEmails, ObjectType::kMeetings, ObjectType::kNotes,
                                        ObjectType::kTasks};
  sink(Links(portal, "engagement_contact", ObjectType::kCalls, "engagement_id", ObjectType::kContacts, "contact_id",
             synced, more));
  sink(Links(portal, "engagement_company", ObjectType::kCalls, "engagement_id", ObjectType::kCompanies, "company_id",
             synced, more));
  sink(Links(portal, "engagement_deal", ObjectType::kCalls, "engagement_id", ObjectType::kDeals, "deal_id", synced,
             more));
  sink(History(portal, ObjectType::kContacts, "contact_property_history", "contact_id", synced));
  sink(History(portal, ObjectType::kDeals, "deal_property_history", "deal_id", synced));
  sink(History(portal, ObjectType::kCompanies, "company_property_history", "company_id", synced));
  sink(DealStages(portal, synced));
  sink(MergeAudits(portal, synced));
  for (auto& t : Pipelines(portal, synced)) sink(std::move(t));
  for (auto& t : Owners(portal, synced)) sink(std::move(t));
  for (auto& t : Properties(portal, synced)) sink(std::move(t));
}

}  // namespace revlens::landing::internal
