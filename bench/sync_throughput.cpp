// Benchmark 2 of the sync issue, "raw throughput": the `large` portal served with limits off. Prints records per
// second end to end (objects, associations and history, loaded and committed) into DuckDB and into PostgreSQL
// (REVLENS_TEST_POSTGRES_URL or --postgres URL; skipped when neither is set), and the same object records pulled
// by a straightforward script with the official client (tests/node/naive_sync.mjs: getAll per object, written to
// JSON, loaded with DuckDB's read_json), as the ratio revlens / naive (goal >= 5x).
//
//   bench_sync_throughput [--size large] [--postgres URL] [--node node]
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "sync_common.hpp"

namespace {

std::string RunCapture(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  pclose(p);
  return out;
}

int64_t ObjectRecords(const revlens::sync::SyncSummary& s) {
  int64_t n = 0;
  for (const char* t : {"contacts", "companies", "deals", "calls", "emails", "meetings", "notes", "tasks"}) {
    n += s.table_rows.at(t);
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string size = bench::ArgValue(argc, argv, "--size", "large");
  const char* env_pg = std::getenv("REVLENS_TEST_POSTGRES_URL");
  const std::string pg = bench::ArgValue(argc, argv, "--postgres", env_pg ? env_pg : "");
  const std::string node = bench::ArgValue(argc, argv, "--node", "node");
  auto served = bench::Serve(size, "none");
  std::printf("sync throughput: '%s' portal generated in %.1f s, emulator limits off\n", size.c_str(),
              served.generate_seconds);

  revlens::hubspot::Client client(served.client_options);
  revlens::sync::SyncOptions o;
  const std::string path = bench::TempPath("revlens_bench_tp") + ".duckdb";
  bench::RemoveDuck(path);
  int64_t objects = 0;
  double duck_rate = 0;
  {
    auto wh = revlens::warehouse::OpenWarehouse("duckdb://" + path);
    const auto s = revlens::sync::RunSync(client, *wh, o);
    objects = ObjectRecords(s);
    duck_rate = static_cast<double>(objects) / s.seconds;
    std::printf("revlens -> DuckDB      %9lld object records (+%lld associations, %lld history rows) in %6.1f s = "
                "%8.0f records/s (%lld requests)\n",
                static_cast<long long>(objects), static_cast<long long>(s.table_rows.at("associations")),
                static_cast<long long>(s.table_rows.at("property_history")), s.seconds, duck_rate,
                static_cast<long long>(s.requests));
  }
  bench::RemoveDuck(path);
  if (!pg.empty()) {
    auto wh = revlens::warehouse::OpenWarehouse(pg);
    revlens::sync::SyncOptions po = o;
    po.schema = "revlens_bench_" + std::to_string(::getpid());
    const auto s = revlens::sync::RunSync(client, *wh, po);
    const int64_t n = ObjectRecords(s);
    std::printf("revlens -> PostgreSQL  %9lld object records in %6.1f s = %8.0f records/s\n", static_cast<long long>(n),
                s.seconds, static_cast<double>(n) / s.seconds);
    wh->DropSchema(po.schema);
  } else {
    std::printf("revlens -> PostgreSQL  skipped (set REVLENS_TEST_POSTGRES_URL or --postgres)\n");
  }

  // The naive script, then DuckDB's read_json over its files.
  const std::string dir = bench::TempPath("revlens_bench_naive");
  std::filesystem::create_directories(dir);
  const std::string script = std::string(REVLENS_SOURCE_DIR) + "/tests/node/naive_sync.mjs";
  const std::string types = "contacts companies deals calls emails meetings notes tasks";
  const auto t0 = std::chrono::steady_clock::now();
  const std::string out = RunCapture("cd " + std::string(REVLENS_SOURCE_DIR) + "/tests/node && " + node + " " + script +
                                     " " + served.server->BaseUrl() + " " + served.token + " " + dir + " " + types);
  double naive_fetch = 0;
  int64_t naive_records = 0;
  try {
    auto j = nlohmann::json::parse(out.substr(out.find('{')));
    naive_fetch = j["seconds"].get<double>();
    for (auto& [k, v] : j["counts"].items()) naive_records += v.get<int64_t>();
  } catch (const std::exception&) {
    std::printf("naive script failed: %s\n", out.c_str());
    return 1;
  }
  {
    auto wh = revlens::warehouse::OpenWarehouse("duckdb://:memory:");
    for (const char* t : {"contacts", "companies", "deals", "calls", "emails", "meetings", "notes", "tasks"}) {
      wh->Execute(std::string("CREATE TABLE ") + t + " AS SELECT * FROM read_json('" + dir + "/" + t +
                  ".json', maximum_object_size = 1073741824)");
    }
  }
  const double naive_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::filesystem::remove_all(dir);
  served.server->Stop();
  const double naive_rate = static_cast<double>(naive_records) / naive_s;
  std::printf("naive official client  %9lld object records in %6.1f s (fetch %.1f s + read_json) = %8.0f records/s\n",
              static_cast<long long>(naive_records), naive_s, naive_fetch, naive_rate);
  const double ratio = duck_rate / naive_rate;
  std::printf("ratio revlens/naive    %.1fx (goal >= 5x: %s)\n", ratio, bench::Verdict(ratio >= 5.0));
  return 0;
}
