// `revlens demo`: the main job on the embedded default. For now: generate the demo portal,
// serve it with the emulator, read it back over HTTP as a client would, and print a summary.
// It grows into the full pipeline (sync -> build -> products) as those land.
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "emulator/generator/generator.hpp"
#include "emulator/server.hpp"

namespace revlens::app {
namespace {

struct DemoArgs {
  emulator::GeneratorOptions gen;
  bool keep_serving = false;
  bool json = false;
  int port = 0;
};

// Page through one object type with the public list API; returns the number of records read.
int64_t ReadAll(httplib::Client& cli, const std::string& token, std::string_view type, int64_t& pages) {
  std::string after;
  int64_t n = 0;
  httplib::Headers h = {{"Authorization", "Bearer " + token}};
  while (true) {
    std::string path = "/crm/v3/objects/" + std::string(type) + "?limit=100";
    if (!after.empty()) path += "&after=" + after;
    auto res = cli.Get(path, h);
    if (!res) throw IOError("demo: request failed: " + httplib::to_string(res.error()));
    if (res->status != 200) throw IOError("demo: " + path + " answered " + std::to_string(res->status));
    auto j = nlohmann::json::parse(res->body);
    n += static_cast<int64_t>(j["results"].size());
    ++pages;
    if (!j.contains("paging")) break;
    after = j["paging"]["next"]["after"].get<std::string>();
  }
  return n;
}

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

  // What the portal holds (live records), to compare with what the API serves back.
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

  emulator::ServeOptions so;
  so.port = a.port;
  emulator::EmulatorServer server(std::move(g.portal), so);
  server.Start();

  httplib::Client cli(server.BaseUrl());
  cli.set_keep_alive(true);
  nlohmann::json counts = nlohmann::json::object();
  int64_t pages = 0;
  const auto t1 = std::chrono::steady_clock::now();
  for (auto t : emulator::kAllObjectTypes) {
    counts[std::string(emulator::ObjectTypeName(t))] = ReadAll(cli, so.token, emulator::ObjectTypeName(t), pages);
  }
  const double read_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();

  nlohmann::json out = {{"emulator", server.BaseUrl()},
                        {"generated_seconds", gen_s},
                        {"served", served},
                        {"read_back", counts},
                        {"complete", served == counts},
                        {"pages", pages},
                        {"pages_per_second", read_s > 0 ? static_cast<double>(pages) / read_s : 0.0}};
  if (first_created != 0) out["created_range"] = {FormatIsoMillis(first_created), FormatIsoMillis(last_created)};
  if (truth.contains("oracle_auc")) out["oracle_auc"] = truth["oracle_auc"];
  if (truth.contains("anchor_date")) out["anchor_date"] = truth["anchor_date"];
  if (a.json) {
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("revlens demo: synthetic '%s' portal (seed %llu) generated in %.2f s\n", a.gen.size.c_str(),
                static_cast<unsigned long long>(a.gen.seed), gen_s);
    std::printf("emulator serving HubSpot's CRM API at %s (token: see --help)\n", server.BaseUrl().c_str());
    std::printf("read back through the list API (%lld pages, %.0f pages/s):\n", static_cast<long long>(pages),
                out["pages_per_second"].get<double>());
    for (auto& [k, v] : counts.items()) std::printf("  %-10s %8lld\n", k.c_str(), v.get<long long>());
    if (out.contains("created_range"))
      std::printf("records created %s .. %s\n", out["created_range"][0].get<std::string>().c_str(),
                  out["created_range"][1].get<std::string>().c_str());
    if (out.contains("anchor_date")) std::printf("anchor date: %s\n", out["anchor_date"].get<std::string>().c_str());
    if (out.contains("oracle_auc"))
      std::printf("oracle AUC (true conversion probabilities vs outcomes): %.3f\n", out["oracle_auc"].get<double>());
    std::printf("next: sync, models and the five products land on this same portal.\n");
  }
  std::fflush(stdout);
  if (a.keep_serving) {
    std::printf("serving until Ctrl-C\n");
    std::fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
  }
  server.Stop();
  if (served != counts) {
    std::fprintf(stderr, "revlens demo: read-back counts differ from the portal's live records\n");
    return 1;
  }
  return 0;
}

}  // namespace

void AddDemo(CLI::App& app) {
  auto args = std::make_shared<DemoArgs>();
  auto* cmd = app.add_subcommand("demo", "Run the main job on the embedded default (emulator + synthetic portal)");
  cmd->add_option("--size", args->gen.size, "Synthetic portal size: small | demo | large")->capture_default_str();
  cmd->add_option("--seed", args->gen.seed, "Generator seed")->capture_default_str();
  cmd->add_option("--anchor-date", args->gen.anchor_date, "Anchor date YYYY-MM-DD (default: today)");
  cmd->add_option("--port", args->port, "Emulator port (0 = a free port)")->capture_default_str();
  cmd->add_flag("--keep-serving", args->keep_serving, "Keep the emulator running after the demo until Ctrl-C");
  cmd->add_flag("--json", args->json, "Print the summary as JSON");
  SetAction(cmd, [args] { return RunDemo(*args); });
}

}  // namespace revlens::app
