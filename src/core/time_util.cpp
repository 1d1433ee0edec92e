#include "core/time_util.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace revlens {
namespace {


bool ParseInt(std::string_view s, size_t pos, size_t len, int& out) {
  if (pos + len > s.size()) return false;
  auto r = std::from_chars(s.data() + pos, s.data() + pos + len, out);
  return r.ec == std::errc() && r.ptr == s.data() + pos + len;
}


}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::string FormatIsoMillis(int64_t epoch_ms) {
  const int64_t days = FloorDiv(epoch_ms, 86400000);
  int64_t rem = epoch_ms - days * 86400000;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  const int hh = static_cast<int>(rem / 3600000);
  rem %= 3600000;
  const int mm = static_cast<int>(rem / 60000);
  rem %= 60000;
  const int ss = static_cast<int>(rem / 1000);
  const int ms = static_cast<int>(rem % 1000);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<long long>(y), m, d, hh, mm, ss,
                ms);
  return buf;
}

std::string FormatDate(int64_t epoch_ms) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(FloorDiv(epoch_ms, 86400000), y, m, d);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

std::optional<int64_t> ParseTimestampMillis(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  // Epoch milliseconds (HubSpot accepts them for date and datetime properties).
  if (s.find('-', 1) == std::string_view::npos) {
    int64_t v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return v;
    return std::nullopt;
  }
  int y, mo, d, hh = 0, mi = 0, ss = 0, ms = 0;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-' || !ParseInt(s, 0, 4, y) || !ParseInt(s, 5, 2, mo) ||
      !ParseInt(s, 8, 2, d) || mo < 1 || mo > 12 || d < 1 || d > 31)
    return std::nullopt;
  size_t pos = 10;
  int64_t offset_min = 0;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == ' ')) {
    if (!ParseInt(s, pos + 1, 2, hh) || s.size() < pos + 6 || s[pos + 3] != ':' || !ParseInt(s, pos + 4, 2, mi))
      return std::nullopt;
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!ParseInt(s, pos + 1, 2, ss)) return std::nullopt;
      pos += 3;
    }
    if (pos < s.size() && s[pos] == '.') {
      size_t start = ++pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
      std::string_view frac = s.substr(start, pos - start);
      if (frac.empty()) return std::nullopt;
      int scale = 100;
      for (size_t i = 0; i < frac.size() && i < 3; ++i, scale /= 10) ms += (frac[i] - '0') * scale;
    }
    if (pos < s.size()) {
      if (s[pos] == 'Z') {
        ++pos;
      } else if (s[pos] == '+' || s[pos] == '-') {
        int oh = 0, om = 0;
        const int sign = s[pos] == '-' ? -1 : 1;
        if (!ParseInt(s, pos + 1, 2, oh)) return std::nullopt;
        pos += 3;
        if (pos < s.size() && s[pos] == ':') ++pos;
        if (pos + 2 <= s.size() && ParseInt(s, pos, 2, om)) pos += 2;
        offset_min = sign * (oh * 60 + om);
      }
    }
  }
  if (pos != s.size()) return std::nullopt;
  if (hh > 23 || mi > 59 || ss > 60) return std::nullopt;
  const int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 24 + hh) * 60 + mi - offset_min) * 60000 + static_cast<int64_t>(ss) * 1000 + ms;
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace revlens
