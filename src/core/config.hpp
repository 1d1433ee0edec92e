#pragma once
/// Settings: environment, then `.env`, then `revlens.toml`, then defaults (first one that sets a name wins).
///
/// Names (environment and `.env`)      revlens.toml
///   HUBSPOT_ACCESS_TOKEN               [hubspot] access_token
///   HUBSPOT_API_BASE                   [hubspot] api_base       default https://api.hubapi.com
///   HUBSPOT_CLIENT_SECRET              [hubspot] client_secret
///   REVLENS_WAREHOUSE                  [warehouse] url          default duckdb://revlens.duckdb
///   SLACK_WEBHOOK_URL                  [slack] webhook_url
///
/// An empty value counts as unset (CI systems expand a missing secret to ""). Other keys in `.env` and other
/// sections of revlens.toml belong to other parts and are ignored here; an unknown key inside the three
/// sections above is an error (it is almost always a typo).
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.hpp"

namespace revlens {

/// Where a setting's value came from.
struct SettingSource {
  enum class Kind { kDefault, kEnvironment, kDotEnv, kToml };
  Kind kind = Kind::kDefault;
  /// `HUBSPOT_ACCESS_TOKEN` (environment), `.env:3`, `revlens.toml:7`, or empty for a default.
  std::string where;
};

/// One setting: its value (empty when unset) and where it came from.
struct Setting {
  std::string value;
  SettingSource source;
  /// Return true when the setting has a non-empty value.
  bool IsSet() const { return !value.empty(); }
};

/// One `[[webhooks]]` table of revlens.toml: an outbound webhook that receives each alert as signed JSON.
///   [[webhooks]]
///   url = "https://example.com/revlens"       # required
///   secret_env = "REVLENS_WEBHOOK_SECRET"     # environment / .env variable holding the secret (this default)
///   secret_file = "/run/secrets/revlens_hook" # or a file holding it (used when the variable is unset)
/// The secret itself never sits in revlens.toml (`secret = ...` is refused).
struct WebhookSetting {
  std::string url;
  std::string secret;  ///< resolved; empty when neither the variable nor the file gives one. Never printed.
  std::string secret_env = "REVLENS_WEBHOOK_SECRET";
  std::string secret_file;
  std::string where;  ///< `revlens.toml:12`
};

/// Everything revlens reads from its configuration.
struct Settings {
  Setting hubspot_access_token;
  Setting hubspot_api_base{"https://api.hubapi.com", {}};
  Setting hubspot_client_secret;
  Setting warehouse_url{"duckdb://revlens.duckdb", {}};
  Setting slack_webhook_url;  ///< one or more incoming-webhook URLs, separated by commas or whitespace
  std::vector<WebhookSetting> webhooks;

  /// Summarize for logs and `--help` output: URLs with passwords hidden, secrets as "set"/"not set", each with
  /// its source. Never contains a token, secret, webhook URL or password.
  std::string Describe() const;
};

/// Where LoadSettings looks.
struct SettingsOptions {
  /// `.env` file; default `.env` in the working directory, skipped when absent. An explicit path must exist.
  std::optional<std::string> dotenv_path;
  /// TOML file; default `revlens.toml` in the working directory, skipped when absent. An explicit path must exist.
  std::optional<std::string> toml_path;
  /// Environment lookup; default std::getenv. Tests pass their own.
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

/// Load settings with precedence environment > .env > revlens.toml > defaults. Throws ConfigError (one line,
/// naming file:line, never quoting a secret) for an unparsable file, a malformed `.env` line, an unknown key in
/// a known TOML section, a warehouse URL with an unknown scheme or an API base that is not http(s).
Settings LoadSettings(const SettingsOptions& options = {});

/// Hide the password in a URL or libpq connection string: `postgresql://u:secret@h/db` ->
/// `postgresql://u:***@h/db`; `...?password=secret&x=1` -> `...?password=***&x=1`; `password=secret host=h`
/// -> `password=*** host=h`. Other text is returned unchanged.
std::string Redact(std::string_view url);

}  // namespace revlens
