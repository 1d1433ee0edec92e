// List-page throughput of the emulator: pages/s of 100 contacts x 30 properties over keep-alive
// connections on loopback, server and clients in this one process (as a sync on the same
// machine would be). Prints the median of 5 timed runs after a warm-up.
//
//   bench_emulator_pages [--contacts 200000] [--clients 3] [--seconds 3] [--runs 5]
#include <httplib.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/time_util.hpp"
#include "emulator/server.hpp"

namespace {

using revlens::emulator::ObjectType;

struct Args {
  int64_t contacts = 200000;
  int clients = 3;
  double seconds = 3;
  int runs = 5;
};

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--contacts") a.contacts = std::atoll(argv[i + 1]);
    else if (k == "--clients") a.clients = std::atoi(argv[i + 1]);
    else if (k == "--seconds") a.seconds = std::atof(argv[i + 1]);
    else if (k == "--runs") a.runs = std::atoi(argv[i + 1]);
  }
  a.clients = std::clamp(a.clients, 1, 16);
  a.runs = std::max(1, a.runs);
  return a;
}

// Its own simple filler (not the generator): 30 string-valued properties per contact, values of
// realistic lengths, no history (values stamped updatedAt, as loaded portals are).
std::unique_ptr<revlens::emulator::Portal> BuildPortal(int64_t n, std::vector<std::string>& names) {
  auto portal = std::make_unique<revlens::emulator::Portal>();
  const int64_t now = revlens::NowMillis();
  revlens::emulator::InstallDefaultSchema(*portal, now);
  auto& table = portal->Table(ObjectType::kContacts);
  names = {"email", "firstname", "lastname", "phone", "company", "jobtitle", "country", "state", "city",
           "lifecyclestage", "hs_lead_status", "createdate", "lastmodifieddate", "hs_object_id"};
  for (int i = static_cast<int>(names.size()); i < 30; ++i) names.push_back("revlens_attr_" + std::to_string(i));
  std::vector<uint16_t> idx;
  for (const auto& name : names) idx.push_back(table.Props().Intern(name));
  std::vector<size_t> order(names.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return idx[a] < idx[b]; });
  static const char* kStages[] = {"subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
                                  "customer"};
  table.Reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    revlens::emulator::Record r;
    r.id = i + 1;
    r.created_ms = now - 86'400'000LL * 400 + i * 1000;
    r.updated_ms = r.created_ms + 3'600'000;
    revlens::emulator::PropertyValuesBuilder values;
    for (size_t k : order) {
      const std::string& name = names[k];
      std::string v;
      if (name == "email") v = "person" + std::to_string(i) + "@company" + std::to_string(i % 997) + ".example.com";
      else if (name == "hs_object_id") v = std::to_string(i + 1);
      else if (name == "createdate") v = revlens::FormatIsoMillis(r.created_ms);
      else if (name == "lastmodifieddate") v = revlens::FormatIsoMillis(r.updated_ms);
      else if (name == "lifecyclestage") v = kStages[i % 6];
      else v = name.substr(0, 6) + "-" + std::to_string((i * 2654435761LL) % 1000003);
      values.Add(idx[k], v);
    }
    r.props = values.Build();
    table.Append(std::move(r));
  }
  return portal;
}

// Cheap cursor extraction: the last `"after":"…"` in the page (paging comes after results).
std::string NextAfter(const std::string& body) {
  const size_t p = body.rfind("\"after\":\"");
  if (p == std::string::npos) return {};
  const size_t start = p + 9;
  const size_t end = body.find('"', start);
  return body.substr(start, end - start);
}

struct RunResult {
  double pages_per_s = 0, mb_per_s = 0;
  double cpu_us_per_page = 0;  ///< process CPU (server + clients) per page: comparable on a busy machine
  int64_t errors = 0;
};

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

RunResult TimedRun(const std::string& base, const std::string& token, const std::string& props, int clients,
                   double seconds, int64_t contacts) {
  std::atomic<int64_t> pages{0}, bytes{0}, errors{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client cli(base);
      cli.set_keep_alive(true);
      cli.set_tcp_nodelay(true);
      const httplib::Headers headers = {{"Authorization", "Bearer " + token}};
      // Each client starts at its own place in the table and wraps around at the end.
      std::string after = std::to_string(1 + (contacts / clients) * c);
      int64_t local_pages = 0, local_bytes = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        const std::string path = "/crm/v3/objects/contacts?limit=100&properties=" + props + "&after=" + after;
        auto r = cli.Get(path.c_str(), headers);
        if (!r || r->status != 200) {
          errors.fetch_add(1);
          continue;
        }
        ++local_pages;
        local_bytes += static_cast<int64_t>(r->body.size());
        after = NextAfter(r->body);
        if (after.empty()) after = "1";
      }
      pages.fetch_add(local_pages);
      bytes.fetch_add(local_bytes);
    });
  }
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = CpuSeconds();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = CpuSeconds() - cpu0;
  const auto n = static_cast<double>(std::max<int64_t>(1, pages.load()));
  return RunResult{static_cast<double>(pages.load()) / elapsed, static_cast<double>(bytes.load()) / elapsed / 1e6,
                   cpu / n * 1e6, errors.load()};
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const Args a = ParseArgs(argc, argv);
  std::vector<std::string> names;
  const auto t0 = std::chrono::steady_clock::now();
  auto portal = BuildPortal(a.contacts, names);
  const double build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::string props;
  for (const auto& n : names) props += (props.empty() ? "" : ",") + n;

  revlens::emulator::ServeOptions opts;
  opts.port = 0;
  revlens::emulator::EmulatorServer server(std::move(portal), opts);
  server.Start();

  // Sanity: one page parses, has 100 records of 30 properties and a cursor.
  {
    httplib::Client cli(server.BaseUrl());
    auto r = cli.Get(("/crm/v3/objects/contacts?limit=100&properties=" + props).c_str(),
                     {{"Authorization", "Bearer " + opts.token}});
    if (!r || r->status != 200) {
      std::fprintf(stderr, "bench_emulator_pages: first page failed\n");
      return 1;
    }
    auto j = nlohmann::json::parse(r->body);
    if (j["results"].size() != 100 || j["results"][0]["properties"].size() != 30 || !j.contains("paging")) {
      std::fprintf(stderr, "bench_emulator_pages: unexpected page shape\n");
      return 1;
    }
    std::printf("page: 100 contacts x 30 properties = %zu bytes\n", r->body.size());
  }

  TimedRun(server.BaseUrl(), opts.token, props, a.clients, std::min(1.0, a.seconds), a.contacts);  // warm-up
  std::vector<RunResult> runs;
  for (int i = 0; i < a.runs; ++i) {
    runs.push_back(TimedRun(server.BaseUrl(), opts.token, props, a.clients, a.seconds, a.contacts));
    std::printf("run %d: %.0f pages/s, %.1f MB/s, %.0f us CPU per page%s\n", i + 1, runs.back().pages_per_s,
                runs.back().mb_per_s, runs.back().cpu_us_per_page, runs.back().errors ? " (with errors)" : "");
  }
  std::sort(runs.begin(), runs.end(), [](const RunResult& x, const RunResult& y) { return x.pages_per_s < y.pages_per_s; });
  const RunResult& med = runs[runs.size() / 2];
  int64_t errors = 0;
  for (const auto& r : runs) errors += r.errors;
  server.Stop();
  std::printf("emulator list pages: %lld contacts (built in %.1f s), %d keep-alive clients, %.0f s x %d runs\n",
              static_cast<long long>(a.contacts), build_s, a.clients, a.seconds, a.runs);
  std::printf("median: %.0f pages/s, %.1f MB/s, %.0f us CPU per page (server + clients), errors %lld\n",
              med.pages_per_s, med.mb_per_s, med.cpu_us_per_page, static_cast<long long>(errors));
  return errors == 0 ? 0 : 1;
}
