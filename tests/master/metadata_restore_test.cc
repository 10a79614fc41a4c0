// Putting a backup in place of the database (master/metadata_restore.h).
#include "master/metadata_restore.h"

#include <fstream>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "master/metadata_backup.h"
#include "master/migrations.h"
#include "master/sqlite.h"
#include "tests/master/store_test_util.h"

namespace warehouse::master::testing {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

// A backup of the fixture's database in a file beside it.
std::string BackUp(StoreFixture& f) {
  const std::string path = f.path() + ".copy";
  std::ofstream out(path, std::ios::binary);
  MetadataBackup backup(&f.store(), FileSystem::Default(), f.path());
  REQUIRE(backup
              .Stream([&](absl::string_view piece) {
                out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
                return absl::OkStatus();
              })
              .ok());
  return path;
}

std::vector<std::string> BucketNames(MetadataStore& store) {
  auto buckets = store.ListBuckets();
  REQUIRE(buckets.ok());
  std::vector<std::string> names;
  for (const BucketInfo& bucket : *buckets) names.push_back(bucket.name);
  return names;
}

std::vector<std::string> Entries(const std::string& db_path) {
  auto entries = FileSystem::Default()->ListDir(DirName(db_path));
  REQUIRE(entries.ok());
  return *entries;
}

TEST_CASE("a restore puts the backup in place and keeps the database it "
          "replaced",
          "[master][backup]") {
  StoreFixture f;
  const std::string copy = BackUp(f);
  REQUIRE(f.store().CreateBucket("later").ok());
  f.Close();

  auto restored =
      RestoreDatabase(FileSystem::Default(), f.path(), copy, kNow);
  REQUIRE(restored.ok());
  CHECK(restored->schema_version == LatestSchemaVersion());
  CHECK(restored->replaced == f.path() + ".replaced-1800000000");
  f.Reopen();
  CHECK(BucketNames(f.store()) == std::vector<std::string>{"photos"});
  f.Close();
  // The replaced database still holds what came after the backup.
  auto replaced =
      MetadataStore::Open(restored->replaced, MetadataStore::Options());
  REQUIRE(replaced.ok());
  CHECK(BucketNames(**replaced) ==
        std::vector<std::string>{"later", "photos"});
  // No scratch copy is left.
  for (const std::string& entry : Entries(f.path())) {
    CHECK(entry.find(".restore-") == std::string::npos);
  }
}

TEST_CASE("a restore is refused while the database is open, and changes "
          "nothing",
          "[master][backup]") {
  StoreFixture f;
  const std::string copy = BackUp(f);
  REQUIRE(f.store().CreateBucket("later").ok());
  const std::vector<std::string> before = Entries(f.path());
  auto restored =
      RestoreDatabase(FileSystem::Default(), f.path(), copy, kNow);
  CHECK(restored.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(restored.status().message()),
             Catch::Contains("stop the master first"));
  CHECK(Entries(f.path()) == before);
  CHECK(BucketNames(f.store()) ==
        std::vector<std::string>{"later", "photos"});
}

TEST_CASE("a restore refuses what is not a backup it can serve",
          "[master][backup]") {
  StoreFixture f;
  const std::string copy = BackUp(f);
  f.Close();
  const std::vector<std::string> before = Entries(f.path());

  const std::string text = f.path() + ".text";
  std::ofstream(text) << "not a database, though long enough to look at. "
                         "not a database, though long enough to look at.";
  CHECK(RestoreDatabase(FileSystem::Default(), f.path(), text, kNow)
            .status()
            .code() == absl::StatusCode::kDataLoss);
  CHECK(RestoreDatabase(FileSystem::Default(), f.path(), f.path() + ".none",
                        kNow)
            .status()
            .code() == absl::StatusCode::kNotFound);
  // A database from a newer master.
  {
    auto db = Database::Open(copy, Database::Options());
    REQUIRE(db.ok());
    REQUIRE((*db)
                ->Execute(absl::StrCat(
                    "INSERT INTO schema_migrations VALUES (",
                    LatestSchemaVersion() + 1, ", 0, 'from the future', 0)"))
                .ok());
  }
  auto newer = RestoreDatabase(FileSystem::Default(), f.path(), copy, kNow);
  CHECK(newer.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(newer.status().message()),
             Catch::Contains(absl::StrCat("schema version ",
                                          LatestSchemaVersion() + 1)));
  // Some database, but not a metadata database.
  const std::string other = f.path() + ".other";
  {
    Database::Options create;
    create.create_if_missing = true;
    auto db = Database::Open(other, create);
    REQUIRE(db.ok());
    REQUIRE((*db)->Execute("CREATE TABLE t (x INTEGER)").ok());
  }
  CHECK(RestoreDatabase(FileSystem::Default(), f.path(), other, kNow)
            .status()
            .code() == absl::StatusCode::kInvalidArgument);

  // Each left the database as it was.
  for (const std::string& entry : Entries(f.path())) {
    CHECK(entry.find(".restore-") == std::string::npos);
    CHECK(entry.find(".replaced-") == std::string::npos);
  }
  f.Reopen();
  CHECK(BucketNames(f.store()) == std::vector<std::string>{"photos"});
}

}  // namespace
}  // namespace warehouse::master::testing
