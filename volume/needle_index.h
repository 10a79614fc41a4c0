// The in-memory map from needle id to where the needle lives in its volume.
//
// Haystack keeps the whole index in memory so a read costs one disk
// operation. Needle ids are allocated densely per volume by the master, so
// the map is an array indexed by id, allocated in chunks of kChunkSlots as
// ids are used: 8 bytes per slot, O(1) lookup, no per-entry allocation. Ids
// too large for the array (never issued by the master, but accepted from
// other callers) live in a hash map.
#ifndef WAREHOUSE_VOLUME_NEEDLE_INDEX_H_
#define WAREHOUSE_VOLUME_NEEDLE_INDEX_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace warehouse::volume {

// Where a needle lives: its first byte and how many bytes it occupies,
// padding included. Both are multiples of kNeedleAlignment below
// kMaxVolumeSize.
struct NeedleLocation {
  uint64_t offset = 0;
  uint64_t size = 0;

  bool operator==(const NeedleLocation& o) const {
    return offset == o.offset && size == o.size;
  }
};

// Not thread-safe; owned by one Volume, which guards it with its mutex.
class NeedleIndex {
 public:
  // Ids below this live in the array (2^32 ids cost at most 512 KiB of
  // chunk pointers); larger ones in the hash map.
  static constexpr uint64_t kDenseIdLimit = uint64_t{1} << 32;
  static constexpr size_t kChunkSlots = 1 << 16;

  NeedleIndex() = default;
  NeedleIndex(const NeedleIndex&) = delete;
  NeedleIndex& operator=(const NeedleIndex&) = delete;
  NeedleIndex(NeedleIndex&&) = default;
  NeedleIndex& operator=(NeedleIndex&&) = default;

  // Points `id` at `location`; returns where it pointed before, if anywhere.
  // REQUIRES: location.offset > 0, both fields aligned and below
  // kMaxVolumeSize.
  std::optional<NeedleLocation> Put(uint64_t id, NeedleLocation location);
  // Forgets `id`; returns where it pointed, if anywhere.
  std::optional<NeedleLocation> Remove(uint64_t id);
  std::optional<NeedleLocation> Get(uint64_t id) const;

  // Live needles and the bytes they occupy.
  size_t count() const { return count_; }
  uint64_t live_bytes() const { return live_bytes_; }
  // The highest id ever put (0: none); Remove does not lower it.
  uint64_t max_id() const { return max_id_; }
  // Heap bytes held by the index itself.
  size_t MemoryBytes() const;

  // Calls fn(id, location) for every live needle, dense ids in id order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (size_t c = 0; c < chunks_.size(); ++c) {
      if (!chunks_[c]) continue;
      for (size_t i = 0; i < kChunkSlots; ++i) {
        const Slot& slot = chunks_[c][i];
        if (slot.offset_units != 0) {
          fn(uint64_t{c} * kChunkSlots + i, ToLocation(slot));
        }
      }
    }
    for (const auto& [id, slot] : sparse_) fn(id, ToLocation(slot));
  }

  // Calls fn(id, location) for every live needle with an id of at least
  // `first`, in increasing id order, until fn returns false. Costs a sort
  // of the hash map's ids when any lie at or above `first`.
  template <typename Fn>
  void ForEachFrom(uint64_t first, Fn&& fn) const {
    if (first < kDenseIdLimit) {
      const size_t first_chunk = first / kChunkSlots;
      for (size_t c = first_chunk; c < chunks_.size(); ++c) {
        if (!chunks_[c]) continue;
        for (size_t i = c == first_chunk ? first % kChunkSlots : 0;
             i < kChunkSlots; ++i) {
          const Slot& slot = chunks_[c][i];
          if (slot.offset_units != 0 &&
              !fn(uint64_t{c} * kChunkSlots + i, ToLocation(slot))) {
            return;
          }
        }
      }
    }
    std::vector<uint64_t> sparse_ids;
    for (const auto& entry : sparse_) {
      if (entry.first >= first) sparse_ids.push_back(entry.first);
    }
    std::sort(sparse_ids.begin(), sparse_ids.end());
    for (uint64_t id : sparse_ids) {
      if (!fn(id, ToLocation(sparse_.at(id)))) return;
    }
  }

 private:
  struct Slot {
    uint32_t offset_units = 0;  // 0: empty (offset 0 is the super block)
    uint32_t size_units = 0;
  };

  static NeedleLocation ToLocation(const Slot& slot);
  static Slot ToSlot(NeedleLocation location);
  // The slot for `id`, or null; creates it (and its chunk) when `create`.
  Slot* Find(uint64_t id, bool create);
  const Slot* Find(uint64_t id) const;

  std::vector<std::unique_ptr<Slot[]>> chunks_;
  absl::flat_hash_map<uint64_t, Slot> sparse_;
  size_t count_ = 0;
  uint64_t live_bytes_ = 0;
  uint64_t max_id_ = 0;
};

}  // namespace warehouse::volume

#endif  // WAREHOUSE_VOLUME_NEEDLE_INDEX_H_
