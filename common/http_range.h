// The HTTP Range request header (RFC 9110, section 14.2), restricted to what
// Warehouse serves: one range of bytes.
#ifndef WAREHOUSE_COMMON_HTTP_RANGE_H_
#define WAREHOUSE_COMMON_HTTP_RANGE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/byte_range.h"

namespace warehouse {

// Resolves a Range header value against an object of `size` bytes:
// "bytes=first-last" (last clipped to the end), "bytes=first-" and the
// suffix form "bytes=-count". Errors: InvalidArgument (not a byte range,
// malformed numbers, last before first), RangeNotSatisfiable (see
// common/status_mapping.h; HTTP 416) when the range starts past the end, is
// an empty suffix, the object is empty, or the header asks for more than
// one range, which Warehouse does not serve.
absl::StatusOr<ByteRange> ParseRangeHeader(absl::string_view value,
                                           uint64_t size);

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_HTTP_RANGE_H_
