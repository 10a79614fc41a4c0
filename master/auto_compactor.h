// Compacting volumes without an operator.
//
// Deletes and overwrites leave garbage in volumes that only a compaction
// reclaims (docs/compaction.md). Every `interval` the AutoCompactor looks
// at the volumes as the last heartbeats reported them and, on each online
// server with no compaction running, starts one of the volume with the
// most garbage for its size, if that garbage is at least
// `min_garbage_ratio` of the volume's size and at least
// `min_garbage_bytes`. One at a time per server keeps a server's disk
// serving while it compacts; read-only volumes are included, since full
// volumes are where garbage stays. The compactions go through the
// CompactionScheduler, so ListVolumes shows them as any other.
//
// A volume whose latest compaction failed (no disk room, a file in the
// way) is left alone for `first_retry_delay` after the failure, doubled
// for each further failure in a row up to `max_retry_delay`; meanwhile the
// server's next volume due goes ahead. Otherwise one volume that cannot
// be compacted would be chosen at every look and keep the server's other
// volumes from ever being compacted.
#ifndef WAREHOUSE_MASTER_AUTO_COMPACTOR_H_
#define WAREHOUSE_MASTER_AUTO_COMPACTOR_H_

#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "common/periodic_thread.h"
#include "master/compaction_scheduler.h"
#include "master/topology.h"

namespace warehouse::master {

// Thread-safe. `*topology` and `*compactions` must outlive it.
class AutoCompactor {
 public:
  struct Options {
    // 0 turns automatic compaction off.
    double min_garbage_ratio = 0.3;
    uint64_t min_garbage_bytes = uint64_t{1} << 20;
    absl::Duration interval = absl::Minutes(15);
    // How fast a compaction copies; 0 for no limit.
    uint64_t bytes_per_second = 0;
    absl::Duration first_retry_delay = absl::Hours(1);
    absl::Duration max_retry_delay = absl::Hours(24);
  };

  AutoCompactor(Topology* topology, CompactionScheduler* compactions,
                Options options)
      : topology_(topology), compactions_(compactions), options_(options) {}
  AutoCompactor(const AutoCompactor&) = delete;
  AutoCompactor& operator=(const AutoCompactor&) = delete;
  ~AutoCompactor() { Stop(); }

  // Starts the thread, whose first pass comes one interval from now (the
  // heartbeats have reported by then). Does nothing when turned off.
  void Start();
  void Stop();

  // One pass: starts the compactions due at `now` and returns their
  // volume ids.
  std::vector<uint32_t> RunOnce(absl::Time now);

  // How long after its latest failure a volume that failed
  // `failures_in_a_row` times (at least 1) waits for its next automatic
  // compaction.
  static absl::Duration RetryDelay(const Options& options,
                                   int failures_in_a_row);

 private:
  // Immutable after construction.
  Topology* const topology_;
  CompactionScheduler* const compactions_;
  const Options options_;

  PeriodicThread passes_;
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_AUTO_COMPACTOR_H_
