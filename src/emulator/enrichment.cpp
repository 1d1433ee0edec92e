// The emulated enrichment provider: ground-truth firmographics for the companies the generator left blank, a miss
// rate, latency and cost per call, and a Clay-like table webhook answered through an HTTP callback.
#include "emulator/enrichment.hpp"

#include <httplib.h>

#include <chrono>

#include "emulator/generator/rng.hpp"
#include "emulator/http_util.hpp"

namespace revlens::emulator {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// FNV-1a of the text mixed with the seed, as a uniform in [0, 1): the same domain misses on every call.
double DomainUniform(const std::string& domain, uint64_t seed) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : domain) h = (h ^ c) * 1099511628211ULL;
  return static_cast<double>(gen::SplitMix(h ^ gen::SplitMix(seed)) >> 11) * 0x1.0p-53;
}

}  // namespace

EnrichmentEmulator::~EnrichmentEmulator() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void EnrichmentEmulator::Load(const nlohmann::json& truth) {
  std::lock_guard lock(mu_);
  by_domain_.clear();
  if (!truth.contains("firmographic_gaps")) return;
  for (const auto& g : truth.at("firmographic_gaps")) {
    by_domain_[Lower(g.at("domain").get<std::string>())] = {{"domain", g.at("domain")},
                                                            {"company",
                                                             {{"industry", g.at("industry")},
                                                              {"employees", g.at("numberofemployees")},
                                                              {"annual_revenue", g.at("annualrevenue")}}}};
  }
}

void EnrichmentEmulator::SetOptions(const EnrichmentEmulatorOptions& options) {
  std::lock_guard lock(mu_);
  options_ = options;
}

EnrichmentEmulatorOptions EnrichmentEmulator::Options() const {
  std::lock_guard lock(mu_);
  return options_;
}

EnrichmentEmulatorStats EnrichmentEmulator::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::optional<nlohmann::json> EnrichmentEmulator::LookupCompany(const std::string& domain) {
  int latency = 0;
  std::optional<nlohmann::json> out;
  {
    std::lock_guard lock(mu_);
    const std::string key = Lower(domain);
    ++stats_.calls;
    ++stats_.per_domain[key];
    stats_.credits += options_.credits_per_call;
    latency = options_.latency_ms;
    auto it = by_domain_.find(key);
    if (it != by_domain_.end() && DomainUniform(key, options_.seed) >= options_.miss_rate) out = it->second;
    ++(out ? stats_.hits : stats_.misses);
  }
  if (latency > 0) std::this_thread::sleep_for(std::chrono::milliseconds(latency));
  return out;
}

void EnrichmentEmulator::SetClayCallback(const std::string& url, const std::string& secret) {
  std::lock_guard lock(mu_);
  clay_url_ = url;
  clay_secret_ = secret;
}

void EnrichmentEmulator::QueueClayRow(const nlohmann::json& row) {
  {
    std::lock_guard lock(mu_);
    ++stats_.clay_rows;
    clay_queue_.push_back(row);
    if (!worker_.joinable()) worker_ = std::thread([this] { ClayWorker(); });
  }
  cv_.notify_all();
}

bool EnrichmentEmulator::FlushClay(int timeout_ms) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [this] { return clay_queue_.empty() && clay_in_flight_ == 0; });
}

void EnrichmentEmulator::ClayWorker() {
  for (;;) {
    nlohmann::json row;
    std::string url, secret;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !clay_queue_.empty(); });
      if (stopping_) return;
      row = std::move(clay_queue_.front());
      clay_queue_.pop_front();
      ++clay_in_flight_;
      url = clay_url_;
      secret = clay_secret_;
    }
    // Clay's HTTP API column posts the row's enriched columns back, passing the row's own fields through.
    nlohmann::json body = {{"request_id", row.value("request_id", "")}, {"record_id", row.value("record_id", "")}};
    const std::string domain = row.value("domain", "");
    if (auto hit = LookupCompany(domain)) {
      body["domain"] = domain;
      body["industry"] = (*hit)["company"]["industry"];
      body["employees"] = (*hit)["company"]["employees"];
      body["annual_revenue"] = (*hit)["company"]["annual_revenue"];
    } else {
      body["status"] = "not_found";
    }
    bool ok = false;
    const size_t scheme = url.find("://");
    const size_t path = scheme == std::string::npos ? std::string::npos : url.find('/', scheme + 3);
    if (path != std::string::npos) {
      httplib::Client cli(url.substr(0, path));
      cli.set_connection_timeout(5);
      cli.set_read_timeout(10);
      httplib::Headers headers = {{"X-Clay-Secret", secret}};
      auto res = cli.Post(url.substr(path), headers, body.dump(), "application/json");
      ok = res && res->status / 100 == 2;
    }
    {
      std::lock_guard lock(mu_);
      ++(ok ? stats_.clay_callbacks : stats_.clay_callback_failures);
      --clay_in_flight_;
    }
    idle_cv_.notify_all();
  }
}

void EnrichmentEmulator::RegisterRoutes(httplib::Server& http) {
  auto authorized = [this](const httplib::Request& req, httplib::Response& res) {
    const std::string key = Options().api_key;
    if (req.get_header_value("X-Api-Key") == key) return true;
    {
      std::lock_guard lock(mu_);
      ++stats_.unauthorized;
    }
    SendJson(res, 401, nlohmann::json{{"error", "unauthorized"}, {"message", "missing or wrong X-Api-Key"}});
    return false;
  };
  // Clearbit/Apollo-style company lookup by domain.
  http.Get("/_enrichment/v1/companies", [this, authorized](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    const std::string domain = req.get_param_value("domain");
    if (domain.empty()) {
      SendJson(res, 400, nlohmann::json{{"error", "bad_request"}, {"message", "domain is required"}});
      return;
    }
    const double credits = Options().credits_per_call;
    auto hit = LookupCompany(domain);
    res.set_header("X-Credits-Charged", std::to_string(credits));
    if (!hit) {
      SendJson(res, 404, nlohmann::json{{"error", "not_found"}, {"domain", domain}});
      return;
    }
    SendJson(res, 200, *hit);
  });
  // Clay table webhook: rows in, answers later by callback.
  http.Post("/_enrichment/clay/rows", [this](const httplib::Request& req, httplib::Response& res) {
    const nlohmann::json body = ParseBody(req);
    if (!body.is_object() || !body.contains("request_id")) {
      SendJson(res, 400, nlohmann::json{{"error", "bad_request"}, {"message", "expected a row with request_id"}});
      return;
    }
    QueueClayRow(body);
    SendJson(res, 200, nlohmann::json{{"accepted", true}});
  });
  http.Post("/_enrichment/clay/config", [this](const httplib::Request& req, httplib::Response& res) {
    const nlohmann::json body = ParseBody(req);
    SetClayCallback(body.value("callback_url", ""), body.value("secret", ""));
    SendJson(res, 200, nlohmann::json{{"ok", true}});
  });
  http.Post("/_enrichment/config", [this](const httplib::Request& req, httplib::Response& res) {
    const nlohmann::json body = ParseBody(req);
    EnrichmentEmulatorOptions o = Options();
    o.miss_rate = body.value("miss_rate", o.miss_rate);
    o.latency_ms = body.value("latency_ms", o.latency_ms);
    o.credits_per_call = body.value("credits_per_call", o.credits_per_call);
    SetOptions(o);
    SendJson(res, 200,
             nlohmann::json{
                 {"miss_rate", o.miss_rate}, {"latency_ms", o.latency_ms}, {"credits_per_call", o.credits_per_call}});
  });
  http.Get("/_enrichment/stats", [this](const httplib::Request&, httplib::Response& res) {
    const EnrichmentEmulatorStats s = Stats();
    size_t known = 0;
    {
      std::lock_guard lock(mu_);
      known = by_domain_.size();
    }
    SendJson(res, 200,
             nlohmann::json{{"calls", s.calls},
                            {"hits", s.hits},
                            {"misses", s.misses},
                            {"unauthorized", s.unauthorized},
                            {"credits", s.credits},
                            {"clay_rows", s.clay_rows},
                            {"clay_callbacks", s.clay_callbacks},
                            {"known_domains", known}});
  });
}

}  // namespace revlens::emulator
