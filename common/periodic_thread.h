// A background thread that does one thing at a fixed interval until it is
// stopped: the master's deletion, compaction, verification and deadline
// passes, and the volume store's syncs.
#ifndef WAREHOUSE_COMMON_PERIODIC_THREAD_H_
#define WAREHOUSE_COMMON_PERIODIC_THREAD_H_

#include <functional>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace warehouse {

// Not thread-safe; owned by the object whose work it runs, which stops it
// in its destructor before anything `run` uses is gone.
class PeriodicThread {
 public:
  enum class First { kAfterInterval, kAtOnce };

  PeriodicThread() = default;
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;
  ~PeriodicThread() { Stop(); }

  // Calls `run` on a new thread every `interval`, the first time one
  // interval from now or, with First::kAtOnce, at once. Call at most once.
  void Start(absl::Duration interval, std::function<void()> run,
             First first = First::kAfterInterval);
  // Lets a call under way finish and ends the thread, without waiting for
  // the interval. Idempotent; nothing to do without Start.
  void Stop();

 private:
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_PERIODIC_THREAD_H_
