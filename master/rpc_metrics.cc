#include "master/rpc_metrics.h"

#include <string>

#include "absl/status/status.h"
#include "absl/time/clock.h"

namespace warehouse::master {
namespace {

// Counts its call when the status goes out.
class RpcMetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  RpcMetricsInterceptor(const RpcMetrics* metrics,
                        grpc::experimental::ServerRpcInfo* info)
      : metrics_(metrics),
        method_(info->method()),
        unary_(info->type() == grpc::experimental::ServerRpcInfo::Type::UNARY),
        started_(absl::Now()) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      metrics_->Record(method_, methods->GetSendStatus().error_code(), unary_,
                       absl::Now() - started_);
    }
    methods->Proceed();
  }

 private:
  const RpcMetrics* const metrics_;
  const char* const method_;  // owned by gRPC, lives as long as the call
  const bool unary_;
  const absl::Time started_;
};

}  // namespace

RpcMetrics::RpcMetrics(MetricsRegistry* registry)
    : requests_(registry->AddCounterFamily(
          "warehouse_master_rpc_requests_total",
          "gRPC calls answered, by method and status code.",
          {"method", "code"})),
      durations_(registry->AddHistogramFamily(
          "warehouse_master_rpc_duration_seconds",
          "Time from a unary gRPC call's arrival to its status, by method.",
          {"method"}, LatencyBuckets())) {}

grpc::experimental::Interceptor* RpcMetrics::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new RpcMetricsInterceptor(this, info);
}

void RpcMetrics::Record(const char* method, grpc::StatusCode code, bool unary,
                        absl::Duration elapsed) const {
  const std::string name = method != nullptr ? method : "unknown";
  requests_
      ->WithLabels(
          {name, absl::StatusCodeToString(static_cast<absl::StatusCode>(code))})
      ->Increment();
  if (unary) {
    durations_->WithLabels({name})->Observe(absl::ToDoubleSeconds(elapsed));
  }
}

}  // namespace warehouse::master
