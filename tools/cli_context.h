// What every warehouse command shares: the global flags, the client made
// from them on first use, and the registry of subcommands.
#ifndef WAREHOUSE_TOOLS_CLI_CONTEXT_H_
#define WAREHOUSE_TOOLS_CLI_CONTEXT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "warehouse/client.h"

namespace warehouse::cli {

// Not thread-safe; one per run of the CLI.
class CliContext {
 public:
  // --master; empty when not given.
  std::string master_flag;
  // --tls-ca: PEM roots for a master serving gRPC over TLS; empty when not
  // given (then WAREHOUSE_TLS_CA, else plaintext).
  std::string tls_ca_flag;
  // --json: print JSON for scripts instead of tables.
  bool json = false;

  // The client for the resolved connection (cli_credentials.h), made on
  // the first call. Errors: FailedPrecondition (no credentials), those of
  // reading the credentials file and of Client::Create.
  absl::StatusOr<Client*> client();

  // Writes `text` to standard output.
  static void Out(absl::string_view text);
  // Writes `text` to standard error (notes for people, never data).
  static void Note(absl::string_view text);

 private:
  std::unique_ptr<Client> client_;
};

// Writes data (a download, a backup) to standard output, unbuffered.
// Errors: Unavailable (a closed pipe, a full disk).
absl::Status WriteStdout(absl::string_view piece);

// OK unless `fd` is a terminal, where binary data such as a backup (`what`)
// would fill the screen and be lost. Errors: FailedPrecondition saying how
// to keep it instead.
absl::Status RefuseTerminal(int fd, absl::string_view what);

// A --bandwidth value: bytes a second such as 64M, or 0 for no limit.
// Errors: InvalidArgument naming the flag and its value.
absl::StatusOr<uint64_t> ParseBandwidthFlag(const std::string& value);
// A --timeout value: a positive duration such as 1h. Errors:
// InvalidArgument naming the flag and its value.
absl::StatusOr<absl::Duration> ParseTimeoutFlag(const std::string& value);

// The subcommands to run, each with the CLI11 app that parses it; main
// runs the one that was parsed.
using CommandRunners =
    std::vector<std::pair<CLI::App*, std::function<absl::Status()>>>;

// bucket create|list|delete
void AddBucketCommands(CLI::App& app, CliContext& context,
                       CommandRunners& runners);
// put, get, ls, stat, rm, url
void AddObjectCommands(CLI::App& app, CliContext& context,
                       CommandRunners& runners);
// servers, volumes, compact, drain, undrain, mark, fsck,
// key create|list|revoke
void AddAdminCommands(CLI::App& app, CliContext& context,
                      CommandRunners& runners);
// verify
void AddVerifyCommand(CLI::App& app, CliContext& context,
                      CommandRunners& runners);
// move
void AddMoveCommand(CLI::App& app, CliContext& context,
                    CommandRunners& runners);
// backup
void AddBackupCommand(CLI::App& app, CliContext& context,
                      CommandRunners& runners);

}  // namespace warehouse::cli

#endif  // WAREHOUSE_TOOLS_CLI_CONTEXT_H_
