#include "emulator/faults.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.hpp"

namespace revlens::emulator {
namespace {

std::vector<FaultKind> Draw(FaultInjector& f, int n) {
  std::vector<FaultKind> out;
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) out.push_back(f.Next());
  return out;
}

size_t Index(FaultKind k) {
  return static_cast<size_t>(k);
}

TEST(FaultInjector, SameSeedSameSequence) {
  const char* spec = "5xx=0.1,429=0.05,reset=0.02,truncate=0.02,slow=0.01,slow_ms=6000";
  FaultInjector a(spec, 7), b(spec, 7), c(spec, 8);
  const auto sa = Draw(a, 5000), sb = Draw(b, 5000), sc = Draw(c, 5000);
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, sc);
}

TEST(FaultInjector, EmpiricalRatesMatchTheSpec) {
  FaultInjector f("5xx=0.1,429=0.05,reset=0.02,truncate=0.02,slow=0.01", 42);
  const int n = 100'000;
  Draw(f, n);
  const auto counts = f.Counts();
  auto rate = [&](FaultKind k) { return static_cast<double>(counts[Index(k)]) / n; };
  // Binomial standard deviation at n = 100k is at most 0.0016; allow about 4 sigma.
  EXPECT_NEAR(rate(FaultKind::kStatus500), 0.1 / 3, 0.003);
  EXPECT_NEAR(rate(FaultKind::kStatus502), 0.1 / 3, 0.003);
  EXPECT_NEAR(rate(FaultKind::kStatus503), 0.1 / 3, 0.003);
  EXPECT_NEAR(rate(FaultKind::kStatus429), 0.05, 0.003);
  EXPECT_NEAR(rate(FaultKind::kReset), 0.02, 0.002);
  EXPECT_NEAR(rate(FaultKind::kTruncate), 0.02, 0.002);
  EXPECT_NEAR(rate(FaultKind::kSlow), 0.01, 0.0015);
  EXPECT_NEAR(rate(FaultKind::kNone), 0.8, 0.005);
  uint64_t total = 0;
  for (auto c : counts) total += c;
  EXPECT_EQ(total, static_cast<uint64_t>(n));
}

TEST(FaultInjector, IndividualStatusesAndSlowMillis) {
  FaultInjector f("500=0.2, 503=0.1 ,slow=0.05,slow_ms=1500", 1);
  EXPECT_EQ(f.SlowMillis(), 1500);
  Draw(f, 100'000);
  const auto counts = f.Counts();
  EXPECT_NEAR(counts[Index(FaultKind::kStatus500)] / 1e5, 0.2, 0.005);
  EXPECT_EQ(counts[Index(FaultKind::kStatus502)], 0u);
  EXPECT_NEAR(counts[Index(FaultKind::kStatus503)] / 1e5, 0.1, 0.004);
  EXPECT_NEAR(counts[Index(FaultKind::kSlow)] / 1e5, 0.05, 0.003);
  EXPECT_EQ(f.Spec(), "500=0.2,503=0.1,slow=0.05,slow_ms=1500");
}

TEST(FaultInjector, EmptySpecInjectsNothing) {
  FaultInjector f("", 3);
  for (FaultKind k : Draw(f, 10'000)) ASSERT_EQ(k, FaultKind::kNone);
  EXPECT_EQ(f.Spec(), "");
  EXPECT_EQ(f.SlowMillis(), 6000);
  FaultInjector all("429=1", 3);
  for (FaultKind k : Draw(all, 1000)) ASSERT_EQ(k, FaultKind::kStatus429);
}

TEST(FaultInjector, MalformedSpecsNameTheBadItem) {
  auto message = [](const char* spec) {
    try {
      FaultInjector f(spec, 1);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("5xx=0.1,bogus=0.2").find("'bogus=0.2'"), std::string::npos);
  EXPECT_NE(message("5xx=abc").find("'5xx=abc'"), std::string::npos);
  EXPECT_NE(message("429").find("'429'"), std::string::npos);
  EXPECT_NE(message("reset=1.5").find("'reset=1.5'"), std::string::npos);
  EXPECT_NE(message("reset=-0.1").find("'reset=-0.1'"), std::string::npos);
  EXPECT_NE(message("slow_ms=fast").find("'slow_ms=fast'"), std::string::npos);
  EXPECT_NE(message("5xx=0.1,5xx=0.2").find("'5xx=0.2'"), std::string::npos);
  EXPECT_NE(message("5xx=0.1x").find("'5xx=0.1x'"), std::string::npos);
  EXPECT_NE(message("5xx=0.6,429=0.5").find("more than 1"), std::string::npos);
  EXPECT_NE(message("5xx=nan").find("'5xx=nan'"), std::string::npos);
}

TEST(FaultInjector, SetSpecKeepsTheOldSpecOnError) {
  FaultInjector f("5xx=0.1", 9);
  EXPECT_THROW(f.SetSpec("5xx=0.1,oops"), ConfigError);
  EXPECT_EQ(f.Spec(), "5xx=0.1");
  f.SetSpec("truncate=0.5");
  EXPECT_EQ(f.Spec(), "truncate=0.5");
  Draw(f, 10'000);
  EXPECT_EQ(f.Counts()[Index(FaultKind::kStatus500)], 0u);
  EXPECT_NEAR(f.Counts()[Index(FaultKind::kTruncate)] / 1e4, 0.5, 0.03);
}

TEST(FaultInjector, SequenceDoesNotDependOnWhenFaultsWereEnabled) {
  // One draw per request either way: enabling faults mid-run yields the same tail as a run that
  // had them from the start.
  FaultInjector a("", 5), b("reset=0.3", 5);
  Draw(a, 100);
  Draw(b, 100);
  a.SetSpec("reset=0.3");
  EXPECT_EQ(Draw(a, 1000), Draw(b, 1000));
}

}  // namespace
}  // namespace revlens::emulator
