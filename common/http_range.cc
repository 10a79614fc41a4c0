#include "common/http_range.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_mapping.h"

namespace warehouse {
namespace {

// Digits only (no sign, no spaces), as many as there are. A number past
// 2^64 - 1 reads as 2^64 - 1: no object is that long, so as a last
// position or a suffix length it means to the end, and as a first position
// past it.
bool ParseNumber(absl::string_view text, uint64_t* value) {
  if (text.empty()) return false;
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t n = 0;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    n = n > (kMax - digit) / 10 ? kMax : n * 10 + digit;
  }
  *value = n;
  return true;
}

}  // namespace

absl::StatusOr<std::optional<ByteRange>> ParseRangeHeader(
    absl::string_view value, uint64_t size) {
  value = absl::StripAsciiWhitespace(value);
  const size_t equals = value.find('=');
  if (!absl::EqualsIgnoreCase(value.substr(0, equals), "bytes")) {
    return std::nullopt;  // another unit: the header is ignored
  }
  if (equals == absl::string_view::npos) {
    return absl::InvalidArgumentError("range: no '=' after bytes");
  }
  absl::string_view spec = absl::StripAsciiWhitespace(value.substr(equals + 1));
  if (absl::StrContains(spec, ',')) {
    return RangeNotSatisfiableError(
        "range: multiple ranges are not served; ask for one");
  }
  const size_t dash = spec.find('-');
  if (dash == absl::string_view::npos) {
    return absl::InvalidArgumentError("range: no '-' in the byte range");
  }
  absl::string_view first_text = absl::StripAsciiWhitespace(spec.substr(0, dash));
  absl::string_view last_text = absl::StripAsciiWhitespace(spec.substr(dash + 1));
  uint64_t first = 0, last = 0;
  if (first_text.empty()) {
    // Suffix: the last `count` bytes.
    uint64_t count;
    if (!ParseNumber(last_text, &count)) {
      return absl::InvalidArgumentError("range: bad suffix length");
    }
    if (count == 0 || size == 0) {
      return RangeNotSatisfiableError(absl::StrCat(
          "range: suffix of ", count, " bytes of a ", size, "-byte object"));
    }
    return ByteRange{count >= size ? 0 : size - count, size - 1};
  }
  if (!ParseNumber(first_text, &first)) {
    return absl::InvalidArgumentError("range: bad first byte position");
  }
  if (last_text.empty()) {
    last = size == 0 ? 0 : size - 1;
  } else {
    if (!ParseNumber(last_text, &last)) {
      return absl::InvalidArgumentError("range: bad last byte position");
    }
    if (last < first) {
      return absl::InvalidArgumentError(
          absl::StrCat("range: last byte ", last, " before first ", first));
    }
  }
  if (first >= size) {
    return RangeNotSatisfiableError(absl::StrCat(
        "range: starts at byte ", first, " of a ", size, "-byte object"));
  }
  return ByteRange{first, last >= size ? size - 1 : last};
}

}  // namespace warehouse
