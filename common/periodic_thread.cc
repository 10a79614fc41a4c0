#include "common/periodic_thread.h"

#include <utility>

namespace warehouse {

void PeriodicThread::Start(absl::Duration interval, std::function<void()> run,
                           First first) {
  thread_ = std::thread([this, interval, run = std::move(run), first] {
    if (first == First::kAtOnce) run();
    while (!stop_.WaitForNotificationWithTimeout(interval)) run();
  });
}

void PeriodicThread::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

}  // namespace warehouse
