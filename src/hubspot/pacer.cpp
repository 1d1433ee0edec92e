#include "hubspot/pacer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/time_util.hpp"

namespace revlens::hubspot {
namespace {

constexpr int64_t kDayMs = 86'400'000;

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The emulator's daily window ends at midnight UTC; HubSpot's at midnight in the account's time
// zone, which the API does not tell us. UTC is the best guess and errs by at most a day's part.
int64_t MillisToUtcMidnight() {
  const int64_t now = NowMillis();
  return (FloorDiv(now, kDayMs) + 1) * kDayMs - now;
}

// The k-th smallest (0-based) of the entries > `after` in two ascending sequences.
template <typename A, typename B>
int64_t KthAfter(const A& a, const B& b, int64_t after, int k) {
  auto ia = std::upper_bound(a.begin(), a.end(), after);
  auto ib = std::upper_bound(b.begin(), b.end(), after);
  for (;;) {
    const bool take_a = ib == b.end() || (ia != a.end() && *ia <= *ib);
    const int64_t v = take_a ? *ia : *ib;
    if (k-- == 0) return v;
    if (take_a) {
      ++ia;
    } else {
      ++ib;
    }
  }
}

}  // namespace

Pacer::Pacer(PacerOptions options, Clock clock) : options_(options), clock_(std::move(clock)) {
  if (!clock_) clock_ = SteadyMillis;
  if (!(options_.headroom > 0)) options_.headroom = 1.0;
  capacity_ = std::max(0, options_.initial_max);
  interval_ms_ = options_.interval_ms > 0 ? options_.interval_ms : 10'000;
  margin_ms_ = std::max<int64_t>(0, options_.margin_ms);
}

int Pacer::CountIn(const std::deque<int64_t>& d, int64_t after_ms, int64_t upto_ms) const {
  return static_cast<int>(std::upper_bound(d.begin(), d.end(), upto_ms) - std::upper_bound(d.begin(), d.end(), after_ms));
}

int Pacer::CountPhantomsIn(int64_t after_ms, int64_t upto_ms) const {
  return static_cast<int>(std::upper_bound(phantoms_.begin(), phantoms_.end(), upto_ms) -
                          std::upper_bound(phantoms_.begin(), phantoms_.end(), after_ms));
}

void Pacer::Prune(int64_t now_ms) {
  // Standard sends stay past the window for a while: a slow response's Remaining header is
  // reconciled against the sends around its own send time.
  const int64_t keep_after = now_ms - WindowMs() - options_.retention_ms;
  while (!sends_.empty() && sends_.front() <= keep_after) sends_.pop_front();
  const auto ph_end = std::upper_bound(phantoms_.begin(), phantoms_.end(), keep_after);
  phantoms_.erase(phantoms_.begin(), ph_end);
  const int64_t search_after = now_ms - SearchWindowMs();
  while (!searches_.empty() && searches_.front() <= search_after) searches_.pop_front();
}

void Pacer::ThrowDailyLocked(int64_t now_ms) const {
  const int64_t left_min = std::max<int64_t>(1, (daily_exhausted_until_ - now_ms) / 60'000);
  std::string msg = "HubSpot's daily API limit";
  if (daily_limit_ > 0) msg += " of " + std::to_string(daily_limit_) + " requests";
  msg += " is used up; it resets at midnight in the HubSpot account's time zone (in about " +
         std::to_string(left_min / 60) + "h" + std::to_string(left_min % 60) + "m if that is UTC): run again then";
  throw HubSpotApiError(429, "", msg);
}

Admission Pacer::TryLocked(RequestKind kind, int64_t now_ms) {
  if (daily_exhausted_until_ >= 0) {
    if (now_ms < daily_exhausted_until_) ThrowDailyLocked(now_ms);
    daily_exhausted_until_ = -1;
  }
  Prune(now_ms);
  if (kind == RequestKind::kSearch) {
    if (options_.search_per_second <= 0) return {true, 0};
    if (now_ms < search_blocked_until_) return {false, search_blocked_until_};
    const int n = static_cast<int>(searches_.size());
    if (n < options_.search_per_second) {
      searches_.push_back(searches_.empty() ? now_ms : std::max(now_ms, searches_.back()));
      return {true, 0};
    }
    return {false, searches_[static_cast<size_t>(n - options_.search_per_second)] + SearchWindowMs()};
  }

  if (now_ms < standard_blocked_until_) return {false, standard_blocked_until_};
  const int64_t after = now_ms - WindowMs();
  const int total = CountIn(sends_, after, now_ms) + CountPhantomsIn(after, now_ms);
  if (capacity_ == 0 || total < capacity_) {
    sends_.push_back(sends_.empty() ? now_ms : std::max(now_ms, sends_.back()));
    return {true, 0};
  }
  // Entries stamped later than now (a caller's clock slightly behind) count as now.
  return {false, std::max(now_ms + 1, KthAfter(sends_, phantoms_, after, total - capacity_) + WindowMs())};
}

Admission Pacer::TryAcquire(RequestKind kind, int64_t now_ms) {
  std::lock_guard lock(mu_);
  return TryLocked(kind, now_ms);
}

int64_t Pacer::Acquire(RequestKind kind) {
  std::unique_lock lock(mu_);
  for (;;) {
    const int64_t now = clock_();
    const Admission a = TryLocked(kind, now);
    if (a.allowed) return now;
    // Woken early when a header raises the limit; otherwise sleep until a slot frees.
    cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(1, a.retry_at_ms - now)));
  }
}

void Pacer::LearnLocked(const RateHeaders& h, int64_t now_ms) {
  if (h.daily > 0) daily_limit_ = h.daily;
  if (h.daily_remaining == 0) {
    daily_exhausted_until_ = now_ms + MillisToUtcMidnight();
  } else if (h.daily_remaining > 0) {
    daily_exhausted_until_ = -1;
  }
}

void Pacer::ReconcileLocked(int server_max, int server_remaining, int64_t sent_ms, int64_t now_ms, bool from_429) {
  // The server counted `used` requests in the window ending when this one arrived (at or after
  // sent_ms, at or before now). Our sends that it can have counted lie in (sent - window, now],
  // so whatever `used` exceeds them by came from elsewhere: at least that many, never fewer.
  const int used = std::max(0, server_max - std::max(0, server_remaining));
  const int64_t after = sent_ms - WindowMs();
  const int ours = CountIn(sends_, after, now_ms);
  const int foreign = used - ours;
  // For a 429, also count our sends one more margin back: if they alone explain a full window,
  // they reached the server later after our stamp than the margin allows for.
  if (from_429 && CountIn(sends_, after - Margin(), now_ms) >= used) {
    // Widen the margin, and pause standard requests for that long meanwhile. The other requests
    // in flight with this one get the same 429 for the same cause: widen once for all of them.
    if (sent_ms > last_growth_ms_) {
      margin_ms_ = std::min(interval_ms_ / 4, Margin() + std::max<int64_t>(250, Margin() / 2));
      last_growth_ms_ = now_ms;
    }
    standard_blocked_until_ = std::max(standard_blocked_until_, now_ms + Margin());
    return;
  }
  const int add = foreign - CountPhantomsIn(after, now_ms);
  if (add <= 0) return;
  // Others' requests arrived no later than this one, so they leave the server's window no
  // later than ours stamped at sent_ms leaves the pacer's.
  const auto pos = std::upper_bound(phantoms_.begin(), phantoms_.end(), sent_ms);
  phantoms_.insert(pos, static_cast<size_t>(add), sent_ms);
}

void Pacer::NoteLatencyLocked(int64_t sent_ms, int64_t now_ms) {
  const int64_t latency = std::max<int64_t>(0, now_ms - sent_ms);
  latencies_.push_back(latency);
  if (static_cast<int>(latencies_.size()) > std::max(1, options_.latency_samples)) latencies_.pop_front();
  latency_max_ = *std::max_element(latencies_.begin(), latencies_.end());
}

void Pacer::OnResponse(RequestKind kind, int64_t sent_ms, int64_t now_ms, const RateHeaders& headers, bool ok) {
  std::lock_guard lock(mu_);
  NoteLatencyLocked(sent_ms, now_ms);
  LearnLocked(headers, now_ms);
  // Search responses carry no 10-second figures (and a server that sent its per-second ones
  // must not be read as the standard limit).
  if (kind != RequestKind::kStandard) return;
  const int old_capacity = capacity_;
  if (ok && headers.max <= 0 && learned_max_ == 0 && capacity_ != 0) {
    // HubSpot sends the 10-second figures on every standard response; a server that sends none
    // does not limit (the emulator's tier `none`), so the initial guess stops holding us back.
    capacity_ = 0;
    cv_.notify_all();
    return;
  }
  if (headers.max > 0) {
    capacity_ = std::max(1, static_cast<int>(std::floor(headers.max * options_.headroom)));
    learned_max_ = headers.max;
  }
  if (headers.interval_ms > 0) interval_ms_ = headers.interval_ms;
  if (headers.max > 0 && headers.remaining >= 0) {
    Prune(now_ms);
    ReconcileLocked(headers.max, headers.remaining, sent_ms, now_ms, false);
  }
  if (capacity_ == 0 || capacity_ > old_capacity || (old_capacity == 0 && capacity_ > 0)) cv_.notify_all();
}

void Pacer::OnRateLimited(RequestKind kind, std::string_view policy, int64_t sent_ms, int64_t now_ms,
                          const RateHeaders& headers) {
  std::lock_guard lock(mu_);
  NoteLatencyLocked(sent_ms, now_ms);
  LearnLocked(headers, now_ms);
  if (policy == "DAILY") {
    daily_exhausted_until_ = now_ms + MillisToUtcMidnight();
    return;
  }
  if (kind == RequestKind::kSearch || policy == "SECONDLY") {
    search_blocked_until_ = std::max(search_blocked_until_, now_ms + SearchWindowMs());
    return;
  }
  if (headers.max > 0) {
    capacity_ = std::max(1, static_cast<int>(std::floor(headers.max * options_.headroom)));
    learned_max_ = headers.max;
  }
  if (headers.interval_ms > 0) interval_ms_ = headers.interval_ms;
  // Headers that still show room mean the server's window is not full: a 429 for another
  // reason (or an injected one); the caller's backoff is enough.
  if (headers.remaining > 0) return;
  // Without a known limit there is no window to fill; the caller backs off.
  if (learned_max_ <= 0) return;
  Prune(now_ms);
  ReconcileLocked(learned_max_, 0, sent_ms, now_ms, true);
}

int Pacer::Capacity() const {
  std::lock_guard lock(mu_);
  return capacity_;
}

int64_t Pacer::IntervalMs() const {
  std::lock_guard lock(mu_);
  return interval_ms_;
}

int64_t Pacer::MarginMs() const {
  std::lock_guard lock(mu_);
  return Margin();
}

int Pacer::InWindow(int64_t now_ms) const {
  std::lock_guard lock(mu_);
  const int64_t after = now_ms - WindowMs();
  return CountIn(sends_, after, now_ms) + CountPhantomsIn(after, now_ms);
}

int Pacer::SearchesInWindow(int64_t now_ms) const {
  std::lock_guard lock(mu_);
  return CountIn(searches_, now_ms - SearchWindowMs(), now_ms);
}

bool Pacer::DailyExhausted(int64_t now_ms) const {
  std::lock_guard lock(mu_);
  return daily_exhausted_until_ >= 0 && now_ms < daily_exhausted_until_;
}

}  // namespace revlens::hubspot
