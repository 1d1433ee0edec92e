#pragma once
/// `revlens report`: every result table of the model schema as CSV, and one self-contained HTML report
/// (`report.html`: inline CSS and inline SVG charts, no script, no external reference) with a section per
/// product. The report reads only the warehouse's tables, so it shows what the products last wrote; a product
/// whose tables are absent gets a section that says so.
#include <cstdint>
#include <string>
#include <vector>

namespace revlens::warehouse {
class Warehouse;
}

namespace revlens::pipeline {

/// Where and what to write.
struct ReportOptions {
  std::string schema = "revlens";          ///< model schema holding the result tables
  std::string out_dir = "revlens-report";  ///< created if missing; files in it are replaced
  std::string title = "revlens report";
  int64_t now_ms = 0;  ///< the "generated at" stamp; 0 = the wall clock
};

/// One exported table.
struct TableExport {
  std::string table;
  std::string product;  ///< leads, icp, forecast, competitive, activity, alerts, runs
  int64_t rows = 0;
  std::string file;  ///< the CSV's path
};

/// What a report wrote.
struct ReportSummary {
  std::string out_dir;
  std::string html_path;
  std::vector<TableExport> tables;                 ///< tables found and exported
  std::vector<std::string> missing;                ///< known result tables that are not in the schema
  std::vector<std::string> sections_without_data;  ///< products whose section says it has not run
  int64_t html_bytes = 0;
  double seconds = 0;
  /// `revlens report --json`.
  std::string ToJson() const;
};

/// The result tables the report knows, in report order, with their product (activity tables are found by
/// their `activity` prefix in addition to these).
const std::vector<std::pair<std::string, std::string>>& KnownResultTables();

/// Write `<out_dir>/<table>.csv` for every result table present (RFC 4180; header row; NULL as an empty field;
/// model_runs without its `artifact` column, the serialized model) and `<out_dir>/report.html`. Throws IOError
/// when a file cannot be written, WarehouseError when a query fails.
ReportSummary WriteReport(warehouse::Warehouse& wh, const ReportOptions& options);

}  // namespace revlens::pipeline
