// `[[webhooks]]` in revlens.toml: url plus a secret from the environment, .env or a secret file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/config.hpp"

namespace revlens {
namespace {

namespace fs = std::filesystem;

class WebhookConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("revlens_alertcfg_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  SettingsOptions Options(const std::string& toml, const std::string& dotenv = "",
                          std::map<std::string, std::string> env = {}) {
    SettingsOptions o;
    o.toml_path = Write("revlens.toml", toml);
    o.dotenv_path = Write(".env", dotenv);
    o.getenv = [env = std::move(env)](const std::string& k) -> std::optional<std::string> {
      auto it = env.find(k);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    return o;
  }

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

TEST_F(WebhookConfigTest, SecretsComeFromEnvironmentDotEnvOrFile) {
  const std::string file = Write("hook.secret", "from-file-secret\n");
  const std::string toml =
      "[slack]\nwebhook_url = \"https://hooks.slack.com/services/T/B/x\"\n"
      "[[webhooks]]\nurl = \"https://a.example/hook?token=zzz\"\n"
      "[[webhooks]]\nurl = \"https://b.example/hook\"\nsecret_env = \"HOOK_B\"\n"
      "[[webhooks]]\nurl = \"https://c.example/hook\"\nsecret_env = \"HOOK_C\"\nsecret_file = \"" +
      file + "\"\n";
  const Settings s = LoadSettings(Options(toml, "HOOK_B=from-dotenv\n", {{"REVLENS_WEBHOOK_SECRET", "from-env"}}));
  ASSERT_EQ(s.webhooks.size(), 3u);
  EXPECT_EQ(s.webhooks[0].url, "https://a.example/hook?token=zzz");
  EXPECT_EQ(s.webhooks[0].secret, "from-env");
  EXPECT_EQ(s.webhooks[1].secret, "from-dotenv");
  EXPECT_EQ(s.webhooks[2].secret, "from-file-secret");
  EXPECT_NE(s.webhooks[1].where.find("revlens.toml:"), std::string::npos);
  const std::string d = s.Describe();
  EXPECT_NE(d.find("webhooks[1] = https://a.example/***"), std::string::npos) << d;
  for (const char* secret : {"from-env", "from-dotenv", "from-file-secret", "token=zzz", "T/B/x"})
    EXPECT_EQ(d.find(secret), std::string::npos) << secret;
}

TEST_F(WebhookConfigTest, MissingSecretIsLeftEmptyForTheCommandToReport) {
  const Settings s = LoadSettings(Options("[[webhooks]]\nurl = \"https://a.example/hook\"\n"));
  ASSERT_EQ(s.webhooks.size(), 1u);
  EXPECT_TRUE(s.webhooks[0].secret.empty());
  EXPECT_NE(s.Describe().find("secret not set"), std::string::npos);
}

TEST_F(WebhookConfigTest, InlineSecretsTyposAndBadUrlsAreRefused) {
  const std::string inline_secret =
      LoadError(Options("[[webhooks]]\nurl = \"https://a.example/hook\"\nsecret = \"s3cr3t-value\"\n"));
  EXPECT_NE(inline_secret.find("does not belong in revlens.toml"), std::string::npos) << inline_secret;
  EXPECT_EQ(inline_secret.find("s3cr3t-value"), std::string::npos);
  EXPECT_NE(LoadError(Options("[[webhooks]]\nurl = \"https://a.example/hook\"\nsecrte_env = \"X\"\n"))
                .find("unknown key 'secrte_env'"),
            std::string::npos);
  EXPECT_NE(LoadError(Options("[[webhooks]]\nurl = \"ftp://a.example/hook\"\n")).find("http"), std::string::npos);
  EXPECT_NE(LoadError(Options("[webhooks]\nurl = \"https://a.example/hook\"\n")).find("[[webhooks]]"),
            std::string::npos);
  EXPECT_NE(LoadError(Options("[[webhooks]]\nurl = \"https://a.example/hook\"\nsecret_file = \"/nonexistent/x\"\n"))
                .find("cannot be read"),
            std::string::npos);
}

}  // namespace
}  // namespace revlens
