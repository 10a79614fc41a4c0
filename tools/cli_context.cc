#include "tools/cli_context.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/units.h"

#include "tools/cli_credentials.h"

namespace warehouse::cli {

absl::StatusOr<Client*> CliContext::client() {
  if (client_ != nullptr) return client_.get();
  absl::StatusOr<ClientOptions> options =
      ResolveClientOptions(master_flag, tls_ca_flag, ProcessEnvironment(),
                           DefaultCredentialsPath());
  if (!options.ok()) return options.status();
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Create(*std::move(options));
  if (!client.ok()) return client.status();
  client_ = *std::move(client);
  return client_.get();
}

void CliContext::Out(absl::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
}

void CliContext::Note(absl::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stderr);
}

absl::Status RefuseTerminal(int fd, absl::string_view what) {
  if (::isatty(fd) != 1) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "standard output is a terminal; ", what,
      " is binary: redirect it to a file or a pipe, or name a file"));
}

absl::Status WriteStdout(absl::string_view piece) {
  while (!piece.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, piece.data(), piece.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return absl::UnavailableError(
          absl::StrCat("standard output: ", std::strerror(errno)));
    }
    piece.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ParseBandwidthFlag(const std::string& value) {
  absl::StatusOr<uint64_t> bandwidth = ParseByteSize(value);
  if (!bandwidth.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--bandwidth ", value,
                     ": not bytes a second such as 64M, or 0 for no limit"));
  }
  return bandwidth;
}

absl::StatusOr<absl::Duration> ParseTimeoutFlag(const std::string& value) {
  absl::Duration timeout;
  if (!absl::ParseDuration(value, &timeout) ||
      timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--timeout ", value, ": not a positive duration such as 1h"));
  }
  return timeout;
}

}  // namespace warehouse::cli
