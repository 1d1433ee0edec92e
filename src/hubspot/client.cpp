#include "hubspot/client.hpp"
#include "core/curl.hpp"
#include "core/strings.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <vector>

#include "hubspot/pacer.hpp"

namespace revlens::hubspot {
namespace {

using CurlHandle = curl::Easy;
using curl::Append;
using curl::Slist;

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

template <typename T>
T ParseNumber(std::string_view s, T fallback) {
  T v{};
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() ? v : fallback;
}

// What one attempt brought back.
struct Exchange {
  std::string body;
  RateHeaders rate;
  std::string correlation_id;
  CURL* handle = nullptr;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const size_t len = size * n;
  // No exception may cross libcurl's C frames: a failed allocation aborts the transfer instead.
  try {
    if (ex->body.empty()) {
      // Reserve the declared length once, so a large page is not copied while it grows.
      curl_off_t declared = -1;
      if (curl_easy_getinfo(ex->handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &declared) == CURLE_OK && declared > 0 &&
          declared < (curl_off_t{1} << 30)) {
        ex->body.reserve(static_cast<size_t>(declared));
      }
    }
    ex->body.append(data, len);
  } catch (const std::bad_alloc&) {
    return 0;
  }
  return len;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const size_t len = size * n;
  const std::string_view line(data, len);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response head (after a 100 Continue, say): forget the previous one's headers.
    ex->rate = RateHeaders{};
    ex->correlation_id.clear();
    return len;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  const std::string_view name = TrimSpace(line.substr(0, colon));
  const std::string_view value = TrimSpace(line.substr(colon + 1));
  constexpr std::string_view kPrefix = "X-HubSpot-RateLimit-";
  if (name.size() > kPrefix.size() && IEquals(name.substr(0, kPrefix.size()), kPrefix)) {
    const std::string_view field = name.substr(kPrefix.size());
    if (IEquals(field, "Max")) {
      ex->rate.max = ParseNumber<int>(value, -1);
    } else if (IEquals(field, "Remaining")) {
      ex->rate.remaining = ParseNumber<int>(value, -1);
    } else if (IEquals(field, "Interval-Milliseconds")) {
      ex->rate.interval_ms = ParseNumber<int64_t>(value, -1);
    } else if (IEquals(field, "Daily")) {
      ex->rate.daily = ParseNumber<int64_t>(value, -1);
    } else if (IEquals(field, "Daily-Remaining")) {
      ex->rate.daily_remaining = ParseNumber<int64_t>(value, -1);
    }
  } else if (IEquals(name, "X-HubSpot-Correlation-Id")) {
    try {
      ex->correlation_id = std::string(value);
    } catch (const std::bad_alloc&) {
      return 0;
    }
  }
  return len;
}

// Transport failures that another attempt cannot fix: the request itself is wrong.
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
    case CURLE_TOO_MANY_REDIRECTS:
      return true;
    default:
      return false;
  }
}

// `path?a=1&b=2` as `path?a&b`: names the request without long (or secret) values.
std::string Describe(std::string_view method, std::string_view path_and_query) {
  std::string out(method);
  out += ' ';
  const size_t q = path_and_query.find('?');
  out += path_and_query.substr(0, q);
  if (q == std::string_view::npos) return out;
  std::string_view rest = path_and_query.substr(q + 1);
  char sep = '?';
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view item = rest.substr(0, amp);
    const std::string_view name = item.substr(0, item.find('='));
    if (!name.empty()) {
      out += sep;
      out += name;
      sep = '&';
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return out;
}

// One line, bounded length, and never the token (in case a server echoes it).
std::string OneLine(std::string text, const std::string& token) {
  if (!token.empty()) {
    for (size_t p = text.find(token); p != std::string::npos; p = text.find(token, p)) text.replace(p, token.size(), "***");
  }
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  constexpr size_t kMax = 400;
  if (text.size() > kMax) text = text.substr(0, kMax) + "...";
  return text;
}

// The fields of HubSpot's error body that matter here (hubspot-api-notes.md section 9).
struct ErrorBody {
  std::string message;
  std::string correlation_id;
  std::string policy;
  std::string category;
};

ErrorBody ParseErrorBody(const std::string& body) {
  ErrorBody e;
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return e;
  auto str = [&](const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  e.message = str("message");
  e.correlation_id = str("correlationId");
  e.policy = str("policyName");
  e.category = str("category");
  return e;
}

// HubSpot exempts its search endpoints from the 10-second window (they have their own limit);
// the emulator recognises them the same way.
bool LooksLikeSearch(std::string_view method, std::string_view path) {
  path = path.substr(0, path.find('?'));
  return method == "POST" && path.size() >= 7 && path.substr(path.size() - 7) == "/search";
}

}  // namespace

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3 / 2);
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

struct Client::Impl {
  std::mutex pool_mu;
  std::vector<CurlHandle> idle;  ///< handles (and their keep-alive connections) not in use
  std::mutex rng_mu;
  std::mt19937_64 rng;
  std::string auth_header;

  std::atomic<int64_t> requests{0}, rate_limited{0}, retries{0}, server_errors{0}, network_errors{0},
      bytes_received{0}, daily_limit{0}, daily_remaining{-1};
  std::atomic<int> ten_second_limit{0};

  CurlHandle Take() {
    {
      std::lock_guard lock(pool_mu);
      if (!idle.empty()) {
        CurlHandle h = std::move(idle.back());
        idle.pop_back();
        return h;
      }
    }
    return curl::NewEasy();
  }
  void Give(CurlHandle h) {
    std::lock_guard lock(pool_mu);
    idle.push_back(std::move(h));
  }

  std::chrono::milliseconds Backoff(const ClientOptions& o, int attempt) {
    // Full jitter (uniform in [0, base x 2^attempt], capped): retries of many workers spread out.
    const double ceiling = std::min<double>(static_cast<double>(o.max_backoff.count()),
                                            static_cast<double>(o.base_backoff.count()) * std::pow(2.0, attempt));
    std::lock_guard lock(rng_mu);
    std::uniform_real_distribution<double> d(0.0, std::max(0.0, ceiling));
    return std::chrono::milliseconds(static_cast<int64_t>(d(rng)));
  }
};

Client::Client(ClientOptions options) : options_(std::move(options)) {
  curl::GlobalInit();
  while (!options_.base_url.empty() && options_.base_url.back() == '/') options_.base_url.pop_back();
  if (options_.base_url.empty()) throw ConfigError("HubSpot API base URL is empty: set HUBSPOT_API_BASE");
  PacerOptions p;
  p.initial_max = options_.initial_per_ten_seconds;
  p.search_per_second = options_.search_per_second;
  p.headroom = options_.headroom;
  pacer_ = std::make_unique<Pacer>(p);
  impl_ = std::make_unique<Impl>();
  const uint64_t seed = options_.jitter_seed != 0
                            ? options_.jitter_seed
                            : static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  impl_->rng.seed(seed);
  impl_->auth_header = "Authorization: Bearer " + options_.access_token;
}

Client::~Client() = default;

ClientStats Client::Stats() const {
  ClientStats s;
  s.requests = impl_->requests.load();
  s.rate_limited = impl_->rate_limited.load();
  s.retries = impl_->retries.load();
  s.server_errors = impl_->server_errors.load();
  s.network_errors = impl_->network_errors.load();
  s.bytes_received = impl_->bytes_received.load();
  s.daily_limit = impl_->daily_limit.load();
  s.daily_remaining = impl_->daily_remaining.load();
  s.ten_second_limit = impl_->ten_second_limit.load();
  return s;
}

Response Client::Request(std::string_view method, std::string_view path_and_query, std::string_view body,
                         RequestKind kind, const std::function<void(const Response&)>& handler) {
  if (LooksLikeSearch(method, path_and_query)) kind = RequestKind::kSearch;
  const std::string what = Describe(method, path_and_query);
  const std::string url = options_.base_url + std::string(path_and_query);
  const std::string method_str(method);
  const bool has_body_method = method == "POST" || method == "PUT" || method == "PATCH";

  Slist headers;
  Append(headers, impl_->auth_header);
  Append(headers, "Accept: application/json");
  if (!body.empty() || has_body_method) Append(headers, "Content-Type: application/json");
  Append(headers, "Expect:");  // no 100-continue round trip before a large batch body

  // What the last failed attempt was, to report when the retries run out.
  enum class Last { kNone, kTransport, kStatus, kMalformed } last = Last::kNone;
  std::string last_transport;
  int last_status = 0;
  ErrorBody last_error;
  std::string last_correlation;

  int attempts = 0;
  for (int attempt = 0; attempt <= options_.max_retries; ++attempt) {
    attempts = attempt + 1;
    if (attempt > 0) {
      impl_->retries.fetch_add(1);
      std::this_thread::sleep_for(impl_->Backoff(options_, attempt - 1));
    }
    const int64_t sent = pacer_->Acquire(kind);
    impl_->requests.fetch_add(1);

    CurlHandle h = impl_->Take();
    CURL* c = h.get();
    curl_easy_reset(c);  // keeps the live connection, DNS cache and TLS sessions
    Exchange ex;
    ex.handle = c;
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<int64_t>(options_.timeout.count(), 15000)));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // gzip from HubSpot; the emulator sends plain
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "revlens");
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &ex);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &ex);
    if (method == "GET") {
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
      if (method != "POST") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method_str.c_str());
      if (has_body_method || !body.empty()) {
        // An empty POSTFIELDS still sends Content-Length: 0, which servers expect on PUT/PATCH.
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data() != nullptr ? body.data() : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
      }
    }
    const int64_t started = pacer_->Now();
    const CURLcode code = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    // When the first byte came back: the request reached the server before that. (The whole
    // exchange would overstate it by the download of a large page.)
    curl_off_t first_byte_us = 0;
    curl_easy_getinfo(c, CURLINFO_STARTTRANSFER_TIME_T, &first_byte_us);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);  // the buffer dies with this attempt
    impl_->Give(std::move(h));
    const int64_t received = started + (static_cast<int64_t>(first_byte_us) + 999) / 1000;
    impl_->bytes_received.fetch_add(static_cast<int64_t>(ex.body.size()));

    if (code != CURLE_OK) {
      // Resets, timeouts, refused connections and bodies cut short (CURLE_PARTIAL_FILE).
      impl_->network_errors.fetch_add(1);
      last = Last::kTransport;
      last_transport = errbuf[0] != '\0' ? std::string(errbuf) : std::string(curl_easy_strerror(code));
      if (Permanent(code)) break;
      continue;
    }

    if (ex.rate.max > 0 && kind == RequestKind::kStandard) impl_->ten_second_limit.store(ex.rate.max);
    if (ex.rate.daily > 0) impl_->daily_limit.store(ex.rate.daily);
    if (ex.rate.daily_remaining >= 0) impl_->daily_remaining.store(ex.rate.daily_remaining);

    if (status >= 200 && status < 300) {
      pacer_->OnResponse(kind, sent, received, ex.rate, true);
      Response r{static_cast<int>(status), std::move(ex.body)};
      if (handler) {
        try {
          handler(r);
        } catch (const MalformedResponseError& e) {
          impl_->network_errors.fetch_add(1);
          last = Last::kMalformed;
          last_status = r.status;
          last_error = ErrorBody{};
          last_error.message = e.what();
          last_correlation = ex.correlation_id;
          continue;
        }
      }
      return r;
    }

    ErrorBody err = ParseErrorBody(ex.body);
    last_correlation = !ex.correlation_id.empty() ? ex.correlation_id : err.correlation_id;
    last_status = static_cast<int>(status);
    last_error = err;
    last = Last::kStatus;
    if (status == 429) {
      impl_->rate_limited.fetch_add(1);
      pacer_->OnRateLimited(kind, err.policy, sent, received, ex.rate);
      if (err.policy == "DAILY") break;  // no retry can succeed before midnight
      continue;
    }
    pacer_->OnResponse(kind, sent, received, ex.rate, false);
    if (status >= 500) {
      impl_->server_errors.fetch_add(1);
      continue;
    }
    break;  // other statuses are the request's fault: retrying cannot help
  }

  const std::string& token = options_.access_token;
  switch (last) {
    case Last::kTransport:
      throw IOError(OneLine("cannot reach " + options_.base_url + ": " + last_transport + " (" + what + ", " +
                                std::to_string(attempts) + (attempts == 1 ? " attempt)" : " attempts)"),
                            token));
    case Last::kMalformed:
      throw HubSpotApiError(last_status, last_correlation,
                            OneLine("HubSpot " + what + ": malformed response after " +
                                        std::to_string(attempts) + " attempts: " + last_error.message,
                                    token));
    case Last::kStatus: {
      std::string msg = "HubSpot " + what + ": HTTP " + std::to_string(last_status);
      if (last_status == 401) {
        msg += " (the access token was refused: check HUBSPOT_ACCESS_TOKEN)";
      } else if (last_status == 403) {
        msg += " (the access token lacks a scope this call needs)";
      } else if (last_status == 429 && last_error.policy == "DAILY") {
        msg += " (daily API limit used up; it resets at midnight in the account's time zone)";
      } else if (last_status == 429 || last_status >= 500) {
        msg += " after " + std::to_string(attempts) + " attempts";
      }
      if (!last_error.message.empty()) msg += ": " + last_error.message;
      if (!last_correlation.empty()) msg += " (correlation id " + last_correlation + ")";
      throw HubSpotApiError(last_status, last_correlation, OneLine(msg, token));
    }
    case Last::kNone:
      break;
  }
  throw IOError("HubSpot " + what + ": no attempt was made (max_retries < 0)");
}

}  // namespace revlens::hubspot
