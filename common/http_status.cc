#include "common/http_status.h"

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/status_mapping.h"

namespace warehouse::http {

std::string ErrorBody(const absl::Status& status) {
  return absl::StrCat("{\"error\":", JsonString(status.message()),
                      ",\"code\":\"", absl::StatusCodeToString(status.code()),
                      "\"}");
}

absl::Status SendError(ResponseWriter& response, const absl::Status& status,
                       int http_status) {
  if (status.ok()) {
    return absl::InvalidArgumentError(
        "SendError: an OK status is not an error to send");
  }
  response.SetHeader("Content-Type", "application/json");
  return response.Send(http_status != 0 ? http_status : HttpStatusCode(status),
                       ErrorBody(status));
}

}  // namespace warehouse::http
