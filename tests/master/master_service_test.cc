// The Master service: authentication, authorization by role and bucket,
// argument checks, and the bucket and access key RPCs.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "tests/master/master_test_util.h"

namespace warehouse::master::testing {
namespace {

grpc::Status CreateBucket(TestMaster& m, const std::string& name,
                          const Credentials* key) {
  v1::CreateBucketRequest request;
  request.set_bucket(name);
  v1::CreateBucketResponse response;
  return MASTER_CALL(m, CreateBucket, request, &response, key);
}

std::vector<std::string> BucketNames(TestMaster& m, const Credentials* key) {
  v1::ListBucketsResponse response;
  grpc::Status status =
      MASTER_CALL(m, ListBuckets, v1::ListBucketsRequest(), &response, key);
  REQUIRE(status.ok());
  std::vector<std::string> names;
  for (const v1::BucketInfo& bucket : response.buckets()) {
    names.push_back(bucket.name());
  }
  return names;
}

TEST_CASE("buckets are created, listed and deleted", "[master][service]") {
  TestMaster m;
  v1::CreateBucketRequest create;
  create.set_bucket("photos");
  v1::CreateBucketResponse created;
  REQUIRE(MASTER_CALL(m, CreateBucket, create, &created, &m.admin()).ok());
  CHECK(created.bucket().name() == "photos");
  CHECK(created.bucket().object_count() == 0);
  CHECK(created.bucket().created_unix_seconds() > 0);
  CHECK(CreateBucket(m, "photos", &m.admin()).error_code() ==
        grpc::StatusCode::ALREADY_EXISTS);
  REQUIRE(CreateBucket(m, "videos", &m.admin()).ok());
  CHECK(BucketNames(m, &m.admin()) ==
        std::vector<std::string>{"photos", "videos"});

  v1::DeleteBucketRequest remove;
  remove.set_bucket("photos");
  v1::DeleteBucketResponse removed;
  REQUIRE(MASTER_CALL(m, DeleteBucket, remove, &removed, &m.admin()).ok());
  CHECK(
      MASTER_CALL(m, DeleteBucket, remove, &removed, &m.admin()).error_code() ==
      grpc::StatusCode::NOT_FOUND);
  CHECK(BucketNames(m, &m.admin()) == std::vector<std::string>{"videos"});

  v1::ListObjectsRequest list;
  list.set_bucket("photos");
  v1::ListObjectsResponse listed;
  CHECK(MASTER_CALL(m, ListObjects, list, &listed, &m.admin()).error_code() ==
        grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("calls without valid credentials are unauthenticated",
          "[master][service][auth]") {
  TestMaster m;
  SECTION("no key") {
    grpc::Status status = CreateBucket(m, "photos", nullptr);
    CHECK(status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  }
  SECTION("a wrong secret") {
    Credentials wrong = m.admin();
    wrong.secret[0] = wrong.secret[0] == 'a' ? 'b' : 'a';
    CHECK(CreateBucket(m, "photos", &wrong).error_code() ==
          grpc::StatusCode::UNAUTHENTICATED);
  }
  SECTION("an unknown key") {
    Credentials unknown{"WHAAAAAAAAAAAAAAAAAA", m.admin().secret};
    CHECK(CreateBucket(m, "photos", &unknown).error_code() ==
          grpc::StatusCode::UNAUTHENTICATED);
  }
  SECTION("a cluster key") {
    const KeyRing::Key& cluster = m.keys().primary();
    Credentials as_key{cluster.id, cluster.secret};
    CHECK(CreateBucket(m, "photos", &as_key).error_code() ==
          grpc::StatusCode::UNAUTHENTICATED);
  }
  SECTION("a revoked key, at once") {
    const Credentials writer = m.CreateKey(Role::kReadWrite);
    REQUIRE(CreateBucket(m, "photos", &writer).ok());
    v1::RevokeAccessKeyRequest revoke;
    revoke.set_access_key_id(writer.id);
    v1::RevokeAccessKeyResponse revoked;
    REQUIRE(MASTER_CALL(m, RevokeAccessKey, revoke, &revoked, &m.admin()).ok());
    grpc::Status status = CreateBucket(m, "videos", &writer);
    CHECK(status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
    CHECK_THAT(status.error_message(), Catch::Contains("revoked"));
  }
  CHECK(BucketNames(m, &m.admin()).size() <= 1);
}

TEST_CASE("a key revoked while a call reads it is not cached as active",
          "[master][service][auth]") {
  TestMaster m;
  const Credentials writer = m.CreateKey(Role::kReadWrite);
  AccessKeys& keys = m.server().access_keys();
  // The revocation commits after the call has read the key and before the
  // call caches what it read.
  bool revoked = false;
  keys.SetAfterReadForTesting([&] {
    if (revoked) return;
    revoked = true;
    CHECK(keys.Revoke(writer.id).ok());
  });
  // That call may pass: it raced the revocation.
  CHECK(keys.Active(writer.id).ok());
  REQUIRE(revoked);
  keys.SetAfterReadForTesting(nullptr);
  // Every call after Revoke returned is refused.
  CHECK(keys.Active(writer.id).status().code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(CreateBucket(m, "photos", &writer).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
}

TEST_CASE("an access key on the Cluster service is refused",
          "[master][service][auth]") {
  TestMaster m;
  grpc::ClientContext context;
  REQUIRE(AttachAuthorization(
              &context,
              FullMethodName(v1::Cluster::service_full_name(), "ReportUploads"),
              m.admin().id, m.admin().secret, absl::Now())
              .ok());
  v1::ReportUploadsRequest request;
  request.set_server_id("vs1");
  v1::ReportUploadsResponse response;
  CHECK(m.cluster().ReportUploads(&context, request, &response).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
}

TEST_CASE("a read-write key may not administer", "[master][service][auth]") {
  TestMaster m;
  const Credentials writer = m.CreateKey(Role::kReadWrite);
  v1::ListServersResponse servers;
  grpc::Status status =
      MASTER_CALL(m, ListServers, v1::ListServersRequest(), &servers, &writer);
  CHECK(status.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK_THAT(status.error_message(), Catch::Contains("admin"));
  v1::ListVolumesResponse volumes;
  CHECK(MASTER_CALL(m, ListVolumes, v1::ListVolumesRequest(), &volumes, &writer)
            .error_code() == grpc::StatusCode::PERMISSION_DENIED);
  v1::CompactVolumeRequest compact;
  compact.set_volume_id(1);
  v1::CompactVolumeResponse compacted;
  CHECK(MASTER_CALL(m, CompactVolume, compact, &compacted, &writer)
            .error_code() == grpc::StatusCode::PERMISSION_DENIED);
  v1::SetVolumeReadOnlyRequest mark;
  mark.set_volume_id(1);
  mark.set_read_only(true);
  v1::SetVolumeReadOnlyResponse marked;
  CHECK(MASTER_CALL(m, SetVolumeReadOnly, mark, &marked, &writer)
            .error_code() == grpc::StatusCode::PERMISSION_DENIED);
  v1::CreateAccessKeyRequest create;
  create.set_role(v1::ROLE_ADMIN);
  v1::CreateAccessKeyResponse created;
  CHECK(
      MASTER_CALL(m, CreateAccessKey, create, &created, &writer).error_code() ==
      grpc::StatusCode::PERMISSION_DENIED);
  v1::ListAccessKeysResponse keys;
  CHECK(MASTER_CALL(m, ListAccessKeys, v1::ListAccessKeysRequest(), &keys,
                    &writer)
            .error_code() == grpc::StatusCode::PERMISSION_DENIED);
  v1::RevokeAccessKeyRequest revoke;
  revoke.set_access_key_id(m.admin().id);
  v1::RevokeAccessKeyResponse revoked;
  CHECK(
      MASTER_CALL(m, RevokeAccessKey, revoke, &revoked, &writer).error_code() ==
      grpc::StatusCode::PERMISSION_DENIED);
  // Its own work it may do.
  CHECK(CreateBucket(m, "photos", &writer).ok());
}

TEST_CASE("a key restricted to buckets touches only those",
          "[master][service][auth]") {
  TestMaster m;
  REQUIRE(CreateBucket(m, "photos", &m.admin()).ok());
  REQUIRE(CreateBucket(m, "private", &m.admin()).ok());
  const Credentials limited = m.CreateKey(Role::kReadWrite, {"photos", "new"});
  CHECK(BucketNames(m, &limited) == std::vector<std::string>{"photos"});
  CHECK(CreateBucket(m, "new", &limited).ok());
  grpc::Status status = CreateBucket(m, "other", &limited);
  CHECK(status.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK_THAT(status.error_message(), Catch::Contains("other"));

  v1::ListObjectsRequest list;
  list.set_bucket("private");
  v1::ListObjectsResponse listed;
  CHECK(MASTER_CALL(m, ListObjects, list, &listed, &limited).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  list.set_bucket("photos");
  CHECK(MASTER_CALL(m, ListObjects, list, &listed, &limited).ok());
  v1::BeginUploadRequest upload;
  upload.set_bucket("private");
  upload.set_key("k");
  v1::BeginUploadResponse begun;
  CHECK(MASTER_CALL(m, BeginUpload, upload, &begun, &limited).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  v1::DeleteBucketRequest remove;
  remove.set_bucket("private");
  v1::DeleteBucketResponse removed;
  CHECK(MASTER_CALL(m, DeleteBucket, remove, &removed, &limited).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
}

TEST_CASE("bad bucket names and object keys say what is wrong",
          "[master][service]") {
  TestMaster m;
  grpc::Status status = CreateBucket(m, "Photos", &m.admin());
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(), Catch::Contains("Photos"));
  status = CreateBucket(m, "ab", &m.admin());
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(), Catch::Contains("3"));
  REQUIRE(CreateBucket(m, "photos", &m.admin()).ok());

  v1::BeginUploadRequest upload;
  upload.set_bucket("photos");
  upload.set_size_bytes(1);
  v1::BeginUploadResponse begun;
  upload.set_key("");
  status = MASTER_CALL(m, BeginUpload, upload, &begun, &m.admin());
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(), Catch::Contains("empty"));
  upload.set_key(std::string("a\0b", 3));
  status = MASTER_CALL(m, BeginUpload, upload, &begun, &m.admin());
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(), Catch::Contains("NUL"));
  upload.set_key(std::string(1025, 'k'));
  CHECK(MASTER_CALL(m, BeginUpload, upload, &begun, &m.admin()).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  upload.set_key("k");
  upload.set_content_type("text/plain\n");
  CHECK(MASTER_CALL(m, BeginUpload, upload, &begun, &m.admin()).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  upload.set_content_type("");
  upload.set_bucket("missing");
  CHECK(MASTER_CALL(m, BeginUpload, upload, &begun, &m.admin()).error_code() ==
        grpc::StatusCode::NOT_FOUND);

  v1::StatObjectRequest stat;
  stat.set_bucket("photos");
  stat.set_key(std::string(1025, 'k'));
  v1::StatObjectResponse stat_response;
  CHECK(MASTER_CALL(m, StatObject, stat, &stat_response, &m.admin())
            .error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListObjectsRequest list;
  list.set_bucket("photos");
  list.set_continuation_token("not a token");
  v1::ListObjectsResponse listed;
  CHECK(MASTER_CALL(m, ListObjects, list, &listed, &m.admin()).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("access keys are created, listed and revoked through the API",
          "[master][service][keys]") {
  TestMaster m;
  v1::CreateAccessKeyRequest create;
  create.set_role(v1::ROLE_READ_WRITE);
  create.add_buckets("photos");
  create.set_description("uploader");
  v1::CreateAccessKeyResponse created;
  REQUIRE(MASTER_CALL(m, CreateAccessKey, create, &created, &m.admin()).ok());
  CHECK(created.key().access_key_id().size() == 20);
  CHECK(created.key().role() == v1::ROLE_READ_WRITE);
  REQUIRE(created.key().buckets_size() == 1);
  CHECK(created.key().buckets(0) == "photos");
  CHECK(created.key().description() == "uploader");
  CHECK(created.secret_access_key().size() == 40);

  // The new key works at once, within its buckets.
  const Credentials uploader{created.key().access_key_id(),
                             created.secret_access_key()};
  CHECK(CreateBucket(m, "photos", &uploader).ok());

  v1::ListAccessKeysResponse listed;
  REQUIRE(MASTER_CALL(m, ListAccessKeys, v1::ListAccessKeysRequest(), &listed,
                      &m.admin())
              .ok());
  REQUIRE(listed.keys_size() == 2);
  for (const v1::AccessKeyInfo& key : listed.keys()) {
    if (key.access_key_id() == m.admin().id) {
      CHECK(key.role() == v1::ROLE_ADMIN);
      CHECK(key.buckets_size() == 0);
    } else {
      CHECK(key.access_key_id() == uploader.id);
    }
  }

  v1::RevokeAccessKeyRequest revoke;
  revoke.set_access_key_id(uploader.id);
  v1::RevokeAccessKeyResponse revoked;
  REQUIRE(MASTER_CALL(m, RevokeAccessKey, revoke, &revoked, &m.admin()).ok());
  REQUIRE(MASTER_CALL(m, ListAccessKeys, v1::ListAccessKeysRequest(), &listed,
                      &m.admin())
              .ok());
  CHECK(listed.keys_size() == 1);

  SECTION("the last admin key cannot be revoked") {
    revoke.set_access_key_id(m.admin().id);
    grpc::Status status =
        MASTER_CALL(m, RevokeAccessKey, revoke, &revoked, &m.admin());
    CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
    CHECK(CreateBucket(m, "still-works", &m.admin()).ok());
  }
  SECTION("unknown and malformed ids") {
    revoke.set_access_key_id("WHAAAAAAAAAAAAAAAAAA");
    CHECK(MASTER_CALL(m, RevokeAccessKey, revoke, &revoked, &m.admin())
              .error_code() == grpc::StatusCode::NOT_FOUND);
    revoke.set_access_key_id("nope");
    CHECK(MASTER_CALL(m, RevokeAccessKey, revoke, &revoked, &m.admin())
              .error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }
  SECTION("bad requests") {
    v1::CreateAccessKeyRequest bad;
    CHECK(MASTER_CALL(m, CreateAccessKey, bad, &created, &m.admin())
              .error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    bad.set_role(v1::ROLE_ADMIN);
    bad.add_buckets("photos");
    CHECK(MASTER_CALL(m, CreateAccessKey, bad, &created, &m.admin())
              .error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    bad.set_role(v1::ROLE_READ_WRITE);
    bad.set_buckets(0, "Bad Name");
    CHECK(MASTER_CALL(m, CreateAccessKey, bad, &created, &m.admin())
              .error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }
}

TEST_CASE("secrets are kept sealed in the database",
          "[master][service][keys]") {
  TestMaster m;
  absl::StatusOr<AccessKey> stored =
      m.server().store().GetAccessKey(m.admin().id);
  REQUIRE(stored.ok());
  CHECK(stored->sealed_secret.find(m.admin().secret) == std::string::npos);
}

}  // namespace
}  // namespace warehouse::master::testing
