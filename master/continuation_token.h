// The continuation token of an object listing.
//
// Opaque to callers: URL-safe base64 of
//   version   1 byte   (1)
//   resume    n bytes  the smallest key the next page may return
//   crc       4 bytes  CRC-32C, little-endian, of the version byte, the
//                      bucket, prefix and delimiter of the listing (each
//                      preceded by its length as 4 bytes little-endian) and
//                      `resume`.
// The checksum ties a token to the listing that produced it and catches a
// token altered by hand; it is not a secret (a token only says where to
// resume in a bucket its holder may already list).
#ifndef WAREHOUSE_MASTER_CONTINUATION_TOKEN_H_
#define WAREHOUSE_MASTER_CONTINUATION_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warehouse::master {

// Where and what a listing is: the token is valid only for the same three.
struct ListingScope {
  absl::string_view bucket;
  absl::string_view prefix;
  absl::string_view delimiter;
};

std::string EncodeContinuationToken(const ListingScope& scope,
                                    absl::string_view resume_at);

// Returns the resume key of `token`. Errors: InvalidArgument when the token
// is not one this listing produced (bad base64, unknown version, checksum
// mismatch, resume key outside the prefix).
absl::StatusOr<std::string> DecodeContinuationToken(const ListingScope& scope,
                                                    absl::string_view token);

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_CONTINUATION_TOKEN_H_
