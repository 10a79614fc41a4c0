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

// The JSON error body for `status` (without a trailing newline).
std::string ErrorBody(const absl::Status& status);

// Sends ErrorBody(status) as application/json with `http_status`, or with
// HttpStatusCode(status) (common/status_mapping.h, the one mapping) when
// it is 0. Errors: InvalidArgument (`status` is
// OK: there is no error to send; nothing is sent), or Send's errors.
absl::Status SendError(ResponseWriter& response, const absl::Status& status,
                       int http_status = 0);

}  // namespace warehouse::http

#endif  // WAREHOUSE_COMMON_HTTP_STATUS_H_
