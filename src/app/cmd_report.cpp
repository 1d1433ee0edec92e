// `revlens report`: CSV for every result table and one self-contained HTML report (src/pipeline/report.hpp).
#include <cstdio>
#include <memory>
#include <string>

#include "app/commands.hpp"
#include "core/config.hpp"
#include "pipeline/report.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::app {
namespace {

struct ReportArgs {
  std::string warehouse;
  pipeline::ReportOptions options;
  bool json = false;
};

int RunReportCommand(const ReportArgs& a) {
  std::string url = a.warehouse;
  if (url.empty()) url = LoadSettings().warehouse_url.value;
  auto wh = warehouse::OpenWarehouse(url);
  const pipeline::ReportSummary r = pipeline::WriteReport(*wh, a.options);
  if (a.json) {
    std::printf("%s\n", r.ToJson().c_str());
    return 0;
  }
  std::printf("revlens report: %s, schema %s -> %s\n", wh->Describe().c_str(), a.options.schema.c_str(),
              r.out_dir.c_str());
  for (const auto& t : r.tables)
    std::printf("  %-26s %-12s %10lld rows\n", (t.table + ".csv").c_str(), t.product.c_str(),
                static_cast<long long>(t.rows));
  for (const auto& s : r.sections_without_data)
    std::printf("  section %-12s says it has no data (its product has not run)\n", s.c_str());
  std::printf("report.html: %s (%lld KB, self-contained) in %.2f s\n", r.html_path.c_str(),
              static_cast<long long>((r.html_bytes + 1023) / 1024), r.seconds);
  return 0;
}

}  // namespace

void AddReport(CLI::App& app) {
  auto a = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand(
      "report",
      "Write every result table as CSV and one self-contained HTML report with charts for all products (opens from "
      "disk, no network)");
  cmd->add_option("--warehouse", a->warehouse, "Warehouse URL (default: REVLENS_WAREHOUSE / revlens.toml)");
  cmd->add_option("--schema", a->options.schema, "Model schema holding the result tables")->capture_default_str();
  cmd->add_option("--report-dir", a->options.out_dir, "Folder for the CSV files and report.html (created if missing)")
      ->capture_default_str();
  cmd->add_option("--title", a->options.title, "Title of the HTML report")->capture_default_str();
  cmd->add_flag("--json", a->json, "Print what was written as JSON");
  SetAction(cmd, [a] { return RunReportCommand(*a); });
}

}  // namespace revlens::app
