#include "common/crash_point.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace warehouse {
namespace {

constexpr const char* kNames[] = {
#define WAREHOUSE_CRASH_POINT(id, name) name,
#include "common/crash_points.inc"
#undef WAREHOUSE_CRASH_POINT
};
constexpr int kCount = sizeof(kNames) / sizeof(kNames[0]);

// Immutable once set before main.
CrashPointArming g_arming{CrashPointId{}, 0};
std::atomic<int> g_hits{0};

// Reads WAREHOUSE_CRASH_POINT once, before main. A bad value ends the
// process: running without the crash a test asked for would be a silent
// pass.
bool ArmFromEnvironment() {
  const char* value = std::getenv("WAREHOUSE_CRASH_POINT");
  if (value == nullptr || *value == '\0') return false;
  absl::StatusOr<CrashPointArming> arming = ParseCrashPointArming(value);
  if (!arming.ok()) {
    std::string line = absl::StrCat(arming.status().message(), "\n");
    ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
    (void)ignored;
    _exit(2);
  }
  g_arming = *arming;
  return true;
}

}  // namespace

bool g_crash_point_armed = ArmFromEnvironment();

std::vector<std::string> AllCrashPoints() {
  return std::vector<std::string>(kNames, kNames + kCount);
}

absl::string_view CrashPointName(CrashPointId id) {
  return kNames[static_cast<int>(id)];
}

absl::StatusOr<CrashPointArming> ParseCrashPointArming(
    absl::string_view value) {
  absl::string_view name = value;
  int hit = 1;
  const size_t colon = value.rfind(':');
  if (colon != absl::string_view::npos) {
    name = value.substr(0, colon);
    if (!absl::SimpleAtoi(value.substr(colon + 1), &hit) || hit < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("WAREHOUSE_CRASH_POINT=", value,
                       ": the count after ':' must be a whole number >= 1"));
    }
  }
  for (int i = 0; i < kCount; ++i) {
    if (name == kNames[i]) return CrashPointArming{CrashPointId(i), hit};
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "WAREHOUSE_CRASH_POINT=", value, ": no crash point named '", name,
      "' (common/crash_points.inc lists them)"));
}

void ReachCrashPoint(CrashPointId id) {
  if (id != g_arming.id) return;
  const int hit = g_hits.fetch_add(1, std::memory_order_relaxed) + 1;
  if (hit != g_arming.hit) return;
  // write(2) and kill(2) only: nothing buffered in this process reaches the
  // disk, as under a SIGKILL from outside.
  std::string line =
      absl::StrCat("crash point ", CrashPointName(id), " reached (hit ", hit,
                   ")\n");
  ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
  kill(getpid(), SIGKILL);
  _exit(137);  // not reached
}

}  // namespace warehouse
