#include "core/config.hpp"
#include "core/strings.hpp"

#include <toml++/toml.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace revlens {
namespace {

/// One recognized name: its environment / .env key, its TOML section and key, and whether it is secret.
struct Field {
  const char* env_name;
  const char* section;
  const char* key;
  Setting Settings::*member;
  bool secret;
};

constexpr Field kFields[] = {
    {"HUBSPOT_ACCESS_TOKEN", "hubspot", "access_token", &Settings::hubspot_access_token, true},
    {"HUBSPOT_API_BASE", "hubspot", "api_base", &Settings::hubspot_api_base, false},
    {"HUBSPOT_CLIENT_SECRET", "hubspot", "client_secret", &Settings::hubspot_client_secret, true},
    {"REVLENS_WAREHOUSE", "warehouse", "url", &Settings::warehouse_url, false},
    {"SLACK_WEBHOOK_URL", "slack", "webhook_url", &Settings::slack_webhook_url, true},
};

bool IsKeyChar(char c, bool first) {
  return c == '_' || std::isalpha(static_cast<unsigned char>(c)) ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

[[noreturn]] void FileError(const std::string& path, size_t line, const std::string& what) {
  throw ConfigError(path + ":" + std::to_string(line) + ": " + what);
}

/// Parse one `.env` file into (key, value, line) triples. Supports `KEY=value`, `export KEY=value`,
/// `KEY="with \"escapes\"\n"`, `KEY='literal'`, blank lines and `#` comments (also after a value, when preceded
/// by whitespace). Errors name the line but never quote it: the value may be a secret.
struct DotEnvEntry {
  std::string key;
  std::string value;
  size_t line;
};

std::vector<DotEnvEntry> ParseDotEnv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot be read");
  std::vector<DotEnvEntry> out;
  std::string raw;
  size_t line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    std::string_view line = raw;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line = TrimSpace(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("export ") || line.starts_with("export\t")) line = TrimSpace(line.substr(7));
    size_t i = 0;
    while (i < line.size() && IsKeyChar(line[i], i == 0)) ++i;
    if (i == 0) FileError(path, line_no, "expected KEY=VALUE (a key starts with a letter or '_')");
    std::string key(line.substr(0, i));
    std::string_view rest = TrimSpace(line.substr(i));
    if (rest.empty() || rest.front() != '=') FileError(path, line_no, "expected KEY=VALUE after '" + key + "'");
    rest = TrimSpace(rest.substr(1));
    std::string value;
    std::string_view tail;
    if (!rest.empty() && (rest.front() == '"' || rest.front() == '\'')) {
      const char quote = rest.front();
      size_t j = 1;
      bool closed = false;
      for (; j < rest.size(); ++j) {
        char c = rest[j];
        if (c == quote) {
          closed = true;
          break;
        }
        if (quote == '"' && c == '\\' && j + 1 < rest.size()) {
          char e = rest[++j];
          switch (e) {
            case 'n':
              value += '\n';
              break;
            case 't':
              value += '\t';
              break;
            case 'r':
              value += '\r';
              break;
            default:
              value += e;
              break;  // \\, \", \$ and anything else: the character itself
          }
          continue;
        }
        value += c;
      }
      if (!closed)
        FileError(path, line_no, "unterminated quoted value for " + key + " (multi-line values are not supported)");
      tail = TrimSpace(rest.substr(j + 1));
      if (!tail.empty() && tail.front() != '#')
        FileError(path, line_no, "unexpected text after the quoted value of " + key);
    } else {
      // Unquoted: a `#` starts a comment only after whitespace, so `a#b` stays intact.
      size_t end = rest.size();
      for (size_t j = 1; j < rest.size(); ++j) {
        if (rest[j] == '#' && std::isspace(static_cast<unsigned char>(rest[j - 1]))) {
          end = j;
          break;
        }
      }
      if (!rest.empty() && rest.front() == '#') end = 0;
      value = std::string(TrimSpace(rest.substr(0, end)));
    }
    out.push_back({std::move(key), std::move(value), line_no});
  }
  return out;
}

/// toml++ descriptions can quote source text; shorten quoted runs so a mistyped secret cannot leak.
std::string ScrubQuoted(std::string_view desc) {
  std::string out;
  size_t i = 0;
  while (i < desc.size()) {
    const char q = desc[i];
    if (q == '\'' || q == '"') {
      const size_t close = desc.find(q, i + 1);
      if (close != std::string_view::npos && close - i - 1 > 3) {
        out += q;
        out += "...";
        out += q;
        i = close + 1;
        continue;
      }
    }
    out += q;
    ++i;
  }
  const size_t nl = out.find('\n');
  if (nl != std::string::npos) out.resize(nl);
  return out;
}

/// `[[webhooks]]`: an array of tables with url, secret_env, secret_file.
void ApplyWebhooks(const std::string& path, const toml::table& doc, Settings& s) {
  const toml::node* node = doc.get("webhooks");
  if (!node) return;
  const toml::array* arr = node->as_array();
  if (!arr) FileError(path, node->source().begin.line, "webhooks must be an array of tables: write [[webhooks]]");
  for (const toml::node& item : *arr) {
    const toml::table* t = item.as_table();
    const size_t line = item.source().begin.line;
    if (!t) FileError(path, line, "each [[webhooks]] entry must be a table");
    WebhookSetting w;
    w.where = path + ":" + std::to_string(line);
    for (const auto& [key, value] : *t) {
      const size_t kline = value.source().begin.line;
      const std::string k(key.str());
      if (k == "secret")
        FileError(path, kline,
                  "webhooks.secret does not belong in revlens.toml: put it in an environment variable named by "
                  "secret_env (default REVLENS_WEBHOOK_SECRET) or a file named by secret_file");
      const auto* str = value.as_string();
      if (k != "url" && k != "secret_env" && k != "secret_file")
        FileError(path, kline, "unknown key '" + k + "' in [[webhooks]] (use url, secret_env, secret_file)");
      if (!str) FileError(path, kline, "webhooks." + k + " must be a string");
      (k == "url" ? w.url : k == "secret_env" ? w.secret_env : w.secret_file) = str->get();
    }
    if (!(w.url.starts_with("http://") || w.url.starts_with("https://")))
      FileError(path, line, "[[webhooks]] needs a url starting with http:// or https://");
    s.webhooks.push_back(std::move(w));
  }
}

void ApplyToml(const std::string& path, Settings& s) {
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    FileError(path, e.source().begin.line, "invalid TOML: " + ScrubQuoted(e.description()));
  }
  for (const char* section : {"hubspot", "warehouse", "slack"}) {
    const toml::node* node = doc.get(section);
    if (!node) continue;
    const toml::table* table = node->as_table();
    if (!table) FileError(path, node->source().begin.line, std::string("[") + section + "] must be a table");
    for (const auto& [key, value] : *table) {
      const Field* field = nullptr;
      for (const Field& f : kFields)
        if (section == std::string_view(f.section) && key.str() == f.key) field = &f;
      const size_t line = value.source().begin.line;
      if (!field)
        FileError(path, line, std::string("unknown key '") + std::string(key.str()) + "' in [" + section + "]");
      const auto* str = value.as_string();
      if (!str) FileError(path, line, std::string(section) + "." + field->key + " must be a string");
      if (!str->get().empty())
        s.*(field->member) = {str->get(), {SettingSource::Kind::kToml, path + ":" + std::to_string(line)}};
    }
  }
  ApplyWebhooks(path, doc, s);
}

void ApplyDotEnv(const std::string& path, Settings& s) {
  for (const DotEnvEntry& e : ParseDotEnv(path)) {
    for (const Field& f : kFields) {
      if (e.key == f.env_name && !e.value.empty())
        s.*(f.member) = {e.value, {SettingSource::Kind::kDotEnv, path + ":" + std::to_string(e.line)}};
    }
  }
}

std::string SourceText(const SettingSource& src) {
  switch (src.kind) {
    case SettingSource::Kind::kDefault:
      return "default";
    case SettingSource::Kind::kEnvironment:
      return "environment " + src.where;
    case SettingSource::Kind::kDotEnv:
    case SettingSource::Kind::kToml:
      return src.where;
  }
  return "";
}

void Validate(const Settings& s) {
  const std::string& w = s.warehouse_url.value;
  const std::string where = s.warehouse_url.source.kind == SettingSource::Kind::kDefault
                                ? "REVLENS_WAREHOUSE"
                                : SourceText(s.warehouse_url.source);
  if (!(w.starts_with("duckdb://") || w.starts_with("postgresql://") || w.starts_with("postgres://"))) {
    const auto colon = w.find("://");
    const std::string scheme = colon == std::string::npos ? "(none)" : "'" + w.substr(0, colon) + "'";
    throw ConfigError(where + ": unknown warehouse scheme " + scheme +
                      "; use duckdb://path, duckdb://:memory: or postgresql://user@host:port/db");
  }
  if (w == "duckdb://") throw ConfigError(where + ": duckdb:// needs a path, e.g. duckdb://revlens.duckdb");
  const std::string& base = s.hubspot_api_base.value;
  if (!(base.starts_with("http://") || base.starts_with("https://")))
    throw ConfigError(SourceText(s.hubspot_api_base.source) + ": HUBSPOT_API_BASE must start with http:// or https://");
}

std::optional<std::string> StdGetenv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

/// Resolve an optional path: explicit paths must exist, defaults are skipped when absent.
std::optional<std::string> ResolvePath(const std::optional<std::string>& given, const char* fallback) {
  if (given) {
    std::error_code ec;
    if (!std::filesystem::exists(*given, ec)) throw ConfigError(*given + ": no such file");
    return given;
  }
  std::error_code ec;
  if (std::filesystem::exists(fallback, ec)) return std::string(fallback);
  return std::nullopt;
}

}  // namespace

Settings LoadSettings(const SettingsOptions& options) {
  Settings s;
  if (auto toml_path = ResolvePath(options.toml_path, "revlens.toml")) ApplyToml(*toml_path, s);
  if (auto env_path = ResolvePath(options.dotenv_path, ".env")) ApplyDotEnv(*env_path, s);
  const auto& getenv = options.getenv ? options.getenv : StdGetenv;
  for (const Field& f : kFields) {
    auto v = getenv(f.env_name);
    if (v && !v->empty()) s.*(f.member) = {*v, {SettingSource::Kind::kEnvironment, f.env_name}};
  }
  // Webhook secrets: the named variable (environment, then .env), else the secret file.
  if (!s.webhooks.empty()) {
    std::vector<DotEnvEntry> dotenv;
    if (auto env_path = ResolvePath(options.dotenv_path, ".env")) dotenv = ParseDotEnv(*env_path);
    for (WebhookSetting& w : s.webhooks) {
      if (auto v = getenv(w.secret_env); v && !v->empty()) {
        w.secret = *v;
        continue;
      }
      for (const DotEnvEntry& e : dotenv)
        if (e.key == w.secret_env && !e.value.empty()) w.secret = e.value;
      if (!w.secret.empty() || w.secret_file.empty()) continue;
      std::ifstream in(w.secret_file, std::ios::binary);
      if (!in) throw ConfigError(w.where + ": webhook secret_file " + w.secret_file + " cannot be read");
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      w.secret = std::string(TrimSpace(text));
    }
  }
  Validate(s);
  return s;
}

std::string Settings::Describe() const {
  std::string out;
  for (const Field& f : kFields) {
    const Setting& st = this->*(f.member);
    out += f.section;
    out += '.';
    out += f.key;
    out += " = ";
    if (f.secret)
      out += st.IsSet() ? "set" : "not set";
    else
      out += st.IsSet() ? Redact(st.value) : "(empty)";
    if (st.IsSet() || st.source.kind != SettingSource::Kind::kDefault) out += " (" + SourceText(st.source) + ")";
    out += '\n';
  }
  for (size_t i = 0; i < webhooks.size(); ++i) {
    // A webhook URL may carry a token in its path or query: only scheme and host are shown.
    const std::string& u = webhooks[i].url;
    const size_t host = u.find("://");
    const size_t path = u.find_first_of("/?#", host == std::string::npos ? 0 : host + 3);
    out += "webhooks[" + std::to_string(i + 1) + "] = " + Redact(u.substr(0, path)) + "/*** (secret " +
           (webhooks[i].secret.empty() ? "not set" : "set") + ") (" + webhooks[i].where + ")\n";
  }
  return out;
}

std::string Redact(std::string_view text) {
  std::string out(text);
  // URL userinfo: scheme://user:password@host. The password may hold a raw '/' or '@' (libpq is lenient), so
  // the userinfo runs to the last '@' before any query string.
  for (size_t pos = out.find("://"); pos != std::string::npos; pos = out.find("://", pos + 3)) {
    const size_t start = pos + 3;
    size_t stop = out.find_first_of("? \t\n", start);
    if (stop == std::string::npos) stop = out.size();
    const size_t at = out.rfind('@', stop == 0 ? 0 : stop - 1);
    if (at == std::string::npos || at < start) continue;
    const size_t colon = out.find(':', start);
    if (colon == std::string::npos || colon > at) continue;
    out.replace(colon + 1, at - colon - 1, "***");
  }
  // `password=` as a URL query parameter or a libpq keyword (possibly quoted, possibly with spaces around '=').
  std::string lower(out);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t search = 0;
  while ((search = lower.find("password", search)) != std::string::npos) {
    size_t i = search + 8;
    while (i < out.size() && out[i] == ' ') ++i;
    if (i >= out.size() || out[i] != '=') {
      search = i;
      continue;
    }
    ++i;
    while (i < out.size() && out[i] == ' ') ++i;
    size_t end = i;
    if (i < out.size() && out[i] == '\'') {
      end = i + 1;
      while (end < out.size() && out[end] != '\'') end += out[end] == '\\' ? 2 : 1;
      end = std::min(end + 1, out.size());
    } else {
      while (end < out.size() && out[end] != '&' && out[end] != ' ' && out[end] != '#') ++end;
    }
    out.replace(i, end - i, "***");
    lower.replace(i, end - i, "***");
    search = i + 3;
  }
  return out;
}

}  // namespace revlens
