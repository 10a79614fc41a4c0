// Starts a real cluster for the dashboard's browser test
// (dashboard_test.js): warehouse-master and one warehouse-volume on
// 127.0.0.1, with an admin key. Prints one line of JSON with the
// addresses and the key, then waits until its standard input closes (the
// test ended, or died) and kills every process it started. It also gives
// up on its own after --max-seconds, so nothing outlives a hung test.
#include <poll.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "common/json.h"
#include "tests/support/cluster.h"

namespace {

// Waits until stdin reaches EOF or `deadline` passes.
void AwaitStdinClosed(absl::Time deadline) {
  char buf[256];
  while (absl::Now() < deadline) {
    pollfd fd{STDIN_FILENO, POLLIN, 0};
    const int left_ms =
        static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    const int ready = ::poll(&fd, 1, left_ms > 1000 ? 1000 : left_ms);
    if (ready < 0 && errno != EINTR) return;
    if (ready > 0) {
      const ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
      if (n <= 0) return;
    }
  }
  std::cerr << "dashboard_cluster: --max-seconds passed; stopping" << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  int max_seconds = 600;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--max-seconds" &&
        absl::SimpleAtoi(argv[i + 1], &max_seconds)) {
      continue;
    }
    std::cerr << "usage: dashboard_cluster [--max-seconds N]" << std::endl;
    return 2;
  }
  warehouse::testing::ClusterOptions options;
  options.master_bin = WAREHOUSE_MASTER_BIN;
  options.volume_bin = WAREHOUSE_VOLUME_BIN;
  options.volume_servers = 1;
  options.volume_size = "256M";
  // Volumes verified by the master within the test's time.
  options.master_args = {"--auto-verify-every", "2s",
                         "--auto-verify-interval", "200ms"};
  absl::StatusOr<std::unique_ptr<warehouse::testing::Cluster>> cluster =
      warehouse::testing::Cluster::Start(options);
  if (!cluster.ok()) {
    std::cerr << "dashboard_cluster: " << cluster.status() << std::endl;
    return 1;
  }
  std::cout << warehouse::JsonObject()
                   .Add("master_http", (*cluster)->master_http_address())
                   .Add("master_grpc", (*cluster)->master_address())
                   .Add("volume_http", (*cluster)->volume_address(0))
                   .Add("access_key_id", (*cluster)->access_key_id())
                   .Add("secret_access_key", (*cluster)->secret_access_key())
                   .Close()
            << std::endl;
  AwaitStdinClosed(absl::Now() + absl::Seconds(max_seconds));
  cluster->reset();  // kills the servers and removes their data
  return 0;
}
