// A whole Warehouse cluster for end-to-end tests: the real warehouse-master
// on a fresh database and N real warehouse-volume servers, all on
// 127.0.0.1 (the master on a port the cluster holds, see held_port.h; the
// volume servers on ports they pick), sharing a random cluster key, plus an
// admin access key made with `warehouse-master key create`. The destructor
// kills every process (SIGKILL) and removes the data.
//
//   ClusterOptions options;
//   options.master_bin = WAREHOUSE_MASTER_BIN;  // compile definitions
//   options.volume_bin = WAREHOUSE_VOLUME_BIN;
//   auto cluster = Cluster::Start(options);
//   REQUIRE(cluster.ok());
//   (*cluster)->master_address();  // "127.0.0.1:<port>"
#ifndef WAREHOUSE_TESTS_SUPPORT_CLUSTER_H_
#define WAREHOUSE_TESTS_SUPPORT_CLUSTER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/held_port.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace warehouse::testing {

struct ClusterOptions {
  // Paths of the binaries (pass them to the test with compile definitions).
  std::string master_bin;
  std::string volume_bin;
  int volume_servers = 1;
  // Short, so that tests see servers come and go quickly.
  absl::Duration heartbeat_interval = absl::Milliseconds(200);
  // Extra flags for the master and for every volume server.
  std::vector<std::string> master_args;
  std::vector<std::string> volume_args;
  // Largest volume file: small, so tests can fill one.
  std::string volume_size = "1G";
  std::string log_level = "warn";
  // PEM roots for a master serving gRPC over TLS (its --tls-cert among
  // master_args); empty for plaintext. The cluster's own calls use it.
  std::string tls_ca_file;
  // How long each process may take to start and register.
  absl::Duration start_timeout = absl::Seconds(30);
};

// Not thread-safe: one test thread drives it (the servers themselves are
// separate processes, so clients may use them from any thread).
class Cluster {
 public:
  // Starts the master, creates the admin key, starts the volume servers
  // and waits until the master lists them all online. Errors: whatever
  // keeps a process from starting, with its log.
  static absl::StatusOr<std::unique_ptr<Cluster>> Start(ClusterOptions options);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // The master's gRPC address, "127.0.0.1:<port>".
  const std::string& master_address() const { return master_address_; }
  // The master's HTTP address (health, metrics, dashboard),
  // "127.0.0.1:<port>".
  const std::string& master_http_address() const {
    return master_http_address_;
  }
  // The admin access key.
  const std::string& access_key_id() const { return access_key_id_; }
  const std::string& secret_access_key() const { return secret_; }
  // WAREHOUSE_CLUSTER_KEY for any further process of this cluster.
  std::vector<std::pair<std::string, std::string>> env() const {
    return {{"WAREHOUSE_CLUSTER_KEY", cluster_key_}};
  }
  // The master's database and the scratch directory everything lives in.
  std::string db_path() const { return dir_.Join("master.db"); }
  const std::string& dir() const { return dir_.path(); }

  size_t volume_server_count() const { return volumes_.size(); }
  // The HTTP address of volume server `i`, "127.0.0.1:<port>".
  const std::string& volume_address(size_t i) const {
    return volumes_[i].address;
  }
  // The data directory of volume server `i`.
  const std::string& volume_dir(size_t i) const { return volumes_[i].data_dir; }
  Process& master() { return *master_; }
  Process& volume_server(size_t i) { return *volumes_[i].process; }

  // SIGKILLs volume server `i`.
  void KillVolumeServer(size_t i);
  // Starts volume server `i` again on its data directory (on a new port)
  // and waits until the master lists it online.
  absl::Status RestartVolumeServer(size_t i);
  // SIGKILLs the master and starts it again on the same port (held for the
  // cluster's life, so no other process can take it meanwhile) and database.
  absl::Status RestartMaster();
  // The same, running `while_stopped` between the kill and the start (to
  // copy or replace the database files); its error ends the restart.
  absl::Status RestartMaster(
      const std::function<absl::Status()>& while_stopped);

  // Extra environment variables (such as WAREHOUSE_CRASH_POINT) for one
  // start: SIGKILL the process and start it again with `extra_env`,
  // waiting only until it prints its serving line, not until servers are
  // online, since an armed process may die at any moment. Errors: as
  // Process::WaitForLine (FailedPrecondition when it died first).
  using Env = std::vector<std::pair<std::string, std::string>>;
  absl::Status RestartMasterWithEnv(const Env& extra_env);
  absl::Status RestartVolumeServerWithEnv(size_t i, const Env& extra_env);

  // The log file of the master and of volume server `i`.
  std::string master_log_path() const { return dir_.Join("master.log"); }
  const std::string& volume_log_path(size_t i) const {
    return volumes_[i].log_path;
  }

  // Waits until the master lists exactly `online` servers online. Errors:
  // DeadlineExceeded, with what the master last said.
  absl::Status WaitForOnlineServers(size_t online, absl::Duration timeout);

 private:
  struct VolumeServer {
    std::string data_dir;
    std::string log_path;
    std::string address;  // HTTP host:port
    std::unique_ptr<Process> process;
  };

  explicit Cluster(ClusterOptions options) : options_(std::move(options)) {}

  absl::Status StartMaster(const std::string& listen,
                           const Env& extra_env = {});
  absl::Status CreateAdminKey();
  absl::Status StartVolumeServer(VolumeServer& server,
                                 const Env& extra_env = {});

  const ClusterOptions options_;
  TempDir dir_;
  std::string cluster_key_;
  HeldPort master_port_;
  std::string master_address_;
  std::string master_http_address_;
  std::string access_key_id_;
  std::string secret_;
  std::unique_ptr<Process> master_;
  std::vector<VolumeServer> volumes_;
};

}  // namespace warehouse::testing

#endif  // WAREHOUSE_TESTS_SUPPORT_CLUSTER_H_
