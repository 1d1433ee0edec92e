#pragma once
/// The emulator's portal state: objects with properties and history, associations, property
/// metadata, pipelines, owners, webhook subscriptions. Thread-safety: callers hold Portal::mutex
/// (shared for reads, exclusive for writes); the types here do no locking of their own.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
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

/// One CRM record. Property values are strings, as HubSpot returns them.
struct Record {
  int64_t id = 0;
  int64_t created_ms = 0, updated_ms = 0, archived_ms = 0;
  bool archived = false;
  int64_t merged_into = 0;  ///< contacts merged into another record: the surviving id (0 = not merged)
  std::vector<std::pair<uint16_t, std::string>> props;  ///< sorted by property index
  /// Every value ever written (the current one included), oldest first. A property that has a
  /// value but no entry here reports its current value stamped `updated_ms` as its history.
  std::vector<HistoryEntry> history;

  /// Value of property index `p`, or nullptr when unset.
  const std::string* Get(uint16_t p) const;
  /// Set property `p` (no history); an empty value removes it.
  void SetRaw(uint16_t p, std::string value);
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

/// All records of one object type, ordered by id (ids only grow).
class ObjectTable {
 public:
  explicit ObjectTable(ObjectType type) : type_(type) {}
  ObjectType Type() const { return type_; }
  PropertyRegistry& Props() { return props_; }
  const PropertyRegistry& Props() const { return props_; }

  /// Record by id, or nullptr.
  Record* Find(int64_t id);
  const Record* Find(int64_t id) const;
  /// Append a record; its id must be greater than every existing id (0 = assign the next id).
  /// Invalidates references to records of this table (the vector may grow).
  Record& Append(Record r);
  /// Next id to assign.
  int64_t NextId() const { return next_id_; }
  /// Position of the first record with id >= `id` (for cursor paging).
  size_t LowerBound(int64_t id) const;
  const std::vector<Record>& Records() const { return records_; }
  std::vector<Record>& Records() { return records_; }
  void Reserve(size_t n);

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
  std::unordered_map<int64_t, uint32_t> index_;
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

/// Association edges from one object type to another, stored in both directions by the Portal.
class AssociationTable {
 public:
  /// Edges from `from_id`, or nullptr.
  const std::vector<AssociationEdge>* From(int64_t from_id) const;
  /// Add an edge (no duplicate of the same to_id + type_id); returns true when new.
  bool Add(int64_t from_id, AssociationEdge e);
  /// Remove edges from->to (all types when type_id == 0); returns how many were removed.
  size_t Remove(int64_t from_id, int64_t to_id, int32_t type_id = 0);
  size_t EdgeCount() const { return edges_; }
  /// Make room for edges from `n` distinct records (bulk loads, the generator).
  void Reserve(size_t n) { map_.reserve(n); }
  const std::unordered_map<int64_t, std::vector<AssociationEdge>>& All() const { return map_; }

 private:
  std::unordered_map<int64_t, std::vector<AssociationEdge>> map_;
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
