// Request and response helpers of the dashboard's JSON API: form-encoded
// bodies and query parameters in, JSON out.
#ifndef WAREHOUSE_MASTER_DASHBOARD_API_UTIL_H_
#define WAREHOUSE_MASTER_DASHBOARD_API_UTIL_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/http_server.h"

namespace warehouse::master {

// Decoded form fields or query parameters, by name.
using FormFields = std::multimap<std::string, std::string>;

// The largest form body accepted.
inline constexpr size_t kMaxFormBytes = 64 << 10;

// Reads and decodes an application/x-www-form-urlencoded body. Errors:
// InvalidArgument (another content type, a bad escape); OutOfRange (over
// kMaxFormBytes); the body reader's errors.
absl::StatusOr<FormFields> ReadForm(const http::Request& request);

// The first value of `name`. Errors: InvalidArgument when it is missing,
// naming the field.
absl::StatusOr<std::string> RequiredField(const FormFields& fields,
                                          absl::string_view name);
std::optional<std::string> OptionalField(const FormFields& fields,
                                         absl::string_view name);
// The first value of `name`, which must be true or false. Errors:
// InvalidArgument.
absl::StatusOr<bool> RequiredBool(const FormFields& fields,
                                  absl::string_view name);

// Sends `json` with 200, as application/json, not to be cached.
void SendJson(http::ResponseWriter& response, absl::string_view json);

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_DASHBOARD_API_UTIL_H_
