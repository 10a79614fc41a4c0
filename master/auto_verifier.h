// Verifying volumes without an operator.
//
// A needle's checksums are checked whenever it is read, so bytes that rot
// on a disk where nobody reads them go unnoticed until the day they are
// asked for. Every `interval` the AutoVerifier looks at the volumes as the
// last heartbeats reported them and, on each online server where none of
// its verifications runs, starts one of the volume verified longest ago
// (one never verified first) once that verification is `every` old. One at
// a time per server, each reading at most `bytes_per_second`, keeps the
// server's disk serving (docs/benchmarks.md, "Verifying a volume").
// Volumes being compacted, or holding no needles, wait. The verifications
// go through the VolumeVerifier, which records each one that reads its
// volume to the end, so a verification by an operator counts as well; one
// that fails part way (the server went away) is tried again after
// `retry_delay`. Needles that fail their checks are logged with the
// objects they hold; ListVolumes and the master's metrics show how many.
#ifndef WAREHOUSE_MASTER_AUTO_VERIFIER_H_
#define WAREHOUSE_MASTER_AUTO_VERIFIER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/periodic_thread.h"
#include "grpcpp/client_context.h"
#include "master/metadata_records.h"
#include "master/topology.h"
#include "master/volume_verifier.h"

namespace warehouse::master {

// Thread-safe. `*topology` and `*verifier` must outlive it.
class AutoVerifier {
 public:
  struct Options {
    // How old a volume's latest verification grows before the volume is
    // read back again; 0 turns automatic verification off.
    absl::Duration every = absl::Hours(7 * 24);
    // How fast a verification reads; 0 for no limit.
    uint64_t bytes_per_second = uint64_t{64} << 20;
    // How often to look for volumes due.
    absl::Duration interval = absl::Minutes(10);
    // How long a volume whose verification failed part way waits.
    absl::Duration retry_delay = absl::Hours(1);
  };

  AutoVerifier(const Topology* topology, VolumeVerifier* verifier,
               Options options)
      : topology_(topology), verifier_(verifier), options_(options) {}
  AutoVerifier(const AutoVerifier&) = delete;
  AutoVerifier& operator=(const AutoVerifier&) = delete;
  ~AutoVerifier() { Stop(); }

  // Starts the thread, whose first look comes one interval from now (the
  // heartbeats have reported by then). Does nothing when turned off.
  void Start();
  // Cancels the verifications running and waits for them to end.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // One look: starts the verifications due at `now`, each on a thread of
  // its own, and returns their volume ids.
  std::vector<uint32_t> RunOnce(absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until no verification this AutoVerifier started is running.
  void WaitIdleForTesting() ABSL_LOCKS_EXCLUDED(mu_);

  // The volume of `server` due for verification at `now`, if any, given
  // the latest verification of each volume and the time before which a
  // volume whose verification failed must not be tried again.
  static std::optional<uint32_t> Due(
      const ServerView& server,
      const std::map<uint32_t, VerificationRecord>& latest,
      const std::map<uint32_t, absl::Time>& retry_after, absl::Time now,
      const Options& options);

 private:
  // One verification in flight on one server.
  struct Running {
    uint32_t volume_id = 0;
    grpc::ClientContext context;
    std::thread thread;
    bool done = false;  // guarded by mu_
  };

  // The body of a Running's thread.
  void Verify(Running* running) ABSL_LOCKS_EXCLUDED(mu_);

  // Immutable after construction.
  const Topology* const topology_;
  VolumeVerifier* const verifier_;
  const Options options_;

  PeriodicThread looks_;

  absl::Mutex mu_;
  // By server id.
  std::map<std::string, std::unique_ptr<Running>> running_ ABSL_GUARDED_BY(mu_);
  std::map<uint32_t, absl::Time> retry_after_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_AUTO_VERIFIER_H_
