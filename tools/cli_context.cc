#include "tools/cli_context.h"

#include <cstdio>
#include <cstdlib>
#include <map>

#include "common/tls_credentials.h"
#include "tools/cli_credentials.h"

extern char** environ;

namespace warehouse::cli {

absl::StatusOr<Client*> CliContext::client() {
  if (client_ != nullptr) return client_.get();
  std::map<std::string, std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    absl::string_view text(*entry);
    const size_t eq = text.find('=');
    if (eq == absl::string_view::npos) continue;
    env.emplace(std::string(text.substr(0, eq)),
                std::string(text.substr(eq + 1)));
  }
  absl::StatusOr<Connection> connection =
      ResolveConnection(master_flag, env, DefaultCredentialsPath());
  if (!connection.ok()) return connection.status();
  ClientOptions options;
  options.master_address = connection->master;
  options.access_key_id = connection->access_key_id;
  options.secret_access_key = connection->secret_access_key;
  const std::string tls_ca =
      tls_ca_flag.empty() ? env["WAREHOUSE_TLS_CA"] : tls_ca_flag;
  if (!tls_ca.empty()) {
    absl::StatusOr<std::string> roots =
        ReadPemFile("TLS root certificates", tls_ca);
    if (!roots.ok()) return roots.status();
    options.tls_root_certs = *std::move(roots);
  }
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Create(std::move(options));
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
