// MetadataStore: opening, shared helpers and buckets. Uploads, objects,
// the cluster tables and access keys live in metadata_store_*.cc.
#include "master/metadata_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/file.h"
#include "common/status_macros.h"
#include "master/migrations.h"
#include "master/names.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {

absl::StatusOr<std::unique_ptr<MetadataStore>> MetadataStore::Open(
    const std::string& path, Options options) {
  FileSystem* fs = FileSystem::Default();
  ASSIGN_OR_RETURN(const bool existed, fs->Exists(path));
  if (!existed && !options.apply_migrations) {
    return absl::FailedPreconditionError(
        absl::StrCat("database ", path, " does not exist: start the master ",
                     "once with --schema to create it"));
  }
  if (!existed) RETURN_IF_ERROR(fs->CreateDirs(DirName(path)));
  Database::Options db_options;
  db_options.create_if_missing = options.apply_migrations;
  ASSIGN_OR_RETURN(std::unique_ptr<Database> db,
                   Database::Open(path, db_options));
  if (options.apply_migrations) {
    RETURN_IF_ERROR(ApplyPendingMigrations(*db));
    // The migrations' commits synced the file; a new file's directory entry
    // needs its own sync to survive power loss.
    if (!existed) RETURN_IF_ERROR(fs->SyncDir(DirName(path)));
  }
  RETURN_IF_ERROR(CheckSchemaCurrent(*db));
  ASSIGN_OR_RETURN(std::unique_ptr<ReadPool> readers,
                   ReadPool::Open(path, options.read_connections));
  auto writer =
      std::make_unique<WriteBatcher>(std::move(db), options.max_batch);
  return std::unique_ptr<MetadataStore>(new MetadataStore(
      std::move(options), std::move(writer), std::move(readers)));
}

MetadataStore::MetadataStore(Options options,
                             std::unique_ptr<WriteBatcher> writer,
                             std::unique_ptr<ReadPool> readers)
    : options_(std::move(options)),
      writer_(std::move(writer)),
      readers_(std::move(readers)),
      unwritten_(options_.pending_row_delay) {
  row_writer_ = std::thread([this] { WriteDueRows(); });
}

MetadataStore::~MetadataStore() {
  unwritten_.Wake();
  row_writer_.join();
  // Whatever is left would be forgotten: write it, synced, so that a clean
  // stop loses no upload in flight.
  absl::Status written = WriteRows(
      unwritten_.ClaimIf([](const UnwrittenUploads::Row&) { return true; }),
      WriteBatcher::Sync::kNow);
  if (!written.ok()) {
    spdlog::error(
        "database: the rows of {} pending uploads were not written "
        "at close, so those uploads will fail to commit: {}",
        unwritten_.size(), written.ToString());
  }
}

absl::Time MetadataStore::Now() const {
  return options_.clock ? options_.clock() : absl::Now();
}

absl::StatusOr<int64_t> MetadataStore::FindBucketId(Database& db,
                                                    absl::string_view name) {
  ASSIGN_OR_RETURN(Statement find,
                   db.Prepare("SELECT bucket_id FROM buckets WHERE name = ?"));
  RETURN_IF_ERROR(find.BindAll(name));
  ASSIGN_OR_RETURN(bool found, find.Step());
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("bucket ", name, " does not exist"));
  }
  return find.ColumnInt64(0);
}

absl::Status MetadataStore::EnqueueDelete(Database& db, const NeedleRef& needle,
                                          absl::string_view reason,
                                          absl::Time now) {
  ASSIGN_OR_RETURN(
      Statement insert,
      db.Prepare("INSERT INTO needle_deletes (volume_id, needle_id, cookie, "
                 "reason, next_attempt_us, enqueued_at_us) "
                 "VALUES (?, ?, ?, ?, ?, ?)"));
  const int64_t now_us = absl::ToUnixMicros(now);
  RETURN_IF_ERROR(insert.BindAll(needle.volume_id, needle.needle_id,
                                 needle.cookie, reason, now_us, now_us));
  return insert.Run();
}

absl::StatusOr<ObjectRecord> MetadataStore::ReadObject(const Database& db,
                                                       const Statement& row,
                                                       std::string bucket) {
  ObjectRecord object;
  object.bucket = std::move(bucket);
  object.key = row.ColumnText(0);
  object.size = row.ColumnInt64(1);
  object.etag = row.ColumnText(2);
  object.content_type = row.ColumnText(3);
  object.needle.volume_id = static_cast<uint32_t>(row.ColumnInt64(4));
  object.needle.needle_id = static_cast<uint64_t>(row.ColumnInt64(5));
  object.needle.cookie = static_cast<uint32_t>(row.ColumnInt64(6));
  object.created = absl::FromUnixMicros(row.ColumnInt64(7));
  object.updated = absl::FromUnixMicros(row.ColumnInt64(8));
  const std::string state = row.ColumnText(9);
  auto parsed = ParseObjectState(state);
  if (!parsed.ok()) {
    return absl::DataLossError(absl::StrCat("database ", db.path(), ": object ",
                                            object.bucket, "/", object.key,
                                            ": ", parsed.status().message()));
  }
  object.state = *parsed;
  return object;
}

absl::Status MetadataStore::CreateBucket(absl::string_view name) {
  RETURN_IF_ERROR(ValidateBucketName(name));
  const int64_t now_us = absl::ToUnixMicros(Now());
  return Write([&](Database& db) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement insert,
        db.Prepare("INSERT INTO buckets (name, created_at_us) VALUES (?, ?)"));
    RETURN_IF_ERROR(insert.BindAll(name, now_us));
    absl::Status inserted = insert.Run();
    if (absl::IsAlreadyExists(inserted)) {
      return absl::AlreadyExistsError(
          absl::StrCat("bucket ", name, " already exists"));
    }
    return inserted;
  });
}

absl::StatusOr<std::vector<BucketInfo>> MetadataStore::ListBuckets() {
  ReadPool::Lease lease = readers_->Acquire();
  ASSIGN_OR_RETURN(Statement select,
                   lease.db().Prepare(
                       "SELECT name, created_at_us, object_count, total_bytes "
                       "FROM buckets ORDER BY name"));
  std::vector<BucketInfo> buckets;
  for (;;) {
    ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) break;
    BucketInfo& bucket = buckets.emplace_back();
    bucket.name = select.ColumnText(0);
    bucket.created = absl::FromUnixMicros(select.ColumnInt64(1));
    bucket.object_count = select.ColumnInt64(2);
    bucket.total_bytes = select.ColumnInt64(3);
  }
  return buckets;
}

absl::StatusOr<BucketInfo> MetadataStore::GetBucket(absl::string_view name) {
  ReadPool::Lease lease = readers_->Acquire();
  ASSIGN_OR_RETURN(
      Statement select,
      lease.db().Prepare("SELECT created_at_us, object_count, total_bytes "
                         "FROM buckets WHERE name = ?"));
  RETURN_IF_ERROR(select.BindAll(name));
  ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("bucket ", name, " does not exist"));
  }
  BucketInfo bucket;
  bucket.name = std::string(name);
  bucket.created = absl::FromUnixMicros(select.ColumnInt64(0));
  bucket.object_count = select.ColumnInt64(1);
  bucket.total_bytes = select.ColumnInt64(2);
  return bucket;
}

absl::Status MetadataStore::DeleteBucket(absl::string_view name) {
  const absl::Time now = Now();
  std::vector<UnwrittenUploads::Row> claimed;
  absl::Status deleted = Write([&](Database& db) -> absl::Status {
    ASSIGN_OR_RETURN(const int64_t bucket_id, FindBucketId(db, name));
    {
      // The objects table, not the counter, decides: the counter only
      // words the message.
      ASSIGN_OR_RETURN(Statement any,
                       db.Prepare("SELECT (SELECT object_count FROM buckets "
                                  "WHERE bucket_id = ?1) FROM objects "
                                  "WHERE bucket_id = ?1 LIMIT 1"));
      RETURN_IF_ERROR(any.BindAll(bucket_id));
      ASSIGN_OR_RETURN(bool not_empty, any.Step());
      if (not_empty) {
        return absl::FailedPreconditionError(
            absl::StrCat("bucket ", name, " is not empty (", any.ColumnInt64(0),
                         " objects)"));
      }
    }
    // Claimed inside this transaction, settled after it (UnwrittenUploads).
    claimed = unwritten_.ClaimIf([bucket_id](const UnwrittenUploads::Row& row) {
      return row.bucket_id == bucket_id;
    });
    for (const UnwrittenUploads::Row& row : claimed) {
      RETURN_IF_ERROR(
          EnqueueDelete(db, row.upload.needle, "bucket deleted", now));
    }
    {
      ASSIGN_OR_RETURN(Statement pending,
                       db.Prepare("SELECT volume_id, needle_id, cookie "
                                  "FROM pending_uploads WHERE bucket_id = ?"));
      RETURN_IF_ERROR(pending.BindAll(bucket_id));
      for (;;) {
        ASSIGN_OR_RETURN(bool has_row, pending.Step());
        if (!has_row) break;
        const NeedleRef needle{static_cast<uint32_t>(pending.ColumnInt64(0)),
                               static_cast<uint64_t>(pending.ColumnInt64(1)),
                               static_cast<uint32_t>(pending.ColumnInt64(2))};
        RETURN_IF_ERROR(EnqueueDelete(db, needle, "bucket deleted", now));
      }
    }
    ASSIGN_OR_RETURN(
        Statement cancel,
        db.Prepare("DELETE FROM pending_uploads WHERE bucket_id = ?"));
    RETURN_IF_ERROR(cancel.BindAll(bucket_id));
    RETURN_IF_ERROR(cancel.Run());
    ASSIGN_OR_RETURN(Statement remove,
                     db.Prepare("DELETE FROM buckets WHERE bucket_id = ?"));
    RETURN_IF_ERROR(remove.BindAll(bucket_id));
    return remove.Run();
  });
  unwritten_.Settle(claimed, deleted.ok());
  return deleted;
}

absl::Status MetadataStore::CopyTo(const std::string& path) {
  ReadPool::Lease lease = readers_->Acquire();
  return lease.db().CopyTo(path);
}

}  // namespace warehouse::master
