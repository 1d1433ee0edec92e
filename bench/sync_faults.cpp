// Benchmark 4 of the sync issue, "faults": the `demo` portal served with `--faults 5xx=0.1,429=0.05,reset=0.02,
// slow=0.01`; `revlens sync` (the real binary, beside this one) is killed with SIGKILL mid-run and started again
// until it finishes. The final tables must equal a fault-free sync row for row, with no duplicate ids.
//
//   bench_sync_faults [--size demo] [--faults 5xx=0.1,429=0.05,reset=0.02,slow=0.01] [--kill-after-ms N]
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <thread>

#include "emulator/faults.hpp"
#include "sync_common.hpp"

extern char** environ;

namespace {

// Run `revlens sync` against `base` into `url`; kill it after `kill_after_ms` (0 = never). Returns true when it
// finished by itself with exit code 0.
bool RunBinary(const std::string& bin, const std::string& base, const std::string& token, const std::string& url,
               int kill_after_ms, double& seconds) {
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) env_store.emplace_back(*e);
  env_store.push_back("HUBSPOT_API_BASE=" + base);
  env_store.push_back("HUBSPOT_ACCESS_TOKEN=" + token);
  std::vector<char*> envp;
  for (auto& s : env_store) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = {bin, "sync", "--warehouse", url, "--quiet", "--max-retries", "12"};
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const auto t0 = std::chrono::steady_clock::now();
  if (posix_spawn(&pid, bin.c_str(), nullptr, nullptr, argv.data(), envp.data()) != 0) {
    std::fprintf(stderr, "cannot start %s\n", bin.c_str());
    std::exit(2);
  }
  int status = 0;
  if (kill_after_ms > 0) {
    for (int waited = 0; waited < kill_after_ms; waited += 10) {
      if (waitpid(pid, &status, WNOHANG) == pid) {
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid, SIGKILL);
  }
  waitpid(pid, &status, 0);
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string size = bench::ArgValue(argc, argv, "--size", "demo");
  const std::string faults = bench::ArgValue(argc, argv, "--faults", "5xx=0.1,429=0.05,reset=0.02,slow=0.01,slow_ms=2000");
  const std::string bin = bench::SelfDir() + "/revlens";
  auto served = bench::Serve(size, "none");
  const std::string clean_path = bench::TempPath("revlens_bench_clean") + ".duckdb";
  const std::string fault_path = bench::TempPath("revlens_bench_fault") + ".duckdb";
  bench::RemoveDuck(clean_path);
  bench::RemoveDuck(fault_path);

  double clean_s = 0;
  if (!RunBinary(bin, served.server->BaseUrl(), served.token, "duckdb://" + clean_path, 0, clean_s)) {
    std::fprintf(stderr, "the fault-free sync failed\n");
    return 1;
  }
  served.server->Faults().SetSpec(faults);
  const int kill_after = std::atoi(
      bench::ArgValue(argc, argv, "--kill-after-ms", std::to_string(static_cast<int>(clean_s * 1000 * 0.6))).c_str());
  double s1 = 0, s2 = 0;
  const bool first_finished = RunBinary(bin, served.server->BaseUrl(), served.token, "duckdb://" + fault_path,
                                        kill_after, s1);
  int reruns = 0;
  bool ok = false;
  while (!ok && reruns < 5) {
    ++reruns;
    ok = RunBinary(bin, served.server->BaseUrl(), served.token, "duckdb://" + fault_path, 0, s2);
  }
  served.server->Stop();

  auto wh = revlens::warehouse::OpenWarehouse("duckdb://" + fault_path);
  wh->Execute("ATTACH '" + clean_path + "' AS clean (READ_ONLY)");
  int64_t diff = 0, dup = 0;
  for (const auto& t : bench::SyncedTables()) {
    std::string cols;
    for (const auto& c : wh->Columns("hubspot", t)) {
      if (c.name == "synced_at") continue;
      if (!cols.empty()) cols += ',';
      cols += revlens::warehouse::Warehouse::QuoteIdent(c.name);
    }
    const std::string a = "hubspot." + t, b = "clean.hubspot." + t;
    const int64_t d = wh->Query("SELECT COUNT(*) FROM (SELECT " + cols + " FROM " + a + " EXCEPT ALL SELECT " + cols +
                                " FROM " + b + ") x").Scalar<int64_t>() +
                      wh->Query("SELECT COUNT(*) FROM (SELECT " + cols + " FROM " + b + " EXCEPT ALL SELECT " + cols +
                                " FROM " + a + ") x").Scalar<int64_t>();
    if (d != 0) std::printf("  %s: %lld rows differ\n", t.c_str(), static_cast<long long>(d));
    diff += d;
    if (t == "contacts" || t == "companies" || t == "deals" || t == "calls" || t == "emails" || t == "meetings" ||
        t == "notes" || t == "tasks") {
      dup += wh->Query("SELECT COUNT(*) - COUNT(DISTINCT id) FROM " + a).Scalar<int64_t>();
    }
  }
  const auto counts = served.server->Faults().Counts();
  wh.reset();
  bench::RemoveDuck(clean_path);
  bench::RemoveDuck(fault_path);

  std::printf("sync faults: '%s' portal, faults %s\n", size.c_str(), faults.c_str());
  std::printf("fault-free sync      %.1f s\n", clean_s);
  std::printf("faulty sync          killed with SIGKILL after %d ms%s, then %d rerun(s) (last %.1f s)\n", kill_after,
              first_finished ? " (it had already finished)" : "", reruns, s2);
  auto at = [&](revlens::emulator::FaultKind k) {
    const auto i = static_cast<size_t>(k);
    return static_cast<unsigned long long>(i < counts.size() ? counts[i] : 0);
  };
  using revlens::emulator::FaultKind;
  std::printf("faults injected      5xx %llu, 429 %llu, reset %llu, truncate %llu, slow %llu\n",
              at(FaultKind::kStatus500) + at(FaultKind::kStatus502) + at(FaultKind::kStatus503),
              at(FaultKind::kStatus429), at(FaultKind::kReset), at(FaultKind::kTruncate), at(FaultKind::kSlow));
  std::printf("rows differing from the fault-free tables: %lld (%s)\n", static_cast<long long>(diff),
              bench::Verdict(diff == 0 && ok));
  std::printf("duplicate ids: %lld (%s)\n", static_cast<long long>(dup), bench::Verdict(dup == 0));
  return ok && diff == 0 && dup == 0 ? 0 : 1;
}
