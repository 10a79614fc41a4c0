// A small RAII wrapper over the SQLite3 C API.
//
// Every failure becomes an absl::Status whose message names the database
// file and the statement, with the code chosen by what the caller should do
// next: a busy or failing disk is Unavailable, a full disk ResourceExhausted,
// a corrupt file DataLoss, a UNIQUE or PRIMARY KEY violation AlreadyExists,
// and a malformed statement Internal (a bug in our SQL).
#ifndef WAREHOUSE_MASTER_SQLITE_H_
#define WAREHOUSE_MASTER_SQLITE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

struct sqlite3;
struct sqlite3_stmt;

namespace warehouse::master {

class Statement;

// A value bound as a BLOB rather than TEXT.
struct Blob {
  absl::string_view bytes;
};

// One connection to a SQLite database file. Not thread-safe: a connection
// (and every Statement prepared on it) is used by one thread at a time; the
// callers in master/ guarantee that with a WriteBatcher or a ReadPool.
class Database {
 public:
  struct Options {
    // Create the file when it does not exist.
    bool create_if_missing = false;
    // Run `PRAGMA quick_check` at open; DataLoss if it reports a problem.
    // Proportional to the size of the database.
    bool quick_check = true;
    // Refuse every write on this connection (`PRAGMA query_only`).
    bool query_only = false;
    // How long a statement waits for another connection's lock before it
    // fails with Unavailable.
    absl::Duration busy_timeout = absl::Seconds(10);
  };

  // Opens `path` in WAL mode with synchronous=FULL (every commit is durable
  // once it returns), foreign keys enforced and the busy timeout set.
  // Errors: NotFound when the file is missing and `create_if_missing` is
  // false; DataLoss when the file is not a database or fails quick_check;
  // PermissionDenied, Unavailable for I/O errors.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path,
                                                        const Options& options);

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  // Finalizes the cached statements and closes the connection. Every
  // Statement prepared on it must have been destroyed.
  ~Database();

  // Runs one or more statements that return no rows (DDL, PRAGMA, BEGIN).
  // Errors: as for Statement::Step.
  absl::Status Execute(absl::string_view sql);

  // Prepares `sql`, reusing a cached compiled statement when one is free.
  // The Statement returns itself to the cache when destroyed. Errors:
  // Internal for malformed SQL.
  absl::StatusOr<Statement> Prepare(absl::string_view sql);

  // Writes a consistent copy of the whole database to a new file at
  // `path` (SQLite's online backup, in one step: one read transaction, so
  // writers on other connections go on). The copy is neither journaled
  // nor synced: a crash midway leaves a file to discard. Errors:
  // as for Open of `path`, and ResourceExhausted when its disk fills.
  absl::Status CopyTo(const std::string& path);

  // True while a transaction is open (SQLite may roll one back on its own
  // after an I/O error or a full disk; check this after a failure).
  bool in_transaction() const;
  // The rowid of the last successful INSERT on this connection.
  int64_t last_insert_rowid() const;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t changes() const;

  const std::string& path() const { return path_; }

  // The Status for SQLite result code `rc` from `sql` on this connection.
  absl::Status ErrorStatus(int rc, absl::string_view sql) const;

 private:
  friend class Statement;

  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  // Takes back a statement that a Statement no longer uses.
  void Recycle(const std::string& sql, sqlite3_stmt* stmt);

  sqlite3* const db_;
  const std::string path_;
  // Compiled statements not currently lent to a Statement, by SQL text.
  absl::flat_hash_map<std::string, std::vector<sqlite3_stmt*>> cache_;
};

// A prepared statement borrowed from a Database's cache. Move-only; must
// not outlive its Database. Not thread-safe. Parameters are numbered from 1
// and columns from 0, as in the C API.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Typed binds. Errors: Internal when `index` is out of range.
  absl::Status BindInt64(int index, int64_t value);
  absl::Status BindText(int index, absl::string_view value);
  absl::Status BindBlob(int index, absl::string_view value);
  absl::Status BindNull(int index);

  // Binds every argument in order to parameters 1..N: integers and bools as
  // INTEGER, strings as TEXT, Blob as BLOB, std::nullopt and an empty
  // std::optional as NULL.
  template <typename... Args>
  absl::Status BindAll(const Args&... args) {
    int index = 0;
    absl::Status status;
    ((status.ok() ? (status = BindOne(++index, args), 0) : 0), ...);
    return status;
  }

  // Advances to the next row: true when a row is ready to read, false when
  // the statement has finished. Errors: AlreadyExists (UNIQUE or PRIMARY
  // KEY violation), FailedPrecondition (another constraint), Unavailable
  // (busy, I/O error), ResourceExhausted (disk full), DataLoss (corrupt
  // file), Internal (misuse).
  absl::StatusOr<bool> Step();

  // Steps until the statement finishes, ignoring any rows. Errors: as Step.
  absl::Status Run();

  // Rewinds the statement so it can run again; bindings are kept.
  void Reset();

  // Column reads of the current row. NULL reads as 0 or "".
  int64_t ColumnInt64(int column) const;
  std::string ColumnText(int column) const;
  std::string ColumnBlob(int column) const;
  bool ColumnIsNull(int column) const;

  const std::string& sql() const { return sql_; }

 private:
  friend class Database;

  Statement(Database* db, std::string sql, sqlite3_stmt* stmt)
      : db_(db), sql_(std::move(sql)), stmt_(stmt) {}

  template <typename T, std::enable_if_t<std::is_integral<T>::value, int> = 0>
  absl::Status BindOne(int index, T value) {
    return BindInt64(index, static_cast<int64_t>(value));
  }
  absl::Status BindOne(int index, absl::string_view value) {
    return BindText(index, value);
  }
  absl::Status BindOne(int index, const std::string& value) {
    return BindText(index, value);
  }
  absl::Status BindOne(int index, const char* value) {
    return BindText(index, value);
  }
  absl::Status BindOne(int index, const Blob& value) {
    return BindBlob(index, value.bytes);
  }
  absl::Status BindOne(int index, std::nullopt_t) { return BindNull(index); }
  template <typename T>
  absl::Status BindOne(int index, const std::optional<T>& value) {
    return value.has_value() ? BindOne(index, *value) : BindNull(index);
  }

  absl::Status BindResult(int rc, int index) const;

  Database* db_;  // null once moved from
  std::string sql_;
  sqlite3_stmt* stmt_;
};

// An open transaction that rolls back when destroyed without Commit().
// Not thread-safe; `*db` must outlive it.
class Transaction {
 public:
  enum class Mode {
    kDeferred,   // BEGIN: takes locks as statements need them (readers)
    kImmediate,  // BEGIN IMMEDIATE: takes the write lock now (writers)
  };

  // Errors: Unavailable when another connection holds the write lock past
  // the busy timeout; Internal when a transaction is already open.
  static absl::StatusOr<Transaction> Begin(Database& db, Mode mode);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  // Commits. With synchronous=FULL the changes survive a crash once this
  // returns OK. Errors: as Statement::Step; the transaction is rolled back.
  absl::Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}

  Database* db_;  // null once committed, rolled back or moved from
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_SQLITE_H_
