// bench_push: `revlens push` of 20,000 lead scores to the emulator at a realistic rate limit (tier `pro`:
// 190 requests / 10 s), then a new scoring run in which 10% of the scores changed. Prints the requests each
// push made against the target ceil(changed / 100) + property set-up, the 429s received (target: zero), and
// the time. Options: --contacts N (20000), --changed-share F (0.1), --tier pro|free|enterprise|none,
// --warehouse URL (default: a temporary DuckDB file).
#include "deliver/push.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/time_util.hpp"
#include "emulator/server.hpp"
#include "emulator/store.hpp"
#include "hubspot/client.hpp"
#include "warehouse/warehouse.hpp"

namespace {

namespace fs = std::filesystem;
using revlens::warehouse::Column;
using revlens::warehouse::ColumnType;
using revlens::warehouse::Value;

std::string Arg(int argc, char** argv, const std::string& key, const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == key) return argv[i + 1];
  }
  return def;
}

const std::vector<Column>& ScoreColumns() {
  static const std::vector<Column> cols = {
      {"run_id", ColumnType::kText},         {"model_version", ColumnType::kText}, {"contact_id", ColumnType::kBigInt},
      {"scored_at", ColumnType::kTimestamp}, {"likelihood", ColumnType::kDouble},  {"tier", ColumnType::kText},
      {"fit", ColumnType::kDouble},          {"engagement", ColumnType::kDouble},  {"reasons", ColumnType::kText},
      {"ab_group", ColumnType::kText},       {"usable", ColumnType::kBoolean}};
  return cols;
}

// Scores for run `run`: from run 2 on, contacts whose id hashes below `changed_share` get a new score.
void WriteScores(revlens::warehouse::Warehouse& wh, const std::string& schema, int64_t contacts, int run,
                 double changed_share, int64_t& changed) {
  wh.Execute("DROP TABLE IF EXISTS " + revlens::warehouse::Warehouse::QualifiedName(schema, "lead_scores"));
  wh.CreateTable(schema, "lead_scores", ScoreColumns());
  std::vector<std::vector<Value>> rows;
  rows.reserve(static_cast<size_t>(contacts));
  changed = 0;
  const int64_t day_us = 86'400'000'000LL;
  const int64_t scored_at = 1782777600LL * 1'000'000 + (run - 1) * day_us;
  for (int64_t id = 1; id <= contacts; ++id) {
    double likelihood = static_cast<double>((id * 7919) % 1000) / 10.0;
    const bool moves = run > 1 && static_cast<double>((id * 2654435761LL) % 1000) < changed_share * 1000;
    if (moves) {
      likelihood = std::fmod(likelihood + 13.0, 100.0);
      ++changed;
    }
    const std::string tier = likelihood >= 75 ? "A" : likelihood >= 50 ? "B" : likelihood >= 25 ? "C" : "D";
    rows.push_back({std::string("run") + std::to_string(run), std::string("v1"), id,
                    revlens::warehouse::Timestamp{scored_at}, likelihood, tier, likelihood / 2,
                    static_cast<double>(id % 40), std::string(R"j(["200-1,000 employees (+)","pricing page (+)"])j"),
                    std::string(id % 10 == 0 ? "holdout" : "treatment"), true});
  }
  wh.BulkLoad(schema, "lead_scores", ScoreColumns(), rows);
}

void Report(const char* what, const revlens::deliver::PushSummary& s, int64_t changed) {
  const auto& t = s.targets.front();
  const int64_t ceiling = (changed + 99) / 100;
  std::printf(
      "%-26s changed %6lld (written %lld)  batch updates %4lld (ceil(changed/100) = %lld)  set-up %lld  "
      "requests sent %lld = %lld + %lld %s  429s %lld  retries %lld  %.2f s\n",
      what, static_cast<long long>(t.changed), static_cast<long long>(t.written),
      static_cast<long long>(s.update_requests), static_cast<long long>(ceiling),
      static_cast<long long>(s.setup_requests), static_cast<long long>(s.requests), static_cast<long long>(ceiling),
      static_cast<long long>(s.setup_requests), s.requests == ceiling + s.setup_requests ? "(met)" : "(MISSED)",
      static_cast<long long>(s.rate_limited), static_cast<long long>(s.retries), s.seconds);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const int64_t contacts = std::stoll(Arg(argc, argv, "--contacts", "20000"));
    const double share = std::stod(Arg(argc, argv, "--changed-share", "0.1"));
    const std::string tier = Arg(argc, argv, "--tier", "pro");
    std::string url = Arg(argc, argv, "--warehouse", "");
    fs::path file;
    if (url.empty()) {
      file = fs::temp_directory_path() / ("revlens_bench_push_" + std::to_string(::getpid()) + ".duckdb");
      url = "duckdb://" + file.string();
    }
    const std::string schema = "bench_push_" + std::to_string(::getpid());

    // A portal with `contacts` contacts and no revlens group yet (as a real one starts).
    auto portal = std::make_unique<revlens::emulator::Portal>();
    const int64_t now = revlens::NowMillis();
    revlens::emulator::InstallDefaultSchema(*portal, now);
    for (auto t : revlens::emulator::kAllObjectTypes) {
      std::erase_if(portal->Groups(t), [](const auto& g) { return g.name == "revlens"; });
    }
    auto& table = portal->Table(revlens::emulator::ObjectType::kContacts);
    table.Reserve(static_cast<size_t>(contacts));
    for (int64_t i = 1; i <= contacts; ++i) table.Create({{"email", "c" + std::to_string(i) + "@example.com"}}, now);
    revlens::emulator::ServeOptions so;
    so.rate_limit = tier;
    revlens::emulator::EmulatorServer server(std::move(portal), so);
    server.Start();

    revlens::hubspot::ClientOptions co;
    co.base_url = server.BaseUrl();
    co.access_token = so.token;
    if (tier == "none") co.initial_per_ten_seconds = 0;
    revlens::hubspot::Client client(co);

    auto wh = revlens::warehouse::OpenWarehouse(url);
    wh->CreateSchema(schema);
    revlens::deliver::PushOptions o;
    o.schema = schema;
    o.targets.resize(1);  // lead_scores only

    std::printf("bench_push: %lld contacts, %.0f%% changed in the second run, emulator tier %s, warehouse %s\n",
                static_cast<long long>(contacts), share * 100, tier.c_str(), wh->Describe().c_str());
    int64_t changed = 0;
    WriteScores(*wh, schema, contacts, 1, share, changed);
    const auto first = revlens::deliver::RunPush(*wh, &client, o);
    Report("first push (all new)", first, first.targets.front().changed);

    WriteScores(*wh, schema, contacts, 2, share, changed);
    const auto second = revlens::deliver::RunPush(*wh, &client, o);
    Report("second push (10% changed)", second, changed);
    const auto stats = server.BatchUpdates(revlens::emulator::ObjectType::kContacts);
    std::printf("  emulator received %lld batch updates, %lld inputs, %lld values in all\n",
                static_cast<long long>(stats.requests), static_cast<long long>(stats.inputs),
                static_cast<long long>(stats.values));

    const auto third = revlens::deliver::RunPush(*wh, &client, o);
    Report("third push (no change)", third, 0);

    wh->DropSchema(schema);
    wh.reset();
    server.Stop();
    if (!file.empty()) {
      fs::remove(file);
      fs::remove(file.string() + ".wal");
    }
    const bool ok = second.requests == (changed + 99) / 100 + second.setup_requests && second.rate_limited == 0 &&
                    first.rate_limited == 0 && third.requests == 0;
    std::printf("target: requests = ceil(changed/100) + set-up with zero 429s: %s\n", ok ? "met" : "MISSED");
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_push: %s\n", e.what());
    return 1;
  }
}
