// gRPC glue for common/rpc_auth.h: attaching the authorization metadata to
// a client call, and authenticating it in a server handler.
//
// Handlers name their own method, since a gRPC server context does not
// expose it:
//
//   ASSIGN_OR_RETURN(std::string key_id,
//       AuthenticateCall(*context,
//                        FullMethodName(v1::Master::service_full_name(),
//                                       "CreateBucket"),
//                        absl::Now(), lookup));
#ifndef WAREHOUSE_COMMON_GRPC_AUTH_H_
#define WAREHOUSE_COMMON_GRPC_AUTH_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/rpc_auth.h"
#include "grpcpp/client_context.h"
#include "grpcpp/server_context.h"

namespace warehouse {

// "/<service full name>/<method>", e.g. "/warehouse.v1.Master/ListBuckets".
std::string FullMethodName(absl::string_view service_full_name,
                           absl::string_view method);

// Adds the authorization entry for calling `full_method` at `now` as
// `key_id` with `secret`. Call once per ClientContext (a context serves one
// call). Errors: as BuildAuthorization.
absl::Status AttachAuthorization(grpc::ClientContext* context,
                                 absl::string_view full_method,
                                 absl::string_view key_id,
                                 absl::string_view secret, absl::Time now);

// Authenticates the call whose server context is `context` as a call of
// `full_method` received at `now`, and returns the caller's key id.
// Errors: Unauthenticated when the call has no authorization entry or more
// than one; otherwise as VerifyAuthorization.
absl::StatusOr<std::string> AuthenticateCall(
    const grpc::ServerContextBase& context, absl::string_view full_method,
    absl::Time now, const SecretLookup& lookup,
    absl::Duration max_skew = kDefaultMaxClockSkew);

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_GRPC_AUTH_H_
