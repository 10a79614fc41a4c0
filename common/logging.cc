#include "common/logging.h"

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace warehouse {

absl::Status InitLogging(const std::string& level) {
  spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown log level '", level,
        "': use trace, debug, info, warn, error, critical or off"));
  }
  spdlog::set_level(parsed);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%L%$ %v");
  return absl::OkStatus();
}

}  // namespace warehouse
