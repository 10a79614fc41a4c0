// Volume servers, volumes, the needle delete queue and access keys.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "catch2/catch.hpp"
#include "master/metadata_store.h"
#include "master/sqlite.h"
#include "tests/master/store_test_util.h"

namespace warehouse::master {
namespace {

using testing::StoreFixture;

std::vector<int64_t> IdsOf(const std::vector<NeedleDelete>& deletes) {
  std::vector<int64_t> ids;
  for (const NeedleDelete& d : deletes) ids.push_back(d.delete_id);
  return ids;
}

TEST_CASE("servers are upserted by heartbeats and their status kept",
          "[master][cluster]") {
  StoreFixture f;
  const absl::Time t0 = f.clock().Now();
  REQUIRE(f.store().UpsertServer("vs2", "10.0.0.2:8080", t0).ok());
  auto servers = f.store().ListServers();
  REQUIRE(servers.ok());
  REQUIRE(servers->size() == 2);
  CHECK((*servers)[1].server_id == "vs2");
  CHECK((*servers)[1].address == "10.0.0.2:8080");
  CHECK((*servers)[1].last_heartbeat == t0);
  CHECK((*servers)[1].status == ServerStatus::kAlive);

  // A later heartbeat moves the address and the time; an older one arriving
  // late does not move the time back.
  REQUIRE(f.store()
              .UpsertServer("vs2", "10.0.0.9:8080", t0 + absl::Seconds(5))
              .ok());
  REQUIRE(f.store()
              .UpsertServer("vs2", "10.0.0.9:8080", t0 + absl::Seconds(1))
              .ok());
  servers = f.store().ListServers();
  CHECK((*servers)[1].address == "10.0.0.9:8080");
  CHECK((*servers)[1].last_heartbeat == t0 + absl::Seconds(5));

  // Down is undone by a heartbeat; draining is not.
  REQUIRE(f.store().MarkServerStatus("vs2", ServerStatus::kDown).ok());
  CHECK((*f.store().ListServers())[1].status == ServerStatus::kDown);
  REQUIRE(f.store()
              .UpsertServer("vs2", "10.0.0.9:8080", t0 + absl::Seconds(9))
              .ok());
  CHECK((*f.store().ListServers())[1].status == ServerStatus::kAlive);
  REQUIRE(f.store().MarkServerStatus("vs2", ServerStatus::kDraining).ok());
  REQUIRE(f.store()
              .UpsertServer("vs2", "10.0.0.9:8080", t0 + absl::Seconds(12))
              .ok());
  CHECK((*f.store().ListServers())[1].status == ServerStatus::kDraining);

  CHECK(f.store().MarkServerStatus("nope", ServerStatus::kDown).code() ==
        absl::StatusCode::kNotFound);
  CHECK(f.store().UpsertServer("", "x:1", t0).code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("volume ids are allocated in order and never reused",
          "[master][cluster]") {
  StoreFixture f;
  auto v2 = f.store().CreateVolumeRecord("vs1");
  REQUIRE(v2.ok());
  CHECK(v2->volume_id == 2);
  CHECK(v2->server_id == "vs1");
  CHECK(f.store().CreateVolumeRecord("nope").status().code() ==
        absl::StatusCode::kNotFound);
  // A volume reported by a heartbeat takes its own id, and new ids go past
  // it.
  VolumeUsage reported;
  reported.volume_id = 40;
  reported.server_id = "vs1";
  REQUIRE(f.store().UpsertVolumes({reported}).ok());
  auto v41 = f.store().CreateVolumeRecord("vs1");
  REQUIRE(v41.ok());
  CHECK(v41->volume_id == 41);
  auto volumes = f.store().ListVolumes();
  REQUIRE(volumes.ok());
  std::vector<uint32_t> ids;
  for (const VolumeRecord& v : *volumes) ids.push_back(v.volume_id);
  CHECK(ids == std::vector<uint32_t>{1, 2, 40, 41});
}

TEST_CASE("heartbeats record volume usage and moves", "[master][cluster]") {
  StoreFixture f;
  REQUIRE(f.store().UpsertServer("vs2", "10.0.0.2:8080", f.clock().Now()).ok());
  VolumeUsage usage;
  usage.volume_id = 1;
  usage.server_id = "vs1";
  usage.size_bytes = 1000;
  usage.live_bytes = 600;
  usage.garbage_bytes = 400;
  usage.needle_count = 12;
  usage.read_only = true;
  f.clock().Advance(absl::Seconds(30));
  REQUIRE(f.store().UpsertVolumes({usage}).ok());
  auto volume = f.store().GetVolume(1);
  REQUIRE(volume.ok());
  CHECK(volume->size_bytes == 1000);
  CHECK(volume->live_bytes == 600);
  CHECK(volume->garbage_bytes == 400);
  CHECK(volume->needle_count == 12);
  CHECK(volume->read_only);
  CHECK(volume->updated == f.clock().Now());
  CHECK(volume->created < volume->updated);

  usage.server_id = "vs2";
  usage.read_only = false;
  REQUIRE(f.store().UpsertVolumes({usage}).ok());
  CHECK(f.store().GetVolume(1)->server_id == "vs2");
  CHECK_FALSE(f.store().GetVolume(1)->read_only);

  usage.server_id = "ghost";
  CHECK(f.store().UpsertVolumes({usage}).code() == absl::StatusCode::kNotFound);
  usage.server_id = "vs1";
  usage.live_bytes = -1;
  CHECK(f.store().UpsertVolumes({usage}).code() ==
        absl::StatusCode::kInvalidArgument);
  usage.live_bytes = 0;
  usage.volume_id = 0;
  CHECK(f.store().UpsertVolumes({usage}).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(f.store().GetVolume(77).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("the needle counter never falls behind what a volume holds",
          "[master][cluster]") {
  StoreFixture f;
  VolumeUsage usage;
  usage.volume_id = 1;
  usage.server_id = "vs1";
  usage.max_needle_id = 500;
  REQUIRE(f.store().UpsertVolumes({usage}).ok());
  CHECK(f.store().GetVolume(1)->next_needle_id == 501);
  // A lower report (an older heartbeat) does not move it back.
  usage.max_needle_id = 10;
  REQUIRE(f.store().UpsertVolumes({usage}).ok());
  CHECK(f.store().GetVolume(1)->next_needle_id == 501);
  // An unknown volume starts past what it holds.
  usage.volume_id = 9;
  usage.max_needle_id = 70;
  REQUIRE(f.store().UpsertVolumes({usage}).ok());
  CHECK(f.store().GetVolume(9)->next_needle_id == 71);
}

TEST_CASE("deletes are handed out, retried with backoff and removed when done",
          "[master][cluster]") {
  StoreFixture f;
  REQUIRE(f.Put("photos", "a", 1).ok());
  REQUIRE(f.Put("photos", "b", 1).ok());
  REQUIRE(f.Put("photos", "c", 1).ok());
  for (const char* key : {"a", "b", "c"}) {
    REQUIRE(f.store().DeleteObject("photos", key).ok());
  }
  const absl::Time t0 = f.clock().Now();

  CHECK(f.store().TakeDueDeletes("vs1", t0, 0).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(f.store().TakeDueDeletes("vs2", t0, 10)->empty());

  auto first = f.store().TakeDueDeletes("vs1", t0, 2);
  REQUIRE(first.ok());
  REQUIRE(first->size() == 2);
  CHECK((*first)[0].needle.needle_id == 1);
  CHECK((*first)[1].needle.needle_id == 2);
  // Handed-out deletes are hidden for the lease; the third is still due.
  auto second = f.store().TakeDueDeletes("vs1", t0, 10);
  REQUIRE(second->size() == 1);
  CHECK((*second)[0].needle.needle_id == 3);
  CHECK(f.store().TakeDueDeletes("vs1", t0, 10)->empty());

  // The server carried out the first, failed the second, never answered
  // for the third.
  REQUIRE(f.store().MarkDeleted({(*first)[0].delete_id}).ok());
  REQUIRE(f.store().RetryLater({(*first)[1].delete_id}, t0).ok());

  // The failed one comes back after its backoff (1 s), the silent one after
  // the lease (1 min), the done one never.
  auto retry = f.store().TakeDueDeletes("vs1", t0 + absl::Seconds(1), 10);
  REQUIRE(retry->size() == 1);
  CHECK((*retry)[0].delete_id == (*first)[1].delete_id);
  CHECK((*retry)[0].attempts == 1);
  REQUIRE(f.store().RetryLater({(*retry)[0].delete_id}, t0).ok());
  // Second failure: 2 s.
  CHECK(f.store().TakeDueDeletes("vs1", t0 + absl::Seconds(1), 10)->empty());
  auto again = f.store().TakeDueDeletes("vs1", t0 + absl::Seconds(2), 10);
  REQUIRE(again->size() == 1);
  CHECK((*again)[0].attempts == 2);

  auto lease_over = f.store().TakeDueDeletes("vs1", t0 + absl::Minutes(2), 10);
  REQUIRE(lease_over.ok());
  CHECK(IdsOf(*lease_over) ==
        std::vector<int64_t>{(*second)[0].delete_id, (*again)[0].delete_id});
  REQUIRE(f.store().MarkDeleted(IdsOf(*lease_over)).ok());
  // Repeated acknowledgements are harmless.
  REQUIRE(f.store().MarkDeleted(IdsOf(*lease_over)).ok());
  REQUIRE(f.store().RetryLater(IdsOf(*lease_over), t0).ok());
  CHECK(f.store().TakeDueDeletes("vs1", t0 + absl::Hours(10), 10)->empty());
}

TEST_CASE("a volume's deletes can all be made due at once",
          "[master][cluster]") {
  StoreFixture f;
  REQUIRE(f.Put("photos", "a", 1).ok());
  REQUIRE(f.Put("photos", "b", 1).ok());
  REQUIRE(f.store().DeleteObject("photos", "a").ok());
  REQUIRE(f.store().DeleteObject("photos", "b").ok());
  const absl::Time t0 = f.clock().Now();
  auto taken = f.store().TakeDueDeletes("vs1", t0, 1);  // leased
  REQUIRE(taken->size() == 1);
  auto failed = f.store().TakeDueDeletes("vs1", t0, 1);
  REQUIRE(failed->size() == 1);
  REQUIRE(f.store().RetryLater(IdsOf(*failed), t0).ok());  // backing off
  CHECK(f.store().TakeDueDeletes("vs1", t0, 10)->empty());

  REQUIRE(f.store().DeletesDueNow(2, t0).ok());  // another volume's
  CHECK(f.store().TakeDueDeletes("vs1", t0, 10)->empty());
  REQUIRE(f.store().DeletesDueNow(1, t0).ok());
  auto due = f.store().TakeDueDeletes("vs1", t0, 10);
  REQUIRE(due.ok());
  CHECK(IdsOf(*due) ==
        std::vector<int64_t>{(*taken)[0].delete_id, (*failed)[0].delete_id});
}

TEST_CASE("deletes follow a volume to its new server", "[master][cluster]") {
  StoreFixture f;
  REQUIRE(f.Put("photos", "a", 1).ok());
  REQUIRE(f.store().DeleteObject("photos", "a").ok());
  REQUIRE(f.store().UpsertServer("vs2", "10.0.0.2:1", f.clock().Now()).ok());
  VolumeUsage moved;
  moved.volume_id = 1;
  moved.server_id = "vs2";
  REQUIRE(f.store().UpsertVolumes({moved}).ok());
  CHECK(f.store().TakeDueDeletes("vs1", f.clock().Now(), 10)->empty());
  CHECK(f.store().TakeDueDeletes("vs2", f.clock().Now(), 10)->size() == 1);
}

TEST_CASE("the retry delay doubles up to an hour", "[master][cluster]") {
  CHECK(MetadataStore::DeleteRetryDelay(0) == absl::ZeroDuration());
  CHECK(MetadataStore::DeleteRetryDelay(1) == absl::Seconds(1));
  CHECK(MetadataStore::DeleteRetryDelay(2) == absl::Seconds(2));
  CHECK(MetadataStore::DeleteRetryDelay(5) == absl::Seconds(16));
  CHECK(MetadataStore::DeleteRetryDelay(12) == absl::Seconds(2048));
  CHECK(MetadataStore::DeleteRetryDelay(13) == absl::Hours(1));
  CHECK(MetadataStore::DeleteRetryDelay(1000000) == absl::Hours(1));
}

TEST_CASE("the latest compaction of each volume is kept across a reopen",
          "[master][cluster]") {
  StoreFixture f;
  CHECK(f.store().ListCompactions()->empty());
  const absl::Time t0 = absl::FromUnixMillis(1700000000000);
  CompactionRecord running;
  running.started = t0;
  running.failures_in_a_row = 2;
  REQUIRE(f.store().PutCompaction(3, running).ok());
  CompactionRecord failed;
  failed.state = CompactionRecord::State::kFailed;
  failed.started = t0;
  failed.finished = t0 + absl::Seconds(2);
  failed.error = "RESOURCE_EXHAUSTED: volume 7: no room";
  failed.failures_in_a_row = 1;
  REQUIRE(f.store().PutCompaction(7, failed).ok());
  // A later one replaces the earlier.
  CompactionRecord succeeded;
  succeeded.state = CompactionRecord::State::kSucceeded;
  succeeded.started = t0 + absl::Seconds(10);
  succeeded.finished = t0 + absl::Seconds(12);
  succeeded.bytes_reclaimed = uint64_t{5} << 40;
  REQUIRE(f.store().PutCompaction(7, succeeded).ok());

  f.Reopen();
  auto compactions = f.store().ListCompactions();
  REQUIRE(compactions.ok());
  REQUIRE(compactions->size() == 2);
  const CompactionRecord& three = compactions->at(3);
  CHECK(three.state == CompactionRecord::State::kRunning);
  CHECK(three.started == t0);
  CHECK(three.finished == absl::InfinitePast());
  CHECK(three.failures_in_a_row == 2);
  const CompactionRecord& seven = compactions->at(7);
  CHECK(seven.state == CompactionRecord::State::kSucceeded);
  CHECK(seven.started == t0 + absl::Seconds(10));
  CHECK(seven.finished == t0 + absl::Seconds(12));
  CHECK(seven.bytes_reclaimed == uint64_t{5} << 40);
  CHECK(seven.error.empty());
  CHECK(seven.failures_in_a_row == 0);
}

TEST_CASE("a compaction record this master cannot read is reported",
          "[master][cluster]") {
  StoreFixture f;
  CompactionRecord running;
  running.started = absl::FromUnixMillis(1700000000000);
  REQUIRE(f.store().PutCompaction(3, running).ok());
  {
    auto db = Database::Open(f.path(), Database::Options());
    REQUIRE(db.ok());
    REQUIRE((*db)
                ->Execute("UPDATE volume_compactions SET state = 'paused' "
                          "WHERE volume_id = 3")
                .ok());
  }
  auto compactions = f.store().ListCompactions();
  REQUIRE(compactions.status().code() == absl::StatusCode::kDataLoss);
  CHECK_THAT(std::string(compactions.status().message()),
             Catch::StartsWith("volume 3: ") && Catch::Contains("paused"));
}

TEST_CASE("the latest verification of each volume is kept across a reopen",
          "[master][cluster]") {
  StoreFixture f;
  CHECK(f.store().ListVerifications()->empty());
  const absl::Time t0 = absl::FromUnixMillis(1700000000000);
  VerificationRecord intact;
  intact.started = t0;
  intact.finished = t0 + absl::Seconds(30);
  intact.needles_checked = 12;
  intact.bytes_checked = uint64_t{30} << 30;
  REQUIRE(f.store().PutVerification(4, intact).ok());
  VerificationRecord earlier = intact;
  REQUIRE(f.store().PutVerification(9, earlier).ok());
  // A later one replaces the earlier.
  VerificationRecord corrupt;
  corrupt.started = t0 + absl::Hours(1);
  corrupt.finished = t0 + absl::Hours(2);
  corrupt.needles_checked = 5;
  corrupt.bytes_checked = 4096;
  corrupt.corrupt_count = 2;
  REQUIRE(f.store().PutVerification(9, corrupt).ok());

  f.Reopen();
  auto verifications = f.store().ListVerifications();
  REQUIRE(verifications.ok());
  REQUIRE(verifications->size() == 2);
  const VerificationRecord& four = verifications->at(4);
  CHECK(four.started == t0);
  CHECK(four.finished == t0 + absl::Seconds(30));
  CHECK(four.needles_checked == 12);
  CHECK(four.bytes_checked == uint64_t{30} << 30);
  CHECK(four.corrupt_count == 0);
  const VerificationRecord& nine = verifications->at(9);
  CHECK(nine.started == t0 + absl::Hours(1));
  CHECK(nine.finished == t0 + absl::Hours(2));
  CHECK(nine.needles_checked == 5);
  CHECK(nine.bytes_checked == 4096);
  CHECK(nine.corrupt_count == 2);
}

TEST_CASE("access keys are stored, listed and revoked", "[master][cluster]") {
  StoreFixture f;
  AccessKey key;
  key.access_key_id = "AKTEST1";
  key.sealed_secret = std::string("\0sealed\xff", 8);
  key.role = AccessRole::kReadWrite;
  key.allowed_buckets = {"photos", "videos"};
  REQUIRE(f.store().InsertAccessKey(key).ok());
  CHECK(f.store().InsertAccessKey(key).code() ==
        absl::StatusCode::kAlreadyExists);

  AccessKey admin;
  admin.access_key_id = "AKADMIN";
  admin.sealed_secret = "s";
  admin.role = AccessRole::kAdmin;
  admin.allowed_buckets = {"*"};
  REQUIRE(f.store().InsertAccessKey(admin).ok());

  auto read = f.store().GetAccessKey("AKTEST1");
  REQUIRE(read.ok());
  CHECK(read->sealed_secret == key.sealed_secret);
  CHECK(read->role == AccessRole::kReadWrite);
  CHECK(read->allowed_buckets == key.allowed_buckets);
  CHECK(read->created == f.clock().Now());
  CHECK_FALSE(read->revoked.has_value());

  auto all = f.store().ListAccessKeys();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].access_key_id == "AKADMIN");
  CHECK((*all)[0].allowed_buckets == std::vector<std::string>{"*"});

  CHECK((*all)[0].description.empty());

  f.clock().Advance(absl::Seconds(10));
  const absl::Time revoked_at = f.clock().Now();
  REQUIRE(f.store().RevokeAccessKey("AKTEST1").ok());
  f.clock().Advance(absl::Seconds(10));
  REQUIRE(f.store().RevokeAccessKey("AKTEST1").ok());
  CHECK(f.store().GetAccessKey("AKTEST1")->revoked == revoked_at);
  CHECK(f.store().RevokeAccessKey("nope").code() ==
        absl::StatusCode::kNotFound);
  CHECK(f.store().GetAccessKey("nope").status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("malformed access keys are refused", "[master][cluster]") {
  StoreFixture f;
  AccessKey key;
  key.access_key_id = "AK";
  key.sealed_secret = "s";
  key.allowed_buckets = {"Bad_Bucket"};
  CHECK(f.store().InsertAccessKey(key).code() ==
        absl::StatusCode::kInvalidArgument);
  key.allowed_buckets = {"*", "photos"};
  CHECK(f.store().InsertAccessKey(key).code() ==
        absl::StatusCode::kInvalidArgument);
  key.allowed_buckets = {};
  key.sealed_secret = "";
  CHECK(f.store().InsertAccessKey(key).code() ==
        absl::StatusCode::kInvalidArgument);
  key.sealed_secret = "s";
  key.access_key_id = "has space";
  CHECK(f.store().InsertAccessKey(key).code() ==
        absl::StatusCode::kInvalidArgument);
  key.access_key_id = "AK";
  key.description = std::string(kMaxAccessKeyDescriptionBytes + 1, 'd');
  CHECK(f.store().InsertAccessKey(key).code() ==
        absl::StatusCode::kInvalidArgument);
  key.description = "bad \xff utf-8";
  CHECK(f.store().InsertAccessKey(key).code() ==
        absl::StatusCode::kInvalidArgument);
  key.description = std::string(kMaxAccessKeyDescriptionBytes, 'd');
  REQUIRE(f.store().InsertAccessKey(key).ok());
  CHECK(f.store().GetAccessKey("AK")->allowed_buckets.empty());
  CHECK(f.store().GetAccessKey("AK")->description == key.description);
}

TEST_CASE("the last admin key cannot be revoked", "[master][cluster]") {
  StoreFixture f;
  AccessKey admin;
  admin.access_key_id = "AKADMIN1";
  admin.sealed_secret = "s";
  admin.role = AccessRole::kAdmin;
  admin.description = "first operator";
  REQUIRE(f.store().InsertAccessKey(admin).ok());
  AccessKey writer = admin;
  writer.access_key_id = "AKWRITER";
  writer.role = AccessRole::kReadWrite;
  REQUIRE(f.store().InsertAccessKey(writer).ok());

  absl::Status last = f.store().RevokeAccessKey("AKADMIN1");
  CHECK(last.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(last.message()),
             Catch::Contains("AKADMIN1") && Catch::Contains("last admin"));
  CHECK_FALSE(f.store().GetAccessKey("AKADMIN1")->revoked.has_value());

  // With a second admin key either may go, but not both.
  admin.access_key_id = "AKADMIN2";
  REQUIRE(f.store().InsertAccessKey(admin).ok());
  REQUIRE(f.store().RevokeAccessKey("AKADMIN1").ok());
  CHECK(f.store().RevokeAccessKey("AKADMIN2").code() ==
        absl::StatusCode::kFailedPrecondition);
  // Revoking a revoked admin key again is still fine.
  CHECK(f.store().RevokeAccessKey("AKADMIN1").ok());
  CHECK(f.store().RevokeAccessKey("AKWRITER").ok());
}

TEST_CASE("a volume's move, and the copies it leaves, outlast a reopen",
          "[master][cluster]") {
  StoreFixture f;
  REQUIRE(f.store().UpsertServer("vs2", "10.0.0.2:8080", absl::Now()).ok());
  auto volume = f.store().CreateVolumeRecord("vs1");
  REQUIRE(volume.ok());
  const uint32_t id = volume->volume_id;
  VolumeMoveRecord move{id, "vs1", "vs2", true, absl::FromUnixSeconds(100)};
  REQUIRE(f.store().PutVolumeMove(move).ok());
  // Before the copy is served on vs2, it is stale; the switch makes it the
  // volume's and vs1's copy stale, in one transaction.
  REQUIRE(f.store().AddStaleCopy(id, "vs2").ok());
  REQUIRE(f.store().MoveVolume(id, "vs1", "vs2").ok());
  CHECK(f.store().MoveVolume(999, "vs1", "vs2").code() ==
        absl::StatusCode::kNotFound);
  CHECK(f.store().MoveVolume(id, "vs2", "nope").code() ==
        absl::StatusCode::kNotFound);

  f.Reopen();
  CHECK(f.store().GetVolume(id)->server_id == "vs2");
  auto stale = f.store().ListStaleCopies();
  REQUIRE(stale.ok());
  CHECK(*stale == std::set<std::pair<uint32_t, std::string>>{{id, "vs1"}});
  auto moves = f.store().ListVolumeMoves();
  REQUIRE(moves.ok());
  REQUIRE(moves->size() == 1);
  CHECK((*moves)[0].from_server == "vs1");
  CHECK((*moves)[0].to_server == "vs2");
  CHECK((*moves)[0].writable_after);
  CHECK((*moves)[0].started == absl::FromUnixSeconds(100));

  REQUIRE(f.store().RemoveStaleCopy(id, "vs1").ok());
  REQUIRE(f.store().RemoveVolumeMove(id).ok());
  REQUIRE(f.store().RemoveVolumeMove(id).ok());  // absent: ignored
  CHECK(f.store().ListStaleCopies()->empty());
  CHECK(f.store().ListVolumeMoves()->empty());
}

}  // namespace
}  // namespace warehouse::master
