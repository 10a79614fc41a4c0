// The one place an absl::Status becomes an HTTP status code and an error
// body. Error bodies are one line of JSON:
//
//   {"error":"volume 7: needle 0x1f: not found","code":"NOT_FOUND"}
//
// "code" is the absl::StatusCode name, so a client can act on the same
// codes as a gRPC caller; "error" is the status message. docs/http.md has
// the table.
#ifndef WAREHOUSE_COMMON_HTTP_STATUS_H_
#define WAREHOUSE_COMMON_HTTP_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "common/http_server.h"

namespace warehouse::http {

// 400 InvalidArgument and OutOfRange, 401 Unauthenticated,
// 403 PermissionDenied, 404 NotFound, 409 AlreadyExists and Aborted,
// 412 FailedPrecondition, 501 Unimplemented, 503 Unavailable,
// 504 DeadlineExceeded, 507 ResourceExhausted, 500 otherwise; 200 for OK.
// 413 and 416 are never chosen here: callers that mean them pass them.
int HttpStatusFor(const absl::Status& status);

// The JSON error body for `status` (without a trailing newline).
std::string ErrorBody(const absl::Status& status);

// Sends ErrorBody(status) as application/json with `http_status`, or with
// HttpStatusFor(status) when it is 0. Errors: InvalidArgument (`status` is
// OK: there is no error to send; nothing is sent), or Send's errors.
absl::Status SendError(ResponseWriter& response, const absl::Status& status,
                       int http_status = 0);

}  // namespace warehouse::http

#endif  // WAREHOUSE_COMMON_HTTP_STATUS_H_
