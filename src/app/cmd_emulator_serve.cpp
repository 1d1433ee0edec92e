// `revlens emulator serve`: run the HubSpot API emulator on a portal.
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "emulator/enrichment.hpp"
#include "emulator/generator/generator.hpp"
#include "emulator/server.hpp"

namespace revlens::app {
namespace {

struct ServeArgs {
  emulator::ServeOptions serve;
  std::string portal_path;
  emulator::GeneratorOptions gen;
  bool empty = false;
  bool json = false;
  std::string webhook_url;
};

nlohmann::json Summary(const emulator::Portal& p, const std::string& url) {
  nlohmann::json counts = nlohmann::json::object();
  int64_t min_created = 0, max_created = 0;
  for (auto t : emulator::kAllObjectTypes) {
    const auto& recs = p.Table(t).Records();
    counts[std::string(emulator::ObjectTypeName(t))] = recs.size();
    for (const auto& r : recs) {
      if (min_created == 0 || r.created_ms < min_created) min_created = r.created_ms;
      if (r.created_ms > max_created) max_created = r.created_ms;
    }
  }
  nlohmann::json j = {{"url", url}, {"portalId", p.portal_id}, {"counts", counts},
                      {"owners", p.owners.size()}, {"pipelines", p.deal_pipelines.size()}};
  if (min_created != 0) j["createdRange"] = {FormatIsoMillis(min_created), FormatIsoMillis(max_created)};
  return j;
}

int RunServe(ServeArgs& a) {
  if (const char* t = std::getenv("REVLENS_EMULATOR_TOKEN"); t != nullptr && a.serve.token.empty()) a.serve.token = t;
  if (const char* s = std::getenv("HUBSPOT_CLIENT_SECRET"); s != nullptr && a.serve.client_secret.empty())
    a.serve.client_secret = s;
  if (a.serve.token.empty()) a.serve.token = "revlens-emulator-token";
  if (a.serve.client_secret.empty()) a.serve.client_secret = "revlens-emulator-secret";

  emulator::GeneratedPortal g;
  if (!a.portal_path.empty()) {
    g = emulator::LoadPortal(a.portal_path);
  } else if (a.empty) {
    g.portal = std::make_unique<emulator::Portal>();
    emulator::InstallDefaultSchema(*g.portal, NowMillis());
  } else {
    g = emulator::GeneratePortal(a.gen);
  }
  if (!a.webhook_url.empty()) g.portal->webhook_target_url = a.webhook_url;

  const StopSignals stop;  // before any thread starts

  emulator::EmulatorServer server(std::move(g.portal), a.serve);
  server.Enrichment().Load(g.truth);  // the emulated enrichment provider under /_enrichment/
  const int port = server.Start();
  (void)port;
  {
    std::shared_lock lock(server.GetPortal().mutex);
    auto s = Summary(server.GetPortal(), server.BaseUrl());
    if (g.truth.contains("oracle_auc")) s["oracleAuc"] = g.truth["oracle_auc"];
    if (a.json) {
      std::printf("%s\n", s.dump().c_str());
    } else {
      std::printf("revlens emulator listening on %s\n", server.BaseUrl().c_str());
      std::printf("portal %lld:", static_cast<long long>(server.GetPortal().portal_id));
      for (auto& [k, v] : s["counts"].items()) std::printf(" %s=%lld", k.c_str(), v.get<long long>());
      std::printf("\n");
      if (s.contains("createdRange"))
        std::printf("records created %s .. %s\n", s["createdRange"][0].get<std::string>().c_str(),
                    s["createdRange"][1].get<std::string>().c_str());
      if (s.contains("oracleAuc")) std::printf("oracle AUC %.3f\n", s["oracleAuc"].get<double>());
      std::printf("rate limit: %s; faults: %s; stop with Ctrl-C\n", a.serve.rate_limit.c_str(),
                  a.serve.faults.empty() ? "none" : a.serve.faults.c_str());
    }
    std::fflush(stdout);
  }
  stop.Wait();
  server.Stop();
  return 0;
}

}  // namespace

void AddEmulatorServe(CLI::App& emulator) {
  auto args = std::make_shared<ServeArgs>();
  args->serve.token.clear();
  args->serve.client_secret.clear();
  auto* cmd = emulator.add_subcommand("serve", "Serve HubSpot's CRM API from a synthetic or saved portal on 127.0.0.1");
  cmd->add_option("--host", args->serve.host, "Address to bind")->capture_default_str();
  cmd->add_option("--port", args->serve.port, "Port to listen on (0 = a free port, printed on start)")
      ->capture_default_str();
  auto* portal = cmd->add_option("--portal", args->portal_path, "Serve a portal directory written by `emulator generate`");
  cmd->add_option("--size", args->gen.size, "Generate a portal of this size on start: small | demo | large")
      ->capture_default_str()
      ->excludes(portal);
  cmd->add_option("--seed", args->gen.seed, "Generator seed (also seeds fault injection)")->capture_default_str();
  cmd->add_option("--anchor-date", args->gen.anchor_date, "Generator anchor date YYYY-MM-DD (default: today)");
  cmd->add_flag("--empty", args->empty, "Start with an empty portal (default schema only)")->excludes(portal);
  cmd->add_option("--rate-limit", args->serve.rate_limit, "Rate-limit tier: free | starter | pro | enterprise | none")
      ->capture_default_str();
  cmd->add_option("--faults", args->serve.faults,
                  "Fault spec, e.g. 5xx=0.1,429=0.05,reset=0.02,truncate=0.02,slow=0.01,slow_ms=6000 "
                  "(also changeable at POST /_emulator/faults)");
  cmd->add_option("--token", args->serve.token,
                  "Bearer token the emulator accepts (test token, not a secret; default from "
                  "REVLENS_EMULATOR_TOKEN, else revlens-emulator-token)");
  cmd->add_option("--client-secret", args->serve.client_secret,
                  "Client secret that signs outgoing webhooks (default from HUBSPOT_CLIENT_SECRET, else "
                  "revlens-emulator-secret)");
  cmd->add_option("--webhook-url", args->webhook_url, "Deliver webhooks to this URL (the app's target URL)");
  cmd->add_option("--threads", args->serve.threads, "Worker threads (0 = max(16, 4 x cores)); each open connection holds one")->capture_default_str();
  cmd->add_flag("--json", args->json, "Print the start-up summary as JSON");
  SetAction(cmd, [args] {
    args->serve.seed = args->gen.seed;
    return RunServe(*args);
  });
}

}  // namespace revlens::app
