// MetadataStore's reads and repairs for the consistency check.
#include <vector>

#include "catch2/catch.hpp"
#include "master/metadata_store.h"
#include "tests/master/store_test_util.h"

namespace warehouse::master {
namespace {

using testing::StoreFixture;

absl::StatusOr<Upload> Begin(StoreFixture& f, const std::string& key) {
  BeginUploadRequest begin;
  begin.bucket = "photos";
  begin.key = key;
  begin.size = 5;
  begin.content_type = "text/plain";
  begin.volume_id = 1;
  begin.cookie = 0xabc;
  begin.expires = f.clock().Now() + absl::Hours(1);
  return f.store().BeginUpload(begin);
}

TEST_CASE("a volume snapshot holds its live objects, pending uploads and "
          "queued deletes",
          "[master][store][fsck]") {
  StoreFixture f;
  auto kept = f.Put("photos", "kept", 10);
  auto gone = f.Put("photos", "gone", 20);
  REQUIRE(kept.ok());
  REQUIRE(gone.ok());
  REQUIRE(f.store().DeleteObject("photos", "gone").ok());
  auto pending = Begin(f, "pending");
  REQUIRE(pending.ok());

  auto snapshot = f.store().SnapshotVolume(1);
  REQUIRE(snapshot.ok());
  CHECK(snapshot->volume_id == 1);
  REQUIRE(snapshot->objects.size() == 1);
  CHECK(snapshot->objects[0].key == "kept");
  CHECK(snapshot->objects[0].bucket == "photos");
  CHECK(snapshot->objects[0].needle_id == kept->needle.needle_id);
  CHECK(snapshot->objects[0].cookie == kept->needle.cookie);
  CHECK(snapshot->objects[0].size == 10);
  CHECK(snapshot->pending_needle_ids ==
        std::vector<uint64_t>{pending->needle.needle_id});
  CHECK(snapshot->deleting_needle_ids ==
        std::vector<uint64_t>{gone->needle.needle_id});
  CHECK(snapshot->next_needle_id == pending->needle.needle_id + 1);

  CHECK(absl::IsNotFound(f.store().SnapshotVolume(99).status()));

  REQUIRE(f.store().MarkVolumeLost(1).ok());
  auto lost = f.store().SnapshotVolume(1);
  REQUIRE(lost.ok());
  REQUIRE(lost->objects.size() == 1);
  CHECK(lost->objects[0].lost);
  CHECK_FALSE(snapshot->objects[0].lost);
}

TEST_CASE("only a live object's exact needle counts as named",
          "[master][store][fsck]") {
  StoreFixture f;
  auto object = f.Put("photos", "k", 10);
  REQUIRE(object.ok());
  CHECK(*f.store().ObjectHasNeedle(object->needle));
  NeedleRef other_cookie = object->needle;
  other_cookie.cookie ^= 1;
  CHECK_FALSE(*f.store().ObjectHasNeedle(other_cookie));
  REQUIRE(f.store().DeleteObject("photos", "k").ok());
  CHECK_FALSE(*f.store().ObjectHasNeedle(object->needle));
}

TEST_CASE("orphans are queued for deletion unless something names them",
          "[master][store][fsck]") {
  StoreFixture f;
  auto object = f.Put("photos", "k", 10);
  auto pending = Begin(f, "p");
  auto replaced = f.Put("photos", "r", 10);
  REQUIRE(object.ok());
  REQUIRE(pending.ok());
  REQUIRE(replaced.ok());
  REQUIRE(f.Put("photos", "r", 11).ok());  // queues the old needle of r
  const NeedleRef orphan{1, 100, 0x77};
  const std::vector<NeedleRef> found = {object->needle, pending->needle,
                                        replaced->needle, orphan};
  auto queued = f.store().QueueOrphans(found);
  REQUIRE(queued.ok());
  CHECK(*queued == 1);
  // Asking again queues nothing: the orphan is named by its queued delete.
  auto again = f.store().QueueOrphans(found);
  REQUIRE(again.ok());
  CHECK(*again == 0);

  auto due = f.store().TakeDueDeletes("vs1", f.clock().Now(), 100);
  REQUIRE(due.ok());
  bool orphan_due = false;
  for (const NeedleDelete& entry : *due) {
    if (entry.needle == orphan) {
      orphan_due = true;
      CHECK(entry.reason == "orphan");
    }
    CHECK(entry.needle != object->needle);
    CHECK(entry.needle != pending->needle);
  }
  CHECK(orphan_due);
}

}  // namespace
}  // namespace warehouse::master
