#include "volume/data_path.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/crash_point.h"
#include "common/crc32c.h"
#include "common/http_conditional.h"
#include "common/http_range.h"
#include "common/signed_url.h"
#include "common/status_mapping.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace warehouse::volume {
namespace {

constexpr size_t kBodyChunk = 256 << 10;
// Responses up to this size are built in memory and sent in one write.
constexpr uint64_t kSmallBody = 64 << 10;

// The raw query of a request target: what was signed.
absl::string_view RawQuery(const http::Request& request) {
  absl::string_view target = request.raw_target;
  size_t q = target.find('?');
  return q == absl::string_view::npos ? absl::string_view()
                                      : target.substr(q + 1);
}

// The path without its query, as received (a file id needs no decoding).
absl::string_view RawPath(const http::Request& request) {
  absl::string_view target = request.raw_target;
  return target.substr(0, target.find('?'));
}

std::string ETag(uint32_t crc) { return absl::StrFormat("\"%08x\"", crc); }

std::string HttpDate(uint64_t unix_ms) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT",
                          absl::FromUnixMillis(static_cast<int64_t>(unix_ms)),
                          absl::UTCTimeZone());
}

// Whether the master's verdict on an upload is final: the needle will never
// be recorded, so it can go.
bool Refused(const absl::Status& status) {
  return absl::IsNotFound(status) || absl::IsInvalidArgument(status) ||
         absl::IsFailedPrecondition(status) ||
         absl::IsPermissionDenied(status) || absl::IsAlreadyExists(status);
}

// Cross-origin access (CORS) for the object routes, so that a page on
// another origin (the master's dashboard) can PUT and GET with signed URLs.
// The signed URL is the credential: no cookies are involved, so any origin
// may be allowed and credentials never are.
void AllowCrossOrigin(http::ResponseWriter& response) {
  response.SetHeader("Access-Control-Allow-Origin", "*");
  response.SetHeader("Access-Control-Expose-Headers",
                     "ETag, Content-Length, Content-Range, Last-Modified, "
                     "Accept-Ranges");
}

// Answers a preflight: which methods and request headers a cross-origin
// request may use, cached by the browser for a day.
void Preflight(http::Request&, http::ResponseWriter& response) {
  AllowCrossOrigin(response);
  response.SetHeader("Access-Control-Allow-Methods", "GET, HEAD, PUT, DELETE");
  response.SetHeader("Access-Control-Allow-Headers", "Content-Type, Range");
  response.SetHeader("Access-Control-Max-Age", "86400");
  response.Send(204, "").IgnoreError();
}

}  // namespace

DataPath::DataPath(Store* store, const KeyRing* keys, UploadReporter* reporter,
                   MetricsRegistry* metrics, Counter* checksum_failures,
                   std::function<bool()> ready)
    : store_(store),
      keys_(keys),
      reporter_(reporter),
      metrics_(metrics),
      ready_(std::move(ready)),
      bytes_in_(metrics->AddCounter("warehouse_volume_received_bytes_total",
                                    "Object bytes received by PUT.")),
      bytes_out_(metrics->AddCounter("warehouse_volume_sent_bytes_total",
                                     "Object bytes sent by GET.")),
      checksum_failures_(checksum_failures) {}

void DataPath::Register(http::Router& router) {
  router.Handle("GET", "/healthz",
                [](http::Request&, http::ResponseWriter& response) {
                  response.Send(200, "ok\n").IgnoreError();
                });
  router.Handle("GET", "/readyz",
                [this](http::Request&, http::ResponseWriter& response) {
                  if (ready_()) {
                    response.Send(200, "ready\n").IgnoreError();
                  } else {
                    http::SendError(response,
                                    absl::UnavailableError(
                                        "not connected to the master: reads "
                                        "are served, writes are not"))
                        .IgnoreError();
                  }
                });
  router.Handle("GET", "/usage",
                [this](http::Request& request, http::ResponseWriter& response) {
                  Usage(request, response);
                });
  router.Handle("GET", "/metrics",
                [this](http::Request&, http::ResponseWriter& response) {
                  response.SetHeader("Content-Type",
                                     MetricsRegistry::kContentType);
                  response.Send(200, metrics_->Render()).IgnoreError();
                });
  auto get = [this](http::Request& request, http::ResponseWriter& response) {
    AllowCrossOrigin(response);
    Get(request, response);
  };
  router.HandlePrefix("GET", "/", get);
  router.HandlePrefix("HEAD", "/", get);
  router.HandlePrefix("PUT", "/",
                      [this](http::Request& request,
                             http::ResponseWriter& response) {
                        AllowCrossOrigin(response);
                        Put(request, response);
                      });
  router.HandlePrefix("DELETE", "/",
                      [this](http::Request& request,
                             http::ResponseWriter& response) {
                        AllowCrossOrigin(response);
                        Delete(request, response);
                      });
  router.HandlePrefix("OPTIONS", "/", Preflight);
}

void DataPath::Put(http::Request& request, http::ResponseWriter& response) {
  const absl::Time started = absl::Now();
  auto fail = [&response](const absl::Status& status, int code = 0) {
    http::SendError(response, status, code).IgnoreError();
  };
  // The signature is checked before a byte of the body is read.
  absl::StatusOr<UrlGrant> grant = VerifySignedRequest(
      "PUT", RawPath(request), RawQuery(request), started, *keys_);
  if (!grant.ok()) return fail(grant.status());
  const std::string fid = grant->file_id.ToString();
  std::optional<uint64_t> length = request.body->content_length();
  if (!length) {
    return fail(absl::InvalidArgumentError(absl::StrCat(
                    fid, ": Content-Length required (the url is signed for ",
                    grant->content_length, " bytes)")),
                411);
  }
  if (*length > grant->content_length) {
    return fail(absl::InvalidArgumentError(absl::StrCat(
                    fid, ": body of ", *length, " bytes is larger than the ",
                    grant->content_length, " bytes signed")),
                413);
  }
  if (*length < grant->content_length) {
    return fail(absl::InvalidArgumentError(
        absl::StrCat(fid, ": body of ", *length, " bytes, signed for ",
                     grant->content_length)));
  }
  std::optional<std::string> type = request.Header("Content-Type");
  if (type && *type != grant->content_type) {
    return fail(absl::InvalidArgumentError(
        absl::StrCat(fid, ": Content-Type \"", *type, "\" differs from the "
                     "signed \"", grant->content_type, "\"")));
  }
  auto volume = store_->GetVolume(grant->file_id.volume_id);
  if (!volume.ok()) return fail(volume.status());
  AppendRequest append;
  append.needle_id = grant->file_id.needle_id;
  append.cookie = grant->file_id.cookie;
  append.size = grant->content_length;
  append.content_type = grant->content_type;
  append.only_if_new = true;
  absl::StatusOr<std::unique_ptr<NeedleWriter>> writer =
      (*volume)->BeginAppend(append);
  if (absl::IsAlreadyExists(writer.status())) {
    return PutAgain(request, response, *grant, volume->get(), *length);
  }
  if (!writer.ok()) {
    // A read-only volume is a write that cannot wait: 503.
    return fail(writer.status(),
                absl::IsFailedPrecondition(writer.status()) ? 503 : 0);
  }
  std::string buffer(std::min<uint64_t>(kBodyChunk, std::max<uint64_t>(*length, 1)),
                     '\0');
  for (uint64_t received = 0; received < *length;) {
    absl::StatusOr<size_t> n = request.body->Read(
        buffer.data(), std::min<uint64_t>(buffer.size(), *length - received));
    if (!n.ok()) return fail(n.status());
    if (*n == 0) {
      return fail(absl::InvalidArgumentError(absl::StrCat(
          fid, ": body ended after ", received, " of ", *length, " bytes")));
    }
    absl::Status written = (*writer)->Write(absl::string_view(buffer.data(), *n));
    if (!written.ok()) return fail(written);
    received += *n;
  }
  bytes_in_->Increment(*length);
  absl::StatusOr<AppendResult> result = (*writer)->Commit();
  if (!result.ok()) {
    return fail(result.status(),
                absl::IsFailedPrecondition(result.status()) ? 503 : 0);
  }

  // Durable: now the master must record it before the client hears success.
  // The writer stays until then: a copy of the volume to another server
  // waits for it, and so for the delete of an upload the master refused.
  Record(response, *grant, *length, result->crc32c, [&](const absl::Status&) {
    // Never to be recorded: take the needle back.
    (*volume)->Delete(append.needle_id, append.cookie).IgnoreError();
  });
}

void DataPath::PutAgain(http::Request& request, http::ResponseWriter& response,
                        const UrlGrant& grant, Volume* volume,
                        uint64_t length) {
  const std::string fid = grant.file_id.ToString();
  auto fail = [&response](const absl::Status& status) {
    http::SendError(response, status).IgnoreError();
  };
  absl::StatusOr<NeedleReader> reader =
      volume->OpenNeedle(grant.file_id.needle_id, grant.file_id.cookie);
  if (!reader.ok()) {
    return fail(absl::AlreadyExistsError(absl::StrCat(
        fid, ": the needle id is taken (", reader.status().message(), ")")));
  }
  const NeedleInfo info = reader->info();
  // Compare the body with what is stored, without keeping it.
  std::string buffer(
      std::min<uint64_t>(kBodyChunk, std::max<uint64_t>(length, 1)), '\0');
  uint32_t crc = 0;
  for (uint64_t received = 0; received < length;) {
    absl::StatusOr<size_t> n = request.body->Read(
        buffer.data(), std::min<uint64_t>(buffer.size(), length - received));
    if (!n.ok()) return fail(n.status());
    if (*n == 0) {
      return fail(absl::InvalidArgumentError(absl::StrCat(
          fid, ": body ended after ", received, " of ", length, " bytes")));
    }
    crc = crc32c::Extend(crc, buffer.data(), *n);
    received += *n;
  }
  if (info.size != length || info.crc32c != crc ||
      info.content_type != grant.content_type) {
    return fail(absl::AlreadyExistsError(absl::StrFormat(
        "%s: already written with other bytes (etag %08x, this body %08x); "
        "a signed url stores one body: nothing was changed",
        fid, info.crc32c, crc)));
  }
  // The same bytes again: a retry, perhaps after a 503. Report the needle
  // that is there. An upload the master does not know (it expired, or the
  // master stopped abruptly before it wrote the upload down) will never
  // name this needle, and a url carries one needle, so it goes, as after
  // a first PUT. Other refusals leave it to the master, which reclaims a
  // needle whose upload never completes.
  Record(response, grant, length, crc, [&](const absl::Status& refusal) {
    if (!absl::IsNotFound(refusal)) return;
    volume->Delete(grant.file_id.needle_id, grant.file_id.cookie).IgnoreError();
  });
}

void DataPath::Record(
    http::ResponseWriter& response, const UrlGrant& grant, uint64_t length,
    uint32_t crc32c,
    const std::function<void(const absl::Status&)>& on_refused) {
  const std::string fid = grant.file_id.ToString();
  v1::UploadReport report;
  report.set_upload_id(grant.upload_id);
  report.set_file_id(fid);
  report.set_size_bytes(length);
  report.set_crc32c(crc32c);
  report.set_content_type(grant.content_type);
  absl::Status recorded = reporter_->Report(report);
  if (!recorded.ok()) {
    if (Refused(recorded)) {
      on_refused(recorded);
      http::SendError(response, recorded).IgnoreError();
      return;
    }
    // Outcome unknown: the needle stays (an orphan the master reclaims when
    // the upload expires, or the object if the master did record it).
    http::SendError(response,
                    absl::UnavailableError(absl::StrCat(
                        fid, ": stored, but the master did not confirm the "
                             "upload (",
                        recorded.message(), "); retry the PUT")))
        .IgnoreError();
    return;
  }
  CRASH_POINT(kVolumeUploadBeforeAnswer);
  response.SetHeader("ETag", ETag(crc32c));
  response.SetHeader("Content-Type", "application/json");
  response
      .Send(200, absl::StrFormat(
                     "{\"file_id\":\"%s\",\"size\":%d,\"etag\":\"%08x\"}\n",
                     fid, length, crc32c))
      .IgnoreError();
}

void DataPath::Get(http::Request& request, http::ResponseWriter& response) {
  const absl::Time started = absl::Now();
  const bool head = request.method == "HEAD";
  auto fail = [this, &response](const absl::Status& status) {
    if (absl::IsDataLoss(status)) checksum_failures_->Increment();
    http::SendError(response, status).IgnoreError();
  };
  absl::StatusOr<UrlGrant> grant = VerifySignedRequest(
      request.method, RawPath(request), RawQuery(request), started, *keys_);
  if (!grant.ok()) return fail(grant.status());
  auto volume = store_->GetVolume(grant->file_id.volume_id);
  if (!volume.ok()) return fail(volume.status());
  absl::StatusOr<NeedleReader> reader = (*volume)->OpenNeedle(
      grant->file_id.needle_id, grant->file_id.cookie);
  if (!reader.ok()) return fail(reader.status());
  const NeedleInfo& info = reader->info();
  const http::Validators validators{
      ETag(info.crc32c),
      absl::FromUnixMillis(static_cast<int64_t>(info.last_modified_ms))};
  const std::string last_modified = HttpDate(info.last_modified_ms);
  const http::ConditionalRequest conditions(request.headers);
  switch (conditions.Evaluate(validators)) {
    case http::Precondition::kPass:
      break;
    case http::Precondition::kNotModified:
      response.SetHeader("ETag", validators.etag);
      response.SetHeader("Last-Modified", last_modified);
      response.Send(304, "").IgnoreError();
      return;
    case http::Precondition::kFailed:
      response.SetHeader("ETag", validators.etag);
      return http::SendError(
                 response,
                 absl::FailedPreconditionError(absl::StrCat(
                     grant->file_id.ToString(), ": its etag ",
                     validators.etag, " and last modification, ",
                     last_modified, ", fail the request's If-Match or "
                     "If-Unmodified-Since")),
                 412)
          .IgnoreError();
  }

  // A 416 names the object's size (RFC 9110, section 15.5.17).
  auto unsatisfiable = [&](const absl::Status& status) {
    response.SetHeader("Content-Range", absl::StrCat("bytes */", info.size));
    fail(status);
  };
  // Which bytes: the Range header's, within what the url grants.
  std::optional<ByteRange> range = grant->range;
  if (range && (info.size == 0 || range->first >= info.size)) {
    return unsatisfiable(RangeNotSatisfiableError(absl::StrCat(
        grant->file_id.ToString(), ": the signed range is past the object's ",
        info.size, " bytes")));
  }
  if (range && range->last >= info.size) range->last = info.size - 1;
  std::optional<std::string> header = request.Header("Range");
  // A Range under an If-Range the object no longer matches asks for the
  // whole of it (RFC 9110, section 13.1.5).
  if (header && !conditions.RangeHolds(validators)) {
    header.reset();
  }
  if (header) {
    // A unit other than bytes parses as nullopt and is ignored.
    absl::StatusOr<std::optional<ByteRange>> asked =
        ParseRangeHeader(*header, info.size);
    if (!asked.ok()) {
      if (IsRangeNotSatisfiable(asked.status())) {
        return unsatisfiable(asked.status());
      }
      return fail(asked.status());
    }
    if (const std::optional<ByteRange>& bytes = *asked) {
      if (range && (bytes->first < range->first || bytes->last > range->last)) {
        return fail(absl::PermissionDeniedError(
            absl::StrCat(grant->file_id.ToString(), ": range ", bytes->first,
                         "-", bytes->last, " is outside the signed range ",
                         range->first, "-", range->last)));
      }
      range = bytes;
    }
  }

  response.SetHeader("Content-Type", info.content_type.empty()
                                         ? "application/octet-stream"
                                         : info.content_type);
  response.SetHeader("ETag", validators.etag);
  response.SetHeader("Last-Modified", last_modified);
  response.SetHeader("Accept-Ranges", "bytes");
  uint64_t begin = 0, length = info.size;
  int status = 200;
  if (range) {
    begin = range->first;
    length = range->length();
    status = 206;
    response.SetHeader("Content-Range", absl::StrCat("bytes ", range->first,
                                                     "-", range->last, "/",
                                                     info.size));
  }
  if (length <= kSmallBody) {
    // Headers and body in one write, the body straight from the reader's
    // buffer when it holds the needle.
    std::string copy;
    absl::string_view body;
    if (head) {
      copy.resize(length);  // HEAD: only the length is sent
      body = copy;
    } else if (std::optional<absl::string_view> held =
                   reader->InMemory(begin, length)) {
      body = *held;
    } else {
      absl::Status read = reader->Read(begin, length, [&copy](absl::string_view piece) {
        copy.append(piece.data(), piece.size());
        return absl::OkStatus();
      });
      if (!read.ok()) return fail(read);
      body = copy;
    }
    if (!head) bytes_out_->Increment(body.size());
    response.Send(status, body).IgnoreError();
    return;
  }
  absl::Status sent = response.BeginStream(status, length);
  if (sent.ok() && !head) {
    sent = reader->Read(begin, length, [&](absl::string_view piece) {
      bytes_out_->Increment(piece.size());
      return response.Write(piece);
    });
  }
  if (sent.ok()) sent = response.Finish();
  if (!sent.ok() && absl::IsDataLoss(sent)) {
    // The server closes the connection: the client sees a short body.
    checksum_failures_->Increment();
    spdlog::error("{}: {}", grant->file_id.ToString(), sent.ToString());
  }
}

void DataPath::Delete(http::Request& request, http::ResponseWriter& response) {
  auto fail = [&response](const absl::Status& status, int code = 0) {
    http::SendError(response, status, code).IgnoreError();
  };
  absl::StatusOr<UrlGrant> grant = VerifySignedRequest(
      "DELETE", RawPath(request), RawQuery(request), absl::Now(), *keys_);
  if (!grant.ok()) return fail(grant.status());
  auto volume = store_->GetVolume(grant->file_id.volume_id);
  if (!volume.ok()) return fail(volume.status());
  absl::Status deleted =
      (*volume)->Delete(grant->file_id.needle_id, grant->file_id.cookie);
  if (!deleted.ok()) {
    // A volume an I/O error made read-only refuses deletes too: 503, as a
    // PUT to it.
    return fail(deleted, absl::IsFailedPrecondition(deleted) ? 503 : 0);
  }
  response.Send(204, "").IgnoreError();
}

void DataPath::Usage(http::Request&, http::ResponseWriter& response) {
  std::string body = "{\"volumes\":[";
  bool first = true;
  for (const VolumeUsage& u : store_->Usage()) {
    absl::StrAppendFormat(
        &body,
        "%s{\"volume_id\":%d,\"size\":%d,\"max_size\":%d,\"live\":%d,"
        "\"garbage\":%d,\"needles\":%d,\"deleted\":%d,\"read_only\":%s,"
        "\"compacting\":%s}",
        first ? "" : ",", u.volume_id, u.file_size, u.max_size, u.live_bytes,
        u.garbage_bytes, u.needle_count, u.deleted_count,
        u.read_only ? "true" : "false", u.compacting ? "true" : "false");
    first = false;
  }
  body += "]}\n";
  response.SetHeader("Content-Type", "application/json");
  response.Send(200, body).IgnoreError();
}

}  // namespace warehouse::volume
