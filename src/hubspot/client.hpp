#pragma once
/// The HubSpot API client: one libcurl easy handle per concurrent request (keep-alive), a client-side pacer
/// that keeps under the portal's limits, and retries with exponential backoff and jitter. Thread-safe: the
/// sync calls it from several worker threads at once.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/errors.hpp"

namespace revlens::hubspot {

/// What to connect to and how hard to push.
struct ClientOptions {
  std::string base_url = "https://api.hubapi.com";  ///< no trailing slash needed
  std::string access_token;                          ///< bearer token; never printed
  int max_retries = 8;                               ///< per request, after the first attempt
  std::chrono::milliseconds base_backoff{200};       ///< first retry waits about this (doubles, with jitter)
  std::chrono::milliseconds max_backoff{20000};      ///< cap of one wait
  std::chrono::milliseconds timeout{60000};          ///< whole request, connect included
  /// Requests per 10 s the pacer allows before it has seen a rate-limit header; then the header's Max wins.
  /// 0 = unlimited until a header says otherwise.
  int initial_per_ten_seconds = 100;
  /// Search requests per second (HubSpot sends no headers for search; its documented limit is 4-5/s).
  /// 0 = unlimited.
  int search_per_second = 4;
  /// Fraction of the learned 10-second limit the pacer uses (headroom for other integrations and clock skew).
  double headroom = 1.0;
  uint64_t jitter_seed = 0;  ///< 0 = from the clock; fixed in tests
};

/// Which limit a request counts against.
enum class RequestKind {
  kStandard,  ///< the 10-second rolling window and the daily limit
  kSearch,    ///< the search API's per-second limit only (exempt from the 10-second window)
};

/// A successful (2xx) response.
struct Response {
  int status = 0;
  std::string body;
};

/// Thrown by a response handler when the body is not what it should be (truncated, not JSON, wrong shape).
/// The client retries the request like a 5xx; when retries run out it becomes a HubSpotApiError naming it.
class MalformedResponseError : public Error {
 public:
  using Error::Error;
};

/// Counters for the sync summary. All figures since construction.
struct ClientStats {
  int64_t requests = 0;        ///< attempts sent, retries included
  int64_t rate_limited = 0;    ///< 429 responses received
  int64_t retries = 0;         ///< attempts that were retries
  int64_t server_errors = 0;   ///< 5xx responses received
  int64_t network_errors = 0;  ///< resets, timeouts, truncated or malformed bodies
  int64_t bytes_received = 0;
  int64_t daily_limit = 0;      ///< last X-HubSpot-RateLimit-Daily seen (0 = none)
  int64_t daily_remaining = -1; ///< last X-HubSpot-RateLimit-Daily-Remaining seen (-1 = none)
  int ten_second_limit = 0;     ///< last X-HubSpot-RateLimit-Max seen (0 = none)
};

class Pacer;

/// A HubSpot API client. Errors: HubSpotApiError (status, correlation id, HubSpot's message; 401/403 say the
/// token was refused without printing it), IOError when the host cannot be reached after the retries.
class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Send `method` (GET, POST, PATCH, PUT, DELETE) to `path_and_query` (starting with '/'), with a JSON body
  /// when `body` is non-empty. Waits for the pacer first. Retries 429, 5xx, connection failures and
  /// handler-reported MalformedResponseError; returns the first 2xx whose handler (if any) accepted it.
  /// `handler` runs on the calling thread with the body; it may parse it and keep the result. 4xx other than
  /// 429 throw HubSpotApiError at once (no retry).
  Response Request(std::string_view method, std::string_view path_and_query, std::string_view body = {},
                   RequestKind kind = RequestKind::kStandard,
                   const std::function<void(const Response&)>& handler = nullptr);
  /// GET shorthand.
  Response Get(std::string_view path_and_query, const std::function<void(const Response&)>& handler = nullptr) {
    return Request("GET", path_and_query, {}, RequestKind::kStandard, handler);
  }
  /// POST shorthand (search routes pass RequestKind::kSearch).
  Response Post(std::string_view path, std::string_view body, RequestKind kind = RequestKind::kStandard,
                const std::function<void(const Response&)>& handler = nullptr) {
    return Request("POST", path, body, kind, handler);
  }

  /// A snapshot of the counters.
  ClientStats Stats() const;
  /// The base URL (no token in it), for messages.
  const std::string& BaseUrl() const { return options_.base_url; }

 private:
  ClientOptions options_;
  std::unique_ptr<Pacer> pacer_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Percent-encode a query-string component (RFC 3986 unreserved characters stay as they are).
std::string UrlEncode(std::string_view text);

}  // namespace revlens::hubspot
