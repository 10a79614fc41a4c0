// Copying the metadata database while the store serves
// (master/metadata_backup.h).
#include "master/metadata_backup.h"

#include <fstream>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "common/crypto.h"
#include "tests/master/store_test_util.h"
#include "tests/support/temp_dir.h"

namespace warehouse::master::testing {
namespace {

// The entries of the directory holding the fixture's database.
std::vector<std::string> Entries(StoreFixture& f) {
  auto entries = FileSystem::Default()->ListDir(DirName(f.path()));
  REQUIRE(entries.ok());
  return *entries;
}

TEST_CASE("a backup streams a copy that opens as the database",
          "[master][backup]") {
  StoreFixture f;
  REQUIRE(f.Put("photos", "cat.jpg", 1234).ok());
  const std::vector<std::string> before = Entries(f);
  MetadataBackup backup(&f.store(), FileSystem::Default(), f.path());
  std::string copy;
  int pieces = 0;
  auto result = backup.Stream(
      [&](absl::string_view piece) {
        copy.append(piece.data(), piece.size());
        ++pieces;
        return absl::OkStatus();
      },
      4096);
  REQUIRE(result.ok());
  CHECK(result->bytes == copy.size());
  CHECK(pieces == static_cast<int>((copy.size() + 4095) / 4096));
  auto digest = Sha256::Create();
  REQUIRE(digest.ok());
  (*digest)->Update(copy);
  CHECK(*(*digest)->Finish() == result->sha256);
  // The copy made beside the database is gone.
  CHECK(Entries(f) == before);
  // An upload after the backup is not in it.
  REQUIRE(f.Put("photos", "later.jpg", 99).ok());

  warehouse::testing::TempDir restored;
  const std::string path = restored.Join("meta.db");
  std::ofstream(path, std::ios::binary) << copy;
  auto store = MetadataStore::Open(path, MetadataStore::Options());
  REQUIRE(store.ok());
  auto object = (*store)->GetObject("photos", "cat.jpg");
  REQUIRE(object.ok());
  CHECK(object->size == 1234);
  CHECK((*store)->GetObject("photos", "later.jpg").status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("a sink that fails ends the backup and the copy is removed",
          "[master][backup]") {
  StoreFixture f;
  const std::vector<std::string> before = Entries(f);
  MetadataBackup backup(&f.store(), FileSystem::Default(), f.path());
  int pieces = 0;
  auto result = backup.Stream(
      [&](absl::string_view) {
        ++pieces;
        return absl::UnavailableError("the caller went away");
      },
      4096);
  CHECK(result.status().code() == absl::StatusCode::kUnavailable);
  CHECK(pieces == 1);
  CHECK(Entries(f) == before);
}

TEST_CASE("copies left by a master killed during a backup are removed",
          "[master][backup]") {
  StoreFixture f;
  const std::vector<std::string> before = Entries(f);
  std::ofstream(f.path() + ".backup-0123456789abcdef") << "half a copy";
  std::ofstream(f.path() + ".backup-0123456789abcdef-journal") << "journal";
  MetadataBackup backup(&f.store(), FileSystem::Default(), f.path());
  auto removed = backup.RemoveLeftovers();
  REQUIRE(removed.ok());
  CHECK(*removed == 2);
  CHECK(Entries(f) == before);
  // The database and its own files are not copies.
  CHECK(*backup.RemoveLeftovers() == 0);
  CHECK(f.store().GetObject("photos", "none").status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("a backup whose copy cannot be made says why", "[master][backup]") {
  StoreFixture f;
  // Its directory does not exist: SQLite cannot create the copy there.
  MetadataBackup backup(&f.store(), FileSystem::Default(),
                        f.path() + "-missing/meta.db");
  auto result =
      backup.Stream([](absl::string_view) { return absl::OkStatus(); });
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(std::string(result.status().message()),
             Catch::Contains("-missing/meta.db.backup-"));
}

}  // namespace
}  // namespace warehouse::master::testing
