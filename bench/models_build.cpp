// `revlens build` of the repo's SQL models (sql/) on a synced synthetic portal, on DuckDB (a file) and on
// PostgreSQL (REVLENS_TEST_POSTGRES_URL, or --postgres URL; skipped when neither is set). Syncs once per engine,
// then a warm-up build and --runs timed builds; prints the median with the targets (demo <= 5 s,
// large <= 30 s on DuckDB; PostgreSQL printed beside).
//
//   bench_models_build [--size demo] [--runs 3] [--postgres URL]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "models/runner.hpp"
#include "sync_common.hpp"

namespace {

struct Figures {
  double sync_seconds = 0;
  double median_build_seconds = 0;
  size_t models = 0, tests = 0;
  bool ok = false;
  std::vector<std::pair<double, std::string>> slowest;  ///< of the last run: seconds, model or test
};

Figures Measure(revlens::warehouse::Warehouse& wh, const std::string& size, int runs, const std::string& suffix) {
  Figures f;
  const std::string raw = "bench_models_raw_" + suffix, target = "bench_models_" + suffix;
  auto served = bench::Serve(size, "none");
  revlens::hubspot::Client client(served.client_options);
  revlens::sync::SyncOptions so;
  so.schema = raw;
  const auto t0 = std::chrono::steady_clock::now();
  revlens::sync::RunSync(client, wh, so);
  f.sync_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  served.server->Stop();

  revlens::models::BuildOptions b;
  b.project_dir = std::string(REVLENS_SOURCE_DIR) + "/sql";
  b.target_schema = target;
  b.raw_schema = raw;
  b.vars["as_of_date"] = revlens::models::JinjaValue::String("2026-06-30");
  std::vector<double> seconds;
  for (int i = 0; i <= runs; ++i) {
    const auto report = revlens::models::Build(wh, b);
    f.ok = report.Ok();
    f.models = report.models.size();
    f.tests = report.tests.size();
    for (const auto& line : report.FailureLines()) std::fprintf(stderr, "%s\n", line.c_str());
    if (i > 0) seconds.push_back(report.total_seconds);  // run 0 warms the caches
    f.slowest.clear();
    for (const auto& m : report.models) f.slowest.emplace_back(m.seconds, "model " + m.name);
    for (const auto& t : report.tests) f.slowest.emplace_back(t.seconds, "test " + t.name);
  }
  std::sort(f.slowest.rbegin(), f.slowest.rend());
  f.slowest.resize(std::min<size_t>(f.slowest.size(), 5));
  std::sort(seconds.begin(), seconds.end());
  f.median_build_seconds = seconds[seconds.size() / 2];
  wh.DropSchema(target);
  wh.DropSchema(raw);
  return f;
}

void Print(const char* engine, const std::string& size, const Figures& f, double target) {
  std::printf("%-10s %-6s sync %6.2f s   build %6.2f s (median; %zu models, %zu data tests, %s)", engine, size.c_str(),
              f.sync_seconds, f.median_build_seconds, f.models, f.tests, f.ok ? "all passed" : "FAILURES");
  if (target > 0) std::printf("   target <= %.0f s: %s", target, bench::Verdict(f.median_build_seconds <= target));
  std::printf("\n");
  for (const auto& [sec, what] : f.slowest) std::printf("             %6.2f s  %s\n", sec, what.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const std::string size = bench::ArgValue(argc, argv, "--size", "demo");
  const int runs = std::max(1, std::atoi(bench::ArgValue(argc, argv, "--runs", "3").c_str()));
  const char* env_pg = std::getenv("REVLENS_TEST_POSTGRES_URL");
  const std::string pg_url = bench::ArgValue(argc, argv, "--postgres", env_pg ? env_pg : "");
  const double target = size == "demo" ? 5.0 : (size == "large" ? 30.0 : 0.0);
  const std::string suffix = std::to_string(::getpid());

  const std::string duck_path = bench::TempPath("bench_models_build") + ".duckdb";
  {
    auto duck = revlens::warehouse::OpenWarehouse("duckdb://" + duck_path);
    Print("duckdb", size, Measure(*duck, size, runs, suffix), target);
  }
  bench::RemoveDuck(duck_path);
  if (pg_url.empty()) {
    std::printf("postgres   skipped: set REVLENS_TEST_POSTGRES_URL or pass --postgres URL\n");
  } else {
    auto pg = revlens::warehouse::OpenWarehouse(pg_url);
    Print("postgres", size, Measure(*pg, size, runs, suffix), 0);
  }
  return 0;
}
