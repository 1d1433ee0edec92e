#include "core/time_zone.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <tuple>

#include "core/errors.hpp"

namespace revlens {
namespace {

// `+05:30`, `-0300`, `+2`, optionally after `UTC`/`GMT`; nullopt when `text` is not a fixed offset.
std::optional<int32_t> ParseFixedOffset(std::string_view text) {
  for (std::string_view prefix : {"UTC", "GMT"}) {
    if (text.substr(0, 3) == prefix) {
      text.remove_prefix(3);
      break;
    }
  }
  if (text.empty()) return 0;
  if (text[0] != '+' && text[0] != '-') return std::nullopt;
  const int sign = text[0] == '-' ? -1 : 1;
  text.remove_prefix(1);
  std::string digits;
  for (char c : text) {
    if (c == ':') continue;
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    digits += c;
  }
  int hours = 0, minutes = 0;
  if (digits.size() == 1 || digits.size() == 2) {
    hours = std::atoi(digits.c_str());
  } else if (digits.size() == 4) {
    hours = std::atoi(digits.substr(0, 2).c_str());
    minutes = std::atoi(digits.substr(2).c_str());
  } else {
    return std::nullopt;
  }
  if (hours > 15 || minutes > 59) return std::nullopt;
  return sign * (hours * 3600 + minutes * 60);
}

int64_t BigEndian(const std::string& data, size_t pos, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(data[pos + i]);
  if (bytes == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

}  // namespace

TimeZone TimeZone::Load(std::string_view name) {
  TimeZone tz;
  tz.name_ = std::string(name);
  if (name.empty() || name == "Z" || name == "z") {
    tz.name_ = "UTC";
    return tz;
  }
  if (auto fixed = ParseFixedOffset(name)) {
    tz.initial_offset_ = *fixed;
    return tz;
  }
  // An IANA name: letters, digits, `/`, `_`, `-`, `+`; never `..` (it becomes a path).
  const bool plausible = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' || c == '+';
  });
  if (!plausible || name.front() == '/') {
    throw ConfigError("unknown time zone '" + std::string(name) +
                      "': use UTC, an offset like +02:00, or an IANA name like America/New_York");
  }
  const char* dir = std::getenv("TZDIR");
  const std::string path = std::string(dir && *dir ? dir : "/usr/share/zoneinfo") + "/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError("unknown time zone '" + std::string(name) + "': no " + path +
                      " (install tzdata, or use an offset like -05:00)");
  }
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto bad = [&] { return ConfigError("time zone file " + path + " is not a TZif file"); };
  if (data.size() < 44 || data.compare(0, 4, "TZif") != 0) throw bad();
  // RFC 8536: a version-1 block with 32-bit times, then (version 2+) a second header and 64-bit block.
  auto block = [&](size_t pos, size_t time_bytes, size_t& end) {
    if (data.size() < pos + 44) throw bad();
    const auto count = [&](int i) {
      return static_cast<size_t>(BigEndian(data, pos + 20 + 4 * static_cast<size_t>(i), 4));
    };
    const size_t isutcnt = count(0), isstdcnt = count(1), leapcnt = count(2), timecnt = count(3), typecnt = count(4),
                 charcnt = count(5);
    const size_t times = pos + 44, idx = times + timecnt * time_bytes, types = idx + timecnt;
    end = types + typecnt * 6 + charcnt + leapcnt * (time_bytes + 4) + isstdcnt + isutcnt;
    if (data.size() < end || typecnt == 0) throw bad();
    return std::tuple{times, idx, types, timecnt, typecnt};
  };
  size_t end = 0;
  auto [times, idx, types, timecnt, typecnt] = block(0, 4, end);
  size_t time_bytes = 4;
  if (data[4] >= '2') {
    std::tie(times, idx, types, timecnt, typecnt) = block(end, 8, end);
    time_bytes = 8;
  }
  const auto type_offset = [&](size_t type) {
    if (type >= typecnt) throw bad();
    return static_cast<int32_t>(BigEndian(data, types + type * 6, 4));
  };
  tz.initial_offset_ = type_offset(0);
  for (size_t i = 0; i < timecnt; ++i) {
    tz.transitions_.push_back(BigEndian(data, times + i * time_bytes, time_bytes));
    tz.offsets_.push_back(type_offset(static_cast<unsigned char>(data[idx + i])));
  }
  // Past the last transition the last offset holds; Debian's "fat" files list transitions to 2037.
  return tz;
}

int32_t TimeZone::OffsetAt(int64_t utc_seconds) const {
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc_seconds);
  if (it == transitions_.begin()) return initial_offset_;
  return offsets_[static_cast<size_t>(it - transitions_.begin() - 1)];
}

int64_t TimeZone::ToUtc(int64_t local_seconds) const {
  // Offsets change at most once within a day around any instant, so the offsets a day either side are the
  // only candidates.
  const int32_t before = OffsetAt(local_seconds - 86400), after = OffsetAt(local_seconds + 86400);
  const int64_t a = local_seconds - before, b = local_seconds - after;
  const bool a_ok = a + OffsetAt(a) == local_seconds, b_ok = b + OffsetAt(b) == local_seconds;
  if (a_ok && b_ok) return std::min(a, b);
  if (b_ok) return b;
  return a;  // valid, or inside a forward gap: the offset before the jump
}

}  // namespace revlens
