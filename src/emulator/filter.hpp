#pragma once
/// The CRM search engine behind `POST /crm/v3/objects/{type}/search`: parse a request body into a
/// compiled SearchRequest (property indices resolved, filter values parsed once), then run it
/// against a portal's ObjectTable. Callers hold Portal::mutex (shared) across parse and run:
/// the compiled request refers to property indices of that table.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/http_util.hpp"
#include "emulator/store.hpp"

namespace revlens::emulator {

/// HubSpot's search limits (hubspot-api-notes.md section 3, current search guide).
inline constexpr int kSearchDefaultLimit = 10;
inline constexpr int kSearchMaxLimit = 200;
inline constexpr int64_t kSearchResultCeiling = 10000;  ///< no page may start at or past this offset
inline constexpr size_t kSearchMaxQueryChars = 3000;
inline constexpr size_t kSearchMaxGroups = 5;
inline constexpr size_t kSearchMaxFiltersPerGroup = 6;
inline constexpr size_t kSearchMaxFiltersTotal = 18;

/// Search filter operators.
enum class FilterOp : uint8_t {
  kEq,
  kNeq,
  kLt,
  kLte,
  kGt,
  kGte,
  kBetween,
  kIn,
  kNotIn,
  kHasProperty,
  kNotHasProperty,
  kContainsToken,
  kNotContainsToken
};
/// Parse `EQ`, `NOT_IN`, ... (exact, upper case as HubSpot documents them).
std::optional<FilterOp> ParseFilterOp(std::string_view text);
/// `EQ`, `NOT_IN`, ...
std::string_view FilterOpName(FilterOp op);

/// How a property's values compare.
enum class ValueKind : uint8_t {
  kString,       ///< case-insensitive text
  kEnumeration,  ///< case-sensitive; `;`-separated for multi-select (checkbox) properties
  kNumber,       ///< numeric
  kDateTime,     ///< `date`/`datetime`: epoch milliseconds (values ISO-8601 or epoch ms)
  kBool,         ///< `true`/`false`, case-insensitive
};
/// Kind for a property definition's `type`.
ValueKind KindOfPropertyType(std::string_view type);

/// One compiled filter.
struct Filter {
  std::string property_name;
  FilterOp op = FilterOp::kEq;
  /// True for the pseudo-property `associations.{type}`: compares associated record ids.
  bool is_association = false;
  ObjectType association_type = ObjectType::kContacts;
  uint16_t prop = 0;  ///< property index (when !is_association)
  ValueKind kind = ValueKind::kString;
  bool multi_value = false;  ///< enumeration checkbox: a record value holds several `;`-joined options
  /// Operand values: 1 for comparisons, 2 for BETWEEN (low, high), n for IN/NOT_IN. Strings are
  /// lower-cased for case-insensitive kinds; tokens are lower-cased patterns with `*`.
  std::vector<std::string> strings;
  /// Numeric operands (numbers, epoch ms for dates, association ids), same order as `strings`.
  std::vector<double> numbers;
};

/// Filters ANDed together.
struct FilterGroup {
  std::vector<Filter> filters;
};

/// The single sort rule a search accepts.
struct SortRule {
  std::string property_name;
  uint16_t prop = 0;
  ValueKind kind = ValueKind::kString;
  bool descending = false;
};

/// A parsed and compiled search request.
struct SearchRequest {
  std::vector<FilterGroup> groups;       ///< ORed; empty = every (unarchived) record
  std::optional<SortRule> sort;          ///< none = oldest created first (id order)
  std::string query;                     ///< free text, lower-cased; empty = none
  std::vector<std::string> query_terms;  ///< `query` split on whitespace
  std::vector<uint16_t> query_props;     ///< the type's default searchable properties present in the table
  std::vector<std::string> properties;   ///< requested properties (empty = the type's defaults)
  int limit = kSearchDefaultLimit;
  int64_t after = 0;  ///< offset into the result list
};

/// Parse a search request body against `table`'s property definitions. Throws BadRequest (400
/// VALIDATION_ERROR) on an unknown operator or property, a missing value, too many filters, more
/// than one sort, a bad `limit`/`after`, an over-long `query`, or a malformed body.
SearchRequest ParseSearchRequest(const nlohmann::json& body, const ObjectTable& table);

/// True when `r` satisfies the request's filter groups and query (archived/merged not checked).
bool MatchesSearch(const SearchRequest& req, const Portal& portal, const ObjectTable& table, const Record& r);

/// One page of search results.
struct SearchPage {
  int64_t total = 0;                   ///< every match, not capped at the 10,000 ceiling
  std::vector<const Record*> results;  ///< this page, in order
  std::optional<int64_t> next_after;   ///< offset of the next page, absent on the last (or past 10,000)
};

/// Run `req` over `table`: skip archived and merged records, filter, sort (ties and no sort: id
/// order), and cut the page at `after`/`limit`.
SearchPage RunSearch(const SearchRequest& req, const Portal& portal, const ObjectTable& table);

/// The properties `query` searches for a type (HubSpot's default searchable properties).
const std::vector<std::string>& DefaultSearchableProperties(ObjectType t);

}  // namespace revlens::emulator
