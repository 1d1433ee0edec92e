#pragma once
// The set-up of the product benchmarks (bench_activity, bench_compete): a generated portal (seed 42, anchored
// 2026-06-30) served by the emulator in this process, synced into a DuckDB file and built without the data tests
// (a failing data test of the models must not stop the timing of a product). With a `keep` path the file is kept
// and reused by the next run (the `large` portal takes minutes to generate, sync and build); without one it is a
// temporary file removed when the BuiltPortal goes.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "models/runner.hpp"
#include "sync_common.hpp"

namespace bench {

/// A synced and built portal in a DuckDB file, open.
class BuiltPortal {
 public:
  /// Open `keep` when it already holds a built `size` portal, else generate, serve, sync and build into it (into
  /// a temporary file named after `name` when `keep` is empty). The schemas are bench_raw_<size> and bench_<size>.
  BuiltPortal(const std::string& name, const std::string& size, const std::string& keep)
      : path_(keep.empty() ? TempPath(name) + ".duckdb" : keep), temporary_(keep.empty()) {
    // Schema names carry the size only, so one kept file serves both benchmarks and holds several portals.
    raw_ = "bench_raw_" + size;
    target_ = "bench_" + size;
    wh_ = revlens::warehouse::OpenWarehouse("duckdb://" + path_);
    if (!temporary_ && wh_->TableExists(target_, "engagements") && wh_->TableExists(target_, "int_as_of")) {
      std::printf("setup      %s: reusing %s (schema %s)\n", size.c_str(), path_.c_str(), target_.c_str());
      return;
    }
    using Clock = std::chrono::steady_clock;
    auto served = Serve(size, "none");
    revlens::hubspot::Client client(served.client_options);
    revlens::sync::SyncOptions so;
    so.schema = raw_;
    auto t0 = Clock::now();
    revlens::sync::RunSync(client, *wh_, so);
    const double sync_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    served.server->Stop();
    revlens::models::BuildOptions b;
    b.project_dir = std::string(REVLENS_SOURCE_DIR) + "/sql";
    b.target_schema = target_;
    b.raw_schema = raw_;
    b.skip_tests = true;
    b.vars["as_of_date"] = revlens::models::JinjaValue::String("2026-06-30");
    t0 = Clock::now();
    const auto report = revlens::models::Build(*wh_, b);
    const double build_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    for (const auto& line : report.FailureLines()) std::fprintf(stderr, "%s\n", line.c_str());
    std::printf("setup      %s: generate %.1f s, sync %.1f s, build %.1f s%s%s\n", size.c_str(),
                served.generate_seconds, sync_seconds, build_seconds, temporary_ ? "" : "; kept in ",
                temporary_ ? "" : path_.c_str());
  }
  ~BuiltPortal() {
    wh_.reset();
    if (temporary_) RemoveDuck(path_);
  }
  BuiltPortal(const BuiltPortal&) = delete;
  BuiltPortal& operator=(const BuiltPortal&) = delete;

  revlens::warehouse::Warehouse& Warehouse() { return *wh_; }
  /// The model schema (the marts).
  const std::string& Schema() const { return target_; }
  /// Engagements in the engagements mart.
  long long Engagements() {
    return static_cast<long long>(
        wh_->Query("select count(*) from " + revlens::warehouse::Warehouse::QualifiedName(target_, "engagements"))
            .Scalar<int64_t>());
  }

 private:
  std::string path_;
  bool temporary_;
  std::string raw_, target_;
  std::unique_ptr<revlens::warehouse::Warehouse> wh_;
};

}  // namespace bench
