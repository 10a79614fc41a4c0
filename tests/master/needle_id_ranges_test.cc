#include "master/needle_id_ranges.h"

#include "catch2/catch.hpp"

namespace warehouse::master {
namespace {

TEST_CASE("a volume hands out no needle id before a range is granted",
          "[master][needle-ids]") {
  NeedleIdRanges ranges;
  CHECK_FALSE(ranges.Take(1).has_value());
}

TEST_CASE("a granted range is handed out in order, then runs out",
          "[master][needle-ids]") {
  NeedleIdRanges ranges;
  ranges.Grant(1, 5, 8);
  CHECK(ranges.Take(1) == 5u);
  CHECK(ranges.Take(1) == 6u);
  CHECK(ranges.Take(1) == 7u);
  CHECK_FALSE(ranges.Take(1).has_value());
  // Volumes are apart.
  CHECK_FALSE(ranges.Take(2).has_value());
  ranges.Grant(2, 1, 2);
  CHECK(ranges.Take(2) == 1u);
}

TEST_CASE("a later range skips what is left of the one before",
          "[master][needle-ids]") {
  NeedleIdRanges ranges;
  ranges.Grant(1, 1, 10);
  CHECK(ranges.Take(1) == 1u);
  ranges.Grant(1, 10, 20);
  CHECK(ranges.Take(1) == 10u);
  // An earlier range that arrives late is dropped: its ids may lie below
  // ids already handed out.
  ranges.Grant(1, 5, 10);
  CHECK(ranges.Take(1) == 11u);
}

TEST_CASE("ids a volume server already holds are never handed out",
          "[master][needle-ids]") {
  NeedleIdRanges ranges;
  ranges.Grant(1, 1, 100);
  CHECK(ranges.Take(1) == 1u);
  ranges.SkipThrough(1, 40);
  CHECK(ranges.Take(1) == 41u);
  // Past the end of the range: nothing until the next grant, and that one
  // too starts past the held ids.
  ranges.SkipThrough(1, 150);
  CHECK_FALSE(ranges.Take(1).has_value());
  ranges.Grant(1, 100, 200);
  CHECK(ranges.Take(1) == 151u);
  // Before any grant, too.
  ranges.SkipThrough(2, 7);
  ranges.Grant(2, 1, 50);
  CHECK(ranges.Take(2) == 8u);
}

}  // namespace
}  // namespace warehouse::master
