#include "master/names.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace warehouse::master {
namespace {

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// "192.168.5.4": four dot-separated groups of one to three digits.
bool LooksLikeIpv4(absl::string_view name) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '.');
  if (parts.size() != 4) return false;
  for (absl::string_view part : parts) {
    if (part.empty() || part.size() > 3) return false;
    for (char c : part) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    }
  }
  return true;
}

// How a character looks in a message: printable ASCII as itself, anything
// else as a hex byte.
std::string Describe(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7f)
    return absl::StrCat("'", std::string(1, c), "'");
  return absl::StrCat("byte 0x", absl::Hex(byte, absl::kZeroPad2));
}

absl::Status ValidateUtf8WithoutNul(absl::string_view what,
                                    absl::string_view text) {
  const size_t nul = text.find('\0');
  const size_t bad = FindInvalidUtf8(text);
  if (nul != absl::string_view::npos && nul < bad) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " contains a NUL byte at offset ", nul));
  }
  if (bad != text.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is not valid UTF-8: ", Describe(text[bad]),
                     " at offset ", bad, " does not start a valid sequence"));
  }
  return absl::OkStatus();
}

}  // namespace

size_t FindInvalidUtf8(absl::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char lead = p[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    uint32_t code_point;
    uint32_t minimum;
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
      code_point = lead & 0x1f;
      minimum = 0x80;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      code_point = lead & 0x0f;
      minimum = 0x800;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      code_point = lead & 0x07;
      minimum = 0x10000;
    } else {
      return i;  // continuation byte, 0xc0/0xc1 (always overlong) or >0xf4
    }
    if (n - i < length) return i;
    for (size_t k = 1; k < length; ++k) {
      if ((p[i + k] & 0xc0) != 0x80) return i;
      code_point = (code_point << 6) | (p[i + k] & 0x3f);
    }
    if (code_point < minimum || code_point > 0x10ffff ||
        (code_point >= 0xd800 && code_point <= 0xdfff)) {
      return i;
    }
    i += length;
  }
  return n;
}

absl::Status ValidateBucketName(absl::string_view name) {
  const std::string quoted = absl::StrCat("bucket name \"", name, "\"");
  if (name.size() < kMinBucketNameLength ||
      name.size() > kMaxBucketNameLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        quoted, " is ", name.size(), " characters long: bucket names have ",
        kMinBucketNameLength, " to ", kMaxBucketNameLength, " characters"));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!IsLowerAlnum(c) && c != '.' && c != '-') {
      return absl::InvalidArgumentError(absl::StrCat(
          quoted, ": ", Describe(c), " at position ", i,
          " is not allowed: use lowercase letters, digits, '.' and '-'"));
    }
  }
  if (!IsLowerAlnum(name.front())) {
    return absl::InvalidArgumentError(
        absl::StrCat(quoted, " must start with a lowercase letter or digit"));
  }
  if (!IsLowerAlnum(name.back())) {
    return absl::InvalidArgumentError(
        absl::StrCat(quoted, " must end with a lowercase letter or digit"));
  }
  const size_t dots = name.find("..");
  if (dots != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(quoted, " has two dots in a row at position ", dots));
  }
  if (LooksLikeIpv4(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat(quoted, " is formatted as an IP address"));
  }
  if (absl::StartsWith(name, "xn--")) {
    return absl::InvalidArgumentError(
        absl::StrCat(quoted,
                     " starts with \"xn--\", which is reserved for "
                     "internationalized domain names"));
  }
  return absl::OkStatus();
}

absl::Status ValidateObjectKey(absl::string_view key) {
  if (key.empty()) {
    return absl::InvalidArgumentError("object key is empty");
  }
  if (key.size() > kMaxObjectKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("object key is ", key.size(), " bytes long, more than ",
                     "the limit of ", kMaxObjectKeyBytes));
  }
  return ValidateUtf8WithoutNul("object key", key);
}

absl::Status ValidateKeyFragment(absl::string_view what,
                                 absl::string_view fragment) {
  if (fragment.size() > kMaxObjectKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is ", fragment.size(), " bytes long, more than ",
                     "the limit of ", kMaxObjectKeyBytes));
  }
  return ValidateUtf8WithoutNul(what, fragment);
}

absl::Status ValidateIdentifier(absl::string_view what,
                                absl::string_view value) {
  constexpr size_t kMaxIdentifierLength = 128;
  if (value.empty() || value.size() > kMaxIdentifierLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " \"", value, "\" is ", value.size(),
        " characters long: it must have 1 to ", kMaxIdentifierLength));
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const auto byte = static_cast<unsigned char>(value[i]);
    if (byte <= 0x20 || byte >= 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": ", Describe(value[i]), " at position ", i,
                       " is not allowed: use printable ASCII without spaces"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateContentType(absl::string_view content_type) {
  constexpr size_t kMaxContentTypeLength = 255;
  if (content_type.size() > kMaxContentTypeLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "content type is ", content_type.size(),
        " characters long, more than the limit of ", kMaxContentTypeLength));
  }
  for (size_t i = 0; i < content_type.size(); ++i) {
    const auto byte = static_cast<unsigned char>(content_type[i]);
    if (byte < 0x20 || byte >= 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat(
          "content type: ", Describe(content_type[i]), " at position ", i,
          " is not allowed: use printable ASCII"));
    }
  }
  return absl::OkStatus();
}

}  // namespace warehouse::master
