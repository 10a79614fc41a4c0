// Fuzzes the Range header parser, ParseRangeHeader (common/http_range.h).
//
// Input: byte 0 is a shift s and bytes 1-8 a little-endian number n; the
// object's size is n >> (s mod 64), so small sizes are as likely as large
// ones. The rest is the header value.
//
// Invariants: a range that parses lies within the object (first <= last <
// size, so the object is not empty); refusals are InvalidArgument or
// RangeNotSatisfiable (HTTP 416); the plain forms "bytes=<a>-<b>" and
// "bytes=-<n>" resolve as RFC 9110 says; and a range satisfiable for an
// object stays satisfiable, no shorter, for a larger one.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "common/byte_range.h"
#include "common/coding.h"
#include "common/http_range.h"
#include "common/status_mapping.h"
#include "fuzz/fuzz_check.h"

namespace warehouse::fuzz {
namespace {

constexpr size_t kPreambleSize = 9;

// A decimal of 1 to 19 digits, the most the parser reads.
std::optional<uint64_t> PlainNumber(absl::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  uint64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) return std::nullopt;
  return value;
}

// Checks the forms without spaces or case games against RFC 9110.
void CheckPlainForms(absl::string_view value, uint64_t size,
                     const absl::StatusOr<ByteRange>& range) {
  if (!absl::StartsWith(value, "bytes=")) return;
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

  const absl::StatusOr<ByteRange> range = ParseRangeHeader(value, size);
  if (range.ok()) {
    FUZZ_CHECK(range->first <= range->last);
    FUZZ_CHECK(range->last < size);
  } else {
    FUZZ_CHECK(absl::IsInvalidArgument(range.status()) ||
               IsRangeNotSatisfiable(range.status()));
  }
  CheckPlainForms(value, size, range);

  if (range.ok() && size < UINT64_MAX) {
    const absl::StatusOr<ByteRange> larger = ParseRangeHeader(value, size + 1);
    FUZZ_CHECK(larger.ok());
    FUZZ_CHECK(larger->length() >= range->length());
  }
}

}  // namespace
}  // namespace warehouse::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  warehouse::fuzz::FuzzOneInput(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
