#include "master/migrations.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/crc32c.h"
#include "common/status_macros.h"

namespace warehouse::master {
namespace {

// Append only. Every statement is part of the database format: a shipped
// migration is never edited, reordered or removed (its checksum is recorded
// in each database it ran on); change the schema by adding a migration.
// docs/metadata_schema.md describes every table and column.
constexpr Migration kMigrations[] = {
    {1, "buckets and objects", R"sql(
CREATE TABLE buckets (
  bucket_id     INTEGER PRIMARY KEY AUTOINCREMENT,
  name          TEXT    NOT NULL UNIQUE,
  created_at_us INTEGER NOT NULL,
  object_count  INTEGER NOT NULL DEFAULT 0,
  total_bytes   INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE objects (
  bucket_id     INTEGER NOT NULL REFERENCES buckets (bucket_id),
  key           TEXT    NOT NULL COLLATE BINARY,
  size          INTEGER NOT NULL,
  etag          TEXT    NOT NULL,
  content_type  TEXT    NOT NULL,
  volume_id     INTEGER NOT NULL,
  needle_id     INTEGER NOT NULL,
  cookie        INTEGER NOT NULL,
  created_at_us INTEGER NOT NULL,
  updated_at_us INTEGER NOT NULL,
  state         TEXT    NOT NULL,
  PRIMARY KEY (bucket_id, key)
) STRICT, WITHOUT ROWID;

CREATE INDEX objects_by_needle ON objects (volume_id, needle_id);
)sql"},
    {2, "volume servers and volumes", R"sql(
CREATE TABLE volume_servers (
  server_id         TEXT    PRIMARY KEY,
  address           TEXT    NOT NULL,
  last_heartbeat_us INTEGER NOT NULL,
  status            TEXT    NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE volumes (
  volume_id      INTEGER PRIMARY KEY AUTOINCREMENT,
  server_id      TEXT    NOT NULL REFERENCES volume_servers (server_id),
  size_bytes     INTEGER NOT NULL DEFAULT 0,
  live_bytes     INTEGER NOT NULL DEFAULT 0,
  garbage_bytes  INTEGER NOT NULL DEFAULT 0,
  needle_count   INTEGER NOT NULL DEFAULT 0,
  read_only      INTEGER NOT NULL DEFAULT 0,
  next_needle_id INTEGER NOT NULL DEFAULT 1,
  created_at_us  INTEGER NOT NULL,
  updated_at_us  INTEGER NOT NULL
) STRICT;

CREATE INDEX volumes_by_server ON volumes (server_id);
)sql"},
    {3, "pending uploads and the needle delete queue", R"sql(
CREATE TABLE pending_uploads (
  upload_id       INTEGER PRIMARY KEY AUTOINCREMENT,
  bucket_id       INTEGER NOT NULL REFERENCES buckets (bucket_id),
  key             TEXT    NOT NULL,
  size            INTEGER NOT NULL,
  content_type    TEXT    NOT NULL,
  volume_id       INTEGER NOT NULL,
  needle_id       INTEGER NOT NULL,
  cookie          INTEGER NOT NULL,
  created_at_us   INTEGER NOT NULL,
  expires_at_us   INTEGER NOT NULL
) STRICT;

CREATE INDEX pending_uploads_by_expiry ON pending_uploads (expires_at_us);
CREATE INDEX pending_uploads_by_bucket ON pending_uploads (bucket_id);

CREATE TABLE needle_deletes (
  delete_id       INTEGER PRIMARY KEY AUTOINCREMENT,
  volume_id       INTEGER NOT NULL,
  needle_id       INTEGER NOT NULL,
  cookie          INTEGER NOT NULL,
  reason          TEXT    NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_us INTEGER NOT NULL,
  enqueued_at_us  INTEGER NOT NULL
) STRICT;

CREATE INDEX needle_deletes_due ON needle_deletes (volume_id, next_attempt_us);
)sql"},
    {4, "access keys", R"sql(
CREATE TABLE access_keys (
  access_key_id   TEXT    PRIMARY KEY,
  sealed_secret   BLOB    NOT NULL,
  role            TEXT    NOT NULL,
  allowed_buckets TEXT    NOT NULL,
  created_at_us   INTEGER NOT NULL,
  revoked_at_us   INTEGER
) STRICT, WITHOUT ROWID;
)sql"},
    {5, "access key descriptions", R"sql(
ALTER TABLE access_keys ADD COLUMN description TEXT NOT NULL DEFAULT '';
)sql"},
    {6, "pending uploads keyed by their needle", R"sql(
CREATE TABLE pending_uploads_by_needle (
  volume_id       INTEGER NOT NULL,
  needle_id       INTEGER NOT NULL,
  cookie          INTEGER NOT NULL,
  bucket_id       INTEGER NOT NULL REFERENCES buckets (bucket_id),
  key             TEXT    NOT NULL,
  size            INTEGER NOT NULL,
  content_type    TEXT    NOT NULL,
  created_at_us   INTEGER NOT NULL,
  expires_at_us   INTEGER NOT NULL,
  PRIMARY KEY (volume_id, needle_id)
) STRICT, WITHOUT ROWID;

INSERT INTO pending_uploads_by_needle
  SELECT volume_id, needle_id, cookie, bucket_id, key, size, content_type,
         created_at_us, expires_at_us
  FROM pending_uploads;

DROP TABLE pending_uploads;
ALTER TABLE pending_uploads_by_needle RENAME TO pending_uploads;

CREATE INDEX pending_uploads_by_expiry ON pending_uploads (expires_at_us);
CREATE INDEX pending_uploads_by_bucket ON pending_uploads (bucket_id);
)sql"},
    {7, "the latest compaction of each volume", R"sql(
CREATE TABLE volume_compactions (
  volume_id         INTEGER PRIMARY KEY,
  state             TEXT    NOT NULL,
  started_at_us     INTEGER NOT NULL,
  finished_at_us    INTEGER,
  bytes_reclaimed   INTEGER NOT NULL,
  error             TEXT    NOT NULL,
  failures_in_a_row INTEGER NOT NULL
) STRICT;
)sql"},
    {8, "the latest verification of each volume", R"sql(
CREATE TABLE volume_verifications (
  volume_id       INTEGER PRIMARY KEY,
  started_at_us   INTEGER NOT NULL,
  finished_at_us  INTEGER NOT NULL,
  needles_checked INTEGER NOT NULL,
  bytes_checked   INTEGER NOT NULL,
  corrupt_count   INTEGER NOT NULL
) STRICT;
)sql"},
    {9, "volume moves, and the copies they leave on other servers",
     R"sql(
CREATE TABLE stale_volume_copies (
  volume_id      INTEGER NOT NULL,
  server_id      TEXT    NOT NULL,
  recorded_at_us INTEGER NOT NULL,
  PRIMARY KEY (volume_id, server_id)
) STRICT;

CREATE TABLE volume_moves (
  volume_id      INTEGER PRIMARY KEY,
  from_server    TEXT    NOT NULL,
  to_server      TEXT    NOT NULL,
  writable_after INTEGER NOT NULL,
  started_at_us  INTEGER NOT NULL
) STRICT;
)sql"},
};

constexpr char kCreateMigrationsTable[] = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version       INTEGER PRIMARY KEY,
  applied_at_us INTEGER NOT NULL,
  description   TEXT    NOT NULL,
  checksum      INTEGER NOT NULL
) STRICT
)sql";

struct Recorded {
  int version;
  uint32_t checksum;
};

// The rows of schema_migrations in version order; empty when the table does
// not exist. Errors: DataLoss when the versions are not 1, 2, 3, ...
absl::StatusOr<std::vector<Recorded>> ReadRecorded(Database& db) {
  std::vector<Recorded> recorded;
  {
    ASSIGN_OR_RETURN(
        Statement exists,
        db.Prepare("SELECT 1 FROM sqlite_schema WHERE "
                   "type = 'table' AND name = 'schema_migrations'"));
    ASSIGN_OR_RETURN(bool has_table, exists.Step());
    if (!has_table) return recorded;
  }
  ASSIGN_OR_RETURN(Statement rows,
                   db.Prepare("SELECT version, checksum FROM schema_migrations "
                              "ORDER BY version"));
  for (;;) {
    ASSIGN_OR_RETURN(bool has_row, rows.Step());
    if (!has_row) break;
    const int64_t version = rows.ColumnInt64(0);
    if (version != static_cast<int64_t>(recorded.size()) + 1) {
      return absl::DataLossError(absl::StrCat(
          "database ", db.path(), ": schema_migrations records version ",
          version, " where version ", recorded.size() + 1, " was expected"));
    }
    recorded.push_back({static_cast<int>(version),
                        static_cast<uint32_t>(rows.ColumnInt64(1))});
  }
  return recorded;
}

// Checks that `recorded` is a prefix of `migrations`: not ahead, and with
// the same checksums.
absl::Status CheckRecordedPrefix(Database& db,
                                 const std::vector<Recorded>& recorded,
                                 absl::Span<const Migration> migrations) {
  if (recorded.size() > migrations.size()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database ", db.path(), " is at schema version ", recorded.size(),
        ", newer than this master, which knows versions up to ",
        migrations.size(),
        ": run the master release that migrated it or a newer one "
        "(downgrading the schema is not supported)"));
  }
  for (const Recorded& r : recorded) {
    const uint32_t expected = MigrationChecksum(migrations[r.version - 1]);
    if (r.checksum != expected) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "database %s: migration %d was applied with checksum 0x%08x but "
          "this master's migration %d has checksum 0x%08x: a shipped "
          "migration was edited; migrations are append-only",
          db.path(), r.version, r.checksum, r.version, expected));
    }
  }
  return absl::OkStatus();
}

// Programmer errors in a migration list: versions must be 1, 2, 3, ...
absl::Status CheckNumbering(absl::Span<const Migration> migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return absl::InternalError(
          absl::StrCat("migration list: entry ", i, " has version ",
                       migrations[i].version, ", expected ", i + 1));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Span<const Migration> AllMigrations() { return kMigrations; }

int LatestSchemaVersion() { return static_cast<int>(AllMigrations().size()); }

uint32_t MigrationChecksum(const Migration& migration) {
  return crc32c::Value(migration.sql);
}

absl::StatusOr<int> CurrentSchemaVersion(Database& db) {
  ASSIGN_OR_RETURN(std::vector<Recorded> recorded, ReadRecorded(db));
  return static_cast<int>(recorded.size());
}

absl::Status ApplyPendingMigrations(Database& db,
                                    absl::Span<const Migration> migrations) {
  RETURN_IF_ERROR(CheckNumbering(migrations));
  for (const Migration& migration : migrations) {
    // The write lock is held from here to the commit, so two masters started
    // with --schema at once apply each migration exactly once.
    ASSIGN_OR_RETURN(Transaction transaction,
                     Transaction::Begin(db, Transaction::Mode::kImmediate));
    RETURN_IF_ERROR(db.Execute(kCreateMigrationsTable));
    ASSIGN_OR_RETURN(std::vector<Recorded> recorded, ReadRecorded(db));
    RETURN_IF_ERROR(CheckRecordedPrefix(db, recorded, migrations));
    if (migration.version <= static_cast<int>(recorded.size())) continue;
    absl::Status applied = db.Execute(migration.sql);
    if (!applied.ok()) {
      return absl::Status(
          applied.code(),
          absl::StrCat("migration ", migration.version, " (",
                       migration.description, "): ", applied.message()));
    }
    ASSIGN_OR_RETURN(Statement record,
                     db.Prepare("INSERT INTO schema_migrations (version, "
                                "applied_at_us, description, checksum) "
                                "VALUES (?, ?, ?, ?)"));
    RETURN_IF_ERROR(
        record.BindAll(migration.version, absl::ToUnixMicros(absl::Now()),
                       migration.description, MigrationChecksum(migration)));
    RETURN_IF_ERROR(record.Run());
    RETURN_IF_ERROR(transaction.Commit());
  }
  return absl::OkStatus();
}

absl::Status ApplyPendingMigrations(Database& db) {
  return ApplyPendingMigrations(db, AllMigrations());
}

absl::Status CheckSchemaCurrent(Database& db,
                                absl::Span<const Migration> migrations) {
  RETURN_IF_ERROR(CheckNumbering(migrations));
  ASSIGN_OR_RETURN(std::vector<Recorded> recorded, ReadRecorded(db));
  RETURN_IF_ERROR(CheckRecordedPrefix(db, recorded, migrations));
  if (recorded.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database ", db.path(), " is new (schema version 0), this master ",
        "needs ", migrations.size(),
        ": start it once with --schema to create the schema"));
  }
  if (recorded.size() < migrations.size()) {
    return absl::FailedPreconditionError(
        absl::StrCat("database ", db.path(), " is at schema version ",
                     recorded.size(), ", this master needs ", migrations.size(),
                     ": start it once with --schema to migrate"));
  }
  return absl::OkStatus();
}

absl::Status CheckSchemaCurrent(Database& db) {
  return CheckSchemaCurrent(db, AllMigrations());
}

}  // namespace warehouse::master
