#include "master/metadata_backup.h"

#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {
namespace {

// A copy is named after the database: meta.db.backup-<16 hex digits>.
constexpr char kCopyInfix[] = ".backup-";

// Removes `path`, if it is there; true unless it is there still.
bool RemoveCopy(FileSystem* fs, const std::string& path) {
  absl::Status removed = fs->Remove(path);
  if (removed.ok() || absl::IsNotFound(removed)) return true;
  spdlog::warn("metadata backup: {} is left behind: {}", path,
               removed.ToString());
  return false;
}

}  // namespace

absl::StatusOr<int> MetadataBackup::RemoveLeftovers() {
  const std::string dir = DirName(db_path_);
  const std::string prefix =
      db_path_.substr(db_path_.rfind('/') + 1) + kCopyInfix;
  ASSIGN_OR_RETURN(const std::vector<std::string> names, fs_->ListDir(dir));
  int removed = 0;
  for (const std::string& name : names) {
    if (!absl::StartsWith(name, prefix)) continue;
    const std::string path = absl::StrCat(dir, "/", name);
    if (!RemoveCopy(fs_, path)) continue;
    spdlog::info("metadata backup: removed {}, left by an earlier run", path);
    ++removed;
  }
  return removed;
}

absl::StatusOr<MetadataBackup::Result> MetadataBackup::Stream(
    const std::function<absl::Status(absl::string_view)>& sink,
    size_t piece_bytes) {
  ASSIGN_OR_RETURN(const std::string suffix, RandomBytes(8));
  const std::string copy_path =
      absl::StrCat(db_path_, kCopyInfix, HexEncode(suffix));
  // SQLite's own files beside the copy, should closing it leave any.
  const std::vector<std::string> leftovers = {
      copy_path, copy_path + "-wal", copy_path + "-shm", copy_path + "-journal"};
  auto remove_copy = [&] {
    for (const std::string& path : leftovers) RemoveCopy(fs_, path);
  };
  absl::Status copied = store_->CopyTo(copy_path);
  if (!copied.ok()) {
    remove_copy();
    return copied;
  }
  Result result;
  absl::Status streamed = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                     fs_->Open(copy_path, OpenMode::kReadWrite));
    ASSIGN_OR_RETURN(std::unique_ptr<Sha256> digest, Sha256::Create());
    std::string piece(piece_bytes, '\0');
    for (;;) {
      ASSIGN_OR_RETURN(size_t n,
                       file->ReadAt(result.bytes, piece.data(), piece.size()));
      if (n == 0) break;
      const absl::string_view bytes(piece.data(), n);
      digest->Update(bytes);
      RETURN_IF_ERROR(sink(bytes));
      result.bytes += n;
    }
    ASSIGN_OR_RETURN(result.sha256, digest->Finish());
    return absl::OkStatus();
  }();
  remove_copy();
  if (!streamed.ok()) return streamed;
  return result;
}

}  // namespace warehouse::master
