// Fuzzes the volume tail scan, ScanVolumeTail (volume/recovery.h): what a
// volume runs over the bytes its index does not cover after a crash.
//
// Input: a 7-byte preamble, then the bytes that follow a valid super block
// in an in-memory volume file.
//
//   byte 0     mode: bit 0 rewrites the header checksum of every needle the
//              walk below finds, bit 1 also its data checksum, bit 2 grows
//              the first needle's data by a run of zeros
//   bytes 1-4  the volume's salt, little-endian
//   byte 5     where the scan starts, in 8-byte units past the super block
//              (low 4 bits; right after it when that is past the end)
//   byte 6     length of the zero run: 1 MiB - 1 KiB plus 8 bytes per unit
//
// The walk starts at the first needle position and, where it finds the
// needle magic, fixes that needle and steps over it, else steps 8 bytes.
// The zero run makes the file larger than the scanner's 1 MiB read block
// without megabyte inputs, so that the needles after it straddle the block
// boundary at offsets byte 6 moves; it goes into needle data, which the
// scan checksums quickly, rather than between needles, which it would try
// 8 bytes at a time.
//
// Invariants: the scan never fails (bad bytes are not an error); the file
// ends where the result says and only lost a tail; every needle reported
// lies between the start and the end, is 8-byte aligned, does not overlap
// the one before, and decodes to the header reported; the start, the needles
// reported and the bytes skipped add up to the end; a second scan of the
// result finds the same needles and cuts nothing; and a region that is a
// chain of valid needles is reported needle for needle.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/coding.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/memory_file_system.h"
#include "fuzz/volume_formats.h"
#include "volume/needle.h"
#include "volume/needle_format.h"
#include "volume/recovery.h"
#include "volume/super_block.h"

namespace warehouse::fuzz {
namespace {

using volume::kNeedleAlignment;
using volume::kNeedleMagic;
using volume::kSuperBlockSize;
using volume::NeedleHeader;

constexpr uint8_t kFixHeaderChecksums = 1 << 0;
constexpr uint8_t kFixDataChecksums = 1 << 1;
constexpr uint8_t kGrowFirstNeedle = 1 << 2;
constexpr size_t kPreambleSize = 7;
constexpr size_t kShortestZeroRun = (1 << 20) - (1 << 10);

struct Found {
  uint64_t offset;
  NeedleHeader header;
};

struct Scan {
  volume::ScanResult result;
  std::vector<Found> found;
};

Scan RunScan(File& file, uint32_t salt, uint64_t from) {
  Scan scan;
  absl::StatusOr<volume::ScanResult> result = volume::ScanVolumeTail(
      file, salt, from, [&scan](uint64_t offset, const NeedleHeader& header) {
        scan.found.push_back({offset, header});
      });
  FUZZ_CHECK_OK(result.status());
  scan.result = *result;
  return scan;
}

// Checks `scan` of a file that held `before` and now holds `after`.
void CheckScan(const Scan& scan, uint64_t from, absl::string_view before,
               absl::string_view after, uint32_t salt) {
  const volume::ScanResult& result = scan.result;
  FUZZ_CHECK(result.end == after.size());
  FUZZ_CHECK(result.end <= before.size());
  FUZZ_CHECK(result.end >= from);
  FUZZ_CHECK(result.truncated_bytes == before.size() - result.end);
  FUZZ_CHECK(before.substr(0, after.size()) == after);

  uint64_t next_free = from;
  uint64_t covered = 0;
  uint64_t tombstones = 0;
  for (const Found& found : scan.found) {
    FUZZ_CHECK(found.offset >= next_free);
    FUZZ_CHECK(found.offset % kNeedleAlignment == 0);
    FUZZ_CHECK(found.header.total_size() <= result.end - found.offset);
    FUZZ_CHECK(!found.header.padding());
    absl::StatusOr<NeedleHeader> decoded = volume::DecodeNeedle(
        after.substr(found.offset, found.header.total_size()), salt, nullptr);
    FUZZ_CHECK_OK(decoded.status());
    FUZZ_CHECK(SameNeedleHeader(*decoded, found.header));
    next_free = found.offset + found.header.total_size();
    covered += found.header.total_size();
    if (found.header.tombstone()) ++tombstones;
  }
  FUZZ_CHECK(result.tombstones == tombstones);
  FUZZ_CHECK(result.needles + result.tombstones == scan.found.size());
  FUZZ_CHECK(from + covered + result.skipped_bytes == result.end);
}

void FuzzOneInput(absl::string_view input) {
  if (input.size() < kPreambleSize) return;
  const uint8_t mode = static_cast<uint8_t>(input[0]);
  const uint32_t salt = DecodeFixed32(input.data() + 1);
  uint64_t from = kSuperBlockSize +
                  kNeedleAlignment * (static_cast<uint8_t>(input[5]) & 0xf);
  std::string region(input.substr(kPreambleSize));

  // Walks the region as the writer laid it out; records whether it is a
  // chain of whole needles with valid checksums from start to end.
  std::vector<uint64_t> chain;  // offsets in the file of non-padding needles
  bool whole_chain = (mode & kFixHeaderChecksums) && (mode & kFixDataChecksums);
  bool grow = (mode & kFixHeaderChecksums) && (mode & kGrowFirstNeedle);
  size_t pos = 0;
  while ((mode & kFixHeaderChecksums) &&
         region.size() - pos >= volume::kNeedleHeaderSize) {
    uint64_t size = 0;
    if (DecodeFixed32(region.data() + pos) == kNeedleMagic) {
      if (grow && FixNeedleChecksums(&region, pos, salt, false) != 0) {
        grow = false;
        char* header = region.data() + pos;
        const size_t header_size =
            volume::kNeedleHeaderSize +
            static_cast<uint8_t>(header[volume::kNeedleContentTypeSizeOffset]);
        const size_t run = kShortestZeroRun +
                           kNeedleAlignment * static_cast<uint8_t>(input[6]);
        EncodeFixed64(
            header + volume::kNeedleDataSizeOffset,
            DecodeFixed64(header + volume::kNeedleDataSizeOffset) + run);
        region.insert(pos + header_size, run, '\0');
      }
      size = FixNeedleChecksums(&region, pos, salt,
                                (mode & kFixDataChecksums) != 0);
    }
    if (size == 0 || size > region.size() - pos) {
      whole_chain = false;
      pos += kNeedleAlignment;
      continue;
    }
    const uint16_t flags =
        DecodeFixed16(region.data() + pos + volume::kNeedleFlagsOffset);
    if ((flags & volume::kNeedleFlagPadding) == 0) {
      chain.push_back(kSuperBlockSize + pos);
    }
    pos += size;
  }
  if (pos != region.size()) whole_chain = false;

  volume::SuperBlock super_block;
  super_block.volume_id = 7;
  super_block.created_ms = 1700000000000;
  super_block.compaction_revision = 3;
  super_block.salt = salt;
  const std::string before = super_block.Encode() + region;
  // The volume never scans from past its end (its watermark is clamped).
  if (from > before.size()) from = kSuperBlockSize;

  MemoryFileSystem fs;
  fs.SetContents("volume", before);
  absl::StatusOr<std::unique_ptr<File>> file =
      fs.Open("volume", OpenMode::kReadWrite);
  FUZZ_CHECK_OK(file.status());

  const Scan first = RunScan(**file, salt, from);
  CheckScan(first, from, before, fs.Contents("volume"), salt);

  if (whole_chain && from == kSuperBlockSize) {
    FUZZ_CHECK(first.result.truncated_bytes == 0);
    FUZZ_CHECK(first.result.corrupt == 0);
    FUZZ_CHECK(first.found.size() == chain.size());
    for (size_t i = 0; i < chain.size(); ++i) {
      FUZZ_CHECK(first.found[i].offset == chain[i]);
    }
  }

  // Scanning what the first scan left finds the same and cuts nothing.
  const Scan second = RunScan(**file, salt, from);
  FUZZ_CHECK(fs.Contents("volume") ==
             absl::string_view(before).substr(0, first.result.end));
  FUZZ_CHECK(second.result.truncated_bytes == 0);
  FUZZ_CHECK(second.result.end == first.result.end);
  FUZZ_CHECK(second.result.skipped_bytes == first.result.skipped_bytes);
  FUZZ_CHECK(second.result.corrupt == first.result.corrupt);
  FUZZ_CHECK(second.found.size() == first.found.size());
  for (size_t i = 0; i < first.found.size(); ++i) {
    FUZZ_CHECK(second.found[i].offset == first.found[i].offset);
    FUZZ_CHECK(SameNeedleHeader(second.found[i].header, first.found[i].header));
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
