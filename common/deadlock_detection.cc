#include "common/deadlock_detection.h"

#include "absl/synchronization/mutex.h"

namespace warehouse {

void ConfigureDeadlockDetection() {
#ifdef NDEBUG
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
}

}  // namespace warehouse
