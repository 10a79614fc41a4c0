#include "common/status_mapping.h"

#include <string>
#include <vector>

#include "catch2/catch.hpp"

namespace warehouse {
namespace {

struct Row {
  absl::StatusCode absl_code;
  grpc::StatusCode grpc_code;
  int http;
};

// The table of docs/rpc.md, one row per canonical code.
const std::vector<Row>& Table() {
  static const std::vector<Row> rows = {
      {absl::StatusCode::kCancelled, grpc::StatusCode::CANCELLED, 500},
      {absl::StatusCode::kUnknown, grpc::StatusCode::UNKNOWN, 500},
      {absl::StatusCode::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT,
       400},
      {absl::StatusCode::kDeadlineExceeded, grpc::StatusCode::DEADLINE_EXCEEDED,
       504},
      {absl::StatusCode::kNotFound, grpc::StatusCode::NOT_FOUND, 404},
      {absl::StatusCode::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS, 409},
      {absl::StatusCode::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED,
       403},
      {absl::StatusCode::kResourceExhausted,
       grpc::StatusCode::RESOURCE_EXHAUSTED, 507},
      {absl::StatusCode::kFailedPrecondition,
       grpc::StatusCode::FAILED_PRECONDITION, 409},
      {absl::StatusCode::kAborted, grpc::StatusCode::ABORTED, 409},
      {absl::StatusCode::kOutOfRange, grpc::StatusCode::OUT_OF_RANGE, 413},
      {absl::StatusCode::kUnimplemented, grpc::StatusCode::UNIMPLEMENTED, 501},
      {absl::StatusCode::kInternal, grpc::StatusCode::INTERNAL, 500},
      {absl::StatusCode::kUnavailable, grpc::StatusCode::UNAVAILABLE, 503},
      {absl::StatusCode::kDataLoss, grpc::StatusCode::DATA_LOSS, 500},
      {absl::StatusCode::kUnauthenticated, grpc::StatusCode::UNAUTHENTICATED,
       401},
  };
  return rows;
}

TEST_CASE("every status code maps to its grpc code and back with its message",
          "[common][status_mapping]") {
  for (const Row& row : Table()) {
    const absl::Status status(row.absl_code, "volume 7: needle 0x1f: why");
    INFO(status.ToString());
    const grpc::Status grpc_status = ToGrpcStatus(status);
    CHECK(grpc_status.error_code() == row.grpc_code);
    CHECK(grpc_status.error_message() == "volume 7: needle 0x1f: why");
    CHECK(FromGrpcStatus(grpc_status) == status);
    CHECK(FromGrpcStatus(grpc::Status(row.grpc_code, "m")) ==
          absl::Status(row.absl_code, "m"));
  }
  CHECK(ToGrpcStatus(absl::OkStatus()).ok());
  CHECK(FromGrpcStatus(grpc::Status::OK).ok());
}

TEST_CASE("a code outside the canonical set becomes unknown either way",
          "[common][status_mapping]") {
  const grpc::Status outgoing =
      ToGrpcStatus(absl::Status(static_cast<absl::StatusCode>(99), "odd"));
  CHECK(outgoing.error_code() == grpc::StatusCode::UNKNOWN);
  CHECK(outgoing.error_message() == "odd");
  // grpc::StatusCode runs from -1 to 16, so the enum holds -32 to 31: 20 is
  // a value of the type that no canonical code has (42 would be undefined
  // behaviour, which UBSan reports).
  absl::Status status =
      FromGrpcStatus(grpc::Status(static_cast<grpc::StatusCode>(20), "odd"));
  CHECK(status.code() == absl::StatusCode::kUnknown);
  CHECK_THAT(std::string(status.message()),
             Catch::Contains("20") && Catch::Contains("odd"));
}

TEST_CASE("every status code maps to the documented http status",
          "[common][status_mapping]") {
  CHECK(HttpStatusCode(absl::OkStatus()) == 200);
  for (const Row& row : Table()) {
    INFO(absl::StatusCodeToString(row.absl_code));
    CHECK(HttpStatusCode(absl::Status(row.absl_code, "x")) == row.http);
  }
}

TEST_CASE("an unsatisfiable range is 416 while other out-of-range is 413",
          "[common][status_mapping]") {
  const absl::Status range =
      RangeNotSatisfiableError("7,1f9a3b4c5d: range 100-199 of 50 bytes");
  CHECK(range.code() == absl::StatusCode::kOutOfRange);
  CHECK(IsRangeNotSatisfiable(range));
  CHECK(HttpStatusCode(range) == 416);
  const absl::Status too_large = absl::OutOfRangeError("object too large");
  CHECK_FALSE(IsRangeNotSatisfiable(too_large));
  CHECK(HttpStatusCode(too_large) == 413);
  // Over gRPC the mark is gone but the code and message stay.
  const absl::Status remote = FromGrpcStatus(ToGrpcStatus(range));
  CHECK(remote.code() == absl::StatusCode::kOutOfRange);
  CHECK(remote.message() == range.message());
}

TEST_CASE("per-item statuses round-trip through the RpcStatus message",
          "[common][status_mapping]") {
  for (const Row& row : Table()) {
    const absl::Status status(row.absl_code, "upload u1: why");
    const v1::RpcStatus proto = ToRpcStatus(status);
    CHECK(proto.code() == static_cast<int>(row.grpc_code));
    CHECK(proto.message() == "upload u1: why");
    CHECK(FromRpcStatus(proto) == status);
  }
  const v1::RpcStatus ok = ToRpcStatus(absl::OkStatus());
  CHECK(ok.code() == 0);
  CHECK(FromRpcStatus(ok).ok());
  v1::RpcStatus odd;
  odd.set_code(-3);
  odd.set_message("m");
  CHECK(FromRpcStatus(odd).code() == absl::StatusCode::kUnknown);
}

}  // namespace
}  // namespace warehouse
