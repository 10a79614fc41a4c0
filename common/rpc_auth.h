// Request authentication for gRPC calls, without sending the secret.
//
// Every call carries one metadata entry:
//
//   authorization: WAREHOUSE-HMAC-SHA256 Credential=<key id>,
//                  Timestamp=<unix seconds>, Signature=<64 hex digits>
//
// (on one line, with exactly ", " between the three parts), where
//
//   Signature = hex(HMAC-SHA256(secret, "WAREHOUSE-HMAC-SHA256\n"
//                                       <full method> "\n"
//                                       <timestamp> "\n"
//                                       <key id>))
//
// and <full method> is the gRPC path, "/warehouse.v1.Master/CreateBucket".
// Clients sign with an access key (secret = its 40 characters); volume
// servers and operator tools sign Cluster and VolumeAdmin calls with a
// cluster key (secret = its raw bytes). The server accepts a timestamp
// within a clock-skew window of its own clock. The header authenticates
// the caller and the method, not the request body: on an untrusted network
// run gRPC over TLS. docs/access_keys.md has the details.
#ifndef WAREHOUSE_COMMON_RPC_AUTH_H_
#define WAREHOUSE_COMMON_RPC_AUTH_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/key_ring.h"

namespace warehouse {

// The metadata key (gRPC metadata keys are lowercase).
inline constexpr char kAuthorizationMetadataKey[] = "authorization";
// The scheme, the first word of the value.
inline constexpr char kRpcAuthScheme[] = "WAREHOUSE-HMAC-SHA256";
// How far a request's timestamp may be from the server's clock, either way.
inline constexpr absl::Duration kDefaultMaxClockSkew = absl::Minutes(5);

// Returns the authorization value for calling `full_method` at `now` as
// `key_id`. Errors: InvalidArgument when `key_id` is not 1 to 64
// characters of [A-Za-z0-9._-] or `full_method` does not look like
// "/<service>/<method>"; Internal when OpenSSL fails.
absl::StatusOr<std::string> BuildAuthorization(absl::string_view key_id,
                                               absl::string_view secret,
                                               absl::string_view full_method,
                                               absl::Time now);

// Returns the secret of `key_id`. Errors: NotFound when there is no such
// key (or it is revoked); any other code (Unavailable, Internal) when the
// lookup itself failed.
using SecretLookup =
    std::function<absl::StatusOr<std::string>(absl::string_view key_id)>;

// Checks an authorization value received for `full_method` at `now` and
// returns the authenticated key id. Errors: Unauthenticated when `header`
// is empty (no credentials), malformed, names a key `lookup` does not know,
// carries a timestamp more than `max_skew` from `now`, or has a wrong
// signature (wrong secret, another method, altered timestamp or key id);
// other codes from `lookup` are returned as they are, since the caller's
// credentials may be fine and a retry may succeed.
absl::StatusOr<std::string> VerifyAuthorization(absl::string_view header,
                                                absl::string_view full_method,
                                                absl::Time now,
                                                absl::Duration max_skew,
                                                const SecretLookup& lookup);

// A SecretLookup over the cluster key ring. `keys` must outlive the
// returned function.
SecretLookup KeyRingLookup(const KeyRing& keys);

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_RPC_AUTH_H_
