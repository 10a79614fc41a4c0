#include "common/uncached_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <random>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "tests/support/temp_dir.h"

namespace warehouse {
namespace {

using testing::TempDir;

std::string Pattern(size_t size) {
  std::mt19937_64 rng(size);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

// A synced file holding `data` at `path`.
std::unique_ptr<File> WriteSynced(const std::string& path,
                                  const std::string& data) {
  auto file = FileSystem::Default()->Open(path, OpenMode::kCreateExclusive);
  REQUIRE(file.ok());
  REQUIRE((*file)->WriteAt(0, data).ok());
  REQUIRE((*file)->Sync().ok());
  return *std::move(file);
}

// Pages of `file` in the page cache (mincore of a mapping of it).
size_t CachedPages(File& file, size_t size) {
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, file.fd(), 0);
  REQUIRE(map != MAP_FAILED);
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> resident((size + page - 1) / page);
  REQUIRE(::mincore(map, size, resident.data()) == 0);
  ::munmap(map, size);
  size_t cached = 0;
  for (unsigned char r : resident) cached += r & 1;
  return cached;
}

TEST_CASE("an uncached reader reads what the file holds at any offset",
          "[common]") {
  TempDir dir;
  constexpr size_t kWindow = 8192;
  const std::string data = Pattern(3 * kWindow + 123);
  std::unique_ptr<File> file = WriteSynced(dir.Join("v.dat"), data);
  auto reader = UncachedReader::Open(*file, kWindow);
  REQUIRE(reader.ok());
  CHECK(*(*reader)->Size() == data.size());
  CHECK((*reader)->path() == dir.Join("v.dat"));
  CHECK((*reader)->fd() == -1);

  struct Row {
    uint64_t offset;
    size_t length;
  };
  // Within a window, across windows, backwards, unaligned, the whole file,
  // the tail, and past the end.
  const std::vector<Row> rows = {{0, 10},         {5000, 4000},
                                 {8190, 9000},    {100, 1},
                                 {1, kWindow * 3}, {0, data.size()},
                                 {data.size() - 7, 7},
                                 {data.size() - 7, 100},
                                 {data.size() + 5, 10}};
  for (const Row& row : rows) {
    INFO(row.offset << "+" << row.length);
    std::string got(row.length, '\0');
    auto n = (*reader)->ReadAt(row.offset, got.data(), got.size());
    REQUIRE(n.ok());
    const std::string want =
        row.offset < data.size() ? data.substr(row.offset, row.length) : "";
    CHECK(*n == want.size());
    CHECK(got.substr(0, *n) == want);
  }
  CHECK((*reader)->WriteAt(0, "x").code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK((*reader)->Sync().code() == absl::StatusCode::kFailedPrecondition);
  CHECK((*reader)->Truncate(0).code() == absl::StatusCode::kFailedPrecondition);

  // The file the File has open, even once another took its name.
  std::unique_ptr<File> other = WriteSynced(dir.Join("new.dat"), "replaced");
  REQUIRE(FileSystem::Default()->Rename(dir.Join("new.dat"), dir.Join("v.dat")).ok());
  auto again = UncachedReader::Open(*file, kWindow);
  REQUIRE(again.ok());
  std::string head(16, '\0');
  REQUIRE(ReadExactly(**again, 0, head.data(), head.size()).ok());
  CHECK(head == data.substr(0, 16));
}

TEST_CASE("an uncached reader leaves the page cache as it found it",
          "[common]") {
  TempDir dir;
  const std::string data = Pattern(4 << 20);
  std::unique_ptr<File> file = WriteSynced(dir.Join("v.dat"), data);
  auto drop = [&] {
    REQUIRE(::posix_fadvise(file->fd(), 0, 0, POSIX_FADV_DONTNEED) == 0);
    REQUIRE(CachedPages(*file, data.size()) == 0);
  };
  std::string got(data.size(), '\0');

  drop();
  auto reader = UncachedReader::Open(*file);
  REQUIRE(reader.ok());
  REQUIRE(ReadExactly(**reader, 0, got.data(), got.size()).ok());
  CHECK(got == data);
  CHECK(CachedPages(*file, data.size()) == 0);

  // What a read through the File itself does, for contrast.
  drop();
  REQUIRE(ReadExactly(*file, 0, got.data(), got.size()).ok());
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  CHECK(CachedPages(*file, data.size()) == data.size() / page);
}

// A File that no descriptor backs, as a test's in-memory one would be.
class NoDescriptorFile final : public File {
 public:
  absl::StatusOr<size_t> ReadAt(uint64_t, char*, size_t) override { return 0; }
  absl::Status WriteAt(uint64_t, absl::string_view) override {
    return absl::OkStatus();
  }
  absl::Status Sync() override { return absl::OkStatus(); }
  absl::Status Truncate(uint64_t) override { return absl::OkStatus(); }
  absl::StatusOr<uint64_t> Size() override { return 0; }
  const std::string& path() const override { return path_; }

 private:
  const std::string path_ = "memory";
};

TEST_CASE("a file without a descriptor is not read uncached", "[common]") {
  NoDescriptorFile file;
  auto reader = UncachedReader::Open(file);
  CHECK(reader.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(reader.status().message()),
             Catch::StartsWith("memory: "));
}

}  // namespace
}  // namespace warehouse
