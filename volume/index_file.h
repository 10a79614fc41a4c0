// The persisted needle index of one volume: an append-only log of
// checksummed records (docs/index_format.md).
//
// The volume file is the source of truth; the index file only saves the
// tail scan. Records are buffered in memory and written by Flush(), which
// ends each batch with a checkpoint naming a watermark: every needle that
// starts below the watermark has its record earlier in the file. Recovery
// replays the records and then scans the volume from the last checkpoint's
// watermark.
#ifndef WAREHOUSE_VOLUME_INDEX_FILE_H_
#define WAREHOUSE_VOLUME_INDEX_FILE_H_

#include <cstdint>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/file.h"
#include "volume/needle_index.h"

namespace warehouse::volume {

struct IndexRecord {
  uint8_t type = 0;   // kIndexRecordPut, kIndexRecordDelete, ...Checkpoint
  uint64_t key = 0;   // needle id; for a checkpoint, the watermark
  NeedleLocation location;  // puts only

  std::string Encode() const;
  // Errors: DataLoss (checksum mismatch, unknown type, misaligned location).
  static absl::StatusOr<IndexRecord> Decode(absl::string_view bytes);
};

// Not thread-safe; owned by one Volume, which calls it under its mutex.
class IndexFile {
 public:
  struct LoadResult {
    uint64_t watermark = 0;  // 0 when the file holds no checkpoint
    uint64_t records = 0;
    // Bytes of torn or corrupt tail cut off the file.
    uint64_t truncated_bytes = 0;
  };

  // Opens an existing index file for volume `volume_id` at compaction
  // `revision`, calls `apply` for every put and delete record in file order,
  // and cuts off a torn or corrupt tail from the first bad record on.
  // Errors: NotFound (no file), DataLoss (bad header), FailedPrecondition
  // (another volume, revision or version): the caller rebuilds from the
  // volume file.
  static absl::StatusOr<std::unique_ptr<IndexFile>> Open(
      FileSystem* fs, const std::string& path, uint32_t volume_id,
      uint64_t revision, const std::function<void(const IndexRecord&)>& apply,
      LoadResult* result);

  // Creates (replacing any) an index file holding only its header, synced.
  // The caller syncs the directory.
  static absl::StatusOr<std::unique_ptr<IndexFile>> Create(
      FileSystem* fs, const std::string& path, uint32_t volume_id,
      uint64_t revision);

  IndexFile(const IndexFile&) = delete;
  IndexFile& operator=(const IndexFile&) = delete;

  void AddPut(uint64_t id, NeedleLocation location);
  void AddDelete(uint64_t id);
  size_t buffered_records() const { return buffer_.size() / kRecordSize; }

  // Writes the first `max_records` buffered records (all by default)
  // followed by a checkpoint at `watermark`; does nothing when there is
  // nothing new to say. Not synced. Errors: those of File::WriteAt; the
  // buffer is kept.
  absl::Status Flush(uint64_t watermark, size_t max_records = SIZE_MAX);
  // Makes everything flushed durable.
  absl::Status Sync() { return file_->Sync(); }

  uint64_t size() const { return end_; }

 private:
  static constexpr size_t kRecordSize = 24;

  IndexFile(std::unique_ptr<File> file, uint64_t end)
      : file_(std::move(file)), end_(end) {}

  const std::unique_ptr<File> file_;
  uint64_t end_;        // where the next record goes
  uint64_t last_watermark_ = 0;  // of the last checkpoint written
  std::string buffer_;  // encoded records not yet written
};

}  // namespace warehouse::volume

#endif  // WAREHOUSE_VOLUME_INDEX_FILE_H_
