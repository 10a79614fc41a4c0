#include "master/migrations.h"

#include "catch2/catch.hpp"
#include "common/file.h"
#include "master/metadata_store.h"
#include "tests/support/temp_dir.h"

namespace warehouse::master {
namespace {

using warehouse::testing::TempDir;

std::unique_ptr<Database> OpenOrDie(const std::string& path) {
  Database::Options options;
  options.create_if_missing = true;
  auto db = Database::Open(path, options);
  REQUIRE(db.ok());
  return std::move(*db);
}

int64_t CountRows(Database& db, const std::string& table) {
  auto stmt = db.Prepare("SELECT count(*) FROM " + table);
  REQUIRE(stmt.ok());
  REQUIRE(*stmt->Step());
  return stmt->ColumnInt64(0);
}

TEST_CASE("migrations are numbered 1, 2, 3 and the latest is the last",
          "[master][migrations]") {
  auto all = AllMigrations();
  REQUIRE(!all.empty());
  for (size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].version == static_cast<int>(i) + 1);
  }
  CHECK(LatestSchemaVersion() == all.back().version);
}

TEST_CASE("a fresh database is migrated to the latest version once",
          "[master][migrations]") {
  TempDir dir;
  auto db = OpenOrDie(dir.Join("meta.db"));
  CHECK(*CurrentSchemaVersion(*db) == 0);
  REQUIRE(ApplyPendingMigrations(*db).ok());
  CHECK(*CurrentSchemaVersion(*db) == LatestSchemaVersion());
  CHECK(CheckSchemaCurrent(*db).ok());
  CHECK(CountRows(*db, "schema_migrations") == LatestSchemaVersion());
  // Idempotent: nothing is applied twice.
  REQUIRE(ApplyPendingMigrations(*db).ok());
  CHECK(CountRows(*db, "schema_migrations") == LatestSchemaVersion());
}

TEST_CASE("a new database is refused with a message naming --schema",
          "[master][migrations]") {
  TempDir dir;
  const std::string path = dir.Join("meta.db");
  auto db = OpenOrDie(path);
  absl::Status status = CheckSchemaCurrent(*db);
  REQUIRE(status.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(status.message()), Catch::Contains(path));
  CHECK_THAT(std::string(status.message()), Catch::Contains("--schema"));
  CHECK_THAT(std::string(status.message()), Catch::Contains("version 0"));
}

TEST_CASE("a store does not create a missing database without --schema",
          "[master][migrations]") {
  TempDir dir;
  const std::string path = dir.Join("meta.db");
  auto store = MetadataStore::Open(path, MetadataStore::Options{});
  REQUIRE(store.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(store.status().message()),
             Catch::Contains("--schema"));
  CHECK_THAT(std::string(store.status().message()), Catch::Contains(path));
  CHECK_FALSE(*FileSystem::Default()->Exists(path));
}

TEST_CASE("a database migrated from version 1 keeps its data",
          "[master][migrations]") {
  TempDir dir;
  const std::string path = dir.Join("meta.db");
  {
    auto db = OpenOrDie(path);
    REQUIRE(ApplyPendingMigrations(*db, AllMigrations().subspan(0, 1)).ok());
    CHECK(*CurrentSchemaVersion(*db) == 1);
    // Data written by a master at schema version 1.
    REQUIRE(
        db->Execute("INSERT INTO buckets (bucket_id, name, created_at_us, "
                    "object_count, total_bytes) VALUES (1, 'old', 5, 1, 42);"
                    "INSERT INTO objects VALUES (1, 'a/b.txt', 42, 'e1', "
                    "'text/plain', 3, 9, 77, 5, 6, 'live')")
            .ok());
  }

  // A master that needs the latest version refuses it and names the flag.
  auto refused = MetadataStore::Open(path, MetadataStore::Options{});
  REQUIRE(refused.status().code() == absl::StatusCode::kFailedPrecondition);
  const std::string message(refused.status().message());
  CHECK_THAT(message, Catch::Contains("is at schema version 1"));
  CHECK_THAT(message,
             Catch::Contains("needs " + std::to_string(LatestSchemaVersion())));
  CHECK_THAT(message, Catch::Contains("start it once with --schema"));

  MetadataStore::Options migrate;
  migrate.apply_migrations = true;
  auto store = MetadataStore::Open(path, migrate);
  REQUIRE(store.ok());
  auto object = (*store)->GetObject("old", "a/b.txt");
  REQUIRE(object.ok());
  CHECK(object->size == 42);
  CHECK(object->etag == "e1");
  CHECK(object->needle == NeedleRef{3, 9, 77});
  auto buckets = (*store)->ListBuckets();
  REQUIRE(buckets.ok());
  REQUIRE(buckets->size() == 1);
  CHECK((*buckets)[0].object_count == 1);
  CHECK((*buckets)[0].total_bytes == 42);
  // The tables of the later migrations work.
  CHECK((*store)->UpsertServer("vs1", "127.0.0.1:1", absl::Now()).ok());
  store->reset();

  // Once migrated, a plain start succeeds.
  CHECK(MetadataStore::Open(path, MetadataStore::Options{}).ok());
}

TEST_CASE(
    "pending uploads migrated from version 5 keep their needles to reclaim",
    "[master][migrations]") {
  TempDir dir;
  const std::string path = dir.Join("meta.db");
  {
    auto db = OpenOrDie(path);
    REQUIRE(ApplyPendingMigrations(*db, AllMigrations().subspan(0, 5)).ok());
    // An upload begun by a master at schema version 5, keyed by its row.
    REQUIRE(db->Execute(
                  "INSERT INTO buckets (bucket_id, name, created_at_us) "
                  "VALUES (1, 'old', 5);"
                  "INSERT INTO volume_servers VALUES ('vs1', '127.0.0.1:1', "
                  "5, 'alive');"
                  "INSERT INTO volumes (volume_id, server_id, next_needle_id, "
                  "created_at_us, updated_at_us) VALUES (3, 'vs1', 10, 5, 5);"
                  "INSERT INTO pending_uploads (upload_id, bucket_id, key, "
                  "size, content_type, volume_id, needle_id, cookie, "
                  "created_at_us, expires_at_us) VALUES (41, 1, 'k', 7, "
                  "'text/plain', 3, 9, 77, 5, 6)")
                .ok());
  }
  MetadataStore::Options migrate;
  migrate.apply_migrations = true;
  auto store = MetadataStore::Open(path, migrate);
  REQUIRE(store.ok());
  auto snapshot = (*store)->SnapshotVolume(3);
  REQUIRE(snapshot.ok());
  CHECK(snapshot->pending_needle_ids == std::vector<uint64_t>{9});
  // It expires as before, and its needle is queued for deletion.
  auto expired = (*store)->ExpireUploads(absl::FromUnixMicros(6));
  REQUIRE(expired.ok());
  CHECK(*expired == 1);
  auto due = (*store)->TakeDueDeletes("vs1", absl::Now(), 10);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 1);
  CHECK((*due)[0].needle == NeedleRef{3, 9, 77});
  // New uploads on the volume start past its old counter.
  BeginUploadRequest begin;
  begin.bucket = "old";
  begin.key = "new";
  begin.volume_id = 3;
  begin.cookie = 1;
  begin.expires = absl::Now() + absl::Hours(1);
  auto upload = (*store)->BeginUpload(begin);
  REQUIRE(upload.ok());
  CHECK(upload->needle.needle_id == 10);
}

TEST_CASE("a database ahead of the binary is refused, not touched",
          "[master][migrations]") {
  TempDir dir;
  const std::string path = dir.Join("meta.db");
  auto db = OpenOrDie(path);
  REQUIRE(ApplyPendingMigrations(*db).ok());
  const int latest = LatestSchemaVersion();
  auto older_binary = AllMigrations().subspan(0, latest - 1);

  absl::Status check = CheckSchemaCurrent(*db, older_binary);
  REQUIRE(check.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(check.message()),
             Catch::Contains("is at schema version " + std::to_string(latest)));
  CHECK_THAT(std::string(check.message()), Catch::Contains("newer"));

  absl::Status apply = ApplyPendingMigrations(*db, older_binary);
  CHECK(apply.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(*CurrentSchemaVersion(*db) == latest);
}

TEST_CASE("an edited migration is detected by its checksum",
          "[master][migrations]") {
  TempDir dir;
  auto db = OpenOrDie(dir.Join("meta.db"));
  REQUIRE(ApplyPendingMigrations(*db).ok());
  REQUIRE(db->Execute("UPDATE schema_migrations SET checksum = checksum + 1 "
                      "WHERE version = 2")
              .ok());
  absl::Status status = CheckSchemaCurrent(*db);
  REQUIRE(status.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(status.message()), Catch::Contains("migration 2"));
  CHECK_THAT(std::string(status.message()), Catch::Contains("append-only"));
}

TEST_CASE("a gap in the recorded migrations is DataLoss",
          "[master][migrations]") {
  TempDir dir;
  auto db = OpenOrDie(dir.Join("meta.db"));
  REQUIRE(ApplyPendingMigrations(*db).ok());
  REQUIRE(db->Execute("DELETE FROM schema_migrations WHERE version = 2").ok());
  CHECK(CheckSchemaCurrent(*db).code() == absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace warehouse::master
