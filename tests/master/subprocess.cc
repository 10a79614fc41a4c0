#include "tests/master/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/time/clock.h"
#include "catch2/catch.hpp"

extern char** environ;

namespace warehouse::master::testing {
namespace {

std::vector<std::string> MergedEnvironment(
    const std::vector<std::string>& env) {
  std::vector<std::string> merged;
  auto name_of = [](const std::string& entry) {
    return entry.substr(0, entry.find('='));
  };
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    bool overridden = false;
    for (const std::string& change : env) {
      if (name_of(change) == name_of(entry)) overridden = true;
    }
    if (!overridden) merged.push_back(entry);
  }
  for (const std::string& change : env) {
    if (change.find('=') != std::string::npos) merged.push_back(change);
  }
  return merged;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

std::unique_ptr<Subprocess> Subprocess::Start(
    const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  REQUIRE_FALSE(argv.empty());
  std::vector<std::string> args = argv;
  std::vector<std::string> environment = MergedEnvironment(env);
  std::vector<char*> arg_pointers = Pointers(args);
  std::vector<char*> env_pointers = Pointers(environment);
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The child: only async-signal-safe calls until execve.
    ::dup2(fds[1], STDOUT_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    // A parent test runner may block signals; the child must see SIGTERM.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(arg_pointers[0], arg_pointers.data(), env_pointers.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  return std::unique_ptr<Subprocess>(new Subprocess(pid, fds[0]));
}

Subprocess::~Subprocess() {
  if (!exited_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  ::close(output_fd_);
}

bool Subprocess::ReadSome(absl::Duration limit) {
  pollfd pfd{output_fd_, POLLIN, 0};
  const int ready =
      ::poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(limit)));
  if (ready <= 0) return true;  // nothing yet (or EINTR): not the end
  char buf[4096];
  const ssize_t n = ::read(output_fd_, buf, sizeof(buf));
  if (n < 0 && errno == EINTR) return true;
  if (n <= 0) return false;
  output_.append(buf, static_cast<size_t>(n));
  return true;
}

bool Subprocess::ReadUntil(absl::string_view text, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::string_view(output_).find(text) == std::string::npos) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    if (!ReadSome(std::min(left, absl::Milliseconds(100)))) {
      return absl::string_view(output_).find(text) != std::string::npos;
    }
  }
  return true;
}

void Subprocess::Signal(int signal_number) {
  if (!exited_) ::kill(pid_, signal_number);
}

std::optional<int> Subprocess::Wait(absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  bool open = true;
  while (!exited_) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exited_ = true;
      while (ReadSome(absl::ZeroDuration()) &&
             output_.size() < (size_t{1} << 24)) {
        pollfd pfd{output_fd_, POLLIN, 0};
        if (::poll(&pfd, 1, 0) <= 0) break;
      }
      if (!WIFEXITED(status)) return std::nullopt;
      return WEXITSTATUS(status);
    }
    if (absl::Now() >= deadline) return std::nullopt;
    if (open) {
      open = ReadSome(absl::Milliseconds(20));
    } else {
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  return std::nullopt;
}

CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::vector<std::string>& env,
                         absl::Duration limit) {
  std::unique_ptr<Subprocess> process = Subprocess::Start(argv, env);
  std::optional<int> code = process->Wait(limit);
  INFO(process->output());
  REQUIRE(code.has_value());
  return CommandResult{*code, process->output()};
}

}  // namespace warehouse::master::testing
