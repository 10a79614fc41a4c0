// Reclaiming needles no object points to any more.
//
// Overwrites, deletes, deleted buckets and expired uploads queue needles in
// the store's delete queue. The DeletionWorker drains it: every interval it
// takes, for each online volume server, the deletes due for the volumes it
// holds and sends them in one DeleteNeedlesCommand on the server's heartbeat
// stream. When the server's CommandResult arrives the deletes are marked
// done (OK; a needle already gone counts as deleted) or retried later with
// backoff (any error). A server has at most one delete command outstanding;
// one unanswered for `command_timeout` is abandoned, and its deletes come
// due again when the store's lease on them ends.
//
// The same thread sweeps expired uploads (MetadataStore::ExpireUploads)
// every `expire_interval`, which queues their needles.
#ifndef WAREHOUSE_MASTER_DELETION_WORKER_H_
#define WAREHOUSE_MASTER_DELETION_WORKER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/periodic_thread.h"
#include "master/command_queue.h"
#include "master/metadata_store.h"
#include "master/topology.h"

namespace warehouse::master {

// Thread-safe. `*store`, `*topology` and `*commands` must outlive it, and
// the CommandQueue must not run callbacks after it is destroyed.
class DeletionWorker {
 public:
  struct Options {
    absl::Duration interval = absl::Seconds(1);
    // Most needles in one command.
    int batch = 1000;
    absl::Duration command_timeout = absl::Minutes(1);
    absl::Duration expire_interval = absl::Seconds(30);
  };

  // Counters, for metrics and tests.
  struct Stats {
    uint64_t commands_sent = 0;
    uint64_t needles_deleted = 0;
    uint64_t needles_retried = 0;
    uint64_t uploads_expired = 0;
  };

  DeletionWorker(MetadataStore* store, Topology* topology,
                 CommandQueue* commands, Options options);
  DeletionWorker(const DeletionWorker&) = delete;
  DeletionWorker& operator=(const DeletionWorker&) = delete;
  ~DeletionWorker();

  void Start();
  // Stops the thread; results that arrive later are still recorded.
  void Stop();

  // One pass at `now`: the expiry sweep if due, then one command per
  // online server with due deletes and none outstanding. Store errors are
  // logged; the next pass tries again.
  void RunOnce(absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);

  Stats stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct InFlight {
    uint64_t command_id = 0;  // 0 until Send returns
    absl::Time sent;
  };

  void SendDeletes(const std::string& server_id, absl::Time now)
      ABSL_LOCKS_EXCLUDED(mu_);
  void OnResult(const std::vector<int64_t>& delete_ids,
                const CommandOutcome& outcome) ABSL_LOCKS_EXCLUDED(mu_);

  // Immutable after construction.
  MetadataStore* const store_;
  Topology* const topology_;
  CommandQueue* const commands_;
  const Options options_;

  PeriodicThread passes_;

  mutable absl::Mutex mu_;
  std::map<std::string, InFlight> in_flight_ ABSL_GUARDED_BY(mu_);
  absl::Time next_expiry_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_DELETION_WORKER_H_
