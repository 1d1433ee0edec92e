#pragma once
/// The HubSpot custom properties revlens owns: one property group (`revlens`) per object type and the
/// properties in it, created idempotently before any record is written. revlens never writes a property outside
/// this group: the catalog only holds `revlens_*` names in the group, and set-up refuses a property of the same
/// name that HubSpot files under another group.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.hpp"

namespace revlens::hubspot {
class Client;
}

namespace revlens::deliver {

/// The property group every revlens property lives in (internal name and label).
inline constexpr std::string_view kGroupName = "revlens";
inline constexpr std::string_view kGroupLabel = "revlens";
/// Every revlens property name starts with this.
inline constexpr std::string_view kPropertyPrefix = "revlens_";

/// One custom property, as HubSpot's PropertyCreate body takes it (group is always kGroupName).
struct PropertySpec {
  std::string name;        ///< internal name, `revlens_...`
  std::string label;       ///< shown in HubSpot
  std::string type;        ///< number | string | enumeration | datetime | bool
  std::string field_type;  ///< number | text | textarea | select | date | booleancheckbox
  std::string description;
  std::vector<std::string> options;  ///< enumeration values (label = value)
  bool hidden = false;               ///< shadow-mode properties are hidden in HubSpot's UI
};

/// The properties revlens may create and write, per object type (`contacts`, `companies`, `deals`).
struct PropertyCatalog {
  std::map<std::string, std::vector<PropertySpec>> by_type;

  /// The property `name` of `object_type`, or nullptr when the catalog has none.
  const PropertySpec* Find(std::string_view object_type, std::string_view name) const;
};

/// The catalog revlens ships: lead scores on contacts (visible and hidden shadow twins), ICP fit on companies,
/// and deal predictions on deals (created only when a deal target has rows to push).
PropertyCatalog DefaultCatalog();

/// Check that every property is a valid `revlens_*` name with a known type/fieldType pair and, for
/// enumerations, options. Throws ConfigError naming the first bad property.
void ValidateCatalog(const PropertyCatalog& catalog);

/// What property set-up did on one object type.
struct SetupReport {
  std::string object_type;
  int64_t requests = 0;               ///< API calls made (retries not counted; the client counts those)
  bool group_created = false;         ///< the `revlens` group did not exist
  std::vector<std::string> created;   ///< properties created now
  std::vector<std::string> existing;  ///< properties that were already there (in the revlens group)
};

/// Make sure the `revlens` group and `properties` exist on `object_type`: read the group (create it when
/// missing), batch-read the properties, batch-create the missing ones. Idempotent: a second call creates
/// nothing (two requests). Throws ConfigError when a property of one of these names exists in another group
/// (revlens will not write it) or with another type, HubSpotApiError when HubSpot refuses.
SetupReport EnsureProperties(hubspot::Client& client, const std::string& object_type,
                             const std::vector<PropertySpec>& properties);

}  // namespace revlens::deliver
