#pragma once
// An in-process emulator on a free port with a small seeded portal, and an httplib client.
#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <chrono>
#include <regex>
#include <string>
#include <thread>

#include "core/time_util.hpp"
#include "emulator/server.hpp"

namespace revlens::emulator::testing {

/// The emulator's bearer token in these tests.
inline constexpr const char* kToken = "test-token";

/// A portal with the default schema and `contacts` contacts (email c<i>@example.com, firstname F<i>).
inline std::unique_ptr<Portal> SeedPortal(int contacts, int companies = 0) {
  auto p = std::make_unique<Portal>();
  const int64_t now = NowMillis() - 86'400'000;
  InstallDefaultSchema(*p, now);
  for (int i = 0; i < contacts; ++i) {
    p->Table(ObjectType::kContacts)
        .Create({{"email", "c" + std::to_string(i) + "@example.com"}, {"firstname", "F" + std::to_string(i)}}, now + i);
  }
  for (int i = 0; i < companies; ++i) {
    p->Table(ObjectType::kCompanies).Create({{"name", "Co" + std::to_string(i)}}, now + i);
  }
  return p;
}

/// Assert HubSpot's error body: status "error", message, a UUID correlationId, category,
/// errors (array) and context (object).
inline void ExpectHubSpotError(const httplib::Result& r, int status, const std::string& category = "") {
  ASSERT_TRUE(r) << "no response: " << httplib::to_string(r.error());
  EXPECT_EQ(r->status, status) << r->body;
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r->body;
  EXPECT_EQ(j.value("status", ""), "error") << r->body;
  EXPECT_FALSE(j.value("message", "").empty()) << r->body;
  static const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  EXPECT_TRUE(std::regex_match(j.value("correlationId", ""), uuid)) << r->body;
  EXPECT_FALSE(j.value("category", "").empty()) << r->body;
  if (!category.empty()) {
    EXPECT_EQ(j.value("category", ""), category) << r->body;
  }
  EXPECT_TRUE(j.contains("errors") && j["errors"].is_array()) << r->body;
  EXPECT_TRUE(j.contains("context") && j["context"].is_object()) << r->body;
}

/// Base fixture: call Start() (optionally with options) in each test.
class ServerTest : public ::testing::Test {
 protected:
  void Start(std::unique_ptr<Portal> portal, ServeOptions opts = {}) {
    opts.port = 0;
    opts.token = kToken;
    server_ = std::make_unique<EmulatorServer>(std::move(portal), opts);
    server_->Start();
    cli_ = std::make_unique<httplib::Client>(server_->BaseUrl());
    cli_->set_keep_alive(true);
    cli_->set_tcp_nodelay(true);
    cli_->set_read_timeout(20, 0);
    auth_ = {{"Authorization", std::string("Bearer ") + kToken}};
  }
  void TearDown() override {
    cli_.reset();
    if (server_) server_->Stop();
  }
  httplib::Result Get(const std::string& path) { return cli_->Get(path.c_str(), auth_); }
  httplib::Result Post(const std::string& path, const nlohmann::json& body) {
    return cli_->Post(path.c_str(), auth_, body.dump(), "application/json");
  }
  httplib::Result PostRaw(const std::string& path, const std::string& body) {
    return cli_->Post(path.c_str(), auth_, body, "application/json");
  }
  httplib::Result Patch(const std::string& path, const nlohmann::json& body) {
    return cli_->Patch(path.c_str(), auth_, body.dump(), "application/json");
  }
  httplib::Result Put(const std::string& path, const nlohmann::json& body) {
    return cli_->Put(path.c_str(), auth_, body.dump(), "application/json");
  }
  httplib::Result Delete(const std::string& path) { return cli_->Delete(path.c_str(), auth_); }
  /// Parse a response body, failing the test on a transport error.
  static nlohmann::json Json(const httplib::Result& r) {
    if (!r) {
      ADD_FAILURE() << "no response: " << httplib::to_string(r.error());
      return nlohmann::json();
    }
    return nlohmann::json::parse(r->body, nullptr, false);
  }

  std::unique_ptr<EmulatorServer> server_;
  std::unique_ptr<httplib::Client> cli_;
  httplib::Headers auth_;
};

}  // namespace revlens::emulator::testing
