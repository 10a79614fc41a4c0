#include "tests/e2e/bad_input_fixture.h"

#include <map>
#include <random>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "common/crc32c.h"
#include "common/grpc_auth.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "grpcpp/grpcpp.h"

namespace warehouse::testing {
namespace {

std::string Payload(uint32_t seed, size_t size) {
  std::mt19937 random(seed);
  std::string data(size, '\0');
  for (char& c : data) c = static_cast<char>(random());
  return data;
}

std::string CrcHex(absl::string_view data) {
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08x", crc32c::Value(data));
  return hex;
}

}  // namespace

absl::StatusOr<BadInputFixture*> BadInputFixture::Get() {
  // Destroyed at exit, which kills the cluster's processes.
  static std::unique_ptr<BadInputFixture> fixture;
  static absl::Status started = [] {
    std::unique_ptr<BadInputFixture> candidate(new BadInputFixture());
    absl::Status status = candidate->Start();
    if (status.ok()) fixture = std::move(candidate);
    return status;
  }();
  if (!started.ok()) return started;
  return fixture.get();
}

AccessKeyPair BadInputFixture::admin() const {
  return {cluster_->access_key_id(), cluster_->secret_access_key()};
}

absl::Status BadInputFixture::Start() {
  ClusterOptions options;
  options.master_bin = WAREHOUSE_MASTER_BIN;
  options.volume_bin = WAREHOUSE_VOLUME_BIN;
  options.volume_size = "64M";
  const std::string idle =
      absl::StrCat(absl::ToDoubleSeconds(kBadInputIdleTimeout));
  options.master_args = {"--http-idle-timeout", absl::StrCat(idle, "s"),
                         "--max-object-size", "1048576"};
  options.volume_args = {"--http-idle-timeout", idle};
  ASSIGN_OR_RETURN(cluster_, Cluster::Start(options));
  ASSIGN_OR_RETURN(KeyRing keys, KeyRing::Parse(cluster_->env()[0].second));
  cluster_keys_.emplace(std::move(keys));
  stub_ = v1::Master::NewStub(grpc::CreateChannel(
      cluster_->master_address(), grpc::InsecureChannelCredentials()));

  ClientOptions client_options;
  client_options.master_address = cluster_->master_address();
  client_options.access_key_id = cluster_->access_key_id();
  client_options.secret_access_key = cluster_->secret_access_key();
  client_options.read_url_cache_ttl = absl::ZeroDuration();
  client_options.call_timeout = absl::Seconds(10);
  ASSIGN_OR_RETURN(client_, Client::Create(client_options));

  buckets_ = {"alpha", "beta", "empty-bucket", "scoped"};
  for (const std::string& bucket : buckets_) {
    RETURN_IF_ERROR(client_->CreateBucket(bucket));
  }
  objects_ = {
      {"alpha", "a.txt", "text/plain", "hello, world\n"},
      {"alpha", "dir/b.bin", "application/octet-stream", Payload(1, 4096)},
      {"alpha", "dir/sub/c.bin", "application/octet-stream", Payload(2, 1)},
      // Larger than one 256 KiB read: served in streamed pieces.
      {"alpha", "big.bin", "application/octet-stream", Payload(3, 300 << 10)},
      {"alpha", "unicod\xc3\xa9/\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87",
       "image/svg+xml", Payload(4, 777)},
      {"beta", "one", "application/json", "{\"one\":1}"},
      {"beta", "two", "application/octet-stream", Payload(5, 100)},
      {"scoped", "s.txt", "text/plain", "scoped object\n"},
  };
  for (const StoredObject& object : objects_) {
    PutOptions put;
    put.content_type = object.content_type;
    RETURN_IF_ERROR(
        client_->Put(object.bucket, object.key, object.data, put).status());
  }

  ASSIGN_OR_RETURN(NewAccessKey read_write,
                   client_->CreateAccessKey(AccessKeyRole::kReadWrite, {},
                                            "bad input: read-write"));
  read_write_ = {read_write.key.access_key_id, read_write.secret_access_key};
  ASSIGN_OR_RETURN(NewAccessKey scoped,
                   client_->CreateAccessKey(AccessKeyRole::kReadWrite,
                                            {"scoped"}, "bad input: scoped"));
  scoped_ = {scoped.key.access_key_id, scoped.secret_access_key};
  ASSIGN_OR_RETURN(NewAccessKey revoked,
                   client_->CreateAccessKey(AccessKeyRole::kReadWrite, {},
                                            "bad input: revoked"));
  revoked_ = {revoked.key.access_key_id, revoked.secret_access_key};
  RETURN_IF_ERROR(client_->RevokeAccessKey(revoked_.id));
  return absl::OkStatus();
}

std::string BadInputFixture::FileIdOf(const std::string& bucket,
                                      const std::string& key) {
  absl::StatusOr<ObjectInfo> info = client_->Stat(bucket, key);
  if (!info.ok())
    FAIL("stat " << bucket << "/" << key << ": " << info.status());
  return info->file_id;
}

namespace {

// "http://host:port/path?query" -> "/path?query".
std::string PathAndQuery(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t slash =
      url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? url : url.substr(slash);
}

}  // namespace

std::string BadInputFixture::GetUrl(const std::string& bucket,
                                    const std::string& key,
                                    std::optional<ByteRange> range) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kRowTimeout));
  const absl::Status attached = AttachAuthorization(
      &context, FullMethodName(v1::Master::service_full_name(), "LookupObject"),
      cluster_->access_key_id(), cluster_->secret_access_key(), absl::Now());
  if (!attached.ok()) FAIL(attached);
  v1::LookupObjectRequest request;
  request.set_bucket(bucket);
  request.set_key(key);
  if (range.has_value()) {
    request.mutable_range()->set_first(range->first);
    request.mutable_range()->set_last(range->last);
  }
  v1::LookupObjectResponse response;
  const absl::Status status =
      FromGrpcStatus(stub_->LookupObject(&context, request, &response));
  if (!status.ok()) FAIL("lookup " << bucket << "/" << key << ": " << status);
  return PathAndQuery(response.get_url());
}

std::string BadInputFixture::PutUrl(const std::string& bucket,
                                    const std::string& key, uint64_t size,
                                    const std::string& content_type) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kRowTimeout));
  const absl::Status attached = AttachAuthorization(
      &context, FullMethodName(v1::Master::service_full_name(), "BeginUpload"),
      cluster_->access_key_id(), cluster_->secret_access_key(), absl::Now());
  if (!attached.ok()) FAIL(attached);
  v1::BeginUploadRequest request;
  request.set_bucket(bucket);
  request.set_key(key);
  request.set_size_bytes(size);
  request.set_content_type(content_type);
  v1::BeginUploadResponse response;
  const absl::Status status =
      FromGrpcStatus(stub_->BeginUpload(&context, request, &response));
  if (!status.ok())
    FAIL("begin upload " << bucket << "/" << key << ": " << status);
  return PathAndQuery(response.put_url());
}

std::string BadInputFixture::CheckStoredData() {
  std::string problems;
  auto problem = [&](auto&&... parts) {
    absl::StrAppend(&problems, parts..., "\n");
  };
  if (!cluster_->master().running()) problem("the master exited");
  if (!cluster_->volume_server(0).running())
    problem("the volume server exited");
  if (!problems.empty()) return problems;

  std::map<std::string, std::map<std::string, const StoredObject*>> expected;
  for (const std::string& bucket : buckets_) expected[bucket];
  for (const StoredObject& object : objects_) {
    expected[object.bucket][object.key] = &object;
  }

  absl::StatusOr<std::vector<BucketInfo>> buckets = client_->ListBuckets();
  if (!buckets.ok())
    return absl::StrCat("list buckets: ", buckets.status().ToString());
  std::set<std::string> seen_buckets;
  for (const BucketInfo& bucket : *buckets) {
    seen_buckets.insert(bucket.name);
    auto it = expected.find(bucket.name);
    if (it == expected.end()) {
      problem("extra bucket ", bucket.name);
      continue;
    }
    uint64_t bytes = 0;
    for (const auto& [key, object] : it->second) bytes += object->data.size();
    if (bucket.object_count != it->second.size() ||
        bucket.total_bytes != bytes) {
      problem("bucket ", bucket.name, ": ", bucket.object_count, " objects of ",
              bucket.total_bytes, " bytes, expected ", it->second.size(),
              " of ", bytes);
    }
  }
  for (const auto& entry : expected) {
    // Named references, not a structured binding: C++17 does not let the
    // lambda below capture one (clang refuses; gcc accepts).
    const auto& bucket = entry.first;
    const auto& objects = entry.second;
    if (seen_buckets.count(bucket) == 0) {
      problem("bucket ", bucket, " is gone");
      continue;
    }
    std::set<std::string> listed;
    const absl::Status listing =
        client_->ListPages(bucket, ListOptions{}, [&](const ListPage& page) {
          for (const ObjectInfo& info : page.objects) {
            listed.insert(info.key);
            auto it = objects.find(info.key);
            if (it == objects.end()) {
              problem("extra object ", bucket, "/", info.key);
              continue;
            }
            const StoredObject& object = *it->second;
            if (info.size_bytes != object.data.size() ||
                info.etag != CrcHex(object.data) ||
                info.content_type != object.content_type) {
              problem(bucket, "/", info.key, ": listed as ", info.size_bytes,
                      " bytes, etag ", info.etag, ", type ", info.content_type);
            }
          }
          return true;
        });
    if (!listing.ok()) problem("list ", bucket, ": ", listing.ToString());
    for (const auto& [key, object] : objects) {
      if (listed.count(key) == 0) problem(bucket, "/", key, ": not listed");
      absl::StatusOr<std::string> data = client_->Get(bucket, key);
      if (!data.ok()) {
        problem(bucket, "/", key, ": ", data.status().ToString());
      } else if (*data != object->data) {
        problem(bucket, "/", key, ": read back ", data->size(),
                " bytes that differ from the ", object->data.size(), " stored");
      }
    }
  }

  absl::StatusOr<std::vector<VolumeInfo>> volumes = client_->ListVolumes();
  if (!volumes.ok()) {
    problem("list volumes: ", volumes.status().ToString());
  } else {
    for (const VolumeInfo& volume : *volumes) {
      if (volume.read_only)
        problem("volume ", volume.volume_id, " is read-only");
      if (!volume.server_online) {
        problem("volume ", volume.volume_id, ": its server is offline");
      }
    }
  }
  return problems;
}

}  // namespace warehouse::testing
