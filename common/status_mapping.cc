#include "common/status_mapping.h"

#include <optional>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace warehouse {
namespace {

// The payload type URL that marks a RangeNotSatisfiableError.
constexpr char kRangePayloadUrl[] = "warehouse/http-status";
constexpr char kRangePayloadValue[] = "416";

// The code whose number is `code`, or nullopt when it is not canonical.
std::optional<absl::StatusCode> CanonicalCode(int code) {
  switch (code) {
    case 0:   // OK
    case 1:   // CANCELLED
    case 2:   // UNKNOWN
    case 3:   // INVALID_ARGUMENT
    case 4:   // DEADLINE_EXCEEDED
    case 5:   // NOT_FOUND
    case 6:   // ALREADY_EXISTS
    case 7:   // PERMISSION_DENIED
    case 8:   // RESOURCE_EXHAUSTED
    case 9:   // FAILED_PRECONDITION
    case 10:  // ABORTED
    case 11:  // OUT_OF_RANGE
    case 12:  // UNIMPLEMENTED
    case 13:  // INTERNAL
    case 14:  // UNAVAILABLE
    case 15:  // DATA_LOSS
    case 16:  // UNAUTHENTICATED
      return static_cast<absl::StatusCode>(code);
    default:
      return std::nullopt;
  }
}

absl::Status FromCodeAndMessage(int code, absl::string_view message) {
  std::optional<absl::StatusCode> canonical = CanonicalCode(code);
  if (!canonical.has_value()) {
    return absl::UnknownError(
        absl::StrCat("status code ", code, " is not canonical: ", message));
  }
  if (*canonical == absl::StatusCode::kOk) return absl::OkStatus();
  return absl::Status(*canonical, message);
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // Both enums use the canonical numbers (0..16), checked by the test;
  // absl::Status itself turns any other number into kUnknown.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  return FromCodeAndMessage(static_cast<int>(status.error_code()),
                            status.error_message());
}

v1::RpcStatus ToRpcStatus(const absl::Status& status) {
  v1::RpcStatus out;
  out.set_code(static_cast<int32_t>(status.code()));
  out.set_message(std::string(status.message()));
  return out;
}

absl::Status FromRpcStatus(const v1::RpcStatus& status) {
  return FromCodeAndMessage(status.code(), status.message());
}

int HttpStatusCode(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    case absl::StatusCode::kOutOfRange:
      return IsRangeNotSatisfiable(status) ? 416 : 413;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kResourceExhausted:
      return 507;
    default:
      return 500;
  }
}

absl::Status RangeNotSatisfiableError(absl::string_view message) {
  absl::Status status = absl::OutOfRangeError(message);
  status.SetPayload(kRangePayloadUrl, absl::Cord(kRangePayloadValue));
  return status;
}

bool IsRangeNotSatisfiable(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kOutOfRange) return false;
  auto payload = status.GetPayload(kRangePayloadUrl);
  return payload.has_value() && *payload == kRangePayloadValue;
}

}  // namespace warehouse
