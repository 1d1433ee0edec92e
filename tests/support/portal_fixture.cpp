#include "portal_fixture.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "emulator/server.hpp"
#include "hubspot/client.hpp"
#include "sync/sync.hpp"

namespace revlens::testing {

namespace fs = std::filesystem;

std::string UniqueSuffix() {
  static std::atomic<int> counter{0};
  const auto ns = std::chrono::steady_clock::now().time_since_epoch().count();
  return std::to_string(::getpid()) + "_" + std::to_string(ns % 1000000007) + "_" + std::to_string(counter++);
}

fs::path RepoSqlDir() { return fs::path(REVLENS_SOURCE_DIR) / "sql"; }

emulator::GeneratorOptions TestPortalOptions(const std::string& size, uint64_t seed, bool effects) {
  emulator::GeneratorOptions o;
  o.size = size;
  o.seed = seed;
  o.anchor_date = "2026-06-30";
  o.effects = effects;
  return o;
}

std::unique_ptr<BuiltPortal> BuiltPortal::Create(const std::string& engine, const emulator::GeneratorOptions& options) {
  std::unique_ptr<BuiltPortal> p(new BuiltPortal());  // private constructor: make_unique cannot reach it
  const std::string suffix = UniqueSuffix();
  if (engine == "duckdb") {
    p->file_ = fs::temp_directory_path() / ("revlens_fixture_" + suffix + ".duckdb");
    p->wh_ = warehouse::OpenWarehouse("duckdb://" + p->file_.string());
  } else if (engine == "postgres") {
    const char* url = std::getenv("REVLENS_TEST_POSTGRES_URL");
    if (!url || !*url) return nullptr;
    p->wh_ = warehouse::OpenWarehouse(url);
  } else {
    throw std::invalid_argument("BuiltPortal: unknown engine " + engine);
  }
  p->raw_ = "fx_raw_" + suffix;
  p->target_ = "fx_" + suffix;

  auto g = emulator::GeneratePortal(options);
  p->truth_ = g.truth;
  p->anchor_ = g.truth.at("anchor_date").get<std::string>();
  const fs::path usage = fs::temp_directory_path() / ("revlens_fixture_usage_" + suffix + ".csv");
  std::ofstream(usage, std::ios::binary) << g.product_usage_csv;
  emulator::ServeOptions so;
  so.rate_limit = "none";
  emulator::EmulatorServer server(std::move(g.portal), so);
  server.Start();
  hubspot::ClientOptions co;
  co.base_url = server.BaseUrl();
  co.access_token = so.token;
  co.search_per_second = 0;
  co.initial_per_ten_seconds = 0;
  co.base_backoff = std::chrono::milliseconds(5);
  co.max_backoff = std::chrono::milliseconds(50);
  co.jitter_seed = 7;
  hubspot::Client client(co);
  sync::SyncOptions so2;
  so2.schema = p->raw_;
  so2.lookback = std::chrono::milliseconds(0);
  so2.product_usage_path = usage.string();
  sync::RunSync(client, *p->wh_, so2);
  server.Stop();
  fs::remove(usage);

  models::BuildOptions b;
  b.project_dir = RepoSqlDir().string();
  b.target_schema = p->target_;
  b.raw_schema = p->raw_;
  b.vars["as_of_date"] = models::JinjaValue::String(p->anchor_);
  p->report_ = models::Build(*p->wh_, b);
  if (!p->report_.Ok()) {
    std::string lines;
    for (const auto& l : p->report_.FailureLines()) lines += l + "\n";
    throw std::runtime_error("BuiltPortal: the model build failed:\n" + lines);
  }
  return p;
}

BuiltPortal::~BuiltPortal() {
  if (wh_) {
    try {
      wh_->DropSchema(target_);
      wh_->DropSchema(raw_);
    } catch (const std::exception&) {
      // Best effort: a dropped connection leaves uniquely named schemas behind, never a failed run.
    }
  }
  wh_.reset();
  if (!file_.empty()) {
    fs::remove(file_);
    fs::remove(file_.string() + ".wal");
  }
}

std::string BuiltPortal::T(const std::string& model) const { return warehouse::Warehouse::QualifiedName(target_, model); }

}  // namespace revlens::testing
