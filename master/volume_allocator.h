// Placement: which volume a new object goes to, and when to grow the
// cluster by a volume.
//
// A volume is writable for an object of n bytes when its server is online
// and not draining, the volume is neither read-only nor compacting, its
// maximum size is known, and max size - (size + reserved) >= n + slack,
// where `reserved` counts uploads placed since the volume's last report and
// `slack` covers the needle's header, footer and padding. The servers
// holding a writable volume take turns, and on a server the least used
// writable volume gets the object: uploads spread evenly over servers (a
// server just added takes its share, not every upload until it has caught
// up) and by bytes over a server's volumes.
//
// When fewer than `min_writable_volumes` volumes could take an object of
// `growth_probe_bytes`, or an online server with a free volume slot holds
// no volume that could (one just added), or none can take this one, the
// allocator asks an online server with a free volume slot (such a server
// first) to create a volume: it records the volume in the store
// (CreateVolumeRecord, which allocates the id) and sends a
// CreateVolumeCommand on the server's stream. An upload that found
// no room waits, a bounded time, until the server reports the new volume
// in a heartbeat. docs/master.md describes placement and growth.
#ifndef WAREHOUSE_MASTER_VOLUME_ALLOCATOR_H_
#define WAREHOUSE_MASTER_VOLUME_ALLOCATOR_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "master/command_queue.h"
#include "master/metadata_store.h"
#include "master/topology.h"

namespace warehouse::master {

// Where an upload goes.
struct Placement {
  uint32_t volume_id = 0;
  std::string server_id;
  std::string public_address;
  bool http_tls = false;
};

// Thread-safe. `*topology`, `*store` and `*commands` must outlive it, and
// the CommandQueue must not run callbacks after it is destroyed.
class VolumeAllocator {
 public:
  struct Options {
    // Room kept beyond an object's bytes: needle header, content type,
    // footer and alignment.
    uint64_t slack_bytes = 4096;
    // Grow when fewer volumes than this could take an object of
    // growth_probe_bytes.
    int min_writable_volumes = 2;
    uint64_t growth_probe_bytes = uint64_t{64} << 20;
    // How long an upload waits for a new volume to be reported, and how
    // long a volume creation counts as in progress.
    absl::Duration growth_timeout = absl::Seconds(15);
  };

  VolumeAllocator(Topology* topology, MetadataStore* store,
                  CommandQueue* commands, Options options);
  VolumeAllocator(const VolumeAllocator&) = delete;
  VolumeAllocator& operator=(const VolumeAllocator&) = delete;

  // Picks a volume for an object of `size` bytes and counts the bytes as
  // reserved on it. May wait up to growth_timeout for a new volume.
  // Errors: Unavailable (no volume server online, or the new volume was
  // not reported in time: retry); ResourceExhausted (every online server
  // is full or draining, or the new volume cannot hold the object either);
  // the store's errors from recording a new volume.
  absl::StatusOr<Placement> Allocate(uint64_t size)
      ABSL_LOCKS_EXCLUDED(grow_mu_, mu_);

  // Volume creations sent and not yet reported, for tests and metrics.
  int growths_in_progress() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Growth {
    std::string server_id;
    absl::Time started;
    uint64_t command_id = 0;
  };

  // The least used volume that can take `size` bytes on the server whose
  // turn it is, or NotFound; counts how many volumes could take
  // growth_probe_bytes in `*probe_fits`, and how many online servers with
  // a free slot hold none that could in `*idle_servers`.
  absl::StatusOr<Placement> Pick(uint64_t size, int* probe_fits,
                                 int* idle_servers);
  // Starts creating a volume on an online server with a free slot: one
  // holding no volume that could take growth_probe_bytes first, then the
  // one with the most free slots, unless a creation is in progress.
  // Returns the new (or in-progress) volume id. Errors: Unavailable (no
  // server online); ResourceExhausted (every online server is full or
  // draining).
  absl::StatusOr<uint32_t> Grow() ABSL_LOCKS_EXCLUDED(grow_mu_, mu_);
  // Forgets creations that were reported, failed or timed out.
  void PruneGrowths(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnCreated(uint32_t volume_id, const CommandOutcome& outcome)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Immutable after construction.
  Topology* const topology_;
  MetadataStore* const store_;
  CommandQueue* const commands_;
  const Options options_;

  // Serializes Grow(), and is held across its store write, so that
  // concurrent uploads that find no room start one creation, not one each.
  absl::Mutex grow_mu_ ABSL_ACQUIRED_BEFORE(mu_);

  mutable absl::Mutex mu_;
  // Volume creations in progress, by volume id.
  std::map<uint32_t, Growth> growths_ ABSL_GUARDED_BY(mu_);

  // Counts placements; modulo the servers that can take an upload, it
  // names the one whose turn it is.
  std::atomic<uint64_t> next_turn_{0};
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_VOLUME_ALLOCATOR_H_
