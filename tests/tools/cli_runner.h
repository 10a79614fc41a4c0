// Runs the warehouse binary as a user would: arguments, environment, a
// working directory and standard input, with stdout and stderr kept apart.
#ifndef WAREHOUSE_TESTS_TOOLS_CLI_RUNNER_H_
#define WAREHOUSE_TESTS_TOOLS_CLI_RUNNER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace warehouse::testing {

struct CliRun {
  int exit_code = -1;
  std::string out;  // standard output
  std::string err;  // standard error
};

struct CliInvocation {
  std::vector<std::string> argv;  // argv[0] is the binary
  // The whole environment of the child: nothing is inherited, so the
  // caller's own WAREHOUSE_* variables or credentials never leak in.
  std::vector<std::pair<std::string, std::string>> env;
  std::string cwd;  // empty: the test's
  std::string stdin_data;
  // Standard input is a pipe fed from a thread, as in `cmd | warehouse`,
  // rather than a file holding stdin_data.
  bool stdin_pipe = false;
  absl::Duration timeout = absl::Seconds(120);
};

// Errors: Internal (cannot start), DeadlineExceeded (killed after timeout).
absl::StatusOr<CliRun> RunCli(const CliInvocation& invocation);

}  // namespace warehouse::testing

#endif  // WAREHOUSE_TESTS_TOOLS_CLI_RUNNER_H_
