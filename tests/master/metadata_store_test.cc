#include "master/metadata_store.h"

#include <filesystem>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "tests/master/store_test_util.h"

namespace warehouse::master {
namespace {

using testing::StoreFixture;

BeginUploadRequest UploadOf(StoreFixture& f, const std::string& key,
                            int64_t size, uint32_t volume_id = 1) {
  BeginUploadRequest request;
  request.bucket = "photos";
  request.key = key;
  request.size = size;
  request.content_type = "image/jpeg";
  request.volume_id = volume_id;
  request.cookie = 0xc00c1e;
  request.expires = f.clock().Now() + absl::Minutes(10);
  return request;
}

CommitUploadRequest ReportOf(const Upload& upload, const std::string& etag) {
  CommitUploadRequest report;
  report.upload_id = upload.upload_id;
  report.needle = upload.needle;
  report.size = upload.size;
  report.etag = etag;
  return report;
}

// Waits, for at most 10 s, until every begun upload's row is written.
bool WaitForRowsWritten(StoreFixture& f) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (f.store().unwritten_uploads() > 0) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

std::vector<NeedleDelete> DueDeletes(StoreFixture& f) {
  auto deletes = f.store().TakeDueDeletes("vs1", f.clock().Now(), 100);
  REQUIRE(deletes.ok());
  return *deletes;
}

TEST_CASE("buckets are created, listed with counters and deleted",
          "[master][store]") {
  StoreFixture f;
  REQUIRE(f.store().CreateBucket("videos").ok());
  absl::Status again = f.store().CreateBucket("videos");
  CHECK(again.code() == absl::StatusCode::kAlreadyExists);
  CHECK_THAT(std::string(again.message()), Catch::Contains("videos"));

  REQUIRE(f.Put("photos", "a.jpg", 100).ok());
  REQUIRE(f.Put("photos", "b.jpg", 50).ok());
  auto buckets = f.store().ListBuckets();
  REQUIRE(buckets.ok());
  REQUIRE(buckets->size() == 2);
  CHECK((*buckets)[0].name == "photos");
  CHECK((*buckets)[0].object_count == 2);
  CHECK((*buckets)[0].total_bytes == 150);
  CHECK((*buckets)[0].created == f.clock().Now());
  CHECK((*buckets)[1].name == "videos");
  CHECK((*buckets)[1].object_count == 0);

  REQUIRE(f.store().DeleteBucket("videos").ok());
  CHECK(f.store().GetBucket("videos").status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(f.store().DeleteBucket("videos").code() == absl::StatusCode::kNotFound);
}

TEST_CASE("bucket names that break the rules are refused saying why",
          "[master][store]") {
  StoreFixture f;
  absl::Status status = f.store().CreateBucket("Bad_Name");
  REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(status.message()), Catch::Contains("'B'"));
  CHECK(f.store().CreateBucket("10.1.2.3").code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(f.store().ListBuckets()->size() == 1);
}

TEST_CASE("a bucket is not deleted while it holds objects", "[master][store]") {
  StoreFixture f;
  REQUIRE(f.Put("photos", "a", 1).ok());
  REQUIRE(f.Put("photos", "b", 1).ok());
  absl::Status status = f.store().DeleteBucket("photos");
  REQUIRE(status.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(status.message() == "bucket photos is not empty (2 objects)");
  REQUIRE(f.store().DeleteObject("photos", "a").ok());
  REQUIRE(f.store().DeleteObject("photos", "b").ok());
  CHECK(f.store().DeleteBucket("photos").ok());
}

TEST_CASE("deleting a bucket cancels its unfinished uploads",
          "[master][store]") {
  StoreFixture f;
  auto upload = f.store().BeginUpload(UploadOf(f, "pending", 10));
  REQUIRE(upload.ok());
  REQUIRE(f.store().DeleteBucket("photos").ok());
  auto deletes = DueDeletes(f);
  REQUIRE(deletes.size() == 1);
  CHECK(deletes[0].needle == upload->needle);
  CHECK(deletes[0].reason == "bucket deleted");
  CHECK(f.store().CommitUpload(ReportOf(*upload, "e")).status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("keys of 1024 bytes are stored and 1025 refused", "[master][store]") {
  StoreFixture f;
  const std::string longest(1024, 'k');
  REQUIRE(f.Put("photos", longest, 1).ok());
  CHECK(f.store().GetObject("photos", longest).ok());
  auto too_long = f.store().BeginUpload(UploadOf(f, longest + "k", 1));
  CHECK(too_long.status().code() == absl::StatusCode::kInvalidArgument);
  auto invalid = f.store().BeginUpload(UploadOf(f, "bad\xc3(", 1));
  CHECK(invalid.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(invalid.status().message()), Catch::Contains("UTF-8"));
  auto nul = f.store().BeginUpload(UploadOf(f, std::string("a\0b", 3), 1));
  CHECK(nul.status().code() == absl::StatusCode::kInvalidArgument);
  // Stored as given: no path normalization.
  REQUIRE(f.Put("photos", "../x", 1).ok());
  REQUIRE(f.Put("photos", "x", 2).ok());
  CHECK(f.store().GetObject("photos", "../x")->size == 1);
  CHECK(f.store().GetObject("photos", "x")->size == 2);
}

TEST_CASE("an upload begins with the next needle id of its volume",
          "[master][store]") {
  StoreFixture f;
  auto v2 = f.store().CreateVolumeRecord("vs1");
  REQUIRE(v2.ok());
  CHECK(v2->next_needle_id == 1);
  std::vector<uint64_t> ids;
  for (int i = 0; i < 3; ++i) {
    auto upload =
        f.store().BeginUpload(UploadOf(f, "k" + std::to_string(i), 5));
    REQUIRE(upload.ok());
    CHECK(upload->needle.volume_id == 1);
    CHECK(upload->needle.cookie == 0xc00c1e);
    ids.push_back(upload->needle.needle_id);
  }
  CHECK(ids == std::vector<uint64_t>{1, 2, 3});
  auto other = f.store().BeginUpload(UploadOf(f, "k", 5, v2->volume_id));
  REQUIRE(other.ok());
  CHECK(other->needle.needle_id == 1);
  // The volume's bound moved past the range reserved for these ids.
  CHECK(f.store().GetVolume(1)->next_needle_id ==
        1 + NeedleIdRanges::kReservation);
}

TEST_CASE("an upload's number is its needle id", "[master][store]") {
  StoreFixture f;
  auto upload = f.store().BeginUpload(UploadOf(f, "k", 5));
  REQUIRE(upload.ok());
  CHECK(static_cast<uint64_t>(upload->upload_id) == upload->needle.needle_id);
  // A report whose number names another upload is refused.
  CommitUploadRequest report = ReportOf(*upload, "e");
  report.upload_id += 1;
  CHECK(absl::IsNotFound(f.store().CommitUpload(report).status()));
  CHECK(f.store().CommitUpload(ReportOf(*upload, "e")).ok());
}

TEST_CASE(
    "an upload is refused on a missing bucket, a missing or read-only "
    "volume, or a past expiry",
    "[master][store]") {
  StoreFixture f;
  BeginUploadRequest no_bucket = UploadOf(f, "k", 1);
  no_bucket.bucket = "nope";
  CHECK(f.store().BeginUpload(no_bucket).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(f.store().BeginUpload(UploadOf(f, "k", 1, 99)).status().code() ==
        absl::StatusCode::kNotFound);
  BeginUploadRequest expired = UploadOf(f, "k", 1);
  expired.expires = f.clock().Now();
  CHECK(f.store().BeginUpload(expired).status().code() ==
        absl::StatusCode::kInvalidArgument);
  BeginUploadRequest negative = UploadOf(f, "k", -1);
  CHECK(f.store().BeginUpload(negative).status().code() ==
        absl::StatusCode::kInvalidArgument);

  VolumeUsage usage;
  usage.volume_id = 1;
  usage.server_id = "vs1";
  usage.read_only = true;
  REQUIRE(f.store().UpsertVolumes({usage}).ok());
  auto read_only = f.store().BeginUpload(UploadOf(f, "k", 1));
  CHECK(read_only.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(read_only.status().message()),
             Catch::Contains("volume 1 is read-only"));
}

TEST_CASE("a committed upload becomes the object at its key",
          "[master][store]") {
  StoreFixture f;
  auto upload = f.store().BeginUpload(UploadOf(f, "cat.jpg", 1234));
  REQUIRE(upload.ok());
  CHECK(f.store().GetObject("photos", "cat.jpg").status().code() ==
        absl::StatusCode::kNotFound);
  f.clock().Advance(absl::Seconds(3));
  auto object = f.store().CommitUpload(ReportOf(*upload, "\"abc123\""));
  REQUIRE(object.ok());
  auto read = f.store().GetObject("photos", "cat.jpg");
  REQUIRE(read.ok());
  CHECK(read->bucket == "photos");
  CHECK(read->key == "cat.jpg");
  CHECK(read->size == 1234);
  CHECK(read->etag == "\"abc123\"");
  CHECK(read->content_type == "image/jpeg");
  CHECK(read->needle == upload->needle);
  CHECK(read->created == f.clock().Now());
  CHECK(read->updated == f.clock().Now());
  CHECK(read->state == ObjectState::kLive);
  CHECK(object->needle == read->needle);
  CHECK(DueDeletes(f).empty());
}

TEST_CASE("reports committed together share one transaction and fail alone",
          "[master][store]") {
  StoreFixture f;
  std::vector<Upload> uploads;
  for (const char* key : {"a", "b", "c", "d"}) {
    auto upload = f.store().BeginUpload(UploadOf(f, key, 100));
    REQUIRE(upload.ok());
    uploads.push_back(*upload);
  }
  std::vector<CommitUploadRequest> reports = {
      ReportOf(uploads[0], "e0"), ReportOf(uploads[1], "bad etag"),
      ReportOf(uploads[2], "e2"), ReportOf(uploads[3], "e3")};
  reports[2].size = 99;  // not what was declared
  const WriteBatcher::Stats before = f.store().write_stats();
  std::vector<absl::StatusOr<ObjectRecord>> results =
      f.store().CommitUploads(reports);
  const WriteBatcher::Stats after = f.store().write_stats();

  REQUIRE(results.size() == 4);
  REQUIRE(results[0].ok());
  CHECK(results[0]->key == "a");
  CHECK(results[0]->etag == "e0");
  CHECK(results[1].status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(results[2].status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(results[3].ok());
  CHECK(results[3]->key == "d");
  CHECK(after.transactions - before.transactions == 1);
  CHECK(after.committed_writes - before.committed_writes == 2);

  CHECK(f.store().GetObject("photos", "a").ok());
  CHECK(f.store().GetObject("photos", "b").status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(f.store().GetObject("photos", "c").status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(f.store().GetObject("photos", "d")->etag == "e3");
  auto bucket = f.store().GetBucket("photos");
  CHECK(bucket->object_count == 2);
  CHECK(bucket->total_bytes == 200);
  // The refused uploads are still pending: a corrected report commits.
  reports[2].size = 100;
  CHECK(f.store().CommitUpload(reports[2]).ok());
  CHECK(f.store().CommitUploads({}).empty());
}

TEST_CASE("reporting the same upload twice is idempotent", "[master][store]") {
  StoreFixture f;
  auto upload = f.store().BeginUpload(UploadOf(f, "k", 10));
  REQUIRE(upload.ok());
  auto first = f.store().CommitUpload(ReportOf(*upload, "e1"));
  REQUIRE(first.ok());
  auto second = f.store().CommitUpload(ReportOf(*upload, "e1"));
  REQUIRE(second.ok());
  CHECK(second->needle == first->needle);
  CHECK(second->etag == "e1");
  auto bucket = f.store().GetBucket("photos");
  CHECK(bucket->object_count == 1);
  CHECK(bucket->total_bytes == 10);
  CHECK(DueDeletes(f).empty());
  // A repeat that disagrees with what committed is refused.
  CHECK(f.store().CommitUpload(ReportOf(*upload, "e2")).status().code() ==
        absl::StatusCode::kInvalidArgument);
  // Once the object is deleted, a late repeat finds nothing to answer with.
  REQUIRE(f.store().DeleteObject("photos", "k").ok());
  CHECK(f.store().CommitUpload(ReportOf(*upload, "e1")).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(f.store().GetBucket("photos")->object_count == 0);
}

TEST_CASE(
    "a report that does not match the upload is refused and changes "
    "nothing",
    "[master][store]") {
  StoreFixture f;
  auto upload = f.store().BeginUpload(UploadOf(f, "k", 10));
  REQUIRE(upload.ok());

  CommitUploadRequest wrong_needle = ReportOf(*upload, "e");
  wrong_needle.needle.needle_id += 1;
  auto refused = f.store().CommitUpload(wrong_needle);
  REQUIRE(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(refused.status().message()),
             Catch::Contains("upload " + std::to_string(upload->upload_id)));

  CommitUploadRequest wrong_cookie = ReportOf(*upload, "e");
  wrong_cookie.needle.cookie ^= 1;
  CHECK(f.store().CommitUpload(wrong_cookie).status().code() ==
        absl::StatusCode::kInvalidArgument);

  CommitUploadRequest wrong_size = ReportOf(*upload, "e");
  wrong_size.size = 11;
  auto size_refused = f.store().CommitUpload(wrong_size);
  REQUIRE(size_refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(size_refused.status().message()),
             Catch::Contains("size 11"));

  CommitUploadRequest wrong_type = ReportOf(*upload, "e");
  wrong_type.content_type = "image/png";
  auto type_refused = f.store().CommitUpload(wrong_type);
  REQUIRE(type_refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(type_refused.status().message()),
             Catch::Contains("image/png") && Catch::Contains("image/jpeg"));

  CommitUploadRequest unknown = ReportOf(*upload, "e");
  unknown.upload_id += 1000;
  CHECK(f.store().CommitUpload(unknown).status().code() ==
        absl::StatusCode::kNotFound);

  CHECK(f.store().GetObject("photos", "k").status().code() ==
        absl::StatusCode::kNotFound);
  // The upload itself is still pending and can commit correctly, and a
  // repeated report must agree with what was committed.
  CommitUploadRequest right_type = ReportOf(*upload, "e");
  right_type.content_type = "image/jpeg";
  CHECK(f.store().CommitUpload(right_type).ok());
  CHECK(f.store().CommitUpload(right_type).ok());
  CHECK(f.store().CommitUpload(wrong_type).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("overwriting an object queues the old needle for deletion",
          "[master][store]") {
  StoreFixture f;
  auto first = f.Put("photos", "k", 100);
  REQUIRE(first.ok());
  const absl::Time created = f.clock().Now();
  f.clock().Advance(absl::Seconds(5));
  auto second = f.Put("photos", "k", 30);
  REQUIRE(second.ok());
  CHECK(second->needle != first->needle);

  auto read = f.store().GetObject("photos", "k");
  REQUIRE(read.ok());
  CHECK(read->size == 30);
  CHECK(read->needle == second->needle);
  CHECK(read->created == created);
  CHECK(read->updated == f.clock().Now());
  auto bucket = f.store().GetBucket("photos");
  CHECK(bucket->object_count == 1);
  CHECK(bucket->total_bytes == 30);

  auto deletes = DueDeletes(f);
  REQUIRE(deletes.size() == 1);
  CHECK(deletes[0].needle == first->needle);
  CHECK(deletes[0].reason == "overwritten");
  CHECK(deletes[0].attempts == 0);
}

TEST_CASE("deleting an object queues its needle and updates the counters",
          "[master][store]") {
  StoreFixture f;
  auto object = f.Put("photos", "k", 100);
  REQUIRE(object.ok());
  REQUIRE(f.Put("photos", "other", 7).ok());
  REQUIRE(f.store().DeleteObject("photos", "k").ok());
  CHECK(f.store().GetObject("photos", "k").status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(f.store().DeleteObject("photos", "k").code() ==
        absl::StatusCode::kNotFound);
  CHECK(f.store().DeleteObject("nope", "k").code() ==
        absl::StatusCode::kNotFound);
  auto bucket = f.store().GetBucket("photos");
  CHECK(bucket->object_count == 1);
  CHECK(bucket->total_bytes == 7);
  auto deletes = DueDeletes(f);
  REQUIRE(deletes.size() == 1);
  CHECK(deletes[0].needle == object->needle);
  CHECK(deletes[0].reason == "deleted");
}

TEST_CASE("a missing bucket and a missing key are told apart",
          "[master][store]") {
  StoreFixture f;
  auto no_bucket = f.store().GetObject("nope", "k");
  CHECK(no_bucket.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(no_bucket.status().message()),
             Catch::Contains("bucket nope does not exist"));
  auto no_key = f.store().GetObject("photos", "k");
  CHECK(no_key.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(no_key.status().message()),
             Catch::Contains("object photos/k does not exist"));
}

TEST_CASE("expired uploads are removed and their needles reclaimed",
          "[master][store]") {
  StoreFixture f;
  BeginUploadRequest short_lived = UploadOf(f, "a", 1);
  short_lived.expires = f.clock().Now() + absl::Minutes(1);
  BeginUploadRequest long_lived = UploadOf(f, "b", 1);
  long_lived.expires = f.clock().Now() + absl::Hours(1);
  auto a = f.store().BeginUpload(short_lived);
  auto b = f.store().BeginUpload(long_lived);
  REQUIRE(a.ok());
  REQUIRE(b.ok());

  f.clock().Advance(absl::Minutes(2));
  // Past its expiry an upload cannot commit, swept or not.
  CHECK(f.store().CommitUpload(ReportOf(*a, "e")).status().code() ==
        absl::StatusCode::kNotFound);
  auto expired = f.store().ExpireUploads(f.clock().Now());
  REQUIRE(expired.ok());
  CHECK(*expired == 1);
  auto deletes = DueDeletes(f);
  REQUIRE(deletes.size() == 1);
  CHECK(deletes[0].needle == a->needle);
  CHECK(deletes[0].reason == "expired");
  CHECK(*f.store().ExpireUploads(f.clock().Now()) == 0);
  // The other upload is untouched and still commits.
  CHECK(f.store().CommitUpload(ReportOf(*b, "e")).ok());
  CHECK(f.store().GetObject("photos", "b").ok());
}

TEST_CASE("objects on a lost volume are marked lost", "[master][store]") {
  StoreFixture f;
  auto v2 = f.store().CreateVolumeRecord("vs1");
  REQUIRE(v2.ok());
  REQUIRE(f.Put("photos", "on-1", 1, 1).ok());
  REQUIRE(f.Put("photos", "on-2", 1, v2->volume_id).ok());
  auto changed = f.store().MarkVolumeLost(1);
  REQUIRE(changed.ok());
  CHECK(*changed == 1);
  CHECK(f.store().GetObject("photos", "on-1")->state == ObjectState::kLost);
  CHECK(f.store().GetObject("photos", "on-2")->state == ObjectState::kLive);
  CHECK(*f.store().MarkVolumeLost(1) == 0);
}

TEST_CASE("a store reopened on the same file finds everything",
          "[master][store]") {
  StoreFixture f;
  REQUIRE(f.Put("photos", "k", 9).ok());
  f.Reopen();
  CHECK(f.store().GetObject("photos", "k")->size == 9);
  CHECK(f.store().GetBucket("photos")->object_count == 1);
  auto next = f.store().BeginUpload(UploadOf(f, "k2", 1));
  REQUIRE(next.ok());
  // Needle 1 was the last handed out; the reopened store reserves a new
  // range and never hands out the rest of the one reserved before.
  CHECK(next->needle.needle_id == 1 + NeedleIdRanges::kReservation);
}

TEST_CASE(
    "uploads begun since the last sync may be lost, their ids never "
    "reused",
    "[master][store]") {
  namespace fs = std::filesystem;
  StoreFixture f(absl::ZeroDuration());
  REQUIRE(f.Put("photos", "synced", 1).ok());
  // Power loss keeps what the last fsync of the WAL covered: the files as
  // they are now, after a synced commit and with no write in progress.
  const std::string snapshot = f.path() + ".at-last-sync";
  std::error_code ec;
  fs::copy_file(f.path(), snapshot, ec);
  REQUIRE(!ec);
  fs::copy_file(f.path() + "-wal", snapshot + "-wal", ec);
  REQUIRE(!ec);
  std::vector<Upload> lost;
  for (int i = 0; i < 3; ++i) {
    auto upload = f.store().BeginUpload(UploadOf(f, "lost", 1));
    REQUIRE(upload.ok());
    lost.push_back(*upload);
  }
  // Their rows are written, unsynced, once they fall due.
  REQUIRE(WaitForRowsWritten(f));
  CHECK(f.store().write_stats().unsynced_transactions >= 1);

  f.Close();
  fs::remove(f.path() + "-shm", ec);
  fs::copy_file(snapshot, f.path(), fs::copy_options::overwrite_existing, ec);
  REQUIRE(!ec);
  fs::copy_file(snapshot + "-wal", f.path() + "-wal",
                fs::copy_options::overwrite_existing, ec);
  REQUIRE(!ec);
  f.Reopen();

  // The lost uploads cannot commit, and no new upload gets their needles.
  for (const Upload& upload : lost) {
    CHECK(f.store().CommitUpload(ReportOf(upload, "e")).status().code() ==
          absl::StatusCode::kNotFound);
  }
  auto next = f.store().BeginUpload(UploadOf(f, "after", 1));
  REQUIRE(next.ok());
  for (const Upload& upload : lost) {
    CHECK(next->needle.needle_id > upload.needle.needle_id);
  }
  CHECK(f.store().CommitUpload(ReportOf(*next, "e")).ok());
  CHECK(f.store().GetObject("photos", "synced")->size == 1);
}

TEST_CASE("uploads begun without a sync survive a reopen", "[master][store]") {
  StoreFixture f;
  auto upload = f.store().BeginUpload(UploadOf(f, "k", 4));
  REQUIRE(upload.ok());
  f.Reopen();
  auto committed = f.store().CommitUpload(ReportOf(*upload, "e"));
  REQUIRE(committed.ok());
  CHECK(committed->size == 4);
}

// ---- Pending rows kept in memory until they fall due (UnwrittenUploads) ----

TEST_CASE("an upload committed before its row falls due writes no row",
          "[master][store]") {
  StoreFixture f(absl::Hours(1));
  // The volume's first upload reserves its needle ids (a write).
  REQUIRE(f.Put("photos", "first", 1).ok());
  const WriteBatcher::Stats before = f.store().write_stats();
  auto upload = f.store().BeginUpload(UploadOf(f, "quick", 3));
  REQUIRE(upload.ok());
  CHECK(f.store().unwritten_uploads() == 1);
  CHECK(f.store().write_stats().committed_writes == before.committed_writes);
  auto committed = f.store().CommitUpload(ReportOf(*upload, "e"));
  REQUIRE(committed.ok());
  CHECK(committed->key == "quick");
  CHECK(committed->size == 3);
  CHECK(committed->content_type == "image/jpeg");
  CHECK(f.store().unwritten_uploads() == 0);
  // One write in all: the object's.
  CHECK(f.store().write_stats().committed_writes ==
        before.committed_writes + 1);
  // A repeated report finds the object, as with a written row.
  CHECK(f.store().CommitUpload(ReportOf(*upload, "e")).ok());
  CHECK(f.store().GetBucket("photos")->object_count == 2);
}

TEST_CASE("a row still pending when it falls due is written and commits later",
          "[master][store]") {
  StoreFixture f(absl::Milliseconds(5));
  auto upload = f.store().BeginUpload(UploadOf(f, "slow", 7));
  REQUIRE(upload.ok());
  REQUIRE(WaitForRowsWritten(f));
  // Nothing left in memory: the snapshot reads the row from the database.
  auto snapshot = f.store().SnapshotVolume(1);
  REQUIRE(snapshot.ok());
  CHECK(snapshot->pending_needle_ids ==
        std::vector<uint64_t>{upload->needle.needle_id});
  auto committed = f.store().CommitUpload(ReportOf(*upload, "e"));
  REQUIRE(committed.ok());
  CHECK(committed->size == 7);
  CHECK(f.store().SnapshotVolume(1)->pending_needle_ids.empty());
}

TEST_CASE("closing the store writes the rows still in memory",
          "[master][store]") {
  StoreFixture f(absl::Hours(1));
  auto upload = f.store().BeginUpload(UploadOf(f, "across", 2));
  REQUIRE(upload.ok());
  f.Reopen();
  CHECK(f.store().unwritten_uploads() == 0);
  auto committed = f.store().CommitUpload(ReportOf(*upload, "e"));
  REQUIRE(committed.ok());
  CHECK(committed->key == "across");
}

TEST_CASE("begins are refused while too many rows wait to be written",
          "[master][store]") {
  StoreFixture f(absl::Hours(1), /*max_unwritten_uploads=*/2);
  auto a = f.store().BeginUpload(UploadOf(f, "a", 1));
  auto b = f.store().BeginUpload(UploadOf(f, "b", 1));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  auto refused = f.store().BeginUpload(UploadOf(f, "c", 1));
  CHECK(absl::IsUnavailable(refused.status()));
  CHECK_THAT(std::string(refused.status().message()),
             Catch::Contains("not keeping up"));
  // A commit makes room.
  REQUIRE(f.store().CommitUpload(ReportOf(*a, "e")).ok());
  auto c = f.store().BeginUpload(UploadOf(f, "c", 1));
  REQUIRE(c.ok());
  // The refused begin used no needle id.
  CHECK(c->needle.needle_id == b->needle.needle_id + 1);
}

TEST_CASE("a refused report leaves an unwritten upload pending",
          "[master][store]") {
  StoreFixture f(absl::Hours(1));
  auto upload = f.store().BeginUpload(UploadOf(f, "k", 10));
  REQUIRE(upload.ok());
  CommitUploadRequest wrong_size = ReportOf(*upload, "e");
  wrong_size.size = 11;
  CHECK(f.store().CommitUpload(wrong_size).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CommitUploadRequest wrong_cookie = ReportOf(*upload, "e");
  wrong_cookie.needle.cookie ^= 1;
  CHECK(f.store().CommitUpload(wrong_cookie).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(f.store().unwritten_uploads() == 1);
  CHECK(f.store().CommitUpload(ReportOf(*upload, "e")).ok());
}

TEST_CASE("unwritten uploads expire, are cancelled and are not orphans",
          "[master][store]") {
  StoreFixture f(absl::Hours(1));
  BeginUploadRequest short_lived = UploadOf(f, "short", 1);
  short_lived.expires = f.clock().Now() + absl::Minutes(1);
  auto expiring = f.store().BeginUpload(short_lived);
  auto kept = f.store().BeginUpload(UploadOf(f, "kept", 1));
  REQUIRE(expiring.ok());
  REQUIRE(kept.ok());

  // The consistency check sees both as pending, and repairs neither.
  auto snapshot = f.store().SnapshotVolume(1);
  REQUIRE(snapshot.ok());
  CHECK(snapshot->pending_needle_ids ==
        std::vector<uint64_t>{expiring->needle.needle_id,
                              kept->needle.needle_id});
  const std::vector<NeedleRef> both = {expiring->needle, kept->needle};
  CHECK(*f.store().QueueOrphans(both) == 0);

  f.clock().Advance(absl::Minutes(2));
  CHECK(f.store().CommitUpload(ReportOf(*expiring, "e")).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(*f.store().ExpireUploads(f.clock().Now()) == 1);
  auto deletes = DueDeletes(f);
  REQUIRE(deletes.size() == 1);
  CHECK(deletes[0].needle == expiring->needle);
  CHECK(deletes[0].reason == "expired");

  REQUIRE(f.store().DeleteBucket("photos").ok());
  deletes = DueDeletes(f);  // the expired one is leased out already
  REQUIRE(deletes.size() == 1);
  CHECK(deletes[0].needle == kept->needle);
  CHECK(deletes[0].reason == "bucket deleted");
  CHECK(f.store().unwritten_uploads() == 0);
  CHECK(f.store().CommitUpload(ReportOf(*kept, "e")).status().code() ==
        absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace warehouse::master
