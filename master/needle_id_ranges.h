// Needle ids handed out from ranges reserved in the database.
//
// A volume's `next_needle_id` column (docs/metadata_schema.md) bounds every
// needle id the master has handed out on it: ids at or above it are unused.
// BeginUpload takes ids from a range below that bound which the store
// reserved with one synced write, so handing out an id writes nothing, and
// no crash or power loss can hand the same id out twice.
#ifndef WAREHOUSE_MASTER_NEEDLE_ID_RANGES_H_
#define WAREHOUSE_MASTER_NEEDLE_ID_RANGES_H_

#include <cstdint>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace warehouse::master {

// The unused part of each volume's reserved range, in memory. It starts
// empty for every volume: ids come only from ranges granted since.
// Thread-safe.
class NeedleIdRanges {
 public:
  // How many ids one reservation adds to a volume's bound.
  static constexpr uint64_t kReservation = 4096;

  // The next unused id of the volume's range, or nullopt when the range is
  // used up (or none was granted): then reserve one and Grant it.
  std::optional<uint64_t> Take(uint32_t volume_id) ABSL_LOCKS_EXCLUDED(mu_);

  // Adds the ids from `first` up to `limit` (exclusive), which the database
  // now bounds durably. A grant below a later one that arrived first is
  // dropped; ids between the two ranges are skipped, never handed out.
  void Grant(uint32_t volume_id, uint64_t first, uint64_t limit)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The first id not yet handed out from the volume's range: every id this
  // process handed out on it lies below. Nullopt when no range was granted
  // (nothing was handed out).
  std::optional<uint64_t> NextUnused(uint32_t volume_id)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Never hands out `used` or any id below it again on this volume: a
  // volume server holds a needle with that id.
  void SkipThrough(uint32_t volume_id, uint64_t used) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Range {
    uint64_t next = 0;   // the next id to hand out
    uint64_t limit = 0;  // the first id not reserved
  };

  absl::Mutex mu_;
  absl::flat_hash_map<uint32_t, Range> ranges_ ABSL_GUARDED_BY(mu_);
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_NEEDLE_ID_RANGES_H_
