#pragma once
/// The emulator's portal state: objects with properties and history, associations, property
/// metadata, pipelines, owners, webhook subscriptions. Thread-safety: callers hold Portal::mutex
/// (shared for reads, exclusive for writes); the types here do no locking of their own.
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace revlens::emulator {

/// CRM object types the emulator serves.
enum class ObjectType : uint8_t { kContacts, kCompanies, kDeals, kCalls, kEmails, kMeetings, kNotes, kTasks };
inline constexpr size_t kObjectTypeCount = 8;
inline constexpr std::array<ObjectType, kObjectTypeCount> kAllObjectTypes = {
    ObjectType::kContacts, ObjectType::kCompanies, ObjectType::kDeals, ObjectType::kCalls,
    ObjectType::kEmails,   ObjectType::kMeetings,  ObjectType::kNotes, ObjectType::kTasks};

/// Parse `contacts`, `contact`, `0-1` (and the other names/type ids); case-insensitive.
std::optional<ObjectType> ParseObjectType(std::string_view text);
/// Plural API name: `contacts`.
std::string_view ObjectTypeName(ObjectType t);
/// Singular name used in association labels and webhook types: `contact`.
std::string_view ObjectTypeSingular(ObjectType t);
/// HubSpot object type id: `0-1`.
std::string_view ObjectTypeId(ObjectType t);
/// True for calls, emails, meetings, notes, tasks.
bool IsEngagement(ObjectType t);

/// One property's metadata (GET /crm/v3/properties/{type}).
struct PropertyOption {
  std::string label, value, description;
  int display_order = 0;
  bool hidden = false;
};
struct PropertyDef {
  std::string name, label, type, field_type, group_name, description;
  std::vector<PropertyOption> options;
  int display_order = -1;
  bool has_unique_value = false, hidden = false, form_field = false, calculated = false;
  bool hubspot_defined = true;  ///< false for custom properties
  bool archived = false;
  int64_t created_ms = 0, updated_ms = 0, archived_ms = 0;
};
struct PropertyGroup {
  std::string name, label;
  int display_order = -1;
  bool archived = false;
};

/// One recorded value of a property (propertiesWithHistory).
struct HistoryEntry {
  uint16_t prop = 0;
  int64_t timestamp_ms = 0;
  std::string value;
  std::string source_type = "CRM_UI";  ///< e.g. CRM_UI, API, IMPORT, AUTOMATION
};

/// Bump allocator for the packed values of records made in bulk (the generator): big chunks,
/// backed by huge pages where the kernel allows, and no heap block per record. Records that
/// borrow from an arena must not outlive it; each Portal owns one for all its tables.
class ValueArena {
 public:
  /// `n` bytes that stay valid as long as this arena (or the one that absorbs it) lives.
  char* Allocate(size_t n);
  /// Take over `other`'s chunks (their memory does not move, so borrowed values stay valid).
  void Absorb(ValueArena&& other);
  /// Bytes reserved in chunks.
  size_t Capacity() const { return capacity_; }

 private:
  struct FreeChunk {
    void operator()(char* p) const;
  };
  std::vector<std::unique_ptr<char, FreeChunk>> chunks_;
  char* next_ = nullptr;
  size_t left_ = 0, capacity_ = 0;
};

/// Ask the kernel to back `[data, data + bytes)` with huge pages (Linux; a no-op elsewhere and for
/// small ranges). First touches of fresh memory dominate bulk generation on some virtual machines.
void AdviseHugePages(const void* data, size_t bytes);

/// A record's property values, packed into one buffer. A 10M-engagement portal holds ~90M values;
/// a std::string each (a 40-byte slot plus a heap block past 15 characters) made it need 13 GiB.
/// Buffer layout: uint32 count n; n uint32 end offsets into the value bytes; n uint16 property
/// indexes, ascending; the value bytes back to back. The buffer is the record's own, or borrowed
/// from a ValueArena (bulk-made records); a copy or a change always owns its buffer. Views
/// returned by Get() and the iterator stay valid until the next Set() on the same values.
class PropertyValues {
 public:
  using value_type = std::pair<uint16_t, std::string_view>;
  /// Walks the values in property order; yields (index, value) pairs by value.
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = PropertyValues::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = value_type;
    iterator() = default;
    value_type operator*() const { return (*values_)[i_]; }
    iterator& operator++() {
      ++i_;
      return *this;
    }
    iterator operator++(int) {
      iterator t = *this;
      ++i_;
      return t;
    }
    bool operator==(const iterator& o) const { return i_ == o.i_; }

   private:
    friend class PropertyValues;
    iterator(const PropertyValues* v, size_t i) : values_(v), i_(i) {}
    const PropertyValues* values_ = nullptr;
    size_t i_ = 0;
  };

  PropertyValues() = default;
  PropertyValues(const PropertyValues& o);
  PropertyValues& operator=(const PropertyValues& o);
  PropertyValues(PropertyValues&&) noexcept = default;
  PropertyValues& operator=(PropertyValues&&) noexcept = default;
  size_t size() const { return data_ != nullptr ? Load32(0) : 0; }
  bool empty() const { return size() == 0; }
  /// The `i`-th value in property order.
  value_type operator[](size_t i) const;
  iterator begin() const { return {this, 0}; }
  iterator end() const { return {this, size()}; }
  /// Value of property index `p`, or nullopt when unset.
  std::optional<std::string_view> Get(uint16_t p) const;
  /// Set property `p`; an empty value removes it.
  void Set(uint16_t p, std::string_view value);
  /// Bytes of the packed buffer (0 when empty).
  size_t ByteSize() const;
  /// True when the buffer lives in a ValueArena rather than in this object.
  bool Borrowed() const { return data_ != nullptr && data_ != owned_.get(); }

 private:
  friend class PropertyValuesBuilder;
  uint32_t Load32(size_t at) const;
  uint16_t Load16(size_t at) const;
  /// Position of the first property >= p.
  size_t Lower(uint16_t p) const;
  const char* data_ = nullptr;     ///< the packed buffer: owned_.get(), or arena memory; null = no values
  std::unique_ptr<char[]> owned_;  ///< the buffer when this object owns it
};

/// Collects property values in any order, then packs them. A later value for the same property
/// replaces an earlier one; empty values are kept (skip them to leave a property unset).
class PropertyValuesBuilder {
 public:
  void Add(uint16_t p, std::string_view value);
  /// Pack what was added, sorted by property index, and start over. With `arena`, the buffer is
  /// borrowed from it (the arena must outlive the values); without, the values own it.
  PropertyValues Build(ValueArena* arena = nullptr);
  bool empty() const { return slots_.empty(); }

 private:
  struct Slot {
    uint16_t prop;
    uint32_t seq, offset, size;
  };
  std::vector<Slot> slots_;
  std::string bytes_;
  std::vector<std::pair<uint16_t, std::string_view>> entries_;
};

/// One CRM record. Property values are strings, as HubSpot returns them.
struct Record {
  int64_t id = 0;
  int64_t created_ms = 0, updated_ms = 0, archived_ms = 0;
  bool archived = false;
  int64_t merged_into = 0;  ///< contacts merged into another record: the surviving id (0 = not merged)
  PropertyValues props;     ///< sorted by property index
  /// Every value ever written (the current one included), oldest first. A property that has a
  /// value but no entry here reports its current value stamped `updated_ms` as its history.
  std::vector<HistoryEntry> history;

  /// Value of property index `p`, or nullopt when unset. Valid until the record's next SetRaw/Write.
  std::optional<std::string_view> Get(uint16_t p) const { return props.Get(p); }
  /// Set property `p` (no history); an empty value removes it.
  void SetRaw(uint16_t p, std::string_view value) { props.Set(p, value); }
};

/// Property definitions of one object type, with name -> index lookup.
class PropertyRegistry {
 public:
  /// Index of `name`, or nullopt.
  std::optional<uint16_t> Find(std::string_view name) const;
  /// Index of `name`, adding a default string property definition if missing.
  uint16_t Intern(std::string_view name);
  /// Add or replace a definition; returns its index.
  uint16_t Put(PropertyDef def);
  const PropertyDef& Def(uint16_t i) const { return defs_[i]; }
  PropertyDef& Def(uint16_t i) { return defs_[i]; }
  size_t Size() const { return defs_.size(); }

 private:
  std::vector<PropertyDef> defs_;
  std::unordered_map<std::string, uint16_t> by_name_;
};

/// All records of one object type, ordered by id (ids only grow; records are never removed).
class ObjectTable {
 public:
  explicit ObjectTable(ObjectType type) : type_(type) {}
  ObjectType Type() const { return type_; }
  PropertyRegistry& Props() { return props_; }
  const PropertyRegistry& Props() const { return props_; }

  /// Record by id, or nullptr (a search over the id-ordered records, no per-record index).
  Record* Find(int64_t id);
  const Record* Find(int64_t id) const;
  /// Append a record; its id must be greater than every existing id (0 = assign the next id).
  /// Invalidates references to records of this table (the vector may grow).
  Record& Append(Record r);
  /// Append `n` empty records with ids `first_id`, `first_id + step`, ... for a caller that fills
  /// them in place (the generator's parallel writers); `first_id` must exceed every existing id.
  /// Invalidates references to records of this table.
  std::span<Record> AppendRange(size_t n, int64_t first_id, int64_t step = 1);
  /// Next id to assign.
  int64_t NextId() const { return next_id_; }
  /// Position of the first record with id >= `id` (for cursor paging).
  size_t LowerBound(int64_t id) const;
  const std::vector<Record>& Records() const { return records_; }
  std::vector<Record>& Records() { return records_; }
  void Reserve(size_t n) { records_.reserve(n); }

  /// Create a record as the API would: assigns the id, sets hs_object_id, the create and
  /// modified dates, then writes each property (with history).
  Record& Create(const std::vector<std::pair<std::string, std::string>>& props, int64_t now_ms,
                 std::string_view source = "API");
  /// Set a property as a write would: records history (old value), bumps the modified dates.
  void Write(Record& r, std::string_view name, std::string value, int64_t now_ms, std::string_view source = "API");

 private:
  ObjectType type_;
  PropertyRegistry props_;
  std::vector<Record> records_;
  int64_t next_id_ = 1;
};

/// One directed association edge.
struct AssociationEdge {
  int64_t to_id = 0;
  int32_t type_id = 0;
  uint8_t category = 0;  ///< 0 HUBSPOT_DEFINED, 1 USER_DEFINED, 2 INTEGRATOR_DEFINED
};
std::string_view AssociationCategoryName(uint8_t c);
std::optional<uint8_t> ParseAssociationCategory(std::string_view s);

/// A label defined for a pair of object types (defaults and user-defined).
struct AssociationLabel {
  uint8_t category = 0;
  int32_t type_id = 0;
  std::string label;  ///< empty for the unlabeled default
};

/// An edge with its source, for bulk loads.
struct BulkEdge {
  int64_t from_id = 0;
  AssociationEdge edge;
};

/// Association edges from one object type to another, stored in both directions by the Portal.
/// Bulk loads (the generator, a saved portal) go into flat arrays sorted by source id; later
/// changes keep a copy of the changed source's edges in a small ordered map that overrides them.
class AssociationTable {
 public:
  /// Edges from `from_id` in the order they were added (empty when none). Valid until the next
  /// change to this table.
  std::span<const AssociationEdge> From(int64_t from_id) const;
  /// Add an edge (no duplicate of the same to_id + type_id); returns true when new.
  bool Add(int64_t from_id, AssociationEdge e);
  /// Remove edges from->to (all types when type_id == 0); returns how many were removed.
  size_t Remove(int64_t from_id, int64_t to_id, int32_t type_id = 0);
  size_t EdgeCount() const { return edges_; }
  /// Add many edges at once, as if by Add() in the given order (duplicates dropped); cheaper than
  /// Add() by a hash node and a vector per source.
  void AddBulk(std::vector<BulkEdge> edges);
  /// Replace every edge with `edges` already grouped by source: source `ids[i]` (strictly ascending)
  /// has edges `[ends[i - 1], ends[i])` (from 0 for the first), in order and without repeats of
  /// the same to_id + type_id (the caller's promise; the generator's bulk path). Throws
  /// InvalidInputError when the arrays do not line up.
  void LoadGrouped(std::vector<int64_t> ids, std::vector<uint32_t> ends, std::vector<AssociationEdge> edges);
  /// Call `f(from_id, std::span<const AssociationEdge>)` for every source with edges, ids ascending.
  template <class F>
  void ForEach(F&& f) const {
    size_t i = 0;
    auto it = changed_.begin();
    while (i < packed_ids_.size() || it != changed_.end()) {
      if (it == changed_.end() || (i < packed_ids_.size() && packed_ids_[i] < it->first)) {
        f(packed_ids_[i], PackedAt(i));
        ++i;
        continue;
      }
      if (i < packed_ids_.size() && packed_ids_[i] == it->first) ++i;  // overridden by the change
      if (!it->second.empty()) f(it->first, std::span<const AssociationEdge>(it->second));
      ++it;
    }
  }

 private:
  std::span<const AssociationEdge> PackedAt(size_t i) const {
    const size_t begin = i == 0 ? 0 : packed_end_[i - 1];
    return {packed_edges_.data() + begin, packed_end_[i] - begin};
  }
  std::span<const AssociationEdge> Packed(int64_t from_id) const;
  /// The changeable copy of `from_id`'s edges (made from the packed ones on first change).
  std::vector<AssociationEdge>& Changed(int64_t from_id);

  std::vector<int64_t> packed_ids_;            ///< sources, ascending
  std::vector<uint32_t> packed_end_;           ///< end of each source's edges in packed_edges_
  std::vector<AssociationEdge> packed_edges_;  ///< edges grouped by source
  std::map<int64_t, std::vector<AssociationEdge>> changed_;  ///< overrides; empty = all removed
  size_t edges_ = 0;
};

/// Default HubSpot-defined association type id from `from` to `to` (e.g. contact->company 279).
int32_t DefaultAssociationTypeId(ObjectType from, ObjectType to);
/// `deal_to_contact` style name used by the v3 `associations` expansion.
std::string AssociationTypeName(ObjectType from, ObjectType to);

struct PipelineStage {
  std::string id, label;
  int display_order = 0;
  double probability = 0;  ///< metadata.probability, 0..1
  bool is_closed = false;  ///< metadata.isClosed
  bool archived = false;
  int64_t created_ms = 0, updated_ms = 0;
};
struct Pipeline {
  std::string id, label;
  int display_order = 0;
  bool archived = false;
  int64_t created_ms = 0, updated_ms = 0;
  std::vector<PipelineStage> stages;
};

struct Team {
  std::string id, name;
};
struct Owner {
  int64_t id = 0, user_id = 0;
  std::string email, first_name, last_name, type = "PERSON";
  std::vector<std::string> team_ids;  ///< first is primary
  bool archived = false;
  int64_t created_ms = 0, updated_ms = 0;
};

/// A webhook subscription (what the emulator delivers and to which URL).
struct WebhookSubscription {
  int64_t id = 0;
  std::string event_type;     ///< e.g. `contact.propertyChange`, `deal.creation`, `call.creation`
  std::string property_name;  ///< for propertyChange; empty = every property
  bool active = true;
  int64_t created_ms = 0, updated_ms = 0;
  /// For HubSpot's generic `object.*` event types: the object type id the subscription covers
  /// (e.g. `0-48` for calls); empty otherwise.
  std::string object_type_id;
};

/// The whole portal.
class Portal {
 public:
  Portal();
  Portal(const Portal&) = delete;
  Portal& operator=(const Portal&) = delete;

  int64_t portal_id = 62515;
  int64_t app_id = 1000001;
  std::string time_zone = "UTC";
  std::string webhook_target_url;  ///< where webhooks go (app settings); empty = no delivery
  int max_concurrent_webhook_requests = 4;
  std::string webhook_throttling_period = "SECONDLY";  ///< app settings: SECONDLY or ROLLING_MINUTE
  int64_t webhook_settings_created_ms = 0, webhook_settings_updated_ms = 0;  ///< app settings timestamps

  ObjectTable& Table(ObjectType t) { return tables_[static_cast<size_t>(t)]; }
  const ObjectTable& Table(ObjectType t) const { return tables_[static_cast<size_t>(t)]; }
  AssociationTable& Assoc(ObjectType from, ObjectType to) {
    return assoc_[static_cast<size_t>(from) * kObjectTypeCount + static_cast<size_t>(to)];
  }
  const AssociationTable& Assoc(ObjectType from, ObjectType to) const {
    return assoc_[static_cast<size_t>(from) * kObjectTypeCount + static_cast<size_t>(to)];
  }
  /// Associate both directions with the default type ids.
  void Associate(ObjectType a, int64_t a_id, ObjectType b, int64_t b_id);

  /// Property groups per object type.
  std::vector<PropertyGroup>& Groups(ObjectType t) { return groups_[static_cast<size_t>(t)]; }
  const std::vector<PropertyGroup>& Groups(ObjectType t) const { return groups_[static_cast<size_t>(t)]; }
  /// User-defined association labels per ordered pair (HubSpot-defined defaults are implied).
  std::map<std::pair<ObjectType, ObjectType>, std::vector<AssociationLabel>> labels;

  std::vector<Pipeline> deal_pipelines;
  std::vector<Owner> owners;
  std::vector<Team> teams;
  std::vector<WebhookSubscription> subscriptions;

  /// Storage that bulk-made records of every table borrow their property values from.
  ValueArena values;

  /// Guards everything above. Readers take it shared, writers exclusive.
  mutable std::shared_mutex mutex;

 private:
  std::vector<ObjectTable> tables_;
  std::vector<AssociationTable> assoc_;
  std::vector<std::vector<PropertyGroup>> groups_;
};

/// Fill `portal` with HubSpot's default property definitions and groups for every object type
/// (createdate, hs_object_id, lastmodifieddate/hs_lastmodifieddate, email, dealstage, ...),
/// the default deal pipeline, and nothing else.
void InstallDefaultSchema(Portal& portal, int64_t now_ms);

/// Add `hs_date_entered_<stage>` / `hs_date_exited_<stage>` definitions for every deal stage.
void RegisterPipelineStageProperties(Portal& portal, int64_t now_ms);

/// Name of the "last modified" property for a type (`lastmodifieddate` for contacts,
/// `hs_lastmodifieddate` for the others).
std::string_view LastModifiedProperty(ObjectType t);
/// Properties returned when a request names none (HubSpot's defaults per type).
const std::vector<std::string>& DefaultReturnedProperties(ObjectType t);

}  // namespace revlens::emulator
