#include "master/continuation_token.h"

#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "common/coding.h"
#include "common/crc32c.h"

namespace warehouse::master {
namespace {

constexpr char kVersion = 1;
constexpr size_t kChecksumSize = 4;

uint32_t ExtendWithField(uint32_t crc, absl::string_view field) {
  char length[4];
  EncodeFixed32(length, static_cast<uint32_t>(field.size()));
  crc = crc32c::Extend(crc, length, sizeof(length));
  return crc32c::Extend(crc, field.data(), field.size());
}

uint32_t TokenChecksum(const ListingScope& scope, absl::string_view resume) {
  uint32_t crc = crc32c::Extend(0, &kVersion, 1);
  crc = ExtendWithField(crc, scope.bucket);
  crc = ExtendWithField(crc, scope.prefix);
  crc = ExtendWithField(crc, scope.delimiter);
  return crc32c::Extend(crc, resume.data(), resume.size());
}

}  // namespace

std::string EncodeContinuationToken(const ListingScope& scope,
                                    absl::string_view resume_at) {
  std::string raw;
  raw.push_back(kVersion);
  raw.append(resume_at.data(), resume_at.size());
  PutFixed32(&raw, TokenChecksum(scope, resume_at));
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::string> DecodeContinuationToken(const ListingScope& scope,
                                                    absl::string_view token) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) {
    return absl::InvalidArgumentError(
        "continuation token is not valid: not URL-safe base64");
  }
  if (raw.size() < 1 + kChecksumSize) {
    return absl::InvalidArgumentError(
        "continuation token is not valid: too short");
  }
  if (raw[0] != kVersion) {
    return absl::InvalidArgumentError(
        "continuation token is not valid: unknown version");
  }
  const absl::string_view resume(raw.data() + 1,
                                 raw.size() - 1 - kChecksumSize);
  const uint32_t stored =
      DecodeFixed32(raw.data() + raw.size() - kChecksumSize);
  if (stored != TokenChecksum(scope, resume) ||
      !absl::StartsWith(resume, scope.prefix)) {
    return absl::InvalidArgumentError(
        "continuation token is not valid: it was altered or belongs to a "
        "different listing (bucket, prefix or delimiter)");
  }
  return std::string(resume);
}

}  // namespace warehouse::master
