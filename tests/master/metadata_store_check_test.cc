// MetadataStore's reads and repairs for the consistency check, and the
// check over a store whose uploads move while it runs.
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "catch2/catch.hpp"
#include "master/consistency_check.h"
#include "master/metadata_store.h"
#include "master/topology.h"
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

// Lists what the test says, after running `before` (as the check does its
// listing after its snapshot).
class ScriptedLister : public NeedleLister {
 public:
  std::function<void()> before;
  std::vector<ListedNeedle> needles;

  absl::Status ListNeedles(const std::string&, uint32_t,
                           const PageSink& page) override {
    if (before) before();
    page(needles);
    return absl::OkStatus();
  }
};

TEST_CASE(
    "an upload that took its needle id just before the snapshot is "
    "not an orphan",
    "[master][store][fsck]") {
  // An upload stops between taking its id and becoming pending; the check
  // takes its snapshot there, and lists the needle, uploaded meanwhile.
  absl::Notification taken;
  absl::Notification snapshot_taken;
  StoreFixture f;
  f.after_needle_id_taken = [&] {
    taken.Notify();
    snapshot_taken.WaitForNotification();
  };
  f.Reopen();
  absl::StatusOr<std::unique_ptr<Topology>> topology =
      Topology::Create(&f.store(), {});
  REQUIRE(topology.ok());
  ServerRegistration registration;
  registration.server_id = "vs1";
  registration.public_address = "127.0.0.1:8081";
  registration.admin_address = "127.0.0.1:8082";
  VolumeView volume;
  volume.volume_id = 1;
  registration.report.volumes = {volume};
  REQUIRE((*topology)->Register(registration, [] {}).ok());

  absl::StatusOr<Upload> upload;
  std::thread uploader([&] { upload = Begin(f, "racing"); });
  taken.WaitForNotification();
  ScriptedLister lister;
  lister.before = [&] {
    snapshot_taken.Notify();
    uploader.join();
    REQUIRE(upload.ok());
    lister.needles = {{upload->needle.needle_id, upload->needle.cookie, 5}};
  };
  ConsistencyChecker checker(&f.store(), topology->get(), &lister);
  ConsistencyChecker::Options options;
  options.repair_orphans = true;
  absl::StatusOr<ConsistencyReport> report = checker.Check(options);
  // Only when the check failed before its listing.
  if (!snapshot_taken.HasBeenNotified()) snapshot_taken.Notify();
  if (uploader.joinable()) uploader.join();
  INFO(report.status().ToString());
  REQUIRE(report.ok());
  CHECK(report->volumes_checked == 1);
  CHECK(report->needles_checked == 1);
  CHECK(report->needles_in_flight == 1);
  CHECK(report->orphans == 0);
  CHECK(report->orphans_queued == 0);
  CHECK(report->findings.empty());
}

}  // namespace
}  // namespace warehouse::master
