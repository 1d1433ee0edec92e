#pragma once
/// Each command registers its CLI11 subcommand and a callback; RunSelected runs the chosen one.
#include <CLI/CLI.hpp>
#include <csignal>
#include <functional>
#include <string>

namespace revlens::app {

/// SIGINT and SIGTERM, blocked in the calling thread and so in every thread it starts afterwards: made before a
/// command starts its server threads, so only Wait() sees them and the command stops its servers cleanly.
class StopSignals {
 public:
  StopSignals();
  /// Wait for SIGINT or SIGTERM; returns which.
  int Wait() const;

 private:
  sigset_t set_{};
};

/// `revlens emulator serve|generate|truth`.
void AddEmulatorCommands(CLI::App& app);
void AddEmulatorServe(CLI::App& emulator);     ///< cmd_emulator_serve.cpp
void AddEmulatorGenerate(CLI::App& emulator);  ///< cmd_emulator_generate.cpp (generate + truth)

/// `revlens sync`.
void AddSync(CLI::App& app);  ///< cmd_sync.cpp

/// `revlens import`.
void AddImport(CLI::App& app);  ///< cmd_import.cpp

/// `revlens demo`.
void AddDemo(CLI::App& app);  ///< cmd_demo.cpp

/// `revlens build`.
void AddBuild(CLI::App& app);  ///< cmd_build.cpp
/// The model project `revlens build` runs by default: `sql/` in the working directory when it holds a
/// dbt_project.yml, else the `sql/` folder beside the binary's folder (cmd_build.cpp).
std::string DefaultModelProject();

/// `revlens enrich`.
void AddEnrich(CLI::App& app);  ///< cmd_enrich.cpp
/// `revlens icp`.
void AddIcp(CLI::App& app);  ///< cmd_icp.cpp

/// `revlens push`.
void AddPush(CLI::App& app);  ///< cmd_push.cpp

/// `revlens score`.
void AddScore(CLI::App& app);  ///< cmd_score.cpp

/// `revlens compete`.
void AddCompete(CLI::App& app);  ///< cmd_compete.cpp

/// `revlens forecast`.
void AddForecast(CLI::App& app);  ///< cmd_forecast.cpp

/// `revlens activity`.
void AddActivity(CLI::App& app);  ///< cmd_activity.cpp

/// `revlens alert`.
void AddAlert(CLI::App& app);  ///< cmd_alert.cpp

/// `revlens run`.
void AddRun(CLI::App& app);  ///< cmd_run.cpp

/// `revlens report`.
void AddReport(CLI::App& app);  ///< cmd_report.cpp

/// `revlens dashboard`.
void AddDashboard(CLI::App& app);  ///< cmd_dashboard.cpp

/// `revlens serve`.
void AddServe(CLI::App& app);  ///< cmd_serve.cpp

/// `revlens init`.
void AddInit(CLI::App& app);  ///< cmd_init.cpp

/// Remember what to run for a parsed subcommand; its return value is the exit code.
void SetAction(CLI::App* sub, std::function<int()> action);
/// Run the action of the deepest parsed subcommand.
int RunSelected(CLI::App& app);

}  // namespace revlens::app
