// The credentials of the master's gRPC listener: plaintext, or TLS from a
// PEM certificate chain and private key (docs/master.md, TLS).
#ifndef WAREHOUSE_MASTER_TLS_CREDENTIALS_H_
#define WAREHOUSE_MASTER_TLS_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"

namespace warehouse::master {

// Insecure credentials when both paths are empty, else TLS with the PEM
// certificate chain in `cert_file` and its private key in `key_file`.
// Errors: InvalidArgument (only one of the two given, a file that is not
// PEM or larger than 1 MiB); NotFound, PermissionDenied, Unavailable
// (reading a file).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const std::string& cert_file, const std::string& key_file);

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_TLS_CREDENTIALS_H_
