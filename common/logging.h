// Process-wide logging setup. Every binary calls InitLogging once from main;
// code elsewhere logs through spdlog's free functions.
#ifndef WAREHOUSE_COMMON_LOGGING_H_
#define WAREHOUSE_COMMON_LOGGING_H_

#include <string>

#include "absl/status/status.h"

namespace warehouse {

// Sets the default logger's level ("trace" .. "off") and pattern. Errors:
// InvalidArgument for an unknown level name.
absl::Status InitLogging(const std::string& level);

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_LOGGING_H_
