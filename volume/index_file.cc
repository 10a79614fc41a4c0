#include "volume/index_file.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/coding.h"
#include "common/crash_point.h"
#include "common/crc32c.h"
#include "common/status_macros.h"
#include "volume/needle_format.h"

namespace warehouse::volume {
namespace {

// Header field offsets.
constexpr size_t kVersionOffset = 8;
constexpr size_t kVolumeIdOffset = 12;
constexpr size_t kRevisionOffset = 16;
constexpr size_t kHeaderCrcOffset = 28;
// Record field offsets.
constexpr size_t kTypeOffset = 0;
constexpr size_t kSizeUnitsOffset = 4;
constexpr size_t kKeyOffset = 8;
constexpr size_t kOffsetUnitsOffset = 16;
constexpr size_t kRecordCrcOffset = 20;

std::string EncodeHeader(uint32_t volume_id, uint64_t revision) {
  std::string out(kIndexHeaderSize, '\0');
  std::memcpy(out.data(), kIndexMagic, sizeof(kIndexMagic));
  EncodeFixed32(&out[kVersionOffset], kIndexVersion);
  EncodeFixed32(&out[kVolumeIdOffset], volume_id);
  EncodeFixed64(&out[kRevisionOffset], revision);
  EncodeFixed32(&out[kHeaderCrcOffset],
                crc32c::Value(out.data(), kHeaderCrcOffset));
  return out;
}

absl::Status CheckHeader(absl::string_view bytes, const std::string& path,
                         uint32_t volume_id, uint64_t revision) {
  if (bytes.size() < kIndexHeaderSize ||
      std::memcmp(bytes.data(), kIndexMagic, sizeof(kIndexMagic)) != 0) {
    return absl::DataLossError(absl::StrCat(path, ": not an index file"));
  }
  if (DecodeFixed32(&bytes[kHeaderCrcOffset]) !=
      crc32c::Value(bytes.data(), kHeaderCrcOffset)) {
    return absl::DataLossError(absl::StrCat(path, ": header checksum mismatch"));
  }
  uint32_t version = DecodeFixed32(&bytes[kVersionOffset]);
  if (version != kIndexVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": index format version ", version, " unknown"));
  }
  uint32_t file_volume = DecodeFixed32(&bytes[kVolumeIdOffset]);
  uint64_t file_revision = DecodeFixed64(&bytes[kRevisionOffset]);
  if (file_volume != volume_id || file_revision != revision) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": describes volume ", file_volume, " revision ", file_revision,
        ", not volume ", volume_id, " revision ", revision));
  }
  return absl::OkStatus();
}

}  // namespace

std::string IndexRecord::Encode() const {
  std::string out(kIndexRecordSize, '\0');
  out[kTypeOffset] = static_cast<char>(type);
  EncodeFixed32(&out[kSizeUnitsOffset],
                static_cast<uint32_t>(location.size / kNeedleAlignment));
  EncodeFixed64(&out[kKeyOffset], key);
  EncodeFixed32(&out[kOffsetUnitsOffset],
                static_cast<uint32_t>(location.offset / kNeedleAlignment));
  EncodeFixed32(&out[kRecordCrcOffset],
                crc32c::Value(out.data(), kRecordCrcOffset));
  return out;
}

absl::StatusOr<IndexRecord> IndexRecord::Decode(absl::string_view bytes) {
  if (bytes.size() < kIndexRecordSize) {
    return absl::DataLossError("index record: truncated");
  }
  if (DecodeFixed32(&bytes[kRecordCrcOffset]) !=
      crc32c::Value(bytes.data(), kRecordCrcOffset)) {
    return absl::DataLossError("index record: checksum mismatch");
  }
  IndexRecord record;
  record.type = static_cast<uint8_t>(bytes[kTypeOffset]);
  record.key = DecodeFixed64(&bytes[kKeyOffset]);
  record.location.offset =
      uint64_t{DecodeFixed32(&bytes[kOffsetUnitsOffset])} * kNeedleAlignment;
  record.location.size =
      uint64_t{DecodeFixed32(&bytes[kSizeUnitsOffset])} * kNeedleAlignment;
  switch (record.type) {
    case kIndexRecordPut:
      if (record.location.offset < kSuperBlockSize ||
          record.location.size < kMinNeedleSize) {
        return absl::DataLossError(absl::StrFormat(
            "index record for needle 0x%x: impossible location %d+%d",
            record.key, record.location.offset, record.location.size));
      }
      break;
    case kIndexRecordDelete:
      break;
    case kIndexRecordCheckpoint:
      if (record.key % kNeedleAlignment != 0 || record.key > kMaxVolumeSize) {
        return absl::DataLossError(absl::StrCat(
            "index checkpoint: impossible watermark ", record.key));
      }
      break;
    default:
      return absl::DataLossError(absl::StrCat("index record: unknown type ",
                                              int{record.type}));
  }
  return record;
}

absl::StatusOr<std::unique_ptr<IndexFile>> IndexFile::Open(
    FileSystem* fs, const std::string& path, uint32_t volume_id,
    uint64_t revision, const std::function<void(const IndexRecord&)>& apply,
    LoadResult* result) {
  *result = LoadResult{};
  ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                   fs->Open(path, OpenMode::kReadWrite));
  ASSIGN_OR_RETURN(uint64_t size, file->Size());
  std::string header(kIndexHeaderSize, '\0');
  ASSIGN_OR_RETURN(size_t got,
                   file->ReadAt(0, header.data(), kIndexHeaderSize));
  header.resize(got);
  RETURN_IF_ERROR(CheckHeader(header, path, volume_id, revision));

  // Read in large blocks; stop at the first record that does not verify.
  constexpr size_t kBlockRecords = 1 << 15;
  std::string block(kBlockRecords * kRecordSize, '\0');
  uint64_t pos = kIndexHeaderSize;
  bool bad = false;
  while (pos + kRecordSize <= size && !bad) {
    size_t want = static_cast<size_t>(
        std::min<uint64_t>(block.size(), (size - pos) / kRecordSize * kRecordSize));
    ASSIGN_OR_RETURN(size_t n, file->ReadAt(pos, block.data(), want));
    if (n < kRecordSize) break;
    for (size_t i = 0; i + kRecordSize <= n; i += kRecordSize) {
      absl::StatusOr<IndexRecord> record =
          IndexRecord::Decode(absl::string_view(block.data() + i, kRecordSize));
      if (!record.ok()) {
        bad = true;
        break;
      }
      if (record->type == kIndexRecordCheckpoint) {
        result->watermark = record->key;
      } else {
        apply(*record);
      }
      ++result->records;
      pos += kRecordSize;
    }
  }
  if (pos < size) {
    result->truncated_bytes = size - pos;
    RETURN_IF_ERROR(file->Truncate(pos));
  }
  auto index = std::unique_ptr<IndexFile>(new IndexFile(std::move(file), pos));
  index->last_watermark_ = result->watermark;
  return index;
}

absl::StatusOr<std::unique_ptr<IndexFile>> IndexFile::Create(
    FileSystem* fs, const std::string& path, uint32_t volume_id,
    uint64_t revision) {
  ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                   fs->Open(path, OpenMode::kCreate));
  RETURN_IF_ERROR(file->Truncate(0));
  RETURN_IF_ERROR(file->WriteAt(0, EncodeHeader(volume_id, revision)));
  RETURN_IF_ERROR(file->Sync());
  return std::unique_ptr<IndexFile>(
      new IndexFile(std::move(file), kIndexHeaderSize));
}

void IndexFile::AddPut(uint64_t id, NeedleLocation location) {
  buffer_ += IndexRecord{kIndexRecordPut, id, location}.Encode();
}

void IndexFile::AddDelete(uint64_t id) {
  buffer_ += IndexRecord{kIndexRecordDelete, id, {}}.Encode();
}

absl::Status IndexFile::Flush(uint64_t watermark, size_t max_records) {
  const size_t bytes = std::min(buffer_.size(), max_records * kRecordSize);
  if (bytes == 0 && watermark == last_watermark_) return absl::OkStatus();
  std::string batch = buffer_.substr(0, bytes);
  batch += IndexRecord{kIndexRecordCheckpoint, watermark, {}}.Encode();
  CRASH_POINT(kIndexFlushBeforeWrite);
  RETURN_IF_ERROR(file_->WriteAt(end_, batch));
  CRASH_POINT(kIndexFlushAfterWrite);
  end_ += batch.size();
  buffer_.erase(0, bytes);
  last_watermark_ = watermark;
  return absl::OkStatus();
}

}  // namespace warehouse::volume
