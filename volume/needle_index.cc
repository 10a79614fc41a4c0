#include "volume/needle_index.h"

#include <cassert>

#include "volume/needle_format.h"

namespace warehouse::volume {

NeedleLocation NeedleIndex::ToLocation(const Slot& slot) {
  return NeedleLocation{uint64_t{slot.offset_units} * kNeedleAlignment,
                        uint64_t{slot.size_units} * kNeedleAlignment};
}

NeedleIndex::Slot NeedleIndex::ToSlot(NeedleLocation location) {
  assert(location.offset > 0 && location.offset < kMaxVolumeSize);
  assert(location.size <= kMaxVolumeSize);
  assert(location.offset % kNeedleAlignment == 0);
  assert(location.size % kNeedleAlignment == 0);
  return Slot{static_cast<uint32_t>(location.offset / kNeedleAlignment),
              static_cast<uint32_t>(location.size / kNeedleAlignment)};
}

NeedleIndex::Slot* NeedleIndex::Find(uint64_t id, bool create) {
  if (id >= kDenseIdLimit) {
    if (create) return &sparse_[id];
    auto it = sparse_.find(id);
    return it == sparse_.end() ? nullptr : &it->second;
  }
  size_t chunk = id / kChunkSlots;
  if (chunk >= chunks_.size()) {
    if (!create) return nullptr;
    chunks_.resize(chunk + 1);
  }
  if (!chunks_[chunk]) {
    if (!create) return nullptr;
    chunks_[chunk] = std::make_unique<Slot[]>(kChunkSlots);
  }
  return &chunks_[chunk][id % kChunkSlots];
}

const NeedleIndex::Slot* NeedleIndex::Find(uint64_t id) const {
  return const_cast<NeedleIndex*>(this)->Find(id, /*create=*/false);
}

std::optional<NeedleLocation> NeedleIndex::Put(uint64_t id,
                                               NeedleLocation location) {
  Slot* slot = Find(id, /*create=*/true);
  std::optional<NeedleLocation> previous;
  if (slot->offset_units != 0) {
    previous = ToLocation(*slot);
    live_bytes_ -= previous->size;
  } else {
    ++count_;
  }
  *slot = ToSlot(location);
  live_bytes_ += location.size;
  max_id_ = std::max(max_id_, id);
  return previous;
}

std::optional<NeedleLocation> NeedleIndex::Remove(uint64_t id) {
  Slot* slot = Find(id, /*create=*/false);
  if (slot == nullptr || slot->offset_units == 0) return std::nullopt;
  NeedleLocation previous = ToLocation(*slot);
  --count_;
  live_bytes_ -= previous.size;
  if (id >= kDenseIdLimit) {
    sparse_.erase(id);
  } else {
    *slot = Slot{};
  }
  return previous;
}

std::optional<NeedleLocation> NeedleIndex::Get(uint64_t id) const {
  const Slot* slot = Find(id);
  if (slot == nullptr || slot->offset_units == 0) return std::nullopt;
  return ToLocation(*slot);
}

size_t NeedleIndex::MemoryBytes() const {
  size_t bytes = chunks_.capacity() * sizeof(chunks_[0]);
  for (const auto& chunk : chunks_) {
    if (chunk) bytes += kChunkSlots * sizeof(Slot);
  }
  // flat_hash_map: one slot of (key, value) plus one control byte per bucket.
  bytes += sparse_.bucket_count() * (sizeof(uint64_t) + sizeof(Slot) + 1);
  return bytes;
}

}  // namespace warehouse::volume
