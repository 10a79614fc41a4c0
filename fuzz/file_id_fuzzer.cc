// Fuzzes the file id parser, FileId::Parse (common/file_id.h).
//
// Input: the text to parse. Its first 16 bytes also make a FileId
// (volume id, needle id, cookie, little-endian) for the opposite round trip.
//
// Invariants: Parse accepts exactly what an independent reading of the
// documented grammar accepts, with the same values; what it accepts prints
// back as the same text (ToString(Parse(s)) == s); every FileId with a
// volume id prints as at most kMaxTextLength characters that parse back to
// it (Parse(ToString(x)) == x), and one without is refused; refusals are
// InvalidArgument with a message of bounded length.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/coding.h"
#include "common/file_id.h"
#include "fuzz/fuzz_check.h"

namespace warehouse::fuzz {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }
uint64_t HexValue(char c) {
  return IsDigit(c) ? static_cast<uint64_t>(c - '0')
                    : static_cast<uint64_t>(c - 'a' + 10);
}

// The grammar of common/file_id.h, read independently: a decimal volume id
// without leading zeros in 1..2^32-1, a comma, then lowercase hex whose
// last 8 digits are the cookie and whose first 1 to 16 the needle id,
// without leading zeros.
bool ReferenceParse(absl::string_view text, FileId* id) {
  if (text.size() > FileId::kMaxTextLength) return false;
  const size_t comma = text.find(',');
  if (comma == absl::string_view::npos) return false;
  const absl::string_view volume = text.substr(0, comma);
  const absl::string_view rest = text.substr(comma + 1);
  if (volume.empty() || volume.size() > 10 || volume[0] == '0') return false;
  uint64_t volume_id = 0;
  for (char c : volume) {
    if (!IsDigit(c)) return false;
    volume_id = volume_id * 10 + static_cast<uint64_t>(c - '0');
  }
  if (volume_id > UINT32_MAX) return false;
  if (rest.size() < 9) return false;
  for (char c : rest) {
    if (!IsLowerHex(c)) return false;
  }
  const absl::string_view needle = rest.substr(0, rest.size() - 8);
  if (needle.size() > 16 || (needle.size() > 1 && needle[0] == '0')) {
    return false;
  }
  id->volume_id = static_cast<uint32_t>(volume_id);
  id->needle_id = 0;
  for (char c : needle) id->needle_id = id->needle_id * 16 + HexValue(c);
  id->cookie = 0;
  for (char c : rest.substr(rest.size() - 8)) {
    id->cookie = id->cookie * 16 + static_cast<uint32_t>(HexValue(c));
  }
  return true;
}

void FuzzOneInput(absl::string_view input) {
  absl::StatusOr<FileId> parsed = FileId::Parse(input);
  FileId reference;
  const bool reference_ok = ReferenceParse(input, &reference);
  FUZZ_CHECK(parsed.ok() == reference_ok);
  if (parsed.ok()) {
    FUZZ_CHECK(*parsed == reference);
    FUZZ_CHECK(parsed->ToString() == input);
  } else {
    FUZZ_CHECK(absl::IsInvalidArgument(parsed.status()));
    // The message quotes at most the longest valid id, escaped.
    FUZZ_CHECK(parsed.status().message().size() < 400);
  }

  if (input.size() < 16) return;
  FileId id;
  id.volume_id = DecodeFixed32(input.data());
  id.needle_id = DecodeFixed64(input.data() + 4);
  id.cookie = DecodeFixed32(input.data() + 12);
  const std::string text = id.ToString();
  FUZZ_CHECK(text.size() <= FileId::kMaxTextLength);
  absl::StatusOr<FileId> again = FileId::Parse(text);
  if (id.volume_id == 0) {
    FUZZ_CHECK(absl::IsInvalidArgument(again.status()));
  } else {
    FUZZ_CHECK_OK(again.status());
    FUZZ_CHECK(*again == id);
  }
}

}  // namespace
}  // namespace warehouse::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  warehouse::fuzz::FuzzOneInput(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
