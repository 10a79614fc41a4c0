// Fuzzes the name and identifier validators: bucket names, object keys,
// listing fragments, identifiers and content types (master/names.h), access
// key ids and secrets and role names (common/access_key.h), and cluster key
// ids (common/key_ring.h). Every validator gets the whole input.
//
// Invariants: each validator accepts exactly what an independent reading of
// its documented rule accepts, and refuses with InvalidArgument;
// FindInvalidUtf8 returns the same offset as a decoder written from the
// Unicode standard's table of well-formed byte sequences (Table 3-7).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/access_key.h"
#include "common/key_ring.h"
#include "fuzz/fuzz_check.h"
#include "master/names.h"

namespace warehouse::fuzz {
namespace {

bool InRange(unsigned char c, unsigned char lo, unsigned char hi) {
  return c >= lo && c <= hi;
}

// Length of the well-formed UTF-8 sequence at the start of `s`, or 0 when
// there is none (Unicode 15, Table 3-7).
size_t WellFormedSequence(absl::string_view s) {
  auto at = [&s](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b0 = at(0);
  if (b0 <= 0x7f) return 1;
  size_t length;
  unsigned char lo = 0x80, hi = 0xbf;  // range of the second byte
  if (InRange(b0, 0xc2, 0xdf)) {
    length = 2;
  } else if (b0 == 0xe0) {
    length = 3;
    lo = 0xa0;
  } else if (InRange(b0, 0xe1, 0xec) || InRange(b0, 0xee, 0xef)) {
    length = 3;
  } else if (b0 == 0xed) {
    length = 3;
    hi = 0x9f;
  } else if (b0 == 0xf0) {
    length = 4;
    lo = 0x90;
  } else if (InRange(b0, 0xf1, 0xf3)) {
    length = 4;
  } else if (b0 == 0xf4) {
    length = 4;
    hi = 0x8f;
  } else {
    return 0;
  }
  if (s.size() < length || !InRange(at(1), lo, hi)) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (!InRange(at(i), 0x80, 0xbf)) return 0;
  }
  return length;
}

size_t ReferenceFindInvalidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const size_t length = WellFormedSequence(text.substr(i));
    if (length == 0) return i;
    i += length;
  }
  return text.size();
}

bool IsLowerOrDigit(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool ReferenceBucketName(absl::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  for (char c : name) {
    if (!IsLowerOrDigit(c) && c != '.' && c != '-') return false;
  }
  if (!IsLowerOrDigit(name.front()) || !IsLowerOrDigit(name.back())) {
    return false;
  }
  if (absl::StrContains(name, "..") || absl::StartsWith(name, "xn--")) {
    return false;
  }
  // Shaped like an IPv4 address: four groups of one to three digits.
  std::vector<absl::string_view> groups = absl::StrSplit(name, '.');
  bool ipv4 = groups.size() == 4;
  for (absl::string_view group : groups) {
    ipv4 = ipv4 && !group.empty() && group.size() <= 3 &&
           group.find_first_not_of("0123456789") == absl::string_view::npos;
  }
  return !ipv4;
}

bool AllBytesIn(absl::string_view text, unsigned char lo, unsigned char hi) {
  for (char c : text) {
    if (!InRange(static_cast<unsigned char>(c), lo, hi)) return false;
  }
  return true;
}

bool AllCharsIn(absl::string_view text, absl::string_view alphabet) {
  return text.find_first_not_of(alphabet) == absl::string_view::npos;
}

constexpr absl::string_view kUpperAndDigits =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr absl::string_view kLettersAndDigits =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr absl::string_view kKeyIdChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";

// Checks that `status` is OK exactly when `expected_ok`, and otherwise
// InvalidArgument.
void Expect(const absl::Status& status, bool expected_ok) {
  FUZZ_CHECK(status.ok() == expected_ok);
  FUZZ_CHECK(status.ok() || absl::IsInvalidArgument(status));
}

void FuzzOneInput(absl::string_view input) {
  const size_t invalid = master::FindInvalidUtf8(input);
  FUZZ_CHECK(invalid == ReferenceFindInvalidUtf8(input));
  const bool utf8_without_nul =
      invalid == input.size() && input.find('\0') == absl::string_view::npos;

  Expect(master::ValidateBucketName(input), ReferenceBucketName(input));
  Expect(master::ValidateObjectKey(input),
         !input.empty() && input.size() <= master::kMaxObjectKeyBytes &&
             utf8_without_nul);
  Expect(master::ValidateKeyFragment("prefix", input),
         input.size() <= master::kMaxObjectKeyBytes && utf8_without_nul);
  Expect(
      master::ValidateIdentifier("server id", input),
      !input.empty() && input.size() <= 128 && AllBytesIn(input, 0x21, 0x7e));
  Expect(master::ValidateContentType(input),
         input.size() <= 255 && AllBytesIn(input, 0x20, 0x7e));

  Expect(ValidateAccessKeyId(input),
         input.size() == kAccessKeyIdLength && absl::StartsWith(input, "WH") &&
             AllCharsIn(input.substr(2), kUpperAndDigits));
  Expect(ValidateAccessKeySecret(input),
         input.size() == kAccessKeySecretLength &&
             AllCharsIn(input, kLettersAndDigits));
  Expect(ValidateKeyId(input), !input.empty() &&
                                   input.size() <= KeyRing::kMaxKeyIdLength &&
                                   AllCharsIn(input, kKeyIdChars));

  absl::StatusOr<Role> role = ParseRole(input);
  Expect(role.status(), input == "admin" || input == "read-write");
  if (role.ok()) FUZZ_CHECK(RoleName(*role) == input);
}

}  // namespace
}  // namespace warehouse::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  warehouse::fuzz::FuzzOneInput(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
