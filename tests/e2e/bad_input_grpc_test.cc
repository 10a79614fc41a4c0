// Bad inputs to the master's gRPC services, one table row each: missing,
// malformed, wrong, stale and revoked credentials, keys without the right,
// and malformed names, keys, listings, uploads, ranges and admin requests.
// Each row expects the status code and a fragment of the message that
// docs/rpc.md and docs/access_keys.md document; after the table, the stored
// data must be exactly as stored.
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "common/grpc_auth.h"
#include "common/rpc_auth.h"
#include "grpcpp/grpcpp.h"
#include "proto/warehouse/master.grpc.pb.h"
#include "tests/e2e/bad_input_fixture.h"

namespace warehouse::testing {
namespace {

// How a row's call is signed.
enum class Auth {
  kAdmin,
  kReadWrite,     // read-write on every bucket
  kScoped,        // read-write on bucket "scoped" only
  kRevoked,       // a revoked read-write key
  kNone,          // no authorization entry
  kTwoEntries,    // two valid entries
  kUnknownKey,    // well-formed id the master never issued
  kWrongSecret,   // the admin id, another secret
  kOtherMethod,   // signed for ListBuckets, sent to another method
  kStale,         // timestamp 10 minutes old
  kFuture,        // timestamp 10 minutes ahead
  kBadScheme,     // "Bearer ..." instead of WAREHOUSE-HMAC-SHA256
  kUppercaseHex,  // the signature in uppercase hex
  kNoSignature,   // "Credential=..., Timestamp=..." only
  kBadKeyId,      // a credential that is not a key id
  kClusterKey,    // the cluster key, which only Cluster accepts
};

using Call = std::function<grpc::Status(grpc::ClientContext*)>;

struct GrpcRow {
  std::string name;
  Auth auth;
  std::string full_method;
  Call call;
  grpc::StatusCode code;
  std::string fragment;  // must appear in the status message
  std::string group = "";
};

// The authorization value for `auth`, or "" for none.
std::vector<std::string> AuthorizationFor(Auth auth,
                                          const std::string& full_method,
                                          BadInputFixture& fx) {
  const absl::Time now = absl::Now();
  auto sign = [&](const AccessKeyPair& key, absl::Time at,
                  const std::string& method) {
    absl::StatusOr<std::string> value =
        BuildAuthorization(key.id, key.secret, method, at);
    if (!value.ok()) FAIL(value.status());
    return *value;
  };
  const AccessKeyPair admin = fx.admin();
  switch (auth) {
    case Auth::kAdmin:
      return {sign(admin, now, full_method)};
    case Auth::kReadWrite:
      return {sign(fx.read_write(), now, full_method)};
    case Auth::kScoped:
      return {sign(fx.scoped(), now, full_method)};
    case Auth::kRevoked:
      return {sign(fx.revoked(), now, full_method)};
    case Auth::kNone:
      return {};
    case Auth::kTwoEntries:
      return {sign(admin, now, full_method), sign(admin, now, full_method)};
    case Auth::kUnknownKey:
      return {sign({"WHNOSUCHKEY000000000", std::string(40, 'a')}, now,
                   full_method)};
    case Auth::kWrongSecret:
      return {sign({admin.id, std::string(40, 'b')}, now, full_method)};
    case Auth::kOtherMethod:
      return {
          sign(admin, now,
               FullMethodName(v1::Master::service_full_name(), "ListBuckets"))};
    case Auth::kStale:
      return {sign(admin, now - absl::Minutes(10), full_method)};
    case Auth::kFuture:
      return {sign(admin, now + absl::Minutes(10), full_method)};
    case Auth::kBadScheme:
      return {absl::StrReplaceAll(sign(admin, now, full_method),
                                  {{kRpcAuthScheme, "Bearer"}})};
    case Auth::kUppercaseHex: {
      std::string value = sign(admin, now, full_method);
      const size_t at = value.find("Signature=") + 10;
      for (size_t i = at; i < value.size(); ++i) {
        value[i] = absl::ascii_toupper(value[i]);
      }
      return {value};
    }
    case Auth::kNoSignature: {
      std::string value = sign(admin, now, full_method);
      return {value.substr(0, value.find(", Signature="))};
    }
    case Auth::kBadKeyId:
      return {absl::StrCat(
          kRpcAuthScheme, " Credential=no/such key, Timestamp=",
          absl::ToUnixSeconds(now), ", Signature=", std::string(64, '0'))};
    case Auth::kClusterKey:
      return {sign(
          {fx.cluster_keys().primary().id, fx.cluster_keys().primary().secret},
          now, full_method)};
  }
  return {};
}

// A row calling Master.<method> with `request`.
#define MASTER_ROW(name, auth, method, req, code, fragment)               \
  GrpcRow {                                                               \
    name, auth, FullMethodName(v1::Master::service_full_name(), #method), \
        [&fx, rq = (req)](grpc::ClientContext* context) {                 \
          v1::method##Response response;                                  \
          return fx.master().method(context, rq, &response);              \
        },                                                                \
        grpc::StatusCode::code, fragment                                  \
  }

// Reads a call's stream to its end, for its status.
template <typename Message>
grpc::Status FinishStream(grpc::ClientReader<Message>& reader) {
  Message message;
  while (reader.Read(&message)) {
  }
  return reader.Finish();
}

// A row calling Master.<method>, which answers with a stream.
#define MASTER_STREAM_ROW(name, auth, method, req, code, fragment)        \
  GrpcRow {                                                               \
    name, auth, FullMethodName(v1::Master::service_full_name(), #method), \
        [&fx, rq = (req)](grpc::ClientContext* context) {                 \
          return FinishStream(*fx.master().method(context, rq));          \
        },                                                                \
        grpc::StatusCode::code, fragment                                  \
  }

v1::VerifyVolumeRequest VerifyVolume(uint32_t id) {
  v1::VerifyVolumeRequest request;
  request.set_volume_id(id);
  return request;
}

v1::CreateBucketRequest CreateBucket(const std::string& bucket) {
  v1::CreateBucketRequest request;
  request.set_bucket(bucket);
  return request;
}
v1::DeleteBucketRequest DeleteBucket(const std::string& bucket) {
  v1::DeleteBucketRequest request;
  request.set_bucket(bucket);
  return request;
}
v1::BeginUploadRequest BeginUpload(const std::string& bucket,
                                   const std::string& key, uint64_t size,
                                   const std::string& type = "") {
  v1::BeginUploadRequest request;
  request.set_bucket(bucket);
  request.set_key(key);
  request.set_size_bytes(size);
  request.set_content_type(type);
  return request;
}
v1::StatObjectRequest StatObject(const std::string& bucket,
                                 const std::string& key) {
  v1::StatObjectRequest request;
  request.set_bucket(bucket);
  request.set_key(key);
  return request;
}
v1::DeleteObjectRequest DeleteObject(const std::string& bucket,
                                     const std::string& key) {
  v1::DeleteObjectRequest request;
  request.set_bucket(bucket);
  request.set_key(key);
  return request;
}
v1::LookupObjectRequest LookupObject(const std::string& bucket,
                                     const std::string& key,
                                     std::optional<ByteRange> range = {}) {
  v1::LookupObjectRequest request;
  request.set_bucket(bucket);
  request.set_key(key);
  if (range.has_value()) {
    request.mutable_range()->set_first(range->first);
    request.mutable_range()->set_last(range->last);
  }
  return request;
}
// A request with a URL lifetime, in seconds.
template <typename Request>
Request WithUrlLifetime(Request request, uint32_t seconds) {
  request.set_url_lifetime_seconds(seconds);
  return request;
}
v1::ListObjectsRequest ListObjects(const std::string& bucket,
                                   const std::string& prefix = "",
                                   const std::string& delimiter = "",
                                   const std::string& token = "") {
  v1::ListObjectsRequest request;
  request.set_bucket(bucket);
  request.set_prefix(prefix);
  request.set_delimiter(delimiter);
  request.set_continuation_token(token);
  return request;
}
v1::ListObjectsRequest PageSize(uint32_t page_size) {
  v1::ListObjectsRequest request = ListObjects("alpha");
  request.set_page_size(page_size);
  return request;
}
v1::CompactVolumeRequest CompactVolumeId(uint32_t id) {
  v1::CompactVolumeRequest request;
  request.set_volume_id(id);
  return request;
}
v1::SetVolumeReadOnlyRequest MarkReadOnly(uint32_t id) {
  v1::SetVolumeReadOnlyRequest request;
  request.set_volume_id(id);
  request.set_read_only(true);
  return request;
}
v1::SetServerDrainingRequest DrainServer(const std::string& id) {
  v1::SetServerDrainingRequest request;
  request.set_server_id(id);
  request.set_draining(true);
  return request;
}
v1::CompactVolumeRequest CompactRatio(double ratio) {
  v1::CompactVolumeRequest request;
  request.set_min_garbage_ratio(ratio);
  return request;
}
v1::CreateAccessKeyRequest CreateKey(v1::Role role,
                                     std::vector<std::string> buckets,
                                     const std::string& description = "") {
  v1::CreateAccessKeyRequest request;
  request.set_role(role);
  for (const std::string& bucket : buckets) request.add_buckets(bucket);
  request.set_description(description);
  return request;
}
v1::RevokeAccessKeyRequest RevokeKey(const std::string& id) {
  v1::RevokeAccessKeyRequest request;
  request.set_access_key_id(id);
  return request;
}

// A continuation token the master made for bucket "alpha", no prefix, no
// delimiter, page size 1.
// The id of the cluster's volume server and of one volume it holds.
std::pair<std::string, uint32_t> RunningServerAndVolume(BadInputFixture& fx) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kRowTimeout));
  const std::string method =
      FullMethodName(v1::Master::service_full_name(), "ListVolumes");
  for (const std::string& value : AuthorizationFor(Auth::kAdmin, method, fx)) {
    context.AddMetadata(kAuthorizationMetadataKey, value);
  }
  v1::ListVolumesResponse response;
  const grpc::Status status =
      fx.master().ListVolumes(&context, v1::ListVolumesRequest(), &response);
  if (!status.ok() || response.volumes_size() == 0) {
    FAIL("no volumes listed: " << status.error_message());
  }
  return {response.volumes(0).server_id(),
          response.volumes(0).status().volume_id()};
}

std::string FirstPageToken(BadInputFixture& fx) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kRowTimeout));
  const std::string method =
      FullMethodName(v1::Master::service_full_name(), "ListObjects");
  for (const std::string& value : AuthorizationFor(Auth::kAdmin, method, fx)) {
    context.AddMetadata(kAuthorizationMetadataKey, value);
  }
  v1::ListObjectsRequest request = ListObjects("alpha");
  request.set_page_size(1);
  v1::ListObjectsResponse response;
  const grpc::Status status =
      fx.master().ListObjects(&context, request, &response);
  if (!status.ok() || response.next_continuation_token().empty()) {
    FAIL("listing alpha one key a page gave no token: "
         << status.error_message());
  }
  return response.next_continuation_token();
}

std::vector<GrpcRow> GrpcRows(BadInputFixture& fx) {
  const v1::ListBucketsRequest list_buckets;
  const v1::ListServersRequest list_servers;
  const v1::ListVolumesRequest list_volumes;
  const v1::ListAccessKeysRequest list_keys;
  const std::string token = FirstPageToken(fx);
  const std::string long_key(1025, 'k');
  const std::string bad_utf8 = "bad\xff\xfeutf8";
  const std::string nul_key = std::string("nul\0key", 7);
  const std::string admin_id = fx.admin().id;
  std::vector<GrpcRow> rows;
  // Credentials (docs/access_keys.md, "Checking a request").
  AddGroup(
      rows, "credentials",
      {
          MASTER_ROW("no credentials", Auth::kNone, ListBuckets, list_buckets,
                     UNAUTHENTICATED, "no authorization metadata"),
          MASTER_ROW("two authorization entries", Auth::kTwoEntries,
                     ListBuckets, list_buckets, UNAUTHENTICATED,
                     "more than one"),
          MASTER_ROW("an access key id the master never issued",
                     Auth::kUnknownKey, ListBuckets, list_buckets,
                     UNAUTHENTICATED, "unknown key"),
          MASTER_ROW("the admin key id with a wrong secret", Auth::kWrongSecret,
                     ListBuckets, list_buckets, UNAUTHENTICATED,
                     "signature does not match"),
          MASTER_ROW("a signature made for another method", Auth::kOtherMethod,
                     CreateBucket, CreateBucket("other-method"),
                     UNAUTHENTICATED, "signature does not match"),
          MASTER_ROW("a revoked key", Auth::kRevoked, ListBuckets, list_buckets,
                     UNAUTHENTICATED, "revoked"),
          MASTER_ROW("a revoked key creating a bucket", Auth::kRevoked,
                     CreateBucket, CreateBucket("revoked-key"), UNAUTHENTICATED,
                     "revoked"),
          MASTER_ROW("a timestamp 10 minutes old", Auth::kStale, ListBuckets,
                     list_buckets, UNAUTHENTICATED, "from the server's clock"),
          MASTER_ROW("a timestamp 10 minutes ahead", Auth::kFuture, ListBuckets,
                     list_buckets, UNAUTHENTICATED, "from the server's clock"),
          MASTER_ROW("another auth scheme", Auth::kBadScheme, ListBuckets,
                     list_buckets, UNAUTHENTICATED, "scheme"),
          MASTER_ROW("a signature in uppercase hex", Auth::kUppercaseHex,
                     ListBuckets, list_buckets, UNAUTHENTICATED,
                     "lowercase hex"),
          MASTER_ROW("no signature part", Auth::kNoSignature, ListBuckets,
                     list_buckets, UNAUTHENTICATED, "Credential=<id>"),
          MASTER_ROW("a credential that is not a key id", Auth::kBadKeyId,
                     ListBuckets, list_buckets, UNAUTHENTICATED,
                     "credential is not a key id"),
          MASTER_ROW("the cluster key on the Master service", Auth::kClusterKey,
                     ListBuckets, list_buckets, UNAUTHENTICATED, "unknown key"),

      });
  // Roles (docs/access_keys.md, "Roles").
  AddGroup(
      rows, "roles",
      {
          MASTER_ROW("read-write key listing servers", Auth::kReadWrite,
                     ListServers, list_servers, PERMISSION_DENIED, ""),
          MASTER_ROW("read-write key listing volumes", Auth::kReadWrite,
                     ListVolumes, list_volumes, PERMISSION_DENIED, ""),
          MASTER_ROW("read-write key compacting a volume", Auth::kReadWrite,
                     CompactVolume, CompactVolumeId(1), PERMISSION_DENIED, ""),
          MASTER_ROW("read-write key marking a volume read-only",
                     Auth::kReadWrite, SetVolumeReadOnly, MarkReadOnly(1),
                     PERMISSION_DENIED, ""),
          MASTER_STREAM_ROW("read-write key verifying a volume",
                            Auth::kReadWrite, VerifyVolume, VerifyVolume(1),
                            PERMISSION_DENIED, ""),
          MASTER_STREAM_ROW("read-write key backing up the metadata",
                            Auth::kReadWrite, BackupMetadata,
                            v1::BackupMetadataRequest(), PERMISSION_DENIED,
                            ""),
          MASTER_ROW("read-write key draining a server", Auth::kReadWrite,
                     SetServerDraining, DrainServer("any"), PERMISSION_DENIED,
                     ""),
          MASTER_ROW("read-write key creating an admin key", Auth::kReadWrite,
                     CreateAccessKey, CreateKey(v1::ROLE_ADMIN, {}),
                     PERMISSION_DENIED, ""),
          MASTER_ROW("read-write key listing access keys", Auth::kReadWrite,
                     ListAccessKeys, list_keys, PERMISSION_DENIED, ""),
          MASTER_ROW("read-write key revoking the admin key", Auth::kReadWrite,
                     RevokeAccessKey, RevokeKey(admin_id), PERMISSION_DENIED,
                     ""),
          MASTER_ROW("scoped key creating a bucket outside its list",
                     Auth::kScoped, CreateBucket, CreateBucket("outside"),
                     PERMISSION_DENIED, "outside"),
          MASTER_ROW("scoped key deleting a bucket outside its list",
                     Auth::kScoped, DeleteBucket, DeleteBucket("empty-bucket"),
                     PERMISSION_DENIED, "empty-bucket"),
          MASTER_ROW("scoped key uploading outside its list", Auth::kScoped,
                     BeginUpload, BeginUpload("alpha", "a.txt", 3),
                     PERMISSION_DENIED, "alpha"),
          MASTER_ROW("scoped key reading outside its list", Auth::kScoped,
                     LookupObject, LookupObject("alpha", "a.txt"),
                     PERMISSION_DENIED, "alpha"),
          MASTER_ROW("scoped key stating outside its list", Auth::kScoped,
                     StatObject, StatObject("beta", "one"), PERMISSION_DENIED,
                     "beta"),
          MASTER_ROW("scoped key deleting an object outside its list",
                     Auth::kScoped, DeleteObject, DeleteObject("beta", "one"),
                     PERMISSION_DENIED, "beta"),
          MASTER_ROW("scoped key listing outside its list", Auth::kScoped,
                     ListObjects, ListObjects("alpha"), PERMISSION_DENIED,
                     "alpha"),
          MASTER_ROW("scoped key listing servers", Auth::kScoped, ListServers,
                     list_servers, PERMISSION_DENIED, ""),

      });
  // Bucket names (docs/rpc.md, "Master").
  AddGroup(
      rows, "bucket names",
      {
          MASTER_ROW("bucket name empty", Auth::kAdmin, CreateBucket,
                     CreateBucket(""), INVALID_ARGUMENT, "bucket"),
          MASTER_ROW("bucket name of 2 characters", Auth::kAdmin, CreateBucket,
                     CreateBucket("ab"), INVALID_ARGUMENT, "bucket"),
          MASTER_ROW("bucket name of 64 characters", Auth::kAdmin, CreateBucket,
                     CreateBucket(std::string(64, 'a')), INVALID_ARGUMENT,
                     "bucket"),
          MASTER_ROW("bucket name with uppercase", Auth::kAdmin, CreateBucket,
                     CreateBucket("Photos"), INVALID_ARGUMENT, "Photos"),
          MASTER_ROW("bucket name with a leading dot", Auth::kAdmin,
                     CreateBucket, CreateBucket(".photos"), INVALID_ARGUMENT,
                     "must start"),
          MASTER_ROW("bucket name with a leading hyphen", Auth::kAdmin,
                     CreateBucket, CreateBucket("-photos"), INVALID_ARGUMENT,
                     "bucket"),
          MASTER_ROW("bucket name with a trailing hyphen", Auth::kAdmin,
                     CreateBucket, CreateBucket("photos-"), INVALID_ARGUMENT,
                     "bucket"),
          MASTER_ROW("bucket name with an underscore", Auth::kAdmin,
                     CreateBucket, CreateBucket("my_photos"), INVALID_ARGUMENT,
                     "bucket"),
          MASTER_ROW("bucket name shaped like an IP address", Auth::kAdmin,
                     CreateBucket, CreateBucket("192.168.1.1"),
                     INVALID_ARGUMENT, "IP address"),
          MASTER_ROW("bucket name with two dots in a row", Auth::kAdmin,
                     CreateBucket, CreateBucket("my..photos"), INVALID_ARGUMENT,
                     "two dots"),
          MASTER_ROW("bucket name with the reserved xn-- prefix", Auth::kAdmin,
                     CreateBucket, CreateBucket("xn--photos"), INVALID_ARGUMENT,
                     "xn--"),
          MASTER_ROW("bucket name ending in a dot", Auth::kAdmin, CreateBucket,
                     CreateBucket("photos."), INVALID_ARGUMENT, "must end"),
          MASTER_ROW("bucket name with a NUL", Auth::kAdmin, CreateBucket,
                     CreateBucket(std::string("ph\0tos", 6)), INVALID_ARGUMENT,
                     "bucket"),
          MASTER_ROW("bucket name of invalid UTF-8", Auth::kAdmin, CreateBucket,
                     CreateBucket("bad\xff\xfe"), INVALID_ARGUMENT,
                     "byte 0xff"),
          MASTER_ROW("bucket name with a slash", Auth::kAdmin, CreateBucket,
                     CreateBucket("pho/tos"), INVALID_ARGUMENT, "bucket"),
          MASTER_ROW("bucket name already taken", Auth::kAdmin, CreateBucket,
                     CreateBucket("alpha"), ALREADY_EXISTS, "alpha"),
          MASTER_ROW("listing a bucket with a bad name", Auth::kAdmin,
                     ListObjects, ListObjects("Alpha"), INVALID_ARGUMENT,
                     "Alpha"),

      });
  // Unknown and non-empty buckets.
  AddGroup(rows, "unknown buckets",
           {
               MASTER_ROW("deleting an unknown bucket", Auth::kAdmin,
                          DeleteBucket, DeleteBucket("no-such-bucket"),
                          NOT_FOUND, "no-such-bucket"),
               MASTER_ROW("deleting a bucket that holds objects", Auth::kAdmin,
                          DeleteBucket, DeleteBucket("beta"),
                          FAILED_PRECONDITION, "not empty"),
               MASTER_ROW("uploading into an unknown bucket", Auth::kAdmin,
                          BeginUpload, BeginUpload("no-such-bucket", "k", 1),
                          NOT_FOUND, "no-such-bucket"),
               MASTER_ROW("looking up in an unknown bucket", Auth::kAdmin,
                          LookupObject, LookupObject("no-such-bucket", "k"),
                          NOT_FOUND, "no-such-bucket"),
               MASTER_ROW("listing an unknown bucket", Auth::kAdmin,
                          ListObjects, ListObjects("no-such-bucket"), NOT_FOUND,
                          "no-such-bucket"),

           });
  // Object keys.
  AddGroup(
      rows, "object keys",
      {
          MASTER_ROW("empty key in BeginUpload", Auth::kAdmin, BeginUpload,
                     BeginUpload("alpha", "", 1), INVALID_ARGUMENT, "key"),
          MASTER_ROW("key of 1025 bytes in BeginUpload", Auth::kAdmin,
                     BeginUpload, BeginUpload("alpha", long_key, 1),
                     INVALID_ARGUMENT, "key"),
          MASTER_ROW("key of invalid UTF-8 in BeginUpload", Auth::kAdmin,
                     BeginUpload, BeginUpload("alpha", bad_utf8, 1),
                     INVALID_ARGUMENT, "UTF-8"),
          MASTER_ROW("key with a NUL in BeginUpload", Auth::kAdmin, BeginUpload,
                     BeginUpload("alpha", nul_key, 1), INVALID_ARGUMENT, "NUL"),
          MASTER_ROW("empty key in LookupObject", Auth::kAdmin, LookupObject,
                     LookupObject("alpha", ""), INVALID_ARGUMENT, "key"),
          MASTER_ROW("key of invalid UTF-8 in LookupObject", Auth::kAdmin,
                     LookupObject, LookupObject("alpha", bad_utf8),
                     INVALID_ARGUMENT, "UTF-8"),
          MASTER_ROW("key with a NUL in StatObject", Auth::kAdmin, StatObject,
                     StatObject("alpha", nul_key), INVALID_ARGUMENT, "NUL"),
          MASTER_ROW("key of 1025 bytes in DeleteObject", Auth::kAdmin,
                     DeleteObject, DeleteObject("alpha", long_key),
                     INVALID_ARGUMENT, "key"),
          MASTER_ROW("empty key in DeleteObject", Auth::kAdmin, DeleteObject,
                     DeleteObject("alpha", ""), INVALID_ARGUMENT, "key"),
          MASTER_ROW("stating a key that does not exist", Auth::kAdmin,
                     StatObject, StatObject("alpha", "missing"), NOT_FOUND,
                     "missing"),
          MASTER_ROW("deleting a key that does not exist", Auth::kAdmin,
                     DeleteObject, DeleteObject("alpha", "missing"), NOT_FOUND,
                     "missing"),
          MASTER_ROW("a key that differs only in case", Auth::kAdmin,
                     LookupObject, LookupObject("alpha", "A.TXT"), NOT_FOUND,
                     "A.TXT"),
          MASTER_ROW("a GET url lifetime past the master's maximum",
                     Auth::kAdmin, LookupObject,
                     WithUrlLifetime(LookupObject("alpha", "a.txt"),
                                     7 * 24 * 3600 + 1),
                     INVALID_ARGUMENT, "168h"),
          MASTER_ROW("a PUT url lifetime past the master's maximum",
                     Auth::kAdmin, BeginUpload,
                     WithUrlLifetime(BeginUpload("alpha", "new", 1),
                                     0xffffffff),
                     INVALID_ARGUMENT, "max-url-lifetime"),

      });
  // Listings.
  AddGroup(
      rows, "listings",
      {
          MASTER_ROW("a page size of 2^32-1, which is cut to 1000",
                     Auth::kAdmin, ListObjects, PageSize(~uint32_t{0}), OK, ""),
          MASTER_ROW("a continuation token that is not one", Auth::kAdmin,
                     ListObjects, ListObjects("alpha", "", "", "garbage!"),
                     INVALID_ARGUMENT, "token"),
          MASTER_ROW("a token replayed with another prefix", Auth::kAdmin,
                     ListObjects, ListObjects("alpha", "dir/", "", token),
                     INVALID_ARGUMENT, "token"),
          MASTER_ROW("a token replayed with another delimiter", Auth::kAdmin,
                     ListObjects, ListObjects("alpha", "", "/", token),
                     INVALID_ARGUMENT, "token"),
          MASTER_ROW("a token replayed on another bucket", Auth::kAdmin,
                     ListObjects, ListObjects("beta", "", "", token),
                     INVALID_ARGUMENT, "token"),
          MASTER_ROW(
              "a token cut short", Auth::kAdmin, ListObjects,
              ListObjects("alpha", "", "", token.substr(0, token.size() / 2)),
              INVALID_ARGUMENT, "token"),
          MASTER_ROW("a continuation token of invalid UTF-8", Auth::kAdmin,
                     ListObjects, ListObjects("alpha", "", "", bad_utf8),
                     INVALID_ARGUMENT, "token"),
          MASTER_ROW("a prefix of invalid UTF-8", Auth::kAdmin, ListObjects,
                     ListObjects("alpha", bad_utf8), INVALID_ARGUMENT,
                     "prefix"),
          MASTER_ROW("a prefix with a NUL", Auth::kAdmin, ListObjects,
                     ListObjects("alpha", nul_key), INVALID_ARGUMENT, "prefix"),
          MASTER_ROW("a prefix of 1025 bytes", Auth::kAdmin, ListObjects,
                     ListObjects("alpha", long_key), INVALID_ARGUMENT,
                     "prefix"),
          MASTER_ROW("a delimiter of invalid UTF-8", Auth::kAdmin, ListObjects,
                     ListObjects("alpha", "", "\xff"), INVALID_ARGUMENT,
                     "delimiter"),
          MASTER_ROW("a delimiter with a NUL", Auth::kAdmin, ListObjects,
                     ListObjects("alpha", "", std::string("\0", 1)),
                     INVALID_ARGUMENT, "delimiter"),

      });
  // Uploads.
  AddGroup(
      rows, "uploads",
      {
          MASTER_ROW("a content type with a newline", Auth::kAdmin, BeginUpload,
                     BeginUpload("alpha", "new", 1, "text/plain\r\nX-Evil: 1"),
                     INVALID_ARGUMENT, "content type"),
          MASTER_ROW("a content type of 256 bytes", Auth::kAdmin, BeginUpload,
                     BeginUpload("alpha", "new", 1, std::string(256, 't')),
                     INVALID_ARGUMENT, "content type"),
          MASTER_ROW("a content type that is not ASCII", Auth::kAdmin,
                     BeginUpload,
                     BeginUpload("alpha", "new", 1, "text/pl\xc3\xa4in"),
                     INVALID_ARGUMENT, "content type"),
          MASTER_ROW("a content type of invalid UTF-8", Auth::kAdmin,
                     BeginUpload, BeginUpload("alpha", "new", 1, "text/\xff"),
                     INVALID_ARGUMENT, "content type"),
          MASTER_ROW("a size of 2^64-1 (a negative size cast)", Auth::kAdmin,
                     BeginUpload, BeginUpload("alpha", "new", ~uint64_t{0}),
                     OUT_OF_RANGE, "18446744073709551615"),
          MASTER_ROW("a size one byte over the maximum", Auth::kAdmin,
                     BeginUpload, BeginUpload("alpha", "new", (1 << 20) + 1),
                     OUT_OF_RANGE, "1048577"),

      });
  // Ranges.
  AddGroup(rows, "ranges",
           {
               MASTER_ROW("a range that starts past the end", Auth::kAdmin,
                          LookupObject,
                          LookupObject("alpha", "a.txt", ByteRange{13, 20}),
                          OUT_OF_RANGE, "a.txt"),
               MASTER_ROW("a range that ends before it starts", Auth::kAdmin,
                          LookupObject,
                          LookupObject("alpha", "a.txt", ByteRange{5, 2}),
                          INVALID_ARGUMENT, "range"),

           });
  // Administration.
  AddGroup(
      rows, "administration",
      {
          MASTER_ROW("compacting volume 0, which is never assigned",
                     Auth::kAdmin, CompactVolume, CompactVolumeId(0), NOT_FOUND,
                     "volume 0"),
          MASTER_ROW("compacting a volume that does not exist", Auth::kAdmin,
                     CompactVolume, CompactVolumeId(4000000), NOT_FOUND,
                     "4000000"),
          MASTER_ROW("compacting at a garbage ratio above 1", Auth::kAdmin,
                     CompactVolume, CompactRatio(1.5), INVALID_ARGUMENT, "1.5"),
          MASTER_ROW("compacting at a garbage ratio of 0", Auth::kAdmin,
                     CompactVolume, CompactRatio(0), INVALID_ARGUMENT, "ratio"),
          MASTER_ROW("compacting at a negative garbage ratio", Auth::kAdmin,
                     CompactVolume, CompactRatio(-0.5), INVALID_ARGUMENT,
                     "ratio"),
          MASTER_ROW("compacting with no target", Auth::kAdmin, CompactVolume,
                     v1::CompactVolumeRequest(), INVALID_ARGUMENT, ""),
          MASTER_ROW("marking volume 0, which is never assigned", Auth::kAdmin,
                     SetVolumeReadOnly, MarkReadOnly(0), NOT_FOUND, "volume 0"),
          MASTER_ROW("marking a volume that does not exist", Auth::kAdmin,
                     SetVolumeReadOnly, MarkReadOnly(4000000), NOT_FOUND,
                     "4000000"),
          MASTER_STREAM_ROW("verifying volume 0, which is never assigned",
                            Auth::kAdmin, VerifyVolume, VerifyVolume(0),
                            INVALID_ARGUMENT, "volume id 0"),
          MASTER_STREAM_ROW("verifying a volume that does not exist",
                            Auth::kAdmin, VerifyVolume, VerifyVolume(4000000),
                            NOT_FOUND, "4000000"),
          MASTER_ROW("draining a server that never registered", Auth::kAdmin,
                     SetServerDraining, DrainServer("feedfacefeedface"),
                     NOT_FOUND, "feedfacefeedface"),
          MASTER_ROW("draining a server with an empty id", Auth::kAdmin,
                     SetServerDraining, DrainServer(""), NOT_FOUND,
                     "volume server"),
          MASTER_ROW("an admin key limited to buckets", Auth::kAdmin,
                     CreateAccessKey, CreateKey(v1::ROLE_ADMIN, {"alpha"}),
                     INVALID_ARGUMENT, "admin"),
          MASTER_ROW("an access key of no role", Auth::kAdmin, CreateAccessKey,
                     CreateKey(v1::ROLE_UNSPECIFIED, {}), INVALID_ARGUMENT,
                     "role"),
          MASTER_ROW("an access key for a bad bucket name", Auth::kAdmin,
                     CreateAccessKey,
                     CreateKey(v1::ROLE_READ_WRITE, {"Bad_Name"}),
                     INVALID_ARGUMENT, "Bad_Name"),
          MASTER_ROW("an access key with a description over 256 bytes",
                     Auth::kAdmin, CreateAccessKey,
                     CreateKey(v1::ROLE_READ_WRITE, {}, std::string(257, 'd')),
                     INVALID_ARGUMENT, "description"),
          MASTER_ROW("an access key description of invalid UTF-8", Auth::kAdmin,
                     CreateAccessKey,
                     CreateKey(v1::ROLE_READ_WRITE, {}, "caf\xe9"),
                     INVALID_ARGUMENT, "description"),
          MASTER_ROW("revoking a key id of invalid UTF-8", Auth::kAdmin,
                     RevokeAccessKey, RevokeKey("WH\xff"), INVALID_ARGUMENT,
                     "access key id"),
          MASTER_ROW("revoking a key that does not exist", Auth::kAdmin,
                     RevokeAccessKey, RevokeKey("WHNOSUCHKEY000000000"),
                     NOT_FOUND, "WHNOSUCHKEY000000000"),
          MASTER_ROW("revoking the last admin key", Auth::kAdmin,
                     RevokeAccessKey, RevokeKey(admin_id), FAILED_PRECONDITION,
                     "last admin"),
      });

  // The Cluster service takes only the cluster key (docs/rpc.md).
  auto cluster_stub = std::shared_ptr<v1::Cluster::Stub>(
      v1::Cluster::NewStub(grpc::CreateChannel(
          fx.cluster().master_address(), grpc::InsecureChannelCredentials())));
  auto report_row = [&](std::string name, Auth auth,
                        v1::ReportUploadsRequest request, grpc::StatusCode code,
                        std::string fragment) {
    return GrpcRow{
        std::move(name),
        auth,
        FullMethodName(v1::Cluster::service_full_name(), "ReportUploads"),
        [cluster_stub, request](grpc::ClientContext* context) {
          v1::ReportUploadsResponse response;
          return cluster_stub->ReportUploads(context, request, &response);
        },
        code,
        std::move(fragment)};
  };
  v1::ReportUploadsRequest forged;
  forged.set_server_id("not-a-registered-server");
  v1::UploadReport* report = forged.add_uploads();
  report->set_upload_id(std::string(32, '0'));
  report->set_file_id(fx.FileIdOf("beta", "one"));
  report->set_size_bytes(1);
  std::vector<GrpcRow> cluster_rows;
  cluster_rows.push_back(
      report_row("an access key reporting uploads", Auth::kAdmin, forged,
                 grpc::StatusCode::UNAUTHENTICATED, "unknown key"));
  cluster_rows.push_back(report_row("reporting uploads unsigned", Auth::kNone,
                                    forged, grpc::StatusCode::UNAUTHENTICATED,
                                    "no authorization metadata"));
  cluster_rows.push_back(report_row(
      "a server that never registered reporting uploads", Auth::kClusterKey,
      forged, grpc::StatusCode::UNAVAILABLE, "not-a-registered-server"));
  AddGroup(rows, "cluster service", std::move(cluster_rows));

  // Heartbeat streams that must be refused (docs/rpc.md, "Heartbeat"),
  // none of which may disturb the running volume server's own stream.
  auto heartbeat_row = [&](std::string name, Auth auth,
                           std::vector<v1::VolumeServerMessage> messages,
                           grpc::StatusCode code, std::string fragment) {
    return GrpcRow{
        std::move(name),
        auth,
        FullMethodName(v1::Cluster::service_full_name(), "Heartbeat"),
        [cluster_stub, messages](grpc::ClientContext* context) {
          auto stream = cluster_stub->Heartbeat(context);
          for (const v1::VolumeServerMessage& message : messages) {
            if (!stream->Write(message)) break;
          }
          stream->WritesDone();
          v1::MasterCommand command;
          while (stream->Read(&command)) {
          }
          return stream->Finish();
        },
        code,
        std::move(fragment)};
  };
  auto registration = [](const std::string& server_id,
                         const std::string& address,
                         std::vector<uint32_t> volumes = {}) {
    v1::VolumeServerMessage message;
    v1::Registration* r = message.mutable_registration();
    r->set_server_id(server_id);
    r->set_public_address(address);
    r->set_max_volumes(8);
    for (uint32_t id : volumes) r->add_volumes()->set_volume_id(id);
    return message;
  };
  const auto [running_server, held_volume] = RunningServerAndVolume(fx);
  v1::VolumeServerMessage report_first;
  report_first.mutable_heartbeat()->set_disk_free_bytes(1);
  const v1::VolumeServerMessage ghost =
      registration("bad-input-ghost", "127.0.0.1:9");
  std::vector<GrpcRow> heartbeat_rows;
  heartbeat_rows.push_back(heartbeat_row(
      "a heartbeat stream signed with an access key", Auth::kAdmin, {ghost},
      grpc::StatusCode::UNAUTHENTICATED, "unknown key"));
  heartbeat_rows.push_back(heartbeat_row(
      "an unsigned heartbeat stream", Auth::kNone, {ghost},
      grpc::StatusCode::UNAUTHENTICATED, "no authorization metadata"));
  heartbeat_rows.push_back(heartbeat_row(
      "a heartbeat stream opened by a report, not a registration",
      Auth::kClusterKey, {report_first}, grpc::StatusCode::INVALID_ARGUMENT,
      "must be a registration"));
  heartbeat_rows.push_back(heartbeat_row(
      "a heartbeat stream opened by an empty message", Auth::kClusterKey,
      {v1::VolumeServerMessage()}, grpc::StatusCode::INVALID_ARGUMENT,
      "must be a registration"));
  heartbeat_rows.push_back(
      heartbeat_row("a registration with a server id holding a space",
                    Auth::kClusterKey, {registration("bad id", "127.0.0.1:9")},
                    grpc::StatusCode::INVALID_ARGUMENT, "may hold only"));
  heartbeat_rows.push_back(heartbeat_row(
      "a registration with an address without a port", Auth::kClusterKey,
      {registration("bad-input-ghost", "127.0.0.1")},
      grpc::StatusCode::INVALID_ARGUMENT, "is not host:port"));
  heartbeat_rows.push_back(
      heartbeat_row("a registration with port 0", Auth::kClusterKey,
                    {registration("bad-input-ghost", "127.0.0.1:0")},
                    grpc::StatusCode::INVALID_ARGUMENT, "is not host:port"));
  heartbeat_rows.push_back(
      heartbeat_row("a registration of volume 0", Auth::kClusterKey,
                    {registration("bad-input-ghost", "127.0.0.1:9", {0})},
                    grpc::StatusCode::INVALID_ARGUMENT, "volume id 0"));
  heartbeat_rows.push_back(heartbeat_row(
      "a registration sent twice on one stream", Auth::kClusterKey,
      {ghost, ghost}, grpc::StatusCode::INVALID_ARGUMENT,
      "may only be the first"));
  heartbeat_rows.push_back(heartbeat_row(
      "a registration under the running server's id", Auth::kClusterKey,
      {registration(running_server, "127.0.0.1:9")},
      grpc::StatusCode::ALREADY_EXISTS, running_server));
  heartbeat_rows.push_back(heartbeat_row(
      "a registration claiming a volume the running server holds",
      Auth::kClusterKey,
      {registration("bad-input-ghost", "127.0.0.1:9", {held_volume})},
      grpc::StatusCode::FAILED_PRECONDITION, "is held by"));
  AddGroup(rows, "heartbeat", std::move(heartbeat_rows));
  return rows;
}

const char* CodeName(grpc::StatusCode code) {
  static const char* kNames[] = {"OK",
                                 "CANCELLED",
                                 "UNKNOWN",
                                 "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED",
                                 "NOT_FOUND",
                                 "ALREADY_EXISTS",
                                 "PERMISSION_DENIED",
                                 "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION",
                                 "ABORTED",
                                 "OUT_OF_RANGE",
                                 "UNIMPLEMENTED",
                                 "INTERNAL",
                                 "UNAVAILABLE",
                                 "DATA_LOSS",
                                 "UNAUTHENTICATED"};
  const int index = static_cast<int>(code);
  return index >= 0 && index <= 16 ? kNames[index] : "?";
}

}  // namespace

std::string GrpcRowGroups(size_t* count) {
  absl::StatusOr<BadInputFixture*> fx = BadInputFixture::Get();
  if (!fx.ok()) return fx.status().ToString();
  const std::vector<GrpcRow> rows = GrpcRows(**fx);
  *count = rows.size();
  return GroupCounts(rows);
}

TEST_CASE("every bad gRPC input gets its documented status and changes nothing",
          "[e2e][bad_input][grpc]") {
  absl::StatusOr<BadInputFixture*> started = BadInputFixture::Get();
  INFO(started.status().ToString());
  REQUIRE(started.ok());
  BadInputFixture& fx = **started;
  const std::vector<GrpcRow> rows = GrpcRows(fx);
  const absl::Time start = absl::Now();
  size_t passed = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const GrpcRow& row = rows[i];
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kRowTimeout));
    for (const std::string& value :
         AuthorizationFor(row.auth, row.full_method, fx)) {
      context.AddMetadata(kAuthorizationMetadataKey, value);
    }
    const grpc::Status status = row.call(&context);
    INFO("row: " << row.name << "\n  got " << CodeName(status.error_code())
                 << " \"" << status.error_message() << "\"\n  expected "
                 << CodeName(row.code) << " containing \"" << row.fragment
                 << "\"");
    const bool ok = status.error_code() == row.code &&
                    absl::StrContains(status.error_message(), row.fragment);
    CHECK(ok);
    passed += ok;
    if (EndsGroup(rows, i)) {
      INFO("stored data after the " << row.group << " rows");
      CHECK(fx.CheckStoredData() == "");
    }
  }
  std::printf(
      "gRPC bad inputs: %zu rows (%s), %zu answered as documented, %.1f s\n",
      rows.size(), GroupCounts(rows).c_str(), passed,
      absl::ToDoubleSeconds(absl::Now() - start));
}

}  // namespace warehouse::testing
