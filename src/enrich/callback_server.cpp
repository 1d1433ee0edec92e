#include "enrich/callback_server.hpp"

#include <httplib.h>

#include <chrono>

#include "core/errors.hpp"
#include "enrich/enrich.hpp"

namespace revlens::enrich {

CallbackServer::CallbackServer(warehouse::Warehouse& wh, std::string schema, std::vector<ProviderSettings> providers)
    : wh_(wh),
      schema_(std::move(schema)),
      providers_(std::move(providers)),
      http_(std::make_unique<httplib::Server>()) {
  http_->Post(R"(/enrichment/clay/([A-Za-z0-9_.-]+))", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];
    const ProviderSettings* p = nullptr;
    for (const auto& x : providers_)
      if (x.name == name) p = &x;
    if (!p) {
      res.status = 404;
      res.set_content(R"({"error":"unknown provider"})", "application/json");
      return;
    }
    CallbackRequest cr;
    for (const auto& [k, v] : req.headers) cr.headers[k] = v;
    cr.body = req.body;
    cr.remote = req.remote_addr;
    CallbackResponse out;
    try {
      std::lock_guard lock(mu_);
      out = HandleClayCallback(wh_, schema_, *p, cr);
    } catch (const std::exception& e) {
      out = {500, std::string("could not store the callback: ") + e.what()};
    }
    res.status = out.status;
    res.set_content(nlohmann::json{{"status", out.status}, {"message", out.message}}.dump(), "application/json");
  });
}

CallbackServer::~CallbackServer() {
  Stop();
}

int CallbackServer::Start(const std::string& host, int port) {
  host_ = host;
  if (port == 0) {
    port_ = http_->bind_to_any_port(host);
    if (port_ <= 0) throw IOError("cannot bind the callback endpoint on " + host);
  } else {
    if (!http_->bind_to_port(host, port))
      throw IOError("cannot bind the callback endpoint to " + host + ":" + std::to_string(port) + " (in use?)");
    port_ = port;
  }
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  for (int i = 0; i < 5000 && !http_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return port_;
}

void CallbackServer::Stop() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string CallbackServer::CallbackUrl(const std::string& provider) const {
  return "http://" + host_ + ":" + std::to_string(port_) + "/enrichment/clay/" + provider;
}

}  // namespace revlens::enrich
