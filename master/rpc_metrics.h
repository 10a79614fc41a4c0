// Metrics of the master's gRPC calls, counted by a server interceptor:
//
//   warehouse_master_rpc_requests_total{method,code}   counter
//   warehouse_master_rpc_duration_seconds{method}      histogram, unary
//                                                      calls only
//
// `method` is the gRPC path ("/warehouse.v1.Master/BeginUpload"), `code`
// the status code name ("OK", "NOT_FOUND"). Heartbeat streams are counted
// when they end; their duration is a connection's lifetime, not a latency,
// so it stays out of the histogram. docs/master.md lists every metric.
#ifndef WAREHOUSE_MASTER_RPC_METRICS_H_
#define WAREHOUSE_MASTER_RPC_METRICS_H_

#include <memory>

#include "absl/time/time.h"
#include "common/metrics.h"
#include "grpcpp/support/server_interceptor.h"

namespace warehouse::master {

// Creates one interceptor per call. Thread-safe. `*registry` must outlive
// the gRPC server the factory is given to.
class RpcMetrics final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcMetrics(MetricsRegistry* registry);

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

  // Counts one finished call.
  void Record(const char* method, grpc::StatusCode code, bool unary,
              absl::Duration elapsed) const;

 private:
  CounterFamily* const requests_;
  HistogramFamily* const durations_;
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_RPC_METRICS_H_
