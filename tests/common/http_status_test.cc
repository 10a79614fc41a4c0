#include "common/http_status.h"

#include "catch2/catch.hpp"

namespace warehouse::http {
namespace {

TEST_CASE("statuses map to the HTTP codes a client acts on", "[common][http]") {
  using absl::StatusCode;
  const std::pair<StatusCode, int> table[] = {
      {StatusCode::kOk, 200},
      {StatusCode::kInvalidArgument, 400},
      {StatusCode::kOutOfRange, 400},
      {StatusCode::kUnauthenticated, 401},
      {StatusCode::kPermissionDenied, 403},
      {StatusCode::kNotFound, 404},
      {StatusCode::kAlreadyExists, 409},
      {StatusCode::kAborted, 409},
      {StatusCode::kFailedPrecondition, 412},
      {StatusCode::kUnimplemented, 501},
      {StatusCode::kUnavailable, 503},
      {StatusCode::kDeadlineExceeded, 504},
      {StatusCode::kResourceExhausted, 507},
      {StatusCode::kInternal, 500},
      {StatusCode::kDataLoss, 500},
      {StatusCode::kUnknown, 500},
      {StatusCode::kCancelled, 500},
  };
  for (const auto& [code, http] : table) {
    INFO(absl::StatusCodeToString(code));
    CHECK(HttpStatusFor(absl::Status(code, "x")) == http);
  }
}

TEST_CASE("error bodies are one line of valid JSON", "[common][http]") {
  CHECK(ErrorBody(absl::NotFoundError("volume 7: needle 0x1f: not found")) ==
        R"({"error":"volume 7: needle 0x1f: not found","code":"NOT_FOUND"})");
  CHECK(ErrorBody(absl::InvalidArgumentError("name \"a\\b\"\n\t\x01")) ==
        R"({"error":"name \"a\\b\"\n\t\u0001","code":"INVALID_ARGUMENT"})");
  // Valid UTF-8 passes through; invalid bytes become U+FFFD.
  CHECK(ErrorBody(absl::InternalError("caf\xC3\xA9 \xFF \xC3")) ==
        "{\"error\":\"caf\xC3\xA9 \\ufffd \\ufffd\",\"code\":\"INTERNAL\"}");
  CHECK(ErrorBody(absl::InternalError("\xED\xA0\x80")) ==  // a surrogate
        "{\"error\":\"\\ufffd\\ufffd\\ufffd\",\"code\":\"INTERNAL\"}");
}

}  // namespace
}  // namespace warehouse::http
