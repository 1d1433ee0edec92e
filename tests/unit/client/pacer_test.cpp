// The pacer's logic on explicit times: window capacity, learning from headers, Remaining,
// search per second, 429 policies, the daily limit.
#include "hubspot/pacer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace revlens::hubspot {
namespace {

PacerOptions Small(int max, int64_t interval_ms, int64_t margin_ms) {
  PacerOptions o;
  o.initial_max = max;
  o.interval_ms = interval_ms;
  o.margin_ms = margin_ms;
  return o;
}

RateHeaders Headers(int max, int remaining, int64_t interval_ms = 10'000) {
  RateHeaders h;
  h.max = max;
  h.remaining = remaining;
  h.interval_ms = interval_ms;
  return h;
}

// Take every slot the pacer gives at `t`; returns how many.
int Drain(Pacer& p, RequestKind kind, int64_t t, std::vector<int64_t>* sent = nullptr) {
  int n = 0;
  while (p.TryAcquire(kind, t).allowed) {
    ++n;
    if (sent) sent->push_back(t);
  }
  return n;
}

TEST(Pacer, NeverExceedsCapacityInAnyWindowAndWastesNoSlot) {
  Pacer p(Small(10, 1000, 50));
  std::vector<int64_t> sent;
  for (int64_t t = 0; t <= 5000; t += 7) Drain(p, RequestKind::kStandard, t, &sent);
  // Any window of interval + margin holds at most 10 sends.
  for (size_t i = 0; i < sent.size(); ++i) {
    const auto in_window = std::count_if(sent.begin(), sent.end(),
                                         [&](int64_t s) { return s > sent[i] - 1050 && s <= sent[i]; });
    ASSERT_LE(in_window, 10) << "at t=" << sent[i];
  }
  // And it is tight: 10 per 1050 ms (plus the first burst), within one 7 ms step per window.
  EXPECT_GE(sent.size(), 10u * (5000 / 1057 + 1));
  EXPECT_LE(sent.size(), 10u * (5000 / 1050 + 1));
}

TEST(Pacer, RetryAtIsTheExactMomentASlotFrees) {
  Pacer p(Small(3, 1000, 100));
  ASSERT_TRUE(p.TryAcquire(RequestKind::kStandard, 0).allowed);
  ASSERT_TRUE(p.TryAcquire(RequestKind::kStandard, 40).allowed);
  ASSERT_TRUE(p.TryAcquire(RequestKind::kStandard, 90).allowed);
  const Admission a = p.TryAcquire(RequestKind::kStandard, 500);
  ASSERT_FALSE(a.allowed);
  EXPECT_EQ(a.retry_at_ms, 1100);
  EXPECT_FALSE(p.TryAcquire(RequestKind::kStandard, 1099).allowed);
  EXPECT_TRUE(p.TryAcquire(RequestKind::kStandard, 1100).allowed);
  EXPECT_EQ(p.TryAcquire(RequestKind::kStandard, 1100).retry_at_ms, 1140);
}

TEST(Pacer, LearnsMaxAndIntervalFromHeadersWithHeadroom) {
  Pacer p(Small(100, 10'000, 250));
  EXPECT_EQ(p.Capacity(), 100);
  ASSERT_TRUE(p.TryAcquire(RequestKind::kStandard, 0).allowed);
  p.OnResponse(RequestKind::kStandard, 0, 5, Headers(190, 189, 10'000));
  EXPECT_EQ(p.Capacity(), 190);
  EXPECT_EQ(Drain(p, RequestKind::kStandard, 10), 189);
  // A slot frees when the first send leaves the window of interval + margin.
  EXPECT_FALSE(p.TryAcquire(RequestKind::kStandard, 10'249).allowed);
  EXPECT_TRUE(p.TryAcquire(RequestKind::kStandard, 10'250).allowed);

  PacerOptions o = Small(100, 10'000, 250);
  o.headroom = 0.5;
  Pacer half(o);
  half.OnResponse(RequestKind::kStandard, 0, 1, Headers(190, 190, 2000));
  EXPECT_EQ(half.Capacity(), 95);
  EXPECT_EQ(half.IntervalMs(), 2000);
}

TEST(Pacer, ZeroInitialIsUnlimitedUntilAHeaderSaysOtherwise) {
  Pacer p(Small(0, 10'000, 250));
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(p.TryAcquire(RequestKind::kStandard, 0).allowed);
  EXPECT_EQ(p.Capacity(), 0);
  p.OnResponse(RequestKind::kStandard, 0, 5, Headers(100, 0));
  EXPECT_EQ(p.Capacity(), 100);
  EXPECT_FALSE(p.TryAcquire(RequestKind::kStandard, 6).allowed);
  EXPECT_TRUE(p.TryAcquire(RequestKind::kStandard, 10'250).allowed);
}

TEST(Pacer, ASuccessWithoutLimitHeadersLiftsTheInitialGuess) {
  Pacer p(Small(5, 10'000, 250));
  EXPECT_EQ(Drain(p, RequestKind::kStandard, 0), 5);
  // An error without headers proves nothing (a proxy's 502); a success without them does.
  p.OnResponse(RequestKind::kStandard, 0, 1, RateHeaders{}, false);
  EXPECT_EQ(p.Capacity(), 5);
  p.OnResponse(RequestKind::kStandard, 0, 1, RateHeaders{}, true);
  EXPECT_EQ(p.Capacity(), 0);
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(p.TryAcquire(RequestKind::kStandard, 2).allowed);
  // A 429 without figures gives no window to fill (the caller backs off); a header does.
  p.OnRateLimited(RequestKind::kStandard, "TEN_SECONDLY_ROLLING", 2, 3, RateHeaders{});
  EXPECT_EQ(p.Capacity(), 0);
  p.OnRateLimited(RequestKind::kStandard, "TEN_SECONDLY_ROLLING", 2, 3, Headers(100, 0));
  EXPECT_EQ(p.Capacity(), 100);
  EXPECT_FALSE(p.TryAcquire(RequestKind::kStandard, 4).allowed);
  // Once a Max was seen, a success without headers changes nothing.
  Pacer q(Small(5, 10'000, 250));
  q.OnResponse(RequestKind::kStandard, 0, 1, Headers(100, 100));
  q.OnResponse(RequestKind::kStandard, 0, 1, RateHeaders{}, true);
  EXPECT_EQ(q.Capacity(), 100);
}

TEST(Pacer, SearchHeadersDoNotTeachTheStandardLimit) {
  Pacer p(Small(100, 10'000, 250));
  p.OnResponse(RequestKind::kSearch, 0, 1, Headers(5, 4, 1000));
  EXPECT_EQ(p.Capacity(), 100);
  EXPECT_EQ(p.IntervalMs(), 10'000);
}

TEST(Pacer, RespectsRemainingWhenOthersUseTheSameApp) {
  Pacer p(Small(100, 10'000, 250));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(p.TryAcquire(RequestKind::kStandard, i).allowed);
  // The server saw 50 used when our 10th arrived: 40 are someone else's.
  p.OnResponse(RequestKind::kStandard, 9, 20, Headers(100, 50));
  EXPECT_EQ(p.InWindow(20), 50);
  EXPECT_EQ(Drain(p, RequestKind::kStandard, 21), 50);
  // The same figure again is already explained: nothing more is added.
  p.OnResponse(RequestKind::kStandard, 9, 22, Headers(100, 50));
  EXPECT_EQ(p.InWindow(22), 100);
  // Others' requests are held until our 10th send's stamp leaves the window.
  const Admission a = p.TryAcquire(RequestKind::kStandard, 30);
  ASSERT_FALSE(a.allowed);
  EXPECT_EQ(a.retry_at_ms, 0 + 10'250);
}

TEST(Pacer, RemainingThatOurSendsExplainAddsNothing) {
  Pacer p(Small(100, 10'000, 250));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(p.TryAcquire(RequestKind::kStandard, i).allowed);
  // Responses out of order and late: the server counted at most our own sends.
  p.OnResponse(RequestKind::kStandard, 3, 30, Headers(100, 96));
  p.OnResponse(RequestKind::kStandard, 9, 31, Headers(100, 90));
  p.OnResponse(RequestKind::kStandard, 0, 40, Headers(100, 99));
  EXPECT_EQ(p.InWindow(40), 10);
}

TEST(Pacer, SearchHasItsOwnPerSecondWindowOutsideTheStandardOne) {
  PacerOptions o = Small(2, 10'000, 250);
  o.search_per_second = 4;
  o.search_margin_ms = 100;
  Pacer p(o);
  EXPECT_EQ(Drain(p, RequestKind::kStandard, 0), 2);
  EXPECT_EQ(Drain(p, RequestKind::kSearch, 0), 4);
  const Admission a = p.TryAcquire(RequestKind::kSearch, 10);
  ASSERT_FALSE(a.allowed);
  EXPECT_EQ(a.retry_at_ms, 1100);
  EXPECT_EQ(Drain(p, RequestKind::kSearch, 1099), 0);
  EXPECT_EQ(Drain(p, RequestKind::kSearch, 1100), 4);
  EXPECT_EQ(p.InWindow(1100), 2);
  // Over a long run: never more than 4 in any 1.1 s.
  std::vector<int64_t> sent;
  for (int64_t t = 2000; t < 8000; t += 13) Drain(p, RequestKind::kSearch, t, &sent);
  for (int64_t s : sent) {
    EXPECT_LE(std::count_if(sent.begin(), sent.end(), [&](int64_t x) { return x > s - 1100 && x <= s; }), 4);
  }
}

TEST(Pacer, TenSecondly429WithNothingRemainingFillsTheWindow) {
  Pacer p(Small(100, 10'000, 250));
  p.OnResponse(RequestKind::kStandard, 0, 1, Headers(100, 100));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(p.TryAcquire(RequestKind::kStandard, 100 + i).allowed);
  p.OnRateLimited(RequestKind::kStandard, "TEN_SECONDLY_ROLLING", 119, 130, Headers(100, 0));
  EXPECT_GE(p.InWindow(130), 100);
  EXPECT_FALSE(p.TryAcquire(RequestKind::kStandard, 131).allowed);
  // Our first send leaves at 100 + 10'250; others (stamped at 119) hold the rest until 119 + 10'250.
  EXPECT_EQ(Drain(p, RequestKind::kStandard, 10'350), 1);
  EXPECT_EQ(Drain(p, RequestKind::kStandard, 10'368), 18);
  EXPECT_EQ(Drain(p, RequestKind::kStandard, 10'369), 81);
}

TEST(Pacer, SpuriousTenSecondly429ChangesNothing) {
  Pacer p(Small(100, 10'000, 250));
  p.OnResponse(RequestKind::kStandard, 0, 1, Headers(100, 100));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(p.TryAcquire(RequestKind::kStandard, i).allowed);
  p.OnRateLimited(RequestKind::kStandard, "TEN_SECONDLY_ROLLING", 4, 10, Headers(100, 95));
  EXPECT_EQ(p.InWindow(10), 5);
  EXPECT_EQ(p.MarginMs(), 250);
  // No headers and no learned limit (an unlimited portal): also nothing to fill.
  Pacer open(Small(0, 10'000, 250));
  open.OnRateLimited(RequestKind::kStandard, "TEN_SECONDLY_ROLLING", 0, 10, RateHeaders{});
  EXPECT_TRUE(open.TryAcquire(RequestKind::kStandard, 11).allowed);
}

TEST(Pacer, A429FromOurOwnSendsWidensTheMargin) {
  Pacer p(Small(10, 10'000, 250));
  p.OnResponse(RequestKind::kStandard, 0, 1, Headers(10, 10));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(p.TryAcquire(RequestKind::kStandard, i).allowed);
  // The first slot frees at 10'250, but our first sends reached the server more than 250 ms late.
  ASSERT_TRUE(p.TryAcquire(RequestKind::kStandard, 10'250).allowed);
  p.OnRateLimited(RequestKind::kStandard, "TEN_SECONDLY_ROLLING", 10'250, 10'260, Headers(10, 0));
  EXPECT_EQ(p.MarginMs(), 500);
  EXPECT_EQ(p.InWindow(10'260), 11) << "no phantoms: our own sends explain the 429";
  EXPECT_FALSE(p.TryAcquire(RequestKind::kStandard, 10'261).allowed);
  EXPECT_FALSE(p.TryAcquire(RequestKind::kStandard, 10'500).allowed);
}

TEST(Pacer, SlowFirstBytesWidenTheMarginUntilTheyRollOff) {
  PacerOptions o = Small(3, 10'000, 100);
  o.latency_samples = 4;
  Pacer p(o);
  EXPECT_EQ(Drain(p, RequestKind::kStandard, 0), 3);
  // A loaded server answered 400 ms after the send: it may have stamped the request that late.
  p.OnResponse(RequestKind::kStandard, 0, 400, RateHeaders{}, false);
  EXPECT_EQ(p.MarginMs(), 400);
  EXPECT_FALSE(p.TryAcquire(RequestKind::kStandard, 10'399).allowed);
  EXPECT_TRUE(p.TryAcquire(RequestKind::kStandard, 10'400).allowed);
  // Never beyond a quarter of the interval.
  p.OnResponse(RequestKind::kStandard, 10'400, 16'400, RateHeaders{}, false);
  EXPECT_EQ(p.MarginMs(), 2500);
  // Four quick answers later the slow ones no longer count.
  for (int i = 0; i < 4; ++i) p.OnResponse(RequestKind::kStandard, 17'000, 17'005, RateHeaders{}, false);
  EXPECT_EQ(p.MarginMs(), 100);
}

TEST(Pacer, Secondly429HoldsSearchesForASecond) {
  Pacer p(Small(100, 10'000, 250));
  ASSERT_TRUE(p.TryAcquire(RequestKind::kSearch, 0).allowed);
  p.OnRateLimited(RequestKind::kSearch, "SECONDLY", 0, 50, RateHeaders{});
  const Admission a = p.TryAcquire(RequestKind::kSearch, 60);
  ASSERT_FALSE(a.allowed);
  EXPECT_GE(a.retry_at_ms, 1050);
  EXPECT_TRUE(p.TryAcquire(RequestKind::kStandard, 60).allowed);
  EXPECT_TRUE(p.TryAcquire(RequestKind::kSearch, a.retry_at_ms).allowed);
}

TEST(Pacer, DailyRemainingZeroStopsWithA429NamingTheLimit) {
  Pacer p(Small(100, 10'000, 250));
  RateHeaders h = Headers(100, 99);
  h.daily = 250'000;
  h.daily_remaining = 0;
  p.OnResponse(RequestKind::kStandard, 0, 1, h);
  EXPECT_TRUE(p.DailyExhausted(2));
  try {
    p.TryAcquire(RequestKind::kStandard, 2);
    FAIL() << "expected the daily limit to stop the request";
  } catch (const HubSpotApiError& e) {
    EXPECT_EQ(e.Status(), 429);
    const std::string m = e.what();
    EXPECT_NE(m.find("daily API limit of 250000 requests is used up"), std::string::npos) << m;
    EXPECT_NE(m.find("midnight"), std::string::npos) << m;
  }
  EXPECT_THROW(p.TryAcquire(RequestKind::kSearch, 3), HubSpotApiError);
  // A DAILY 429 does the same.
  Pacer q(Small(100, 10'000, 250));
  q.OnRateLimited(RequestKind::kStandard, "DAILY", 0, 1, RateHeaders{});
  EXPECT_THROW(q.TryAcquire(RequestKind::kStandard, 2), HubSpotApiError);
}

TEST(Pacer, AcquireWaitsOnTheClockAcrossThreads) {
  PacerOptions o = Small(3, 200, 0);
  Pacer p(o);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  std::vector<int64_t> times(9);
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) times[static_cast<size_t>(t * 3 + i)] = p.Acquire(RequestKind::kStandard);
    });
  }
  for (auto& th : threads) th.join();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(395));  // 9 at 3 per 200 ms: 0, 200, 400 (ms ticks)
  EXPECT_LT(elapsed, std::chrono::milliseconds(2000));
  std::sort(times.begin(), times.end());
  for (size_t i = 3; i < times.size(); ++i) EXPECT_GE(times[i] - times[i - 3], 200);
}

}  // namespace
}  // namespace revlens::hubspot
