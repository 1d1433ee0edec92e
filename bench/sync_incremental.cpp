// Benchmark 3 of the sync issue, "incremental": full sync of the `demo` portal, then 1% of contacts and deals
// change in the emulator (batch updates through the API) and the sync runs again. Prints the requests of the
// second run beside the minimum the changed records need (search pages of 200, history batch reads of 50,
// association batch reads of 1,000) plus one per resource, and checks the tables equal a fresh full sync.
//
//   bench_sync_incremental [--size demo] [--percent 1]
#include <cmath>
#include <nlohmann/json.hpp>
#include <shared_mutex>

#include "sync_common.hpp"

namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Change `percent` % of the live records of `type` by batch updates of 100; returns how many changed.
int64_t Change(revlens::hubspot::Client& c, revlens::emulator::EmulatorServer& server,
               revlens::emulator::ObjectType type, const std::string& name, const std::string& property,
               const std::string& value, double percent) {
  std::vector<int64_t> ids;
  {
    std::shared_lock lock(server.GetPortal().mutex);
    for (const auto& r : server.GetPortal().Table(type).Records()) {
      if (!r.archived) ids.push_back(r.id);
    }
  }
  const size_t n = static_cast<size_t>(std::ceil(static_cast<double>(ids.size()) * percent / 100.0));
  const size_t step = std::max<size_t>(1, ids.size() / std::max<size_t>(1, n));
  std::vector<int64_t> chosen;
  for (size_t i = 0; i < ids.size() && chosen.size() < n; i += step) chosen.push_back(ids[i]);
  for (size_t i = 0; i < chosen.size(); i += 100) {
    nlohmann::json inputs = nlohmann::json::array();
    for (size_t j = i; j < std::min(chosen.size(), i + 100); ++j) {
      inputs.push_back({{"id", std::to_string(chosen[j])}, {"properties", {{property, value}}}});
    }
    c.Post("/crm/v3/objects/" + name + "/batch/update", nlohmann::json{{"inputs", inputs}}.dump());
  }
  return static_cast<int64_t>(chosen.size());
}

}  // namespace

int main(int argc, char** argv) {
  using revlens::emulator::ObjectType;
  const std::string size = bench::ArgValue(argc, argv, "--size", "demo");
  const double percent = std::atof(bench::ArgValue(argc, argv, "--percent", "1").c_str());
  auto served = bench::Serve(size, "none");
  revlens::hubspot::Client client(served.client_options);
  revlens::hubspot::Client editor(served.client_options);
  const std::string path = bench::TempPath("revlens_bench_incr") + ".duckdb";
  auto wh = revlens::warehouse::OpenWarehouse("duckdb://" + path);
  revlens::sync::SyncOptions o;
  o.schema = "hubspot";
  o.lookback = std::chrono::milliseconds(0);
  const auto full = revlens::sync::RunSync(client, *wh, o);

  const int64_t c = Change(editor, *served.server, ObjectType::kContacts, "contacts", "jobtitle", "VP Benchmarks", percent);
  const int64_t d = Change(editor, *served.server, ObjectType::kDeals, "deals", "amount", "4242", percent);
  const auto inc = revlens::sync::RunSync(client, *wh, o);

  const int64_t need = CeilDiv(c, 200) + CeilDiv(d, 200) + CeilDiv(c, 50) + CeilDiv(d, 50) + CeilDiv(c, 1000) +
                       2 * CeilDiv(d, 1000);
  const int64_t resources = static_cast<int64_t>(inc.resources.size());
  const double bound = 1.1 * static_cast<double>(need) + static_cast<double>(resources);

  revlens::sync::SyncOptions fresh = o;
  fresh.schema = "hubspot_fresh";
  revlens::sync::RunSync(client, *wh, fresh);
  int64_t diff = 0;
  for (const auto& t : bench::SyncedTables()) diff += bench::DiffTable(*wh, "hubspot", "hubspot_fresh", t);
  served.server->Stop();
  wh.reset();
  bench::RemoveDuck(path);

  std::printf("sync incremental: '%s' portal, %.1f%% of contacts (%lld) and deals (%lld) changed\n", size.c_str(),
              percent, static_cast<long long>(c), static_cast<long long>(d));
  std::printf("full sync            %lld requests, %.2f s\n", static_cast<long long>(full.requests), full.seconds);
  for (const auto& [name, r] : inc.resources) {
    std::printf("  %-22s %6lld records read %5lld requests %6lld rows written\n", name.c_str(),
                static_cast<long long>(r.records_read), static_cast<long long>(r.requests),
                static_cast<long long>(r.rows_written));
  }
  std::printf("incremental requests %lld in %.2f s\n", static_cast<long long>(inc.requests), inc.seconds);
  std::printf("minimum for changes  %lld (search /200, history /50, associations /1000) + %lld resources\n",
              static_cast<long long>(need), static_cast<long long>(resources));
  std::printf("bound 1.1 x %lld + %lld = %.1f   (%s)\n", static_cast<long long>(need),
              static_cast<long long>(resources), bound, bench::Verdict(static_cast<double>(inc.requests) <= bound));
  std::printf("tables vs a fresh full sync: %lld differing rows (%s)\n", static_cast<long long>(diff),
              bench::Verdict(diff == 0));
  return 0;
}
