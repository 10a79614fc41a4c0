// The master's HTTP port: /healthz for load balancers and supervisors, and
// /metrics in the Prometheus text format. Besides the RPC metrics
// (master/rpc_metrics.h) and the HTTP server's own, it exports:
//
//   warehouse_master_volume_servers{status}    gauge: online, offline
//   warehouse_master_db_file_bytes{file}       gauge: main, wal
//   warehouse_master_commands_outstanding      gauge: sent, not answered
//
// docs/master.md lists every metric. The same port serves the web
// dashboard and its JSON API (master/dashboard_api.h, docs/dashboard.md).
#ifndef WAREHOUSE_MASTER_MASTER_HTTP_H_
#define WAREHOUSE_MASTER_MASTER_HTTP_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/http_router.h"
#include "common/http_server.h"
#include "common/metrics.h"
#include "common/server_certificate.h"
#include "master/command_queue.h"
#include "master/dashboard_api.h"
#include "master/topology.h"

namespace warehouse::master {

// Thread-safe. The borrowed objects must outlive it.
class MasterHttp {
 public:
  // Registers the master's gauges in `registry` and serves on `listen`, a
  // numeric "host:port" (port 0 picks one), with the dashboard's routes
  // when `dashboard` is not null. Errors: InvalidArgument (not
  // host:port); those of http::Server::Start (FailedPrecondition for a
  // port in use). A client that makes no progress for `idle_timeout`
  // (docs/http.md, "Timeouts") is answered 408 or disconnected. With
  // `tls` the port speaks only TLS.
  static absl::StatusOr<std::unique_ptr<MasterHttp>> Start(
      const std::string& listen, absl::Duration idle_timeout,
      std::shared_ptr<http::ServerCertificate> tls, MetricsRegistry* registry,
      const Topology* topology, const CommandQueue* commands,
      const std::string& db_path, DashboardApi* dashboard);

  MasterHttp(const MasterHttp&) = delete;
  MasterHttp& operator=(const MasterHttp&) = delete;
  ~MasterHttp();

  uint16_t port() const { return server_->port(); }

  // Stops serving, letting requests in progress finish for up to `grace`.
  void Shutdown(absl::Duration grace);

 private:
  MasterHttp() = default;

  http::Router router_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_MASTER_HTTP_H_
