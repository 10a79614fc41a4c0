#include "volume/needle_index.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "catch2/catch.hpp"

namespace warehouse::volume {
namespace {

constexpr uint64_t kChunk = NeedleIndex::kChunkSlots;

NeedleLocation At(uint64_t id) { return NeedleLocation{8 * (id % 1000 + 1), 8}; }

std::vector<uint64_t> IdsFrom(const NeedleIndex& index, uint64_t first,
                              size_t limit) {
  std::vector<uint64_t> ids;
  index.ForEachFrom(first, [&](uint64_t id, NeedleLocation location) {
    CHECK(location == At(id));
    ids.push_back(id);
    return ids.size() < limit;
  });
  return ids;
}

TEST_CASE("the highest id put is kept when needles are removed",
          "[volume][index]") {
  NeedleIndex index;
  CHECK(index.max_id() == 0);
  index.Put(7, At(7));
  index.Put(3, At(3));
  CHECK(index.max_id() == 7);
  index.Remove(7);
  CHECK(index.max_id() == 7);
  index.Put(NeedleIndex::kDenseIdLimit + 5, At(5));  // the sparse map
  CHECK(index.max_id() == NeedleIndex::kDenseIdLimit + 5);
}

TEST_CASE("ForEachFrom walks live ids in order from any start, across chunks "
          "and into the sparse ids",
          "[volume][index]") {
  NeedleIndex index;
  const uint64_t big = NeedleIndex::kDenseIdLimit + 5;
  for (uint64_t id : {big + 7, uint64_t{3}, kChunk - 1, kChunk, 3 * kChunk + 2,
                      big, uint64_t{1}}) {
    index.Put(id, At(id));
  }
  index.Put(9, At(9));
  index.Remove(9);
  const std::vector<uint64_t> all = {1,     3,         kChunk - 1, kChunk,
                                     3 * kChunk + 2, big, big + 7};
  CHECK(IdsFrom(index, 0, 100) == all);
  CHECK(IdsFrom(index, 2, 100) ==
        std::vector<uint64_t>(all.begin() + 1, all.end()));
  CHECK(IdsFrom(index, kChunk, 100) ==
        std::vector<uint64_t>(all.begin() + 3, all.end()));
  CHECK(IdsFrom(index, kChunk + 1, 100) ==
        std::vector<uint64_t>(all.begin() + 4, all.end()));
  CHECK(IdsFrom(index, big + 1, 100) == std::vector<uint64_t>{big + 7});
  CHECK(IdsFrom(index, big + 8, 100).empty());
  // Stops as soon as the callback says so.
  CHECK(IdsFrom(index, 0, 2) == std::vector<uint64_t>{1, 3});
  CHECK(IdsFrom(index, kChunk, 4) ==
        std::vector<uint64_t>{kChunk, 3 * kChunk + 2, big, big + 7});
}

}  // namespace
}  // namespace warehouse::volume
