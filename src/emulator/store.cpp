#include "emulator/store.hpp"

#include <algorithm>
#include <cctype>

#include "core/time_util.hpp"

namespace revlens::emulator {
namespace {

struct TypeNames {
  ObjectType type;
  std::string_view plural, singular, id;
};
constexpr std::array<TypeNames, kObjectTypeCount> kTypeNames = {{
    {ObjectType::kContacts, "contacts", "contact", "0-1"},
    {ObjectType::kCompanies, "companies", "company", "0-2"},
    {ObjectType::kDeals, "deals", "deal", "0-3"},
    {ObjectType::kCalls, "calls", "call", "0-48"},
    {ObjectType::kEmails, "emails", "email", "0-49"},
    {ObjectType::kMeetings, "meetings", "meeting", "0-47"},
    {ObjectType::kNotes, "notes", "note", "0-46"},
    {ObjectType::kTasks, "tasks", "task", "0-27"},
}};

size_t Idx(ObjectType t) { return static_cast<size_t>(t); }

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::optional<ObjectType> ParseObjectType(std::string_view text) {
  for (const auto& n : kTypeNames) {
    if (IEquals(text, n.plural) || IEquals(text, n.singular) || text == n.id) return n.type;
  }
  return std::nullopt;
}
std::string_view ObjectTypeName(ObjectType t) { return kTypeNames[Idx(t)].plural; }
std::string_view ObjectTypeSingular(ObjectType t) { return kTypeNames[Idx(t)].singular; }
std::string_view ObjectTypeId(ObjectType t) { return kTypeNames[Idx(t)].id; }
bool IsEngagement(ObjectType t) { return Idx(t) >= Idx(ObjectType::kCalls); }

std::string_view LastModifiedProperty(ObjectType t) {
  return t == ObjectType::kContacts ? "lastmodifieddate" : "hs_lastmodifieddate";
}

// ---- Record ----

const std::string* Record::Get(uint16_t p) const {
  auto it = std::lower_bound(props.begin(), props.end(), p, [](const auto& kv, uint16_t k) { return kv.first < k; });
  return (it != props.end() && it->first == p) ? &it->second : nullptr;
}

void Record::SetRaw(uint16_t p, std::string value) {
  auto it = std::lower_bound(props.begin(), props.end(), p, [](const auto& kv, uint16_t k) { return kv.first < k; });
  const bool present = it != props.end() && it->first == p;
  if (value.empty()) {
    if (present) props.erase(it);
    return;
  }
  if (present) {
    it->second = std::move(value);
  } else {
    props.emplace(it, p, std::move(value));
  }
}

// ---- PropertyRegistry ----

std::optional<uint16_t> PropertyRegistry::Find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

uint16_t PropertyRegistry::Intern(std::string_view name) {
  if (auto f = Find(name)) return *f;
  PropertyDef d;
  d.name = std::string(name);
  d.label = d.name;
  d.type = "string";
  d.field_type = "text";
  d.group_name = "contactinformation";
  return Put(std::move(d));
}

uint16_t PropertyRegistry::Put(PropertyDef def) {
  if (auto f = Find(def.name)) {
    defs_[*f] = std::move(def);
    return *f;
  }
  const auto i = static_cast<uint16_t>(defs_.size());
  by_name_.emplace(def.name, i);
  defs_.push_back(std::move(def));
  return i;
}

// ---- ObjectTable ----

Record* ObjectTable::Find(int64_t id) {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &records_[it->second];
}
const Record* ObjectTable::Find(int64_t id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &records_[it->second];
}

Record& ObjectTable::Append(Record r) {
  if (r.id == 0) r.id = next_id_;
  if (!records_.empty() && r.id <= records_.back().id) {
    // Ids only grow; a caller that breaks this is a programmer error, so clamp to keep order.
    r.id = records_.back().id + 1;
  }
  next_id_ = r.id + 1;
  index_.emplace(r.id, static_cast<uint32_t>(records_.size()));
  records_.push_back(std::move(r));
  return records_.back();
}

size_t ObjectTable::LowerBound(int64_t id) const {
  auto it = std::lower_bound(records_.begin(), records_.end(), id, [](const Record& r, int64_t k) { return r.id < k; });
  return static_cast<size_t>(it - records_.begin());
}

void ObjectTable::Reserve(size_t n) {
  records_.reserve(n);
  index_.reserve(n);
}

Record& ObjectTable::Create(const std::vector<std::pair<std::string, std::string>>& props, int64_t now_ms,
                            std::string_view source) {
  Record r;
  r.created_ms = now_ms;
  r.updated_ms = now_ms;
  Record& rec = Append(std::move(r));
  const std::string created = FormatIsoMillis(now_ms);
  rec.SetRaw(props_.Intern("hs_object_id"), std::to_string(rec.id));
  rec.SetRaw(props_.Intern(type_ == ObjectType::kContacts || type_ == ObjectType::kCompanies ||
                                   type_ == ObjectType::kDeals
                               ? "createdate"
                               : "hs_createdate"),
             created);
  if (type_ != ObjectType::kContacts) rec.SetRaw(props_.Intern("hs_createdate"), created);
  for (const auto& [k, v] : props) Write(rec, k, v, now_ms, source);
  rec.SetRaw(props_.Intern(LastModifiedProperty(type_)), created);
  return rec;
}

void ObjectTable::Write(Record& r, std::string_view name, std::string value, int64_t now_ms, std::string_view source) {
  const uint16_t p = props_.Intern(name);
  const std::string* old = r.Get(p);
  if (old != nullptr && *old == value) return;
  // History holds every value ever set, including the current one, oldest first.
  if (!value.empty()) r.history.push_back(HistoryEntry{p, now_ms, value, std::string(source)});
  if (type_ == ObjectType::kDeals && name == "dealstage") {
    const std::string iso = FormatIsoMillis(now_ms);
    if (old != nullptr && !old->empty()) {
      r.SetRaw(props_.Intern("hs_date_exited_" + *old), iso);
    }
    if (!value.empty()) r.SetRaw(props_.Intern("hs_date_entered_" + value), iso);
  }
  r.SetRaw(p, std::move(value));
  r.updated_ms = now_ms;
  const std::string iso = FormatIsoMillis(now_ms);
  r.SetRaw(props_.Intern(LastModifiedProperty(type_)), iso);
  if (type_ == ObjectType::kContacts) r.SetRaw(props_.Intern("hs_lastmodifieddate"), iso);
}

// ---- Associations ----

std::string_view AssociationCategoryName(uint8_t c) {
  switch (c) {
    case 1: return "USER_DEFINED";
    case 2: return "INTEGRATOR_DEFINED";
    default: return "HUBSPOT_DEFINED";
  }
}
std::optional<uint8_t> ParseAssociationCategory(std::string_view s) {
  if (s == "HUBSPOT_DEFINED") return 0;
  if (s == "USER_DEFINED") return 1;
  if (s == "INTEGRATOR_DEFINED") return 2;
  return std::nullopt;
}

const std::vector<AssociationEdge>* AssociationTable::From(int64_t from_id) const {
  auto it = map_.find(from_id);
  return it == map_.end() ? nullptr : &it->second;
}

bool AssociationTable::Add(int64_t from_id, AssociationEdge e) {
  auto& v = map_[from_id];
  for (const auto& x : v) {
    if (x.to_id == e.to_id && x.type_id == e.type_id) return false;
  }
  v.push_back(e);
  ++edges_;
  return true;
}

size_t AssociationTable::Remove(int64_t from_id, int64_t to_id, int32_t type_id) {
  auto it = map_.find(from_id);
  if (it == map_.end()) return 0;
  auto& v = it->second;
  const size_t before = v.size();
  std::erase_if(v, [&](const AssociationEdge& e) { return e.to_id == to_id && (type_id == 0 || e.type_id == type_id); });
  const size_t removed = before - v.size();
  edges_ -= removed;
  if (v.empty()) map_.erase(it);
  return removed;
}

int32_t DefaultAssociationTypeId(ObjectType from, ObjectType to) {
  using T = ObjectType;
  auto eng_offset = [](T e) -> int32_t {
    switch (e) {
      case T::kCalls: return 0;
      case T::kEmails: return 1;
      case T::kMeetings: return 2;
      case T::kNotes: return 3;
      case T::kTasks: return 4;
      default: return -1;
    }
  };
  // HubSpot's numbering (hubspot-api-notes.md section 4).
  static constexpr int32_t kContactEng[] = {193, 197, 199, 201, 203};
  static constexpr int32_t kCompanyEng[] = {181, 185, 187, 189, 191};
  static constexpr int32_t kDealEng[] = {205, 209, 211, 213, 215};
  if (from == T::kContacts && to == T::kCompanies) return 279;
  if (from == T::kCompanies && to == T::kContacts) return 280;
  if (from == T::kDeals && to == T::kContacts) return 3;
  if (from == T::kContacts && to == T::kDeals) return 4;
  if (from == T::kDeals && to == T::kCompanies) return 341;
  if (from == T::kCompanies && to == T::kDeals) return 342;
  const int32_t fe = eng_offset(from), te = eng_offset(to);
  if (te >= 0 && fe < 0) {
    if (from == T::kContacts) return kContactEng[te];
    if (from == T::kCompanies) return kCompanyEng[te];
    if (from == T::kDeals) return kDealEng[te];
  }
  if (fe >= 0 && te < 0) {
    if (to == T::kContacts) return kContactEng[fe] + 1;
    if (to == T::kCompanies) return kCompanyEng[fe] + 1;
    if (to == T::kDeals) return kDealEng[fe] + 1;
  }
  if (from == to) {
    // Same-type pairs (e.g. contact-contact) are not defined by default in HubSpot;
    // the emulator uses 0 to say "none".
    return 0;
  }
  return 0;
}

std::string AssociationTypeName(ObjectType from, ObjectType to) {
  return std::string(ObjectTypeSingular(from)) + "_to_" + std::string(ObjectTypeSingular(to));
}

// ---- Portal ----

Portal::Portal() : assoc_(kObjectTypeCount * kObjectTypeCount), groups_(kObjectTypeCount) {
  tables_.reserve(kObjectTypeCount);
  for (auto t : kAllObjectTypes) tables_.emplace_back(t);
}

void Portal::Associate(ObjectType a, int64_t a_id, ObjectType b, int64_t b_id) {
  Assoc(a, b).Add(a_id, AssociationEdge{b_id, DefaultAssociationTypeId(a, b), 0});
  Assoc(b, a).Add(b_id, AssociationEdge{a_id, DefaultAssociationTypeId(b, a), 0});
}

}  // namespace revlens::emulator
