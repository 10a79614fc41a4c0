#include "tools/timed_loop.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace warehouse::bench {
namespace {

// Written by the signal handler: lock-free, hence async-signal-safe.
std::atomic<bool> stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void OnStopSignal(int) { stop_requested.store(true); }

// The first error of a loop's threads.
class FirstError {
 public:
  void Record(absl::Status status) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (status_.ok()) status_ = std::move(status);
  }
  absl::Status Get() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return status_;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

double LoopStats::PerSecond() const {
  const double seconds = absl::ToDoubleSeconds(elapsed);
  return seconds > 0 ? static_cast<double>(ops) / seconds : 0;
}

double LoopStats::NanosPerOp(int threads) const {
  return ops > 0 ? absl::ToDoubleNanoseconds(elapsed) * threads /
                       static_cast<double>(ops)
                 : 0;
}

absl::StatusOr<LoopStats> RunTimedLoop(
    int threads, uint64_t max_ops, absl::Duration time_limit,
    const std::function<absl::Status(int thread, uint64_t n)>& op) {
  std::atomic<uint64_t> next{0};
  std::atomic<uint64_t> done{0};
  std::atomic<bool> failed{false};
  FirstError error;
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + time_limit;
  auto body = [&](int thread) {
    while (!failed.load(std::memory_order_relaxed) && !StopRequested() &&
           absl::Now() < deadline) {
      const uint64_t n = next.fetch_add(1, std::memory_order_relaxed);
      if (n >= max_ops) break;
      absl::Status status = op(thread, n);
      if (!status.ok()) {
        error.Record(std::move(status));
        failed.store(true);
        break;
      }
      done.fetch_add(1, std::memory_order_relaxed);
    }
  };
  std::vector<std::thread> workers;
  workers.reserve(threads);
  for (int t = 0; t < threads; ++t) workers.emplace_back(body, t);
  for (std::thread& worker : workers) worker.join();
  LoopStats stats;
  stats.elapsed = absl::Now() - start;
  stats.ops = done.load();
  absl::Status status = error.Get();
  if (!status.ok()) return status;
  if (StopRequested()) return absl::CancelledError("stopped by a signal");
  return stats;
}

absl::Status RunToCompletion(
    int threads, uint64_t count, absl::Duration time_limit,
    const std::function<absl::Status(int thread, uint64_t n)>& op) {
  absl::StatusOr<LoopStats> stats =
      RunTimedLoop(threads, count, time_limit, op);
  if (!stats.ok()) return stats.status();
  if (stats->ops < count) {
    return absl::DeadlineExceededError(
        absl::StrCat("only ", stats->ops, " of ", count, " operations done in ",
                     absl::FormatDuration(time_limit)));
  }
  return absl::OkStatus();
}

bool StopRequested() { return stop_requested.load(); }

StopOnSignals::StopOnSignals() {
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &old_int_);
  sigaction(SIGTERM, &action, &old_term_);
}

StopOnSignals::~StopOnSignals() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

}  // namespace warehouse::bench
