// The HTTP Range request header (RFC 9110, section 14.2), restricted to what
// Warehouse serves: one range of bytes.
#ifndef WAREHOUSE_COMMON_HTTP_RANGE_H_
#define WAREHOUSE_COMMON_HTTP_RANGE_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/byte_range.h"

namespace warehouse {

// Resolves a Range header value against an object of `size` bytes:
// "bytes=first-last" (last clipped to the end, however many digits it
// has), "bytes=first-" and the suffix form "bytes=-count". Returns nullopt
// when the range unit (before the '=') is not "bytes": RFC 9110, section
// 14.2, has a server ignore a unit it does not understand and serve the
// whole object. Errors: InvalidArgument (no '=' after bytes, malformed
// numbers, last before first), RangeNotSatisfiable (see
// common/status_mapping.h; HTTP 416) when the range starts past the end,
// is an empty suffix, the object is empty, or the header asks for more
// than one range, which Warehouse does not serve.
absl::StatusOr<std::optional<ByteRange>> ParseRangeHeader(
    absl::string_view value, uint64_t size);

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_HTTP_RANGE_H_
