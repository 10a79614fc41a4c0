// Whether absl::Mutex checks lock order, chosen once per process.
//
// Abseil built without NDEBUG, as Debian's packages are, records every
// Mutex acquisition in a process-wide lock-order graph guarded by one spin
// lock, and aborts on a cycle. That costs an uncontended lock and unlock
// about 93 ns instead of 14 ns (docs/benchmarks.md, "absl::Mutex without
// deadlock detection"), on every lock in the process, gRPC's included, and
// makes threads that lock unrelated mutexes contend for the graph's lock.
#ifndef WAREHOUSE_COMMON_DEADLOCK_DETECTION_H_
#define WAREHOUSE_COMMON_DEADLOCK_DETECTION_H_

namespace warehouse {

// Turns the lock-order check off in binaries built with NDEBUG (Release and
// RelWithDebInfo) and leaves abseil's default in debug builds. Every
// binary's main calls it first, before any thread starts or any Mutex is
// locked. Unit tests do not call it, so they keep the check wherever
// abseil has it on.
void ConfigureDeadlockDetection();

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_DEADLOCK_DETECTION_H_
