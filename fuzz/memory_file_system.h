// An in-memory FileSystem for the fuzz targets: the parsers that read files
// (the volume tail scan, the index file loader) run on fuzz input without
// touching the disk, so one input costs microseconds and leaves nothing
// behind.
//
// Files are byte strings; Sync and SyncDir succeed and do nothing; a file
// removed or replaced while open stays readable through the open handle, as
// on POSIX. Paths are plain keys: "a/b" and "a//b" are different files, and
// directories exist only as the prefixes of file names.
#ifndef WAREHOUSE_FUZZ_MEMORY_FILE_SYSTEM_H_
#define WAREHOUSE_FUZZ_MEMORY_FILE_SYSTEM_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/file.h"

namespace warehouse::fuzz {

// Not thread-safe; one fuzz input at a time.
class MemoryFileSystem final : public FileSystem {
 public:
  MemoryFileSystem() = default;

  absl::StatusOr<std::unique_ptr<File>> Open(const std::string& path,
                                             OpenMode mode) override;
  absl::Status Rename(const std::string& from, const std::string& to) override;
  absl::Status Remove(const std::string& path) override;
  absl::Status SyncDir(const std::string& dir) override;
  absl::StatusOr<bool> Exists(const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& dir) override;
  absl::Status CreateDirs(const std::string& dir) override;
  // Memory is not what the inputs explore: always plenty.
  absl::StatusOr<uint64_t> FreeBytes(const std::string&) override {
    return uint64_t{1} << 40;
  }

  // Creates or replaces the file `path` holding `bytes`.
  void SetContents(const std::string& path, std::string bytes);

  // The bytes of `path`, or an empty view when there is no such file. The
  // view is valid until the file is next written, truncated or removed.
  absl::string_view Contents(const std::string& path) const;

 private:
  // Shared between the name table and every open handle, so a file removed
  // while open stays readable through the handle, as on POSIX.
  std::map<std::string, std::shared_ptr<std::string>> files_;
};

}  // namespace warehouse::fuzz

#endif  // WAREHOUSE_FUZZ_MEMORY_FILE_SYSTEM_H_
