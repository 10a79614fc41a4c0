// Tells ThreadSanitizer how Abseil synchronises, in the TSan build of
// scripts/sanitizers.sh (linked into every executable by
// scripts/tsan/annotate_absl.cmake, never into a shipped binary).
//
// Debian's Abseil is a shared library built without TSan. absl::Mutex is
// implemented with atomics and futexes inside that library, which TSan does
// not see, so without help it takes every absl::Mutex for no lock at all
// and reports a race on every member the mutex guards; likewise the
// reference count that absl::Status copies share is decremented inside the
// library. Abseil built with TSan annotates its own locks
// (ABSL_TSAN_MUTEX_PRE_LOCK and friends); this file adds such annotations
// from outside. It defines the lock, unlock and wait functions of
// absl::Mutex, absl::CondVar and absl::Notification, and the release of a
// Status representation, in the executable, which the dynamic linker then
// prefers over the library's (for calls from the libraries too); each one
// tells TSan what happens and calls the library's own function, found with
// dlsym(RTLD_NEXT).
//
// With this, TSan checks our code's locking as it would with an
// instrumented Abseil: a member read without its mutex is still reported.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/base/options.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace {

#define WAREHOUSE_STRINGIFY_INNER(x) #x
#define WAREHOUSE_STRINGIFY(x) WAREHOUSE_STRINGIFY_INNER(x)

// Returns the library's definition of the function whose mangled name is
// `pattern` with "@" standing for Abseil's inline namespace (as mangled, a
// length and the name: "7debian3").
template <typename Function>
Function Real(const char* pattern) {
  static const std::string kNamespace = [] {
    const char* name = WAREHOUSE_STRINGIFY(ABSL_OPTION_INLINE_NAMESPACE_NAME);
    return std::to_string(std::strlen(name)) + name;
  }();
  std::string symbol = pattern;
  symbol.replace(symbol.find('@'), 1, kNamespace);
  void* address = dlsym(RTLD_NEXT, symbol.c_str());
  if (address == nullptr) {
    std::fprintf(stderr,
                 "absl_sync_annotations: %s not found in the loaded "
                 "libraries; Abseil's symbols changed, update "
                 "scripts/tsan/absl_sync_annotations.cc\n",
                 symbol.c_str());
    std::abort();
  }
  Function function;
  static_assert(sizeof(function) == sizeof(address));
  std::memcpy(&function, &address, sizeof(function));
  return function;
}

constexpr unsigned kRead = __tsan_mutex_read_lock;

// The library's functions call each other through the same symbols (a timed
// wait calls the deadline form; Notify locks the Notification's own
// mutex), and those calls land here too. Only the outermost call on a
// thread annotates; the calls it makes are the library's business.
thread_local int depth = 0;

// Marks the calling thread as inside a forwarded call while it lives;
// outermost() says whether this call should annotate.
class Forwarding {
 public:
  Forwarding() : outermost_(depth++ == 0) {}
  ~Forwarding() { --depth; }
  Forwarding(const Forwarding&) = delete;
  Forwarding& operator=(const Forwarding&) = delete;
  bool outermost() const { return outermost_; }

 private:
  const bool outermost_;
};

// TSan's view of a lock taken (after the library took it) and of one given
// up (before the library gives it up).
void Locked(const Forwarding& call, void* mu, unsigned flags) {
  if (!call.outermost()) return;
  __tsan_mutex_pre_lock(mu, flags);
  __tsan_mutex_post_lock(mu, flags, 0);
}
void Unlocking(const Forwarding& call, void* mu, unsigned flags) {
  if (!call.outermost()) return;
  __tsan_mutex_pre_unlock(mu, flags);
  __tsan_mutex_post_unlock(mu, flags);
}

using MutexFn = void (*)(absl::Mutex*);
using MutexTryFn = bool (*)(absl::Mutex*);
using MutexWhenFn = void (*)(absl::Mutex*, const absl::Condition&);
using MutexWhenTimeoutFn = bool (*)(absl::Mutex*, const absl::Condition&,
                                    absl::Duration);
using MutexWhenDeadlineFn = bool (*)(absl::Mutex*, const absl::Condition&,
                                     absl::Time);
using CondVarWaitFn = void (*)(absl::CondVar*, absl::Mutex*);
using CondVarTimeoutFn = bool (*)(absl::CondVar*, absl::Mutex*, absl::Duration);
using CondVarDeadlineFn = bool (*)(absl::CondVar*, absl::Mutex*, absl::Time);
using NotifyFn = void (*)(absl::Notification*);
using WaitFn = void (*)(const absl::Notification*);
using WaitTimeoutFn = bool (*)(const absl::Notification*, absl::Duration);
using WaitDeadlineFn = bool (*)(const absl::Notification*, absl::Time);
using UnrefFn = void (*)(uintptr_t);

// The library evaluates a Condition only with the mutex held, but inside a
// call TSan has been told does not hold it: a waiter's own check inside
// LockWhen or Await, or a releasing thread's check inside Unlock on behalf
// of waiters. The outermost call therefore hands the library a Condition
// that shows each evaluation to TSan as a critical section of its own.
class HeldCondition {
 public:
  HeldCondition(const Forwarding& call, const absl::Condition& condition,
                absl::Mutex* mu)
      : original_(condition),
        mu_(mu),
        wrapped_(&HeldCondition::Eval, this),
        use_wrapped_(call.outermost()) {}
  HeldCondition(const HeldCondition&) = delete;
  HeldCondition& operator=(const HeldCondition&) = delete;

  const absl::Condition& condition() const {
    return use_wrapped_ ? wrapped_ : original_;
  }

 private:
  static bool Eval(HeldCondition* held) {
    __tsan_mutex_pre_lock(held->mu_, 0);
    __tsan_mutex_post_lock(held->mu_, 0, 0);
    const bool result = held->original_.Eval();
    __tsan_mutex_pre_unlock(held->mu_, 0);
    __tsan_mutex_post_unlock(held->mu_, 0);
    return result;
  }

  const absl::Condition& original_;
  absl::Mutex* const mu_;
  const absl::Condition wrapped_;
  const bool use_wrapped_;
};

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  static const auto real = Real<MutexFn>("_ZN4absl@5Mutex4LockEv");
  Forwarding call;
  if (call.outermost()) __tsan_mutex_pre_lock(this, 0);
  real(this);
  if (call.outermost()) __tsan_mutex_post_lock(this, 0, 0);
}

void Mutex::Unlock() {
  static const auto real = Real<MutexFn>("_ZN4absl@5Mutex6UnlockEv");
  Forwarding call;
  Unlocking(call, this, 0);
  real(this);
}

bool Mutex::TryLock() {
  static const auto real = Real<MutexTryFn>("_ZN4absl@5Mutex7TryLockEv");
  Forwarding call;
  if (call.outermost()) __tsan_mutex_pre_lock(this, __tsan_mutex_try_lock);
  const bool locked = real(this);
  if (call.outermost()) {
    __tsan_mutex_post_lock(
        this,
        __tsan_mutex_try_lock | (locked ? 0 : __tsan_mutex_try_lock_failed), 0);
  }
  return locked;
}

void Mutex::ReaderLock() {
  static const auto real = Real<MutexFn>("_ZN4absl@5Mutex10ReaderLockEv");
  Forwarding call;
  if (call.outermost()) __tsan_mutex_pre_lock(this, kRead);
  real(this);
  if (call.outermost()) __tsan_mutex_post_lock(this, kRead, 0);
}

void Mutex::ReaderUnlock() {
  static const auto real = Real<MutexFn>("_ZN4absl@5Mutex12ReaderUnlockEv");
  Forwarding call;
  Unlocking(call, this, kRead);
  real(this);
}

bool Mutex::ReaderTryLock() {
  static const auto real = Real<MutexTryFn>("_ZN4absl@5Mutex13ReaderTryLockEv");
  Forwarding call;
  if (call.outermost()) {
    __tsan_mutex_pre_lock(this, __tsan_mutex_try_read_lock);
  }
  const bool locked = real(this);
  if (call.outermost()) {
    __tsan_mutex_post_lock(
        this,
        locked ? __tsan_mutex_try_read_lock : __tsan_mutex_try_read_lock_failed,
        0);
  }
  return locked;
}

void Mutex::LockWhen(const Condition& cond) {
  static const auto real =
      Real<MutexWhenFn>("_ZN4absl@5Mutex8LockWhenERKNS0_9ConditionE");
  Forwarding call;
  HeldCondition held(call, cond, this);
  real(this, held.condition());
  Locked(call, this, 0);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  static const auto real =
      Real<MutexWhenFn>("_ZN4absl@5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  Forwarding call;
  HeldCondition held(call, cond, this);
  real(this, held.condition());
  Locked(call, this, kRead);
}

// The timed forms hold the lock on return whatever they return.
bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  static const auto real = Real<MutexWhenTimeoutFn>(
      "_ZN4absl@5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Forwarding call;
  HeldCondition held(call, cond, this);
  const bool met = real(this, held.condition(), timeout);
  Locked(call, this, 0);
  return met;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  static const auto real = Real<MutexWhenDeadlineFn>(
      "_ZN4absl@5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Forwarding call;
  HeldCondition held(call, cond, this);
  const bool met = real(this, held.condition(), deadline);
  Locked(call, this, 0);
  return met;
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  static const auto real = Real<MutexWhenTimeoutFn>(
      "_ZN4absl@5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_"
      "8DurationE");
  Forwarding call;
  HeldCondition held(call, cond, this);
  const bool met = real(this, held.condition(), timeout);
  Locked(call, this, kRead);
  return met;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  static const auto real = Real<MutexWhenDeadlineFn>(
      "_ZN4absl@5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_"
      "4TimeE");
  Forwarding call;
  HeldCondition held(call, cond, this);
  const bool met = real(this, held.condition(), deadline);
  Locked(call, this, kRead);
  return met;
}

// The Await forms give the mutex up while they wait and hold it again on
// return. Await may be called in reader mode too, but the project awaits
// only with the lock held exclusively.
void Mutex::Await(const Condition& cond) {
  static const auto real =
      Real<MutexWhenFn>("_ZN4absl@5Mutex5AwaitERKNS0_9ConditionE");
  Forwarding call;
  HeldCondition held(call, cond, this);
  Unlocking(call, this, 0);
  real(this, held.condition());
  Locked(call, this, 0);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  static const auto real = Real<MutexWhenTimeoutFn>(
      "_ZN4absl@5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Forwarding call;
  HeldCondition held(call, cond, this);
  Unlocking(call, this, 0);
  const bool met = real(this, held.condition(), timeout);
  Locked(call, this, 0);
  return met;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  static const auto real = Real<MutexWhenDeadlineFn>(
      "_ZN4absl@5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Forwarding call;
  HeldCondition held(call, cond, this);
  Unlocking(call, this, 0);
  const bool met = real(this, held.condition(), deadline);
  Locked(call, this, 0);
  return met;
}

// A wait gives the mutex up and holds it again on return.
void CondVar::Wait(Mutex* mu) {
  static const auto real =
      Real<CondVarWaitFn>("_ZN4absl@7CondVar4WaitEPNS0_5MutexE");
  Forwarding call;
  Unlocking(call, mu, 0);
  real(this, mu);
  Locked(call, mu, 0);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  static const auto real = Real<CondVarTimeoutFn>(
      "_ZN4absl@7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  Forwarding call;
  Unlocking(call, mu, 0);
  const bool timed_out = real(this, mu, timeout);
  Locked(call, mu, 0);
  return timed_out;
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  static const auto real = Real<CondVarDeadlineFn>(
      "_ZN4absl@7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  Forwarding call;
  Unlocking(call, mu, 0);
  const bool timed_out = real(this, mu, deadline);
  Locked(call, mu, 0);
  return timed_out;
}

// A Notification orders everything before Notify() before everything after
// a wait that saw it. The library's fast path (an atomic flag) is not
// visible to TSan, hence the explicit release and acquire on the object.
void Notification::Notify() {
  static const auto real = Real<NotifyFn>("_ZN4absl@12Notification6NotifyEv");
  Forwarding call;
  if (call.outermost()) __tsan_release(this);
  real(this);
}

void Notification::WaitForNotification() const {
  static const auto real =
      Real<WaitFn>("_ZNK4absl@12Notification19WaitForNotificationEv");
  Forwarding call;
  real(this);
  if (call.outermost()) __tsan_acquire(const_cast<Notification*>(this));
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  static const auto real = Real<WaitTimeoutFn>(
      "_ZNK4absl@12Notification30WaitForNotificationWithTimeoutENS0_"
      "8DurationE");
  Forwarding call;
  const bool notified = real(this, timeout);
  if (notified && call.outermost()) {
    __tsan_acquire(const_cast<Notification*>(this));
  }
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  static const auto real = Real<WaitDeadlineFn>(
      "_ZNK4absl@12Notification31WaitForNotificationWithDeadlineENS0_"
      "4TimeE");
  Forwarding call;
  const bool notified = real(this, deadline);
  if (notified && call.outermost()) {
    __tsan_acquire(const_cast<Notification*>(this));
  }
  return notified;
}

// A non-OK Status shares a reference-counted representation between its
// copies, which may live on different threads (a handler's status and the
// copy it hands back through a promise). The count is decremented inside
// the library, so TSan would see the last owner free the representation
// with no ordering after the other owners' reads of it. As with any
// reference count, every drop releases and the drop that frees acquires
// what all the earlier drops released.
void Status::UnrefNonInlined(uintptr_t rep) {
  static const auto real = Real<UnrefFn>("_ZN4absl@6Status15UnrefNonInlinedEm");
  void* sync = reinterpret_cast<void*>(rep);
  __tsan_release(sync);
  __tsan_acquire(sync);
  real(rep);
}

ABSL_NAMESPACE_END
}  // namespace absl
