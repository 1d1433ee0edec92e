#include "emulator/limiter.hpp"

#include <algorithm>
#include <cctype>

#include "core/errors.hpp"

namespace revlens::emulator {
namespace {

constexpr int64_t kTenSecondsMs = 10'000;
constexpr int64_t kSecondMs = 1'000;
constexpr int64_t kDayMs = 86'400'000;
// HubSpot's search endpoints allow 5 requests per second per token (hubspot-api-notes.md s.7).
constexpr int kSearchPerSecond = 5;

// Midnight UTC at or before `ms` (floor division, so times before 1970 work too).
int64_t DayStart(int64_t ms) {
  int64_t day = ms / kDayMs;
  if (ms % kDayMs < 0) --day;
  return day * kDayMs;
}

// Forget the requests that left the rolling window (now - interval, now].
void Expire(std::deque<int64_t>& window, int64_t now_ms, int64_t interval_ms) {
  while (!window.empty() && window.front() <= now_ms - interval_ms) window.pop_front();
}

}  // namespace

RateLimiter::RateLimiter(const std::string& tier) {
  std::string t = tier;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // Current per-app figures [USE-NEW]; Professional per day follows the usage-guidelines page
  // (625,000) rather than the changelog's 650,000.
  if (t == "free" || t == "starter") {
    per_ten_seconds_ = 100;
    per_day_ = 250'000;
  } else if (t == "pro" || t == "professional") {
    per_ten_seconds_ = 190;
    per_day_ = 625'000;
  } else if (t == "enterprise") {
    per_ten_seconds_ = 190;
    per_day_ = 1'000'000;
  } else if (t == "none") {
    enabled_ = false;
    return;
  } else {
    throw ConfigError("unknown rate-limit tier '" + tier + "': use free, starter, pro, enterprise or none");
  }
  enabled_ = true;
  search_per_second_ = kSearchPerSecond;
}

RateDecision RateLimiter::Check(bool is_search, int64_t now_ms) {
  RateDecision d;
  if (!enabled_) return d;
  std::lock_guard lock(mu_);

  // The daily window resets at midnight UTC (HubSpot uses the account's time zone; the
  // emulator's portals are UTC). A request stamped earlier than the current day (threads racing
  // across midnight) is counted in the current day rather than reopening the previous one.
  const int64_t today = DayStart(now_ms);
  if (today > day_start_ms_) {
    day_start_ms_ = today;
    day_count_ = 0;
  }
  d.daily = per_day_;

  if (is_search) {
    Expire(search_window_, now_ms, kSecondMs);
    d.max = search_per_second_;
    d.interval_ms = static_cast<int>(kSecondMs);
  } else {
    Expire(window_, now_ms, kTenSecondsMs);
    d.max = per_ten_seconds_;
    d.interval_ms = static_cast<int>(kTenSecondsMs);
  }
  std::deque<int64_t>& window = is_search ? search_window_ : window_;

  // Refused requests are not counted, so a client that backs off recovers once the window slides.
  if (day_count_ >= per_day_) {
    d.allowed = false;
    d.policy = "DAILY";
    d.message = "You have reached your daily limit.";
  } else if (static_cast<int>(window.size()) >= d.max) {
    d.allowed = false;
    if (is_search) {
      d.policy = "SECONDLY";
      d.message = "You have reached your secondly limit.";
    } else {
      d.policy = "TEN_SECONDLY_ROLLING";
      d.message = "You have reached your ten_secondly_rolling limit.";
    }
  } else {
    // Keep the window ordered even if a caller's clock reading is slightly behind another's.
    window.push_back(std::max(now_ms, window.empty() ? now_ms : window.back()));
    ++day_count_;
  }
  d.remaining = std::max(0, d.max - static_cast<int>(window.size()));
  d.daily_remaining = std::max<int64_t>(0, per_day_ - day_count_);
  return d;
}

}  // namespace revlens::emulator
