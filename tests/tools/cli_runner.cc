#include "tests/tools/cli_runner.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace warehouse::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// A temporary file that is removed with this object.
struct ScratchFile {
  ScratchFile() {
    const char* base = std::getenv("TMPDIR");
    path = std::string(base ? base : "/tmp") + "/warehouse-cli-XXXXXX";
    fd = ::mkstemp(path.data());
  }
  ~ScratchFile() {
    if (fd >= 0) ::close(fd);
    ::unlink(path.c_str());
  }
  std::string path;
  int fd = -1;
};

// Feeds `data` into the write end of a pipe, then closes it. A reader that
// exits early makes write fail with EPIPE: SIGPIPE is blocked on this
// thread, so it does not end the test.
std::thread FeedPipe(int fd, std::string data) {
  return std::thread([fd, data = std::move(data)] {
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    for (size_t done = 0; done < data.size();) {
      const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ::close(fd);
  });
}

}  // namespace

absl::StatusOr<CliRun> RunCli(const CliInvocation& invocation) {
  ScratchFile out, err, in;
  if (out.fd < 0 || err.fd < 0 || in.fd < 0) {
    return absl::InternalError("mkstemp failed");
  }
  if (::write(in.fd, invocation.stdin_data.data(),
              invocation.stdin_data.size()) !=
      static_cast<ssize_t>(invocation.stdin_data.size())) {
    return absl::InternalError("writing standard input failed");
  }
  ::lseek(in.fd, 0, SEEK_SET);
  int pipe_fds[2] = {-1, -1};
  if (invocation.stdin_pipe && ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  }
  std::vector<std::string> env_strings;
  for (const auto& [name, value] : invocation.env) {
    env_strings.push_back(name + "=" + value);
  }
  std::vector<char*> args, envp;
  for (const auto& a : invocation.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    if (invocation.stdin_pipe) {
      ::close(pipe_fds[0]);
      ::close(pipe_fds[1]);
    }
    return absl::InternalError(absl::StrCat("fork: ", strerror(err)));
  }
  if (pid == 0) {
    ::dup2(invocation.stdin_pipe ? pipe_fds[0] : in.fd, 0);
    ::dup2(out.fd, 1);
    ::dup2(err.fd, 2);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (!invocation.cwd.empty() && ::chdir(invocation.cwd.c_str()) != 0) {
      std::fprintf(stderr, "chdir %s: %s\n", invocation.cwd.c_str(),
                   strerror(errno));
      ::_exit(127);
    }
    ::execve(args[0], args.data(), envp.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], strerror(errno));
    ::_exit(127);
  }
  std::thread feeder;
  if (invocation.stdin_pipe) {
    ::close(pipe_fds[0]);
    feeder = FeedPipe(pipe_fds[1], invocation.stdin_data);
  }
  const absl::Time deadline = absl::Now() + invocation.timeout;
  CliRun run;
  int status = 0;
  while (true) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (absl::Now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      if (feeder.joinable()) feeder.join();
      return absl::DeadlineExceededError(
          absl::StrCat(invocation.argv[0], " ran past ",
                       absl::FormatDuration(invocation.timeout), "; stderr:\n",
                       ReadFile(err.path)));
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  if (feeder.joinable()) feeder.join();
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status)
                                    : 128 + WTERMSIG(status);
  run.out = ReadFile(out.path);
  run.err = ReadFile(err.path);
  return run;
}

}  // namespace warehouse::testing
