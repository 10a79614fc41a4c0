#include "tests/support/certificate.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "tests/support/process.h"

namespace warehouse::testing {

absl::StatusOr<Certificate> MakeCertificate(const TempDir& dir,
                                            const std::string& name) {
  Certificate made{dir.Join(name + "-cert.pem"), dir.Join(name + "-key.pem")};
  ASSIGN_OR_RETURN(
      CommandResult result,
      RunCommand({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec",
                  "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                  "-keyout", made.key, "-out", made.cert, "-days", "1",
                  "-subj", "/CN=localhost", "-addext",
                  "subjectAltName=DNS:localhost,IP:127.0.0.1"}));
  if (result.exit_code != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("openssl req exited with ", result.exit_code, ": ",
                     result.output));
  }
  return made;
}

absl::Status CopyCertificate(const Certificate& from, const Certificate& to) {
  for (const auto& [source, target] :
       {std::pair(from.key, to.key), std::pair(from.cert, to.cert)}) {
    std::error_code ec;
    std::filesystem::copy_file(
        source, target, std::filesystem::copy_options::overwrite_existing,
        ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("copy ", source, " to ",
                                                 target, ": ", ec.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace warehouse::testing
