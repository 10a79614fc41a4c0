// Fuzzes percent-decoding, PercentDecode (common/percent_encoding.h), which
// every request target and every query parameter of a signed URL goes
// through, and its inverse PercentEncode.
//
// Input: the text to decode, and to encode.
//
// Invariants: PercentDecode accepts exactly the text in which every '%' is
// followed by two hex digits, decodes it as an independent decoder does,
// and refuses the rest with InvalidArgument; PercentEncode escapes every
// byte but the unreserved ones as "%XX" with uppercase hex, and decoding
// its output gives back the input.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "common/percent_encoding.h"
#include "fuzz/fuzz_check.h"

namespace warehouse::fuzz {
namespace {

int HexDigit(char c, bool allow_lowercase) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (allow_lowercase && c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

std::optional<std::string> ReferenceDecode(absl::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '%') {
      out.push_back(text[i++]);
      continue;
    }
    if (text.size() - i < 3) return std::nullopt;
    const int hi = HexDigit(text[i + 1], true);
    const int lo = HexDigit(text[i + 2], true);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 3;
  }
  return out;
}

void FuzzOneInput(absl::string_view input) {
  absl::StatusOr<std::string> decoded = PercentDecode(input);
  const std::optional<std::string> expected = ReferenceDecode(input);
  FUZZ_CHECK(decoded.ok() == expected.has_value());
  if (decoded.ok()) {
    FUZZ_CHECK(*decoded == *expected);
  } else {
    FUZZ_CHECK(absl::IsInvalidArgument(decoded.status()));
  }

  const std::string encoded = PercentEncode(input);
  size_t i = 0;
  for (char c : input) {
    FUZZ_CHECK(i < encoded.size());
    if (IsUnreserved(c)) {
      FUZZ_CHECK(encoded[i] == c);
      ++i;
      continue;
    }
    FUZZ_CHECK(encoded.size() - i >= 3 && encoded[i] == '%');
    const int hi = HexDigit(encoded[i + 1], false);
    const int lo = HexDigit(encoded[i + 2], false);
    FUZZ_CHECK(hi >= 0 && lo >= 0);
    FUZZ_CHECK(static_cast<char>(hi * 16 + lo) == c);
    i += 3;
  }
  FUZZ_CHECK(i == encoded.size());
  absl::StatusOr<std::string> round_trip = PercentDecode(encoded);
  FUZZ_CHECK_OK(round_trip.status());
  FUZZ_CHECK(*round_trip == input);
}

}  // namespace
}  // namespace warehouse::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  warehouse::fuzz::FuzzOneInput(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
