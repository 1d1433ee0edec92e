// Generator throughput: `bench_generate [--size small|demo|large] [--contacts N] [--engagements N]
// [--save DIR] [--seed N]` prints seconds to generate (wall and CPU, with the threads used and the load
// average when it started), to save and load back, and the peak resident memory.
// Targets: demo in <= 2 s; 1M contacts with 10M engagements in <= 60 s and <= 8 GiB on 2 cores.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "emulator/generator/generator.hpp"

int main(int argc, char** argv) {
  revlens::emulator::GeneratorOptions o;
  o.anchor_date = "2025-06-30";
  std::string save;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--size") o.size = v;
    else if (k == "--contacts") o.contacts = std::atoll(v.c_str());
    else if (k == "--engagements") o.engagements = std::atoll(v.c_str());
    else if (k == "--deals") o.deals = std::atoll(v.c_str());
    else if (k == "--seed") o.seed = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--save") save = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  auto cpu_seconds = [] {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  };
  double load[1] = {0};
  if (getloadavg(load, 1) != 1) load[0] = -1;
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  auto g = revlens::emulator::GeneratePortal(o);
  const auto t1 = std::chrono::steady_clock::now();
  const double generate_cpu = cpu_seconds() - cpu0;
  double save_s = 0, load_s = 0;
  if (!save.empty()) {
    revlens::emulator::SavePortal(g, save);
    const auto t2 = std::chrono::steady_clock::now();
    save_s = std::chrono::duration<double>(t2 - t1).count();
    auto loaded = revlens::emulator::LoadPortal(save);
    load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t2).count();
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const auto& c = g.truth["counts"];
  std::printf(
      "{\"bench\":\"generate\",\"size\":\"%s\",\"contacts\":%lld,\"companies\":%lld,\"deals\":%lld,"
      "\"engagements\":%lld,\"generate_seconds\":%.3f,\"generate_cpu_seconds\":%.3f,\"threads\":%u,"
      "\"load_average_at_start\":%.2f,\"save_seconds\":%.3f,\"load_seconds\":%.3f,\"peak_rss_mib\":%.1f,"
      "\"oracle_auc\":%.4f}\n",
      o.size.c_str(), c["contacts"].get<long long>(), c["companies"].get<long long>(), c["deals"].get<long long>(),
      c["engagements"].get<long long>(), std::chrono::duration<double>(t1 - t0).count(), generate_cpu,
      std::thread::hardware_concurrency(), load[0], save_s, load_s, static_cast<double>(ru.ru_maxrss) / 1024.0,
      g.truth["oracle_auc"].get<double>());
  return 0;
}
