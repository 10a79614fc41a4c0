// The volume server's side of the heartbeat stream (docs/rpc.md, Cluster).
//
// Registers with the master, reports usage at a fixed interval, and carries
// out the master's commands: create a volume, delete needles, compact. When
// the master is away it keeps trying with capped exponential backoff; the
// server goes on serving reads meanwhile and never exits for it.
//
// Thread-safe.
#ifndef WAREHOUSE_VOLUME_HEARTBEAT_CLIENT_H_
#define WAREHOUSE_VOLUME_HEARTBEAT_CLIENT_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/key_ring.h"
#include "grpcpp/grpcpp.h"
#include "proto/warehouse/master.grpc.pb.h"
#include "volume/store.h"

namespace warehouse::volume {

struct HeartbeatOptions {
  std::string server_id;
  std::string public_address;  // host:port of the HTTP data path
  bool http_tls = false;       // whether the data path speaks TLS
  std::string admin_address;   // host:port of the VolumeAdmin service
  absl::Duration interval = absl::Seconds(5);
  absl::Duration max_backoff = absl::Seconds(5);
};

class HeartbeatClient {
 public:
  // `*store` and `*keys` must outlive this client.
  HeartbeatClient(HeartbeatOptions options,
                  std::shared_ptr<grpc::Channel> channel, Store* store,
                  const KeyRing* keys);
  HeartbeatClient(const HeartbeatClient&) = delete;
  HeartbeatClient& operator=(const HeartbeatClient&) = delete;
  ~HeartbeatClient();

  void Start();
  // Ends the stream and waits for running commands (compactions finish).
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // Whether a stream to the master is open.
  bool connected() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  using Stream =
      grpc::ClientReaderWriter<v1::VolumeServerMessage, v1::MasterCommand>;

  void Run();
  // Keeps one stream open until it fails or Stop(); returns why it ended.
  absl::Status RunStream() ABSL_LOCKS_EXCLUDED(mu_);
  void Execute(const v1::MasterCommand& command) ABSL_LOCKS_EXCLUDED(mu_);
  // Sends on the current stream, if one is open.
  bool Send(const v1::VolumeServerMessage& message)
      ABSL_LOCKS_EXCLUDED(write_mu_, mu_);
  // Takes a report and sends it as a heartbeat, with no other write in
  // between: heartbeats from the interval loop and from commands then reach
  // the master in the order their reports were taken, so an older report
  // never overwrites a newer one there.
  bool SendHeartbeat() ABSL_LOCKS_EXCLUDED(write_mu_, mu_);
  bool SendLocked(const v1::VolumeServerMessage& message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) ABSL_LOCKS_EXCLUDED(mu_);
  void SendResult(uint64_t command_id, const absl::Status& status,
                  uint64_t bytes_reclaimed);
  // A command that changed a volume: on success a heartbeat showing the
  // change goes first, so the master sees it by the time it has the result.
  void ReportThenAnswer(uint64_t command_id, const absl::Status& status,
                        uint64_t bytes_reclaimed);
  v1::HeartbeatReport Report() const;

  // Immutable after construction.
  const HeartbeatOptions options_;
  const std::unique_ptr<v1::Cluster::Stub> stub_;
  Store* const store_;
  const KeyRing* const keys_;

  absl::Notification stop_;
  std::thread thread_;

  mutable absl::Mutex mu_;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  Stream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  // Compactions run on their own threads; finished ones are joined when
  // the next one starts, the rest at Stop().
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Worker> workers_ ABSL_GUARDED_BY(mu_);
  // Serializes writes on the stream (gRPC allows one writer at a time);
  // held while writing, so never taken under mu_.
  absl::Mutex write_mu_ ABSL_ACQUIRED_BEFORE(mu_);
};

// The id this server registers under: read from `dir`/server.id, or made up
// (16 random hex digits) and written there durably on the first start, so
// that a restarted server is the same server to the master.
absl::StatusOr<std::string> LoadOrCreateServerId(FileSystem* fs,
                                                 const std::string& dir);

}  // namespace warehouse::volume

#endif  // WAREHOUSE_VOLUME_HEARTBEAT_CLIENT_H_
