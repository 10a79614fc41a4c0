// Fuzzes the Range header parser, ParseRangeHeader (common/http_range.h).
//
// Input: byte 0 is a shift s and bytes 1-8 a little-endian number n; the
// object's size is n >> (s mod 64), so small sizes are as likely as large
// ones. The rest is the header value.
//
// Invariants: a header whose unit is not "bytes" is ignored (nullopt), and
// one that starts "bytes=" never is; a range that parses lies within the
// object (first <= last < size, so the object is not empty); refusals are
// InvalidArgument or RangeNotSatisfiable (HTTP 416); the plain forms
// "bytes=<a>-<b>" and "bytes=-<n>" resolve as RFC 9110 says, with numbers
// past 64 bits meaning "beyond any object"; and a range satisfiable for an
// object stays satisfiable, no shorter, for a larger one.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/byte_range.h"
#include "common/coding.h"
#include "common/http_range.h"
#include "common/status_mapping.h"
#include "fuzz/fuzz_check.h"

namespace warehouse::fuzz {
namespace {

constexpr size_t kPreambleSize = 9;

// A decimal of 1 or more digits; one past 2^64 - 1 reads as 2^64 - 1.
std::optional<uint64_t> PlainNumber(absl::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    value = value > (UINT64_MAX - digit) / 10 ? UINT64_MAX : value * 10 + digit;
  }
  return value;
}

// Checks the forms without spaces or case games against RFC 9110.
void CheckPlainForms(absl::string_view value, uint64_t size,
                     const absl::StatusOr<std::optional<ByteRange>>& result) {
  if (!absl::StartsWith(value, "bytes=")) return;
  FUZZ_CHECK(!result.ok() || result->has_value());
  const absl::StatusOr<ByteRange> range =
      result.ok() ? absl::StatusOr<ByteRange>(**result) : result.status();
  const absl::string_view spec = value.substr(6);
  const size_t dash = spec.find('-');
  if (dash == absl::string_view::npos) return;
  const std::optional<uint64_t> last = PlainNumber(spec.substr(dash + 1));
  if (dash == 0) {
    if (!last.has_value()) return;
    if (*last == 0 || size == 0) {
      FUZZ_CHECK(IsRangeNotSatisfiable(range.status()));
    } else {
      FUZZ_CHECK(range.ok());
      FUZZ_CHECK(range->last == size - 1);
      FUZZ_CHECK(range->length() == std::min(*last, size));
    }
    return;
  }
  const std::optional<uint64_t> first = PlainNumber(spec.substr(0, dash));
  if (!first.has_value() || !last.has_value()) return;
  if (*last < *first) {
    FUZZ_CHECK(absl::IsInvalidArgument(range.status()));
  } else if (*first >= size) {
    FUZZ_CHECK(IsRangeNotSatisfiable(range.status()));
  } else {
    FUZZ_CHECK(range.ok());
    FUZZ_CHECK(range->first == *first);
    FUZZ_CHECK(range->last == std::min(*last, size - 1));
  }
}

void FuzzOneInput(absl::string_view input) {
  if (input.size() < kPreambleSize) return;
  const unsigned shift = static_cast<uint8_t>(input[0]) % 64;
  const uint64_t size = DecodeFixed64(input.data() + 1) >> shift;
  const absl::string_view value = input.substr(kPreambleSize);

  const absl::StatusOr<std::optional<ByteRange>> result =
      ParseRangeHeader(value, size);
  if (result.ok() && !result->has_value()) {
    // Ignored: the unit, up to the '=', is not "bytes".
    const absl::string_view stripped = absl::StripAsciiWhitespace(value);
    FUZZ_CHECK(!absl::EqualsIgnoreCase(stripped.substr(0, stripped.find('=')),
                                       "bytes"));
  } else if (result.ok()) {
    FUZZ_CHECK((*result)->first <= (*result)->last);
    FUZZ_CHECK((*result)->last < size);
  } else {
    FUZZ_CHECK(absl::IsInvalidArgument(result.status()) ||
               IsRangeNotSatisfiable(result.status()));
  }
  CheckPlainForms(value, size, result);

  if (result.ok() && size < UINT64_MAX) {
    const absl::StatusOr<std::optional<ByteRange>> larger =
        ParseRangeHeader(value, size + 1);
    FUZZ_CHECK(larger.ok());
    FUZZ_CHECK(larger->has_value() == result->has_value());
    if (result->has_value()) {
      FUZZ_CHECK((*larger)->length() >= (*result)->length());
    }
  }
}

}  // namespace
}  // namespace warehouse::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  warehouse::fuzz::FuzzOneInput(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
