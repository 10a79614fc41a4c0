#include "common/periodic_thread.h"

#include <atomic>

#include "absl/time/clock.h"
#include "catch2/catch.hpp"

namespace warehouse {
namespace {

// Waits up to 10 s for `calls` to reach `n`.
bool AwaitCalls(const std::atomic<int>& calls, int n) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (calls.load() < n && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  return calls.load() >= n;
}

TEST_CASE("a periodic thread runs until stopped, and stops at once",
          "[common]") {
  std::atomic<int> calls{0};
  PeriodicThread thread;
  thread.Start(absl::Milliseconds(5), [&] { ++calls; });
  CHECK(AwaitCalls(calls, 3));
  thread.Stop();
  const int stopped_at = calls.load();
  absl::SleepFor(absl::Milliseconds(30));
  CHECK(calls.load() == stopped_at);
  thread.Stop();  // again: nothing to do

  // A stop does not wait out a long interval, and the first call comes at
  // once when asked.
  std::atomic<int> hourly{0};
  PeriodicThread slow;
  slow.Start(absl::Hours(1), [&] { ++hourly; },
             PeriodicThread::First::kAtOnce);
  CHECK(AwaitCalls(hourly, 1));
  const absl::Time before = absl::Now();
  slow.Stop();
  CHECK(absl::Now() - before < absl::Minutes(1));
  CHECK(hourly.load() == 1);

  PeriodicThread never_started;
  never_started.Stop();
}

}  // namespace
}  // namespace warehouse
