#include "emulator/landing/landing.hpp"

#include <algorithm>
#include <array>
#include <chrono>

#include "core/time_util.hpp"
#include "emulator/landing/landing_internal.hpp"

namespace revlens::landing {

using warehouse::Warehouse;

LandSummary LandPortal(Warehouse& wh, const emulator::Portal& portal, const LandOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  LandSummary summary;
  summary.format = std::string(LandingFormatName(options.format));
  summary.schema = options.schema;
  const warehouse::Timestamp synced = options.synced_at.value_or(warehouse::TimestampFromMillis(NowMillis()));
  wh.CreateSchema(options.schema);
  warehouse::Transaction tx(wh);
  auto sink = [&](internal::Table t) { internal::WriteTable(wh, options.schema, t, summary); };
  if (options.format == LandingFormat::kFivetran) {
    internal::FivetranTables(portal, synced, summary.unconvertible_values, sink);
  } else {
    internal::AirbyteTables(portal, synced, summary.unconvertible_values, sink);
  }
  tx.Commit();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return summary;
}

namespace {

// revlens's raw layout names a property column after the property, except where that clashes with one of its
// fixed record columns (src/sync/raw_layout.hpp); the staging models keep that naming.
std::string CanonicalName(const std::string& property) {
  static const std::array<const char*, 7> kFixed = {"id",          "created_at",     "updated_at", "is_deleted",
                                                    "archived_at", "merged_into_id", "synced_at"};
  for (const char* f : kFixed) {
    if (property == f) return "property_" + property;
  }
  return property;
}

}  // namespace

std::map<std::string, std::string> PassThroughVars(Warehouse& wh, const std::string& schema, LandingFormat format) {
  struct Source {
    const char* table;
    const char* var;
    std::vector<std::string> skip;  ///< properties the staging model maps itself
  };
  const bool fivetran = format == LandingFormat::kFivetran;
  const std::string prefix = fivetran ? "property_" : "properties_";
  const std::vector<Source> sources =
      fivetran ? std::vector<Source>{{"contact", "fivetran_contact_columns", {}},
                                     {"company", "fivetran_company_columns", {}},
                                     {"deal", "fivetran_deal_columns", {"pipeline", "dealstage", "hubspot_owner_id"}}}
               : std::vector<Source>{{"contacts", "airbyte_contact_columns", {}},
                                     {"companies", "airbyte_company_columns", {}},
                                     {"deals", "airbyte_deal_columns", {}}};
  std::map<std::string, std::string> vars;
  for (const auto& s : sources) {
    std::string list;
    for (const auto& c : wh.Columns(schema, s.table)) {
      if (c.name.size() <= prefix.size() || c.name.compare(0, prefix.size(), prefix) != 0) continue;
      const std::string property = c.name.substr(prefix.size());
      if (std::find(s.skip.begin(), s.skip.end(), property) != s.skip.end()) continue;
      if (!list.empty()) list += ",\n  ";
      list += Warehouse::QuoteIdent(c.name) + " as " + Warehouse::QuoteIdent(CanonicalName(property));
    }
    if (!list.empty()) vars[s.var] = list;
  }
  return vars;
}

}  // namespace revlens::landing
