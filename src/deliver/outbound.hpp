#pragma once
/// Outbound webhook triggers: every alert is POSTed as one signed JSON document to each configured URL.
///
///   POST <url>
///   Content-Type: application/json
///   X-Revlens-Event: <rule>
///   X-Revlens-Delivery: <run id>/<alert key>
///   X-Revlens-Timestamp: <unix seconds>
///   X-Revlens-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>
///
///   {"type": "revlens.alert", "version": 1, "id": "<alert key>", "rule": "...", "entity": "...",
///    "severity": "info|warning|critical", "title": "...", "text": "...", "data": {...},
///    "run_id": "...", "created_at": "2026-06-30T12:00:00.000Z"}
///
/// A receiver recomputes the HMAC over the raw body, compares in constant time and refuses timestamps more than
/// 5 minutes away (VerifyOutboundSignature does exactly that). Each attempt carries a fresh timestamp and
/// signature. Retries: 429 (Retry-After), 5xx and connection failures; any other status fails at once.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "deliver/http_post.hpp"

namespace revlens::deliver {

struct Alert;
struct OutboundWebhook;

/// How far a signature's timestamp may be from the receiver's clock.
inline constexpr int64_t kOutboundMaxSkewSeconds = 300;

/// `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`.
std::string SignOutbound(std::string_view secret, int64_t timestamp_s, std::string_view body);

/// Check the two headers against the raw body: the timestamp within 5 minutes of `now_s`, the signature equal
/// (constant-time). False for anything malformed.
bool VerifyOutboundSignature(std::string_view secret, std::string_view timestamp_header, std::string_view body,
                             std::string_view signature_header, int64_t now_s);

/// The JSON document sent for one alert.
nlohmann::json OutboundBody(const Alert& alert, std::string_view run_id, int64_t now_ms);

/// POST `body` to `hook` with signature headers, retried per `policy`.
PostOutcome PostOutbound(const OutboundWebhook& hook, const std::string& body, std::string_view event,
                         std::string_view delivery_id, const RetryPolicy& policy);

}  // namespace revlens::deliver
