#include "master/consistency_check.h"

#include <string>
#include <utility>
#include <vector>

#include "catch2/catch.hpp"

namespace warehouse::master {
namespace {

ObjectNeedle ObjectAt(uint64_t needle_id, uint32_t cookie, int64_t size,
                      std::string key) {
  ObjectNeedle object;
  object.needle_id = needle_id;
  object.cookie = cookie;
  object.size = size;
  object.bucket = "photos";
  object.key = std::move(key);
  return object;
}

// Volume 7 with objects on needles 2, 4 and 6, an upload pending on needle
// 8, a delete queued for needle 5, and needle ids up to 9 handed out.
VolumeSnapshot Snapshot() {
  VolumeSnapshot snapshot;
  snapshot.volume_id = 7;
  snapshot.next_needle_id = 10;
  snapshot.objects = {ObjectAt(2, 0xa, 100, "a"), ObjectAt(4, 0xb, 200, "b"),
                      ObjectAt(6, 0xc, 300, "c")};
  snapshot.pending_needle_ids = {8};
  snapshot.deleting_needle_ids = {5};
  return snapshot;
}

std::vector<std::string> Keys(const std::vector<Finding>& findings) {
  std::vector<std::string> keys;
  for (const Finding& finding : findings) keys.push_back(finding.key);
  return keys;
}

std::vector<uint64_t> NeedleIds(const std::vector<Finding>& findings) {
  std::vector<uint64_t> ids;
  for (const Finding& finding : findings) ids.push_back(finding.needle.needle_id);
  return ids;
}

TEST_CASE("a volume that holds exactly its objects' needles reports nothing",
          "[master][fsck]") {
  VolumeComparison comparison(Snapshot());
  comparison.Add({2, 0xa, 100});
  comparison.Add({4, 0xb, 200});
  comparison.Add({6, 0xc, 300});
  comparison.Finish();
  CHECK(comparison.missing_candidates().empty());
  CHECK(comparison.orphans().empty());
  CHECK(comparison.in_flight() == 0);
  CHECK(comparison.needles_checked() == 3);
  CHECK(comparison.objects_checked() == 3);
}

TEST_CASE("objects whose needles are absent are missing, wherever they fall",
          "[master][fsck]") {
  VolumeComparison comparison(Snapshot());
  // Needle 2 absent before the first listed, 4 between, 6 after the last.
  comparison.Add({3, 0x3, 1});
  comparison.Add({5, 0x5, 1});
  comparison.Finish();
  CHECK(Keys(comparison.missing_candidates()) ==
        std::vector<std::string>{"a", "b", "c"});
  const Finding& first = comparison.missing_candidates().front();
  CHECK(first.kind == FindingKind::kMissing);
  CHECK(first.needle.volume_id == 7);
  CHECK(first.needle.needle_id == 2);
  CHECK(first.needle.cookie == 0xa);
  CHECK(first.bucket == "photos");
}

TEST_CASE("a needle with another cookie or size than its object is missing",
          "[master][fsck]") {
  VolumeComparison comparison(Snapshot());
  comparison.Add({2, 0xdead, 100});
  comparison.Add({4, 0xb, 201});
  comparison.Add({6, 0xc, 300});
  comparison.Finish();
  REQUIRE(Keys(comparison.missing_candidates()) ==
          std::vector<std::string>{"a", "b"});
  CHECK_THAT(comparison.missing_candidates()[0].detail,
             Catch::Contains("cookie 0000dead"));
  CHECK_THAT(comparison.missing_candidates()[1].detail,
             Catch::Contains("201"));
  CHECK(comparison.orphans().empty());
}

TEST_CASE("a needle nothing names is an orphan", "[master][fsck]") {
  VolumeComparison comparison(Snapshot());
  comparison.Add({1, 0x1, 10});
  comparison.Add({2, 0xa, 100});
  comparison.Add({3, 0x3, 30});
  comparison.Add({4, 0xb, 200});
  comparison.Add({6, 0xc, 300});
  comparison.Add({9, 0x9, 90});
  comparison.Finish();
  CHECK(NeedleIds(comparison.orphans()) == std::vector<uint64_t>{1, 3, 9});
  CHECK(comparison.orphans()[1].kind == FindingKind::kOrphan);
  CHECK(comparison.orphans()[1].needle.cookie == 0x3);
  CHECK(comparison.missing_candidates().empty());
}

TEST_CASE("needles of pending uploads, queued deletes and later uploads are "
          "in flight, not orphans",
          "[master][fsck]") {
  VolumeComparison comparison(Snapshot());
  comparison.Add({2, 0xa, 100});
  comparison.Add({4, 0xb, 200});
  comparison.Add({5, 0x5, 50});   // queued for deletion
  comparison.Add({6, 0xc, 300});
  comparison.Add({8, 0x8, 80});   // pending upload
  comparison.Add({10, 0x10, 1});  // allocated after the snapshot
  comparison.Add({1u << 20, 0x11, 1});
  comparison.Finish();
  CHECK(comparison.orphans().empty());
  CHECK(comparison.missing_candidates().empty());
  CHECK(comparison.in_flight() == 4);
  CHECK(comparison.needles_checked() == 7);
}

TEST_CASE("an object declared lost is not missing, and names its needle",
          "[master][fsck]") {
  VolumeSnapshot snapshot = Snapshot();
  snapshot.objects[0].lost = true;  // needle 2
  snapshot.objects[1].lost = true;  // needle 4
  VolumeComparison comparison(std::move(snapshot));
  comparison.Add({2, 0xdead, 1});  // back, even with another cookie
  comparison.Add({6, 0xc, 300});
  comparison.Finish();
  CHECK(comparison.missing_candidates().empty());
  CHECK(comparison.orphans().empty());
}

TEST_CASE("an empty volume with objects reports all of them missing",
          "[master][fsck]") {
  VolumeComparison comparison(Snapshot());
  comparison.Finish();
  CHECK(comparison.missing_candidates().size() == 3);
  CHECK(comparison.needles_checked() == 0);
}

}  // namespace
}  // namespace warehouse::master
