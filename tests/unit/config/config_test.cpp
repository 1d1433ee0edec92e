#include "core/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>

namespace revlens {
namespace {

namespace fs = std::filesystem;

/// A scratch directory removed at the end of each test.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ =
        fs::temp_directory_path() / ("revlens_config_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  /// Options reading only the given files and the given environment (never the real one).
  SettingsOptions Options(std::optional<std::string> dotenv, std::optional<std::string> toml,
                          std::map<std::string, std::string> env = {}) {
    SettingsOptions o;
    // Point defaults at files that do not exist so the test's working directory never leaks in.
    o.dotenv_path = dotenv ? dotenv : std::optional<std::string>(Write("empty.env", ""));
    o.toml_path = toml ? toml : std::optional<std::string>(Write("empty.toml", ""));
    o.getenv = [env = std::move(env)](const std::string& k) -> std::optional<std::string> {
      auto it = env.find(k);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    return o;
  }

  /// The ConfigError message LoadSettings throws, or "" when it does not throw.
  std::string LoadError(const SettingsOptions& o) {
    try {
      LoadSettings(o);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
};

TEST_F(ConfigTest, DefaultsWhenNothingIsSet) {
  const Settings s = LoadSettings(Options(std::nullopt, std::nullopt));
  EXPECT_EQ(s.hubspot_api_base.value, "https://api.hubapi.com");
  EXPECT_EQ(s.warehouse_url.value, "duckdb://revlens.duckdb");
  EXPECT_EQ(s.warehouse_url.source.kind, SettingSource::Kind::kDefault);
  EXPECT_FALSE(s.hubspot_access_token.IsSet());
  EXPECT_FALSE(s.slack_webhook_url.IsSet());
  EXPECT_FALSE(s.hubspot_client_secret.IsSet());
}

TEST_F(ConfigTest, EnvironmentBeatsDotEnvBeatsToml) {
  const std::string toml = Write("revlens.toml",
                                 "[hubspot]\n"
                                 "access_token = \"toml-token\"\n"
                                 "api_base = \"http://toml.example\"\n"
                                 "client_secret = \"toml-secret\"\n"
                                 "[warehouse]\n"
                                 "url = \"duckdb://toml.duckdb\"\n"
                                 "[slack]\n"
                                 "webhook_url = \"https://hooks.slack.test/toml\"\n"
                                 "[scoring]\n"
                                 "anything = 3\n");
  const std::string env = Write(".env",
                                "# comment\n"
                                "\n"
                                "HUBSPOT_ACCESS_TOKEN=dotenv-token\n"
                                "export HUBSPOT_API_BASE=\"http://dotenv.example\"\n"
                                "UNRELATED_KEY=whatever\n");
  const Settings s = LoadSettings(Options(env, toml, {{"HUBSPOT_ACCESS_TOKEN", "env-token"}}));
  EXPECT_EQ(s.hubspot_access_token.value, "env-token");
  EXPECT_EQ(s.hubspot_access_token.source.kind, SettingSource::Kind::kEnvironment);
  EXPECT_EQ(s.hubspot_api_base.value, "http://dotenv.example");
  EXPECT_EQ(s.hubspot_api_base.source.kind, SettingSource::Kind::kDotEnv);
  EXPECT_EQ(s.hubspot_api_base.source.where, env + ":4");
  EXPECT_EQ(s.warehouse_url.value, "duckdb://toml.duckdb");
  EXPECT_EQ(s.warehouse_url.source.where, toml + ":6");
  EXPECT_EQ(s.hubspot_client_secret.value, "toml-secret");
  EXPECT_EQ(s.slack_webhook_url.value, "https://hooks.slack.test/toml");
}

TEST_F(ConfigTest, EmptyEnvironmentValueCountsAsUnset) {
  const std::string env = Write(".env", "REVLENS_WAREHOUSE=postgresql://u@h/db\n");
  const Settings s = LoadSettings(Options(env, std::nullopt, {{"REVLENS_WAREHOUSE", ""}}));
  EXPECT_EQ(s.warehouse_url.value, "postgresql://u@h/db");
}

TEST_F(ConfigTest, DotEnvQuotingAndComments) {
  const std::string env = Write(".env",
                                "HUBSPOT_ACCESS_TOKEN = 'lit#eral \\n' # trailing comment\r\n"
                                "SLACK_WEBHOOK_URL=https://hooks.test/a#b   # comment\n"
                                "HUBSPOT_CLIENT_SECRET=\"tab\\tquote\\\"end\"\n");
  const Settings s = LoadSettings(Options(env, std::nullopt));
  EXPECT_EQ(s.hubspot_access_token.value, "lit#eral \\n");
  EXPECT_EQ(s.slack_webhook_url.value, "https://hooks.test/a#b");
  EXPECT_EQ(s.hubspot_client_secret.value, "tab\tquote\"end");
}

TEST_F(ConfigTest, MalformedDotEnvLineNamesFileAndLineButNotTheValue) {
  const std::string env = Write(".env", "A=1\nHUBSPOT_ACCESS_TOKEN \"pat-secret-123\"\n");
  const std::string msg = LoadError(Options(env, std::nullopt));
  EXPECT_NE(msg.find(env + ":2:"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("pat-secret-123"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);

  const std::string unterminated = Write("u.env", "HUBSPOT_ACCESS_TOKEN=\"pat-secret-456\n");
  const std::string msg2 = LoadError(Options(unterminated, std::nullopt));
  EXPECT_NE(msg2.find(unterminated + ":1:"), std::string::npos) << msg2;
  EXPECT_EQ(msg2.find("pat-secret-456"), std::string::npos) << msg2;
}

TEST_F(ConfigTest, UnparsableTomlNamesFileAndLine) {
  const std::string toml = Write("revlens.toml", "[hubspot]\naccess_token = \"ok\"\nnot toml at all = = =\n");
  const std::string msg = LoadError(Options(std::nullopt, toml));
  EXPECT_NE(msg.find(toml + ":3:"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);
}

TEST_F(ConfigTest, UnknownKeyOrWrongTypeInKnownSectionIsAnError) {
  const std::string toml = Write("revlens.toml", "[warehouse]\nurll = \"duckdb://x\"\n");
  const std::string msg = LoadError(Options(std::nullopt, toml));
  EXPECT_NE(msg.find(toml + ":2:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("urll"), std::string::npos) << msg;

  const std::string toml2 = Write("b.toml", "[hubspot]\n\naccess_token = 42\n");
  const std::string msg2 = LoadError(Options(std::nullopt, toml2));
  EXPECT_NE(msg2.find(toml2 + ":3:"), std::string::npos) << msg2;
}

TEST_F(ConfigTest, UnknownWarehouseSchemeNamesItsSource) {
  const std::string env = Write(".env", "\nREVLENS_WAREHOUSE=mysql://root:hunter2@db/x\n");
  const std::string msg = LoadError(Options(env, std::nullopt));
  EXPECT_NE(msg.find(env + ":2:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'mysql'"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("hunter2"), std::string::npos) << msg;

  const std::string msg2 = LoadError(Options(std::nullopt, std::nullopt, {{"REVLENS_WAREHOUSE", "sqlite://x"}}));
  EXPECT_NE(msg2.find("REVLENS_WAREHOUSE"), std::string::npos) << msg2;
}

TEST_F(ConfigTest, ApiBaseMustBeHttp) {
  const std::string msg = LoadError(Options(std::nullopt, std::nullopt, {{"HUBSPOT_API_BASE", "api.hubapi.com"}}));
  EXPECT_NE(msg.find("HUBSPOT_API_BASE"), std::string::npos) << msg;
}

TEST_F(ConfigTest, ReadsDotEnvAndTomlFromWorkingDirectoryByDefault) {
  Write(".env", "SLACK_WEBHOOK_URL=https://hooks.test/x\n");
  Write("revlens.toml", "[warehouse]\nurl = \"postgres://u@h/db\"\n");
  const fs::path old = fs::current_path();
  fs::current_path(dir_);
  SettingsOptions o;
  o.getenv = [](const std::string&) { return std::optional<std::string>(); };
  const Settings s = LoadSettings(o);
  fs::current_path(old);
  EXPECT_EQ(s.slack_webhook_url.value, "https://hooks.test/x");
  EXPECT_EQ(s.slack_webhook_url.source.where, ".env:1");
  EXPECT_EQ(s.warehouse_url.value, "postgres://u@h/db");
  EXPECT_EQ(s.warehouse_url.source.where, "revlens.toml:2");
}

TEST_F(ConfigTest, ExplicitMissingFileIsAnError) {
  SettingsOptions o = Options(std::nullopt, std::nullopt);
  o.toml_path = (dir_ / "nope.toml").string();
  EXPECT_NE(LoadError(o).find("nope.toml"), std::string::npos);
}

TEST_F(ConfigTest, DescribeNeverShowsSecrets) {
  const Settings s = LoadSettings(Options(std::nullopt, std::nullopt,
                                          {{"HUBSPOT_ACCESS_TOKEN", "pat-na1-zzsecretzz"},
                                           {"HUBSPOT_CLIENT_SECRET", "client-zzsecretzz"},
                                           {"SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/zzsecretzz"},
                                           {"REVLENS_WAREHOUSE", "postgresql://app:pw-zzsecretzz@db:5432/rev"}}));
  const std::string d = s.Describe();
  EXPECT_EQ(d.find("zzsecretzz"), std::string::npos) << d;
  EXPECT_NE(d.find("postgresql://app:***@db:5432/rev"), std::string::npos) << d;
  EXPECT_NE(d.find("hubspot.access_token = set (environment HUBSPOT_ACCESS_TOKEN)"), std::string::npos) << d;
  EXPECT_NE(d.find("https://api.hubapi.com (default)"), std::string::npos) << d;
}

TEST(RedactTest, HidesPasswords) {
  EXPECT_EQ(Redact("postgresql://user:s3cret@host:5432/db"), "postgresql://user:***@host:5432/db");
  EXPECT_EQ(Redact("postgres://user@host/db"), "postgres://user@host/db");
  EXPECT_EQ(Redact("postgresql://host/db?user=u&password=p%40ss&sslmode=require"),
            "postgresql://host/db?user=u&password=***&sslmode=require");
  EXPECT_EQ(Redact("host=h password='a b\\'c' user=u"), "host=h password=*** user=u");
  EXPECT_EQ(Redact("host=h PASSWORD = xyz user=u"), "host=h PASSWORD = *** user=u");
  // A raw '/' or '@' in the password (libpq tolerates them) must not leak the rest.
  EXPECT_EQ(Redact("postgresql://u:pa/ss@w0rd@host/db"), "postgresql://u:***@host/db");
  EXPECT_EQ(Redact("duckdb://revlens.duckdb"), "duckdb://revlens.duckdb");
  EXPECT_EQ(Redact("https://api.hubapi.com/crm/v3"), "https://api.hubapi.com/crm/v3");
  EXPECT_EQ(Redact("a postgresql://u:p@h/d and postgresql://v:q@i/e"),
            "a postgresql://u:***@h/d and postgresql://v:***@i/e");
}

}  // namespace
}  // namespace revlens
