#include "tools/cli_context.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "catch2/catch.hpp"
#include "tests/support/temp_dir.h"

namespace warehouse::cli {
namespace {

TEST_CASE("binary data is refused to a terminal, not to a file", "[tools]") {
  // A pseudo-terminal stands in for the screen.
  const int controller = ::posix_openpt(O_RDWR | O_NOCTTY);
  REQUIRE(controller >= 0);
  REQUIRE(::grantpt(controller) == 0);
  REQUIRE(::unlockpt(controller) == 0);
  const int terminal = ::open(::ptsname(controller), O_RDWR | O_NOCTTY);
  REQUIRE(terminal >= 0);
  const absl::Status refused = RefuseTerminal(terminal, "the backup");
  CHECK(refused.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(refused.message()),
             Catch::Contains("the backup is binary"));

  warehouse::testing::TempDir dir;
  const int file =
      ::open(dir.Join("copy").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  REQUIRE(file >= 0);
  CHECK(RefuseTerminal(file, "the backup").ok());
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  CHECK(RefuseTerminal(pipe_fds[1], "the backup").ok());
  for (int fd : {terminal, controller, file, pipe_fds[0], pipe_fds[1]}) {
    ::close(fd);
  }
}

}  // namespace
}  // namespace warehouse::cli
