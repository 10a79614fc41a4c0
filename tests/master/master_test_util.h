// Helpers for the master's service tests: a MasterServer in-process on a
// loopback port with a fresh database, a client that signs Master calls,
// and a scripted volume server that speaks the Cluster protocol.
#ifndef WAREHOUSE_TESTS_MASTER_MASTER_TEST_UTIL_H_
#define WAREHOUSE_TESTS_MASTER_MASTER_TEST_UTIL_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/grpc_auth.h"
#include "common/key_ring.h"
#include "grpcpp/grpcpp.h"
#include "master/master_server.h"
#include "proto/warehouse/master.grpc.pb.h"
#include "tests/support/temp_dir.h"

namespace warehouse::master::testing {

// The bound on every wait in these tests. Never a timing assertion: a
// healthy run waits milliseconds.
inline constexpr absl::Duration kWaitLimit = absl::Seconds(20);

// Polls `condition` every few milliseconds until it holds or `limit`
// passes; returns whether it held.
bool Eventually(const std::function<bool()>& condition,
                absl::Duration limit = kWaitLimit);

// A key ring with one random key named "k1".
KeyRing MakeClusterKeys();

struct Credentials {
  std::string id;
  std::string secret;
};

// Options for a test master: loopback, port 0, a schema applied, fast
// background work, and a long offline deadline (tests of silence shorten
// it).
MasterServer::Options TestOptions(const std::string& db_path);

// A MasterServer in a temp dir, with an admin key, and clients for it.
class TestMaster {
 public:
  explicit TestMaster(
      const std::function<void(MasterServer::Options&)>& adjust = nullptr);
  ~TestMaster();

  MasterServer& server() { return *server_; }
  const KeyRing& keys() const { return keys_; }
  const Credentials& admin() const { return admin_; }
  std::string address() const;
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  v1::Master::Stub& master() { return *master_; }
  v1::Cluster::Stub& cluster() { return *cluster_; }

  // Creates a key directly (the way `warehouse-master key create` does).
  Credentials CreateKey(Role role, std::vector<std::string> buckets = {});

  // Calls `rpc` signed with `credentials` (unsigned when they are null).
  // Safe to call from any thread: it makes no test assertions.
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (v1::Master::Stub::*rpc)(grpc::ClientContext*,
                                                          const Request&,
                                                          Response*),
                    absl::string_view method, const Request& request,
                    Response* response, const Credentials* credentials) {
    grpc::ClientContext context;
    if (grpc::Status prepared = Prepare(&context, method, credentials);
        !prepared.ok()) {
      return prepared;
    }
    return (master_.get()->*rpc)(&context, request, response);
  }

  // Sends ReportUploads for `server_id`, signed with the cluster key.
  grpc::Status ReportUploads(const std::string& server_id,
                             const std::vector<v1::UploadReport>& uploads,
                             v1::ReportUploadsResponse* response);

 private:
  // Sets the deadline and signs; a failure is returned, not asserted, so
  // that a client thread does not touch the test framework.
  grpc::Status Prepare(grpc::ClientContext* context, absl::string_view method,
                       const Credentials* credentials);

  warehouse::testing::TempDir dir_;
  KeyRing keys_;
  std::unique_ptr<MasterServer> server_;
  Credentials admin_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Master::Stub> master_;
  std::unique_ptr<v1::Cluster::Stub> cluster_;
};

// Calls a Master RPC by name: MASTER_CALL(m, CreateBucket, req, &resp, &key).
#define MASTER_CALL(test_master, rpc, request, response, credentials)     \
  (test_master)                                                           \
      .Call(&::warehouse::v1::Master::Stub::rpc, #rpc, request, response, \
            credentials)

// A plain HTTP/1.1 GET to 127.0.0.1:`port`, with a bounded wait.
struct HttpResponse {
  int status = 0;  // 0 when no response arrived
  std::string body;
};
HttpResponse HttpGet(int port, const std::string& path);

// A volume's usage as a heartbeat reports it.
v1::VolumeStatus Volume(uint32_t volume_id, uint64_t size_bytes = 0,
                        uint64_t max_size_bytes = uint64_t{1} << 30);

// The volume server side of one heartbeat stream, driven by the test.
// Thread-safe.
class ScriptedVolumeServer {
 public:
  ScriptedVolumeServer(std::shared_ptr<grpc::Channel> channel,
                       const KeyRing* keys, std::string server_id,
                       std::string public_address);
  ~ScriptedVolumeServer();

  const std::string& server_id() const { return server_id_; }

  // Opens a stream signed with `key` (the key ring's primary when null)
  // and sends `first` (a registration of this server's volumes when
  // unset). Returns false when the stream could not be written to.
  bool Connect(const std::vector<v1::VolumeStatus>& volumes,
               uint32_t max_volumes = 8,
               const v1::VolumeServerMessage* first = nullptr,
               const KeyRing::Key* key = nullptr) ABSL_LOCKS_EXCLUDED(mu_);
  // Opens a stream and waits until the master lists the server online.
  void ConnectAndAwaitOnline(TestMaster& master,
                             const std::vector<v1::VolumeStatus>& volumes,
                             uint32_t max_volumes = 8);

  bool Heartbeat(const std::vector<v1::VolumeStatus>& volumes)
      ABSL_LOCKS_EXCLUDED(mu_);
  bool SendResult(uint64_t command_id, const absl::Status& status,
                  uint64_t bytes_reclaimed = 0) ABSL_LOCKS_EXCLUDED(mu_);

  // The next command the master sent, waiting up to `limit`.
  std::optional<v1::MasterCommand> NextCommand(
      absl::Duration limit = kWaitLimit) ABSL_LOCKS_EXCLUDED(mu_);

  // Closes the stream from this side and returns the master's status.
  grpc::Status Close() ABSL_LOCKS_EXCLUDED(mu_);
  // Waits for the master to end the stream; returns its status, or nullopt
  // when it is still open after `limit`.
  std::optional<grpc::Status> AwaitEnd(absl::Duration limit = kWaitLimit)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  using Stream =
      grpc::ClientReaderWriter<v1::VolumeServerMessage, v1::MasterCommand>;

  bool Write(const v1::VolumeServerMessage& message) ABSL_LOCKS_EXCLUDED(mu_);
  void JoinReader() ABSL_LOCKS_EXCLUDED(mu_);

  const std::unique_ptr<v1::Cluster::Stub> stub_;
  const KeyRing* const keys_;
  const std::string server_id_;
  const std::string public_address_;

  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<Stream> stream_;
  std::thread reader_;

  // One writer at a time; also guards against writing after Finish.
  absl::Mutex write_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  bool writes_closed_ ABSL_GUARDED_BY(write_mu_) = true;
  absl::Mutex mu_;
  std::deque<v1::MasterCommand> commands_ ABSL_GUARDED_BY(mu_);
  std::optional<grpc::Status> ended_ ABSL_GUARDED_BY(mu_);
};

}  // namespace warehouse::master::testing

#endif  // WAREHOUSE_TESTS_MASTER_MASTER_TEST_UTIL_H_
