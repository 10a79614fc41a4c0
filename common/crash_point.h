// Named crash points: places in the write, commit, index and compaction
// paths where a process can be made to die on purpose, so that a test can
// check what a crash at exactly that place leaves behind.
//
//   CRASH_POINT(kVolumeAppendAfterSync);
//
// Every point is listed once in common/crash_points.inc, so a test can
// enumerate them all. A point is armed by the environment variable
// WAREHOUSE_CRASH_POINT, read once when the process starts:
//
//   WAREHOUSE_CRASH_POINT=volume.append.after_sync      crash on the 1st hit
//   WAREHOUSE_CRASH_POINT=volume.append.after_sync:3    crash on the 3rd hit
//
// A process whose variable names no known point, or has a bad count, writes
// why to stderr and exits with status 2 before doing anything else. When
// the armed point is reached for the Nth time the process writes one line
// to stderr, "crash point <name> reached (hit N)", and sends itself
// SIGKILL: no destructor, atexit handler or buffered write runs, exactly as
// if it had been killed from outside.
//
// Cost when nothing is armed: one load of a global bool and one
// predictable branch per point (docs/reliability.md, "Crash points").
#ifndef WAREHOUSE_COMMON_CRASH_POINT_H_
#define WAREHOUSE_COMMON_CRASH_POINT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warehouse {

enum class CrashPointId : int {
#define WAREHOUSE_CRASH_POINT(id, name) id,
#include "common/crash_points.inc"
#undef WAREHOUSE_CRASH_POINT
};

// Whether any point is armed in this process. Set once before main.
extern bool g_crash_point_armed;

// The name of every crash point, in the order of common/crash_points.inc.
std::vector<std::string> AllCrashPoints();

// The name of `id`.
absl::string_view CrashPointName(CrashPointId id);

// What WAREHOUSE_CRASH_POINT asks for.
struct CrashPointArming {
  CrashPointId id;
  int hit = 1;  // crash on this hit, counting from 1
};

// Parses a value of WAREHOUSE_CRASH_POINT ("name" or "name:N", N >= 1).
// Errors: InvalidArgument (unknown name, bad count), naming the value.
absl::StatusOr<CrashPointArming> ParseCrashPointArming(absl::string_view value);

// Counts a hit of `id` and, when it is the armed point's armed hit, writes
// the line to stderr and kills the process. Call through CRASH_POINT.
void ReachCrashPoint(CrashPointId id);

}  // namespace warehouse

// Marks a crash point; see the file comment. A statement.
#define CRASH_POINT(id)                                       \
  do {                                                        \
    if (ABSL_PREDICT_FALSE(::warehouse::g_crash_point_armed)) \
      ::warehouse::ReachCrashPoint(::warehouse::CrashPointId::id); \
  } while (0)

#endif  // WAREHOUSE_COMMON_CRASH_POINT_H_
