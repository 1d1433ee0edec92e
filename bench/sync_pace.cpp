// Benchmark 1 of the sync issue, "against the physical limit": the `demo` portal served at the emulator's `pro`
// limit (190 requests / 10 s, search 5/s). Prints requests made beside the minimum possible (pages needed at the
// API's maximum page sizes: list 100, or 50 with history; association batch reads of 1,000; one request per
// metadata list), wall time beside 1.10 x requests / 19 per second, and the 429s received.
//
//   bench_sync_pace [--size demo] [--tier pro]
#include "sync_common.hpp"

int main(int argc, char** argv) {
  const std::string size = bench::ArgValue(argc, argv, "--size", "demo");
  const std::string tier = bench::ArgValue(argc, argv, "--tier", "pro");
  auto served = bench::Serve(size, tier);
  revlens::hubspot::Client client(served.client_options);
  const std::string path = bench::TempPath("revlens_bench_pace") + ".duckdb";
  auto wh = revlens::warehouse::OpenWarehouse("duckdb://" + path);
  revlens::sync::SyncOptions o;
  const auto s = revlens::sync::RunSync(client, *wh, o);
  served.server->Stop();
  wh.reset();
  bench::RemoveDuck(path);

  const double per_second = 19.0;  // pro: 190 per 10 s
  const double bound = 1.10 * static_cast<double>(s.requests) / per_second;
  const double ratio = static_cast<double>(s.requests) / static_cast<double>(std::max<int64_t>(1, s.min_requests));
  std::printf("sync pace: '%s' portal, emulator tier '%s'\n", size.c_str(), tier.c_str());
  for (const auto& [name, r] : s.resources) {
    std::printf("  %-22s %7lld records %6lld requests (minimum %lld)\n", name.c_str(),
                static_cast<long long>(r.records_read), static_cast<long long>(r.requests),
                static_cast<long long>(r.min_requests));
  }
  std::printf("requests made        %lld\n", static_cast<long long>(s.requests));
  std::printf("minimum possible     %lld   ratio %.3f (goal <= 1.05: %s)\n", static_cast<long long>(s.min_requests), ratio,
              bench::Verdict(ratio <= 1.05));
  std::printf("wall time            %.1f s   bound 1.10 x %lld / %.0f/s = %.1f s (%s)\n", s.seconds,
              static_cast<long long>(s.requests), per_second, bound, bench::Verdict(s.seconds <= bound));
  std::printf("429s received        %lld (goal 0: %s)\n", static_cast<long long>(s.rate_limited),
              bench::Verdict(s.rate_limited == 0));
  std::printf("retries              %lld\n", static_cast<long long>(s.retries));
  return 0;
}
