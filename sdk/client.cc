// Client creation, and the calls that only talk to the master: buckets,
// metadata, listings, signed URLs and administration. Transfers are in
// client_transfer.cc and client_objects.cc.
#include "warehouse/client.h"

#include <functional>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/access_key.h"
#include "common/crypto.h"
#include "common/status_macros.h"
#include "sdk/client_impl.h"
#include "sdk/partial_file.h"
#include "sdk/proto_convert.h"

namespace warehouse {
namespace {

using Stub = v1::Master::Stub;

// The inclusive range of `options`, or nothing for the whole object.
// Errors: InvalidArgument (a zero length).
absl::StatusOr<std::optional<v1::ByteRange>> RangeOf(
    absl::string_view bucket, absl::string_view key,
    const GetOptions& options) {
  if (options.length && *options.length == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(bucket, "/", key, ": a range of length 0 reads nothing"));
  }
  if (options.offset == 0 && !options.length) return std::nullopt;
  v1::ByteRange range;
  range.set_first(options.offset);
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  range.set_last(!options.length || *options.length - 1 > kMax - options.offset
                     ? kMax
                     : options.offset + *options.length - 1);
  return range;
}

// A URL lifetime in whole seconds, rounded up; 0 for the master's default.
// Errors: InvalidArgument when negative or beyond what the field holds.
absl::StatusOr<uint32_t> LifetimeSeconds(absl::Duration lifetime) {
  if (lifetime < absl::ZeroDuration() ||
      lifetime > absl::Seconds(std::numeric_limits<uint32_t>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat("a url lifetime of ", absl::FormatDuration(lifetime),
                     " is not one a master signs"));
  }
  return static_cast<uint32_t>(
      absl::ToInt64Seconds(absl::Ceil(lifetime, absl::Seconds(1))));
}

}  // namespace

// ---- Creation ----

absl::StatusOr<std::unique_ptr<Client::Impl>> Client::Impl::Create(
    ClientOptions options) {
  if (options.master_address.empty()) {
    return absl::InvalidArgumentError("client: no master address");
  }
  RETURN_IF_ERROR(ValidateAccessKeyId(options.access_key_id));
  RETURN_IF_ERROR(ValidateAccessKeySecret(options.secret_access_key));
  if (options.max_attempts < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "client: max_attempts is ", options.max_attempts, ", must be >= 1"));
  }
  if (options.call_timeout <= absl::ZeroDuration() ||
      options.transfer_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("client: timeouts must be positive");
  }
  if (options.initial_backoff < absl::ZeroDuration() ||
      options.max_backoff < options.initial_backoff) {
    return absl::InvalidArgumentError(
        "client: backoffs must satisfy 0 <= initial_backoff <= max_backoff");
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.tls_root_certs) {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = *options.tls_root_certs;
    credentials = grpc::SslCredentials(tls);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(options.master_address, credentials);
  // Volume servers with TLS hand out https:// URLs; their certificates are
  // checked against the same roots as the master's, or the system's.
  absl::StatusOr<std::shared_ptr<const http::TlsContext>> tls =
      http::TlsContext::ForClient(options.tls_root_certs.value_or(""));
  if (!tls.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("client: tls_root_certs: ", tls.status().message()));
  }
  return std::unique_ptr<Impl>(
      new Impl(std::move(options), std::move(channel), *std::move(tls)));
}

Client::Impl::Impl(ClientOptions options, std::shared_ptr<grpc::Channel> channel,
                   std::shared_ptr<const http::TlsContext> tls)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      rpc_(channel_, options_.master_address, options_.access_key_id,
           options_.secret_access_key, options_.call_timeout,
           RetryPolicy{options_.max_attempts, options_.initial_backoff,
                       options_.max_backoff}),
      pool_(options_.transfer_timeout, /*max_idle_per_host=*/16, std::move(tls)),
      url_cache_(options_.read_url_cache_entries, options_.read_url_cache_ttl) {}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClientOptions options) {
  ASSIGN_OR_RETURN(std::unique_ptr<Impl> impl, Impl::Create(std::move(options)));
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

const ClientOptions& Client::options() const { return impl_->options(); }

// ---- Buckets ----

absl::Status Client::CreateBucket(absl::string_view bucket) {
  v1::CreateBucketRequest request;
  request.set_bucket(std::string(bucket));
  v1::CreateBucketResponse response;
  return impl_->rpc().Call(&Stub::CreateBucket, "CreateBucket", request,
                           &response, Idempotence::kUnsafe);
}

absl::StatusOr<std::vector<BucketInfo>> Client::ListBuckets() {
  v1::ListBucketsResponse response;
  RETURN_IF_ERROR(impl_->rpc().Call(&Stub::ListBuckets, "ListBuckets",
                                    v1::ListBucketsRequest(), &response,
                                    Idempotence::kSafe));
  std::vector<BucketInfo> buckets;
  buckets.reserve(response.buckets_size());
  for (const v1::BucketInfo& bucket : response.buckets()) {
    buckets.push_back(FromProto(bucket));
  }
  return buckets;
}

absl::Status Client::DeleteBucket(absl::string_view bucket) {
  v1::DeleteBucketRequest request;
  request.set_bucket(std::string(bucket));
  v1::DeleteBucketResponse response;
  return impl_->rpc().Call(&Stub::DeleteBucket, "DeleteBucket", request,
                           &response, Idempotence::kUnsafe);
}

// ---- Metadata ----

absl::StatusOr<ObjectInfo> Client::Stat(absl::string_view bucket,
                                        absl::string_view key) {
  v1::StatObjectRequest request;
  request.set_bucket(std::string(bucket));
  request.set_key(std::string(key));
  v1::StatObjectResponse response;
  RETURN_IF_ERROR(impl_->rpc().Call(&Stub::StatObject, "StatObject", request,
                                    &response, Idempotence::kSafe));
  return FromProto(response.object());
}

absl::Status Client::Delete(absl::string_view bucket, absl::string_view key) {
  v1::DeleteObjectRequest request;
  request.set_bucket(std::string(bucket));
  request.set_key(std::string(key));
  v1::DeleteObjectResponse response;
  impl_->url_cache().Invalidate(bucket, key);
  absl::Status deleted =
      impl_->rpc().Call(&Stub::DeleteObject, "DeleteObject", request,
                        &response, Idempotence::kUnsafe);
  impl_->url_cache().Invalidate(bucket, key);
  return deleted;
}

absl::StatusOr<ListPage> Client::ListObjects(
    absl::string_view bucket, const ListOptions& options,
    absl::string_view continuation_token) {
  v1::ListObjectsRequest request;
  request.set_bucket(std::string(bucket));
  request.set_prefix(options.prefix);
  request.set_delimiter(options.delimiter);
  request.set_page_size(options.page_size);
  request.set_continuation_token(std::string(continuation_token));
  v1::ListObjectsResponse response;
  RETURN_IF_ERROR(impl_->rpc().Call(&Stub::ListObjects, "ListObjects", request,
                                    &response, Idempotence::kSafe));
  ListPage page;
  page.objects.reserve(response.objects_size());
  for (const v1::ObjectInfo& object : response.objects()) {
    page.objects.push_back(FromProto(object));
  }
  page.common_prefixes.assign(response.common_prefixes().begin(),
                              response.common_prefixes().end());
  page.next_continuation_token = response.next_continuation_token();
  return page;
}

ObjectLister Client::NewLister(absl::string_view bucket, ListOptions options) {
  return ObjectLister(this, std::string(bucket), std::move(options));
}

absl::Status Client::ListPages(
    absl::string_view bucket, const ListOptions& options,
    const std::function<bool(const ListPage&)>& page_fn) {
  ObjectLister lister = NewLister(bucket, options);
  while (lister.HasNext()) {
    ASSIGN_OR_RETURN(ListPage page, lister.Next());
    if (!page_fn(page)) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<ListPage> ObjectLister::Next() {
  if (done_) {
    return absl::OutOfRangeError(
        absl::StrCat("bucket ", bucket_, ": the listing has no more pages"));
  }
  ASSIGN_OR_RETURN(ListPage page, client_->ListObjects(bucket_, options_,
                                                       continuation_token_));
  continuation_token_ = page.next_continuation_token;
  done_ = continuation_token_.empty();
  return page;
}

// ---- Signed URLs ----

absl::StatusOr<SignedUrl> Client::PresignGet(absl::string_view bucket,
                                             absl::string_view key,
                                             const GetOptions& options,
                                             absl::Duration lifetime) {
  ASSIGN_OR_RETURN(std::optional<v1::ByteRange> range,
                   RangeOf(bucket, key, options));
  ASSIGN_OR_RETURN(const uint32_t seconds, LifetimeSeconds(lifetime));
  v1::LookupObjectRequest request;
  request.set_bucket(std::string(bucket));
  request.set_key(std::string(key));
  if (range) *request.mutable_range() = *range;
  request.set_url_lifetime_seconds(seconds);
  v1::LookupObjectResponse response;
  RETURN_IF_ERROR(impl_->rpc().Call(&Stub::LookupObject, "LookupObject",
                                    request, &response, Idempotence::kSafe));
  SignedUrl url;
  url.method = "GET";
  url.url = response.get_url();
  url.expires = absl::FromUnixSeconds(response.expires_unix_seconds());
  url.object = FromProto(response.object());
  url.size_bytes = response.has_range()
                       ? response.range().last() - response.range().first() + 1
                       : response.object().size_bytes();
  url.content_type = response.object().content_type();
  return url;
}

absl::StatusOr<SignedUrl> Client::PresignPut(absl::string_view bucket,
                                             absl::string_view key,
                                             uint64_t size,
                                             absl::string_view content_type,
                                             absl::Duration lifetime) {
  ASSIGN_OR_RETURN(const uint32_t seconds, LifetimeSeconds(lifetime));
  v1::BeginUploadRequest request;
  request.set_bucket(std::string(bucket));
  request.set_key(std::string(key));
  request.set_size_bytes(size);
  request.set_content_type(content_type.empty() ? kDefaultContentType
                                                : std::string(content_type));
  request.set_url_lifetime_seconds(seconds);
  v1::BeginUploadResponse response;
  RETURN_IF_ERROR(impl_->rpc().Call(&Stub::BeginUpload, "BeginUpload", request,
                                    &response, Idempotence::kSafe));
  impl_->url_cache().Invalidate(bucket, key);
  SignedUrl url;
  url.method = "PUT";
  url.url = response.put_url();
  url.expires = absl::FromUnixSeconds(response.expires_unix_seconds());
  url.size_bytes = size;
  url.content_type = request.content_type();
  url.upload_id = response.upload_id();
  return url;
}

// ---- Administration ----

absl::StatusOr<std::vector<ServerInfo>> Client::ListServers() {
  v1::ListServersResponse response;
  RETURN_IF_ERROR(impl_->rpc().Call(&Stub::ListServers, "ListServers",
                                    v1::ListServersRequest(), &response,
                                    Idempotence::kSafe));
  std::vector<ServerInfo> servers;
  for (const v1::ServerInfo& server : response.servers()) {
    servers.push_back(FromProto(server));
  }
  return servers;
}

absl::StatusOr<std::vector<VolumeInfo>> Client::ListVolumes() {
  v1::ListVolumesResponse response;
  RETURN_IF_ERROR(impl_->rpc().Call(&Stub::ListVolumes, "ListVolumes",
                                    v1::ListVolumesRequest(), &response,
                                    Idempotence::kSafe));
  std::vector<VolumeInfo> volumes;
  for (const v1::VolumeInfo& volume : response.volumes()) {
    volumes.push_back(FromProto(volume));
  }
  return volumes;
}

absl::Status Client::CompactVolume(uint32_t volume_id,
                                   uint64_t bytes_per_second) {
  v1::CompactVolumeRequest request;
  request.set_volume_id(volume_id);
  request.set_bytes_per_second(bytes_per_second);
  v1::CompactVolumeResponse response;
  return impl_->rpc().Call(&Stub::CompactVolume, "CompactVolume", request,
                           &response, Idempotence::kUnsafe);
}

absl::StatusOr<VerificationReport> Client::VerifyVolume(
    uint32_t volume_id, uint64_t bytes_per_second,
    const std::function<void(uint64_t, uint64_t)>& progress,
    absl::Duration timeout) {
  v1::VerifyVolumeRequest request;
  request.set_volume_id(volume_id);
  request.set_bytes_per_second(bytes_per_second);
  std::optional<v1::VerificationDone> done;
  const std::function<absl::Status(const v1::VerificationProgress&)> each =
      [&](const v1::VerificationProgress& message) {
        if (message.has_step() && progress) {
          progress(message.step().checked_bytes(),
                   message.step().total_bytes());
        }
        if (message.has_done()) done = message.done();
        return absl::OkStatus();
      };
  RETURN_IF_ERROR(impl_->rpc().Stream(&Stub::VerifyVolume, "VerifyVolume",
                                      request, each, timeout));
  if (!done) {
    return absl::UnavailableError(absl::StrCat(
        "volume ", volume_id, ": the master ended the verification without "
        "a result"));
  }
  VerificationReport report;
  report.needles_checked = done->needles_checked();
  report.bytes_checked = done->bytes_checked();
  report.corrupt_count = done->corrupt_count();
  for (const v1::CorruptNeedle& needle : done->corrupt()) {
    report.corrupt.push_back(CorruptNeedleInfo{needle.needle_id(),
                                               needle.offset(), needle.error(),
                                               needle.bucket(), needle.key()});
  }
  return report;
}

absl::StatusOr<VolumeMoveInfo> Client::MoveVolume(
    uint32_t volume_id, const std::string& to_server_id,
    uint64_t bytes_per_second,
    const std::function<void(uint64_t, uint64_t)>& progress,
    absl::Duration timeout) {
  v1::MoveVolumeRequest request;
  request.set_volume_id(volume_id);
  request.set_to_server_id(to_server_id);
  request.set_bytes_per_second(bytes_per_second);
  std::optional<v1::MoveVolumeProgress::Done> done;
  const std::function<absl::Status(const v1::MoveVolumeProgress&)> each =
      [&](const v1::MoveVolumeProgress& message) {
        if (message.has_copied() && progress) {
          progress(message.copied().bytes(), message.copied().total_bytes());
        }
        if (message.has_done()) done = message.done();
        return absl::OkStatus();
      };
  RETURN_IF_ERROR(impl_->rpc().Stream(&Stub::MoveVolume, "MoveVolume",
                                      request, each, timeout));
  if (!done) {
    return absl::UnavailableError(absl::StrCat(
        "volume ", volume_id, ": the master ended the move without a "
        "result"));
  }
  return VolumeMoveInfo{done->from_server_id(), done->to_server_id(),
                        done->bytes(), done->writable()};
}

absl::StatusOr<MetadataBackupInfo> Client::BackupMetadata(
    const std::function<absl::Status(absl::string_view)>& sink,
    absl::Duration timeout) {
  ASSIGN_OR_RETURN(std::unique_ptr<Sha256> digest, Sha256::Create());
  uint64_t received = 0;
  std::optional<v1::BackupDone> done;
  const std::function<absl::Status(const v1::BackupPiece&)> each =
      [&](const v1::BackupPiece& piece) -> absl::Status {
        if (done.has_value()) {
          return absl::DataLossError(
              "metadata backup: the master sent bytes after its last message");
        }
        if (piece.has_done()) {
          done = piece.done();
          return absl::OkStatus();
        }
        digest->Update(piece.data());
        received += piece.data().size();
        return sink(piece.data());
      };
  RETURN_IF_ERROR(impl_->rpc().Stream(&Stub::BackupMetadata, "BackupMetadata",
                                      v1::BackupMetadataRequest(), each,
                                      timeout));
  if (!done.has_value()) {
    return absl::UnavailableError(absl::StrCat(
        "metadata backup: the master ended it after ", received,
        " bytes without saying it was whole"));
  }
  ASSIGN_OR_RETURN(const std::string sha256, digest->Finish());
  if (received != done->total_bytes() || sha256 != done->sha256()) {
    return absl::DataLossError(absl::StrCat(
        "metadata backup: received ", received, " bytes with SHA-256 ",
        HexEncode(sha256), ", the master sent ", done->total_bytes(),
        " with ", HexEncode(done->sha256())));
  }
  MetadataBackupInfo info;
  info.bytes = received;
  info.sha256_hex = HexEncode(sha256);
  return info;
}

absl::StatusOr<MetadataBackupInfo> Client::BackupMetadataToFile(
    const std::string& path, absl::Duration timeout) {
  ASSIGN_OR_RETURN(std::unique_ptr<PartialFile> file,
                   PartialFile::Create(path));
  ASSIGN_OR_RETURN(
      MetadataBackupInfo info,
      BackupMetadata(
          [&file](absl::string_view piece) { return file->Write(piece); },
          timeout));
  RETURN_IF_ERROR(file->Commit(/*sync_directory=*/true));
  return info;
}

absl::StatusOr<ConsistencyReport> Client::CheckConsistency(
    bool repair_orphans, uint32_t max_findings, absl::Duration timeout) {
  v1::CheckConsistencyRequest request;
  request.set_repair_orphans(repair_orphans);
  request.set_max_findings(max_findings);
  v1::CheckConsistencyResponse response;
  // Safe to repeat: a repair queues only needles nothing names, and a
  // needle already queued is named by its queued delete.
  RETURN_IF_ERROR(impl_->rpc().Call(&Stub::CheckConsistency,
                                    "CheckConsistency", request, &response,
                                    Idempotence::kSafe, timeout));
  ConsistencyReport report;
  report.volumes_checked = response.volumes_checked();
  report.volumes_unchecked = response.volumes_unchecked();
  report.objects_checked = response.objects_checked();
  report.needles_checked = response.needles_checked();
  report.needles_in_flight = response.needles_in_flight();
  report.orphans = response.orphans();
  report.missing = response.missing();
  report.orphans_queued = response.orphans_queued();
  report.findings_truncated = response.findings_truncated();
  for (const v1::ConsistencyFinding& finding : response.findings()) {
    ConsistencyFinding& out = report.findings.emplace_back();
    switch (finding.kind()) {
      case v1::FINDING_KIND_MISSING:
        out.kind = ConsistencyFinding::Kind::kMissing;
        break;
      case v1::FINDING_KIND_UNCHECKED_VOLUME:
        out.kind = ConsistencyFinding::Kind::kUncheckedVolume;
        break;
      default:
        out.kind = ConsistencyFinding::Kind::kOrphan;
        break;
    }
    out.volume_id = finding.volume_id();
    out.file_id = finding.file_id();
    out.bucket = finding.bucket();
    out.key = finding.key();
    out.detail = finding.detail();
  }
  return report;
}

absl::StatusOr<std::vector<uint32_t>> Client::CompactVolumes(
    double min_garbage_ratio, uint64_t bytes_per_second) {
  if (!(min_garbage_ratio > 0 && min_garbage_ratio <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "garbage ratio ", min_garbage_ratio, " is outside (0, 1]"));
  }
  v1::CompactVolumeRequest request;
  request.set_min_garbage_ratio(min_garbage_ratio);
  request.set_bytes_per_second(bytes_per_second);
  v1::CompactVolumeResponse response;
  RETURN_IF_ERROR(impl_->rpc().Call(&Stub::CompactVolume, "CompactVolume",
                                    request, &response, Idempotence::kUnsafe));
  return std::vector<uint32_t>(response.volume_ids().begin(),
                               response.volume_ids().end());
}

absl::StatusOr<VolumeInfo> Client::SetVolumeReadOnly(uint32_t volume_id,
                                                     bool read_only) {
  v1::SetVolumeReadOnlyRequest request;
  request.set_volume_id(volume_id);
  request.set_read_only(read_only);
  v1::SetVolumeReadOnlyResponse response;
  // Sent once, as the other administrative changes: the master has
  // already waited for the volume server, and an offline one stays so.
  RETURN_IF_ERROR(impl_->rpc().Call(&Stub::SetVolumeReadOnly,
                                    "SetVolumeReadOnly", request, &response,
                                    Idempotence::kUnsafe));
  return FromProto(response.volume());
}

absl::StatusOr<ServerInfo> Client::SetServerDraining(
    absl::string_view server_id, bool draining) {
  v1::SetServerDrainingRequest request;
  request.set_server_id(std::string(server_id));
  request.set_draining(draining);
  v1::SetServerDrainingResponse response;
  RETURN_IF_ERROR(impl_->rpc().Call(&Stub::SetServerDraining,
                                    "SetServerDraining", request, &response,
                                    Idempotence::kUnsafe));
  return FromProto(response.server());
}

absl::StatusOr<NewAccessKey> Client::CreateAccessKey(
    AccessKeyRole role, const std::vector<std::string>& buckets,
    absl::string_view description) {
  v1::CreateAccessKeyRequest request;
  request.set_role(ToProto(role));
  for (const std::string& bucket : buckets) request.add_buckets(bucket);
  request.set_description(std::string(description));
  v1::CreateAccessKeyResponse response;
  RETURN_IF_ERROR(impl_->rpc().Call(&Stub::CreateAccessKey, "CreateAccessKey",
                                    request, &response, Idempotence::kUnsafe));
  NewAccessKey key;
  key.key = FromProto(response.key());
  key.secret_access_key = response.secret_access_key();
  return key;
}

absl::StatusOr<std::vector<AccessKeyInfo>> Client::ListAccessKeys() {
  v1::ListAccessKeysResponse response;
  RETURN_IF_ERROR(impl_->rpc().Call(&Stub::ListAccessKeys, "ListAccessKeys",
                                    v1::ListAccessKeysRequest(), &response,
                                    Idempotence::kSafe));
  std::vector<AccessKeyInfo> keys;
  for (const v1::AccessKeyInfo& key : response.keys()) {
    keys.push_back(FromProto(key));
  }
  return keys;
}

absl::Status Client::RevokeAccessKey(absl::string_view access_key_id) {
  v1::RevokeAccessKeyRequest request;
  request.set_access_key_id(std::string(access_key_id));
  v1::RevokeAccessKeyResponse response;
  return impl_->rpc().Call(&Stub::RevokeAccessKey, "RevokeAccessKey", request,
                           &response, Idempotence::kUnsafe);
}

}  // namespace warehouse
