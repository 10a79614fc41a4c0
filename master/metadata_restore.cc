#include "master/metadata_restore.h"

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>
#include <system_error>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/status_macros.h"
#include "master/migrations.h"
#include "master/sqlite.h"

namespace warehouse::master {
namespace {

// The schema version of the database at `path`. Errors: those of opening
// it (DataLoss for a file that is not a database or fails quick_check);
// InvalidArgument when it holds no Warehouse schema.
absl::StatusOr<int> SchemaVersionOf(const std::string& path,
                                    const std::string& named) {
  Database::Options options;
  options.quick_check = true;
  ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(path, options));
  ASSIGN_OR_RETURN(const int version, CurrentSchemaVersion(*db));
  if (version == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(named, ": not a Warehouse metadata database (no schema)"));
  }
  return version;
}

}  // namespace

absl::StatusOr<RestoreResult> RestoreDatabase(FileSystem* fs,
                                              const std::string& db_path,
                                              const std::string& backup_path,
                                              absl::Time now) {
  ASSIGN_OR_RETURN(bool backup_exists, fs->Exists(backup_path));
  if (!backup_exists) {
    return absl::NotFoundError(absl::StrCat(backup_path, ": no such file"));
  }
  // The copy is checked where it will serve, so that the file checked is
  // the file renamed; the backup itself is never opened by SQLite.
  ASSIGN_OR_RETURN(const std::string suffix, RandomBytes(8));
  const std::string scratch =
      absl::StrCat(db_path, ".restore-", HexEncode(suffix));
  auto remove_scratch = [&] {
    for (const char* extra : {"", "-wal", "-shm"}) {
      (void)fs->Remove(scratch + extra);
    }
  };
  std::error_code copied;
  std::filesystem::copy_file(backup_path, scratch, copied);
  if (copied) {
    remove_scratch();
    return ErrnoToStatus(copied.value(), "copy to " + scratch, backup_path);
  }
  RestoreResult result;
  absl::Status checked = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(result.schema_version,
                     SchemaVersionOf(scratch, backup_path));
    if (result.schema_version > LatestSchemaVersion()) {
      return absl::FailedPreconditionError(absl::StrCat(
          backup_path, ": schema version ", result.schema_version,
          " is newer than this master's ", LatestSchemaVersion(),
          ": restore it with the master that made it"));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                     fs->Open(scratch, OpenMode::kReadWrite));
    return file->Sync();
  }();
  if (!checked.ok()) {
    remove_scratch();
    return checked;
  }

  ASSIGN_OR_RETURN(bool db_exists, fs->Exists(db_path));
  std::unique_ptr<Database> held;
  if (db_exists) {
    // Held exclusively until the copy has taken its name: a master that
    // has the database open keeps this from being granted.
    Database::Options options;
    options.quick_check = false;
    options.busy_timeout = absl::ZeroDuration();
    absl::StatusOr<std::unique_ptr<Database>> db =
        Database::Open(db_path, options);
    absl::Status locked = db.status();
    if (locked.ok()) locked = (*db)->Execute("PRAGMA locking_mode=EXCLUSIVE");
    if (locked.ok()) locked = (*db)->Execute("BEGIN EXCLUSIVE");
    if (!locked.ok()) {
      remove_scratch();
      if (absl::IsUnavailable(locked)) {
        return absl::FailedPreconditionError(absl::StrCat(
            db_path, " is open in another process: stop the master first (",
            locked.message(), ")"));
      }
      return locked;
    }
    held = *std::move(db);
    result.replaced =
        absl::StrCat(db_path, ".replaced-", absl::ToUnixSeconds(now));
  }
  // Undoes what was moved aside, on a failure before the copy took the
  // database's name.
  bool linked = false, wal_moved = false, shm_moved = false;
  auto undo = [&] {
    if (shm_moved) (void)fs->Rename(result.replaced + "-shm", db_path + "-shm");
    if (wal_moved) (void)fs->Rename(result.replaced + "-wal", db_path + "-wal");
    if (linked) ::unlink(result.replaced.c_str());
    remove_scratch();
  };
  if (db_exists) {
    // The old database gets a second name; then its log and the log's
    // index move to it, so that nothing can replay them into the new
    // database.
    if (::link(db_path.c_str(), result.replaced.c_str()) != 0) {
      const int err = errno;
      undo();
      return ErrnoToStatus(err, "link to " + result.replaced, db_path);
    }
    linked = true;
    for (const auto& [from, to, moved] :
         {std::tuple(db_path + "-wal", result.replaced + "-wal", &wal_moved),
          std::tuple(db_path + "-shm", result.replaced + "-shm", &shm_moved)}) {
      absl::StatusOr<bool> exists = fs->Exists(from);
      if (exists.ok() && !*exists) continue;
      absl::Status renamed = exists.ok() ? fs->Rename(from, to) : exists.status();
      if (!renamed.ok()) {
        undo();
        return renamed;
      }
      *moved = true;
    }
  }
  absl::Status placed = fs->Rename(scratch, db_path);
  if (!placed.ok()) undo();
  if (held != nullptr) {
    (void)held->Execute("ROLLBACK");
    held.reset();
  }
  if (!placed.ok()) return placed;
  absl::Status synced = fs->SyncDir(DirName(db_path));
  if (!synced.ok()) {
    return absl::Status(
        synced.code(),
        absl::StrCat("the copy has replaced ", db_path,
                     ", but the directory could not be synced: ",
                     synced.message()));
  }
  return result;
}

}  // namespace warehouse::master
