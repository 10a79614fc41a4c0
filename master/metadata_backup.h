// Backing up the metadata database while the master serves.
//
// The database is the only place that names the objects: a needle holds an
// object's bytes, not its bucket or key, so a master whose disk is lost
// takes every name with it. A MetadataBackup copies the database
// consistently beside itself (SQLite's online backup), hands the copy's
// bytes to a sink, and removes it; the sink (Master.BackupMetadata, then
// `warehouse backup`) puts them somewhere else. docs/master.md, "Backing
// up the metadata", says how a copy is restored.
#ifndef WAREHOUSE_MASTER_METADATA_BACKUP_H_
#define WAREHOUSE_MASTER_METADATA_BACKUP_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/file.h"
#include "master/metadata_store.h"

namespace warehouse::master {

// Thread-safe: each Stream makes a copy of its own. `*store` and `*fs`
// must outlive it.
class MetadataBackup {
 public:
  struct Result {
    uint64_t bytes = 0;
    std::string sha256;  // 32 bytes, of everything passed to the sink
  };

  // `db_path` is the database's file: the copy is made in its directory,
  // which needs room for it.
  MetadataBackup(MetadataStore* store, FileSystem* fs, std::string db_path)
      : store_(store), fs_(fs), db_path_(std::move(db_path)) {}

  // Removes the copies a master killed during a backup left beside the
  // database; call it before the first Stream. Returns how many files it
  // removed. Errors: those of listing the directory.
  absl::StatusOr<int> RemoveLeftovers();

  // Copies the database, passes the copy's bytes to `sink` in order, in
  // pieces of at most `piece_bytes`, and removes the copy whatever
  // happened. Errors: ResourceExhausted (no room for the copy);
  // Unavailable (the database or the disk failed); the sink's first error,
  // which ends the stream.
  absl::StatusOr<Result> Stream(
      const std::function<absl::Status(absl::string_view)>& sink,
      size_t piece_bytes = size_t{1} << 20);

 private:
  MetadataStore* const store_;
  FileSystem* const fs_;
  const std::string db_path_;
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_METADATA_BACKUP_H_
