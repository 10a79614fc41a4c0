// Fuzzes the needle decoder: DecodeNeedleHeader and DecodeNeedle
// (volume/needle.h), under any salt.
//
// Input: one mode byte, the salt (4 bytes, little-endian), then the bytes
// handed to the decoders. Mode bit 0 rewrites the header checksum under the
// salt before decoding, bit 1 the data checksum, so that the fuzzer reaches
// the checks behind them.
//
// Invariants: a decoder fails only with DataLoss; a header that decodes
// lies within the input, has known flags and a data size of at most 2^35,
// and encodes back to the input's bytes (the reserved byte and so the
// checksum aside); a needle that decodes contains its header, views its
// data inside the input, carries the data's CRC-32C unless it is padding,
// and encodes back to a needle that decodes to the same header and data.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/coding.h"
#include "common/crc32c.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/volume_formats.h"
#include "volume/needle.h"
#include "volume/needle_format.h"

namespace warehouse::fuzz {
namespace {

using volume::DecodeNeedle;
using volume::DecodeNeedleHeader;
using volume::NeedleHeader;

constexpr uint8_t kFixHeaderChecksum = 1 << 0;
constexpr uint8_t kFixDataChecksum = 1 << 1;

// Checks a header that decoded from `bytes`.
void CheckHeader(const NeedleHeader& header, const std::string& bytes,
                 uint32_t salt) {
  FUZZ_CHECK(header.header_size() <= bytes.size());
  FUZZ_CHECK(header.content_type.size() <= volume::kMaxContentTypeSize);
  FUZZ_CHECK((header.flags & ~volume::kNeedleKnownFlags) == 0);
  FUZZ_CHECK(header.data_size <= volume::kMaxVolumeSize);
  FUZZ_CHECK(header.total_size() % volume::kNeedleAlignment == 0);
  FUZZ_CHECK(header.total_size() >= volume::kMinNeedleSize);

  // Encoding gives back the input: every byte but the checksum and the
  // reserved byte, which is written as zero and ignored by readers.
  const std::string encoded = volume::EncodeNeedleHeader(header, salt);
  FUZZ_CHECK(encoded.size() == header.header_size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (i >= volume::kNeedleHeaderCrcOffset &&
        i < volume::kNeedleHeaderCrcOffset + 4) {
      continue;
    }
    if (i == volume::kNeedleReservedOffset) {
      FUZZ_CHECK(encoded[i] == '\0');
      continue;
    }
    FUZZ_CHECK(encoded[i] == bytes[i]);
  }
  if (bytes[volume::kNeedleReservedOffset] == '\0') {
    FUZZ_CHECK(encoded == bytes.substr(0, encoded.size()));
  }
  absl::StatusOr<NeedleHeader> again = DecodeNeedleHeader(encoded, salt);
  FUZZ_CHECK_OK(again.status());
  FUZZ_CHECK(SameNeedleHeader(*again, header));
}

void CheckNeedle(const NeedleHeader& needle, absl::string_view data,
                 const std::string& bytes, uint32_t salt) {
  FUZZ_CHECK(needle.total_size() <= bytes.size());
  FUZZ_CHECK(data.size() == needle.data_size);
  FUZZ_CHECK(data.data() == bytes.data() + needle.header_size());
  if (needle.padding()) return;
  const uint32_t stored =
      DecodeFixed32(bytes.data() + needle.header_size() + needle.data_size);
  FUZZ_CHECK(crc32c::Value(data) == stored);

  const std::string encoded = volume::EncodeNeedle(needle, data, salt);
  FUZZ_CHECK(encoded.size() == needle.total_size());
  absl::string_view data_again;
  absl::StatusOr<NeedleHeader> again = DecodeNeedle(encoded, salt, &data_again);
  FUZZ_CHECK_OK(again.status());
  FUZZ_CHECK(SameNeedleHeader(*again, needle));
  FUZZ_CHECK(data_again == data);
}

void FuzzOneInput(absl::string_view input) {
  if (input.size() < 5) return;
  const uint8_t mode = static_cast<uint8_t>(input[0]);
  const uint32_t salt = DecodeFixed32(input.data() + 1);
  std::string bytes(input.substr(5));
  if (mode & kFixHeaderChecksum) {
    FixNeedleChecksums(&bytes, 0, salt, (mode & kFixDataChecksum) != 0);
  }

  absl::StatusOr<NeedleHeader> header = DecodeNeedleHeader(bytes, salt);
  if (header.ok()) {
    CheckHeader(*header, bytes, salt);
  } else {
    FUZZ_CHECK(absl::IsDataLoss(header.status()));
  }

  absl::string_view data;
  absl::StatusOr<NeedleHeader> needle = DecodeNeedle(bytes, salt, &data);
  if (needle.ok()) {
    FUZZ_CHECK(header.ok() && SameNeedleHeader(*needle, *header));
    CheckNeedle(*needle, data, bytes, salt);
    // The decoder does not need the data pointer.
    FUZZ_CHECK(DecodeNeedle(bytes, salt, nullptr).ok());
  } else {
    FUZZ_CHECK(absl::IsDataLoss(needle.status()));
    // A needle whose header decodes fails only for being cut short or for
    // data that does not match its checksum, which padding does not have.
    if (header.ok() && bytes.size() >= header->total_size()) {
      FUZZ_CHECK(!header->padding());
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

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  warehouse::fuzz::QuietLogs();
  return 0;
}
