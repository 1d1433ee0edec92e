#pragma once
/// `revlens import`: HubSpot CSV exports (contacts, companies, deals exported from HubSpot's UI) into the raw
/// layout, for users without an API token. An export has a header row of property LABELS (`Record ID`,
/// `First Name`, `Deal Stage`, ...), enumeration values as their option labels, owners by name, association
/// columns (`Associated Company IDs`: `;`-separated ids, or the older `Associated Company`: names) and, for
/// deals, `Date entered "<stage> (<pipeline>)"` columns; times are wall-clock times in the portal's zone.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "warehouse/warehouse.hpp"

namespace revlens::sync {

/// One CSV record as read: its fields and the physical line it starts on (1-based; the header is line 1).
struct CsvRecord {
  size_t line = 0;
  std::vector<std::string> fields;
  std::string raw;    ///< the record's text as in the file (for quarantine)
  std::string error;  ///< non-empty when the record is malformed (an unterminated quote)
};

/// A parsed CSV file: the header row and the records after it.
struct CsvFile {
  std::vector<std::string> header;
  std::vector<CsvRecord> records;
};

/// Parse RFC 4180 CSV: a UTF-8 BOM is dropped; fields may be quoted, with `""` for a quote and embedded commas
/// and line breaks; CRLF or LF line ends; blank lines are skipped. Never throws on malformed text: a record
/// with an unterminated quote carries an error and ends the file.
CsvFile ParseCsv(std::string_view text);

/// Detect the object type of a HubSpot export from its header: `contacts`, `companies` or `deals`; nullopt
/// when the header has no record id column (`Record ID`, or the older `Contact ID`/`Company ID`/`Deal ID`)
/// or no column characteristic of one type.
std::optional<std::string> DetectExportType(const std::vector<std::string>& header);

/// What ImportHubSpotExport does.
struct ExportImportOptions {
  std::string schema = "hubspot";  ///< raw schema to write
  std::string object_type;         ///< contacts | companies | deals; empty = detect from the header
  std::string time_zone = "UTC";   ///< the portal's time zone, in which the export prints times
  std::string run_id;              ///< recorded on quarantine rows; empty = one made from the clock
};

/// What one file's import wrote.
struct ExportImportResult {
  std::string path;
  std::string object_type;
  int64_t records = 0;                         ///< rows written to the object table
  int64_t quarantined = 0;                     ///< malformed rows written to `quarantine` instead
  int64_t associations = 0;                    ///< rows written to `associations`
  int64_t history = 0;                         ///< rows written to `property_history`
  int64_t columns = 0;                         ///< property columns loaded
  std::vector<std::string> custom_properties;  ///< labels with no known property, loaded as snake_case names
  std::vector<std::string> warnings;           ///< one line each (unresolved association names, ...)
};

/// Import one HubSpot export file into `options.schema` (created with every raw table if missing), in one
/// transaction. Labels map to property names through the warehouse's `properties` table (a previous sync), else
/// HubSpot's default labels, else snake_case as a custom text property; option labels map back to values
/// through the same metadata, deal stages and pipelines through `pipelines`/`pipeline_stages`, owners through
/// `owners` (unknown ones stay as printed). Writes the object rows (replaced by id), `associations` in their
/// canonical direction (contacts->companies 279, deals->contacts 3, deals->companies 341, HUBSPOT_DEFINED, no
/// label; replaced for the imported records), `property_history` for deal stages (from the `Date entered`
/// columns) and contact lifecycle stages (from the `Became a ... Date` columns), `properties` rows for
/// properties the metadata did not have, and `quarantine` rows (reason `file:line: ...`) for malformed
/// records, replaced per file. Importing the same file twice leaves the same rows.
/// Throws InvalidInputError (one line) when the file is not a HubSpot export, IOError when it cannot be read.
ExportImportResult ImportHubSpotExport(warehouse::Warehouse& wh, const std::string& path,
                                       const ExportImportOptions& options);

}  // namespace revlens::sync
