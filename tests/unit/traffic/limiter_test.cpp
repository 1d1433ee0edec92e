#include "emulator/limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/errors.hpp"

namespace revlens::emulator {
namespace {

constexpr int64_t kDayMs = 86'400'000;
// 2024-11-20T00:00:00Z, a UTC midnight.
constexpr int64_t kMidnight = 1732060800000;

TEST(RateLimiter, TierFigures) {
  struct Case {
    const char* tier;
    int per_ten;
    int64_t per_day;
  };
  for (const Case& c :
       {Case{"free", 100, 250'000}, Case{"starter", 100, 250'000}, Case{"pro", 190, 625'000},
        Case{"professional", 190, 625'000}, Case{"enterprise", 190, 1'000'000}, Case{"Enterprise", 190, 1'000'000}}) {
    RateLimiter l(c.tier);
    EXPECT_TRUE(l.Enabled()) << c.tier;
    RateDecision d = l.Check(false, kMidnight + 5000);
    EXPECT_TRUE(d.allowed) << c.tier;
    EXPECT_EQ(d.max, c.per_ten) << c.tier;
    EXPECT_EQ(d.remaining, c.per_ten - 1) << c.tier;
    EXPECT_EQ(d.interval_ms, 10000) << c.tier;
    EXPECT_EQ(d.daily, c.per_day) << c.tier;
    EXPECT_EQ(d.daily_remaining, c.per_day - 1) << c.tier;
  }
}

TEST(RateLimiter, NoneIsDisabledAndUnknownIsRejected) {
  RateLimiter none("none");
  EXPECT_FALSE(none.Enabled());
  for (int i = 0; i < 10'000; ++i) ASSERT_TRUE(none.Check(false, kMidnight).allowed);
  EXPECT_THROW(RateLimiter("gold"), ConfigError);
  EXPECT_THROW(RateLimiter(""), ConfigError);
}

TEST(RateLimiter, TenSecondWindowSlides) {
  RateLimiter l("free");
  const int64_t t0 = kMidnight + 1000;
  // 100 requests spread over the first second: all allowed.
  for (int i = 0; i < 100; ++i) {
    RateDecision d = l.Check(false, t0 + i * 10);
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, 99 - i);
  }
  RateDecision refused = l.Check(false, t0 + 5000);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.policy, "TEN_SECONDLY_ROLLING");
  EXPECT_EQ(refused.message, "You have reached your ten_secondly_rolling limit.");
  EXPECT_EQ(refused.remaining, 0);
  // Still inside the window of the first request (t0 + 10000 is exactly 10 s later: it left).
  EXPECT_FALSE(l.Check(false, t0 + 9999).allowed);
  // The first request leaves the window at t0 + 10000, freeing exactly one slot.
  EXPECT_TRUE(l.Check(false, t0 + 10000).allowed);
  EXPECT_FALSE(l.Check(false, t0 + 10000).allowed);
  // Ten more slots after the next ten requests (t0+10..t0+100) expire.
  int allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += l.Check(false, t0 + 10100).allowed ? 1 : 0;
  EXPECT_EQ(allowed, 10);
  // Refusals were not counted: after a quiet 10 s the full budget is back.
  EXPECT_EQ(l.Check(false, t0 + 30000).remaining, 99);
}

TEST(RateLimiter, DailyLimitResetsAtMidnightUtc) {
  RateLimiter l("free");
  const int64_t day_end = kMidnight + kDayMs - 1;
  // 100 requests per 10 s window would allow 8.64 M a day, so the daily limit bites first:
  // send 250,000 requests, moving 10 s ahead after every 100.
  int64_t t = kMidnight;
  for (int i = 0; i < 250'000; ++i) {
    if (i % 100 == 0 && i > 0) t += 10'000;
    ASSERT_TRUE(l.Check(false, t).allowed) << i;
  }
  ASSERT_LT(t, day_end - 20'000);
  RateDecision d = l.Check(false, t + 20'000);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.policy, "DAILY");
  EXPECT_EQ(d.message, "You have reached your daily limit.");
  EXPECT_EQ(d.daily_remaining, 0);
  EXPECT_FALSE(l.Check(false, day_end).allowed);
  EXPECT_FALSE(l.Check(true, day_end).allowed) << "search counts against the daily limit too";
  // Midnight UTC: a new day.
  RateDecision next = l.Check(false, day_end + 1);
  EXPECT_TRUE(next.allowed);
  EXPECT_EQ(next.daily_remaining, 250'000 - 1);
}

TEST(RateLimiter, SearchHasItsOwnPerSecondLimit) {
  RateLimiter l("enterprise");
  const int64_t t0 = kMidnight + 60'000;
  // Exhaust the 10-second window with ordinary requests: searches are exempt from it.
  for (int i = 0; i < 190; ++i) ASSERT_TRUE(l.Check(false, t0).allowed);
  ASSERT_FALSE(l.Check(false, t0).allowed);
  for (int i = 0; i < 5; ++i) {
    RateDecision d = l.Check(true, t0 + i);
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.max, 5);
    EXPECT_EQ(d.interval_ms, 1000);
  }
  RateDecision d = l.Check(true, t0 + 500);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.policy, "SECONDLY");
  EXPECT_EQ(d.message, "You have reached your secondly limit.");
  // One second after the first search, a slot frees; searches did not use the 10 s budget.
  EXPECT_TRUE(l.Check(true, t0 + 1000).allowed);
  EXPECT_FALSE(l.Check(false, t0 + 1000).allowed);
  EXPECT_TRUE(l.Check(false, t0 + 10'000).allowed);
}

TEST(RateLimiter, ConcurrentChecksNeverExceedTheLimit) {
  RateLimiter l("pro");
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) allowed += l.Check(false, kMidnight + 3000).allowed ? 1 : 0;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(allowed.load(), 190);
}

}  // namespace
}  // namespace revlens::emulator
