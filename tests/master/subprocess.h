// A child process for end-to-end tests: started with fork and execve, its
// stdout and stderr read together through one pipe. Every wait is bounded.
#ifndef WAREHOUSE_TESTS_MASTER_SUBPROCESS_H_
#define WAREHOUSE_TESTS_MASTER_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace warehouse::master::testing {

// Not thread-safe.
class Subprocess {
 public:
  // Runs `argv` (argv[0] is the program's path) with this process's
  // environment changed by `env`: "NAME=value" sets a variable, "NAME"
  // removes it. Fails the test when the process cannot be started.
  static std::unique_ptr<Subprocess> Start(const std::vector<std::string>& argv,
                                           const std::vector<std::string>& env);

  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  // Kills the process (SIGKILL) if it is still running, and reaps it.
  ~Subprocess();

  // Reads output until it contains `text`, the process closes its output,
  // or `limit` passes. Returns whether `text` was seen.
  bool ReadUntil(absl::string_view text, absl::Duration limit);

  // Everything read so far.
  const std::string& output() const { return output_; }

  void Signal(int signal_number);

  // Reads the remaining output and waits for the process to exit, up to
  // `limit`. Returns its exit code, or nullopt when it did not exit in
  // time or was killed by a signal.
  std::optional<int> Wait(absl::Duration limit);

 private:
  Subprocess(pid_t pid, int output_fd) : pid_(pid), output_fd_(output_fd) {}

  // Reads what is available within `limit`; false at end of output.
  bool ReadSome(absl::Duration limit);

  pid_t pid_;
  int output_fd_;
  bool exited_ = false;
  std::string output_;
};

// Runs a command to completion (bounded by `limit`) and returns its exit
// code and output, failing the test if it does not exit in time.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::vector<std::string>& env,
                         absl::Duration limit);

}  // namespace warehouse::master::testing

#endif  // WAREHOUSE_TESTS_MASTER_SUBPROCESS_H_
