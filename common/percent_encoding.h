// Percent-encoding (RFC 3986 section 2.1), the one implementation behind
// request targets (common/http_target.h) and signed URLs
// (common/signed_url.h), whose canonical string depends on it: changing
// what PercentEncode produces invalidates every URL signed before.
#ifndef WAREHOUSE_COMMON_PERCENT_ENCODING_H_
#define WAREHOUSE_COMMON_PERCENT_ENCODING_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warehouse {

// Escapes every byte except the unreserved ones (A-Z a-z 0-9 - . _ ~), with
// uppercase hex: "image/svg+xml" becomes "image%2Fsvg%2Bxml". For a query
// name or value, or a single path segment.
std::string PercentEncode(absl::string_view value);

// Decodes "%XX" escapes (either case), and '+' as a space when
// `plus_is_space` (query strings and form bodies); otherwise '+' stays '+'.
// Errors: InvalidArgument for a '%' not followed by two hex digits.
absl::StatusOr<std::string> PercentDecode(absl::string_view value,
                                          bool plus_is_space = false);

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_PERCENT_ENCODING_H_
