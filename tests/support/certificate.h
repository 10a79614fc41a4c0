// Self-signed TLS certificates for tests, made with the openssl command.
#ifndef WAREHOUSE_TESTS_SUPPORT_CERTIFICATE_H_
#define WAREHOUSE_TESTS_SUPPORT_CERTIFICATE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/support/temp_dir.h"

namespace warehouse::testing {

// Paths of a PEM certificate and its private key.
struct Certificate {
  std::string cert;
  std::string key;
};

// A self-signed certificate for localhost and 127.0.0.1, valid for a day,
// written to `dir` as <name>-cert.pem and <name>-key.pem. Errors: those of
// starting openssl, or FailedPrecondition with its output when it fails.
absl::StatusOr<Certificate> MakeCertificate(const TempDir& dir,
                                            const std::string& name);

// Copies the files of `from` over those of `to`, key first, as a renewal
// replaces a server's pair in place. Errors: Unavailable (a copy failed).
absl::Status CopyCertificate(const Certificate& from, const Certificate& to);

}  // namespace warehouse::testing

#endif  // WAREHOUSE_TESTS_SUPPORT_CERTIFICATE_H_
