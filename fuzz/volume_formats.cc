#include "fuzz/volume_formats.h"

#include "common/coding.h"
#include "common/crc32c.h"
#include "volume/needle_format.h"

namespace warehouse::fuzz {

using volume::kIndexHeaderSize;
using volume::kIndexRecordSize;
using volume::kNeedleFooterSize;
using volume::kNeedleHeaderSize;
using volume::kSuperBlockSize;

uint64_t FixNeedleChecksums(std::string* bytes, size_t pos, uint32_t salt,
                            bool fix_data) {
  if (pos > bytes->size() || bytes->size() - pos < kNeedleHeaderSize) return 0;
  char* needle = bytes->data() + pos;
  const size_t available = bytes->size() - pos;
  const size_t header_size =
      kNeedleHeaderSize +
      static_cast<unsigned char>(needle[volume::kNeedleContentTypeSizeOffset]);
  if (available < header_size) return 0;

  // The salt, little-endian, then header bytes 8 to the end of the content
  // type (docs/needle_format.md, "What each checksum covers").
  char salt_bytes[4];
  EncodeFixed32(salt_bytes, salt);
  uint32_t crc = crc32c::Value(salt_bytes, sizeof(salt_bytes));
  crc = crc32c::Extend(crc, needle + volume::kNeedleIdOffset,
                       header_size - volume::kNeedleIdOffset);
  EncodeFixed32(needle + volume::kNeedleHeaderCrcOffset, crc);

  absl::StatusOr<volume::NeedleHeader> header =
      volume::DecodeNeedleHeader(absl::string_view(needle, available), salt);
  if (!header.ok()) return 0;
  if (fix_data && !header->padding() &&
      header->data_size <= available - header_size &&
      available - header_size - header->data_size >= kNeedleFooterSize) {
    const size_t data_size = static_cast<size_t>(header->data_size);
    EncodeFixed32(needle + header_size + data_size,
                  crc32c::Value(needle + header_size, data_size));
  }
  return header->total_size();
}

void FixSuperBlockChecksum(std::string* bytes) {
  if (bytes->size() < kSuperBlockSize) return;
  EncodeFixed32(bytes->data() + volume::kSuperBlockCrcOffset,
                crc32c::Value(bytes->data(), volume::kSuperBlockCrcOffset));
}

void FixIndexChecksums(std::string* bytes) {
  // docs/index_format.md: the header's checksum covers bytes 0..27 and sits
  // at 28; a record's covers bytes 0..19 and sits at 20.
  constexpr size_t kHeaderCrcOffset = 28;
  constexpr size_t kRecordCrcOffset = 20;
  if (bytes->size() < kIndexHeaderSize) return;
  EncodeFixed32(bytes->data() + kHeaderCrcOffset,
                crc32c::Value(bytes->data(), kHeaderCrcOffset));
  for (size_t pos = kIndexHeaderSize; bytes->size() - pos >= kIndexRecordSize;
       pos += kIndexRecordSize) {
    char* record = bytes->data() + pos;
    EncodeFixed32(record + kRecordCrcOffset,
                  crc32c::Value(record, kRecordCrcOffset));
  }
}

bool SameNeedleHeader(const volume::NeedleHeader& a,
                      const volume::NeedleHeader& b) {
  return a.id == b.id && a.cookie == b.cookie && a.flags == b.flags &&
         a.data_size == b.data_size &&
         a.last_modified_ms == b.last_modified_ms &&
         a.content_type == b.content_type;
}

}  // namespace warehouse::fuzz
