// `revlens demo`: the main job on the embedded default. Generate the synthetic portal, serve it with the
// emulator, sync it into the warehouse (duckdb://revlens.duckdb unless configured otherwise) through the real
// client, check every live record arrived, and print a summary. It grows into the full pipeline
// (sync -> build -> products) as those land.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "app/commands.hpp"
#include "core/config.hpp"
#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "emulator/generator/generator.hpp"
#include "emulator/server.hpp"
#include "hubspot/client.hpp"
#include "models/runner.hpp"
#include "sync/sync.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::app {
namespace {

struct DemoArgs {
  emulator::GeneratorOptions gen;
  std::string warehouse;
  bool keep_serving = false;
  bool json = false;
  int port = 0;
};

int RunDemo(const DemoArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  auto g = emulator::GeneratePortal(a.gen);
  const double gen_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json truth = g.truth;

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  // What the portal holds, to compare with what the sync loads.
  nlohmann::json served = nlohmann::json::object();
  int64_t first_created = 0, last_created = 0;
  for (auto t : emulator::kAllObjectTypes) {
    int64_t live = 0;
    for (const auto& r : g.portal->Table(t).Records()) {
      live += r.archived ? 0 : 1;
      if (first_created == 0 || r.created_ms < first_created) first_created = r.created_ms;
      last_created = std::max(last_created, r.created_ms);
    }
    served[std::string(emulator::ObjectTypeName(t))] = live;
  }
  // The portal's product-usage file, as a user would point the sync at theirs.
  const std::string usage_path =
      // A fixed name: the sync replaces product usage per source file, so a rerun replaces, never duplicates.
      (std::filesystem::temp_directory_path() / "revlens_demo_product_usage.csv").string();
  {
    std::ofstream f(usage_path, std::ios::binary);
    f << g.product_usage_csv;
  }

  emulator::ServeOptions so;
  so.port = a.port;
  emulator::EmulatorServer server(std::move(g.portal), so);
  server.Start();

  const Settings settings = LoadSettings();
  const std::string url = a.warehouse.empty() ? settings.warehouse_url.value : a.warehouse;
  auto wh = warehouse::OpenWarehouse(url);
  hubspot::ClientOptions co;
  co.base_url = server.BaseUrl();
  co.access_token = so.token;
  co.initial_per_ten_seconds = 0;  // the demo emulator runs without rate limits
  co.search_per_second = 0;
  hubspot::Client client(co);
  sync::SyncOptions o;
  o.product_usage_path = usage_path;
  if (!a.json && isatty(STDERR_FILENO)) {
    o.progress = [](const std::string&, const std::string& line, bool final) {
      if (final) std::fprintf(stderr, "  %s\n", line.c_str());
    };
  }
  sync::SyncSummary s;
  try {
    s = sync::RunSync(client, *wh, o);
  } catch (...) {
    std::filesystem::remove(usage_path);
    throw;
  }
  std::filesystem::remove(usage_path);

  // The SQL models on top of the raw tables, when the model project is present.
  std::optional<models::BuildReport> build;
  const std::string project = DefaultModelProject();
  if (std::filesystem::exists(std::filesystem::path(project) / "dbt_project.yml")) {
    models::BuildOptions bo;
    bo.project_dir = project;
    bo.raw_schema = o.schema;
    // The synthetic portal ends at its anchor date: freshness is judged as of the sync, not the wall clock.
    bo.now_ms = NowMillis();
    build = models::Build(*wh, bo);
  }

  nlohmann::json loaded = nlohmann::json::object();
  for (auto& [type, n] : served.items()) {
    loaded[type] = wh->Query("SELECT COUNT(*) FROM " + warehouse::Warehouse::QualifiedName(o.schema, type) +
                             " WHERE NOT is_deleted")
                       .Scalar<int64_t>();
  }
  nlohmann::json out = {{"emulator", server.BaseUrl()},
                        {"warehouse", wh->Describe()},
                        {"generated_seconds", gen_s},
                        {"served", served},
                        {"loaded", loaded},
                        {"complete", served == loaded},
                        {"sync", nlohmann::json::parse(s.ToJson())}};
  if (build) out["build"] = nlohmann::json::parse(build->ToJson());
  if (first_created != 0) out["created_range"] = {FormatIsoMillis(first_created), FormatIsoMillis(last_created)};
  if (truth.contains("oracle_auc")) out["oracle_auc"] = truth["oracle_auc"];
  if (truth.contains("anchor_date")) out["anchor_date"] = truth["anchor_date"];
  if (a.json) {
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("revlens demo: synthetic '%s' portal (seed %llu) generated in %.2f s\n", a.gen.size.c_str(),
                static_cast<unsigned long long>(a.gen.seed), gen_s);
    std::printf("emulator serving HubSpot's CRM API at %s\n", server.BaseUrl().c_str());
    std::printf("synced into %s in %.1f s: %lld requests, %lld rows written, %lld quarantined\n",
                wh->Describe().c_str(), s.seconds, static_cast<long long>(s.requests),
                static_cast<long long>(s.rows_written), static_cast<long long>(s.quarantined));
    std::printf("  %-18s %10s %10s\n", "table", "rows", "portal");
    for (const auto& [t, n] : s.table_rows) {
      if (served.contains(t)) {
        std::printf("  %-18s %10lld %10lld live\n", t.c_str(), static_cast<long long>(n),
                    served[t].get<long long>());
      } else {
        std::printf("  %-18s %10lld\n", t.c_str(), static_cast<long long>(n));
      }
    }
    if (out.contains("created_range"))
      std::printf("records created %s .. %s\n", out["created_range"][0].get<std::string>().c_str(),
                  out["created_range"][1].get<std::string>().c_str());
    if (out.contains("anchor_date")) std::printf("anchor date: %s\n", out["anchor_date"].get<std::string>().c_str());
    if (out.contains("oracle_auc"))
      std::printf("oracle AUC (true conversion probabilities vs outcomes): %.3f\n", out["oracle_auc"].get<double>());
    if (build) {
      int64_t passed = 0;
      for (const auto& t : build->tests) passed += t.status == "pass" ? 1 : 0;
      std::printf("built %zu models in schema %s (%.1f s); data tests passed %lld of %zu\n", build->models.size(),
                  build->target_schema.c_str(), build->total_seconds, static_cast<long long>(passed),
                  build->tests.size());
      for (const auto& line : build->FailureLines()) std::printf("%s\n", line.c_str());
    } else {
      std::printf("no model project found (sql/dbt_project.yml): models not built\n");
    }
    std::printf("next: the five products land on this same warehouse.\n");
  }
  std::fflush(stdout);
  if (a.keep_serving) {
    std::printf("serving until Ctrl-C\n");
    std::fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
  }
  server.Stop();
  if (served != loaded) {
    std::fprintf(stderr, "revlens demo: the warehouse's live records differ from the portal's\n");
    return 1;
  }
  if (build && !build->Ok()) {
    for (const auto& line : build->FailureLines()) std::fprintf(stderr, "revlens demo: %s\n", line.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

void AddDemo(CLI::App& app) {
  auto args = std::make_shared<DemoArgs>();
  auto* cmd = app.add_subcommand(
      "demo", "Run the main job on the embedded default: synthetic portal -> emulator -> sync into the warehouse");
  cmd->add_option("--size", args->gen.size, "Synthetic portal size: small | demo | large")->capture_default_str();
  cmd->add_option("--seed", args->gen.seed, "Generator seed")->capture_default_str();
  cmd->add_option("--anchor-date", args->gen.anchor_date, "Anchor date YYYY-MM-DD (default: today)");
  cmd->add_option("--warehouse", args->warehouse, "Warehouse URL (default: REVLENS_WAREHOUSE or duckdb://revlens.duckdb)");
  cmd->add_option("--port", args->port, "Emulator port (0 = a free port)")->capture_default_str();
  cmd->add_flag("--keep-serving", args->keep_serving, "Keep the emulator running after the demo until Ctrl-C");
  cmd->add_flag("--json", args->json, "Print the summary as JSON");
  SetAction(cmd, [args] { return RunDemo(*args); });
}

}  // namespace revlens::app
