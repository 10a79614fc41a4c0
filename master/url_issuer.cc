#include "master/url_issuer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "master/names.h"
#include "master/upload_id.h"

namespace warehouse::master {

UrlIssuer::UrlIssuer(MetadataStore* store, Topology* topology,
                     VolumeAllocator* allocator, const KeyRing* keys,
                     Options options)
    : store_(store),
      topology_(topology),
      allocator_(allocator),
      keys_(keys),
      options_(options) {}

absl::StatusOr<absl::Time> UrlIssuer::UrlExpiry(
    absl::Duration lifetime) const {
  if (lifetime < absl::ZeroDuration() ||
      lifetime > options_.max_url_lifetime) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a url lifetime of ", absl::FormatDuration(lifetime),
        " is outside what this master signs: up to ",
        absl::FormatDuration(options_.max_url_lifetime),
        " (warehouse-master --max-url-lifetime)"));
  }
  if (lifetime == absl::ZeroDuration()) lifetime = options_.url_lifetime;
  const absl::Time expires = absl::Now() + lifetime;
  int64_t seconds = absl::ToUnixSeconds(expires);
  if (absl::FromUnixSeconds(seconds) < expires) ++seconds;
  return absl::FromUnixSeconds(seconds);
}

absl::StatusOr<UploadTicket> UrlIssuer::BeginUpload(
    absl::string_view bucket, absl::string_view key, uint64_t size,
    absl::string_view content_type, absl::Duration lifetime) {
  RETURN_IF_ERROR(ValidateBucketName(bucket));
  RETURN_IF_ERROR(ValidateObjectKey(key));
  const std::string type =
      content_type.empty() ? kDefaultContentType : std::string(content_type);
  RETURN_IF_ERROR(ValidateContentType(type));
  if (size > options_.max_object_bytes) {
    return absl::OutOfRangeError(
        absl::StrCat("object ", bucket, "/", key, ": ", size,
                     " bytes is more than the largest object allowed, ",
                     options_.max_object_bytes, " bytes"));
  }
  // Checked before anything is placed or written.
  ASSIGN_OR_RETURN(const absl::Time url_expires, UrlExpiry(lifetime));
  // A missing bucket is refused before a volume is chosen (or created).
  RETURN_IF_ERROR(store_->GetBucket(bucket).status());
  ASSIGN_OR_RETURN(const Placement placement, allocator_->Allocate(size));
  ASSIGN_OR_RETURN(const uint32_t cookie, RandomCookie());

  // The upload expires with its URL plus the grace for a PUT still
  // streaming.
  BeginUploadRequest request;
  request.bucket = std::string(bucket);
  request.key = std::string(key);
  request.size = static_cast<int64_t>(size);
  request.content_type = type;
  request.volume_id = placement.volume_id;
  request.cookie = cookie;
  request.expires = url_expires + options_.commit_grace;
  ASSIGN_OR_RETURN(const Upload upload, store_->BeginUpload(request));

  UploadTicket ticket;
  ticket.upload_id =
      UploadId{upload.upload_id, upload.needle.volume_id, upload.needle.cookie}
          .ToString();
  ticket.file_id = FileId{upload.needle.volume_id, upload.needle.needle_id,
                          upload.needle.cookie};
  ticket.expires = url_expires;
  UrlGrant grant;
  grant.access = UrlAccess::kWrite;
  grant.file_id = ticket.file_id;
  grant.expires_unix_seconds = absl::ToUnixSeconds(url_expires);
  grant.content_length = size;
  grant.upload_id = ticket.upload_id;
  grant.content_type = type;
  ASSIGN_OR_RETURN(const std::string path, SignUrl(grant, *keys_));
  ticket.put_url = absl::StrCat(placement.http_tls ? "https://" : "http://",
                                placement.public_address, path);
  return ticket;
}

absl::StatusOr<DownloadTicket> UrlIssuer::LookupObject(
    absl::string_view bucket, absl::string_view key,
    std::optional<ByteRange> range, absl::Duration lifetime) {
  RETURN_IF_ERROR(ValidateBucketName(bucket));
  RETURN_IF_ERROR(ValidateObjectKey(key));
  ASSIGN_OR_RETURN(const absl::Time url_expires, UrlExpiry(lifetime));
  if (range.has_value() && range->first > range->last) {
    return absl::InvalidArgumentError(
        absl::StrCat("object ", bucket, "/", key, ": range ", range->first, "-",
                     range->last, " ends before it starts"));
  }
  DownloadTicket ticket;
  ASSIGN_OR_RETURN(ticket.object, store_->GetObject(bucket, key));
  const ObjectRecord& object = ticket.object;
  if (object.state == ObjectState::kLost) {
    return absl::DataLossError(absl::StrCat(
        "object ", bucket, "/", key, ": its volume ", object.needle.volume_id,
        " was declared lost; the bytes are gone"));
  }
  const uint64_t size = static_cast<uint64_t>(object.size);
  if (range.has_value()) {
    if (range->first >= size) {
      return absl::OutOfRangeError(
          absl::StrCat("object ", bucket, "/", key, ": range starts at byte ",
                       range->first, " but the object has ", size, " bytes"));
    }
    range->last = std::min(range->last, size - 1);
  }
  absl::StatusOr<VolumeLocation> location =
      topology_->LocateVolume(object.needle.volume_id);
  if (!location.ok()) {
    return absl::UnavailableError(
        absl::StrCat("object ", bucket, "/", key, ": volume ",
                     object.needle.volume_id, " is on no known volume server"));
  }
  if (!location->online) {
    return absl::UnavailableError(absl::StrCat(
        "object ", bucket, "/", key, ": volume ", object.needle.volume_id,
        " is on volume server ", location->server_id, " (",
        location->public_address, "), which is offline; retry later"));
  }
  ticket.expires = url_expires;
  ticket.range = range;
  UrlGrant grant;
  grant.access = UrlAccess::kRead;
  grant.file_id = FileId{object.needle.volume_id, object.needle.needle_id,
                         object.needle.cookie};
  grant.expires_unix_seconds = absl::ToUnixSeconds(ticket.expires);
  grant.range = range;
  ASSIGN_OR_RETURN(const std::string path, SignUrl(grant, *keys_));
  ticket.get_url = absl::StrCat(location->http_tls ? "https://" : "http://",
                                location->public_address, path);
  return ticket;
}

}  // namespace warehouse::master
