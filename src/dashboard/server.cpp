// The dashboard's HTTP server: the embedded front end, the JSON API, the token check and the allow-list.
#include "dashboard/server.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/errors.hpp"
#include "core/time_util.hpp"

namespace revlens::dashboard {
namespace {

std::string Sha256Hex(std::string_view text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw Error("could not compute SHA-256 (OpenSSL)");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

/// Compare without leaking where the first difference is (the length still shows, as with any token).
bool SameSecret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string CookieValue(const std::string& header, std::string_view name) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string_view part(header.data() + pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
    pos = end + 1;
  }
  return "";
}

void SetJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  // Replace invalid UTF-8 (free text from a CRM) rather than throwing mid-answer.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void SetError(httplib::Response& res, int status, const std::string& message) {
  SetJson(res, status, {{"error", message}});
}

constexpr const char* kLoginPage = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>revlens dashboard: sign in</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/style.css"></head>
<body class="login"><form method="post" action="/login"><h1>revlens</h1>
<p>This dashboard needs its access token (REVLENS_DASHBOARD_TOKEN).</p>%MESSAGE%
<input type="password" name="token" autocomplete="current-password" placeholder="access token" autofocus>
<button type="submit">Sign in</button></form></body></html>
)";

std::string LoginPage(const std::string& message) {
  std::string page = kLoginPage;
  const std::string m = message.empty() ? "" : "<p class=\"error\">" + message + "</p>";
  page.replace(page.find("%MESSAGE%"), 9, m);
  return page;
}

}  // namespace

std::string DescribeWarehouse(const std::string& url) {
  try {
    return warehouse::OpenWarehouse(url)->Describe();
  } catch (const WarehouseError& e) {
    if (!warehouse::IsLockConflict(e)) throw;
    return url + " (busy now: another revlens process is writing it)";
  }
}

bool IsLoopback(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  in_addr a{};
  const std::string h(host);
  return inet_pton(AF_INET, h.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

AddressRange AddressRange::Parse(std::string_view text) {
  AddressRange r;
  std::string addr(text);
  int prefix = -1;
  if (const auto slash = addr.find('/'); slash != std::string::npos) {
    const std::string p = addr.substr(slash + 1);
    if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos)
      throw ConfigError("--allow " + std::string(text) + ": the prefix length after / must be a number");
    prefix = std::stoi(p);
    addr.resize(slash);
  }
  if (inet_pton(AF_INET, addr.c_str(), r.bytes_) == 1) {
    r.family_ = 4;
    r.prefix_ = prefix < 0 ? 32 : prefix;
    if (r.prefix_ > 32) throw ConfigError("--allow " + std::string(text) + ": an IPv4 prefix is at most /32");
  } else if (inet_pton(AF_INET6, addr.c_str(), r.bytes_) == 1) {
    r.family_ = 6;
    r.prefix_ = prefix < 0 ? 128 : prefix;
    if (r.prefix_ > 128) throw ConfigError("--allow " + std::string(text) + ": an IPv6 prefix is at most /128");
  } else {
    throw ConfigError("--allow " + std::string(text) + ": expected an IP address or a CIDR block such as 10.0.0.0/8");
  }
  return r;
}

bool AddressRange::Contains(std::string_view address) const {
  unsigned char b[16] = {};
  int family = 0;
  const std::string a(address);
  if (inet_pton(AF_INET, a.c_str(), b) == 1) {
    family = 4;
  } else if (inet_pton(AF_INET6, a.c_str(), b) == 1) {
    family = 6;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, mapped, 12) == 0) {  // ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket
      std::memmove(b, b + 12, 4);
      family = 4;
    }
  }
  if (family != family_) return false;
  const int full = prefix_ / 8, rest = prefix_ % 8;
  if (std::memcmp(b, bytes_, static_cast<size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  const unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (b[full] & mask) == (bytes_[full] & mask);
}

DashboardServer::DashboardServer(DashboardOptions options) : options_(std::move(options)), api_(options_.api) {
  if (options_.token.empty() && !IsLoopback(options_.bind))
    throw ConfigError("binding the dashboard to " + options_.bind +
                      " needs an access token: set REVLENS_DASHBOARD_TOKEN (or bind 127.0.0.1)");
  for (const auto& a : options_.allow) allow_.push_back(AddressRange::Parse(a));
  if (!options_.token.empty()) session_ = Sha256Hex("revlens-dashboard-session\n" + options_.token);
  if (!options_.open) {
    if (options_.warehouse_url.empty()) throw ConfigError("the dashboard needs a warehouse URL");
    const std::string url = options_.warehouse_url;
    options_.open = [url] { return warehouse::OpenWarehouse(url); };
  }
  http_ = std::make_unique<httplib::Server>();
  const size_t threads = static_cast<size_t>(std::max(2, options_.threads));
  // httplib takes ownership of the queue it is handed (its API wants a raw pointer).
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_->set_keep_alive_timeout(2);
  http_->set_payload_max_length(64u << 10);
  RegisterRoutes();
}

DashboardServer::~DashboardServer() {
  Stop();
}

std::string DashboardServer::Url() const {
  const std::string host = options_.bind.find(':') != std::string::npos ? "[" + options_.bind + "]" : options_.bind;
  return "http://" + host + ":" + std::to_string(port_);
}

void DashboardServer::CloseIdle() {
  std::unique_lock lock(warehouse_mu_);
  while (!stopping_) {
    if (!cached_) {
      idle_cv_.wait(lock);
      continue;
    }
    const auto deadline = last_used_ + std::chrono::milliseconds(options_.keep_open_ms);
    if (std::chrono::steady_clock::now() >= deadline) {
      cached_.reset();
    } else {
      idle_cv_.wait_until(lock, deadline);
    }
  }
  cached_.reset();
}

int DashboardServer::Bind() {
  if (port_ != 0) return port_;
  if (!idle_thread_.joinable()) idle_thread_ = std::thread([this] { CloseIdle(); });
  if (options_.port == 0) {
    const int p = http_->bind_to_any_port(options_.bind);
    if (p <= 0) throw IOError("cannot bind the dashboard to " + options_.bind + " on a free port");
    port_ = p;
  } else {
    if (!http_->bind_to_port(options_.bind, options_.port))
      throw IOError("cannot bind the dashboard to " + options_.bind + ":" + std::to_string(options_.port) +
                    " (in use? pick another --port)");
    port_ = options_.port;
  }
  return port_;
}

void DashboardServer::Serve() {
  Bind();
  http_->listen_after_bind();
}

int DashboardServer::Start() {
  Bind();
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  // httplib's stop() ignores a server whose accept loop has not started yet: return once it runs.
  for (int i = 0; i < 5000 && !http_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return port_;
}

void DashboardServer::Stop() {
  if (stopped_.exchange(true)) return;
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(warehouse_mu_);
    stopping_ = true;
  }
  idle_cv_.notify_all();
  if (idle_thread_.joinable()) idle_thread_.join();
  cached_.reset();
}

bool DashboardServer::Allowed(const std::string& remote) const {
  if (allow_.empty()) return true;
  for (const auto& r : allow_)
    if (r.Contains(remote)) return true;
  return false;
}

bool DashboardServer::Authenticated(const std::string& authorization, const std::string& cookie) const {
  if (options_.token.empty()) return true;
  constexpr std::string_view bearer = "Bearer ";
  if (authorization.size() > bearer.size() && authorization.compare(0, bearer.size(), bearer) == 0 &&
      SameSecret(std::string_view(authorization).substr(bearer.size()), options_.token))
    return true;
  const std::string c = CookieValue(cookie, kSessionCookie);
  return !c.empty() && SameSecret(c, session_);
}

void DashboardServer::RegisterRoutes() {
  auto& http = *http_;

  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header(
        "Content-Security-Policy",
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'");
    if (!Allowed(req.remote_addr)) {
      res.status = 403;
      res.set_content("forbidden: " + req.remote_addr + " is not on the dashboard's allow-list\n", "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    }
    const bool open_path = req.path == "/login" || req.path == "/style.css" || req.path == "/favicon.ico";
    if (open_path || Authenticated(req.get_header_value("Authorization"), req.get_header_value("Cookie")))
      return httplib::Server::HandlerResponse::Unhandled;
    if (req.path.rfind("/api/", 0) == 0) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"revlens dashboard\"");
      SetError(res, 401, "sign in: send Authorization: Bearer <REVLENS_DASHBOARD_TOKEN> or use /login");
    } else {
      res.status = 303;
      res.set_header("Location", "/login");
    }
    return httplib::Server::HandlerResponse::Handled;
  });

  http.Get("/login", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(LoginPage(""), "text/html; charset=utf-8");
  });
  http.Post("/login", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string given = req.has_param("token") ? req.get_param_value("token") : "";
    if (!options_.token.empty() && SameSecret(given, options_.token)) {
      res.status = 303;
      res.set_header("Location", "/");
      res.set_header("Set-Cookie", std::string(kSessionCookie) + "=" + session_ +
                                       "; Path=/; HttpOnly; SameSite=Strict; Max-Age=604800");
      return;
    }
    // Slow down guessing; the comparison itself is constant-time.
    std::this_thread::sleep_for(std::chrono::milliseconds(options_.token.empty() ? 0 : 250));
    res.status = options_.token.empty() ? 200 : 401;
    res.set_content(LoginPage(options_.token.empty() ? "This dashboard needs no token." : "Wrong token."),
                    "text/html; charset=utf-8");
  });
  http.Get("/favicon.ico", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });

  http.Get(R"(/api/([a-z]+))", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string page = req.matches[1];
    res.set_header("Cache-Control", "no-store");
    const auto& names = PageNames();
    if (page != "filters" && std::find(names.begin(), names.end(), page) == names.end()) {
      SetError(res, 404, "no dashboard page '" + page + "'");
      return;
    }
    try {
      const Filters f = ParseFilters(req.params);
      const auto t0 = std::chrono::steady_clock::now();
      nlohmann::json body;
      std::string key = page;  // page and filters (params is sorted by name)
      for (const auto& [k, v] : req.params) key += "&" + k + "=" + v;
      {
        // One request at a time on the warehouse, opened on demand (see server.hpp).
        std::lock_guard lock(warehouse_mu_);
        if (!cached_) {
          // After a hold cut short, leave the file alone for a moment so a waiting writer gets it.
          std::this_thread::sleep_until(reopen_at_);
          try {
            cached_ = options_.open();
            opened_at_ = std::chrono::steady_clock::now();
          } catch (const Error& e) {
            const std::string why =
                std::string("the warehouse is busy or unreachable (another revlens process may be writing): ") +
                e.what();
            const auto it = last_good_.find(key);
            if (it == last_good_.end()) {
              SetError(res, 503, why);
              res.set_header("Retry-After", "2");
              return;
            }
            // The last answer read for this page and filters, said to be such.
            body = it->second.first;
            body["stale"] = true;
            body["read_at"] = FormatIsoMillis(it->second.second);
            body["stale_reason"] = why;
          }
        }
        if (cached_) {
          try {
            body = api_.Page(page, *cached_, f);
          } catch (const WarehouseError&) {
            cached_.reset();  // a connection that failed a query is not reused
            throw;
          }
          if (options_.stale_answers > 0) {
            if (last_good_.size() >= options_.stale_answers && !last_good_.count(key)) last_good_.clear();
            last_good_[key] = {body, NowMillis()};
          }
          const auto now = std::chrono::steady_clock::now();
          last_used_ = now;
          if (options_.keep_open_ms <= 0) {
            cached_.reset();
          } else if (options_.max_hold_ms > 0 && now - opened_at_ >= std::chrono::milliseconds(options_.max_hold_ms)) {
            cached_.reset();
            reopen_at_ = now + std::chrono::milliseconds(options_.yield_ms);
          }
        }
      }
      idle_cv_.notify_all();
      body["elapsed_ms"] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      SetJson(res, 200, body);
    } catch (const InvalidInputError& e) {
      SetError(res, 400, e.what());
    } catch (const Error& e) {
      SetError(res, 500, e.what());
    }
  });

  http.Get(R"(/(|index\.html|[a-z_.]+\.(?:js|css)))", [](const httplib::Request& req, httplib::Response& res) {
    const std::string path = req.path == "/" ? "/index.html" : req.path;
    for (const auto& a : EmbeddedAssets()) {
      if (a.path == path) {
        res.set_header("Cache-Control", path == "/echarts.min.js" ? "max-age=86400" : "no-cache");
        res.set_content(a.data.data(), a.data.size(), std::string(a.content_type).c_str());
        return;
      }
    }
    res.status = 404;
    res.set_content("not found\n", "text/plain");
  });
}

}  // namespace revlens::dashboard
