#include "sdk/http_error.h"

#include "catch2/catch.hpp"

namespace warehouse {
namespace {

TEST_CASE("a volume server's JSON error keeps its code and message", "[sdk]") {
  absl::Status status = StatusFromHttpError(
      "b/k: volume server 127.0.0.1:8080", 404,
      R"({"error":"7,1f9a3b4c5d: not found","code":"NOT_FOUND"})");
  CHECK(status.code() == absl::StatusCode::kNotFound);
  CHECK(status.message() ==
        "b/k: volume server 127.0.0.1:8080: 7,1f9a3b4c5d: not found");
}

TEST_CASE("the JSON code wins over the HTTP status", "[sdk]") {
  // A read-only volume answers a PUT with 503 and FAILED_PRECONDITION.
  absl::Status status = StatusFromHttpError(
      "x", 503, R"({"error":"volume 3 is read-only","code":"FAILED_PRECONDITION"})");
  CHECK(status.code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("escaped characters in error messages are decoded", "[sdk]") {
  absl::Status status = StatusFromHttpError(
      "x", 400,
      R"({"error":"type \"a\\b\"\n\u00e9\t","code":"INVALID_ARGUMENT"})");
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(status.message() == "x: type \"a\\b\"\n\xc3\xa9\t");
}

TEST_CASE("a body that is not our JSON falls back to the HTTP status",
          "[sdk]") {
  struct Case {
    int http;
    const char* body;
    absl::StatusCode code;
  };
  for (const Case& c : {
           Case{502, "<html>Bad Gateway</html>", absl::StatusCode::kUnavailable},
           Case{503, "", absl::StatusCode::kUnavailable},
           Case{404, "{}", absl::StatusCode::kNotFound},
           Case{403, R"({"code":"NOT_A_CODE"})",
                absl::StatusCode::kPermissionDenied},
           Case{416, R"({"error":"x"})", absl::StatusCode::kOutOfRange},
           Case{507, "{", absl::StatusCode::kResourceExhausted},
           Case{418, "teapot", absl::StatusCode::kInvalidArgument},
           Case{500, R"({"code":"OK"})", absl::StatusCode::kInternal},
       }) {
    INFO(c.http << " " << c.body);
    absl::Status status = StatusFromHttpError("ctx", c.http, c.body);
    CHECK(status.code() == c.code);
    CHECK_FALSE(status.ok());
  }
  CHECK(StatusFromHttpError("ctx", 502, "<html>").message() == "ctx: HTTP 502");
}

TEST_CASE("the flat JSON reader skips other fields and rejects garbage",
          "[sdk]") {
  CHECK(JsonStringFieldForTesting(R"({"size":12,"ok":true,"code":"X"})",
                                  "code") == "X");
  CHECK(JsonStringFieldForTesting(R"( { "code" : "Y" } )", "code") == "Y");
  CHECK_FALSE(JsonStringFieldForTesting(R"({"code":"unterminated)", "code"));
  CHECK_FALSE(JsonStringFieldForTesting(R"({"code":"\x"})", "code"));
  CHECK_FALSE(JsonStringFieldForTesting(R"(["code","X"])", "code"));
  CHECK_FALSE(JsonStringFieldForTesting("", "code"));
}

}  // namespace
}  // namespace warehouse
