#pragma once
// Small string helpers shared by every module (header-only).
#include <cctype>
#include <string_view>

namespace revlens {

/// `s` without its leading and trailing whitespace (std::isspace).
inline std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace revlens
