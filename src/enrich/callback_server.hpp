#pragma once
/// A minimal HTTP endpoint for Clay's callbacks (`revlens enrich --listen`): `POST /enrichment/clay/<provider>`
/// hands the raw request to HandleClayCallback. `revlens serve` can mount the same handler later.
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "enrich/settings.hpp"
#include "warehouse/warehouse.hpp"

namespace httplib {
class Server;
}

namespace revlens::enrich {

/// Serves Clay callbacks into `wh` (which must outlive it). Warehouse calls are serialized by one mutex.
class CallbackServer {
 public:
  CallbackServer(warehouse::Warehouse& wh, std::string schema, std::vector<ProviderSettings> clay_providers);
  ~CallbackServer();
  CallbackServer(const CallbackServer&) = delete;
  CallbackServer& operator=(const CallbackServer&) = delete;
  /// Bind `host:port` (0 = a free port) and serve on a background thread; returns the port. Throws IOError.
  int Start(const std::string& host, int port);
  /// Stop and join. Idempotent.
  void Stop();
  /// `http://host:port/enrichment/clay/<provider>`.
  std::string CallbackUrl(const std::string& provider) const;
  /// Lock this while using the warehouse from another thread at the same time.
  std::mutex& WarehouseMutex() { return mu_; }

 private:
  warehouse::Warehouse& wh_;
  std::string schema_, host_;
  std::vector<ProviderSettings> providers_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  std::mutex mu_;
  int port_ = 0;
};

}  // namespace revlens::enrich
