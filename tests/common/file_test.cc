#include "common/file.h"

#include "catch2/catch.hpp"
#include "tests/support/fault_injection_file_system.h"
#include "tests/support/temp_dir.h"

namespace warehouse {
namespace {

using testing::FaultInjectionFileSystem;
using testing::TempDir;

std::string ReadAll(FileSystem* fs, const std::string& path) {
  auto file = fs->Open(path, OpenMode::kReadWrite);
  REQUIRE(file.ok());
  auto size = (*file)->Size();
  REQUIRE(size.ok());
  std::string out(*size, '\0');
  REQUIRE(ReadExactly(**file, 0, out.data(), out.size()).ok());
  return out;
}

TEST_CASE("posix files write, read, sync and truncate", "[common]") {
  TempDir dir;
  FileSystem* fs = FileSystem::Default();
  auto file = fs->Open(dir.Join("a"), OpenMode::kCreateExclusive);
  REQUIRE(file.ok());
  REQUIRE((*file)->WriteAt(0, "hello").ok());
  REQUIRE((*file)->WriteAt(10, "world").ok());
  REQUIRE((*file)->Sync().ok());
  CHECK(*(*file)->Size() == 15);
  char buf[5];
  REQUIRE(ReadExactly(**file, 10, buf, 5).ok());
  CHECK(std::string(buf, 5) == "world");
  CHECK(ReadExactly(**file, 12, buf, 5).code() == absl::StatusCode::kDataLoss);
  REQUIRE((*file)->Truncate(5).ok());
  CHECK(*(*file)->Size() == 5);
}

TEST_CASE("opening files reports missing and existing files", "[common]") {
  TempDir dir;
  FileSystem* fs = FileSystem::Default();
  CHECK(fs->Open(dir.Join("missing"), OpenMode::kReadWrite).status().code() ==
        absl::StatusCode::kNotFound);
  REQUIRE(fs->Open(dir.Join("x"), OpenMode::kCreate).ok());
  CHECK(fs->Open(dir.Join("x"), OpenMode::kCreateExclusive).status().code() ==
        absl::StatusCode::kAlreadyExists);
  REQUIRE(fs->CreateDirs(dir.Join("a/b/c")).ok());
  CHECK(*fs->Exists(dir.Join("a/b/c")));
  auto names = fs->ListDir(dir.path());
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"a", "x"});
}

TEST_CASE("power loss drops unsynced writes but keeps synced ones",
          "[common][fault]") {
  TempDir dir;
  FaultInjectionFileSystem fs;
  const std::string path = dir.Join("f");
  {
    auto file = fs.Open(path, OpenMode::kCreate);
    REQUIRE(file.ok());
    REQUIRE((*file)->WriteAt(0, "durable").ok());
    REQUIRE((*file)->Sync().ok());
    REQUIRE(fs.SyncDir(dir.path()).ok());
    REQUIRE((*file)->WriteAt(0, "DUR").ok());      // overwrite, unsynced
    REQUIRE((*file)->WriteAt(7, "-lost").ok());    // append, unsynced
  }
  REQUIRE(fs.DropUnsyncedData().ok());
  CHECK(ReadAll(FileSystem::Default(), path) == "durable");
}

TEST_CASE("power loss removes files whose directory was never synced",
          "[common][fault]") {
  TempDir dir;
  FaultInjectionFileSystem fs;
  {
    auto file = fs.Open(dir.Join("new"), OpenMode::kCreate);
    REQUIRE(file.ok());
    REQUIRE((*file)->WriteAt(0, "x").ok());
    REQUIRE((*file)->Sync().ok());
  }
  REQUIRE(fs.DropUnsyncedData().ok());
  CHECK_FALSE(*fs.Exists(dir.Join("new")));
}

TEST_CASE("power loss reverts renames not made durable", "[common][fault]") {
  TempDir dir;
  FaultInjectionFileSystem fs;
  for (const char* name : {"old", "new"}) {
    auto file = fs.Open(dir.Join(name), OpenMode::kCreate);
    REQUIRE(file.ok());
    REQUIRE((*file)->WriteAt(0, name).ok());
    REQUIRE((*file)->Sync().ok());
  }
  REQUIRE(fs.SyncDir(dir.path()).ok());
  REQUIRE(fs.Rename(dir.Join("new"), dir.Join("old")).ok());
  CHECK(ReadAll(&fs, dir.Join("old")) == "new");
  REQUIRE(fs.DropUnsyncedData().ok());
  CHECK(ReadAll(&fs, dir.Join("old")) == "old");
  CHECK(ReadAll(&fs, dir.Join("new")) == "new");
  auto names = fs.ListDir(dir.path());
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"new", "old"});
}

TEST_CASE("injected faults surface as disk-full and I/O errors",
          "[common][fault]") {
  TempDir dir;
  FaultInjectionFileSystem fs;
  auto file = fs.Open(dir.Join("f"), OpenMode::kCreate);
  REQUIRE(file.ok());
  fs.FailWritesAfter(3);
  absl::Status write = (*file)->WriteAt(0, "abcdef");
  CHECK(write.code() == absl::StatusCode::kResourceExhausted);
  CHECK(*(*file)->Size() == 3);
  fs.ClearFaults();
  fs.SetSyncFails(true);
  CHECK(absl::IsUnavailable((*file)->Sync()));
  fs.ClearFaults();
  CHECK((*file)->Sync().ok());
}

}  // namespace
}  // namespace warehouse
