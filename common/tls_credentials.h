// gRPC credentials from PEM files, for every Warehouse process: a listener's
// certificate and key (--tls-cert, --tls-key), and the roots a process
// checks its peers' certificates against (--tls-ca). docs/master.md, TLS.
#ifndef WAREHOUSE_COMMON_TLS_CREDENTIALS_H_
#define WAREHOUSE_COMMON_TLS_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace warehouse {

// Insecure credentials when both paths are empty, else TLS with the PEM
// certificate chain in `cert_file` and its private key in `key_file`,
// read again when they change (gRPC looks every `reload_every`, rounded
// up to whole seconds; new connections get the new pair). Errors:
// InvalidArgument (only one of the two given, a file that is not PEM or
// larger than 1 MiB); NotFound, PermissionDenied, Unavailable (reading a
// file).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const std::string& cert_file, const std::string& key_file,
    absl::Duration reload_every);

// Insecure credentials when `ca_file` is empty, else TLS that accepts a
// peer only with a certificate signed by a root in the PEM file `ca_file`
// and naming the host dialled. Errors as for MakeServerCredentials.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
MakeChannelCredentials(const std::string& ca_file);

// The PEM text of `path`, for SDK options that take it as a string. Errors
// as for MakeServerCredentials.
absl::StatusOr<std::string> ReadPemFile(const std::string& what,
                                        const std::string& path);

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_TLS_CREDENTIALS_H_
