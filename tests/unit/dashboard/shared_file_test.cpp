// The dashboard beside a writer on one DuckDB file (issue 9): a client polling faster than keep_open_ms does not keep
// the writer out (the hold is cut after max_hold_ms and the file left alone for yield_ms), and while the writer holds
// the file the pages already read are answered from their last reading, marked stale; a page never read is 503.
// The file's lock is played by FakeDuckFile (one DuckDB file's lock is per process, so two openers in one test
// process would not exclude each other).
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "core/errors.hpp"
#include "dashboard/server.hpp"

namespace revlens::dashboard {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

/// One writer or any number of dashboard connections, like a DuckDB file's lock.
struct FakeDuckFile {
  std::mutex mu;
  int readers = 0;
  bool writer = false;
  int opens = 0;
};

/// A connection that holds FakeDuckFile while it lives.
class HeldWarehouse final : public warehouse::Warehouse {
 public:
  explicit HeldWarehouse(FakeDuckFile& file) : file_(file), w_(warehouse::OpenWarehouse("duckdb://:memory:")) {}
  ~HeldWarehouse() override {
    std::lock_guard lock(file_.mu);
    --file_.readers;
  }
  HeldWarehouse(const HeldWarehouse&) = delete;
  HeldWarehouse& operator=(const HeldWarehouse&) = delete;
  void Execute(const std::string& sql) override { w_->Execute(sql); }
  warehouse::ResultSet Query(const std::string& sql) override { return w_->Query(sql); }
  bool TableExists(const std::string& s, const std::string& t) override { return w_->TableExists(s, t); }
  std::vector<warehouse::Column> Columns(const std::string& s, const std::string& t) override {
    return w_->Columns(s, t);
  }
  void BulkLoad(const std::string& s, const std::string& t, const std::vector<warehouse::Column>& c,
                const std::vector<std::vector<warehouse::Value>>& rows) override {
    w_->BulkLoad(s, t, c, rows);
  }
  std::string Dialect() const override { return w_->Dialect(); }
  std::string SqlType(warehouse::ColumnType t) const override { return w_->SqlType(t); }
  std::string Describe() const override { return w_->Describe(); }

 private:
  FakeDuckFile& file_;
  std::unique_ptr<warehouse::Warehouse> w_;
};

DashboardOptions SharedFileOptions(FakeDuckFile& file) {
  DashboardOptions o;
  o.port = 0;
  o.threads = 2;
  o.open = [&file]() -> std::unique_ptr<warehouse::Warehouse> {
    {
      std::lock_guard lock(file.mu);
      if (file.writer)
        throw WarehouseError("IO Error: Could not set lock on file \"x.duckdb\": Conflicting lock is held");
      ++file.readers;
      ++file.opens;
    }
    return std::make_unique<HeldWarehouse>(file);
  };
  return o;
}

TEST(DashboardSharedFile, PagesReadBeforeAreAnsweredStaleWhileTheFileIsHeld) {
  FakeDuckFile file;
  auto o = SharedFileOptions(file);
  o.keep_open_ms = 0;
  DashboardServer s(o);
  httplib::Client c("127.0.0.1", s.Start());
  auto r = c.Get("/api/overview?period=all");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  json fresh = json::parse(r->body);
  EXPECT_FALSE(fresh.contains("stale"));
  {
    std::lock_guard lock(file.mu);
    ASSERT_EQ(file.readers, 0);  // keep_open_ms 0: closed after the request
    file.writer = true;
  }
  r = c.Get("/api/overview?period=all");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  json stale = json::parse(r->body);
  EXPECT_TRUE(stale.value("stale", false));
  EXPECT_FALSE(stale.value("read_at", "").empty());
  EXPECT_NE(stale.value("stale_reason", "").find("busy"), std::string::npos);
  for (json* j : {&stale, &fresh})
    for (const char* k : {"stale", "read_at", "stale_reason", "elapsed_ms"}) j->erase(k);
  EXPECT_EQ(stale, fresh);
  // Other filters, another page: never read, so nothing to show but the busy answer.
  r = c.Get("/api/overview?period=2026-Q1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  r = c.Get("/api/leads");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  {
    std::lock_guard lock(file.mu);
    file.writer = false;
  }
  r = c.Get("/api/overview?period=all");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_FALSE(json::parse(r->body).contains("stale"));
}

TEST(DashboardSharedFile, PollingFasterThanKeepOpenDoesNotKeepAWriterOut) {
  FakeDuckFile file;
  auto o = SharedFileOptions(file);
  o.keep_open_ms = 1000;
  o.max_hold_ms = 300;
  o.yield_ms = 250;
  DashboardServer s(o);
  const int port = s.Start();
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, stale{0}, other{0};
  std::thread poller([&] {
    httplib::Client c("127.0.0.1", port);
    while (!stop) {
      auto r = c.Get("/api/overview");
      if (r && r->status == 200)
        (json::parse(r->body).value("stale", false) ? stale : ok)++;
      else
        other++;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  while (ok == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  // A writer retrying every 100 ms, as warehouse::OpenWarehouseWaiting does at best.
  const auto t0 = SteadyClock::now();
  bool got = false;
  while (!got && SteadyClock::now() - t0 < std::chrono::seconds(5)) {
    {
      std::lock_guard lock(file.mu);
      if (file.readers == 0) got = file.writer = true;
    }
    if (!got) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double waited = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  ASSERT_TRUE(got) << "the polled dashboard kept the writer out for 5 s";
  EXPECT_LT(waited, 1.5);
  // The writer's job: the polls meanwhile are answered from the last reading.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_GT(stale.load(), 0);
  {
    std::lock_guard lock(file.mu);
    file.writer = false;
  }
  const int ok_before = ok;
  const auto t1 = SteadyClock::now();
  while (ok == ok_before && SteadyClock::now() - t1 < std::chrono::seconds(3))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop = true;
  poller.join();
  EXPECT_GT(ok.load(), ok_before);
  EXPECT_EQ(other.load(), 0);
  EXPECT_GE(file.opens, 2);
}

}  // namespace
}  // namespace revlens::dashboard
