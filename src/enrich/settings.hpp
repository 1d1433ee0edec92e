#pragma once
/// The `[enrichment]` section of revlens.toml: providers, their costs and monthly caps, the freshness window.
///
///   [enrichment]
///   freshness_days = 90                 # never ask for the same record twice within this window
///   require = ["industry", "numberofemployees"]   # a company is sent when one of these is empty in HubSpot
///   push = false                        # also write the values into HubSpot's own properties (where empty)
///
///   [[enrichment.providers]]
///   name = "emulated"                   # unique; recorded in the ledger and as the value's source
///   kind = "emulated"                   # emulated | http | clay
///   credits_per_call = 1.0
///   monthly_cap = 500.0                 # credits per calendar month (UTC); a call that would pass it is not sent
///
/// `http` adds: url (with `{domain}` / `{email}`), method (GET | POST), body (POST template), api_key_env /
/// api_key_file, api_key_header (`X-Api-Key`, or `Authorization` for `Bearer <key>`), rate_per_second, and
/// `[enrichment.providers.fields]` mapping a HubSpot property onto a JSON pointer in the answer. `clay` adds
/// webhook_url and secret_env / secret_file (the shared secret Clay's callback carries). `emulated` is an `http`
/// provider preset for the emulator's `/_enrichment/v1/companies` (url defaults to HUBSPOT_API_BASE). Secrets
/// never sit in revlens.toml: only the names of variables or files that hold them.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace revlens::enrich {

/// One `[[enrichment.providers]]` entry.
struct ProviderSettings {
  std::string name;
  std::string kind = "http";              ///< emulated | http | clay
  std::string object_type = "companies";  ///< companies (key: domain) | contacts (key: email)
  double credits_per_call = 1.0;
  double monthly_cap = 0;  ///< credits per calendar month (UTC)
  std::string url;         ///< http/emulated: request URL template; clay: the table's webhook URL
  std::string method = "GET";
  std::string body;     ///< POST body template
  std::string api_key;  ///< resolved from api_key_env / api_key_file; never printed
  std::string api_key_env, api_key_file;
  std::string api_key_header = "X-Api-Key";
  double rate_per_second = 5;  ///< the provider's own rate limit
  int timeout_ms = 10000;
  /// HubSpot property -> JSON pointer into the provider's answer (`/company/industry`).
  std::map<std::string, std::string> fields;
  std::string secret;  ///< clay: the callback's shared secret, resolved; never printed
  std::string secret_env = "REVLENS_CLAY_SECRET", secret_file;
  std::string where;  ///< `revlens.toml:12`
};

/// The whole section.
struct EnrichSettings {
  int freshness_days = 90;
  std::vector<std::string> require = {"industry", "numberofemployees"};
  /// After enriching, write the values into HubSpot's own properties where they are empty (hubspot_push.hpp).
  bool push = false;
  std::vector<ProviderSettings> providers;
};

/// The field mapping of the emulated provider's answers.
std::map<std::string, std::string> EmulatedFieldMapping();

/// Read `[enrichment]` from the TOML file at `toml_path` (default `revlens.toml` when present; no file = no
/// providers). `api_base` fills an emulated provider's URL when it has none. `getenv` defaults to std::getenv.
/// Throws ConfigError naming file:line for a malformed entry, an unknown key or a secret written in the file.
EnrichSettings LoadEnrichSettings(const std::optional<std::string>& toml_path, const std::string& api_base,
                                  const std::function<std::optional<std::string>(const std::string&)>& getenv = {});

/// Parse `[enrichment]` from TOML text (tests); `source` names it in messages.
EnrichSettings ParseEnrichSettings(const std::string& toml_text, const std::string& source, const std::string& api_base,
                                   const std::function<std::optional<std::string>(const std::string&)>& getenv = {});

/// A provider for the emulator at `api_base` with this cost and cap (the demo's and the tests' default).
ProviderSettings EmulatedProvider(const std::string& api_base, double credits_per_call, double monthly_cap);

}  // namespace revlens::enrich
