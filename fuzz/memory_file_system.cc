#include "fuzz/memory_file_system.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace warehouse::fuzz {
namespace {

// The largest file this file system holds: far more than any fuzz input,
// small enough that a bad offset fails instead of exhausting memory.
constexpr uint64_t kMaxFileSize = uint64_t{1} << 30;

class MemoryFile final : public File {
 public:
  MemoryFile(std::shared_ptr<std::string> bytes, std::string path)
      : bytes_(std::move(bytes)), path_(std::move(path)) {}

  absl::StatusOr<size_t> ReadAt(uint64_t offset, char* buf, size_t n) override {
    if (offset >= bytes_->size()) return size_t{0};
    const size_t got =
        static_cast<size_t>(std::min<uint64_t>(n, bytes_->size() - offset));
    std::memcpy(buf, bytes_->data() + offset, got);
    return got;
  }

  absl::Status WriteAt(uint64_t offset, absl::string_view data) override {
    if (offset > kMaxFileSize || data.size() > kMaxFileSize - offset) {
      return absl::ResourceExhaustedError(
          absl::StrCat(path_, ": write of ", data.size(), " bytes at offset ",
                       offset, " exceeds the in-memory limit"));
    }
    const size_t end = static_cast<size_t>(offset) + data.size();
    if (bytes_->size() < end) bytes_->resize(end, '\0');
    std::memcpy(bytes_->data() + offset, data.data(), data.size());
    return absl::OkStatus();
  }

  absl::Status Sync() override { return absl::OkStatus(); }

  absl::Status Truncate(uint64_t size) override {
    if (size > kMaxFileSize) {
      return absl::ResourceExhaustedError(
          absl::StrCat(path_, ": size ", size, " exceeds the in-memory limit"));
    }
    bytes_->resize(static_cast<size_t>(size), '\0');
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Size() override { return bytes_->size(); }

  const std::string& path() const override { return path_; }

 private:
  const std::shared_ptr<std::string> bytes_;
  const std::string path_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<File>> MemoryFileSystem::Open(
    const std::string& path, OpenMode mode) {
  auto it = files_.find(path);
  if (it == files_.end()) {
    if (mode == OpenMode::kReadWrite) {
      return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    }
    it = files_.emplace(path, std::make_shared<std::string>()).first;
  } else if (mode == OpenMode::kCreateExclusive) {
    return absl::AlreadyExistsError(absl::StrCat(path, ": already exists"));
  }
  return std::unique_ptr<File>(new MemoryFile(it->second, path));
}

absl::Status MemoryFileSystem::Rename(const std::string& from,
                                      const std::string& to) {
  auto it = files_.find(from);
  if (it == files_.end()) {
    return absl::NotFoundError(absl::StrCat(from, ": no such file"));
  }
  std::shared_ptr<std::string> bytes = it->second;
  files_.erase(it);
  files_[to] = std::move(bytes);
  return absl::OkStatus();
}

absl::Status MemoryFileSystem::Remove(const std::string& path) {
  if (files_.erase(path) == 0) {
    return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  }
  return absl::OkStatus();
}

absl::Status MemoryFileSystem::SyncDir(const std::string&) {
  return absl::OkStatus();
}

absl::StatusOr<bool> MemoryFileSystem::Exists(const std::string& path) {
  return files_.count(path) != 0;
}

absl::StatusOr<std::vector<std::string>> MemoryFileSystem::ListDir(
    const std::string& dir) {
  const std::string prefix = absl::StrCat(dir, "/");
  std::vector<std::string> names;
  for (const auto& [path, bytes] : files_) {
    if (!absl::StartsWith(path, prefix)) continue;
    const std::string name = path.substr(prefix.size());
    if (!name.empty() && name.find('/') == std::string::npos) {
      names.push_back(name);
    }
  }
  return names;  // sorted: files_ is ordered by path
}

absl::Status MemoryFileSystem::CreateDirs(const std::string&) {
  return absl::OkStatus();
}

void MemoryFileSystem::SetContents(const std::string& path, std::string bytes) {
  files_[path] = std::make_shared<std::string>(std::move(bytes));
}

absl::string_view MemoryFileSystem::Contents(const std::string& path) const {
  auto it = files_.find(path);
  return it == files_.end() ? absl::string_view() : *it->second;
}

}  // namespace warehouse::fuzz
