#pragma once
// Shared set-up of the sync benchmarks: a generated portal served in this process by the emulator, a client
// pointed at it, and small helpers to print figures.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "emulator/generator/generator.hpp"
#include "emulator/server.hpp"
#include "hubspot/client.hpp"
#include "sync/sync.hpp"
#include "warehouse/warehouse.hpp"

namespace bench {

inline std::string ArgValue(int argc, char** argv, const std::string& key, const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == key) return argv[i + 1];
  }
  return def;
}

/// The emulator serving a generated portal, and a client for it.
struct Served {
  std::unique_ptr<revlens::emulator::EmulatorServer> server;
  revlens::hubspot::ClientOptions client_options;
  std::string token;
  double generate_seconds = 0;
};

inline Served Serve(const std::string& size, const std::string& tier, const std::string& faults = "") {
  Served s;
  revlens::emulator::GeneratorOptions g;
  g.size = size;
  g.seed = 42;
  g.anchor_date = "2026-06-30";
  const auto t0 = std::chrono::steady_clock::now();
  auto portal = revlens::emulator::GeneratePortal(g).portal;
  s.generate_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  revlens::emulator::ServeOptions so;
  so.rate_limit = tier;
  so.faults = faults;
  s.token = so.token;
  s.server = std::make_unique<revlens::emulator::EmulatorServer>(std::move(portal), so);
  s.server->Start();
  s.client_options.base_url = s.server->BaseUrl();
  s.client_options.access_token = so.token;
  if (tier == "none") {
    s.client_options.initial_per_ten_seconds = 0;
    s.client_options.search_per_second = 0;
  } else {
    s.client_options.search_per_second = 5;  // the emulator's (and HubSpot's documented) search limit
  }
  return s;
}

inline std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()))).string();
}

inline void RemoveDuck(const std::string& path) {
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".wal");
}

/// The directory of this executable (the revlens binary sits beside the benchmarks).
inline std::string SelfDir() {
  return std::filesystem::canonical("/proc/self/exe").parent_path().string();
}

inline const char* Verdict(bool ok) { return ok ? "MET" : "NOT MET"; }

}  // namespace bench

namespace bench {

/// Rows that differ between the same table in two schemas (both directions of EXCEPT), ignoring synced_at.
inline int64_t DiffTable(revlens::warehouse::Warehouse& wh, const std::string& a, const std::string& b,
                         const std::string& table) {
  using revlens::warehouse::Warehouse;
  std::string cols;
  for (const auto& c : wh.Columns(a, table)) {
    if (c.name == "synced_at") continue;
    if (!cols.empty()) cols += ',';
    cols += Warehouse::QuoteIdent(c.name);
  }
  const auto qa = Warehouse::QualifiedName(a, table), qb = Warehouse::QualifiedName(b, table);
  auto count = [&](const std::string& sql) { return wh.Query(sql).Scalar<int64_t>(); };
  return count("SELECT COUNT(*) FROM (SELECT " + cols + " FROM " + qa + " EXCEPT SELECT " + cols + " FROM " + qb +
               ") x") +
         count("SELECT COUNT(*) FROM (SELECT " + cols + " FROM " + qb + " EXCEPT SELECT " + cols + " FROM " + qa +
               ") x");
}

/// The raw tables a sync fills (compared by the benchmarks).
inline const std::vector<std::string>& SyncedTables() {
  static const std::vector<std::string> t = {"contacts", "companies", "deals", "calls", "emails", "meetings",
                                             "notes", "tasks", "associations", "property_history", "owners",
                                             "owner_teams", "pipelines", "pipeline_stages", "properties"};
  return t;
}

}  // namespace bench
