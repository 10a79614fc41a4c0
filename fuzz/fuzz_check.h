// Invariant checks for the fuzz targets. A failed check prints what failed
// and aborts, which libFuzzer reports as a crash and saves the input for.
#ifndef WAREHOUSE_FUZZ_FUZZ_CHECK_H_
#define WAREHOUSE_FUZZ_FUZZ_CHECK_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace warehouse::fuzz {

// Prints "file:line: check failed: what" and aborts.
[[noreturn]] void CheckFailed(const char* file, int line, const char* what);

// As CheckFailed, with the status that should not have been returned.
[[noreturn]] void StatusCheckFailed(const char* file, int line,
                                    const char* what,
                                    const absl::Status& status);

// Turns off the library's log output, which would otherwise flood the
// fuzzer's console with one warning per corrupt input.
void QuietLogs();

}  // namespace warehouse::fuzz

// Aborts when `condition` is false.
#define FUZZ_CHECK(condition) \
  ((condition)                \
       ? static_cast<void>(0) \
       : ::warehouse::fuzz::CheckFailed(__FILE__, __LINE__, #condition))

// Aborts when the absl::Status `status` is not OK, printing it.
#define FUZZ_CHECK_OK(status)                                           \
  do {                                                                  \
    const ::absl::Status fuzz_check_status_ = (status);                 \
    if (!fuzz_check_status_.ok()) {                                     \
      ::warehouse::fuzz::StatusCheckFailed(__FILE__, __LINE__, #status, \
                                           fuzz_check_status_);         \
    }                                                                   \
  } while (false)

#endif  // WAREHOUSE_FUZZ_FUZZ_CHECK_H_
