// warehouse: the command-line client of a Warehouse cluster.
//
//   warehouse [--master HOST:PORT] [--json] COMMAND ...
//
// main only parses and dispatches; the commands live in cli_buckets.cc,
// cli_objects.cc and cli_admin.cc, the credentials rules in
// cli_credentials.h. docs/cli.md is the manual.
#include <cstdio>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "common/deadlock_detection.h"
#include "tools/cli_context.h"

namespace {

constexpr char kFooter[] = R"(
The master's address comes from --master, else WAREHOUSE_MASTER, else the
credentials file's `master`, else 127.0.0.1:9333. The access key comes from
WAREHOUSE_ACCESS_KEY and WAREHOUSE_SECRET_KEY, else from the credentials
file $XDG_CONFIG_HOME/warehouse/credentials (~/.config/warehouse/credentials),
which must be readable by its owner only (chmod 600):

  access_key_id = WH...
  secret_access_key = ...
  master = host:port

Exit status: 0 on success, 1 when the command failed, 2 for bad usage.)";

}  // namespace

int main(int argc, char** argv) {
  warehouse::ConfigureDeadlockDetection();
  using warehouse::cli::CliContext;
  CLI::App app{"warehouse: store and fetch objects in a Warehouse cluster",
               "warehouse"};
  app.footer(kFooter);
  app.require_subcommand(1);
  CliContext context;
  app.add_option("--master", context.master_flag,
                 "The master's gRPC address, host:port");
  app.add_option("--tls-ca", context.tls_ca_flag,
                 "PEM roots for a master and volume servers serving TLS (else "
                 "WAREHOUSE_TLS_CA; neither: plaintext)");
  app.add_flag("--json", context.json, "Print JSON for scripts");
  warehouse::cli::CommandRunners runners;
  warehouse::cli::AddBucketCommands(app, context, runners);
  warehouse::cli::AddObjectCommands(app, context, runners);
  warehouse::cli::AddAdminCommands(app, context, runners);
  warehouse::cli::AddVerifyCommand(app, context, runners);
  warehouse::cli::AddMoveCommand(app, context, runners);
  warehouse::cli::AddBackupCommand(app, context, runners);
  // Global flags are accepted after the command too, at any depth.
  std::vector<CLI::App*> commands = app.get_subcommands({});
  for (size_t i = 0; i < commands.size(); ++i) {
    commands[i]->fallthrough();
    for (CLI::App* sub : commands[i]->get_subcommands({})) {
      commands.push_back(sub);
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    while (!message.empty() && message.back() == '\n') message.pop_back();
    // A word where a command belongs is left over by the parser, which then
    // only says that a command is required; name the word instead.
    const std::vector<std::string> left_over = app.remaining(true);
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr &&
        !left_over.empty() && !left_over.front().empty() &&
        left_over.front()[0] != '-') {
      message = "unknown command \"" + left_over.front() + "\"";
    }
    std::fprintf(stderr, "warehouse: %s (see warehouse --help)\n",
                 message.c_str());
    return 2;
  }
  for (const auto& [command, run] : runners) {
    if (!command->parsed()) continue;
    absl::Status status = run();
    if (!status.ok()) {
      std::fflush(stdout);
      std::fprintf(stderr, "warehouse: %s\n",
                   std::string(status.message()).c_str());
      return 1;
    }
    return 0;
  }
  std::fprintf(stderr, "warehouse: no command given (see warehouse --help)\n");
  return 2;
}
