#include "volume/super_block.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/coding.h"
#include "common/crc32c.h"
#include "volume/needle_format.h"

namespace warehouse::volume {

std::string SuperBlock::Encode() const {
  std::string out(kSuperBlockSize, '\0');
  std::memcpy(out.data(), kSuperBlockMagic, sizeof(kSuperBlockMagic));
  EncodeFixed32(&out[kSuperBlockVersionOffset], kSuperBlockVersion);
  EncodeFixed32(&out[kSuperBlockVolumeIdOffset], volume_id);
  EncodeFixed64(&out[kSuperBlockCreatedOffset], created_ms);
  EncodeFixed64(&out[kSuperBlockRevisionOffset], compaction_revision);
  EncodeFixed32(&out[kSuperBlockSaltOffset], salt);
  EncodeFixed32(&out[kSuperBlockCrcOffset],
                crc32c::Value(out.data(), kSuperBlockCrcOffset));
  return out;
}

absl::StatusOr<SuperBlock> SuperBlock::Decode(absl::string_view bytes) {
  if (bytes.size() < kSuperBlockSize) {
    return absl::DataLossError(absl::StrCat("super block: ", bytes.size(),
                                            " bytes, need ", kSuperBlockSize));
  }
  if (std::memcmp(bytes.data(), kSuperBlockMagic, sizeof(kSuperBlockMagic)) !=
      0) {
    return absl::DataLossError("super block: bad magic, not a volume file");
  }
  uint32_t stored_crc = DecodeFixed32(&bytes[kSuperBlockCrcOffset]);
  if (stored_crc != crc32c::Value(bytes.data(), kSuperBlockCrcOffset)) {
    return absl::DataLossError("super block: checksum mismatch");
  }
  uint32_t version = DecodeFixed32(&bytes[kSuperBlockVersionOffset]);
  if (version != kSuperBlockVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("super block: format version ", version,
                     " is not supported by this binary (knows ",
                     kSuperBlockVersion, ")"));
  }
  SuperBlock sb;
  sb.volume_id = DecodeFixed32(&bytes[kSuperBlockVolumeIdOffset]);
  sb.created_ms = DecodeFixed64(&bytes[kSuperBlockCreatedOffset]);
  sb.compaction_revision = DecodeFixed64(&bytes[kSuperBlockRevisionOffset]);
  sb.salt = DecodeFixed32(&bytes[kSuperBlockSaltOffset]);
  return sb;
}

}  // namespace warehouse::volume
