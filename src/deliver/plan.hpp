#pragma once
/// What a push would change: the source rows of a target (latest row per record), the value each revlens
/// property should hold, and the difference from what push_state says HubSpot already has. No HubSpot calls and
/// no writes here, so a dry run is this and nothing more.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "deliver/push_state.hpp"
#include "deliver/targets.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::deliver {

/// One record's source row: the mapped columns in PushTarget::fields order.
struct SourceRow {
  int64_t id = 0;
  std::vector<warehouse::Value> values;
  bool usable = true;    ///< the usable column (NULL counts as not usable)
  bool shadow = false;   ///< the product ran in shadow mode (the shadow column, when the table has one)
  bool holdout = false;  ///< in the A/B holdout group
};

/// Read the latest row per record of `target` from `schema`. nullopt when the table does not exist. Throws
/// ConfigError when it lacks a mapped column.
std::optional<std::vector<SourceRow>> ReadSource(warehouse::Warehouse& wh, const std::string& schema,
                                                 const PushTarget& target);

/// Every property `target` manages (visible ones in field order, then shadow twins): the push_state columns
/// the plan compares against.
std::vector<std::string> ManagedProperties(const PushTarget& target);

/// One property's change.
struct PropertyChange {
  std::string property;
  std::string old_value;  ///< what push_state says HubSpot has ("" = nothing)
  std::string new_value;  ///< what revlens sends ("" clears it)
};

/// One record to update.
struct RecordChange {
  int64_t id = 0;
  bool visible = true;  ///< values went to the visible properties (else to the shadow twins)
  std::vector<PropertyChange> changes;
  std::string payload;  ///< the changes as a JSON object (quarantine rows record it)
};

/// A record refused before sending (a value HubSpot would reject, e.g. a tier outside A-D).
struct InvalidRecord {
  int64_t id = 0;
  std::string reason;
  std::string payload;
};

/// How values are routed.
struct PlanOptions {
  bool shadow = false;             ///< push in shadow mode: every value goes to the shadow twins
  bool force = false;              ///< show values the product marked unusable or shadow (never the holdout's)
  bool full_refresh = false;       ///< ignore push_state: send every value again
  bool retry_quarantined = false;  ///< also retry records quarantined as not found / invalid
};

/// The plan for one target.
struct TargetPlan {
  std::vector<RecordChange> changes;
  std::vector<InvalidRecord> invalid;
  int64_t rows = 0;
  int64_t visible = 0;    ///< rows routed to the visible properties
  int64_t hidden = 0;     ///< rows routed to the shadow twins (shadow mode, unusable, holdout)
  int64_t holdout = 0;    ///< rows in the A/B holdout
  int64_t unusable = 0;   ///< rows whose usable column is false or NULL
  int64_t shadow = 0;     ///< rows the product marked as shadow mode
  int64_t unchanged = 0;  ///< rows with nothing to send
  int64_t skipped_quarantined = 0;
  int64_t values = 0;   ///< property values to send
  int64_t cleared = 0;  ///< records gone from the source whose values are cleared (PushTarget::clear_missing)
};

/// Compare `rows` with `state` (ManagedProperties order) and decide what to send. Routing per row: visible
/// unless the push is in shadow mode, the product marked the row shadow or unusable (unless forced), or the row is
/// in the holdout; hidden rows write the shadow twins, and
/// holdout rows also clear the visible properties. A record changes when a non-companion value differs from
/// push_state; then its differing companion values go too. Records quarantined as not found are skipped
/// (unless retry_quarantined), as are ones quarantined as invalid whose values have not changed since. With
/// clear_missing, records in `state` with a value but no row are cleared (in id order).
TargetPlan PlanTarget(const PushTarget& target, const PropertyCatalog& catalog, const std::vector<SourceRow>& rows,
                      const StateMap& state, const QuarantineMap& quarantine, const PlanOptions& options);

}  // namespace revlens::deliver
