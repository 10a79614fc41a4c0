// A binary of its own: ConfigureDeadlockDetection changes a process-wide
// mode, which the other unit tests keep at abseil's default.
#include "common/deadlock_detection.h"

#include "absl/synchronization/mutex.h"
#include "catch2/catch.hpp"

namespace warehouse {
namespace {

TEST_CASE("an NDEBUG binary takes two mutexes in both orders without dying",
          "[common]") {
  ConfigureDeadlockDetection();
#ifdef NDEBUG
  // With abseil's check on, the second order is a potential deadlock and
  // the process aborts ("dying due to potential deadlock").
  absl::Mutex first;
  absl::Mutex second;
  {
    absl::MutexLock a(&first);
    absl::MutexLock b(&second);
  }
  {
    absl::MutexLock b(&second);
    absl::MutexLock a(&first);
  }
  SUCCEED("no lock-order abort");
#else
  // Debug builds keep the check, and an inversion would abort this test.
  SUCCEED("the check stays on in debug builds");
#endif
}

}  // namespace
}  // namespace warehouse
