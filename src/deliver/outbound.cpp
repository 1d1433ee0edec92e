#include "deliver/outbound.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <charconv>
#include <chrono>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "deliver/alerts.hpp"

namespace revlens::deliver {

// hubspot/signature.hpp signs HubSpot's layouts (method + uri + body + timestamp, base64); this one is the
// timestamp-dot-body layout receivers of generic webhooks expect (hex), so the one-shot HMAC is called here.
std::string SignOutbound(std::string_view secret, int64_t timestamp_s, std::string_view body) {
  std::string message = std::to_string(timestamp_s);
  message += '.';
  message.append(body);
  std::array<unsigned char, 32> mac{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(), &len) == nullptr ||
      len != mac.size()) {
    throw Error("OpenSSL could not compute an HMAC-SHA256");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (const unsigned char b : mac) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

bool VerifyOutboundSignature(std::string_view secret, std::string_view timestamp_header, std::string_view body,
                             std::string_view signature_header, int64_t now_s) {
  int64_t ts = 0;
  const char* end = timestamp_header.data() + timestamp_header.size();
  const auto [p, ec] = std::from_chars(timestamp_header.data(), end, ts);
  if (timestamp_header.empty() || ec != std::errc() || p != end) return false;
  if (ts < now_s - kOutboundMaxSkewSeconds || ts > now_s + kOutboundMaxSkewSeconds) return false;
  const std::string expected = SignOutbound(secret, ts, body);
  return expected.size() == signature_header.size() &&
         CRYPTO_memcmp(expected.data(), signature_header.data(), expected.size()) == 0;
}

nlohmann::json OutboundBody(const Alert& alert, std::string_view run_id, int64_t now_ms) {
  return {{"type", "revlens.alert"},
          {"version", 1},
          {"id", alert.key},
          {"rule", alert.rule},
          {"entity", alert.entity},
          {"severity", alert.severity},
          {"title", alert.title},
          {"text", alert.text},
          {"data", alert.data},
          {"run_id", run_id},
          {"created_at", FormatIsoMillis(now_ms)}};
}

PostOutcome PostOutbound(const OutboundWebhook& hook, const std::string& body, std::string_view event,
                         std::string_view delivery_id, const RetryPolicy& policy) {
  const std::string event_header = "X-Revlens-Event: " + std::string(event);
  const std::string delivery_header = "X-Revlens-Delivery: " + std::string(delivery_id);
  auto headers = [&] {
    const int64_t ts =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    return std::vector<std::string>{event_header, delivery_header, "X-Revlens-Timestamp: " + std::to_string(ts),
                                    "X-Revlens-Signature: " + SignOutbound(hook.secret, ts, body)};
  };
  return PostWithRetries(hook.url, body, headers, policy, "webhook " + RedactUrl(hook.url));
}

}  // namespace revlens::deliver
