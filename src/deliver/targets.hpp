#pragma once
/// What `revlens push` writes where: a push target reads one row per record from a result table in the model
/// schema and maps its columns onto revlens properties of one HubSpot object type. Adding a product's write-back
/// (deal win probability, deal risk, ...) is one more PushTarget and its PropertySpecs, not new code.
#include <string>
#include <vector>

#include "deliver/properties.hpp"
#include "warehouse/value.hpp"

namespace revlens::deliver {

/// How a column's value becomes the string HubSpot stores.
enum class ValueFormat {
  kNumber,    ///< rounded to `decimals`, no trailing zeros (`73`, `12.5`)
  kText,      ///< as is (at most 65,536 characters, HubSpot's limit)
  kDateTime,  ///< ISO-8601 UTC with milliseconds (`2026-06-30T08:00:00.000Z`)
  kReasons,   ///< a JSON array of strings becomes one line each; other text stays as is
};

/// One column -> property mapping.
struct FieldMapping {
  std::string column;           ///< column of the source rows
  std::string property;         ///< the visible property (`revlens_score`)
  std::string shadow_property;  ///< its hidden twin for shadow mode (`revlens_shadow_score`); empty = none
  ValueFormat format = ValueFormat::kText;
  int decimals = 0;  ///< kNumber: digits after the point
  /// Sent only together with a change to a non-companion field of the same record (a timestamp that moves on
  /// every run would otherwise make every record "changed").
  bool companion = false;
};

/// One result table pushed to one object type.
struct PushTarget {
  std::string name;         ///< for messages and the summary (`lead_scores`)
  std::string object_type;  ///< HubSpot object type (`contacts`, `companies`, `deals`)
  std::string table;        ///< source table in the model schema
  std::string id_column;    ///< the HubSpot record id (BIGINT)
  /// The latest row per id wins, by this column (descending); empty = the table has one row per id.
  std::string order_column;
  /// Optional boolean column: FALSE means the model has no proven lift, so values go to the shadow properties
  /// (unless forced).
  std::string usable_column;
  /// Optional boolean column, read only when the table has it: TRUE means the product ran in shadow mode, so
  /// values go to the shadow properties (unless forced).
  std::string shadow_column;
  /// Optional column and value marking the A/B holdout: those records get no visible value (any visible value
  /// left from before is cleared) and their values go to the shadow properties.
  std::string holdout_column;
  std::string holdout_value;
  std::vector<FieldMapping> fields;
  /// A record push_state holds values for that the table no longer has gets its properties cleared (a deal that
  /// closed has no win probability any more); otherwise its last values stay.
  bool clear_missing = false;
};

/// The targets revlens ships: `lead_scores` -> contacts (score, tier, fit, engagement, reasons, model version,
/// scored-at, with shadow twins), `company_icp_fit` -> companies (ICP fit, top segment, scored-at),
/// `deal_competitors` -> deals (the competitors `revlens compete` detected on each open deal) and
/// `deal_predictions` -> deals (`revlens forecast`'s win probability and risk flags, predicted-at).
std::vector<PushTarget> DefaultTargets();

/// Check targets against the catalog: identifiers are plain names, every mapped property (and shadow twin) is
/// in the catalog for the target's object type (so in the revlens group), no property is written by two
/// mappings, number formats map to number properties. Throws ConfigError naming the first bad mapping; this is
/// where a mapping onto a property outside the revlens group is refused.
void ValidateTargets(const std::vector<PushTarget>& targets, const PropertyCatalog& catalog);

/// Format `value` for HubSpot; "" for NULL (which clears the property). Throws InvalidInputError when the
/// value cannot be formatted (a number column holding text, a timestamp that does not parse).
std::string FormatValue(const FieldMapping& field, const warehouse::Value& value);

}  // namespace revlens::deliver
