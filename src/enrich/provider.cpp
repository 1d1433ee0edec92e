#include "enrich/provider.hpp"

#include <curl/curl.h>

#include <cmath>
#include <thread>

#include "core/curl.hpp"
#include "core/errors.hpp"
#include "deliver/http_post.hpp"

namespace revlens::enrich {
namespace {


size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  try {
    if (out->size() < (1u << 20)) out->append(data, size * n);
  } catch (const std::bad_alloc&) {
    return 0;  // no exception may cross libcurl's C frames
  }
  return size * n;
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t p = text.find(from); p != std::string::npos; p = text.find(from, p + to.size()))
    text.replace(p, from.size(), to);
  return text;
}

/// The key header line: `Authorization` gets `Bearer <key>`, any other header the key itself.
std::vector<std::string> KeyHeaders(const ProviderSettings& s) {
  std::vector<std::string> h;
  if (s.api_key.empty()) return h;
  if (s.api_key_header == "Authorization")
    h.push_back("Authorization: Bearer " + s.api_key);
  else
    h.push_back(s.api_key_header + ": " + s.api_key);
  return h;
}

/// Generic JSON-over-HTTP provider (ZoomInfo / Apollo / Clearbit style) and the emulated one.
class HttpJsonProvider final : public Provider {
 public:
  explicit HttpJsonProvider(ProviderSettings s) : Provider(std::move(s)) {}
  bool Asynchronous() const override { return false; }

  EnrichAnswer Send(const EnrichRequest& r) override {
    const std::string ph = r.object_type == "contacts" ? "{email}" : "{domain}";
    const std::string url = Replace(settings_.url, ph, UrlEncode(r.lookup_key));
    const auto timeout = std::chrono::milliseconds(settings_.timeout_ms);
    EnrichAnswer a;
    // A few quick retries for 429/5xx/no answer: the ledger already holds this one call's credits.
    for (int attempt = 0; attempt < 3; ++attempt) {
      Pace();
      int status = 0;
      std::string body, error;
      if (settings_.method == "POST") {
        std::vector<std::string> headers = KeyHeaders(settings_);
        const std::string payload = Replace(settings_.body, ph, r.lookup_key);
        auto res = deliver::HttpPostOnce(url, payload, headers, timeout);
        status = res.status;
        body = std::move(res.body);
        error = res.transport_error;
      } else {
        auto res = HttpGet(url, KeyHeaders(settings_), timeout);
        status = res.status;
        body = std::move(res.body);
        error = res.error;
      }
      if (status == 401 || status == 403)
        throw ConfigError("enrichment provider " + settings_.name + " refused the API key (HTTP " +
                          std::to_string(status) + "); check " +
                          (settings_.api_key_env.empty() ? std::string("its api_key_env") : settings_.api_key_env));
      if (status == 404) {
        a.status = EnrichAnswer::Status::kMiss;
        a.detail = "not found";
        return a;
      }
      if (status >= 200 && status < 300) {
        nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
        if (j.is_discarded()) {
          a.status = EnrichAnswer::Status::kFailed;
          a.detail = "answer is not JSON";
          return a;
        }
        a.values = MapFields(j, settings_.fields);
        a.status = a.values.empty() ? EnrichAnswer::Status::kMiss : EnrichAnswer::Status::kAnswered;
        if (a.values.empty()) a.detail = "answer had none of the mapped fields";
        return a;
      }
      a.status = EnrichAnswer::Status::kFailed;
      a.detail = status == 0 ? "no response: " + deliver::ScrubSecretUrl(error, url) : "HTTP " + std::to_string(status);
      if (status != 0 && status != 429 && status < 500) return a;
      std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
    }
    return a;
  }
};

/// Clay: the row goes to the table's webhook; the answer comes back through HandleClayCallback.
class ClayProvider final : public Provider {
 public:
  explicit ClayProvider(ProviderSettings s) : Provider(std::move(s)) {}
  bool Asynchronous() const override { return true; }

  EnrichAnswer Send(const EnrichRequest& r) override {
    Pace();
    nlohmann::json row = {{"request_id", r.request_id},
                          {"record_id", std::to_string(r.record_id)},
                          {"object_type", r.object_type},
                          {r.object_type == "contacts" ? "email" : "domain", r.lookup_key}};
    deliver::RetryPolicy policy;
    policy.max_retries = 3;
    policy.base_backoff = std::chrono::milliseconds(200);
    policy.timeout = std::chrono::milliseconds(settings_.timeout_ms);
    const auto headers = KeyHeaders(settings_);
    const auto out = deliver::PostWithRetries(
        settings_.url, row.dump(), [&headers] { return headers; }, policy, deliver::RedactUrl(settings_.url));
    EnrichAnswer a;
    if (out.ok) {
      a.status = EnrichAnswer::Status::kPending;
      a.detail = "row sent to Clay; waiting for the callback";
    } else {
      if (out.status == 401 || out.status == 403)
        throw ConfigError("Clay refused the row (HTTP " + std::to_string(out.status) + "): check the webhook URL");
      a.status = EnrichAnswer::Status::kFailed;
      a.detail = out.error;
    }
    return a;
  }
};

}  // namespace

std::string StatusName(EnrichAnswer::Status s) {
  switch (s) {
    case EnrichAnswer::Status::kAnswered:
      return "answered";
    case EnrichAnswer::Status::kMiss:
      return "miss";
    case EnrichAnswer::Status::kPending:
      return "sent";
    case EnrichAnswer::Status::kFailed:
      return "failed";
  }
  return "failed";
}

std::map<std::string, std::string> MapFields(const nlohmann::json& answer,
                                             const std::map<std::string, std::string>& fields) {
  std::map<std::string, std::string> out;
  for (const auto& [prop, pointer] : fields) {
    nlohmann::json::json_pointer ptr;
    try {
      ptr = nlohmann::json::json_pointer(pointer);
    } catch (const nlohmann::json::exception&) {
      throw ConfigError("enrichment field " + prop + ": '" + pointer +
                        "' is not a JSON pointer (e.g. /company/industry)");
    }
    if (!answer.contains(ptr)) continue;
    const auto& v = answer.at(ptr);
    std::string text;
    if (v.is_string())
      text = v.get<std::string>();
    else if (v.is_number_integer())
      text = std::to_string(v.get<int64_t>());
    else if (v.is_number()) {
      const double d = v.get<double>();
      text = (std::floor(d) == d && std::fabs(d) < 9e15) ? std::to_string(static_cast<int64_t>(d)) : v.dump();
    } else if (v.is_boolean())
      text = v.get<bool>() ? "true" : "false";
    else
      continue;
    if (text.empty()) continue;
    out[prop] = std::move(text);
  }
  return out;
}

void Provider::Pace() {
  if (settings_.rate_per_second <= 0) return;
  // One thread sends, so the limit is a minimum gap between calls; no token bucket is needed for that.
  const auto now = std::chrono::steady_clock::now();
  if (next_ > now) std::this_thread::sleep_for(next_ - now);
  next_ = std::max(now, next_) + std::chrono::microseconds(static_cast<int64_t>(1e6 / settings_.rate_per_second));
}

std::unique_ptr<Provider> MakeProvider(const ProviderSettings& settings) {
  if (settings.kind == "clay") return std::make_unique<ClayProvider>(settings);
  return std::make_unique<HttpJsonProvider>(settings);
}

HttpResult HttpGet(const std::string& url, const std::vector<std::string>& headers, std::chrono::milliseconds timeout) {
  const curl::Easy h = curl::NewEasy();
  curl::Slist list;
  for (const auto& line : headers) curl::Append(list, line);
  HttpResult r;
  curl_easy_setopt(h.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(h.get(), CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(h.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(h.get(), CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = curl_easy_perform(h.get());
  if (rc != CURLE_OK) {
    r.error = curl_easy_strerror(rc);
    return r;
  }
  long status = 0;
  curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &status);
  r.status = static_cast<int>(status);
  return r;
}

std::string UrlEncode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '@') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace revlens::enrich
