// One volume: a large append-only file of needles, its in-memory index and
// its index file. The storage engine of Haystack (OSDI 2010), section 3.4.
//
// Files in the volume's directory, for volume 7:
//   7.dat  super block and needles (docs/needle_format.md)
//   7.idx  the persisted index (docs/index_format.md)
//   7.cpd, 7.cpx, 7.cpm  only while or after a compaction (docs/compaction.md)
//
// Writers reserve a region at the end of the file and stream into it without
// holding the volume lock, so a slow upload never stalls the others; a
// needle becomes readable only once it is durable under the sync policy.
// Reads look up the index under a shared lock and then read without it: a
// small needle costs one pread.
//
// Thread-safe.
#ifndef WAREHOUSE_VOLUME_VOLUME_H_
#define WAREHOUSE_VOLUME_VOLUME_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/file.h"
#include "volume/index_file.h"
#include "volume/needle.h"
#include "volume/needle_index.h"

namespace warehouse::volume {

// When a write is acknowledged.
enum class SyncPolicy {
  kEveryWrite,   // each write calls fdatasync before it is acknowledged
  kGroupCommit,  // concurrent writers share one fdatasync (the default)
  kNone,         // acknowledged once written to the page cache
};

// Parses "fsync", "group" or "none". Errors: InvalidArgument.
absl::StatusOr<SyncPolicy> ParseSyncPolicy(absl::string_view name);
const char* SyncPolicyName(SyncPolicy policy);

struct VolumeOptions {
  // All file I/O goes through it. Must outlive the volume.
  FileSystem* fs = FileSystem::Default();
  SyncPolicy sync_policy = SyncPolicy::kGroupCommit;
  // Appends that would grow the file past this fail with ResourceExhausted.
  uint64_t max_size = uint64_t{30} << 30;
  // Group commit: how many fdatasyncs of the volume file may run at once.
  // A sync covers the writes finished before it started; with more than
  // one in flight, writes that finish while a sync runs start the next one
  // at once instead of waiting for it, so a device that serves flushes in
  // parallel is kept busy. 1 gives the classic one-leader group commit.
  int max_syncs_in_flight = 4;
  // Group commit: a further sync starts alongside running ones only once
  // the newest of them has run this long. A fast flush is cheaper to wait
  // for than to run again: on a disk that flushed in 0.15 ms, syncs started
  // as soon as writers came each covered one or two writes and cost more
  // CPU than they saved. A slow flush is worth overlapping.
  absl::Duration overlap_syncs_after = absl::Milliseconds(1);
  // Under kGroupCommit and kEveryWrite, the volume file is kept up to this
  // many bytes of zeros ahead of its last needle, written in steps of at
  // least half of it. An append that lands in zeros already written neither
  // grows the file nor allocates blocks, so the fdatasync acknowledging it
  // writes data and no inode. Costs as many bytes of zeros written as there
  // are bytes of small needles; needles above kMaxPreallocatedNeedle grow
  // the file themselves. 0 turns it off. Close() trims the zeros.
  uint64_t preallocate_bytes = uint64_t{4} << 20;
  // Index records are written to the index file once this many are buffered
  // (and by every Sync()).
  size_t index_flush_records = 4096;
  // Tests only: called with the needle id, the volume locked, whenever a
  // write or delete starts waiting for a compaction's switch-over to end.
  // Must not call the volume.
  std::function<void(uint64_t needle_id)> on_held_for_switch_for_testing;
};

struct VolumeUsage {
  uint32_t volume_id = 0;
  uint64_t file_size = 0;      // bytes of the volume file in use
  uint64_t max_size = 0;
  uint64_t live_bytes = 0;     // bytes of needles the index points at
  uint64_t garbage_bytes = 0;  // deleted, overwritten and abandoned bytes
  uint64_t in_flight_bytes = 0;  // reserved by writes still streaming in
  uint64_t needle_count = 0;   // live needles
  // The highest needle id in the index (0: none): the master hands out no
  // id at or below it, whatever its database says.
  uint64_t max_needle_id = 0;
  uint64_t deleted_count = 0;  // deletes since the last compaction
  uint64_t compaction_revision = 0;
  bool read_only = false;
  bool compacting = false;
  // While compacting: live bytes copied so far, of those there were when
  // it began (writes meanwhile are copied too: the first may pass the
  // second).
  uint64_t compaction_copied_bytes = 0;
  uint64_t compaction_total_bytes = 0;
};

// Appends of needles larger than this (header and footer included) grow
// the volume file themselves rather than into zeros written ahead.
inline constexpr uint64_t kMaxPreallocatedNeedle = 256 << 10;

// What the caller knows about a needle before its bytes arrive.
struct AppendRequest {
  uint64_t needle_id = 0;
  uint32_t cookie = 0;
  uint64_t size = 0;         // exact number of data bytes that will follow
  std::string content_type;  // at most kMaxContentTypeSize bytes
  uint64_t last_modified_ms = 0;  // 0: now
  // Refuse, rather than supersede, a needle id the volume already holds.
  // An upload writes its needle once: a second PUT of the same signed url
  // must neither replace the committed bytes nor, when the master refuses
  // it, take the committed needle away with it.
  bool only_if_new = false;
};

struct AppendResult {
  NeedleLocation location;
  uint32_t crc32c = 0;  // of the data
};

// What a reader learns from a needle's header.
struct NeedleInfo {
  uint64_t id = 0;
  uint32_t cookie = 0;
  uint64_t size = 0;
  std::string content_type;
  uint64_t last_modified_ms = 0;
  uint32_t crc32c = 0;  // of the data, from the footer
};

class Volume;

// One append in progress, from Volume::BeginAppend. Write() the declared
// number of bytes, then Commit(). Destroying a writer that was not
// committed abandons the write: nothing is indexed and the reserved region
// becomes garbage (or is given back when it is the file's tail). Export
// waits until every writer is destroyed, so a caller that keeps its writer
// while it settles the write's fate elsewhere (the data path, until the
// master has answered for an upload) has a refused write deleted before
// the volume is copied.
//
// Not thread-safe; used by one caller. The volume must outlive it.
class NeedleWriter {
 public:
  NeedleWriter(const NeedleWriter&) = delete;
  NeedleWriter& operator=(const NeedleWriter&) = delete;
  ~NeedleWriter();

  // Appends the next chunk of data. Errors: InvalidArgument (more than the
  // declared size), or the write error; after an error the writer only
  // abandons.
  absl::Status Write(absl::string_view chunk);

  // Finishes the needle, waits until it is durable under the sync policy and
  // makes it readable. Errors: InvalidArgument (fewer bytes than declared),
  // Unavailable or DataLoss (write or fsync failed: the volume turns
  // read-only), FailedPrecondition (the writer already failed or committed).
  absl::StatusOr<AppendResult> Commit();

  uint64_t remaining() const { return size_ - written_; }

 private:
  friend class Volume;
  NeedleWriter(Volume* volume, std::shared_ptr<File> file,
               NeedleHeader header, uint64_t offset);
  absl::Status FlushBuffer();

  Volume* const volume_;
  const std::shared_ptr<File> file_;
  const NeedleHeader header_;
  const uint64_t offset_;  // where the needle starts
  const uint64_t size_;    // declared data bytes
  uint64_t written_ = 0;   // data bytes received
  uint32_t crc_ = 0;
  std::string buffer_;        // bytes not yet written, starting at buffer_at_
  uint64_t buffer_at_;
  absl::Status status_;       // first failure
  bool finished_ = false;     // committed or abandoned
};

// A needle opened for reading, from Volume::OpenNeedle. Holds the volume
// file open, so it stays readable across a compaction. Not thread-safe.
class NeedleReader {
 public:
  const NeedleInfo& info() const { return info_; }

  // Passes data bytes [begin, begin + length) to `sink` in chunks of at most
  // kReadChunk bytes. When the range is the whole needle, checks the CRC-32C
  // as the bytes go by and returns DataLoss on a mismatch before passing on
  // the last chunk (the caller must then fail the transfer). Errors:
  // OutOfRange (range past the end), read errors, whatever `sink` returns.
  absl::Status Read(
      uint64_t begin, uint64_t length,
      const std::function<absl::Status(absl::string_view)>& sink) const;
  // The whole data, verified. For small needles and tests.
  absl::StatusOr<std::string> ReadAll() const;
  // Data bytes [begin, begin + length) when OpenNeedle read the whole
  // needle into memory, where its CRC-32C was checked; nullopt when they
  // are on disk, or the range is past the end. Valid while the reader is.
  std::optional<absl::string_view> InMemory(uint64_t begin,
                                            uint64_t length) const;

  static constexpr size_t kReadChunk = 256 << 10;

 private:
  friend class Volume;
  NeedleReader() = default;

  std::shared_ptr<File> file_;
  NeedleInfo info_;
  uint64_t data_offset_ = 0;  // in the file
  std::string whole_;         // the needle's bytes, when read in one go
  size_t whole_data_at_ = 0;  // where the data starts in whole_
};

struct CompactionOptions {
  // Copy at most this many bytes per second; 0 for no limit.
  uint64_t bytes_per_second = 0;
  // Called now and then with bytes copied so far and bytes to copy.
  std::function<void(uint64_t done, uint64_t total)> progress;
  // Tests only: return Aborted right after step N of the switch-over
  // (1 new files synced, 2 marker durable, 3 data renamed, 4 index renamed),
  // leaving the files as a crash there would.
  int stop_after_step_for_testing = 0;
};

struct CompactionResult {
  uint64_t old_size = 0;
  uint64_t new_size = 0;
  uint64_t bytes_reclaimed = 0;
  uint64_t needles_copied = 0;
};

struct VerifyOptions {
  // Read at most this many bytes per second; 0 for no limit.
  uint64_t bytes_per_second = 0;
  // Called now and then with bytes read so far and bytes to read.
  std::function<void(uint64_t done, uint64_t total)> progress;
  // Checked between needles: true stops the verification (Cancelled).
  std::function<bool()> cancelled;
  // Corrupt needles listed in the result; all are counted.
  size_t max_listed = 1000;
};

struct ExportOptions {
  // Read at most this many bytes per second; 0 for no limit.
  uint64_t bytes_per_second = 0;
  // Checked between chunks, and while writes in flight finish: true stops
  // the export (Cancelled).
  std::function<bool()> cancelled;
};

// The bytes of a volume's files an export sends, in this order.
struct ExportSizes {
  uint64_t data_bytes = 0;   // of the volume file
  uint64_t index_bytes = 0;  // of the index file
};

// A live needle whose bytes on disk fail a check.
struct CorruptNeedle {
  uint64_t id = 0;
  uint64_t offset = 0;  // in the volume file verified
  std::string error;    // what failed: "data crc mismatch ...", a read error
};

struct VerifyResult {
  uint64_t needles_checked = 0;
  uint64_t bytes_checked = 0;
  uint64_t corrupt_count = 0;
  // The first max_listed corrupt needles, in file order.
  std::vector<CorruptNeedle> corrupt;
};

class Volume {
 public:
  // Creates volume `id` in `dir`. Errors: AlreadyExists, I/O errors.
  static absl::StatusOr<std::unique_ptr<Volume>> Create(
      const std::string& dir, uint32_t id, const VolumeOptions& options);
  // Opens volume `id`, finishing or rolling back an interrupted compaction
  // and recovering the needles written after its index file's last
  // checkpoint. Errors: NotFound, DataLoss (unreadable super block),
  // FailedPrecondition (unknown format version), I/O errors.
  static absl::StatusOr<std::unique_ptr<Volume>> Open(
      const std::string& dir, uint32_t id, const VolumeOptions& options);

  Volume(const Volume&) = delete;
  Volume& operator=(const Volume&) = delete;
  // Closes the files without syncing anything, as a crash would: call
  // Close() first for a clean shutdown.
  ~Volume();

  // Clean shutdown: writes and syncs the index so the next Open scans
  // nothing. REQUIRES: no writer in flight.
  absl::Status Close() ABSL_LOCKS_EXCLUDED(mu_);

  // Reserves room for a needle. Errors: InvalidArgument (content type too
  // long), FailedPrecondition (read-only), ResourceExhausted (full), Aborted
  // (another write or delete of this needle id is in flight),
  // AlreadyExists (`only_if_new` and the volume holds the needle id).
  absl::StatusOr<std::unique_ptr<NeedleWriter>> BeginAppend(
      const AppendRequest& request) ABSL_LOCKS_EXCLUDED(mu_);
  // BeginAppend, Write(data), Commit().
  absl::StatusOr<AppendResult> Append(const AppendRequest& request,
                                      absl::string_view data)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Appends a tombstone for needle `id` once `cookie` matches; a full
  // volume still takes them, so it can be freed by compaction. Errors:
  // NotFound (missing or wrong cookie), otherwise as BeginAppend/Commit.
  absl::Status Delete(uint64_t id, uint32_t cookie) ABSL_LOCKS_EXCLUDED(mu_);

  // Errors: NotFound (missing, deleted or wrong cookie), DataLoss (the
  // needle on disk fails its checksums), read errors.
  absl::StatusOr<NeedleReader> OpenNeedle(uint64_t id, uint32_t cookie) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Up to `limit` live needles with ids above `after`, in increasing id
  // order, each as its header on disk describes it (crc32c is not read).
  // Takes the lock only to copy their locations. Errors: DataLoss (a
  // header disagrees with the index), read errors.
  absl::StatusOr<std::vector<NeedleInfo>> ListNeedles(uint64_t after,
                                                      size_t limit) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Writes buffered index records and a checkpoint, and syncs the index
  // file (and, under SyncPolicy::kNone, the volume file first). Errors: I/O
  // errors; under kNone, a failed sync of the volume file turns the volume
  // read-only, and every later Sync() and Close() returns that error and
  // writes no record.
  absl::Status Sync() ABSL_LOCKS_EXCLUDED(mu_);

  // Copies the live needles into a new file while reads and writes go on,
  // then switches to it (docs/compaction.md). Works on full and read-only
  // volumes. Errors: FailedPrecondition (already compacting), I/O errors
  // (the old volume stays in use, untouched).
  absl::StatusOr<CompactionResult> Compact(const CompactionOptions& options)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Reads every needle live when it begins, in file order, and checks it
  // as a GET would: its header against the index, the header's and the
  // data's CRC-32C. Reads and writes go on meanwhile; a needle deleted or
  // overwritten since is still checked where it was (the file stays open
  // across a compaction). A needle that fails is listed, not an error.
  // Errors: Cancelled (options.cancelled).
  absl::StatusOr<VerifyResult> Verify(const VerifyOptions& options) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Sends the volume's files as they are, to be copied to another server:
  // `begin` learns their sizes, `sink` receives their bytes in order (the
  // volume file, then the index file) in chunks; returns the CRC-32C of
  // every byte. Writes and deletes already begun finish first (writes once
  // their writers are destroyed), and the index file is synced, so the
  // copy opens without a tail to scan. While it runs the volume can
  // neither be made writable nor compacted, and once the copy's sizes are
  // fixed deletes fail with Unavailable: the bytes sent stay the volume's. Reads past
  // the page cache where the file system allows. Errors:
  // FailedPrecondition (writable, compacting, already exporting, or
  // read-only after an I/O error); Cancelled (options.cancelled); read
  // errors; whatever `begin` or `sink` return.
  absl::StatusOr<uint32_t> Export(
      const ExportOptions& options,
      const std::function<absl::Status(const ExportSizes&)>& begin,
      const std::function<absl::Status(absl::string_view)>& sink)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Refuses (or again accepts) appends; deletes go on. The choice is kept
  // across restarts: a read-only volume has a marker file beside it
  // (ReadOnlyMarkerPath), written and its directory synced before the
  // volume changes. A volume made read-only by an I/O error refuses deletes
  // too, and stays so until reopened. Errors: FailedPrecondition (writable
  // asked of a volume read-only after an I/O error); I/O errors writing or
  // removing the marker (the volume is left as it was).
  absl::Status SetReadOnly(bool read_only)
      ABSL_LOCKS_EXCLUDED(marker_mu_, mu_);

  VolumeUsage Usage() const ABSL_LOCKS_EXCLUDED(mu_);
  uint32_t id() const { return id_; }

  static std::string DataPath(const std::string& dir, uint32_t id);
  static std::string IndexPath(const std::string& dir, uint32_t id);
  // An empty file that exists while an operator wants the volume read-only.
  static std::string ReadOnlyMarkerPath(const std::string& dir, uint32_t id);

  // Sleeps until `bytes` done since `started` are no more than
  // `bytes_per_second` allow; returns at once when that is 0.
  static void PaceTo(absl::Time started, uint64_t bytes,
                     uint64_t bytes_per_second);

  // Index heap bytes, for benchmarks.
  size_t IndexMemoryBytesForTesting() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  friend class NeedleWriter;
  struct CompactionState;

  // `file` read past the page cache where the file system allows
  // (common/uncached_reader.h), else `file` itself, with a warning naming
  // what the caller is `doing`.
  std::shared_ptr<File> PastPageCache(std::shared_ptr<File> file,
                                      absl::string_view doing) const;
  // Opens needle `id` at `location` of `file`, checking the header, and
  // the whole needle when it is small; any cookie when `cookie` is
  // nullopt. Errors: as OpenNeedle.
  absl::StatusOr<NeedleReader> OpenNeedleAt(
      std::shared_ptr<File> file, uint64_t id, NeedleLocation location,
      std::optional<uint32_t> cookie) const;
  struct CompactionChange;

  Volume(std::string dir, uint32_t id, VolumeOptions options,
         uint32_t salt);

  // Opening: volume_loading.cc.
  absl::Status Load() ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status RecoverTail(uint64_t from, bool rebuild_index)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Writing: volume_write.cc.
  // Waits while a compaction switches files; `id` is the needle about to be
  // written.
  void AwaitSwitchLocked(uint64_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::unique_ptr<NeedleWriter>> Reserve(NeedleHeader header,
                                                        bool id_claimed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes zeros ahead of end_ when fewer than half of
  // options_.preallocate_bytes remain; a failure only logs.
  void PreallocateLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<AppendResult> FinishWrite(NeedleWriter* writer)
      ABSL_LOCKS_EXCLUDED(mu_);
  void AbandonWrite(NeedleWriter* writer) ABSL_LOCKS_EXCLUDED(mu_);
  void WriterDestroyed() ABSL_LOCKS_EXCLUDED(mu_);
  // No writer is left and no write or delete holds a needle id.
  bool NoWritesUnderWayLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return live_writers_ == 0 && inflight_ids_.empty();
  }
  // Waits until everything written so far is durable under the policy.
  absl::Status WaitDurable(File* file) ABSL_LOCKS_EXCLUDED(mu_);
  // Records a completed put or delete in the index and the index file.
  void ApplyLocked(const NeedleHeader& header, NeedleLocation location)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes the buffered records and a checkpoint (not synced), logging a
  // failure. After a failed sync of the volume file (failure_) it writes
  // nothing and returns that failure.
  absl::Status FlushIndexLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // While a compaction runs, remembers a completed put or delete for it.
  void RecordForCompactionLocked(const NeedleHeader& header,
                                 NeedleLocation location)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // While a compaction runs, sets how far its copy has come in `usage`.
  void AddCompactionProgressLocked(VolumeUsage& usage) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void TurnReadOnlyLocked(const absl::Status& cause)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t WatermarkLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Compaction: volume_compact.cc.
  // Removes the marker, then the new files, of an unfinished compaction,
  // syncing the directory after each step.
  absl::Status RemoveCompactionFiles() ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status CopyForCompaction(CompactionState& state)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status SwitchToCompacted(CompactionState& state, int stop_after)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status CopyNeedles(
      CompactionState& state,
      absl::Span<const std::pair<uint64_t, NeedleLocation>> run)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status ApplyChanges(CompactionState& state,
                            const std::vector<CompactionChange>& changes)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Immutable after Open().
  const std::string dir_;
  const uint32_t id_;
  const VolumeOptions options_;
  const uint32_t salt_;
  FileSystem* const fs_;

  // Serializes SetReadOnly, so that the marker file and read_only_ agree
  // once it returns; held across its file system calls, which mu_ is not.
  absl::Mutex marker_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  // Signalled when in-flight work finishes or a switch-over ends.
  absl::CondVar cv_;
  // Signalled when a group-commit sync finishes: only writers waiting to be
  // durable wait on it, so a commit or an abandoned write wakes none of them.
  absl::CondVar synced_cv_;
  std::shared_ptr<File> data_ ABSL_GUARDED_BY(mu_);
  // shared so Sync() can fsync it outside mu_ while a compaction swaps it.
  std::shared_ptr<IndexFile> index_file_ ABSL_GUARDED_BY(mu_);
  NeedleIndex index_ ABSL_GUARDED_BY(mu_);
  uint64_t created_ms_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t revision_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t end_ ABSL_GUARDED_BY(mu_) = 0;  // next reservation
  // Bytes of the volume file known to exist: needles up to end_, then
  // zeros written ahead (VolumeOptions::preallocate_bytes).
  uint64_t allocated_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t deleted_count_ ABSL_GUARDED_BY(mu_) = 0;
  // Reserved regions not yet committed or abandoned, by offset, and the
  // needle ids they write: one write per id at a time keeps the order of
  // writes to an id the order of their offsets, which recovery relies on.
  std::set<uint64_t> inflight_offsets_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<uint64_t> inflight_ids_ ABSL_GUARDED_BY(mu_);
  // Bytes those regions reserve: neither live nor garbage yet.
  uint64_t inflight_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // NeedleWriters not yet destroyed, committed or not.
  int live_writers_ ABSL_GUARDED_BY(mu_) = 0;
  bool read_only_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);  // why an I/O error stopped writes
  // Group commit: writes are numbered; a sync covers every number issued
  // before it started. Up to options_.max_syncs_in_flight run at once;
  // `sync_target_` is the highest number one of them (running or done)
  // covers.
  uint64_t write_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t synced_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t sync_target_ ABSL_GUARDED_BY(mu_) = 0;
  int syncs_running_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_sync_started_ ABSL_GUARDED_BY(mu_);
  // Set while a compaction runs; collects the writes it must carry over.
  CompactionState* compaction_ ABSL_GUARDED_BY(mu_) = nullptr;
  // Set during the switch-over: new reservations wait.
  bool switching_ ABSL_GUARDED_BY(mu_) = false;
  // Where Export is: kWaiting while writes and deletes already begun
  // finish, kCopying once the copy's sizes are fixed. Either refuses
  // compactions and making the volume writable; kCopying refuses deletes.
  enum class ExportState { kNone, kWaiting, kCopying };
  ExportState export_state_ ABSL_GUARDED_BY(mu_) = ExportState::kNone;
  // Drops this volume's last reference to the file a compaction replaced.
  // Its final close makes the kernel free the file's cached pages and
  // blocks, about 0.3 ms per MiB; Compact returns without waiting for it.
  // Joined by the next compaction and by the destructor.
  std::thread old_file_release_ ABSL_GUARDED_BY(mu_);
  void JoinOldFileRelease() ABSL_LOCKS_EXCLUDED(mu_);
};

}  // namespace warehouse::volume

#endif  // WAREHOUSE_VOLUME_VOLUME_H_
