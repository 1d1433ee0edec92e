#include "hubspot/signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cctype>
#include <charconv>

#include "core/errors.hpp"

namespace revlens::hubspot {
namespace {

using Digest = std::array<unsigned char, 32>;

// One-shot digests: no context to leak, so no handle wrapper is needed.
Digest Sha256(std::initializer_list<std::string_view> parts) {
  std::string message;
  size_t total = 0;
  for (auto p : parts) total += p.size();
  message.reserve(total);
  for (auto p : parts) message.append(p);
  Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(message.data(), message.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 || len != out.size()) {
    throw Error("OpenSSL could not compute a SHA-256 digest");
  }
  return out;
}

std::string Hex(const Digest& d) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(d.size() * 2, '0');
  for (size_t i = 0; i < d.size(); ++i) {
    out[2 * i] = kDigits[d[i] >> 4];
    out[2 * i + 1] = kDigits[d[i] & 0xF];
  }
  return out;
}

// Constant time in the content (the length of a signature is public).
bool SameBytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Hex digests compare case-insensitively: lower-case the candidate without branching on secrets.
bool SameHex(std::string_view expected_lower, std::string_view candidate) {
  std::string lowered(candidate);
  for (auto& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return SameBytes(expected_lower, lowered);
}

}  // namespace

std::string SignatureV1(std::string_view secret, std::string_view body) {
  return Hex(Sha256({secret, body}));
}

std::string SignatureV2(std::string_view secret, std::string_view method, std::string_view uri, std::string_view body) {
  return Hex(Sha256({secret, method, uri, body}));
}

std::string SignatureV3(std::string_view secret, std::string_view method, std::string_view uri, std::string_view body,
                        int64_t timestamp_ms) {
  std::string message;
  const std::string ts = std::to_string(timestamp_ms);
  message.reserve(method.size() + uri.size() + body.size() + ts.size());
  message.append(method).append(uri).append(body).append(ts);
  Digest mac{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(), &len) == nullptr ||
      len != mac.size()) {
    throw Error("OpenSSL could not compute an HMAC-SHA256");
  }
  std::array<unsigned char, 4 * ((32 + 2) / 3) + 1> b64{};
  const int n = EVP_EncodeBlock(b64.data(), mac.data(), static_cast<int>(mac.size()));
  return std::string(reinterpret_cast<const char*>(b64.data()), static_cast<size_t>(n));
}

bool VerifyV1(std::string_view secret, std::string_view body, std::string_view signature) {
  return SameHex(SignatureV1(secret, body), signature);
}

bool VerifyV2(std::string_view secret, std::string_view method, std::string_view uri, std::string_view body,
              std::string_view signature) {
  return SameHex(SignatureV2(secret, method, uri, body), signature);
}

bool VerifyV3(std::string_view secret, std::string_view method, std::string_view uri, std::string_view body,
              int64_t timestamp_ms, std::string_view signature, int64_t now_ms) {
  // Replayed requests are refused before any hashing; the window is symmetric so a skewed
  // clock on either side has the same tolerance.
  if (timestamp_ms < now_ms - kSignatureMaxAgeMs || timestamp_ms > now_ms + kSignatureMaxAgeMs) return false;
  return SameBytes(SignatureV3(secret, method, uri, body, timestamp_ms), signature);
}

bool VerifyV3(std::string_view secret, std::string_view method, std::string_view uri, std::string_view body,
              std::string_view timestamp_header, std::string_view signature, int64_t now_ms) {
  int64_t ts = 0;
  const auto* end = timestamp_header.data() + timestamp_header.size();
  auto [ptr, ec] = std::from_chars(timestamp_header.data(), end, ts);
  if (ec != std::errc() || ptr != end || timestamp_header.empty()) return false;
  return VerifyV3(secret, method, uri, body, ts, signature, now_ms);
}

}  // namespace revlens::hubspot
