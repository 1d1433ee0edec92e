#include "deliver/http_post.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <memory>
#include <random>
#include <string_view>
#include <thread>

#include "core/curl.hpp"
#include "core/errors.hpp"

namespace revlens::deliver {
namespace {

using curl::Append;
using curl::Slist;

constexpr size_t kMaxBody = 64 * 1024;

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<HttpAttempt*>(user);
  const size_t len = size * n;
  try {
    if (out->body.size() < kMaxBody) out->body.append(data, std::min(len, kMaxBody - out->body.size()));
  } catch (const std::bad_alloc&) {
    return 0;  // no exception may cross libcurl's C frames
  }
  return len;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<HttpAttempt*>(user);
  const size_t len = size * n;
  std::string_view line(data, len);
  if (line.rfind("HTTP/", 0) == 0) {
    out->retry_after_ms = -1;
    return len;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !IEquals(line.substr(0, colon), "Retry-After")) return len;
  std::string_view v = line.substr(colon + 1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  // Slack sends delta-seconds; an HTTP-date (allowed by RFC 9110) falls back to the backoff.
  double seconds = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
  if (ec == std::errc() && p == v.data() + v.size() && seconds >= 0 && std::isfinite(seconds)) {
    out->retry_after_ms = static_cast<int64_t>(std::min(seconds, 86400.0) * 1000.0);
  }
  return len;
}

// Requests another attempt cannot fix.
bool Permanent(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
      return true;
    default:
      return false;
  }
}

// Where the path begins (after scheme://host[:port]); npos when there is none.
size_t PathStart(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t from = scheme == std::string::npos ? 0 : scheme + 3;
  return url.find_first_of("/?#", from);
}

}  // namespace

std::string RedactUrl(const std::string& url) {
  std::array<unsigned char, 32> d{};
  unsigned int len = 0;
  if (EVP_Digest(url.data(), url.size(), d.data(), &len, EVP_sha256(), nullptr) != 1) {
    throw Error("OpenSSL could not compute a SHA-256 digest");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string fp;
  for (size_t i = 0; i < 4; ++i) {
    fp += kHex[d[i] >> 4];
    fp += kHex[d[i] & 15];
  }
  std::string head = url.substr(0, PathStart(url));
  // user:password@host: keep the host only.
  const size_t scheme = head.find("://");
  const size_t at = head.rfind('@');
  if (at != std::string::npos && scheme != std::string::npos && at > scheme) head.erase(scheme + 3, at - scheme - 2);
  return head + "/***#" + fp;
}

std::string ScrubSecretUrl(std::string text, const std::string& url) {
  auto replace_all = [&](const std::string& needle) {
    if (needle.size() < 2) return;
    for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 3)) {
      text.replace(p, needle.size(), "***");
    }
  };
  replace_all(url);
  const size_t path = PathStart(url);
  if (path != std::string::npos) replace_all(url.substr(path));
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (text.size() > 300) text = text.substr(0, 300) + "...";
  return text;
}

HttpAttempt HttpPostOnce(const std::string& url, const std::string& body, const std::vector<std::string>& headers,
                         std::chrono::milliseconds timeout) {
  HttpAttempt out;
  const curl::Easy h = curl::NewEasy();
  Slist list;
  Append(list, "Content-Type: application/json");
  Append(list, "Expect:");
  for (const auto& line : headers) Append(list, line);
  CURL* c = h.get();
  std::array<char, CURL_ERROR_SIZE> errbuf{};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<int64_t>(timeout.count(), 10000)));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(c, CURLOPT_USERAGENT, "revlens");
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf.data());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &out);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  const CURLcode code = curl_easy_perform(c);
  if (code != CURLE_OK) {
    out.status = 0;
    out.transport_error =
        ScrubSecretUrl(errbuf[0] != '\0' ? std::string(errbuf.data()) : std::string(curl_easy_strerror(code)), url);
    if (Permanent(code)) out.transport_error = "permanent: " + out.transport_error;
    return out;
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  out.status = static_cast<int>(status);
  return out;
}

PostOutcome PostWithRetries(const std::string& url, const std::string& body,
                            const std::function<std::vector<std::string>()>& headers, const RetryPolicy& policy,
                            const std::string& describe, const std::function<void()>& before_attempt,
                            const std::function<void(std::chrono::milliseconds)>& sleep) {
  auto wait = [&](std::chrono::milliseconds d) {
    if (d.count() <= 0) return;
    if (sleep) {
      sleep(d);
    } else {
      std::this_thread::sleep_for(d);
    }
  };
  std::mt19937_64 rng(static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  PostOutcome out;
  std::string last;
  for (int attempt = 0; attempt <= policy.max_retries; ++attempt) {
    if (before_attempt) before_attempt();
    const HttpAttempt a = HttpPostOnce(url, body, headers ? headers() : std::vector<std::string>{}, policy.timeout);
    out.attempts = attempt + 1;
    out.status = a.status;
    if (a.status >= 200 && a.status < 300) {
      out.ok = true;
      out.error.clear();
      return out;
    }
    bool retry = false;
    std::chrono::milliseconds delay{0};
    // Full jitter (uniform in [0, base x 2^attempt], capped): concurrent senders spread out.
    const double ceiling = std::min<double>(static_cast<double>(policy.max_backoff.count()),
                                            static_cast<double>(policy.base_backoff.count()) * std::pow(2.0, attempt));
    const auto jitter = std::chrono::milliseconds(
        static_cast<int64_t>(std::uniform_real_distribution<double>(0.0, std::max(0.0, ceiling))(rng)));
    if (a.status == 0) {
      constexpr std::string_view kPermanent = "permanent: ";
      retry = a.transport_error.rfind(kPermanent, 0) != 0;
      last = retry ? a.transport_error : a.transport_error.substr(kPermanent.size());
      delay = jitter;
    } else if (a.status == 429) {
      last = "HTTP 429 (rate limited)";
      retry = true;
      delay =
          a.retry_after_ms >= 0 ? std::min(std::chrono::milliseconds(a.retry_after_ms), policy.max_backoff) : jitter;
    } else if (a.status >= 500) {
      last = "HTTP " + std::to_string(a.status);
      retry = true;
      delay = jitter;
    } else {
      // Slack answers 400 invalid_payload, 403 action_prohibited, 404 no_service, 410 channel_is_archived:
      // the body is its one-word reason.
      std::string reason = a.body.substr(0, 200);
      last = "HTTP " + std::to_string(a.status) + (reason.empty() ? "" : ": " + reason);
    }
    if (!retry || attempt == policy.max_retries) break;
    wait(delay);
  }
  out.ok = false;
  out.error = ScrubSecretUrl(describe + ": " + last + " after " + std::to_string(out.attempts) +
                                 (out.attempts == 1 ? " attempt" : " attempts"),
                             url);
  return out;
}

}  // namespace revlens::deliver
