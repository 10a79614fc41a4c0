// The one place that translates absl::Status, the currency of all our
// code, to and from what crosses a process boundary: grpc::Status, the
// RpcStatus message of batched replies, and HTTP status codes.
//
// gRPC and Abseil share their canonical codes, so the gRPC mapping keeps
// both the code and the message. The HTTP mapping (docs/rpc.md):
//
//   OK                  200     NotFound            404
//   InvalidArgument     400     AlreadyExists       409
//   Unauthenticated     401     Aborted             409
//   PermissionDenied    403     FailedPrecondition  409
//   OutOfRange          413, or 416 when made by RangeNotSatisfiableError
//   Unavailable         503     ResourceExhausted   507
//   every other code    500
#ifndef WAREHOUSE_COMMON_STATUS_MAPPING_H_
#define WAREHOUSE_COMMON_STATUS_MAPPING_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"
#include "proto/warehouse/common.pb.h"

namespace warehouse {

// Same code, same message. Payloads are not carried.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Same code, same message; a code number outside the canonical set becomes
// Unknown (with the number in the message).
absl::Status FromGrpcStatus(const grpc::Status& status);

// For a per-item status in a batched reply.
v1::RpcStatus ToRpcStatus(const absl::Status& status);

// The inverse of ToRpcStatus; unknown code numbers become Unknown.
absl::Status FromRpcStatus(const v1::RpcStatus& status);

// The HTTP status code a handler answers with for `status` (table above).
int HttpStatusCode(const absl::Status& status);

// OutOfRange for a requested byte range that the object cannot satisfy,
// marked so that HttpStatusCode answers 416 rather than the 413 of other
// OutOfRange errors (a body or object too large). The mark is a payload,
// so it lives in-process only: over gRPC this is plain OutOfRange.
absl::Status RangeNotSatisfiableError(absl::string_view message);

// True for a status made by RangeNotSatisfiableError.
bool IsRangeNotSatisfiable(const absl::Status& status);

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_STATUS_MAPPING_H_
