// The Cluster service: volume servers' heartbeat streams and upload
// reports (proto/warehouse/master.proto, docs/rpc.md).
//
// Heartbeat is a synchronous bidirectional stream, one handler thread per
// connected volume server. The handler registers the server with the
// Topology, attaches the stream to the CommandQueue (which re-sends the
// server's unacknowledged commands), then reads heartbeats and command
// results until the stream ends or the Topology cancels it for silence.
// Commands are written to the stream by other threads through the
// CommandQueue, one write at a time.
#ifndef WAREHOUSE_MASTER_CLUSTER_SERVICE_H_
#define WAREHOUSE_MASTER_CLUSTER_SERVICE_H_

#include <atomic>

#include "common/key_ring.h"
#include "grpcpp/grpcpp.h"
#include "master/command_queue.h"
#include "master/metadata_store.h"
#include "master/topology.h"
#include "master/volume_mover.h"
#include "proto/warehouse/master.grpc.pb.h"

namespace warehouse::master {

// Thread-safe. The borrowed objects must outlive the gRPC server that
// serves this service.
class ClusterService final : public v1::Cluster::Service {
 public:
  ClusterService(const KeyRing* keys, Topology* topology,
                 CommandQueue* commands, MetadataStore* store,
                 VolumeMover* mover);

  // Refuses new heartbeat streams (UNAVAILABLE) and ends the open ones, so
  // that a server shutdown does not wait for them.
  void BeginShutdown();

  grpc::Status Heartbeat(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::MasterCommand, v1::VolumeServerMessage>*
          stream) override;

  grpc::Status ReportUploads(grpc::ServerContext* context,
                             const v1::ReportUploadsRequest* request,
                             v1::ReportUploadsResponse* response) override;

 private:
  // Immutable after construction.
  const KeyRing* const keys_;
  Topology* const topology_;
  CommandQueue* const commands_;
  MetadataStore* const store_;
  VolumeMover* const mover_;

  std::atomic<bool> shutting_down_{false};
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_CLUSTER_SERVICE_H_
