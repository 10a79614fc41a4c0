#include "common/units.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace warehouse {

absl::StatusOr<uint64_t> ParseByteSize(absl::string_view text) {
  std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  absl::string_view rest = lower;
  int shift = 0;
  for (auto [suffix, s] : {std::pair<const char*, int>{"kib", 10}, {"mib", 20},
                           {"gib", 30}, {"tib", 40}, {"k", 10}, {"m", 20},
                           {"g", 30}, {"t", 40}, {"b", 0}}) {
    absl::string_view sv(suffix);
    if (rest.size() > sv.size() && rest.substr(rest.size() - sv.size()) == sv) {
      rest.remove_suffix(sv.size());
      shift = s;
      break;
    }
  }
  uint64_t value;
  if (rest.empty() || !absl::ascii_isdigit(static_cast<unsigned char>(rest[0])) ||
      !absl::SimpleAtoi(rest, &value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\" is not a size: use bytes or a K, M, G or T suffix"));
  }
  if (shift > 0 && value > (~uint64_t{0} >> shift)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is too large"));
  }
  return value << shift;
}

std::string FormatBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  if (unit == 0) return absl::StrCat(bytes, " B");
  return absl::StrFormat("%.1f %s", value, kUnits[unit]);
}

}  // namespace warehouse
