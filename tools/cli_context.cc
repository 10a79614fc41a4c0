#include "tools/cli_context.h"

#include <cstdio>
#include <cstdlib>

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

}  // namespace warehouse::cli
