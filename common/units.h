// Byte sizes as people write them: "30G", "512M", "4096".
#ifndef WAREHOUSE_COMMON_UNITS_H_
#define WAREHOUSE_COMMON_UNITS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warehouse {

// Parses a whole number of bytes with an optional binary suffix K, M, G or
// T (also KiB, MiB, GiB, TiB; case-insensitive). Errors: InvalidArgument.
absl::StatusOr<uint64_t> ParseByteSize(absl::string_view text);

// "1.5 GiB", "512 B": for people, not for parsing back.
std::string FormatBytes(uint64_t bytes);

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_UNITS_H_
