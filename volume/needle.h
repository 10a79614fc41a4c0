// A needle: one stored object (or a tombstone, or padding) in a volume file.
// Layout in docs/needle_format.md.
//
//   fixed header (40 bytes) | content type | data | CRC-32C of data | pad to 8
//
// The header carries its own checksum, seeded with the volume's salt; the
// footer's CRC-32C covers the data alone.
#ifndef WAREHOUSE_VOLUME_NEEDLE_H_
#define WAREHOUSE_VOLUME_NEEDLE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "volume/needle_format.h"

namespace warehouse::volume {

// Rounds `n` up to the needle alignment.
inline uint64_t AlignNeedle(uint64_t n) {
  return (n + kNeedleAlignment - 1) & ~uint64_t{kNeedleAlignment - 1};
}

struct NeedleHeader {
  uint64_t id = 0;
  uint32_t cookie = 0;
  uint16_t flags = 0;
  uint64_t data_size = 0;
  uint64_t last_modified_ms = 0;  // Unix time in milliseconds
  std::string content_type;       // at most kMaxContentTypeSize bytes

  bool tombstone() const { return flags & kNeedleFlagTombstone; }
  bool padding() const { return flags & kNeedleFlagPadding; }
  // Bytes before the data: the fixed header and the content type.
  uint64_t header_size() const {
    return kNeedleHeaderSize + content_type.size();
  }
  // Bytes the whole needle occupies in the volume, padding included.
  uint64_t total_size() const {
    return AlignNeedle(header_size() + data_size + kNeedleFooterSize);
  }
};

// Returns the header_size() bytes of `header`, checksummed with `salt`.
// REQUIRES: header.content_type.size() <= kMaxContentTypeSize.
std::string EncodeNeedleHeader(const NeedleHeader& header, uint32_t salt);

// Returns the footer: the data's CRC-32C followed by the zero padding that
// aligns a needle whose header and data take `header_and_data` bytes.
std::string EncodeNeedleFooter(uint32_t data_crc, uint64_t header_and_data);

// Encodes a whole needle holding `data`. For tests, tombstones and small
// writes; large needles are streamed by Volume.
std::string EncodeNeedle(const NeedleHeader& header, absl::string_view data,
                         uint32_t salt);

// A header whose flags mark it as padding over `region_size` bytes (a
// multiple of the alignment, at least kMinNeedleSize): what an abandoned
// write leaves behind so scanners skip its region.
NeedleHeader PaddingHeader(uint64_t region_size);

// Decodes the header at the start of `bytes`, which must hold at least the
// fixed header and, when it names one, the content type. Errors: DataLoss
// (too short, bad magic, checksum mismatch, unknown flags).
absl::StatusOr<NeedleHeader> DecodeNeedleHeader(absl::string_view bytes,
                                                uint32_t salt);

// Checks a whole needle as read from disk: the header, then the data's
// CRC-32C against the footer. On success `*data` (if not null) views the
// data within `bytes`. Errors: DataLoss.
absl::StatusOr<NeedleHeader> DecodeNeedle(absl::string_view bytes,
                                          uint32_t salt,
                                          absl::string_view* data);

}  // namespace warehouse::volume

#endif  // WAREHOUSE_VOLUME_NEEDLE_H_
