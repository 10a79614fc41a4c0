#include "common/file_id.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/crypto.h"

namespace warehouse {
namespace {

constexpr size_t kCookieDigits = 8;
constexpr size_t kMaxNeedleDigits = 16;
constexpr size_t kMaxVolumeDigits = 10;

absl::Status Malformed(absl::string_view text, absl::string_view why) {
  // Quote at most the longest valid form, so garbage cannot flood a log.
  absl::string_view shown = text.substr(0, FileId::kMaxTextLength);
  return absl::InvalidArgumentError(
      absl::StrCat("file id \"", absl::CHexEscape(shown),
                   text.size() > shown.size() ? "...\"" : "\"", ": ", why));
}

bool IsLowerHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

uint64_t HexDigitValue(char c) {
  return c <= '9' ? static_cast<uint64_t>(c - '0')
                  : static_cast<uint64_t>(c - 'a' + 10);
}

}  // namespace

std::string FileId::ToString() const {
  return absl::StrFormat("%u,%x%08x", volume_id, needle_id, cookie);
}

absl::StatusOr<FileId> FileId::Parse(absl::string_view text) {
  if (text.empty()) return Malformed(text, "empty");
  if (text.size() > kMaxTextLength) {
    return Malformed(
        text, absl::StrCat("longer than ", kMaxTextLength, " characters"));
  }
  const size_t comma = text.find(',');
  if (comma == absl::string_view::npos) {
    return Malformed(text, "no ',' between volume id and needle id");
  }
  const absl::string_view volume = text.substr(0, comma);
  const absl::string_view rest = text.substr(comma + 1);

  FileId id;
  if (volume.empty()) return Malformed(text, "volume id is empty");
  for (char c : volume) {
    if (c < '0' || c > '9') {
      return Malformed(text, "volume id has a character other than 0-9");
    }
  }
  if (volume.size() > 1 && volume[0] == '0') {
    return Malformed(text, "volume id has a leading zero");
  }
  if (volume.size() > kMaxVolumeDigits) {
    return Malformed(text, "volume id exceeds 32 bits");
  }
  uint64_t volume_value = 0;
  for (char c : volume) {
    volume_value = volume_value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (volume_value == 0) return Malformed(text, "volume id 0 is reserved");
  if (volume_value > UINT32_MAX) {
    return Malformed(text, "volume id exceeds 32 bits");
  }
  id.volume_id = static_cast<uint32_t>(volume_value);

  for (char c : rest) {
    if (c >= 'A' && c <= 'F') {
      return Malformed(text, "uppercase hex digit; only lowercase is valid");
    }
    if (!IsLowerHex(c)) {
      return Malformed(text,
                       "needle id and cookie have a character other than "
                       "0-9 and a-f");
    }
  }
  if (rest.size() < kCookieDigits + 1) {
    return Malformed(text, absl::StrCat("needs at least one needle id digit "
                                        "and ",
                                        kCookieDigits, " cookie digits"));
  }
  const absl::string_view needle = rest.substr(0, rest.size() - kCookieDigits);
  const absl::string_view cookie = rest.substr(rest.size() - kCookieDigits);
  if (needle.size() > 1 && needle[0] == '0') {
    return Malformed(text, "needle id has a leading zero");
  }
  if (needle.size() > kMaxNeedleDigits) {
    return Malformed(text, "needle id exceeds 64 bits");
  }
  for (char c : needle) id.needle_id = (id.needle_id << 4) | HexDigitValue(c);
  for (char c : cookie) {
    id.cookie = (id.cookie << 4) | static_cast<uint32_t>(HexDigitValue(c));
  }
  return id;
}

absl::StatusOr<uint32_t> RandomCookie() {
  uint32_t cookie = 0;
  absl::Status status = RandomFill(&cookie, sizeof(cookie));
  if (!status.ok()) return status;
  return cookie;
}

}  // namespace warehouse
