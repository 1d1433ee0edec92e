#include "emulator/store.hpp"

#ifdef __linux__
#include <sys/mman.h>
#endif

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <new>
#include <set>

#include "core/errors.hpp"
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

// ---- ValueArena ----

namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kArenaChunk = size_t{32} << 20;

}  // namespace

void AdviseHugePages(const void* data, size_t bytes) {
#ifdef __linux__
  const auto begin = (reinterpret_cast<uintptr_t>(data) + kHugePage - 1) & ~(kHugePage - 1);
  const auto end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(kHugePage - 1);
  // Advice only: where the kernel declines, pages stay small.
  if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

void ValueArena::FreeChunk::operator()(char* p) const { std::free(p); }

char* ValueArena::Allocate(size_t n) {
  if (n > left_) {
    const size_t size = std::max(kArenaChunk, (n + kHugePage - 1) / kHugePage * kHugePage);
    auto* chunk = static_cast<char*>(std::aligned_alloc(kHugePage, size));
    if (chunk == nullptr) throw std::bad_alloc();
    chunks_.emplace_back(chunk);
    AdviseHugePages(chunk, size);
    next_ = chunk;
    left_ = size;
    capacity_ += size;
  }
  char* out = next_;
  next_ += n;
  left_ -= n;
  return out;
}

void ValueArena::Absorb(ValueArena&& other) {
  for (auto& c : other.chunks_) chunks_.push_back(std::move(c));
  capacity_ += other.capacity_;
  other.chunks_.clear();
  other.next_ = nullptr;
  other.left_ = other.capacity_ = 0;
}

// ---- PropertyValues ----

uint32_t PropertyValues::Load32(size_t at) const {
  uint32_t v;
  std::memcpy(&v, data_ + at, sizeof v);
  return v;
}
uint16_t PropertyValues::Load16(size_t at) const {
  uint16_t v;
  std::memcpy(&v, data_ + at, sizeof v);
  return v;
}

PropertyValues::value_type PropertyValues::operator[](size_t i) const {
  const size_t n = Load32(0);
  const size_t begin = i == 0 ? 0 : Load32(4 + 4 * (i - 1)), end = Load32(4 + 4 * i);
  return {Load16(4 + 4 * n + 2 * i), std::string_view(data_ + 4 + 6 * n + begin, end - begin)};
}

size_t PropertyValues::ByteSize() const {
  const size_t n = size();
  return n == 0 ? 0 : 4 + 6 * n + Load32(4 + 4 * (n - 1));
}

PropertyValues::PropertyValues(const PropertyValues& o) {
  if (const size_t bytes = o.ByteSize(); bytes > 0) {
    owned_ = std::make_unique_for_overwrite<char[]>(bytes);
    std::memcpy(owned_.get(), o.data_, bytes);
    data_ = owned_.get();
  }
}

PropertyValues& PropertyValues::operator=(const PropertyValues& o) {
  if (this != &o) *this = PropertyValues(o);
  return *this;
}

size_t PropertyValues::Lower(uint16_t p) const {
  const size_t n = size();
  size_t lo = 0, hi = n;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (Load16(4 + 4 * n + 2 * mid) < p) lo = mid + 1; else hi = mid;
  }
  return lo;
}

std::optional<std::string_view> PropertyValues::Get(uint16_t p) const {
  const size_t i = Lower(p);
  if (i == size()) return std::nullopt;
  const auto [prop, value] = (*this)[i];
  if (prop != p) return std::nullopt;
  return value;
}

namespace {

/// Bytes `entries` take in PropertyValues' layout.
size_t PackedSize(const std::vector<std::pair<uint16_t, std::string_view>>& entries) {
  size_t bytes = 0;
  for (const auto& e : entries) bytes += e.second.size();
  if (bytes > UINT32_MAX) throw InvalidInputError("a record's property values exceed 4 GiB");
  return 4 + 6 * entries.size() + bytes;
}

/// Write `entries` (sorted, unique properties) into `b` (PackedSize bytes) in PropertyValues' layout.
void PackValues(const std::vector<std::pair<uint16_t, std::string_view>>& entries, char* b) {
  const size_t n = entries.size();
  const auto n32 = static_cast<uint32_t>(n);
  std::memcpy(b, &n32, 4);
  uint32_t end = 0;
  char* chars = b + 4 + 6 * n;
  for (size_t i = 0; i < n; ++i) {
    const auto& [prop, value] = entries[i];
    if (!value.empty()) std::memcpy(chars + end, value.data(), value.size());
    end += static_cast<uint32_t>(value.size());
    std::memcpy(b + 4 + 4 * i, &end, 4);
    std::memcpy(b + 4 + 4 * n + 2 * i, &prop, 2);
  }
}

}  // namespace

void PropertyValues::Set(uint16_t p, std::string_view value) {
  const size_t n = size(), i = Lower(p);
  const bool present = i < n && (*this)[i].first == p;
  if (present && !value.empty() && (*this)[i].second.size() == value.size()) {
    // Same length (timestamps, ids, flags): overwrite in place (the buffer, owned or borrowed, is
    // this record's alone). memmove: `value` may point into it.
    std::memmove(const_cast<char*>((*this)[i].second.data()), value.data(), value.size());
    return;
  }
  if (!present && value.empty()) return;
  std::vector<std::pair<uint16_t, std::string_view>> entries;
  entries.reserve(n + 1);
  for (size_t k = 0; k < n; ++k) {
    if (k == i) {
      if (!value.empty()) entries.emplace_back(p, value);
      if (present) continue;
    }
    entries.push_back((*this)[k]);
  }
  if (i == n && !value.empty()) entries.emplace_back(p, value);
  if (entries.empty()) {
    owned_.reset();
    data_ = nullptr;
    return;
  }
  // Pack from the old buffer (which `value` may point into) before replacing it.
  auto packed = std::make_unique_for_overwrite<char[]>(PackedSize(entries));
  PackValues(entries, packed.get());
  owned_ = std::move(packed);
  data_ = owned_.get();
}

void PropertyValuesBuilder::Add(uint16_t p, std::string_view value) {
  slots_.push_back(Slot{p, static_cast<uint32_t>(slots_.size()), static_cast<uint32_t>(bytes_.size()),
                        static_cast<uint32_t>(value.size())});
  bytes_.append(value);
}

PropertyValues PropertyValuesBuilder::Build(ValueArena* arena) {
  std::sort(slots_.begin(), slots_.end(),
            [](const Slot& a, const Slot& b) { return a.prop != b.prop ? a.prop < b.prop : a.seq < b.seq; });
  entries_.clear();
  for (const Slot& s : slots_) {
    const std::string_view v(bytes_.data() + s.offset, s.size);
    if (!entries_.empty() && entries_.back().first == s.prop) entries_.back().second = v;  // later wins
    else entries_.emplace_back(s.prop, v);
  }
  PropertyValues out;
  if (!entries_.empty()) {
    const size_t bytes = PackedSize(entries_);
    char* b = nullptr;
    if (arena != nullptr) {
      b = arena->Allocate(bytes);
    } else {
      out.owned_ = std::make_unique_for_overwrite<char[]>(bytes);
      b = out.owned_.get();
    }
    PackValues(entries_, b);
    out.data_ = b;
  }
  slots_.clear();
  bytes_.clear();
  return out;
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
  const size_t i = LowerBound(id);
  return i < records_.size() && records_[i].id == id ? &records_[i] : nullptr;
}
const Record* ObjectTable::Find(int64_t id) const {
  const size_t i = LowerBound(id);
  return i < records_.size() && records_[i].id == id ? &records_[i] : nullptr;
}

Record& ObjectTable::Append(Record r) {
  // Values borrowed from some arena get their own buffer: this table cannot vouch for that arena.
  if (r.props.Borrowed()) r.props = PropertyValues(r.props);
  if (r.id == 0) r.id = next_id_;
  if (!records_.empty() && r.id <= records_.back().id) {
    // Ids only grow; a caller that breaks this is a programmer error, so clamp to keep order.
    r.id = records_.back().id + 1;
  }
  next_id_ = r.id + 1;
  records_.push_back(std::move(r));
  return records_.back();
}

std::span<Record> ObjectTable::AppendRange(size_t n, int64_t first_id, int64_t step) {
  if (!records_.empty() && first_id <= records_.back().id) first_id = records_.back().id + 1;  // as Append()
  step = std::max<int64_t>(step, 1);
  const size_t at = records_.size();
  if (records_.capacity() < at + n) {
    records_.reserve(at + n);
    AdviseHugePages(records_.data(), records_.capacity() * sizeof(Record));
  }
  records_.resize(at + n);
  for (size_t k = 0; k < n; ++k) records_[at + k].id = first_id + static_cast<int64_t>(k) * step;
  if (n > 0) next_id_ = records_.back().id + 1;
  return {records_.data() + at, n};
}

size_t ObjectTable::LowerBound(int64_t id) const {
  const size_t n = records_.size();
  if (n == 0 || id <= records_.front().id) return 0;
  if (id > records_.back().id) return n;
  // Generated tables have evenly spaced ids: try the interpolated position first.
  const double span = static_cast<double>(records_.back().id - records_.front().id);
  const auto guess = std::min(
      n - 1, static_cast<size_t>(static_cast<double>(id - records_.front().id) / span * static_cast<double>(n - 1)));
  if (records_[guess].id == id) return guess;
  auto it = std::lower_bound(records_.begin(), records_.end(), id, [](const Record& r, int64_t k) { return r.id < k; });
  return static_cast<size_t>(it - records_.begin());
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
  // A copy: the SetRaw calls below repack the record's values.
  std::optional<std::string> old;
  if (auto v = r.Get(p)) {
    if (*v == value) return;
    old.emplace(*v);
  }
  // History holds every value ever set, including the current one, oldest first.
  if (!value.empty()) r.history.push_back(HistoryEntry{p, now_ms, value, std::string(source)});
  if (type_ == ObjectType::kDeals && name == "dealstage") {
    const std::string iso = FormatIsoMillis(now_ms);
    if (old && !old->empty()) {
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

namespace {

/// Stable sort by source id: a least-significant-digit radix sort on the id's offset from the
/// smallest (two or three passes over ids spanning up to 2^33) instead of a merge sort's log n.
void SortBySource(std::vector<BulkEdge>& edges) {
  auto by_source = [](const BulkEdge& a, const BulkEdge& b) { return a.from_id < b.from_id; };
  if (std::is_sorted(edges.begin(), edges.end(), by_source)) return;
  const auto [lo_it, hi_it] = std::minmax_element(edges.begin(), edges.end(), by_source);
  const auto lo = static_cast<uint64_t>(lo_it->from_id);
  const uint64_t range = static_cast<uint64_t>(hi_it->from_id) - lo;
  constexpr int kBits = 11;
  constexpr size_t kBuckets = size_t{1} << kBits;
  std::vector<BulkEdge> out(edges.size());
  std::vector<size_t> count(kBuckets + 1);
  for (int shift = 0; shift < 64 && (range >> shift) != 0; shift += kBits) {
    auto digit = [&](const BulkEdge& e) { return ((static_cast<uint64_t>(e.from_id) - lo) >> shift) & (kBuckets - 1); };
    std::fill(count.begin(), count.end(), 0);
    for (const auto& e : edges) ++count[digit(e) + 1];
    for (size_t d = 1; d <= kBuckets; ++d) count[d] += count[d - 1];
    for (const auto& e : edges) out[count[digit(e)]++] = e;
    edges.swap(out);
  }
}

}  // namespace

std::span<const AssociationEdge> AssociationTable::Packed(int64_t from_id) const {
  auto it = std::lower_bound(packed_ids_.begin(), packed_ids_.end(), from_id);
  if (it == packed_ids_.end() || *it != from_id) return {};
  return PackedAt(static_cast<size_t>(it - packed_ids_.begin()));
}

std::span<const AssociationEdge> AssociationTable::From(int64_t from_id) const {
  if (auto it = changed_.find(from_id); it != changed_.end()) return it->second;
  return Packed(from_id);
}

std::vector<AssociationEdge>& AssociationTable::Changed(int64_t from_id) {
  auto [it, inserted] = changed_.try_emplace(from_id);
  if (inserted) {
    const auto packed = Packed(from_id);
    it->second.assign(packed.begin(), packed.end());
  }
  return it->second;
}

bool AssociationTable::Add(int64_t from_id, AssociationEdge e) {
  for (const auto& x : From(from_id)) {
    if (x.to_id == e.to_id && x.type_id == e.type_id) return false;
  }
  Changed(from_id).push_back(e);
  ++edges_;
  return true;
}

size_t AssociationTable::Remove(int64_t from_id, int64_t to_id, int32_t type_id) {
  auto match = [&](const AssociationEdge& e) { return e.to_id == to_id && (type_id == 0 || e.type_id == type_id); };
  const auto current = From(from_id);
  if (std::none_of(current.begin(), current.end(), match)) return 0;
  auto& v = Changed(from_id);
  const size_t removed = std::erase_if(v, match);
  edges_ -= removed;
  // An emptied source stays in the map when packed edges exist underneath (it hides them).
  if (v.empty() && Packed(from_id).empty()) changed_.erase(from_id);
  return removed;
}

void AssociationTable::AddBulk(std::vector<BulkEdge> edges) {
  if (edges.empty()) return;
  if (edges_ > 0) {
    // Existing edges stay ahead of the new ones of the same source.
    std::vector<BulkEdge> all;
    all.reserve(edges_ + edges.size());
    ForEach([&](int64_t from, std::span<const AssociationEdge> es) {
      for (const auto& e : es) all.push_back(BulkEdge{from, e});
    });
    all.insert(all.end(), edges.begin(), edges.end());
    edges = std::move(all);
  }
  if (edges.size() > UINT32_MAX) throw InvalidInputError("more than 4 billion associations between two object types");
  SortBySource(edges);
  size_t sources = 0;
  for (size_t k = 0; k < edges.size(); ++k) sources += (k == 0 || edges[k].from_id != edges[k - 1].from_id) ? 1 : 0;
  packed_ids_.clear();
  packed_end_.clear();
  packed_edges_.clear();
  changed_.clear();
  packed_ids_.reserve(sources);
  packed_end_.reserve(sources);
  packed_edges_.reserve(edges.size());
  std::vector<std::pair<int64_t, int32_t>> keys;
  for (size_t a = 0; a < edges.size();) {
    size_t b = a + 1;
    while (b < edges.size() && edges[b].from_id == edges[a].from_id) ++b;
    // Drop repeats of (to_id, type_id) after the first, as Add() would.
    bool repeats = false;
    if (b - a > 1) {
      keys.clear();
      for (size_t k = a; k < b; ++k) keys.emplace_back(edges[k].edge.to_id, edges[k].edge.type_id);
      std::sort(keys.begin(), keys.end());
      repeats = std::adjacent_find(keys.begin(), keys.end()) != keys.end();
    }
    if (!repeats) {
      for (size_t k = a; k < b; ++k) packed_edges_.push_back(edges[k].edge);
    } else {
      std::set<std::pair<int64_t, int32_t>> seen;
      for (size_t k = a; k < b; ++k)
        if (seen.emplace(edges[k].edge.to_id, edges[k].edge.type_id).second) packed_edges_.push_back(edges[k].edge);
    }
    packed_ids_.push_back(edges[a].from_id);
    packed_end_.push_back(static_cast<uint32_t>(packed_edges_.size()));
    a = b;
  }
  edges_ = packed_edges_.size();
}

void AssociationTable::LoadGrouped(std::vector<int64_t> ids, std::vector<uint32_t> ends,
                                   std::vector<AssociationEdge> edges) {
  bool ok = ids.size() == ends.size() && (ends.empty() ? edges.empty() : ends.back() == edges.size());
  for (size_t i = 0; ok && i < ids.size(); ++i) {
    const uint32_t begin = i == 0 ? 0 : ends[i - 1];
    ok = ends[i] > begin && (i == 0 || ids[i - 1] < ids[i]);
  }
  if (!ok) throw InvalidInputError("association load: sources must ascend and own at least one edge each");
  packed_ids_ = std::move(ids);
  packed_end_ = std::move(ends);
  packed_edges_ = std::move(edges);
  changed_.clear();
  edges_ = packed_edges_.size();
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
