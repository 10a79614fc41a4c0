#include "tools/http_bench_targets.h"

#include <atomic>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/grpc_auth.h"
#include "common/signed_url.h"
#include "common/status_mapping.h"
#include "proto/warehouse/master.grpc.pb.h"

namespace warehouse::bench {
namespace {

constexpr char kContentType[] = "application/octet-stream";

// A PUT of `object` to the signed `url` (path and query) on the volume
// server at `host_port`.
Op WarehousePut(const std::string& host_port, const std::string& url,
                const BenchObject& object) {
  Op op;
  op.head = absl::StrCat("PUT ", url, " HTTP/1.1\r\nHost: ", host_port,
                         "\r\nContent-Type: ", kContentType,
                         "\r\nContent-Length: ", object.size, "\r\n\r\n");
  op.body_seed = object.seed;
  op.body_size = object.size;
  op.status_low = op.status_high = 200;
  op.check_etag = true;
  op.etag_crc = object.crc;
  return op;
}

// A GET of `object`, stored as `file_id`, with a url signed here.
absl::StatusOr<Op> WarehouseGet(const std::string& host_port,
                                const KeyRing& keys, absl::Duration ttl,
                                const FileId& file_id,
                                const BenchObject& object) {
  UrlGrant grant;
  grant.file_id = file_id;
  grant.expires_unix_seconds = absl::ToUnixSeconds(absl::Now() + ttl);
  absl::StatusOr<std::string> url = SignUrl(grant, keys);
  if (!url.ok()) return url.status();
  Op op;
  op.head =
      absl::StrCat("GET ", *url, " HTTP/1.1\r\nHost: ", host_port, "\r\n\r\n");
  op.status_low = op.status_high = 200;
  op.check_body = true;
  op.response_size = object.size;
  op.response_crc = object.crc;
  op.check_etag = true;
  op.etag_crc = object.crc;
  return op;
}

// The volume server with every url signed here, upload ids made up: for a
// master that records whatever is reported (the fake).
class WarehouseTarget final : public Target {
 public:
  WarehouseTarget(std::string host_port, const KeyRing* keys,
                  absl::Duration ttl)
      : host_port_(std::move(host_port)), keys_(keys), ttl_(ttl) {}

  std::string name() const override { return "warehouse"; }

  absl::StatusOr<std::vector<Op>> Puts(
      const std::vector<BenchObject>& objects) override {
    std::vector<Op> ops;
    ops.reserve(objects.size());
    for (const BenchObject& object : objects) {
      UrlGrant grant;
      grant.access = UrlAccess::kWrite;
      grant.file_id = object.file_id;
      grant.expires_unix_seconds = absl::ToUnixSeconds(absl::Now() + ttl_);
      grant.content_length = object.size;
      grant.upload_id = absl::StrCat("bench-", object.seed);
      grant.content_type = kContentType;
      absl::StatusOr<std::string> url = SignUrl(grant, *keys_);
      if (!url.ok()) return url.status();
      ops.push_back(WarehousePut(host_port_, *url, object));
    }
    return ops;
  }

  absl::StatusOr<Op> Get(const BenchObject& object) override {
    return WarehouseGet(host_port_, *keys_, ttl_, object.file_id, object);
  }

 private:
  const std::string host_port_;
  const KeyRing* const keys_;
  const absl::Duration ttl_;
};

// Calls `method` of the Master service with the access key's signature.
template <typename Request, typename Response, typename Call>
absl::Status CallMaster(v1::Master::Stub& stub, const AccessKeyCredentials& key,
                        const char* method, const Request& request,
                        Response* response, Call call) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  absl::Status auth = AttachAuthorization(
      &context, FullMethodName(v1::Master::service_full_name(), method), key.id,
      key.secret, absl::Now());
  if (!auth.ok()) return auth;
  return FromGrpcStatus((stub.*call)(&context, request, response));
}

// The volume server behind a real master.
class MasterWarehouseTarget final : public Target {
 public:
  MasterWarehouseTarget(std::string host_port,
                        std::shared_ptr<grpc::Channel> master,
                        AccessKeyCredentials key, std::string bucket,
                        std::string prefix, int threads, const KeyRing* keys,
                        absl::Duration ttl)
      : host_port_(std::move(host_port)),
        stub_(v1::Master::NewStub(master)),
        key_(std::move(key)),
        bucket_(std::move(bucket)),
        prefix_(std::move(prefix)),
        threads_(std::max(threads, 1)),
        keys_(keys),
        ttl_(ttl) {}

  std::string name() const override { return "warehouse"; }
  bool asks_master() const override { return true; }

  absl::StatusOr<std::vector<Op>> Puts(
      const std::vector<BenchObject>& objects) override {
    std::vector<Op> ops(objects.size());
    std::vector<FileId> file_ids(objects.size());
    std::atomic<size_t> next{0};
    absl::Mutex mu;
    absl::Status error;
    auto work = [&] {
      for (size_t i = next++; i < objects.size(); i = next++) {
        absl::Status status = Begin(objects[i], &ops[i], &file_ids[i]);
        if (!status.ok()) {
          absl::MutexLock lock(&mu);
          if (error.ok()) error = status;
          next = objects.size();
        }
      }
    };
    std::vector<std::thread> workers;
    for (int t = 0; t < threads_; ++t) workers.emplace_back(work);
    for (std::thread& worker : workers) worker.join();
    if (!error.ok()) return error;
    for (size_t i = 0; i < objects.size(); ++i) {
      file_ids_[objects[i].seed] = file_ids[i];
    }
    return ops;
  }

  absl::StatusOr<Op> Get(const BenchObject& object) override {
    auto it = file_ids_.find(object.seed);
    if (it == file_ids_.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat(prefix_, object.seed, ": never uploaded"));
    }
    return WarehouseGet(host_port_, *keys_, ttl_, it->second, object);
  }

 private:
  // BeginUpload of `object`; its PUT into *op, where it goes into *file_id.
  absl::Status Begin(const BenchObject& object, Op* op, FileId* file_id) {
    v1::BeginUploadRequest request;
    request.set_bucket(bucket_);
    request.set_key(absl::StrCat(prefix_, object.seed));
    request.set_size_bytes(object.size);
    request.set_content_type(kContentType);
    v1::BeginUploadResponse response;
    absl::Status status =
        CallMaster(*stub_, key_, "BeginUpload", request, &response,
                   &v1::Master::Stub::BeginUpload);
    if (!status.ok()) return status;
    const std::string expected = absl::StrCat("http://", host_port_, "/");
    if (!absl::StartsWith(response.put_url(), expected)) {
      return absl::FailedPreconditionError(absl::StrCat(
          request.key(), ": the master placed it at ", response.put_url(),
          ", not on the volume server measured (", host_port_, ")"));
    }
    absl::StatusOr<FileId> parsed = FileId::Parse(response.file_id());
    if (!parsed.ok()) return parsed.status();
    *file_id = *parsed;
    *op = WarehousePut(host_port_,
                       response.put_url().substr(expected.size() - 1), object);
    return absl::OkStatus();
  }

  const std::string host_port_;
  const std::unique_ptr<v1::Master::Stub> stub_;
  const AccessKeyCredentials key_;
  const std::string bucket_;
  const std::string prefix_;
  const int threads_;
  const KeyRing* const keys_;
  const absl::Duration ttl_;
  absl::flat_hash_map<uint64_t, FileId> file_ids_;  // by object seed
};

class NginxTarget final : public Target {
 public:
  explicit NginxTarget(std::string host_port)
      : host_port_(std::move(host_port)) {}

  std::string name() const override { return "nginx"; }

  absl::StatusOr<std::vector<Op>> Puts(
      const std::vector<BenchObject>& objects) override {
    std::vector<Op> ops(objects.size());
    for (size_t i = 0; i < objects.size(); ++i) {
      const BenchObject& object = objects[i];
      Op& op = ops[i];
      op.head = absl::StrCat("PUT ", object.path, " HTTP/1.1\r\nHost: ",
                             host_port_, "\r\nContent-Type: ", kContentType,
                             "\r\nContent-Length: ", object.size, "\r\n\r\n");
      op.body_seed = object.seed;
      op.body_size = object.size;
      // 201 Created for a new file, 204 No Content for a replaced one.
      op.status_low = 201;
      op.status_high = 204;
    }
    return ops;
  }

  absl::StatusOr<Op> Get(const BenchObject& object) override {
    Op op;
    op.head = absl::StrCat("GET ", object.path, " HTTP/1.1\r\nHost: ",
                           host_port_, "\r\n\r\n");
    op.status_low = op.status_high = 200;
    op.check_body = true;
    op.response_size = object.size;
    op.response_crc = object.crc;
    return op;
  }

 private:
  const std::string host_port_;
};

}  // namespace

std::unique_ptr<Target> MakeWarehouseTarget(std::string host_port,
                                            const KeyRing* keys,
                                            absl::Duration ttl) {
  return std::make_unique<WarehouseTarget>(std::move(host_port), keys, ttl);
}

std::unique_ptr<Target> MakeMasterWarehouseTarget(
    std::string volume_host_port, std::shared_ptr<grpc::Channel> master,
    AccessKeyCredentials key, std::string bucket, std::string prefix,
    int threads, const KeyRing* keys, absl::Duration ttl) {
  return std::make_unique<MasterWarehouseTarget>(
      std::move(volume_host_port), std::move(master), std::move(key),
      std::move(bucket), std::move(prefix), threads, keys, ttl);
}

absl::Status EnsureBucket(std::shared_ptr<grpc::Channel> master,
                          const AccessKeyCredentials& key,
                          const std::string& bucket) {
  std::unique_ptr<v1::Master::Stub> stub = v1::Master::NewStub(master);
  v1::CreateBucketRequest request;
  request.set_bucket(bucket);
  v1::CreateBucketResponse response;
  absl::Status status = CallMaster(*stub, key, "CreateBucket", request,
                                   &response, &v1::Master::Stub::CreateBucket);
  if (absl::IsAlreadyExists(status)) return absl::OkStatus();
  return status;
}

std::unique_ptr<Target> MakeNginxTarget(std::string host_port) {
  return std::make_unique<NginxTarget>(std::move(host_port));
}

}  // namespace warehouse::bench
