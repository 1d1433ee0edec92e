// `revlens serve`: receive HubSpot webhooks (signed, stored durably) and act on them in real time.
#include <pthread.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/commands.hpp"
#include "core/config.hpp"
#include "core/errors.hpp"
#include "insights/compete.hpp"
#include "serve/server.hpp"

namespace revlens::app {
namespace {

struct ServeArgs {
  std::string listen = "127.0.0.1:8787";
  std::string warehouse;
  std::string store;
  std::string schema = "revlens";
  std::string public_url;
  std::string secret_file;
  int workers = 16;
  bool json = false;
  bool quiet = false;
};

int RunServe(const ServeArgs& a) {
  const Settings settings = LoadSettings();
  serve::ServeOptions o;
  const auto colon = a.listen.rfind(':');
  if (colon == std::string::npos)
    throw ConfigError("--listen " + a.listen + ": expected host:port, e.g. 127.0.0.1:8787");
  o.host = a.listen.substr(0, colon);
  try {
    o.port = std::stoi(a.listen.substr(colon + 1));
  } catch (const std::exception&) {
    throw ConfigError("--listen " + a.listen + ": the port is not a number");
  }
  o.warehouse_url = a.warehouse.empty() ? settings.warehouse_url.value : a.warehouse;
  o.store_url = a.store;
  o.model_schema = a.schema;
  o.public_url = a.public_url;
  o.http_threads = a.workers;
  o.client_secret = settings.hubspot_client_secret.value;
  if (o.client_secret.empty() && !a.secret_file.empty()) {
    std::ifstream in(a.secret_file, std::ios::binary);
    if (!in) throw ConfigError("--client-secret-file " + a.secret_file + " cannot be read");
    std::stringstream ss;
    ss << in.rdbuf();
    o.client_secret = ss.str();
    while (!o.client_secret.empty() &&
           (o.client_secret.back() == '\n' || o.client_secret.back() == '\r' || o.client_secret.back() == ' '))
      o.client_secret.pop_back();
  }
  o.hubspot.base_url = settings.hubspot_api_base.value;
  o.hubspot.access_token = settings.hubspot_access_token.value;
  if (settings.slack_webhook_url.IsSet()) o.slack_webhook_urls.push_back(settings.slack_webhook_url.value);
  for (const auto& w : settings.webhooks) o.webhooks.push_back({w.url, w.secret});
  o.competitors = insights::ConfiguredCompetitors();
  if (!a.quiet) o.log = [](const std::string& line) { std::fprintf(stderr, "revlens serve: %s\n", line.c_str()); };
  const bool token = !o.hubspot.access_token.empty();

  const StopSignals stop;

  serve::ServeServer server(std::move(o));
  const int port = server.Start();
  if (!a.json) {
    std::printf("revlens serve: listening on http://%s:%d/webhooks/hubspot (events in %s)%s\n",
                a.listen.substr(0, colon).c_str(), port, server.Store().Describe().c_str(),
                token ? "" : "; no HUBSPOT_ACCESS_TOKEN: events are stored but contacts are not scored");
    std::printf("Ctrl-C to stop\n");
    std::fflush(stdout);
  }
  stop.Wait();
  server.Stop();
  const auto stats = server.Stats();
  const auto counts = server.Store().Counts();
  if (a.json) {
    nlohmann::json j = stats.ToJson();
    j["port"] = port;
    j["store"] = {{"events", counts.events}, {"processed", counts.processed}, {"pending", counts.pending}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf(
        "revlens serve: %lld events received (%lld new, %lld duplicates), %lld processed, %lld pending, "
        "%lld requests rejected\n",
        static_cast<long long>(stats.events_received), static_cast<long long>(stats.events_new),
        static_cast<long long>(stats.duplicates), static_cast<long long>(stats.processed),
        static_cast<long long>(counts.pending), static_cast<long long>(stats.rejected));
  }
  return 0;
}

}  // namespace

void AddServe(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand(
      "serve",
      "Receive HubSpot webhooks: verify the v3 signature (HUBSPOT_CLIENT_SECRET), store each event before answering, "
      "then score changed contacts, alert on competitors mentioned on open deals and flag deal stage changes");
  cmd->add_option("--listen", args->listen, "host:port to listen on")->capture_default_str();
  cmd->add_option("--warehouse", args->warehouse, "Warehouse URL (default: REVLENS_WAREHOUSE / revlens.toml)");
  cmd->add_option("--store", args->store,
                  "Event store URL (default: revlens-events.duckdb beside a DuckDB warehouse; the same database for "
                  "PostgreSQL)");
  cmd->add_option("--schema", args->schema, "Model schema: lead model, alerts, deal flags")->capture_default_str();
  cmd->add_option("--public-url", args->public_url,
                  "The target URL as set in the HubSpot app, when a proxy changes scheme or host (it is what HubSpot "
                  "signs)");
  cmd->add_option("--client-secret-file", args->secret_file,
                  "File holding the client secret, when HUBSPOT_CLIENT_SECRET is not set");
  cmd->add_option("--workers", args->workers, "Receiver threads")->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_flag("--json", args->json, "Print the figures as one JSON line on exit");
  cmd->add_flag("--quiet", args->quiet, "No log lines on stderr");
  SetAction(cmd, [args] { return RunServe(*args); });
}

}  // namespace revlens::app
