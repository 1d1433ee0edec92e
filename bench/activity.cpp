// `revlens activity` figures: RunActivity end to end (load the marts, analyse, write the five tables) on a synced
// and built synthetic portal in DuckDB (target on `large`, ~1M engagements: <= 20 s on 2 cores), and on `demo`.
//
//   bench_activity [--sizes demo,large] [--runs 3] [--keep FILE]   (portals generated with seed 42, as
//       bench_compete; --keep: build the portals into FILE once and reuse them on the next run)
//   bench_activity --warehouse duckdb://file.duckdb --schema revlens   (time RunActivity on an existing build)
#include "insights/activity.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "built_portal.hpp"

namespace {

using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double TimeActivity(revlens::warehouse::Warehouse& wh, const std::string& schema, int runs) {
  revlens::insights::ActivityOptions o;
  o.schema = schema;
  std::vector<double> seconds;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    const auto r = revlens::insights::RunActivity(wh, o);
    seconds.push_back(Since(t0));
    std::printf(
        "activity   run %d: %.2f s (load %.2f, analyse %.2f, write %.2f); %lld engagements, %lld deals, "
        "%lld leads, %zu rep-weeks, %zu stale deals\n",
        i + 1, seconds.back(), r.load_seconds, r.analyze_seconds, r.write_seconds,
        static_cast<long long>(r.engagements), static_cast<long long>(r.deals), static_cast<long long>(r.leads),
        r.rep_weeks.size(), r.stale_deals.size());
    if (i == 0)
      for (const auto& f : r.TopFindings(2)) std::printf("           %s\n", f.c_str());
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = std::max(1, std::atoi(bench::ArgValue(argc, argv, "--runs", "3").c_str()));
  const std::string url = bench::ArgValue(argc, argv, "--warehouse", "");
  if (!url.empty()) {
    auto wh = revlens::warehouse::OpenWarehouse(url);
    const std::string schema = bench::ArgValue(argc, argv, "--schema", "revlens");
    const double s = TimeActivity(*wh, schema, runs);
    std::printf("activity   %s: %.2f s (median of %d)\n", wh->Describe().c_str(), s, runs);
    return 0;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string keep = bench::ArgValue(argc, argv, "--keep", "");
  std::string sizes = bench::ArgValue(argc, argv, "--sizes", "demo,large") + ",";
  for (size_t start = 0, comma; (comma = sizes.find(',', start)) != std::string::npos; start = comma + 1) {
    const std::string size = sizes.substr(start, comma - start);
    if (size.empty()) continue;
    bench::BuiltPortal portal("bench_activity", size, keep);
    std::printf("setup      %s: %lld engagements\n", size.c_str(), portal.Engagements());
    const double s = TimeActivity(portal.Warehouse(), portal.Schema(), runs);
    const bool large = size == "large";
    std::printf("activity   duckdb %-6s %.2f s (median of %d)%s%s\n", size.c_str(), s, runs,
                large ? "   target <= 20 s: " : "", large ? bench::Verdict(s <= 20) : "");
  }
  return 0;
}
