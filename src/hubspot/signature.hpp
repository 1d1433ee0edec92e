#pragma once
/// HubSpot webhook request signatures (hubspot-api-notes.md section 8): v1 and v2 are hex
/// SHA-256 digests of the client secret followed by the request; v3 is base64 HMAC-SHA256 keyed
/// by the client secret over method + uri + body + timestamp. Used both to sign the emulator's
/// outgoing webhooks and to verify HubSpot's incoming ones.
#include <cstdint>
#include <string>
#include <string_view>

namespace revlens::hubspot {

/// How far a v3 timestamp may be from now before the request is rejected (HubSpot: 5 minutes).
inline constexpr int64_t kSignatureMaxAgeMs = int64_t{5} * 60 * 1000;

/// Compute `X-HubSpot-Signature` for version v1: hex sha256(secret + body).
std::string SignatureV1(std::string_view secret, std::string_view body);
/// Compute `X-HubSpot-Signature` for version v2: hex sha256(secret + method + uri + body).
std::string SignatureV2(std::string_view secret, std::string_view method, std::string_view uri, std::string_view body);
/// Compute `X-HubSpot-Signature-v3`: base64(HMAC-SHA256(secret, method + uri + body + timestamp)),
/// the timestamp being the decimal epoch milliseconds sent as `X-HubSpot-Request-Timestamp`.
std::string SignatureV3(std::string_view secret, std::string_view method, std::string_view uri, std::string_view body,
                        int64_t timestamp_ms);

/// Check a v1 signature (constant-time comparison; hex case-insensitive).
bool VerifyV1(std::string_view secret, std::string_view body, std::string_view signature);
/// Check a v2 signature (constant-time comparison; hex case-insensitive).
bool VerifyV2(std::string_view secret, std::string_view method, std::string_view uri, std::string_view body,
              std::string_view signature);
/// Check a v3 signature: false when the timestamp is more than 5 minutes from `now_ms` (either
/// way) or the signature does not match (constant-time comparison).
bool VerifyV3(std::string_view secret, std::string_view method, std::string_view uri, std::string_view body,
              int64_t timestamp_ms, std::string_view signature, int64_t now_ms);
/// As above, with the timestamp as the raw header text; false when it is not an integer.
bool VerifyV3(std::string_view secret, std::string_view method, std::string_view uri, std::string_view body,
              std::string_view timestamp_header, std::string_view signature, int64_t now_ms);

}  // namespace revlens::hubspot
