#include "app/commands.hpp"

#include <map>

namespace revlens::app {
namespace {
std::map<CLI::App*, std::function<int()>>& Actions() {
  static std::map<CLI::App*, std::function<int()>> actions;
  return actions;
}
}  // namespace

StopSignals::StopSignals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
}

int StopSignals::Wait() const {
  int sig = 0;
  sigwait(&set_, &sig);
  return sig;
}

void SetAction(CLI::App* sub, std::function<int()> action) { Actions()[sub] = std::move(action); }

int RunSelected(CLI::App& app) {
  CLI::App* cur = &app;
  while (true) {
    auto subs = cur->get_subcommands();
    if (subs.empty()) break;
    cur = subs.front();
  }
  auto it = Actions().find(cur);
  if (it == Actions().end()) {
    std::fprintf(stderr, "%s", cur->help().c_str());
    return 2;
  }
  return it->second();
}

void AddEmulatorLand(CLI::App& emulator);  // cmd_emulator_land.cpp

void AddEmulatorCommands(CLI::App& app) {
  auto* emulator = app.add_subcommand("emulator", "The built-in HubSpot API emulator and synthetic portal");
  emulator->require_subcommand(1);
  AddEmulatorServe(*emulator);
  AddEmulatorGenerate(*emulator);
  AddEmulatorLand(*emulator);
}

}  // namespace revlens::app
