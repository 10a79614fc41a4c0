// The loop every benchmark measurement runs in: operations spread over
// threads, bounded both by a count and by a time limit, stopped early by the
// first failure or by SIGINT/SIGTERM.
#ifndef WAREHOUSE_TOOLS_TIMED_LOOP_H_
#define WAREHOUSE_TOOLS_TIMED_LOOP_H_

#include <signal.h>

#include <cstdint>
#include <functional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace warehouse::bench {

struct LoopStats {
  uint64_t ops = 0;  // operations completed; numbered 0 .. ops-1
  absl::Duration elapsed;

  double PerSecond() const;
  // Average time per operation per thread, in nanoseconds.
  double NanosPerOp(int threads) const;
};

// Calls op(thread, n) for n = 0, 1, 2, ... on `threads` threads; each n is
// claimed by exactly one thread. Stops claiming once n reaches `max_ops` or
// `time_limit` has passed; every claimed n is run, so on success the
// operations 0 .. ops-1 have all completed. Errors: the first error an op
// returns (the other threads stop after their current op), Cancelled (a stop
// was requested).
absl::StatusOr<LoopStats> RunTimedLoop(
    int threads, uint64_t max_ops, absl::Duration time_limit,
    const std::function<absl::Status(int thread, uint64_t n)>& op);

// RunTimedLoop that must complete all `count` operations, for filling
// volumes before a measurement. Errors: DeadlineExceeded (not done within
// `time_limit`), else those of RunTimedLoop.
absl::Status RunToCompletion(
    int threads, uint64_t count, absl::Duration time_limit,
    const std::function<absl::Status(int thread, uint64_t n)>& op);

// Whether SIGINT or SIGTERM arrived while a StopOnSignals was alive.
bool StopRequested();

// While alive, SIGINT and SIGTERM request a stop instead of killing the
// process, so that a benchmark can remove its scratch files. Not
// thread-safe; create one, on the main thread.
class StopOnSignals {
 public:
  StopOnSignals();
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

 private:
  struct sigaction old_int_;
  struct sigaction old_term_;
};

}  // namespace warehouse::bench

#endif  // WAREHOUSE_TOOLS_TIMED_LOOP_H_
