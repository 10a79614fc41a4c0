#include "master/upload_id.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace warehouse::master {
namespace {

bool IsLowerHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

uint64_t HexValue(absl::string_view digits) {
  uint64_t value = 0;
  for (char c : digits) {
    value =
        value * 16 + static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return value;
}

}  // namespace

std::string UploadId::ToString() const {
  return absl::StrFormat("%016x%08x%08x", static_cast<uint64_t>(number),
                         volume_id, cookie);
}

absl::StatusOr<UploadId> UploadId::Parse(absl::string_view text) {
  if (text.size() != kUploadIdLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "upload id \"", text, "\" is not ", kUploadIdLength, " hex digits"));
  }
  for (char c : text) {
    if (!IsLowerHex(c)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "upload id \"", text, "\" holds a character other than 0-9 a-f"));
    }
  }
  const uint64_t number = HexValue(text.substr(0, 16));
  if (number == 0 || number > static_cast<uint64_t>(INT64_MAX)) {
    return absl::InvalidArgumentError(
        absl::StrCat("upload id \"", text, "\" has no valid upload number"));
  }
  UploadId id;
  id.number = static_cast<int64_t>(number);
  id.volume_id = static_cast<uint32_t>(HexValue(text.substr(16, 8)));
  id.cookie = static_cast<uint32_t>(HexValue(text.substr(24, 8)));
  return id;
}

}  // namespace warehouse::master
