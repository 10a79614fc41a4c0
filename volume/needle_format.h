// Part of the on-disk format; never change a value, add a version.
//
// Constants of the volume file (super block and needles) and of the index
// file. docs/needle_format.md and docs/index_format.md describe the layouts
// these numbers define; tests/volume/needle_format_test.cc pins them with golden
// bytes.
#ifndef WAREHOUSE_VOLUME_NEEDLE_FORMAT_H_
#define WAREHOUSE_VOLUME_NEEDLE_FORMAT_H_

#include <cstddef>
#include <cstdint>

namespace warehouse::volume {

// ---- Volume file: super block -------------------------------------------
inline constexpr char kSuperBlockMagic[8] = {'W', 'H', 'V', 'O',
                                             'L', 'U', 'M', 'E'};
inline constexpr uint32_t kSuperBlockVersion = 1;
inline constexpr size_t kSuperBlockSize = 64;
// Field offsets within the super block.
inline constexpr size_t kSuperBlockVersionOffset = 8;
inline constexpr size_t kSuperBlockVolumeIdOffset = 12;
inline constexpr size_t kSuperBlockCreatedOffset = 16;
inline constexpr size_t kSuperBlockRevisionOffset = 24;
inline constexpr size_t kSuperBlockSaltOffset = 32;
inline constexpr size_t kSuperBlockCrcOffset = 60;

// ---- Volume file: needles -----------------------------------------------
// "WHND" read as a little-endian uint32: the bytes 'W' 'H' 'N' 'D' on disk.
inline constexpr uint32_t kNeedleMagic = 0x444e4857;
inline constexpr size_t kNeedleHeaderSize = 40;  // fixed part
inline constexpr size_t kNeedleFooterSize = 4;   // CRC-32C of the data
inline constexpr size_t kNeedleAlignment = 8;
inline constexpr size_t kMaxContentTypeSize = 255;
inline constexpr size_t kMaxNeedleHeaderSize =
    kNeedleHeaderSize + kMaxContentTypeSize;
// The smallest needle: a fixed header, no data, a footer, padding.
inline constexpr size_t kMinNeedleSize = 48;

// Field offsets within the fixed header.
inline constexpr size_t kNeedleMagicOffset = 0;
inline constexpr size_t kNeedleHeaderCrcOffset = 4;
inline constexpr size_t kNeedleIdOffset = 8;
inline constexpr size_t kNeedleCookieOffset = 16;
inline constexpr size_t kNeedleFlagsOffset = 20;
inline constexpr size_t kNeedleContentTypeSizeOffset = 22;
inline constexpr size_t kNeedleReservedOffset = 23;
inline constexpr size_t kNeedleDataSizeOffset = 24;
inline constexpr size_t kNeedleLastModifiedOffset = 32;

// Flags.
inline constexpr uint16_t kNeedleFlagTombstone = 1u << 0;
inline constexpr uint16_t kNeedleFlagPadding = 1u << 1;
inline constexpr uint16_t kNeedleKnownFlags =
    kNeedleFlagTombstone | kNeedleFlagPadding;

// Offsets and sizes are stored in the index in units of kNeedleAlignment in
// 32-bit fields, which caps a volume (and a needle) at 32 GiB.
inline constexpr uint64_t kMaxVolumeSize = uint64_t{1} << 35;

// ---- Index file ---------------------------------------------------------
inline constexpr char kIndexMagic[8] = {'W', 'H', 'I', 'N', 'D', 'E', 'X', '1'};
inline constexpr uint32_t kIndexVersion = 1;
inline constexpr size_t kIndexHeaderSize = 32;
inline constexpr size_t kIndexRecordSize = 24;
// Record types.
inline constexpr uint8_t kIndexRecordPut = 1;
inline constexpr uint8_t kIndexRecordDelete = 2;
inline constexpr uint8_t kIndexRecordCheckpoint = 3;

}  // namespace warehouse::volume

#endif  // WAREHOUSE_VOLUME_NEEDLE_FORMAT_H_
