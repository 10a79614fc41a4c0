#include "common/tls_credentials.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/file.h"
#include "common/status_macros.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace warehouse {
namespace {

constexpr size_t kMaxPemFileSize = 1 << 20;

}  // namespace

absl::StatusOr<std::string> ReadPemFile(const std::string& what,
                                        const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("open ", what), path);
  std::string text;
  char buf[8192];
  absl::Status status;
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = ErrnoToStatus(errno, absl::StrCat("read ", what), path);
      break;
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxPemFileSize) {
      status = absl::InvalidArgumentError(absl::StrCat(
          what, " ", path, ": larger than ", kMaxPemFileSize, " bytes"));
      break;
    }
  }
  ::close(fd);
  RETURN_IF_ERROR(status);
  if (!absl::StrContains(text, "-----BEGIN ")) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", path, ": not a PEM file"));
  }
  return text;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const std::string& cert_file, const std::string& key_file,
    absl::Duration reload_every) {
  if (cert_file.empty() && key_file.empty()) {
    return grpc::InsecureServerCredentials();
  }
  if (cert_file.empty() || key_file.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs both --tls-cert and --tls-key");
  }
  // Read here only for their errors: gRPC's watcher reads them itself, and
  // would only log what it cannot read.
  RETURN_IF_ERROR(ReadPemFile("TLS certificate", cert_file).status());
  RETURN_IF_ERROR(ReadPemFile("TLS key", key_file).status());
  const auto seconds = static_cast<unsigned int>(
      std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(
                               reload_every, absl::Seconds(1)))));
  auto watcher =
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          key_file, cert_file, seconds);
  grpc::experimental::TlsServerCredentialsOptions options(watcher);
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  return grpc::experimental::TlsServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
MakeChannelCredentials(const std::string& ca_file) {
  if (ca_file.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  ASSIGN_OR_RETURN(options.pem_root_certs,
                   ReadPemFile("TLS root certificates", ca_file));
  return grpc::SslCredentials(options);
}

}  // namespace warehouse
