#pragma once
/// Enrichment providers: one request per record (a company domain or a contact email) and what came back.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "enrich/settings.hpp"

namespace revlens::enrich {

/// One request: which record, looked up by what.
struct EnrichRequest {
  std::string request_id;   ///< the ledger's id; Clay passes it back in its callback
  std::string object_type;  ///< companies | contacts
  int64_t record_id = 0;
  std::string lookup_key;  ///< domain or email
};

/// What a provider answered.
struct EnrichAnswer {
  enum class Status { kAnswered, kMiss, kPending, kFailed };
  Status status = Status::kFailed;
  std::map<std::string, std::string> values;  ///< HubSpot property -> value (answered only)
  std::string detail;                         ///< one line, no secret
};

/// The ledger's name for a status: answered, miss, sent (pending), failed.
std::string StatusName(EnrichAnswer::Status s);

/// Map a provider's JSON answer onto HubSpot properties through `fields` (property -> JSON pointer); values that
/// are null, empty or absent are left out. Numbers are written without a fraction when they are whole.
std::map<std::string, std::string> MapFields(const nlohmann::json& answer,
                                             const std::map<std::string, std::string>& fields);

/// A provider. Send() is called from one thread; it paces itself to its own rate limit.
class Provider {
 public:
  virtual ~Provider() = default;
  /// Send one request. Throws ConfigError when the provider refuses the credentials (nothing further can work).
  virtual EnrichAnswer Send(const EnrichRequest& request) = 0;
  /// Return true when answers arrive later by callback (Clay).
  virtual bool Asynchronous() const = 0;
  const ProviderSettings& Settings() const { return settings_; }

 protected:
  explicit Provider(ProviderSettings settings) : settings_(std::move(settings)) {}
  /// Wait until the provider's rate limit allows the next call.
  void Pace();
  ProviderSettings settings_;

 private:
  std::chrono::steady_clock::time_point next_{};
};

/// The provider for these settings (`http` and `emulated`: HttpJsonProvider; `clay`: ClayProvider).
std::unique_ptr<Provider> MakeProvider(const ProviderSettings& settings);

/// One HTTP GET (libcurl, RAII), for providers that look records up by URL. `headers` are "Name: value" lines.
struct HttpResult {
  int status = 0;  ///< 0: no response
  std::string body;
  std::string error;  ///< transport error, URL scrubbed
};
HttpResult HttpGet(const std::string& url, const std::vector<std::string>& headers, std::chrono::milliseconds timeout);

/// Percent-encode a value for a URL query.
std::string UrlEncode(const std::string& text);

}  // namespace revlens::enrich
