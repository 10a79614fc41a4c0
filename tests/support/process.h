// A child process for end-to-end tests: one of the project's binaries,
// started with arguments and environment, its output kept in a log file.
// The destructor kills (SIGKILL) and reaps a process still running, so no
// test leaves servers behind.
#ifndef WAREHOUSE_TESTS_SUPPORT_PROCESS_H_
#define WAREHOUSE_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace warehouse::testing {

class Process {
 public:
  // Starts argv[0] with `argv`, adding `env` to this process's environment.
  // Standard output and error go (appended) to `log_path`.
  static absl::StatusOr<std::unique_ptr<Process>> Start(
      std::vector<std::string> argv,
      std::vector<std::pair<std::string, std::string>> env,
      std::string log_path);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Waits until the log holds a line containing `needle` (written after this
  // process started) and returns that line. Errors: DeadlineExceeded, or
  // FailedPrecondition when the process exits first (with its log's tail).
  absl::StatusOr<std::string> WaitForLine(absl::string_view needle,
                                          absl::Duration timeout);

  void Signal(int signal_number);
  // Waits for the process to exit; returns its exit code, or 128 + signal.
  // Errors: DeadlineExceeded.
  absl::StatusOr<int> Wait(absl::Duration timeout);
  // SIGKILL and reap.
  void Kill();
  bool running();

  pid_t pid() const { return pid_; }
  // The whole log (for failure messages).
  std::string Log() const;

 private:
  Process(pid_t pid, std::string log_path, size_t log_start)
      : pid_(pid), log_path_(std::move(log_path)), log_start_(log_start) {}

  const pid_t pid_;
  const std::string log_path_;
  const size_t log_start_;  // log bytes written before this process
  std::optional<int> exit_code_;
};

// Runs a command to completion and returns its exit code and output.
struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
absl::StatusOr<CommandResult> RunCommand(
    std::vector<std::string> argv,
    std::vector<std::pair<std::string, std::string>> env = {},
    absl::Duration timeout = absl::Seconds(60), std::string stdin_data = "");

}  // namespace warehouse::testing

#endif  // WAREHOUSE_TESTS_SUPPORT_PROCESS_H_
