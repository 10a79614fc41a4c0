// Turning a volume server's error response into an absl::Status.
//
// Volume servers answer errors with one line of JSON (common/http_status.h):
//   {"error":"7,1f9a3b4c5d: not found","code":"NOT_FOUND"}
// The "code" is an absl::StatusCode name, so the client acts on the same
// codes as the server chose; a body without one (a proxy's HTML page, say)
// falls back to the HTTP status.
#ifndef WAREHOUSE_SDK_HTTP_ERROR_H_
#define WAREHOUSE_SDK_HTTP_ERROR_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace warehouse {

// The code for an HTTP status without a usable body: 400 InvalidArgument,
// 401 Unauthenticated, 403 PermissionDenied, 404 NotFound, 409
// FailedPrecondition, 411 InvalidArgument, 413 and 416 OutOfRange, 429
// ResourceExhausted, 501 Unimplemented, 502 and 503 Unavailable, 504
// DeadlineExceeded, 507 ResourceExhausted; other 4xx InvalidArgument, other
// 5xx Internal.
absl::StatusCode StatusCodeForHttp(int http_status);

// The status for an error response with `http_status` and `body`, its
// message prefixed with `context` (the object, the server). Never OK.
absl::Status StatusFromHttpError(absl::string_view context, int http_status,
                                 absl::string_view body);

// The string value of `field` in a flat JSON object, unescaped; nullopt
// when the body is not such an object or lacks the field. Exposed for
// tests.
std::optional<std::string> JsonStringFieldForTesting(absl::string_view body,
                                                     absl::string_view field);

}  // namespace warehouse

#endif  // WAREHOUSE_SDK_HTTP_ERROR_H_
