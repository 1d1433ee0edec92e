// `revlens import`: HubSpot CSV exports and product-usage files into the raw layout (src/sync/csv_import.hpp,
// src/sync/product_usage.hpp), for users without an API token.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "core/config.hpp"
#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "sync/csv_import.hpp"
#include "sync/product_usage.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::app {
namespace {

namespace fs = std::filesystem;

struct ImportArgs {
  std::vector<std::string> paths;
  std::string type;
  std::string warehouse;
  std::string schema = "hubspot";
  std::string time_zone = "UTC";
  bool json = false;
};

struct Planned {
  std::string path, type;
};

/// The header of a CSV file (the first record; exports' headers fit well inside the first megabyte).
std::vector<std::string> Header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError("cannot read " + path + ": no such file or not readable");
  std::string head(1 << 20, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return sync::ParseCsv(head).header;
}

/// Files to import: each path, or a directory's *.csv and *.parquet files; each with its type, in the order
/// that lets association names resolve (companies, contacts, deals, then product usage).
std::vector<Planned> PlanFiles(const ImportArgs& a) {
  std::vector<std::string> files;
  for (const auto& p : a.paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(p)) {
        const std::string ext = e.path().extension().string();
        if (e.is_regular_file() && (ext == ".csv" || ext == ".CSV" || ext == ".parquet"))
          found.push_back(e.path().string());
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) throw InvalidInputError(p + " holds no .csv or .parquet files to import");
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(p);
    }
  }
  std::vector<Planned> plan;
  for (const auto& f : files) {
    if (!fs::is_regular_file(f)) throw IOError("cannot read " + f + ": no such file");
    std::string type = a.type;
    if (type.empty()) {
      if (sync::LooksLikeProductUsage(f)) {
        type = "product_usage";
      } else if (auto t = sync::DetectExportType(Header(f))) {
        type = *t;
      } else {
        throw InvalidInputError(f +
                                " is not a HubSpot export (no `Record ID` column with contact, company or deal "
                                "columns) nor a product usage file (no event_date column); pass --type to say which");
      }
    }
    plan.push_back({f, type});
  }
  const auto rank = [](const std::string& t) {
    return t == "companies" ? 0 : t == "contacts" ? 1 : t == "deals" ? 2 : 3;
  };
  std::stable_sort(plan.begin(), plan.end(),
                   [&](const Planned& x, const Planned& y) { return rank(x.type) < rank(y.type); });
  return plan;
}

int RunImport(const ImportArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto plan = PlanFiles(a);
  const Settings settings = LoadSettings();
  const std::string url = a.warehouse.empty() ? settings.warehouse_url.value : a.warehouse;
  auto wh = warehouse::OpenWarehouse(url);
  const std::string run_id = "import-" + std::to_string(NowMillis());

  nlohmann::json files = nlohmann::json::array();
  int64_t quarantined = 0;
  for (const auto& p : plan) {
    nlohmann::json f = {{"path", p.path}, {"type", p.type}};
    if (p.type == "product_usage") {
      auto r = sync::ImportProductUsage(*wh, p.path, a.schema, run_id);
      f["format"] = r.format;
      f["rows"] = r.rows;
      f["quarantined"] = r.rejected;
      f["replaced"] = r.replaced;
      quarantined += r.rejected;
      if (!a.json)
        std::printf("%-28s product_usage  %lld rows (%s), %lld quarantined\n", p.path.c_str(),
                    static_cast<long long>(r.rows), r.format.c_str(), static_cast<long long>(r.rejected));
    } else {
      sync::ExportImportOptions o;
      o.schema = a.schema;
      o.object_type = p.type;
      o.time_zone = a.time_zone;
      o.run_id = run_id;
      auto r = sync::ImportHubSpotExport(*wh, p.path, o);
      f["rows"] = r.records;
      f["quarantined"] = r.quarantined;
      f["associations"] = r.associations;
      f["history"] = r.history;
      f["columns"] = r.columns;
      f["custom_properties"] = r.custom_properties;
      f["warnings"] = r.warnings;
      quarantined += r.quarantined;
      if (!a.json) {
        std::printf("%-28s %-13s  %lld rows, %lld columns, %lld associations, %lld history, %lld quarantined\n",
                    p.path.c_str(), p.type.c_str(), static_cast<long long>(r.records),
                    static_cast<long long>(r.columns), static_cast<long long>(r.associations),
                    static_cast<long long>(r.history), static_cast<long long>(r.quarantined));
        if (!r.custom_properties.empty())
          std::printf("  %zu column%s with no known property loaded as text (e.g. \"%s\")\n",
                      r.custom_properties.size(), r.custom_properties.size() == 1 ? "" : "s",
                      r.custom_properties.front().c_str());
        for (const auto& w : r.warnings) std::fprintf(stderr, "revlens: warning: %s\n", w.c_str());
      }
    }
    files.push_back(std::move(f));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (a.json) {
    nlohmann::json out = {{"warehouse", wh->Describe()}, {"schema", a.schema}, {"run_id", run_id}, {"files", files},
                          {"quarantined", quarantined},  {"seconds", seconds}};
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("imported %zu file(s) into %s (schema %s) in %.2f s", plan.size(), wh->Describe().c_str(),
                a.schema.c_str(), seconds);
    if (quarantined > 0)
      std::printf("; %lld malformed rows are in %s.quarantine", static_cast<long long>(quarantined), a.schema.c_str());
    std::printf("\n");
  }
  return 0;
}

}  // namespace

void AddImport(CLI::App& app) {
  auto args = std::make_shared<ImportArgs>();
  auto* cmd = app.add_subcommand(
      "import", "Load HubSpot CSV exports (contacts, companies, deals) and product usage files into the warehouse");
  cmd->add_option("paths", args->paths, "Files, or directories of .csv/.parquet files, to import")->required();
  cmd->add_option("--type", args->type, "What the files are (default: detected from each file's header)")
      ->check(CLI::IsMember({"contacts", "companies", "deals", "product_usage"}));
  cmd->add_option("--warehouse", args->warehouse,
                  "Warehouse URL (default: REVLENS_WAREHOUSE, .env, revlens.toml, else duckdb://revlens.duckdb)");
  cmd->add_option("--schema", args->schema, "Raw schema to write")->capture_default_str();
  cmd->add_option("--timezone", args->time_zone,
                  "The portal's time zone, in which exports print times (IANA name like America/New_York, or +02:00)")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print the summary as JSON");
  SetAction(cmd, [args] { return RunImport(*args); });
}

}  // namespace revlens::app
