// Objects end to end through the master, with a scripted volume server in
// place of a real one: upload, report, lookup with signed URLs, overwrite,
// delete, expiry, compaction.
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "common/signed_url.h"
#include "tests/master/master_test_util.h"

namespace warehouse::master::testing {
namespace {

constexpr char kServerAddress[] = "127.0.0.1:8081";

// The path and query of a URL the master signed for kServerAddress.
struct UrlParts {
  std::string path;
  std::string query;
};

UrlParts SplitUrl(const std::string& url) {
  const std::string prefix = absl::StrCat("http://", kServerAddress);
  REQUIRE(url.rfind(prefix, 0) == 0);
  const std::string rest = url.substr(prefix.size());
  const size_t question = rest.find('?');
  REQUIRE(question != std::string::npos);
  return UrlParts{rest.substr(0, question), rest.substr(question + 1)};
}

// A master with bucket "photos" and volume server vs1 holding volume 1.
class Cluster {
 public:
  explicit Cluster(
      const std::function<void(MasterServer::Options&)>& adjust = nullptr)
      : master_(adjust),
        vs_(master_.channel(), &master_.keys(), "vs1", kServerAddress) {
    v1::CreateBucketRequest request;
    request.set_bucket("photos");
    v1::CreateBucketResponse response;
    REQUIRE(
        MASTER_CALL(master_, CreateBucket, request, &response, &master_.admin())
            .ok());
    vs_.ConnectAndAwaitOnline(master_, {Volume(1)});
  }

  TestMaster& master() { return master_; }
  ScriptedVolumeServer& vs() { return vs_; }

  v1::BeginUploadResponse Begin(const std::string& key, uint64_t size,
                                const std::string& content_type = "",
                                uint32_t url_lifetime_seconds = 0) {
    v1::BeginUploadRequest request;
    request.set_bucket("photos");
    request.set_key(key);
    request.set_size_bytes(size);
    request.set_content_type(content_type);
    request.set_url_lifetime_seconds(url_lifetime_seconds);
    v1::BeginUploadResponse response;
    grpc::Status status =
        MASTER_CALL(master_, BeginUpload, request, &response, &master_.admin());
    INFO(status.error_message());
    REQUIRE(status.ok());
    return response;
  }

  // What a volume server reports for `upload` after storing `size` bytes.
  static v1::UploadReport ReportOf(const v1::BeginUploadResponse& upload,
                                   uint64_t size, uint32_t crc,
                                   const std::string& content_type) {
    v1::UploadReport report;
    report.set_upload_id(upload.upload_id());
    report.set_file_id(upload.file_id());
    report.set_size_bytes(size);
    report.set_crc32c(crc);
    report.set_content_type(content_type);
    return report;
  }

  absl::Status Report(const v1::UploadReport& report) {
    v1::ReportUploadsResponse response;
    grpc::Status status = master_.ReportUploads("vs1", {report}, &response);
    REQUIRE(status.ok());
    REQUIRE(response.results_size() == 1);
    CHECK(response.results(0).upload_id() == report.upload_id());
    return absl::Status(
        static_cast<absl::StatusCode>(response.results(0).status().code()),
        response.results(0).status().message());
  }

  // Uploads `key` and reports it; returns the upload.
  v1::BeginUploadResponse Put(const std::string& key, uint64_t size) {
    v1::BeginUploadResponse upload = Begin(key, size);
    REQUIRE(
        Report(ReportOf(upload, size, 0x1234abcd, "application/octet-stream"))
            .ok());
    return upload;
  }

  // Waits for a DeleteNeedles command and returns it.
  v1::MasterCommand NextDelete() {
    std::optional<v1::MasterCommand> command = vs_.NextCommand();
    REQUIRE(command.has_value());
    REQUIRE(command->has_delete_needles());
    return *command;
  }

 private:
  TestMaster master_;
  ScriptedVolumeServer vs_;
};

TEST_CASE("a reported upload becomes the object and its URLs verify",
          "[master][upload]") {
  Cluster c;
  TestMaster& m = c.master();
  const v1::BeginUploadResponse upload = c.Begin("cat.jpg", 1000, "image/jpeg");
  CHECK(upload.upload_id().size() == 32);
  CHECK(upload.file_id().rfind("1,", 0) == 0);
  CHECK(upload.expires_unix_seconds() > absl::ToUnixSeconds(absl::Now()));

  const UrlParts put = SplitUrl(upload.put_url());
  absl::StatusOr<UrlGrant> write =
      VerifySignedRequest("PUT", put.path, put.query, absl::Now(), m.keys());
  INFO(write.status().ToString());
  REQUIRE(write.ok());
  CHECK(write->access == UrlAccess::kWrite);
  CHECK(write->file_id.ToString() == upload.file_id());
  CHECK(write->content_length == 1000);
  CHECK(write->upload_id == upload.upload_id());
  CHECK(write->content_type == "image/jpeg");

  // Until the report, there is no object.
  v1::StatObjectRequest stat;
  stat.set_bucket("photos");
  stat.set_key("cat.jpg");
  v1::StatObjectResponse stat_response;
  CHECK(MASTER_CALL(m, StatObject, stat, &stat_response, &m.admin())
            .error_code() == grpc::StatusCode::NOT_FOUND);

  SECTION("a report that differs from what was signed is refused") {
    CHECK(c.Report(Cluster::ReportOf(upload, 999, 1, "image/jpeg")).code() ==
          absl::StatusCode::kInvalidArgument);
    CHECK(c.Report(Cluster::ReportOf(upload, 1000, 1, "image/png")).code() ==
          absl::StatusCode::kInvalidArgument);
    v1::UploadReport other_needle =
        Cluster::ReportOf(upload, 1000, 1, "image/jpeg");
    other_needle.set_file_id(
        "1,99" + upload.file_id().substr(upload.file_id().size() - 8));
    CHECK(c.Report(other_needle).code() == absl::StatusCode::kInvalidArgument);
    v1::UploadReport unknown = Cluster::ReportOf(upload, 1000, 1, "image/jpeg");
    unknown.set_upload_id(
        absl::StrCat("00000000000000ff", upload.upload_id().substr(16)));
    CHECK(c.Report(unknown).code() == absl::StatusCode::kNotFound);
    v1::UploadReport malformed = unknown;
    malformed.set_upload_id("upload-1");
    CHECK(c.Report(malformed).code() == absl::StatusCode::kInvalidArgument);
    CHECK(MASTER_CALL(m, StatObject, stat, &stat_response, &m.admin())
              .error_code() == grpc::StatusCode::NOT_FOUND);
  }

  SECTION("the object is visible once reported, and reporting is idempotent") {
    const v1::UploadReport report =
        Cluster::ReportOf(upload, 1000, 0xdeadbeef, "image/jpeg");
    REQUIRE(c.Report(report).ok());
    CHECK(c.Report(report).ok());

    REQUIRE(MASTER_CALL(m, StatObject, stat, &stat_response, &m.admin()).ok());
    CHECK(stat_response.object().key() == "cat.jpg");
    CHECK(stat_response.object().size_bytes() == 1000);
    CHECK(stat_response.object().etag() == "deadbeef");
    CHECK(stat_response.object().content_type() == "image/jpeg");
    CHECK(stat_response.object().file_id() == upload.file_id());

    v1::LookupObjectRequest lookup;
    lookup.set_bucket("photos");
    lookup.set_key("cat.jpg");
    v1::LookupObjectResponse found;
    REQUIRE(MASTER_CALL(m, LookupObject, lookup, &found, &m.admin()).ok());
    const UrlParts get = SplitUrl(found.get_url());
    absl::StatusOr<UrlGrant> read =
        VerifySignedRequest("GET", get.path, get.query, absl::Now(), m.keys());
    REQUIRE(read.ok());
    CHECK(read->access == UrlAccess::kRead);
    CHECK(read->file_id.ToString() == upload.file_id());
    CHECK_FALSE(read->range.has_value());
    CHECK_FALSE(found.has_range());
    CHECK(found.object().etag() == "deadbeef");
    // A read URL does not let its holder write.
    CHECK(VerifySignedRequest("PUT", get.path, get.query, absl::Now(), m.keys())
              .status()
              .code() == absl::StatusCode::kPermissionDenied);

    // A range is cut to the object and bound into the URL.
    lookup.mutable_range()->set_first(10);
    lookup.mutable_range()->set_last(5000);
    REQUIRE(MASTER_CALL(m, LookupObject, lookup, &found, &m.admin()).ok());
    CHECK(found.range().first() == 10);
    CHECK(found.range().last() == 999);
    const UrlParts ranged = SplitUrl(found.get_url());
    read = VerifySignedRequest("GET", ranged.path, ranged.query, absl::Now(),
                               m.keys());
    REQUIRE(read.ok());
    REQUIRE(read->range.has_value());
    CHECK(*read->range == ByteRange{10, 999});
    lookup.mutable_range()->set_first(1000);
    lookup.mutable_range()->set_last(1001);
    CHECK(
        MASTER_CALL(m, LookupObject, lookup, &found, &m.admin()).error_code() ==
        grpc::StatusCode::OUT_OF_RANGE);
    lookup.mutable_range()->set_first(5);
    lookup.mutable_range()->set_last(4);
    CHECK(
        MASTER_CALL(m, LookupObject, lookup, &found, &m.admin()).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);

    v1::ListObjectsRequest list;
    list.set_bucket("photos");
    v1::ListObjectsResponse listed;
    REQUIRE(MASTER_CALL(m, ListObjects, list, &listed, &m.admin()).ok());
    REQUIRE(listed.objects_size() == 1);
    CHECK(listed.objects(0).key() == "cat.jpg");
    CHECK(listed.next_continuation_token().empty());
  }
}

TEST_CASE("the content type of an upload defaults to application/octet-stream",
          "[master][upload]") {
  Cluster c;
  const v1::BeginUploadResponse upload = c.Begin("blob", 3);
  const UrlParts put = SplitUrl(upload.put_url());
  absl::StatusOr<UrlGrant> write = VerifySignedRequest(
      "PUT", put.path, put.query, absl::Now(), c.master().keys());
  REQUIRE(write.ok());
  CHECK(write->content_type == "application/octet-stream");
}

TEST_CASE("upload reports from a server that is not registered are refused",
          "[master][upload]") {
  Cluster c;
  const v1::BeginUploadResponse upload = c.Begin("k", 5);
  const v1::UploadReport report =
      Cluster::ReportOf(upload, 5, 7, "application/octet-stream");
  v1::ReportUploadsResponse response;
  grpc::Status status = c.master().ReportUploads("vs9", {report}, &response);
  CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK_THAT(status.error_message(), Catch::Contains("vs9"));

  SECTION("nor from one that went offline") {
    REQUIRE(c.vs().Close().ok());
    REQUIRE(Eventually(
        [&] { return !c.master().server().topology().IsOnline("vs1"); }));
    status = c.master().ReportUploads("vs1", {report}, &response);
    CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
  }
}

TEST_CASE("overwritten and deleted objects have their needles deleted",
          "[master][deletion]") {
  Cluster c;
  TestMaster& m = c.master();
  const v1::BeginUploadResponse first = c.Put("k", 10);
  const v1::BeginUploadResponse second = c.Put("k", 20);

  v1::MasterCommand overwrite = c.NextDelete();
  REQUIRE(overwrite.delete_needles().file_ids_size() == 1);
  CHECK(overwrite.delete_needles().file_ids(0) == first.file_id());
  REQUIRE(c.vs().SendResult(overwrite.command_id(), absl::OkStatus()));
  CHECK(Eventually([&] {
    return m.server().deletion_worker().stats().needles_deleted == 1;
  }));

  v1::DeleteObjectRequest remove;
  remove.set_bucket("photos");
  remove.set_key("k");
  v1::DeleteObjectResponse removed;
  REQUIRE(MASTER_CALL(m, DeleteObject, remove, &removed, &m.admin()).ok());
  CHECK(
      MASTER_CALL(m, DeleteObject, remove, &removed, &m.admin()).error_code() ==
      grpc::StatusCode::NOT_FOUND);

  v1::MasterCommand deletion = c.NextDelete();
  REQUIRE(deletion.delete_needles().file_ids_size() == 1);
  CHECK(deletion.delete_needles().file_ids(0) == second.file_id());

  SECTION("a failed delete is retried") {
    REQUIRE(c.vs().SendResult(deletion.command_id(),
                              absl::UnavailableError("disk busy")));
    v1::MasterCommand retry = c.NextDelete();
    CHECK(retry.command_id() != deletion.command_id());
    CHECK(retry.delete_needles().file_ids(0) == second.file_id());
    CHECK(m.server().deletion_worker().stats().needles_retried == 1);
    REQUIRE(c.vs().SendResult(retry.command_id(), absl::OkStatus()));
  }
  SECTION("an acknowledged delete is done") {
    REQUIRE(c.vs().SendResult(deletion.command_id(), absl::OkStatus()));
  }
  CHECK(Eventually([&] {
    return m.server().deletion_worker().stats().needles_deleted == 2;
  }));
  CHECK(Eventually([&] { return m.server().commands().outstanding() == 0; }));
}

TEST_CASE("a moving volume's deletes wait until the move ends",
          "[master][deletion]") {
  // The worker runs when the test says.
  Cluster c([](MasterServer::Options& options) {
    options.deletion.interval = absl::Hours(1);
  });
  TestMaster& m = c.master();
  DeletionWorker& worker = m.server().deletion_worker();
  Topology& topology = m.server().topology();
  const v1::BeginUploadResponse first = c.Put("k", 10);
  c.Put("k", 20);  // queues the first needle's delete
  REQUIRE(topology.BeginMove(1, "vs2").ok());

  worker.RunOnce(absl::Now());
  CHECK_FALSE(c.vs().NextCommand(absl::Milliseconds(300)).has_value());
  CHECK(worker.stats().commands_sent == 0);

  // The move failed: the volume stays where it was, and once the store's
  // lease on the delete has run out it goes there.
  topology.EndMove(1);
  worker.RunOnce(absl::Now() + absl::Minutes(2));
  v1::MasterCommand deletion = c.NextDelete();
  REQUIRE(deletion.delete_needles().file_ids_size() == 1);
  CHECK(deletion.delete_needles().file_ids(0) == first.file_id());
  REQUIRE(c.vs().SendResult(deletion.command_id(), absl::OkStatus()));
  CHECK(Eventually([&] { return worker.stats().needles_deleted == 1; }));
}

TEST_CASE("an upload that is never reported expires and its needle is deleted",
          "[master][deletion]") {
  Cluster c([](MasterServer::Options& options) {
    options.urls.url_lifetime = absl::Seconds(1);
    options.urls.commit_grace = absl::ZeroDuration();
    options.deletion.expire_interval = absl::Milliseconds(50);
  });
  const v1::BeginUploadResponse upload = c.Begin("abandoned", 10);
  v1::MasterCommand deletion = c.NextDelete();
  REQUIRE(deletion.delete_needles().file_ids_size() == 1);
  CHECK(deletion.delete_needles().file_ids(0) == upload.file_id());
  CHECK(c.master().server().deletion_worker().stats().uploads_expired == 1);
  REQUIRE(c.vs().SendResult(deletion.command_id(), absl::OkStatus()));
  // Too late to report it now.
  CHECK(c.Report(Cluster::ReportOf(upload, 10, 1, "application/octet-stream"))
            .code() == absl::StatusCode::kNotFound);
}

TEST_CASE("a url lasts the lifetime its caller asks for, up to a maximum",
          "[master][upload]") {
  Cluster c([](MasterServer::Options& options) {
    options.urls.max_url_lifetime = absl::Hours(2);
  });
  TestMaster& m = c.master();
  c.Put("k", 10);
  // The seconds a url is signed for, from its expiry (rounded up).
  auto lasts = [](int64_t expires_unix_seconds) {
    return expires_unix_seconds - absl::ToUnixSeconds(absl::Now());
  };
  v1::LookupObjectRequest lookup;
  lookup.set_bucket("photos");
  lookup.set_key("k");
  v1::LookupObjectResponse found;
  REQUIRE(MASTER_CALL(m, LookupObject, lookup, &found, &m.admin()).ok());
  CHECK(lasts(found.expires_unix_seconds()) > 14 * 60);
  CHECK(lasts(found.expires_unix_seconds()) <= 15 * 60 + 1);
  lookup.set_url_lifetime_seconds(7200);
  REQUIRE(MASTER_CALL(m, LookupObject, lookup, &found, &m.admin()).ok());
  CHECK(lasts(found.expires_unix_seconds()) > 7200 - 60);
  CHECK(lasts(found.expires_unix_seconds()) <= 7200 + 1);
  const UrlParts get = SplitUrl(found.get_url());
  absl::StatusOr<UrlGrant> read = VerifySignedRequest(
      "GET", get.path, get.query, absl::Now() + absl::Hours(1), m.keys());
  INFO(read.status().ToString());
  CHECK(read.ok());
  lookup.set_url_lifetime_seconds(7201);
  grpc::Status refused = MASTER_CALL(m, LookupObject, lookup, &found, &m.admin());
  CHECK(refused.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(refused.error_message(), Catch::Contains("2h"));

  const v1::BeginUploadResponse upload = c.Begin("long", 10, "", 3600);
  CHECK(lasts(upload.expires_unix_seconds()) > 3600 - 60);
  CHECK(lasts(upload.expires_unix_seconds()) <= 3600 + 1);
  v1::BeginUploadRequest too_long;
  too_long.set_bucket("photos");
  too_long.set_key("too-long");
  too_long.set_size_bytes(10);
  too_long.set_url_lifetime_seconds(3 * 3600);
  v1::BeginUploadResponse none;
  CHECK(MASTER_CALL(m, BeginUpload, too_long, &none, &m.admin())
            .error_code() == grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("an upload expires with the url lifetime its caller asked for",
          "[master][deletion]") {
  Cluster c([](MasterServer::Options& options) {
    options.urls.commit_grace = absl::ZeroDuration();
    options.deletion.expire_interval = absl::Milliseconds(50);
  });
  // The default lifetime is 15 minutes; this one asked for a second.
  const v1::BeginUploadResponse upload = c.Begin("brief", 10, "", 1);
  v1::MasterCommand deletion = c.NextDelete();
  REQUIRE(deletion.delete_needles().file_ids_size() == 1);
  CHECK(deletion.delete_needles().file_ids(0) == upload.file_id());
}

TEST_CASE("an object on an offline server cannot be looked up",
          "[master][upload]") {
  Cluster c;
  c.Put("k", 10);
  REQUIRE(c.vs().Close().ok());
  REQUIRE(Eventually(
      [&] { return !c.master().server().topology().IsOnline("vs1"); }));
  v1::LookupObjectRequest lookup;
  lookup.set_bucket("photos");
  lookup.set_key("k");
  v1::LookupObjectResponse found;
  grpc::Status status = MASTER_CALL(c.master(), LookupObject, lookup, &found,
                                    &c.master().admin());
  CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK_THAT(status.error_message(), Catch::Contains("vs1"));
  // Its metadata is still there.
  v1::StatObjectRequest stat;
  stat.set_bucket("photos");
  stat.set_key("k");
  v1::StatObjectResponse stat_response;
  CHECK(MASTER_CALL(c.master(), StatObject, stat, &stat_response,
                    &c.master().admin())
            .ok());
}

// The master's record of volume 1's latest compaction, from ListVolumes.
std::optional<v1::CompactionRecord> LastCompaction(TestMaster& m) {
  v1::ListVolumesResponse volumes;
  REQUIRE(MASTER_CALL(m, ListVolumes, v1::ListVolumesRequest(), &volumes,
                      &m.admin())
              .ok());
  for (const v1::VolumeInfo& volume : volumes.volumes()) {
    if (volume.status().volume_id() == 1 && volume.has_last_compaction()) {
      return volume.last_compaction();
    }
  }
  return std::nullopt;
}

TEST_CASE("compaction is started on the volume's server and its result kept",
          "[master][compaction]") {
  Cluster c;
  TestMaster& m = c.master();
  v1::CompactVolumeRequest request;
  v1::CompactVolumeResponse response;

  CHECK_FALSE(LastCompaction(m).has_value());
  request.set_volume_id(1);
  request.set_bytes_per_second(64 << 20);
  const int64_t asked_ms = absl::ToUnixMillis(absl::Now());
  REQUIRE(MASTER_CALL(m, CompactVolume, request, &response, &m.admin()).ok());
  std::optional<v1::CompactionRecord> record = LastCompaction(m);
  REQUIRE(record.has_value());
  CHECK(record->state() == v1::COMPACTION_STATE_RUNNING);
  CHECK(record->started_unix_ms() >= asked_ms);
  CHECK(record->finished_unix_ms() == 0);
  REQUIRE(response.volume_ids_size() == 1);
  CHECK(response.volume_ids(0) == 1);
  std::optional<v1::MasterCommand> command = c.vs().NextCommand();
  REQUIRE(command.has_value());
  REQUIRE(command->has_compact_volume());
  CHECK(command->compact_volume().volume_id() == 1);
  CHECK(command->compact_volume().bytes_per_second() == 64 << 20);
  // Not twice at once.
  CHECK(MASTER_CALL(m, CompactVolume, request, &response, &m.admin())
            .error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  // The copy's progress, as the server's heartbeat reports it.
  v1::VolumeStatus busy = Volume(1, 1000);
  busy.set_compacting(true);
  busy.set_compaction_copied_bytes(300);
  busy.set_compaction_total_bytes(900);
  REQUIRE(c.vs().Heartbeat({busy}));
  CHECK(Eventually([&] {
    v1::ListVolumesResponse volumes;
    REQUIRE(MASTER_CALL(m, ListVolumes, v1::ListVolumesRequest(), &volumes,
                        &m.admin())
                .ok());
    return volumes.volumes_size() == 1 &&
           volumes.volumes(0).status().compacting() &&
           volumes.volumes(0).status().compaction_copied_bytes() == 300 &&
           volumes.volumes(0).status().compaction_total_bytes() == 900;
  }));
  REQUIRE(c.vs().SendResult(command->command_id(), absl::OkStatus(), 4096));
  CHECK(Eventually([&] {
    const CompactionScheduler::Stats stats = m.server().compactions().stats();
    return stats.succeeded == 1 && stats.bytes_reclaimed == 4096;
  }));
  // ListVolumes tells the outcome the server reported.
  const int64_t started_ms = record->started_unix_ms();
  record = LastCompaction(m);
  REQUIRE(record.has_value());
  CHECK(record->state() == v1::COMPACTION_STATE_SUCCEEDED);
  CHECK(record->bytes_reclaimed() == 4096);
  CHECK(record->started_unix_ms() == started_ms);
  CHECK(record->finished_unix_ms() >= started_ms);
  CHECK(record->error().empty());

  SECTION("by garbage ratio") {
    v1::VolumeStatus dirty = Volume(1, 1000);
    dirty.set_garbage_bytes(600);
    REQUIRE(c.vs().Heartbeat({dirty}));
    REQUIRE(Eventually([&] {
      auto location = m.server().topology().LocateVolume(1);
      return location.ok() && location->volume.garbage_bytes == 600;
    }));
    v1::CompactVolumeRequest by_ratio;
    by_ratio.set_min_garbage_ratio(0.7);
    REQUIRE(
        MASTER_CALL(m, CompactVolume, by_ratio, &response, &m.admin()).ok());
    CHECK(response.volume_ids_size() == 0);
    by_ratio.set_min_garbage_ratio(0.5);
    REQUIRE(
        MASTER_CALL(m, CompactVolume, by_ratio, &response, &m.admin()).ok());
    REQUIRE(response.volume_ids_size() == 1);
    CHECK(response.volume_ids(0) == 1);
    command = c.vs().NextCommand();
    REQUIRE(command.has_value());
    CHECK(command->compact_volume().volume_id() == 1);
    REQUIRE(c.vs().SendResult(command->command_id(),
                              absl::FailedPreconditionError("read-only")));
    CHECK(Eventually(
        [&] { return m.server().compactions().stats().failed == 1; }));
    record = LastCompaction(m);
    REQUIRE(record.has_value());
    CHECK(record->state() == v1::COMPACTION_STATE_FAILED);
    CHECK_THAT(record->error(), Catch::Contains("read-only"));
    CHECK(record->bytes_reclaimed() == 0);
  }
  SECTION("refused for a bad ratio, an unknown volume, an offline server") {
    v1::CompactVolumeRequest bad;
    bad.set_min_garbage_ratio(1.5);
    CHECK(MASTER_CALL(m, CompactVolume, bad, &response, &m.admin())
              .error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(MASTER_CALL(m, CompactVolume, v1::CompactVolumeRequest(), &response,
                      &m.admin())
              .error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    bad.set_volume_id(99);
    CHECK(MASTER_CALL(m, CompactVolume, bad, &response, &m.admin())
              .error_code() == grpc::StatusCode::NOT_FOUND);
    REQUIRE(c.vs().Close().ok());
    REQUIRE(Eventually([&] { return !m.server().topology().IsOnline("vs1"); }));
    CHECK(MASTER_CALL(m, CompactVolume, request, &response, &m.admin())
              .error_code() == grpc::StatusCode::UNAVAILABLE);
  }
}

}  // namespace
}  // namespace warehouse::master::testing
