// revlens: the command line. Nothing here but argument handling and calls into the libraries.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "app/commands.hpp"
#include "core/errors.hpp"

int main(int argc, char** argv) {
  CLI::App app{"revlens: revenue analytics for companies that run on HubSpot", "revlens"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "revlens 0.1.0");
  revlens::app::AddEmulatorCommands(app);
  revlens::app::AddSync(app);
  revlens::app::AddImport(app);
  revlens::app::AddDemo(app);
  revlens::app::AddBuild(app);
  revlens::app::AddEnrich(app);
  revlens::app::AddScore(app);
  revlens::app::AddPush(app);
  revlens::app::AddIcp(app);
  revlens::app::AddCompete(app);
  revlens::app::AddForecast(app);
  revlens::app::AddActivity(app);
  revlens::app::AddAlert(app);
  revlens::app::AddRun(app);
  revlens::app::AddReport(app);
  revlens::app::AddDashboard(app);
  revlens::app::AddServe(app);
  revlens::app::AddInit(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return revlens::app::RunSelected(app);
  } catch (const revlens::Error& e) {
    std::fprintf(stderr, "revlens: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "revlens: internal error: %s\n", e.what());
    return 2;
  }
}
