// `revlens init`: write revlens.toml, .env.example, the GitHub Actions nightly workflow and the deploy files.
#include <cstdio>
#include <memory>

#include "app/commands.hpp"
#include "init/init.hpp"

namespace revlens::app {
namespace {

struct InitArgs {
  init::InitOptions options;
  bool json = false;
};

int RunInit(const InitArgs& a) {
  const init::InitReport r = init::Init(a.options);
  if (a.json) {
    std::printf("%s\n", r.ToJson().c_str());
    return 0;
  }
  std::printf("revlens init: %zu files in %s (warehouse %s)\n", r.files.size(), r.dir.c_str(), r.warehouse_url.c_str());
  for (const auto& f : r.files) std::printf("  %-12s %s\n", f.overwritten ? "overwritten" : "wrote", f.path.c_str());
  std::printf(
      "next: copy .env.example to .env (never commit it) and fill in HUBSPOT_ACCESS_TOKEN, then `revlens run`;\n"
      "      for GitHub Actions add the same names as repository secrets; deploy/README.md covers systemd and "
      "Docker\n");
  return 0;
}

}  // namespace

void AddInit(CLI::App& app) {
  auto args = std::make_shared<InitArgs>();
  auto* cmd = app.add_subcommand(
      "init", "Write revlens.toml, .env.example, a GitHub Actions nightly workflow and deploy/ (systemd, Docker)");
  cmd->add_option("dir", args->options.dir, "Folder to write into (created when missing)")->capture_default_str();
  cmd->add_flag("--force", args->options.force, "Overwrite existing files (without it, nothing is overwritten)");
  cmd->add_option("--warehouse", args->options.warehouse_url,
                  "[warehouse] url of the new revlens.toml (default duckdb://revlens.duckdb; no password)");
  cmd->add_flag("--json", args->json, "Print the files written as JSON");
  SetAction(cmd, [args] { return RunInit(*args); });
}

}  // namespace revlens::app
