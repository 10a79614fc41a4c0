// A stand-in for the master's Cluster service, so that the volume server's
// data path can be measured without a metadata store behind it: it accepts
// heartbeat streams, has each registering server create the volumes it is
// told to, and records every upload report as soon as it arrives (no
// fsync, no SQL). It checks no signatures. What it leaves out is the
// master's share of a PUT's latency; docs/benchmarks.md says which figures
// were taken with it.
#ifndef WAREHOUSE_TOOLS_HTTP_BENCH_FAKE_MASTER_H_
#define WAREHOUSE_TOOLS_HTTP_BENCH_FAKE_MASTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "proto/warehouse/master.grpc.pb.h"

namespace warehouse::bench {

// Thread-safe (gRPC calls it from its own threads).
class FakeClusterMaster final : public v1::Cluster::Service {
 public:
  // Serves on `listen` ("host:port", port 0 for any). Each server that
  // registers is sent a CreateVolume for every id in `volumes` it does not
  // hold. Errors: Unavailable when it cannot listen.
  static absl::StatusOr<std::unique_ptr<FakeClusterMaster>> Start(
      const std::string& listen, std::vector<uint32_t> volumes);
  ~FakeClusterMaster() override;

  int port() const { return port_; }
  // Upload reports recorded so far.
  uint64_t reports() const ABSL_LOCKS_EXCLUDED(mu_);
  // ReportUploads calls so far: reports() / calls() is the batch size.
  uint64_t calls() const ABSL_LOCKS_EXCLUDED(mu_);
  // Stops serving; heartbeat streams end.
  void Shutdown();

  grpc::Status Heartbeat(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::MasterCommand, v1::VolumeServerMessage>*
          stream) override ABSL_LOCKS_EXCLUDED(mu_);
  grpc::Status ReportUploads(grpc::ServerContext* context,
                             const v1::ReportUploadsRequest* request,
                             v1::ReportUploadsResponse* response) override
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  explicit FakeClusterMaster(std::vector<uint32_t> volumes)
      : volumes_(std::move(volumes)) {}

  // Immutable after Start().
  const std::vector<uint32_t> volumes_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  mutable absl::Mutex mu_;
  uint64_t reports_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t calls_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_command_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace warehouse::bench

#endif  // WAREHOUSE_TOOLS_HTTP_BENCH_FAKE_MASTER_H_
