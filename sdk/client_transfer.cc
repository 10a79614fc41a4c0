// The upload and download loops: one signed URL from the master, one HTTP
// exchange with a volume server, and the retries around them.
#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/crc32c.h"
#include "common/crypto.h"
#include "common/status_macros.h"
#include "sdk/client_impl.h"
#include "sdk/http_error.h"
#include "sdk/proto_convert.h"

namespace warehouse {
namespace {

using Stub = v1::Master::Stub;

// Passes a download's body on to the caller's sink, counting and
// checksumming what it passes. The HTTP client hands it only a success's
// body (an error's is collected in the response).
class DownloadGate {
 public:
  DownloadGate(const DownloadSink& sink, const ProgressFunction& progress,
               uint64_t total, uint64_t* delivered, uint32_t* crc)
      : sink_(sink),
        progress_(progress),
        total_(total),
        delivered_(delivered),
        crc_(crc) {}

  uint64_t passed() const { return passed_; }
  // The error of the caller's sink, or of too many bytes; OK otherwise.
  const absl::Status& failure() const { return failure_; }

  absl::Status Pass(absl::string_view piece) {
    if (*delivered_ + piece.size() > total_) {
      failure_ = absl::DataLossError(absl::StrCat(
          "the volume server sent more than the ", total_, " bytes asked"));
      return failure_;
    }
    *crc_ = crc32c::Extend(*crc_, piece.data(), piece.size());
    *delivered_ += piece.size();
    passed_ += piece.size();
    absl::Status sunk = sink_(piece);
    if (!sunk.ok()) {
      failure_ = sunk;
      return sunk;
    }
    if (progress_) progress_(*delivered_, total_);
    return absl::OkStatus();
  }

  const DownloadSink& sink_;
  const ProgressFunction& progress_;
  const uint64_t total_;
  uint64_t* const delivered_;
  uint32_t* const crc_;
  uint64_t passed_ = 0;
  absl::Status failure_;
};

// The CRC-32C an ETag names: a quoted string of 8 lowercase hex digits, as
// volume servers send (volume/data_path.cc); nullopt for anything else.
std::optional<uint32_t> EtagCrc(absl::string_view etag) {
  if (!absl::ConsumePrefix(&etag, "\"") || !absl::ConsumeSuffix(&etag, "\"") ||
      etag.size() != 8) {
    return std::nullopt;
  }
  absl::StatusOr<std::string> bytes = HexDecode(etag);
  if (!bytes.ok()) return std::nullopt;
  uint32_t crc = 0;
  for (char byte : *bytes) crc = (crc << 8) | static_cast<uint8_t>(byte);
  return crc;
}

}  // namespace

// ---- Uploads ----

absl::StatusOr<PutResult> Client::Impl::Upload(absl::string_view bucket,
                                               absl::string_view key,
                                               uint64_t size, UploadBody& body,
                                               const PutOptions& options) {
  const std::string name = absl::StrCat(bucket, "/", key);
  const std::string content_type = options.content_type.empty()
                                       ? kDefaultContentType
                                       : options.content_type;
  v1::BeginUploadRequest begin;
  begin.set_bucket(std::string(bucket));
  begin.set_key(std::string(key));
  begin.set_size_bytes(size);
  begin.set_content_type(content_type);
  const RetryPolicy& retry = rpc_.retry();
  absl::Status last;
  // The first PUT to fail may have found a pooled connection the volume
  // server had closed while idle: that one is retried at once.
  bool pause = true;
  for (int attempt = 0; attempt < retry.max_attempts; ++attempt) {
    if (attempt > 0) {
      absl::Status rewound = body.Rewind();
      if (!rewound.ok()) {
        return absl::Status(last.code(),
                            absl::StrCat(last.message(), "; not retried: ",
                                         rewound.message()));
      }
      if (pause) absl::SleepFor(retry.BackoffBefore(attempt));
      pause = true;
    }
    // A new upload each time: the one before may have been half written,
    // and will expire on its own.
    v1::BeginUploadResponse upload;
    absl::Status began =
        rpc_.CallOnce(&Stub::BeginUpload, "BeginUpload", begin, &upload);
    if (!began.ok()) {
      if (!IsRetryable(began)) return began;
      last = began;
      continue;
    }
    url_cache_.Invalidate(bucket, key);
    bool retryable = false;
    absl::StatusOr<PutResult> put =
        PutOnce(name, upload, size, content_type, body, options, &retryable);
    url_cache_.Invalidate(bucket, key);
    if (put.ok() || !retryable) return put;
    pause = attempt > 0;
    last = put.status();
  }
  if (retry.max_attempts == 1) return last;
  return absl::Status(last.code(), absl::StrCat(last.message(), " (",
                                                retry.max_attempts,
                                                " attempts)"));
}

absl::StatusOr<PutResult> Client::Impl::PutOnce(
    absl::string_view name, const v1::BeginUploadResponse& upload,
    uint64_t size, const std::string& content_type, UploadBody& body,
    const PutOptions& options, bool* retryable) {
  *retryable = false;
  absl::StatusOr<std::pair<http::Origin, std::string>> url =
      http::SplitUrl(upload.put_url());
  if (!url.ok()) {
    return absl::InternalError(absl::StrCat(
        name, ": the master sent a malformed upload url: ",
        url.status().message()));
  }
  const http::Origin& server = url->first;
  http::ClientRequest request;
  request.method = "PUT";
  request.target = url->second;
  request.headers = {{"Content-Type", content_type}};
  request.body_length = size;
  uint64_t sent = 0;
  uint32_t sent_crc = 0;  // CRC-32C of the `sent` bytes
  absl::Status body_failure;
  request.body_source = [&](char* buf, size_t n) -> absl::StatusOr<size_t> {
    absl::StatusOr<size_t> got = body.Read(buf, n);
    if (got.ok() && *got == 0) {
      got = absl::InvalidArgumentError(absl::StrCat(
          name, ": the upload ended after ", sent, " of ", size, " bytes"));
    }
    if (!got.ok()) {
      body_failure = got.status();
      return got;
    }
    sent_crc = crc32c::Extend(sent_crc, buf, *got);
    sent += *got;
    if (options.progress) options.progress(sent, size);
    return got;
  };

  absl::StatusOr<http::ClientResponse> response;
  if (body.rewindable()) {
    response = pool_.Send(server, request);
  } else {
    // A pooled connection the server has since closed would fail after the
    // source was read, and a source cannot be read twice: use a new one.
    absl::StatusOr<std::unique_ptr<http::Connection>> connection =
        pool_.Connect(server);
    response = connection.ok() ? (*connection)->Send(request)
                               : absl::StatusOr<http::ClientResponse>(
                                     connection.status());
  }
  if (!body_failure.ok()) return body_failure;
  if (!response.ok()) {
    *retryable = IsRetryable(response.status());
    return absl::Status(response.status().code(),
                        absl::StrCat(name, ": volume server ",
                                     response.status().message()));
  }
  if (response->status / 100 != 2) {
    absl::Status status =
        StatusFromHttpError(absl::StrCat(name, ": volume server ", server.host_port),
                            response->status, response->body);
    // 503 also for a volume that turned read-only: another upload goes
    // to another volume. 404: the master does not know the upload, as when
    // it restarted just after beginning it (docs/metadata_schema.md,
    // "Durability"); a new upload goes through.
    *retryable = IsRetryable(status) || response->status == 503 ||
                 response->status == 404;
    return status;
  }
  // The ETag is the CRC-32C of the bytes the server received and stored.
  // A byte changed on the way (a bit flip the TCP checksum missed, a faulty
  // middlebox) was stored and recorded as the object: only this comparison
  // sees it. A new upload replaces the object, and the master deletes the
  // bad needle as any overwritten one.
  const std::optional<std::string> etag = response->Header("ETag");
  const std::optional<uint32_t> stored_crc =
      etag ? EtagCrc(*etag) : std::nullopt;
  if (!stored_crc) {
    return absl::DataLossError(
        absl::StrCat(name, ": volume server ", server.host_port,
                     " answered HTTP ", response->status,
                     etag ? absl::StrCat(" with a malformed ETag ", *etag)
                          : std::string(" without an ETag"),
                     ", so the bytes it stored cannot be checked"));
  }
  if (*stored_crc != sent_crc) {
    *retryable = true;
    return absl::DataLossError(absl::StrFormat(
        "%s: volume server %s stored bytes with CRC-32C %08x, but the bytes "
        "sent have CRC-32C %08x: they were changed on the way, and the object "
        "now holds the wrong bytes unless a retry replaces them",
        name, server.host_port, *stored_crc, sent_crc));
  }
  PutResult result;
  result.etag = absl::StrFormat("%08x", *stored_crc);
  result.file_id = upload.file_id();
  result.size_bytes = size;
  return result;
}

// ---- Downloads ----

absl::StatusOr<Client::Impl::ReadTarget> Client::Impl::ResolveRead(
    absl::string_view bucket, absl::string_view key) {
  if (std::optional<CachedRead> hit =
          url_cache_.Find(bucket, key, absl::Now())) {
    return ReadTarget{*std::move(hit), true};
  }
  const uint64_t generation = url_cache_.generation();
  v1::LookupObjectRequest request;
  request.set_bucket(std::string(bucket));
  request.set_key(std::string(key));
  v1::LookupObjectResponse response;
  RETURN_IF_ERROR(
      rpc_.CallOnce(&Stub::LookupObject, "LookupObject", request, &response));
  CachedRead read;
  read.url = response.get_url();
  read.expires = absl::FromUnixSeconds(response.expires_unix_seconds());
  read.object = FromProto(response.object());
  url_cache_.Insert(bucket, key, read, generation, absl::Now());
  return ReadTarget{std::move(read), false};
}

absl::StatusOr<ObjectInfo> Client::Impl::Download(
    absl::string_view bucket, absl::string_view key, const GetOptions& options,
    const DownloadSink& sink, const std::function<void(uint64_t bytes)>& expect) {
  const std::string name = absl::StrCat(bucket, "/", key);
  if (options.length && *options.length == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": a range of length 0 reads nothing"));
  }
  const RetryPolicy& retry = rpc_.retry();
  uint64_t delivered = 0;  // bytes passed to `sink`, over all attempts
  uint32_t crc = 0;        // their CRC-32C
  std::optional<ObjectInfo> pinned;  // the object those bytes came from
  bool refreshed = false;  // a stale cached url was replaced once already
  bool pause = false;      // sleep before the next attempt
  absl::Status last;
  for (int attempt = 0; attempt < retry.max_attempts; ++attempt) {
    if (pause) absl::SleepFor(retry.BackoffBefore(attempt));
    pause = true;
    absl::StatusOr<ReadTarget> target = ResolveRead(bucket, key);
    if (!target.ok()) {
      if (!IsRetryable(target.status())) return target.status();
      last = target.status();
      continue;
    }
    const ObjectInfo& object = target->read.object;
    if (pinned && (object.etag != pinned->etag ||
                   object.file_id != pinned->file_id)) {
      return absl::AbortedError(absl::StrCat(
          name, ": replaced during the download (etag ", pinned->etag,
          ", now ", object.etag, ") after ", delivered, " bytes"));
    }
    const uint64_t size = object.size_bytes;
    const uint64_t begin = options.offset;
    if ((begin > 0 || options.length) && begin >= size) {
      return absl::OutOfRangeError(
          absl::StrCat(name, ": offset ", begin,
                       " is at or past the end of the object's ", size,
                       " bytes"));
    }
    const uint64_t end = options.length && *options.length < size - begin
                             ? begin + *options.length
                             : size;
    const uint64_t total = end - begin;
    const bool whole = begin == 0 && end == size;
    if (delivered == total) return object;  // nothing (left) to read
    if (expect && delivered == 0) expect(total);

    absl::StatusOr<std::pair<http::Origin, std::string>> url =
        http::SplitUrl(target->read.url);
    if (!url.ok()) {
      return absl::InternalError(absl::StrCat(
          name, ": the master sent a malformed download url: ",
          url.status().message()));
    }
    const http::Origin& server = url->first;
    http::ClientRequest request;
    request.method = "GET";
    request.target = url->second;
    if (!whole || delivered > 0) {
      request.headers = {{"Range", absl::StrCat("bytes=", begin + delivered,
                                                "-", end - 1)}};
    }
    DownloadGate gate(sink, options.progress, total, &delivered, &crc);
    request.body_sink = [&gate](absl::string_view piece) {
      return gate.Pass(piece);
    };
    absl::StatusOr<http::ClientResponse> response = pool_.Send(server, request);
    if (!gate.failure().ok()) return gate.failure();
    if (gate.passed() > 0) pinned = object;

    if (!response.ok()) {
      // The server is gone or cut the body short: ask the master again
      // and resume after the bytes already passed on.
      // A body cut short is the network's or the server's failure, not
      // damaged data: Unavailable, like a refused connection.
      url_cache_.Invalidate(bucket, key);
      const absl::StatusCode code = absl::IsDataLoss(response.status())
                                        ? absl::StatusCode::kUnavailable
                                        : response.status().code();
      absl::Status failed(code, absl::StrCat(name, ": volume server ",
                                             response.status().message()));
      if (!IsRetryable(failed)) return failed;
      last = failed;
      continue;
    }
    const int code = response->status;
    if (code == 200 || code == 206) {
      pinned = object;
      if (delivered != total) {
        return absl::DataLossError(absl::StrCat(
            name, ": volume server ", server.host_port, " sent ", delivered, " of ",
            total, " bytes"));
      }
      if (whole && absl::StrFormat("%08x", crc) != object.etag) {
        url_cache_.Invalidate(bucket, key);
        return absl::DataLossError(absl::StrFormat(
            "%s: received bytes have CRC-32C %08x, the object's etag is %s",
            name, crc, object.etag));
      }
      return object;
    }
    if (code / 100 == 2) {
      // Not an answer to a GET: whatever body it had went to the sink.
      return absl::DataLossError(
          absl::StrCat(name, ": volume server ", server.host_port,
                       " answered HTTP ", code, " to a GET, not 200 or 206"));
    }
    absl::Status status = StatusFromHttpError(
        absl::StrCat(name, ": volume server ", server.host_port), code,
        response->body);
    if ((code == 401 || code == 403 || code == 404) && target->cached &&
        !refreshed) {
      // The cached url went stale (object replaced or deleted elsewhere,
      // key rotated): try once more with a new one, at once.
      url_cache_.Invalidate(bucket, key);
      refreshed = true;
      pause = false;
      --attempt;
      continue;
    }
    if (!IsRetryable(status)) return status;
    url_cache_.Invalidate(bucket, key);
    last = status;
  }
  if (retry.max_attempts == 1) return last;
  return absl::Status(last.code(), absl::StrCat(last.message(), " (",
                                                retry.max_attempts,
                                                " attempts)"));
}

}  // namespace warehouse
