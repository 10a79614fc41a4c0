// Schema migrations of the master's metadata database.
//
// The schema is an append-only list of migrations numbered 1, 2, 3, ...;
// migration N takes a database from schema version N-1 to N. Each one that
// has run is recorded in the `schema_migrations` table with the time it ran
// and a checksum of its SQL. Never edit or reorder a migration that has
// shipped: add a new one. docs/metadata_schema.md describes the tables and
// the policy.
#ifndef WAREHOUSE_MASTER_MIGRATIONS_H_
#define WAREHOUSE_MASTER_MIGRATIONS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "master/sqlite.h"

namespace warehouse::master {

struct Migration {
  int version;              // 1, 2, 3, ... with no gaps
  const char* description;  // one line, for the schema_migrations table
  const char* sql;          // one or more statements
};

// The migrations this binary knows, in order.
absl::Span<const Migration> AllMigrations();

// The schema version this binary needs: the last of AllMigrations().
int LatestSchemaVersion();

// The CRC-32C of a migration's SQL, recorded when it is applied so that a
// migration edited after it shipped is detected.
uint32_t MigrationChecksum(const Migration& migration);

// The highest version recorded in schema_migrations; 0 for a database that
// has never been migrated. Errors: as Statement::Step.
absl::StatusOr<int> CurrentSchemaVersion(Database& db);

// Applies every migration of `migrations` that `db` has not recorded yet,
// each in its own transaction together with its schema_migrations row, so a
// crash leaves the database at one version or the next. Idempotent; safe
// against a concurrent migrator (the write lock is taken before a version
// is checked). Errors: FailedPrecondition when the database is ahead of
// `migrations` or records a migration whose checksum differs; the errors of
// Statement::Step.
absl::Status ApplyPendingMigrations(Database& db,
                                    absl::Span<const Migration> migrations);
absl::Status ApplyPendingMigrations(Database& db);

// OK when `db` is exactly at the last version of `migrations` with the same
// checksums. Errors: FailedPrecondition when the database is new or behind
// (the message says to start the master once with --schema), when it is
// ahead of this binary, or when a recorded checksum differs.
absl::Status CheckSchemaCurrent(Database& db,
                                absl::Span<const Migration> migrations);
absl::Status CheckSchemaCurrent(Database& db);

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_MIGRATIONS_H_
