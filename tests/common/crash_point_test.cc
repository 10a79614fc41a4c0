#include "common/crash_point.h"

#include <set>
#include <string>
#include <vector>

#include "catch2/catch.hpp"

namespace warehouse {
namespace {

TEST_CASE("every crash point has a distinct dotted name", "[common][crash]") {
  const std::vector<std::string> points = AllCrashPoints();
  REQUIRE(points.size() >= 20);
  std::set<std::string> seen;
  for (const std::string& point : points) {
    INFO(point);
    CHECK(seen.insert(point).second);
    CHECK(point.find('.') != std::string::npos);
    CHECK(point.find(':') == std::string::npos);
  }
  CHECK(CrashPointName(CrashPointId::kVolumeAppendAfterReserve) ==
        points.front());
}

TEST_CASE("a crash point is armed by name, optionally on its Nth hit",
          "[common][crash]") {
  auto first = ParseCrashPointArming("volume.append.after_sync");
  REQUIRE(first.ok());
  CHECK(first->id == CrashPointId::kVolumeAppendAfterSync);
  CHECK(first->hit == 1);
  auto third = ParseCrashPointArming("compact.after_marker:3");
  REQUIRE(third.ok());
  CHECK(third->id == CrashPointId::kCompactAfterMarker);
  CHECK(third->hit == 3);
}

TEST_CASE("an unknown crash point or a bad count is refused saying why",
          "[common][crash]") {
  for (const char* value :
       {"volume.append.nowhere", "", "compact.after_marker:0",
        "compact.after_marker:-1", "compact.after_marker:x",
        "compact.after_marker:", "volume.append.after_sync:1:2"}) {
    INFO(value);
    auto parsed = ParseCrashPointArming(value);
    REQUIRE(absl::IsInvalidArgument(parsed.status()));
    CHECK_THAT(std::string(parsed.status().message()),
               Catch::Contains("WAREHOUSE_CRASH_POINT="));
  }
}

TEST_CASE("an unarmed process passes every crash point", "[common][crash]") {
  // The test binary runs without WAREHOUSE_CRASH_POINT.
  REQUIRE_FALSE(g_crash_point_armed);
  CRASH_POINT(kVolumeAppendAfterSync);
  ReachCrashPoint(CrashPointId::kCompactAfterMarker);
  SUCCEED("still running");
}

}  // namespace
}  // namespace warehouse
