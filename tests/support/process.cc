#include "tests/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

extern char** environ;

namespace warehouse::testing {
namespace {

size_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
}

std::string ReadFrom(const std::string& path, size_t offset) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> MergedEnvironment(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    bool replaced = false;
    for (const auto& [name, value] : extra) {
      if (entry.rfind(name + "=", 0) == 0) replaced = true;
    }
    if (!replaced) env.push_back(entry);
  }
  for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
  return env;
}

// Forks and execs; the child's stdin is /dev/null or `stdin_fd`.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv,
                            const std::vector<std::string>& env, int out_fd,
                            int stdin_fd) {
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  if (pid == 0) {
    int in = stdin_fd >= 0 ? stdin_fd : ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out_fd, 1);
    ::dup2(out_fd, 2);
    // Unblock what the test runner may have blocked.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(args[0], args.data(), envp.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], strerror(errno));
    ::_exit(127);
  }
  return pid;
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Process>> Process::Start(
    std::vector<std::string> argv,
    std::vector<std::pair<std::string, std::string>> env,
    std::string log_path) {
  int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("open ", log_path, ": ", strerror(errno)));
  }
  size_t start = FileSize(log_path);
  absl::StatusOr<pid_t> pid = Spawn(argv, MergedEnvironment(env), fd, -1);
  ::close(fd);
  if (!pid.ok()) return pid.status();
  return std::unique_ptr<Process>(new Process(*pid, std::move(log_path), start));
}

Process::~Process() {
  if (!exit_code_) Kill();
}

absl::StatusOr<std::string> Process::WaitForLine(absl::string_view needle,
                                                 absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    std::string log = ReadFrom(log_path_, log_start_);
    for (absl::string_view line : absl::StrSplit(log, '\n')) {
      if (line.find(needle) != absl::string_view::npos) return std::string(line);
    }
    if (!running()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "process exited with ", exit_code_.value_or(-1), " before printing \"",
          needle, "\"; its output:\n", log));
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "no line with \"", needle, "\" after ", absl::FormatDuration(timeout),
          "; output:\n", log));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

void Process::Signal(int signal_number) {
  if (!exit_code_) ::kill(pid_, signal_number);
}

bool Process::running() {
  if (exit_code_) return false;
  int status;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = DecodeWaitStatus(status);
    return false;
  }
  return true;
}

absl::StatusOr<int> Process::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (running()) {
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "process ", pid_, " still running after ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return *exit_code_;
}

void Process::Kill() {
  if (exit_code_) return;
  ::kill(pid_, SIGKILL);
  int status;
  ::waitpid(pid_, &status, 0);
  exit_code_ = DecodeWaitStatus(status);
}

std::string Process::Log() const { return ReadFrom(log_path_, log_start_); }

absl::StatusOr<CommandResult> RunCommand(
    std::vector<std::string> argv,
    std::vector<std::pair<std::string, std::string>> env, absl::Duration timeout,
    std::string stdin_data) {
  char out_template[] = "/tmp/warehouse-cmd-XXXXXX";
  int out_fd = ::mkstemp(out_template);
  if (out_fd < 0) return absl::InternalError("mkstemp failed");
  std::string out_path = out_template;
  int in_fd = -1;
  std::string in_path;
  if (!stdin_data.empty()) {
    char in_template[] = "/tmp/warehouse-in-XXXXXX";
    in_fd = ::mkstemp(in_template);
    in_path = in_template;
    if (::write(in_fd, stdin_data.data(), stdin_data.size()) !=
        static_cast<ssize_t>(stdin_data.size())) {
      return absl::InternalError("writing stdin file failed");
    }
    ::lseek(in_fd, 0, SEEK_SET);
  }
  absl::StatusOr<pid_t> pid = Spawn(argv, MergedEnvironment(env), out_fd, in_fd);
  ::close(out_fd);
  if (in_fd >= 0) ::close(in_fd);
  if (!pid.ok()) return pid.status();
  const absl::Time deadline = absl::Now() + timeout;
  CommandResult result;
  while (true) {
    int status;
    pid_t r = ::waitpid(*pid, &status, WNOHANG);
    if (r == *pid) {
      result.exit_code = DecodeWaitStatus(status);
      break;
    }
    if (absl::Now() > deadline) {
      ::kill(*pid, SIGKILL);
      ::waitpid(*pid, &status, 0);
      result.exit_code = -1;
      break;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  result.output = ReadFrom(out_path, 0);
  ::unlink(out_path.c_str());
  if (!in_path.empty()) ::unlink(in_path.c_str());
  if (result.exit_code == -1) {
    return absl::DeadlineExceededError(
        absl::StrCat(argv[0], " ran past ", absl::FormatDuration(timeout),
                     "; output:\n", result.output));
  }
  return result;
}

}  // namespace warehouse::testing
