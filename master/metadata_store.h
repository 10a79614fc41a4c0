// The master's metadata: buckets, objects, uploads in flight, volume
// servers and volumes, the queue of needles to delete, and access keys, in
// one SQLite database (docs/metadata_schema.md).
#ifndef WAREHOUSE_MASTER_METADATA_STORE_H_
#define WAREHOUSE_MASTER_METADATA_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "master/metadata_records.h"
#include "master/needle_id_ranges.h"
#include "master/read_pool.h"
#include "master/sqlite.h"
#include "master/unwritten_uploads.h"
#include "master/write_batcher.h"

namespace warehouse::master {

// Owns the database connections: one write connection behind a
// WriteBatcher (concurrent writes share transactions and fsyncs) and a pool
// of read connections. Every method is one transaction: a write that
// returns OK is durable (BeginUpload's with the next synced write; see
// there), and a read sees every write acknowledged before it
// began. Besides the codes listed per method, any method may return what
// the database returns: Unavailable (I/O error, lock timeout),
// ResourceExhausted (disk full), DataLoss (a damaged file). Thread-safe;
// must not be destroyed while a call is in progress.
class MetadataStore {
 public:
  struct Options {
    // Create the database (and its directory) if missing and apply pending
    // migrations (the master's --schema flag). Without it, Open refuses a
    // database that is missing or not at the current schema version.
    bool apply_migrations = false;
    int read_connections = 4;
    // How many writes may share one transaction.
    size_t max_batch = 512;
    // How long TakeDueDeletes hides the deletes it hands out before handing
    // them out again when neither MarkDeleted nor RetryLater arrives.
    absl::Duration delete_lease = absl::Minutes(1);
    // How long a begun upload's pending row waits in memory for the
    // upload's commit before it is written (UnwrittenUploads). A master
    // process killed forgets the uploads begun this long before, no more.
    // Zero: BeginUpload writes the row (unsynced) before it returns, so a
    // killed process forgets none.
    absl::Duration pending_row_delay = absl::Milliseconds(100);
    // The most uploads whose rows may wait in memory at once: past it
    // BeginUpload refuses, so that a database that cannot write them (a
    // full disk) does not let them grow without bound. About 200 bytes and
    // the key each.
    size_t max_unwritten_uploads = 100000;
    // The time source for creation and update stamps; absl::Now when empty.
    std::function<absl::Time()> clock;
    // Tests only: runs in every BeginUpload after it took its needle id and
    // before the upload is pending, so that a test can look in between.
    std::function<void()> after_needle_id_taken_for_testing;
  };

  // Opens the database at `path`. Errors: FailedPrecondition when the file
  // is missing, new, behind or ahead of this binary's schema (the message
  // says what to do, naming --schema); DataLoss when it fails quick_check;
  // the errors of Database::Open.
  static absl::StatusOr<std::unique_ptr<MetadataStore>> Open(
      const std::string& path, Options options);

  // Writes the pending rows still in memory, synced.
  ~MetadataStore();
  MetadataStore(const MetadataStore&) = delete;
  MetadataStore& operator=(const MetadataStore&) = delete;

  // ---- Buckets ----

  // Errors: InvalidArgument (a name that breaks the S3 rules, saying which),
  // AlreadyExists.
  absl::Status CreateBucket(absl::string_view name);
  // Every bucket by name, with its object count and bytes; reads one row
  // per bucket.
  absl::StatusOr<std::vector<BucketInfo>> ListBuckets();
  // Errors: NotFound.
  absl::StatusOr<BucketInfo> GetBucket(absl::string_view name);
  // Deletes an empty bucket; its unfinished uploads are cancelled and their
  // needles queued for deletion. Errors: NotFound; FailedPrecondition while
  // the bucket holds objects.
  absl::Status DeleteBucket(absl::string_view name);

  // ---- Uploads ----

  // Hands out the next needle id of the request's volume (the upload's
  // number too) and records the upload as pending until `expires`, without
  // waiting for a write: the record stays in memory for
  // Options::pending_row_delay, and is written then (unsynced, flushed with
  // the next synced write) unless the upload committed first
  // (UnwrittenUploads); with a zero delay it writes the row before it
  // returns. A killed process (not with a zero delay) or power loss may
  // forget it (its upload then fails to commit with NotFound), never a
  // committed object,
  // and never lets the needle id be handed out again: ids come from ranges
  // reserved durably beforehand (NeedleIdRanges). Errors: InvalidArgument
  // (key, content type, negative size, expiry not in the future); NotFound
  // (no such bucket or volume); FailedPrecondition (the volume is
  // read-only); Unavailable (Options::max_unwritten_uploads rows wait to be
  // written: the database is not keeping up).
  absl::StatusOr<Upload> BeginUpload(const BeginUploadRequest& request);

  // Makes a pending upload the object at its key, replacing any previous
  // object, whose needle is queued for deletion in the same transaction;
  // removes the pending upload. Reporting an upload that already committed
  // and is still the key's object returns that object again. Errors:
  // InvalidArgument (the reported needle, size or content type differs
  // from the upload's, or the ETag is malformed); NotFound (no such pending
  // upload: never begun, expired, cancelled, or committed and since replaced or
  // deleted).
  absl::StatusOr<ObjectRecord> CommitUpload(const CommitUploadRequest& report);

  // Commits every report as CommitUpload would, all in one transaction
  // (with any concurrent writes), and returns one result per report, in
  // order; a report that fails is rolled back alone.
  std::vector<absl::StatusOr<ObjectRecord>> CommitUploads(
      absl::Span<const CommitUploadRequest> reports);

  // Removes every pending upload that expired at or before `now` and queues
  // its needle for deletion (the client may or may not have written it).
  // Returns how many were removed.
  absl::StatusOr<int64_t> ExpireUploads(absl::Time now);

  // ---- Objects ----

  // Errors: NotFound (no such bucket, or no object at the key).
  absl::StatusOr<ObjectRecord> GetObject(absl::string_view bucket,
                                         absl::string_view key);
  // Removes the object and queues its needle for deletion. Errors:
  // NotFound.
  absl::Status DeleteObject(absl::string_view bucket, absl::string_view key);
  // One page of the objects whose keys start with `prefix`, in byte order,
  // with S3 semantics: with a delimiter, keys that contain it after the
  // prefix are rolled up into one common prefix each (counted once against
  // max_keys). Errors: InvalidArgument (max_keys < 1, malformed prefix or
  // delimiter, a continuation token this listing did not produce);
  // NotFound (no such bucket).
  absl::StatusOr<ListObjectsResult> ListObjects(
      const ListObjectsRequest& request);
  // Marks every object on `volume_id` as lost (its bytes are gone). Returns
  // how many objects changed.
  absl::StatusOr<int64_t> MarkVolumeLost(uint32_t volume_id);

  // ---- Volume servers and volumes ----

  // Records a heartbeat: creates the server (alive) or updates its address
  // and last heartbeat; a server marked down becomes alive again, a
  // draining one stays draining. Errors: InvalidArgument.
  absl::Status UpsertServer(absl::string_view server_id,
                            absl::string_view address, absl::Time heartbeat);
  // Errors: NotFound.
  absl::Status MarkServerStatus(absl::string_view server_id,
                                ServerStatus status);
  absl::StatusOr<std::vector<ServerRecord>> ListServers();

  // Allocates a new volume id (never reused) on `server_id`. Errors:
  // NotFound (no such server); ResourceExhausted (volume ids run out).
  absl::StatusOr<VolumeRecord> CreateVolumeRecord(absl::string_view server_id);
  // Records the usage a heartbeat reports, creating volumes the master does
  // not know yet; a volume reported by another server has moved there. The
  // needle counter is raised past `max_needle_id` when behind. Errors:
  // InvalidArgument (volume id 0, negative figures); NotFound (no such
  // server).
  absl::Status UpsertVolumes(absl::Span<const VolumeUsage> usages);
  absl::StatusOr<std::vector<VolumeRecord>> ListVolumes();
  // Errors: NotFound.
  absl::StatusOr<VolumeRecord> GetVolume(uint32_t volume_id);

  // Writes a consistent copy of the database to a new file at `path`
  // (Database::CopyTo), while writes go on. Errors: as Database::CopyTo.
  absl::Status CopyTo(const std::string& path);

  // Replaces the record of the latest compaction of `volume_id`.
  absl::Status PutCompaction(uint32_t volume_id,
                             const CompactionRecord& compaction);
  // The latest compaction of every volume that has one, by volume id.
  // Errors: DataLoss (a row this master cannot read).
  absl::StatusOr<std::map<uint32_t, CompactionRecord>> ListCompactions();
  // Replaces the record of the latest verification of `volume_id`.
  absl::Status PutVerification(uint32_t volume_id,
                               const VerificationRecord& verification);
  // The latest verification of every volume that has one, by volume id.
  absl::StatusOr<std::map<uint32_t, VerificationRecord>> ListVerifications();

  // Moving a volume (docs/master.md, "Moving a volume"). In one
  // transaction: `to_server` now owns `volume_id`, and the copy left on
  // `from_server` is stale (any such record of `to_server` goes). Errors:
  // NotFound (volume or server id).
  absl::Status MoveVolume(uint32_t volume_id, absl::string_view from_server,
                          absl::string_view to_server);
  // Records that the copy of `volume_id` on `server_id` is not the
  // volume's (a move that failed after the copy was served there).
  absl::Status AddStaleCopy(uint32_t volume_id, absl::string_view server_id);
  // The stale copy is gone from its server. Absent records are ignored.
  absl::Status RemoveStaleCopy(uint32_t volume_id,
                               absl::string_view server_id);
  // A move under way (VolumeMover), kept so that a master that stops
  // during one can make the volume writable again if it was.
  absl::Status PutVolumeMove(const VolumeMoveRecord& move);
  // Absent records are ignored.
  absl::Status RemoveVolumeMove(uint32_t volume_id);
  absl::StatusOr<std::vector<VolumeMoveRecord>> ListVolumeMoves();
  // Every stale copy, as (volume id, server id).
  absl::StatusOr<std::set<std::pair<uint32_t, std::string>>>
  ListStaleCopies();

  // ---- Needle delete queue ----

  // Hands out up to `limit` deletes due at `now` for volumes held by
  // `server_id`, oldest due first, and hides them for the delete lease.
  // Errors: InvalidArgument (limit < 1).
  absl::StatusOr<std::vector<NeedleDelete>> TakeDueDeletes(
      absl::string_view server_id, absl::Time now, int limit);
  // Removes deletes the volume server has carried out (or found already
  // gone). Unknown ids are ignored, so a repeated report is harmless.
  absl::Status MarkDeleted(absl::Span<const int64_t> delete_ids);
  // Counts a failed attempt for each delete and schedules the next one at
  // `now + DeleteRetryDelay(attempts)`. Unknown ids are ignored.
  absl::Status RetryLater(absl::Span<const int64_t> delete_ids, absl::Time now);
  // Makes every queued delete of `volume_id` due at `now`, also those
  // handed out or waiting out a backoff: after a move, when they may go to
  // the volume's server at once.
  absl::Status DeletesDueNow(uint32_t volume_id, absl::Time now);
  // The backoff after `attempts` failed attempts: 1 s, 2 s, 4 s, ...
  // capped at one hour.
  static absl::Duration DeleteRetryDelay(int attempts);

  // ---- Consistency check (metadata_store_check.cc) ----

  // The volume's objects (live or lost), pending uploads and queued
  // deletes, all from one read transaction (pending uploads whose rows are
  // not written yet too), and the first needle id handed out after the
  // call began. Errors: NotFound (no such volume).
  absl::StatusOr<VolumeSnapshot> SnapshotVolume(uint32_t volume_id);
  // Whether a live object still points at exactly `needle` (volume,
  // needle id and cookie).
  absl::StatusOr<bool> ObjectHasNeedle(const NeedleRef& needle);
  // Whether an object (live or lost), a pending upload or a queued delete
  // names the needle's volume and needle id now: a second look at a needle
  // that a snapshot left unnamed.
  absl::StatusOr<bool> NeedleNamed(const NeedleRef& needle);
  // The bucket and key of the live object whose data is needle
  // `needle_id` of `volume_id`; nullopt when none is.
  absl::StatusOr<std::optional<std::pair<std::string, std::string>>>
  ObjectOfNeedle(uint32_t volume_id, uint64_t needle_id);
  // Queues each needle for deletion (reason "orphan") unless, at the time
  // of this transaction, an object, a pending upload or a queued delete
  // names its volume and needle id. Returns how many were queued.
  absl::StatusOr<int64_t> QueueOrphans(absl::Span<const NeedleRef> needles);

  // ---- Access keys ----

  // Stores a new key, stamping its creation time (`key.created` is
  // ignored). Errors: InvalidArgument (malformed id, empty secret, a bad
  // bucket name in the allowed list, a description too long or not UTF-8,
  // `revoked` set); AlreadyExists.
  absl::Status InsertAccessKey(const AccessKey& key);
  // Errors: NotFound.
  absl::StatusOr<AccessKey> GetAccessKey(absl::string_view access_key_id);
  absl::StatusOr<std::vector<AccessKey>> ListAccessKeys();
  // Marks the key revoked now; revoking a revoked key keeps its first
  // revocation time. Errors: NotFound; FailedPrecondition when it is the
  // last admin key not revoked (nobody could administer the cluster).
  absl::Status RevokeAccessKey(absl::string_view access_key_id);

  // Counters of the write path (transactions vs writes committed).
  WriteBatcher::Stats write_stats() const { return writer_->stats(); }
  // Uploads begun whose pending rows are not written yet.
  size_t unwritten_uploads() const { return unwritten_.size(); }

 private:
  // Starts the row writer.
  MetadataStore(Options options, std::unique_ptr<WriteBatcher> writer,
                std::unique_ptr<ReadPool> readers);

  absl::Time Now() const;

  // Runs `work` in a write transaction shared with concurrent writers,
  // flushed to disk before this returns unless `sync` says otherwise.
  absl::Status Write(absl::FunctionRef<absl::Status(Database&)> work,
                     WriteBatcher::Sync sync = WriteBatcher::Sync::kNow) {
    return writer_->Run(work, sync);
  }

  // CommitUpload's writes for one report, inside the batch transaction;
  // sets `*object` on success. When the pending upload is still in memory,
  // claims its row into `*claimed` for the caller to settle (a row whose
  // bucket is gone is settled here, dropped).
  absl::Status CommitUploadIn(Database& db, const CommitUploadRequest& report,
                              absl::Time now, ObjectRecord* object,
                              std::optional<UnwrittenUploads::Row>* claimed);

  // The row writer's loop: writes the pending rows that fell due, until
  // the store closes.
  void WriteDueRows();
  // Inserts `rows` (claimed already) and the rows due now into
  // pending_uploads in one transaction, and settles their claims; a row
  // whose bucket was deleted meanwhile is not inserted, its needle is
  // queued for deletion.
  absl::Status WriteRows(std::vector<UnwrittenUploads::Row> rows,
                         WriteBatcher::Sync sync);

  // The next needle id of the volume's reserved range, reserving a range
  // (one synced write) when it is used up. Errors: NotFound (no such
  // volume).
  absl::StatusOr<uint64_t> TakeNeedleId(uint32_t volume_id)
      ABSL_LOCKS_EXCLUDED(reserve_mu_);

  // The id of bucket `name`. Errors: NotFound.
  static absl::StatusOr<int64_t> FindBucketId(Database& db,
                                              absl::string_view name);
  // Queues `needle` for deletion, due at once.
  static absl::Status EnqueueDelete(Database& db, const NeedleRef& needle,
                                    absl::string_view reason, absl::Time now);
  // The object in the current row of `row`, whose first columns are, in
  // order: key, size, etag, content_type, volume_id, needle_id, cookie,
  // created_at_us, updated_at_us, state. Errors: DataLoss (unknown state).
  static absl::StatusOr<ObjectRecord> ReadObject(const Database& db,
                                                 const Statement& row,
                                                 std::string bucket);

  // Immutable after Open().
  const Options options_;
  const std::unique_ptr<WriteBatcher> writer_;
  const std::unique_ptr<ReadPool> readers_;
  // Thread-safe themselves.
  NeedleIdRanges needle_ids_;
  UnwrittenUploads unwritten_;
  // Writes pending rows that fell due (WriteDueRows); joined on destruction.
  std::thread row_writer_;
  // Held by TakeNeedleId while it reserves a range of needle ids.
  absl::Mutex reserve_mu_;
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_METADATA_STORE_H_
