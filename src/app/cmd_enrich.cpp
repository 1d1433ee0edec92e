// `revlens enrich`: fill missing firmographics from the configured providers within their monthly caps; `--report`
// shows what the spend bought; `--listen` takes Clay's callbacks; `--push` writes the values into HubSpot's own
// properties where they are empty.

#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>

#include "app/commands.hpp"
#include "core/config.hpp"
#include "core/errors.hpp"
#include "enrich/callback_server.hpp"
#include "enrich/enrich.hpp"
#include "hubspot/client.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::app {
namespace {

struct EnrichArgs {
  std::string warehouse, schema = "hubspot", config;
  bool dry_run = false, report = false, json = false, quiet = false, push = false, retry_quarantined = false;
  double emulated_cap = -1;
  int64_t max_requests = -1;
  int listen_port = -1;
  std::string listen_host = "127.0.0.1";
  int listen_seconds = 0;
};

int RunEnrichCommand(const EnrichArgs& a) {
  const Settings settings = LoadSettings();
  enrich::EnrichSettings es = enrich::LoadEnrichSettings(
      a.config.empty() ? std::nullopt : std::optional<std::string>(a.config), settings.hubspot_api_base.value);
  if (a.emulated_cap >= 0)
    es.providers.push_back(enrich::EmulatedProvider(settings.hubspot_api_base.value, 1.0, a.emulated_cap));
  if (a.push) es.push = true;
  // The push writes with the HubSpot token; a dry run uses it to re-read HubSpot when it is there.
  std::optional<hubspot::Client> client;
  if (es.push && !a.report) {
    if (settings.hubspot_access_token.IsSet()) {
      hubspot::ClientOptions co;
      co.base_url = settings.hubspot_api_base.value;
      co.access_token = settings.hubspot_access_token.value;
      client.emplace(co);
    } else if (a.push && !a.dry_run) {
      throw ConfigError(
          "--push needs a HubSpot token: set HUBSPOT_ACCESS_TOKEN (environment or .env) or [hubspot] access_token in "
          "revlens.toml (or add --dry-run)");
    }
  }
  auto wh = warehouse::OpenWarehouse(a.warehouse.empty() ? settings.warehouse_url.value : a.warehouse);

  if (a.report) {
    const auto r = enrich::BuildEnrichReport(*wh, a.schema, es);
    if (a.json) {
      std::printf("%s\n", r.ToJson().c_str());
    } else {
      std::printf("revlens enrich --report: %s, schema %s\n", wh->Describe().c_str(), a.schema.c_str());
      for (const auto& l : r.TextLines()) std::printf("  %s\n", l.c_str());
    }
    return 0;
  }

  std::vector<enrich::ProviderSettings> clay;
  for (const auto& p : es.providers)
    if (p.kind == "clay") clay.push_back(p);
  std::unique_ptr<enrich::CallbackServer> cb;
  if (a.listen_port >= 0) {
    if (clay.empty()) throw ConfigError("--listen takes Clay callbacks, but no provider has kind = \"clay\"");
    cb = std::make_unique<enrich::CallbackServer>(*wh, a.schema, clay);
    cb->Start(a.listen_host, a.listen_port);
    for (const auto& p : clay)
      std::fprintf(stderr, "revlens enrich: Clay callbacks for %s at %s\n", p.name.c_str(),
                   cb->CallbackUrl(p.name).c_str());
  }

  enrich::EnrichOptions o;
  o.schema = a.schema;
  o.settings = es;
  o.dry_run = a.dry_run;
  o.max_requests = a.max_requests;
  o.push_client = client ? &*client : nullptr;
  o.push.retry_quarantined = a.retry_quarantined;
  if (!a.quiet && !a.json)
    o.progress = [](const std::string& l) { std::fprintf(stderr, "revlens enrich: %s\n", l.c_str()); };
  enrich::EnrichSummary s;
  {
    std::unique_lock<std::mutex> lock;
    if (cb) lock = std::unique_lock(cb->WarehouseMutex());
    s = enrich::RunEnrich(*wh, o);
  }
  if (a.json) {
    std::printf("%s\n", s.ToJson().c_str());
  } else {
    std::printf("revlens enrich%s: %s, schema %s\n", a.dry_run ? " --dry-run" : "", wh->Describe().c_str(),
                a.schema.c_str());
    for (const auto& l : s.TextLines()) std::printf("  %s\n", l.c_str());
  }
  std::fflush(stdout);
  if (cb) {
    if (a.listen_seconds > 0) {
      std::this_thread::sleep_for(std::chrono::seconds(a.listen_seconds));
    } else {
      const StopSignals stop;
      std::fprintf(stderr, "revlens enrich: waiting for callbacks until Ctrl-C\n");
      stop.Wait();
    }
    cb->Stop();
  }
  return 0;
}

}  // namespace

void AddEnrich(CLI::App& app) {
  auto args = std::make_shared<EnrichArgs>();
  auto* cmd = app.add_subcommand(
      "enrich",
      "Fill missing company firmographics from enrichment providers (Clay, HTTP JSON APIs, the emulator's) within "
      "each provider's monthly credit cap; --report shows what the spend bought; --push writes them into HubSpot");
  cmd->add_option("--warehouse", args->warehouse,
                  "Warehouse URL (default: REVLENS_WAREHOUSE or duckdb://revlens.duckdb)");
  cmd->add_option("--schema", args->schema, "Raw schema the sync wrote (enrichment tables go there too)")
      ->capture_default_str();
  cmd->add_option("--config", args->config, "TOML file with [enrichment] (default: revlens.toml when present)");
  cmd->add_flag("--dry-run", args->dry_run, "Show what would be requested and what it would cost; send nothing");
  cmd->add_flag("--report", args->report, "Credits spent, fields filled, segment coverage before and after");
  cmd->add_option("--emulated-cap", args->emulated_cap,
                  "Add the emulator's provider (HUBSPOT_API_BASE/_enrichment) with this monthly cap, 1 credit a call");
  cmd->add_option("--max-requests", args->max_requests, "Stop after this many requests in this run");
  cmd->add_flag("--push", args->push,
                "Then write the values into HubSpot's own properties (industry, numberofemployees, ...) where HubSpot "
                "is empty; never over a person's value (also: push = true under [enrichment])");
  cmd->add_flag("--retry-quarantined", args->retry_quarantined,
                "With --push: also retry records HubSpot refused before (enrichment_push_quarantine)");
  cmd->add_option("--listen", args->listen_port, "Serve Clay callbacks on this port (0 = a free one) after the run");
  cmd->add_option("--listen-host", args->listen_host, "Address for --listen")->capture_default_str();
  cmd->add_option("--listen-seconds", args->listen_seconds, "With --listen: stop after this many seconds (0 = Ctrl-C)");
  cmd->add_flag("--json", args->json, "Print the summary as JSON");
  cmd->add_flag("--quiet", args->quiet, "No progress lines");
  SetAction(cmd, [args] { return RunEnrichCommand(*args); });
}

}  // namespace revlens::app
