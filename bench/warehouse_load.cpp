// Bulk-load throughput: Warehouse::BulkLoad of 1M rows x 6 columns (bigint, text, double, boolean, timestamp,
// date; ~9% NULLs, some text with tabs and backslashes) into DuckDB (memory and file) and, when
// REVLENS_TEST_POSTGRES_URL is set, PostgreSQL; then the time to read the rows back with Query.
// Prints the best of 3 runs after a warm-up run. Usage: bench_warehouse_load [rows]
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "warehouse/warehouse.hpp"

using revlens::warehouse::Column;
using revlens::warehouse::ColumnType;
using revlens::warehouse::Date;
using revlens::warehouse::OpenWarehouse;
using revlens::warehouse::Timestamp;
using revlens::warehouse::Value;
using revlens::warehouse::Warehouse;

namespace {

/// CPU seconds of this process (all threads): on a busy machine a steadier figure than wall time. PostgreSQL's
/// server-side work runs in another process and is not included.
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void Run(const std::string& label, Warehouse& wh, const std::vector<Column>& cols,
         const std::vector<std::vector<Value>>& rows) {
  const std::string schema = "revlens_bench_" + std::to_string(::getpid());
  wh.CreateSchema(schema);
  const std::string table = Warehouse::QualifiedName(schema, "deals");
  double best = 1e300, best_cpu = 0;
  for (int run = 0; run < 4; ++run) {
    wh.Execute("DROP TABLE IF EXISTS " + table);
    wh.CreateTable(schema, "deals", cols);
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = CpuSeconds();
    wh.BulkLoad(schema, "deals", cols, rows);
    const double s = Seconds(start);
    if (run > 0 && s < best) {  // run 0 warms caches and the engine
      best = s;
      best_cpu = CpuSeconds() - cpu_start;
    }
  }
  const int64_t n = wh.Query("SELECT count(*) FROM " + table).Scalar<int64_t>();
  if (n != static_cast<int64_t>(rows.size())) {
    std::fprintf(stderr, "%s: loaded %lld rows, expected %zu\n", label.c_str(), static_cast<long long>(n), rows.size());
    std::exit(1);
  }
  const auto read_start = std::chrono::steady_clock::now();
  const double read_cpu_start = CpuSeconds();
  const auto rs = wh.Query("SELECT * FROM " + table);
  const double read_s = Seconds(read_start);
  const double read_cpu = CpuSeconds() - read_cpu_start;
  std::printf(
      "%-14s BulkLoad %zu rows x %zu cols: %.3f s = %.2f M rows/s (client cpu %.2f s)   Query back: %.3f s = %.2f M "
      "rows/s (client cpu %.2f s)\n",
      label.c_str(), rows.size(), cols.size(), best, static_cast<double>(rows.size()) / best / 1e6, best_cpu, read_s,
      static_cast<double>(rs.RowCount()) / read_s / 1e6, read_cpu);
  wh.DropSchema(schema);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const std::vector<Column> cols = {{"id", ColumnType::kBigInt},           {"name", ColumnType::kText},
                                    {"amount", ColumnType::kDouble},       {"won", ColumnType::kBoolean},
                                    {"closed_at", ColumnType::kTimestamp}, {"close_date", ColumnType::kDate}};
  std::vector<std::vector<Value>> rows;
  rows.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    auto& row = rows.emplace_back();
    row.reserve(cols.size());
    const auto id = static_cast<int64_t>(i);
    row.emplace_back(id);
    row.emplace_back("Deal " + std::to_string(i) +
                     (i % 13 == 0 ? "\twith tab \\ and backslash" : " - Acme Corp renewal"));
    row.emplace_back(static_cast<double>(i % 100000) * 1.37);
    row.emplace_back(i % 3 == 0);
    if (i % 11 == 0)
      row.emplace_back();
    else
      row.emplace_back(Timestamp{1700000000000000 + id * 1000003});
    row.emplace_back(Date{static_cast<int32_t>(19000 + i % 700)});
  }

  try {
    {
      auto wh = OpenWarehouse("duckdb://:memory:");
      Run("duckdb-memory", *wh, cols, rows);
    }
    {
      const auto path =
          std::filesystem::temp_directory_path() / ("revlens_bench_" + std::to_string(::getpid()) + ".duckdb");
      {
        auto wh = OpenWarehouse("duckdb://" + path.string());
        Run("duckdb-file", *wh, cols, rows);
      }
      std::filesystem::remove(path);
      std::filesystem::remove(path.string() + ".wal");
    }
    if (const char* url = std::getenv("REVLENS_TEST_POSTGRES_URL"); url && *url) {
      auto wh = OpenWarehouse(url);
      Run("postgresql", *wh, cols, rows);
    } else {
      std::printf("postgresql     skipped: REVLENS_TEST_POSTGRES_URL is not set\n");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_warehouse_load: %s\n", e.what());
    return 1;
  }
  return 0;
}
