#pragma once
/// Test support: a synthetic portal generated, served by the emulator in this process, synced into a warehouse
/// and built with the repo's SQL models; the schemas (and DuckDB file) are dropped when the fixture goes away.
/// Product tests (ICP, scoring, forecast, ...) start from here so they read the same marts users get.
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "emulator/generator/generator.hpp"
#include "models/runner.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::testing {

/// A fresh unique suffix for schema and file names (pid, clock, counter).
std::string UniqueSuffix();

/// The repo's `sql/` model project.
std::filesystem::path RepoSqlDir();

/// Generator options for tests: `size` at `seed`, anchored on 2026-06-30 so results never depend on today.
emulator::GeneratorOptions TestPortalOptions(const std::string& size = "small", uint64_t seed = 5,
                                             bool effects = true);

/// A synced and built portal in one warehouse.
class BuiltPortal {
 public:
  /// Open `engine` ("duckdb": a temp file; "postgres": REVLENS_TEST_POSTGRES_URL), generate, serve, sync, build.
  /// Returns nullptr when the engine is PostgreSQL and REVLENS_TEST_POSTGRES_URL is unset (skip the test).
  static std::unique_ptr<BuiltPortal> Create(const std::string& engine, const emulator::GeneratorOptions& options);
  ~BuiltPortal();
  BuiltPortal(const BuiltPortal&) = delete;
  BuiltPortal& operator=(const BuiltPortal&) = delete;

  warehouse::Warehouse& Wh() { return *wh_; }
  const std::string& RawSchema() const { return raw_; }
  const std::string& ModelSchema() const { return target_; }
  /// `model` qualified with the model schema.
  std::string T(const std::string& model) const;
  /// The generator's ground truth (what the products must recover; products never read it).
  const nlohmann::json& Truth() const { return truth_; }
  const models::BuildReport& Report() const { return report_; }
  /// The anchor date the portal was generated for (YYYY-MM-DD).
  const std::string& AnchorDate() const { return anchor_; }

 private:
  BuiltPortal() = default;
  std::unique_ptr<warehouse::Warehouse> wh_;
  std::filesystem::path file_;
  std::string raw_, target_, anchor_;
  nlohmann::json truth_;
  models::BuildReport report_;
};

}  // namespace revlens::testing
