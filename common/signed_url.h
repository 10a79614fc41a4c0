// Pre-signed URLs: the master signs, volume servers verify.
//
// A client never authenticates to a volume server. The master, having
// checked the client's access key and the object, hands it a URL that
// grants exactly one thing: reading one needle (optionally one byte range
// of it) or writing one needle of an exact length and content type for one
// upload, until an expiry time. The grant is bound by an HMAC-SHA256 under
// a cluster key both sides hold (common/key_ring.h):
//
//   /<file id>?expires=<unix s>&key=<key id>[&length=<n>&upload=<id>
//             &type=<percent-encoded>][&range=<first>-<last>]&sig=<hex>
//
// docs/signed_urls.md gives the canonical string that is signed, the
// encoding of every parameter, worked examples and key rotation.
#ifndef WAREHOUSE_COMMON_SIGNED_URL_H_
#define WAREHOUSE_COMMON_SIGNED_URL_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/byte_range.h"
#include "common/file_id.h"
#include "common/key_ring.h"

namespace warehouse {

// What a signed URL permits. GET and HEAD share the read permission (a HEAD
// reveals no more than the GET it abbreviates); PUT is the write
// permission. No other method can use a signed URL.
// What a signed url lets its holder do: read (GET and HEAD), write (one PUT
// of an exact length), or delete (DELETE).
enum class UrlAccess { kRead, kWrite, kDelete };

// An inclusive byte range [first, last], as in HTTP's "bytes=first-last".
struct UrlGrant {
  // Longest upload id: the master's are 32 hex digits.
  static constexpr size_t kMaxUploadIdLength = 64;
  // Longest content type.
  static constexpr size_t kMaxContentTypeLength = 255;

  UrlAccess access = UrlAccess::kRead;
  FileId file_id;
  // The URL is refused after this instant (it is valid through it).
  int64_t expires_unix_seconds = 0;

  // kWrite only: the exact Content-Length the PUT must carry.
  uint64_t content_length = 0;
  // kWrite only: the upload this PUT completes; 1 to 64 characters of
  // [A-Za-z0-9_-].
  std::string upload_id;
  // kWrite only: the exact Content-Type the PUT must carry; 1 to 255
  // characters of printable ASCII (0x20 to 0x7e).
  std::string content_type;

  // kRead only: when set, the only bytes that may be read.
  std::optional<ByteRange> range;

  // The id of the key that signed the URL. Set by VerifySignedRequest;
  // SignUrl ignores it and signs with the key ring's primary key.
  std::string key_id;
};

// Returns the path and query ("/7,1f9a3b4c5d?expires=...&sig=...") that
// grant `grant`, signed with `keys.primary()`. The caller prefixes
// "http://<volume server address>". Errors: InvalidArgument for a grant
// that could not be verified: volume id 0, expiry not positive, an upload
// id or content type outside its character set or length, a range with
// first > last, write fields on a read grant or a range on a write grant;
// Internal when OpenSSL fails.
absl::StatusOr<std::string> SignUrl(const UrlGrant& grant, const KeyRing& keys);

// Verifies an HTTP request against its signed URL and returns the grant.
// `method` is the request method, `path` the raw request path and `query`
// the raw query string without '?'. `now` is when the request started.
// The caller must still check that a PUT carries exactly the granted
// Content-Length and Content-Type and that a read stays within the granted
// range (docs/signed_urls.md).
// Errors:
//   Unauthenticated: the query has no sig parameter (not a signed URL).
//   InvalidArgument: method other than GET, HEAD or PUT; a path that is not
//     "/<file id>"; a parameter that is unknown, repeated, missing, badly
//     encoded or out of its syntax; write and read parameters mixed.
//   PermissionDenied: unknown key id; the signature does not match (any
//     field was changed, or the URL is used for another file id); the URL
//     grants a PUT and the request reads, or the reverse; `now` is after
//     the expiry.
//   Internal: OpenSSL failed.
absl::StatusOr<UrlGrant> VerifySignedRequest(absl::string_view method,
                                             absl::string_view path,
                                             absl::string_view query,
                                             absl::Time now,
                                             const KeyRing& keys);

// The string the HMAC is computed over (docs/signed_urls.md), exposed for
// the documentation's worked example and its test. REQUIRES: `grant` is
// valid as SignUrl checks; `key_id` is the signing key.
std::string CanonicalUrlString(const UrlGrant& grant, absl::string_view key_id);

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_SIGNED_URL_H_
