#pragma once
/// One JSON POST with retries, for Slack incoming webhooks and outbound webhooks. libcurl behind a move-only
/// RAII handle; retries 429 (waiting what Retry-After says), 5xx and connection failures with exponential backoff
/// and full jitter; any other status fails at once. Messages never contain the URL's path or query (where a
/// Slack webhook keeps its secret): only the redacted destination.
///
/// Why not hubspot::Client: it is bound to HubSpot (bearer token, X-HubSpot-RateLimit-* headers, HubSpot error
/// bodies and messages that name the request path) and ignores Retry-After; its pacer *is* reused (slack.cpp).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace revlens::deliver {

/// What one attempt brought back.
struct HttpAttempt {
  int status = 0;               ///< 0 when the request never got a response
  std::string body;             ///< the response body (capped at 64 KiB)
  int64_t retry_after_ms = -1;  ///< Retry-After in milliseconds, -1 when absent or not a number of seconds
  std::string transport_error;  ///< libcurl's message when status is 0 (URL scrubbed)
};

/// Send one POST of `body` (Content-Type: application/json) with extra `headers` ("Name: value" lines).
HttpAttempt HttpPostOnce(const std::string& url, const std::string& body, const std::vector<std::string>& headers,
                         std::chrono::milliseconds timeout);

/// How hard to try.
struct RetryPolicy {
  int max_retries = 4;                           ///< after the first attempt
  std::chrono::milliseconds base_backoff{500};   ///< first retry waits up to this (doubles)
  std::chrono::milliseconds max_backoff{30000};  ///< cap of one wait, Retry-After included
  std::chrono::milliseconds timeout{10000};      ///< one attempt
};

/// The end of an attempt series.
struct PostOutcome {
  bool ok = false;
  int status = 0;  ///< the last HTTP status (0 = no response)
  int attempts = 0;
  std::string error;  ///< one line, no secret; empty when ok
};

/// POST with retries. `headers` is called before each attempt (a signature carries a fresh timestamp);
/// `before_attempt` (may be empty) is called before each attempt too (pacing). `describe` names the destination
/// in messages (redacted). `sleep` defaults to std::this_thread::sleep_for.
PostOutcome PostWithRetries(const std::string& url, const std::string& body,
                            const std::function<std::vector<std::string>()>& headers, const RetryPolicy& policy,
                            const std::string& describe, const std::function<void()>& before_attempt = {},
                            const std::function<void(std::chrono::milliseconds)>& sleep = {});

/// `https://hooks.slack.com/services/T0/B0/XYZ` -> `https://hooks.slack.com/***#1a2b3c4d`: scheme and host, the
/// rest hidden, and a short SHA-256 fingerprint of the whole URL so two webhooks on one host stay apart.
std::string RedactUrl(const std::string& url);

/// Replace every occurrence of `url`, and of its path-and-query part, in `text` with `***`; one line.
std::string ScrubSecretUrl(std::string text, const std::string& url);

}  // namespace revlens::deliver
