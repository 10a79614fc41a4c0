// warehouse backup: a consistent copy of the master's metadata database,
// to a file (which appears only once whole and checked) or to standard
// output.
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "common/units.h"
#include "tools/cli_context.h"
#include "tools/cli_output.h"

namespace warehouse::cli {
namespace {

struct BackupFlags {
  std::string destination;
  std::string timeout = "1h";
};

absl::Status Backup(CliContext& context, const BackupFlags& flags) {
  const bool to_stdout = flags.destination == "-";
  if (to_stdout) {
    RETURN_IF_ERROR(RefuseTerminal(STDOUT_FILENO, "the backup"));
  }
  ASSIGN_OR_RETURN(const absl::Duration timeout,
                   ParseTimeoutFlag(flags.timeout));
  ASSIGN_OR_RETURN(Client * client, context.client());
  ASSIGN_OR_RETURN(const MetadataBackupInfo backup,
                   to_stdout ? client->BackupMetadata(WriteStdout, timeout)
                             : client->BackupMetadataToFile(flags.destination,
                                                            timeout));
  if (context.json && !to_stdout) {
    JsonWriter json;
    json.BeginObject()
        .Key("path").String(flags.destination)
        .Key("bytes").Number(backup.bytes)
        .Key("sha256").String(backup.sha256_hex)
        .EndObject();
    CliContext::Out(json.str() + "\n");
    return absl::OkStatus();
  }
  // With the copy on standard output, what was sent goes to standard error.
  const std::string line = absl::StrCat(
      "metadata backup: ", FormatBytes(backup.bytes), " (", backup.bytes,
      " bytes) ", to_stdout ? "to standard output" : "to " + flags.destination,
      ", sha256 ", backup.sha256_hex, "\n");
  if (to_stdout) {
    CliContext::Note(line);
  } else {
    CliContext::Out(line);
  }
  return absl::OkStatus();
}

}  // namespace

void AddBackupCommand(CLI::App& app, CliContext& context,
                      CommandRunners& runners) {
  auto flags = std::make_shared<BackupFlags>();
  CLI::App* backup = app.add_subcommand(
      "backup",
      "Copy the master's metadata database, consistently, while it serves "
      "(admin)");
  backup->add_option("FILE", flags->destination,
                     "Where to write the copy; - for standard output")
      ->required();
  backup->add_option("--timeout", flags->timeout,
                     "How long the whole copy may take")
      ->capture_default_str();
  runners.emplace_back(backup,
                       [&context, flags] { return Backup(context, *flags); });
}

}  // namespace warehouse::cli
