#pragma once
/// `revlens dashboard`: an HTTP server (cpp-httplib) serving the single-page front end (web/, with ECharts, embedded
/// in the binary at build time) and the JSON API (api.hpp). Binds 127.0.0.1 unless told otherwise; bound anywhere
/// else it requires a token (Authorization: Bearer, or the login form which sets a session cookie) and honours an
/// IP allow-list.
///
/// The warehouse is opened on demand and closed once no request has come for `keep_open_ms` (1 s by default; 0 closes
/// it after every request), and after `max_hold_ms` even while requests keep coming; requests are serialized. A
/// DuckDB file admits one writing process, so `revlens run` and `revlens serve` can write between page loads. A
/// request that finds the file locked (`revlens run` holds it for the whole job) gets the last answer read for the
/// same page and filters, marked `"stale": true` with `read_at`; without one it answers 503 "the warehouse is busy".
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "dashboard/api.hpp"
#include "warehouse/warehouse.hpp"

namespace httplib {
class Server;
}

namespace revlens::dashboard {

/// Opens the warehouse for one request.
using WarehouseOpener = std::function<std::unique_ptr<warehouse::Warehouse>()>;

/// How the dashboard is served.
struct DashboardOptions {
  std::string warehouse_url;  ///< used when `open` is empty
  WarehouseOpener open;       ///< tests pass their own; default OpenWarehouse(warehouse_url) per request
  ApiOptions api;
  std::string bind = "127.0.0.1";
  int port = 8790;  ///< 0 picks a free port
  /// Client addresses allowed to connect: IPv4/IPv6 addresses or CIDR blocks (`10.0.0.0/8`). Empty: anyone who can
  /// reach the socket (with the token when one is required).
  std::vector<std::string> allow;
  /// The access token (REVLENS_DASHBOARD_TOKEN). Required when `bind` is not a loopback address; when set it is
  /// required on loopback too.
  std::string token;
  int threads = 8;
  /// Keep the warehouse open this long after the last request, so a page load's requests share one open (opening a
  /// DuckDB file reads its catalog: ~0.1-0.3 s). 0 = open and close per request.
  int keep_open_ms = 1000;
  /// Close the warehouse after a request once it has been open this long, even while requests keep coming, and open
  /// it again only `yield_ms` later: a client polling faster than keep_open_ms would otherwise keep `revlens run`
  /// (which retries the lock every 100-500 ms) out for good. 0 = no limit.
  int max_hold_ms = 2000;
  int yield_ms = 600;
  /// How many answers (page + filters) are kept to be served, marked stale, while the warehouse cannot be opened.
  /// 0 = none: such requests answer 503.
  size_t stale_answers = 64;
};

/// Describe the warehouse at `url` for the start-up line, throwing when it cannot be opened at all; a DuckDB file that
/// another revlens process holds (`revlens run`) is fine: the pages are answered once it lets go.
std::string DescribeWarehouse(const std::string& url);

/// Return true for 127.0.0.0/8, ::1 and `localhost`.
bool IsLoopback(std::string_view host);

/// One allow-list entry: an address or a CIDR block, IPv4 or IPv6.
class AddressRange {
 public:
  /// Parse `1.2.3.4`, `10.0.0.0/8`, `::1`, `fd00::/8`. Throws ConfigError for anything else.
  static AddressRange Parse(std::string_view text);
  /// Return true when `address` (as httplib reports it; IPv4-mapped IPv6 counts as IPv4) is inside.
  bool Contains(std::string_view address) const;

 private:
  int family_ = 0;  ///< 4 or 6
  unsigned char bytes_[16] = {};
  int prefix_ = 0;
};

/// A running dashboard.
class DashboardServer {
 public:
  /// Validate the options (a non-loopback bind needs a token; the allow-list must parse). Throws ConfigError.
  explicit DashboardServer(DashboardOptions options);
  ~DashboardServer();
  DashboardServer(const DashboardServer&) = delete;
  DashboardServer& operator=(const DashboardServer&) = delete;

  /// Bind and serve on a background thread; return the port.
  int Start();
  /// Bind and serve on the calling thread until Stop().
  void Serve();
  /// Stop serving and join the background thread. Idempotent.
  void Stop();
  /// The bound port (after Start/Serve).
  int Port() const { return port_; }
  /// `http://bind:port`.
  std::string Url() const;

 private:
  int Bind();
  void RegisterRoutes();
  bool Allowed(const std::string& remote) const;
  bool Authenticated(const std::string& authorization, const std::string& cookie) const;

  DashboardOptions options_;
  DashboardApi api_;
  std::vector<AddressRange> allow_;
  std::string session_;  ///< the cookie value: a digest of the token, so the token itself never sits in a cookie
  std::unique_ptr<httplib::Server> http_;
  void CloseIdle();

  std::mutex warehouse_mu_;  ///< guards cached_, last_used_, opened_at_, reopen_at_, last_good_, stopping_
  std::unique_ptr<warehouse::Warehouse> cached_;
  std::chrono::steady_clock::time_point last_used_, opened_at_, reopen_at_;
  /// The last good answer per page and filters, with when it was read (epoch ms).
  std::map<std::string, std::pair<nlohmann::json, int64_t>> last_good_;
  bool stopping_ = false;
  std::condition_variable idle_cv_;
  std::thread idle_thread_;  ///< closes the warehouse after keep_open_ms without a request
  std::thread thread_;
  std::atomic<bool> stopped_{false};
  int port_ = 0;
};

/// The session cookie's name.
inline constexpr std::string_view kSessionCookie = "revlens_dashboard";

/// An embedded front-end file.
struct Asset {
  std::string_view path;          ///< `/index.html`, `/app.js`, `/echarts.min.js`, ...
  std::string_view content_type;  ///< `text/html; charset=utf-8`, ...
  std::string_view data;
};
/// The files of web/ embedded at build time (web_assets.cpp, generated).
const std::vector<Asset>& EmbeddedAssets();

}  // namespace revlens::dashboard
