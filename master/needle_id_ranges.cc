#include "master/needle_id_ranges.h"

#include <algorithm>

namespace warehouse::master {

std::optional<uint64_t> NeedleIdRanges::Take(uint32_t volume_id) {
  absl::MutexLock lock(&mu_);
  auto it = ranges_.find(volume_id);
  if (it == ranges_.end() || it->second.next >= it->second.limit) {
    return std::nullopt;
  }
  return it->second.next++;
}

void NeedleIdRanges::Grant(uint32_t volume_id, uint64_t first, uint64_t limit) {
  absl::MutexLock lock(&mu_);
  Range& range = ranges_[volume_id];
  if (limit <= range.limit) return;
  range.next = std::max(range.next, first);
  range.limit = limit;
}

std::optional<uint64_t> NeedleIdRanges::NextUnused(uint32_t volume_id) {
  absl::MutexLock lock(&mu_);
  auto it = ranges_.find(volume_id);
  if (it == ranges_.end() || it->second.limit == 0) return std::nullopt;
  return it->second.next;
}

void NeedleIdRanges::SkipThrough(uint32_t volume_id, uint64_t used) {
  absl::MutexLock lock(&mu_);
  // Recorded even with no range granted yet: a grant reserved before the
  // database learnt of `used` may start below it.
  Range& range = ranges_[volume_id];
  range.next = std::max(range.next, used + 1);
}

}  // namespace warehouse::master
