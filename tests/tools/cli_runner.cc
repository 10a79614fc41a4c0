#include "tests/tools/cli_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

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
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  if (pid == 0) {
    ::dup2(in.fd, 0);
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
  const absl::Time deadline = absl::Now() + invocation.timeout;
  CliRun run;
  int status = 0;
  while (true) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (absl::Now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return absl::DeadlineExceededError(
          absl::StrCat(invocation.argv[0], " ran past ",
                       absl::FormatDuration(invocation.timeout), "; stderr:\n",
                       ReadFile(err.path)));
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status)
                                    : 128 + WTERMSIG(status);
  run.out = ReadFile(out.path);
  run.err = ReadFile(err.path);
  return run;
}

}  // namespace warehouse::testing
