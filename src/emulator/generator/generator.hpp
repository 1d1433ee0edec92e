#pragma once
/// The synthetic B2B portal with known ground truth (issue: synthetic portal).
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "emulator/store.hpp"

namespace revlens::emulator {

/// What to generate. Sizes set the counts; explicit counts override them.
struct GeneratorOptions {
  std::string size = "demo";       ///< small | demo | large
  uint64_t seed = 42;
  std::string anchor_date;         ///< YYYY-MM-DD; empty = today (UTC)
  int64_t contacts = -1, companies = -1, deals = -1, engagements = -1;  ///< -1 = from size
  bool effects = true;             ///< false: every planted effect switched off (null portal)
  int threads = 0;                 ///< worker threads; 0 = every core (the output is the same either way)
};

/// A generated portal and its ground truth (JSON, as `revlens emulator truth` prints it).
struct GeneratedPortal {
  std::unique_ptr<Portal> portal;
  nlohmann::json truth;
  std::string product_usage_csv;  ///< daily product events, CSV with a header row
};

/// Generate deterministically: the same options give the same portal, byte for byte once saved.
GeneratedPortal GeneratePortal(const GeneratorOptions& options);

/// Write a portal (and truth, product usage) into directory `path`; deterministic bytes.
void SavePortal(const GeneratedPortal& g, const std::string& path);
/// Load a portal directory written by SavePortal. Throws InvalidInputError naming file and line.
GeneratedPortal LoadPortal(const std::string& path);
/// Read only the ground truth (`truth.json`) of a portal directory written by SavePortal.
nlohmann::json LoadTruth(const std::string& path);

/// Write contacts.csv, companies.csv and deals.csv into directory `dir` (created if missing) as HubSpot's UI
/// exports them: label headers, `Record ID`, option labels, owners by name, portal-time-zone `YYYY-MM-DD HH:MM`
/// times, `Associated ... IDs` columns, `Date entered "<stage> (<pipeline>)"` columns, RFC 4180 quoting; live
/// records only (export_csv.cpp). Throws IOError when a file cannot be written.
void WriteHubSpotExports(const Portal& portal, const std::string& dir);

}  // namespace revlens::emulator
