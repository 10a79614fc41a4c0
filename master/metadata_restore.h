// Putting a backup of the metadata database in place of the database.
//
// A copy made by MetadataBackup (`warehouse backup`) replaces the
// database of a stopped master: the copy is written beside the database
// under a scratch name, synced and checked (an SQLite database that passes
// quick_check, holding a Warehouse schema no newer than this binary's);
// then, with the database held exclusively, so that no master has it open,
// the old database and its write-ahead log move aside, kept under
// `<db>.replaced-<unix seconds>`, and the copy takes the database's name.
// The old write-ahead log must never meet the new database: SQLite would
// replay it into pages it does not belong to. docs/master.md, "Backing up
// the metadata".
#ifndef WAREHOUSE_MASTER_METADATA_RESTORE_H_
#define WAREHOUSE_MASTER_METADATA_RESTORE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/file.h"

namespace warehouse::master {

struct RestoreResult {
  // The copy's schema version; below this binary's, the master must start
  // with --schema to migrate it.
  int schema_version = 0;
  // Where the old database now is; empty when there was none.
  std::string replaced;
};

// Replaces the database at `db_path` with the copy at `backup_path`, which
// is left as it is; `now` names the old database's new place. Errors:
// NotFound (no copy at `backup_path`); DataLoss (it is not an SQLite
// database, or a damaged one); InvalidArgument (it holds no Warehouse
// schema); FailedPrecondition (its schema is newer than this binary's, or
// the database is open in another process: a master still running);
// Unavailable, ResourceExhausted (the disk). On any error the database is
// as it was.
absl::StatusOr<RestoreResult> RestoreDatabase(FileSystem* fs,
                                              const std::string& db_path,
                                              const std::string& backup_path,
                                              absl::Time now);

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_METADATA_RESTORE_H_
