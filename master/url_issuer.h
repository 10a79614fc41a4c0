// Issuing the signed URLs through which clients move object bytes.
//
// BeginUpload places a new object (VolumeAllocator), records the pending
// upload with a random cookie (MetadataStore::BeginUpload) and signs a PUT
// URL bound to the needle, the exact length, the content type and the
// upload id. LookupObject finds an object and signs a GET URL, optionally
// for one byte range, for the volume server that holds it. URLs are
// "http://<server's public address><signed path and query>"
// (docs/signed_urls.md).
#ifndef WAREHOUSE_MASTER_URL_ISSUER_H_
#define WAREHOUSE_MASTER_URL_ISSUER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/file_id.h"
#include "common/key_ring.h"
#include "common/signed_url.h"
#include "master/metadata_store.h"
#include "master/topology.h"
#include "master/volume_allocator.h"

namespace warehouse::master {

inline constexpr char kDefaultContentType[] = "application/octet-stream";

// A begun upload, as the client needs it.
struct UploadTicket {
  std::string upload_id;  // master/upload_id.h
  FileId file_id;
  std::string put_url;
  absl::Time expires;  // when the URL stops working
};

// Where to read an object.
struct DownloadTicket {
  ObjectRecord object;
  std::string get_url;
  absl::Time expires;
  std::optional<ByteRange> range;  // the granted range, cut to the object
};

// Thread-safe (every member it uses is). The borrowed objects must outlive
// it.
class UrlIssuer {
 public:
  struct Options {
    // How long a signed URL works, unless its caller asks otherwise.
    absl::Duration url_lifetime = absl::Minutes(15);
    // The longest a caller may ask for.
    absl::Duration max_url_lifetime = absl::Hours(7 * 24);
    // How long after its URL expired an upload may still commit: a PUT that
    // began in time may take this long to stream its bytes.
    absl::Duration commit_grace = absl::Hours(1);
    // Larger objects are refused.
    uint64_t max_object_bytes = uint64_t{4} << 30;
  };

  UrlIssuer(MetadataStore* store, Topology* topology,
            VolumeAllocator* allocator, const KeyRing* keys, Options options);
  UrlIssuer(const UrlIssuer&) = delete;
  UrlIssuer& operator=(const UrlIssuer&) = delete;

  // Both sign a URL that works for `lifetime`, or url_lifetime when it is
  // zero.

  // Errors: InvalidArgument (bucket name, key or content type, saying
  // why; a lifetime that is negative or above max_url_lifetime); NotFound
  // (bucket); OutOfRange (size above max_object_bytes); ResourceExhausted,
  // Unavailable (VolumeAllocator::Allocate); the store's errors.
  absl::StatusOr<UploadTicket> BeginUpload(
      absl::string_view bucket, absl::string_view key, uint64_t size,
      absl::string_view content_type,
      absl::Duration lifetime = absl::ZeroDuration());

  // Errors: InvalidArgument (bucket name, key, a range with first > last,
  // a lifetime as for BeginUpload); NotFound (bucket or object); OutOfRange
  // (the range starts at or past the object's end); DataLoss (the object's
  // volume was declared lost); Unavailable (the volume's server is
  // offline, or unknown).
  absl::StatusOr<DownloadTicket> LookupObject(
      absl::string_view bucket, absl::string_view key,
      std::optional<ByteRange> range,
      absl::Duration lifetime = absl::ZeroDuration());

 private:
  // Now plus `lifetime` (url_lifetime when zero), rounded up to a whole
  // second (signed URLs carry whole seconds). Errors: InvalidArgument for
  // a negative lifetime or one above max_url_lifetime.
  absl::StatusOr<absl::Time> UrlExpiry(absl::Duration lifetime) const;

  // Immutable after construction.
  MetadataStore* const store_;
  Topology* const topology_;
  VolumeAllocator* const allocator_;
  const KeyRing* const keys_;
  const Options options_;
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_URL_ISSUER_H_
