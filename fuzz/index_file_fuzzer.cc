// Fuzzes the index file loader, IndexFile::Open, and the record decoder,
// IndexRecord::Decode (volume/index_file.h).
//
// Input: one mode byte, then the index file's bytes, which the target puts
// in an in-memory file system. Mode bit 0 rewrites the header checksum and
// every record's checksum first; bit 1 makes the loader expect the volume
// id and revision the header names (otherwise volume 7, revision 3).
//
// Invariants: a record that decodes has a known type, a put's location is
// past the super block and at least one needle long, a checkpoint's
// watermark is aligned and at most 2^35, and it encodes back to the same
// record and the same bytes (reserved bytes and checksum aside). The loader
// fails only with DataLoss or FailedPrecondition, and then leaves the file
// untouched; when it succeeds it applies exactly the records that decode,
// in order, up to the first that does not, reports the last checkpoint's
// watermark, and cuts the file right after the last good record. Opening
// the result again finds the same and cuts nothing, and records appended
// after loading come back on the next open.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/coding.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/memory_file_system.h"
#include "fuzz/volume_formats.h"
#include "volume/index_file.h"
#include "volume/needle_format.h"

namespace warehouse::fuzz {
namespace {

using volume::IndexFile;
using volume::IndexRecord;
using volume::kIndexHeaderSize;
using volume::kIndexRecordSize;

constexpr uint8_t kFixChecksums = 1 << 0;
constexpr uint8_t kExpectHeaderIds = 1 << 1;
constexpr char kPath[] = "data/7.idx";
// docs/index_format.md: where the header keeps the volume id and revision.
constexpr size_t kVolumeIdOffset = 12;
constexpr size_t kRevisionOffset = 16;

bool SameRecord(const IndexRecord& a, const IndexRecord& b) {
  return a.type == b.type && a.key == b.key && a.location == b.location;
}

// Checks a record that decoded from `bytes`.
void CheckRecord(const IndexRecord& record, absl::string_view bytes) {
  switch (record.type) {
    case volume::kIndexRecordPut:
      FUZZ_CHECK(record.location.offset >= volume::kSuperBlockSize);
      FUZZ_CHECK(record.location.size >= volume::kMinNeedleSize);
      break;
    case volume::kIndexRecordDelete:
      break;
    case volume::kIndexRecordCheckpoint:
      FUZZ_CHECK(record.key % volume::kNeedleAlignment == 0);
      FUZZ_CHECK(record.key <= volume::kMaxVolumeSize);
      break;
    default:
      FUZZ_CHECK(false && "unknown record type decoded");
  }

  const std::string encoded = record.Encode();
  FUZZ_CHECK(encoded.size() == kIndexRecordSize);
  // Type, size, key and offset come back; bytes 1-3 are reserved (written
  // as zeros, not read) and the checksum covers them.
  FUZZ_CHECK(encoded[0] == bytes[0]);
  FUZZ_CHECK(absl::string_view(encoded).substr(4, 16) == bytes.substr(4, 16));
  absl::StatusOr<IndexRecord> again = IndexRecord::Decode(encoded);
  FUZZ_CHECK_OK(again.status());
  FUZZ_CHECK(SameRecord(*again, record));
}

struct Load {
  absl::Status status;
  std::unique_ptr<IndexFile> index;
  IndexFile::LoadResult result;
  std::vector<IndexRecord> applied;
};

Load Open(MemoryFileSystem& fs, uint32_t volume_id, uint64_t revision) {
  Load load;
  absl::StatusOr<std::unique_ptr<IndexFile>> index = IndexFile::Open(
      &fs, kPath, volume_id, revision,
      [&load](const IndexRecord& record) { load.applied.push_back(record); },
      &load.result);
  load.status = index.status();
  if (index.ok()) load.index = *std::move(index);
  return load;
}

void FuzzOneInput(absl::string_view input) {
  if (input.empty()) return;
  const uint8_t mode = static_cast<uint8_t>(input[0]);
  std::string bytes(input.substr(1));
  if (mode & kFixChecksums) FixIndexChecksums(&bytes);
  uint32_t volume_id = 7;
  uint64_t revision = 3;
  if ((mode & kExpectHeaderIds) && bytes.size() >= kIndexHeaderSize) {
    volume_id = DecodeFixed32(bytes.data() + kVolumeIdOffset);
    revision = DecodeFixed64(bytes.data() + kRevisionOffset);
  }

  // What the loader should find: the records after the header, in order, up
  // to the first that does not decode.
  std::vector<IndexRecord> expected;
  uint64_t watermark = 0;
  for (size_t pos = kIndexHeaderSize;
       pos <= bytes.size() && bytes.size() - pos >= kIndexRecordSize;
       pos += kIndexRecordSize) {
    const absl::string_view slot =
        absl::string_view(bytes).substr(pos, kIndexRecordSize);
    absl::StatusOr<IndexRecord> record = IndexRecord::Decode(slot);
    if (!record.ok()) {
      FUZZ_CHECK(absl::IsDataLoss(record.status()));
      break;
    }
    CheckRecord(*record, slot);
    if (record->type == volume::kIndexRecordCheckpoint) {
      watermark = record->key;
    }
    expected.push_back(*record);
  }

  MemoryFileSystem fs;
  fs.SetContents(kPath, bytes);
  Load first = Open(fs, volume_id, revision);
  if (!first.status.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(first.status) ||
               absl::IsFailedPrecondition(first.status));
    FUZZ_CHECK(first.applied.empty());
    // A file the loader refuses is left for the caller to rebuild or
    // inspect: nothing in it is cut.
    FUZZ_CHECK(fs.Contents(kPath) == bytes);
    return;
  }
  const uint64_t good_end =
      kIndexHeaderSize + kIndexRecordSize * expected.size();
  FUZZ_CHECK(first.result.records == expected.size());
  FUZZ_CHECK(first.result.watermark == watermark);
  FUZZ_CHECK(first.result.truncated_bytes == bytes.size() - good_end);
  FUZZ_CHECK(first.index->size() == good_end);
  FUZZ_CHECK(fs.Contents(kPath) == bytes.substr(0, good_end));
  size_t next = 0;
  for (const IndexRecord& record : expected) {
    if (record.type == volume::kIndexRecordCheckpoint) continue;
    FUZZ_CHECK(next < first.applied.size());
    FUZZ_CHECK(SameRecord(first.applied[next], record));
    ++next;
  }
  FUZZ_CHECK(next == first.applied.size());

  // Records appended after loading follow the loaded ones.
  first.index->AddPut(0x1f, {volume::kSuperBlockSize, volume::kMinNeedleSize});
  first.index->AddDelete(0x20);
  FUZZ_CHECK_OK(
      first.index->Flush(volume::kSuperBlockSize + volume::kMinNeedleSize));
  FUZZ_CHECK_OK(first.index->Sync());
  first.index.reset();

  Load second = Open(fs, volume_id, revision);
  FUZZ_CHECK_OK(second.status);
  FUZZ_CHECK(second.result.truncated_bytes == 0);
  FUZZ_CHECK(second.result.records == expected.size() + 3);
  FUZZ_CHECK(second.result.watermark ==
             volume::kSuperBlockSize + volume::kMinNeedleSize);
  FUZZ_CHECK(second.applied.size() == first.applied.size() + 2);
  for (size_t i = 0; i < first.applied.size(); ++i) {
    FUZZ_CHECK(SameRecord(second.applied[i], first.applied[i]));
  }
  const IndexRecord& put = second.applied[first.applied.size()];
  FUZZ_CHECK(put.type == volume::kIndexRecordPut && put.key == 0x1f);
  const IndexRecord& del = second.applied[first.applied.size() + 1];
  FUZZ_CHECK(del.type == volume::kIndexRecordDelete && del.key == 0x20);
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
