#include "fuzz/fuzz_check.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "spdlog/spdlog.h"

namespace warehouse::fuzz {

void CheckFailed(const char* file, int line, const char* what) {
  std::fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
  std::abort();
}

void StatusCheckFailed(const char* file, int line, const char* what,
                       const absl::Status& status) {
  std::fprintf(stderr, "%s:%d: %s: %s\n", file, line, what,
               status.ToString().c_str());
  std::abort();
}

void QuietLogs() { spdlog::set_level(spdlog::level::off); }

}  // namespace warehouse::fuzz
