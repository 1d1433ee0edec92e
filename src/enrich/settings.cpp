#include "enrich/settings.hpp"

#include <toml++/toml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "core/errors.hpp"

namespace revlens::enrich {
namespace {

using GetEnv = std::function<std::optional<std::string>(const std::string&)>;

[[noreturn]] void Fail(const std::string& source, const toml::node& node, const std::string& what) {
  throw ConfigError(source + ":" + std::to_string(node.source().begin.line) + ": " + what);
}

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  return s.substr(b);
}

/// A secret from the named variable, else the named file; empty when neither gives one.
std::string ResolveSecret(const std::string& env, const std::string& file, const GetEnv& getenv,
                          const std::string& where) {
  if (!env.empty()) {
    if (auto v = getenv(env); v && !v->empty()) return *v;
  }
  if (file.empty()) return "";
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(where + ": secret file " + file + " cannot be read");
  return Trim(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
}

ProviderSettings ParseProvider(const toml::table& t, const std::string& source, const std::string& api_base,
                               const GetEnv& getenv) {
  ProviderSettings p;
  p.where = source + ":" + std::to_string(t.source().begin.line);
  for (const auto& [k, v] : t) {
    const std::string key(k.str());
    auto str = [&]() -> std::string {
      if (!v.is_string()) Fail(source, v, "enrichment.providers." + key + " must be a string");
      return v.as_string()->get();
    };
    auto num = [&]() -> double {
      if (auto i = v.as_integer()) return static_cast<double>(i->get());
      if (auto d = v.as_floating_point()) return d->get();
      Fail(source, v, "enrichment.providers." + key + " must be a number");
    };
    if (key == "name")
      p.name = str();
    else if (key == "kind")
      p.kind = str();
    else if (key == "object_type")
      p.object_type = str();
    else if (key == "credits_per_call")
      p.credits_per_call = num();
    else if (key == "monthly_cap")
      p.monthly_cap = num();
    else if (key == "url" || key == "webhook_url")
      p.url = str();
    else if (key == "method")
      p.method = str();
    else if (key == "body")
      p.body = str();
    else if (key == "api_key_env")
      p.api_key_env = str();
    else if (key == "api_key_file")
      p.api_key_file = str();
    else if (key == "api_key_header")
      p.api_key_header = str();
    else if (key == "rate_per_second")
      p.rate_per_second = num();
    else if (key == "timeout_ms")
      p.timeout_ms = static_cast<int>(num());
    else if (key == "secret_env")
      p.secret_env = str();
    else if (key == "secret_file")
      p.secret_file = str();
    else if (key == "api_key" || key == "secret")
      Fail(source, v,
           "enrichment.providers." + key +
               " does not belong in revlens.toml: name an environment "
               "variable (" +
               key + "_env) or a file (" + key + "_file) that holds it");
    else if (key == "fields") {
      const auto* ft = v.as_table();
      if (!ft) Fail(source, v, "enrichment.providers.fields must be a table of property = \"/json/pointer\"");
      for (const auto& [fk, fv] : *ft) {
        if (!fv.is_string())
          Fail(source, fv, "enrichment.providers.fields." + std::string(fk.str()) + " must be a string");
        p.fields[std::string(fk.str())] = fv.as_string()->get();
      }
    } else {
      Fail(source, v, "unknown key '" + key + "' in [[enrichment.providers]]");
    }
  }
  if (p.name.empty()) Fail(source, t, "[[enrichment.providers]] needs a name");
  if (p.kind != "emulated" && p.kind != "http" && p.kind != "clay")
    Fail(source, t, "enrichment provider " + p.name + ": kind must be emulated, http or clay");
  if (p.object_type != "companies" && p.object_type != "contacts")
    Fail(source, t, "enrichment provider " + p.name + ": object_type must be companies or contacts");
  if (!(p.credits_per_call >= 0)) Fail(source, t, "enrichment provider " + p.name + ": credits_per_call must be >= 0");
  if (!(p.monthly_cap >= 0)) Fail(source, t, "enrichment provider " + p.name + ": monthly_cap must be >= 0");
  if (p.method != "GET" && p.method != "POST")
    Fail(source, t, "enrichment provider " + p.name + ": method must be GET or POST");
  if (p.kind == "emulated") {
    ProviderSettings e = EmulatedProvider(api_base, p.credits_per_call, p.monthly_cap);
    if (p.url.empty()) p.url = e.url;
    if (p.fields.empty()) p.fields = e.fields;
    if (p.api_key_env.empty() && p.api_key_file.empty()) p.api_key = e.api_key;
  }
  if (p.url.empty())
    Fail(source, t,
         "enrichment provider " + p.name + " needs a url" +
             (p.kind == "clay" ? " (webhook_url: the Clay table's webhook)" : ""));
  if (p.kind != "clay" && p.fields.empty())
    Fail(source, t, "enrichment provider " + p.name + " needs [enrichment.providers.fields] (property = \"/pointer\")");
  if (p.api_key.empty()) p.api_key = ResolveSecret(p.api_key_env, p.api_key_file, getenv, p.where);
  if (p.kind == "clay") p.secret = ResolveSecret(p.secret_env, p.secret_file, getenv, p.where);
  return p;
}

EnrichSettings FromDoc(const toml::table& doc, const std::string& source, const std::string& api_base,
                       const GetEnv& getenv_in) {
  const GetEnv getenv = getenv_in ? getenv_in : [](const std::string& n) -> std::optional<std::string> {
    const char* v = std::getenv(n.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
  EnrichSettings s;
  const toml::node* sec = doc.get("enrichment");
  if (!sec) return s;
  const auto* t = sec->as_table();
  if (!t) Fail(source, *sec, "[enrichment] must be a table");
  std::set<std::string> names;
  for (const auto& [k, v] : *t) {
    const std::string key(k.str());
    if (key == "freshness_days") {
      if (!v.as_integer() || v.as_integer()->get() < 0)
        Fail(source, v, "enrichment.freshness_days must be a whole number >= 0");
      s.freshness_days = static_cast<int>(v.as_integer()->get());
    } else if (key == "require") {
      const auto* a = v.as_array();
      if (!a) Fail(source, v, "enrichment.require must be an array of property names");
      s.require.clear();
      for (const auto& e : *a) {
        if (!e.is_string()) Fail(source, e, "enrichment.require must hold strings");
        s.require.push_back(e.as_string()->get());
      }
    } else if (key == "push") {
      if (!v.is_boolean()) Fail(source, v, "enrichment.push must be true or false");
      s.push = v.as_boolean()->get();
    } else if (key == "providers") {
      const auto* a = v.as_array();
      if (!a) Fail(source, v, "enrichment.providers must be an array of tables: write [[enrichment.providers]]");
      for (const auto& e : *a) {
        const auto* pt = e.as_table();
        if (!pt) Fail(source, e, "each [[enrichment.providers]] entry must be a table");
        ProviderSettings p = ParseProvider(*pt, source, api_base, getenv);
        if (!names.insert(p.name).second) Fail(source, e, "two enrichment providers are named " + p.name);
        s.providers.push_back(std::move(p));
      }
    } else {
      Fail(source, v, "unknown key '" + key + "' in [enrichment] (use freshness_days, require, push, providers)");
    }
  }
  return s;
}

}  // namespace

std::map<std::string, std::string> EmulatedFieldMapping() {
  return {{"industry", "/company/industry"},
          {"numberofemployees", "/company/employees"},
          {"annualrevenue", "/company/annual_revenue"}};
}

ProviderSettings EmulatedProvider(const std::string& api_base, double credits_per_call, double monthly_cap) {
  ProviderSettings p;
  p.name = "emulated";
  p.kind = "emulated";
  std::string base = api_base;
  while (!base.empty() && base.back() == '/') base.pop_back();
  p.url = base + "/_enrichment/v1/companies?domain={domain}";
  p.fields = EmulatedFieldMapping();
  p.api_key = "revlens-enrichment-key";  // the emulator's test key, not a secret
  p.credits_per_call = credits_per_call;
  p.monthly_cap = monthly_cap;
  p.rate_per_second = 0;  // the emulator has no limit to respect
  p.where = "default";
  return p;
}

EnrichSettings ParseEnrichSettings(const std::string& toml_text, const std::string& source, const std::string& api_base,
                                   const GetEnv& getenv) {
  toml::table doc;
  try {
    doc = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    throw ConfigError(source + ":" + std::to_string(e.source().begin.line) + ": not valid TOML");
  }
  return FromDoc(doc, source, api_base, getenv);
}

EnrichSettings LoadEnrichSettings(const std::optional<std::string>& toml_path, const std::string& api_base,
                                  const GetEnv& getenv) {
  std::string path = toml_path.value_or("revlens.toml");
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (toml_path) throw ConfigError(path + ": no such file");
    return {};
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseEnrichSettings(ss.str(), path, api_base, getenv);
}

}  // namespace revlens::enrich
