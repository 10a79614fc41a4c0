#include "master/sqlite.h"

#include <sqlite3.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace warehouse::master {
namespace {

// The statement as it appears in error messages: whitespace collapsed and
// cut short, so a multi-line CREATE TABLE stays readable in a log line.
std::string Abbreviate(absl::string_view sql) {
  constexpr size_t kMaxLength = 120;
  std::string out;
  bool space = false;
  for (char c : sql) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
    if (out.size() >= kMaxLength) {
      out.append("...");
      break;
    }
  }
  return out;
}

absl::Status StatusWithCode(int rc, int system_errno, std::string message) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_PROTOCOL:
      return absl::UnavailableError(std::move(message));
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return absl::ResourceExhaustedError(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(std::move(message));
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE ||
          rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return absl::AlreadyExistsError(std::move(message));
      }
      return absl::FailedPreconditionError(std::move(message));
    case SQLITE_CANTOPEN:
      if (system_errno == ENOENT) {
        return absl::NotFoundError(std::move(message));
      }
      if (system_errno == EACCES || system_errno == EPERM) {
        return absl::PermissionDeniedError(std::move(message));
      }
      return absl::UnavailableError(std::move(message));
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return absl::PermissionDeniedError(std::move(message));
    case SQLITE_INTERRUPT:
      return absl::CancelledError(std::move(message));
    case SQLITE_ABORT:
      return absl::AbortedError(std::move(message));
    case SQLITE_TOOBIG:
      return absl::InvalidArgumentError(std::move(message));
    default:
      return absl::InternalError(std::move(message));
  }
}

// Turns off SQLite's memory statistics, once, before its first use. They
// count every allocation under one process-wide mutex, which the master's
// concurrent connections would otherwise contend for (docs/benchmarks.md,
// "SQLite's memory statistics off"); nothing here reads them.
void DisableMemoryStatistics() {
  // Refused (SQLITE_MISUSE) only when SQLite is in use already: the
  // statistics then stay on, which costs time, not correctness.
  static const int result = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)result;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> Database::Open(
    const std::string& path, const Options& options) {
  DisableMemoryStatistics();
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    const int system_errno = raw != nullptr ? sqlite3_system_errno(raw) : 0;
    std::string message = absl::StrCat(
        "database ", path,
        ": open: ", raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
    if (system_errno != 0) {
      absl::StrAppend(&message, ": ", std::strerror(system_errno));
    }
    sqlite3_close_v2(raw);
    return StatusWithCode(rc, system_errno, std::move(message));
  }
  std::unique_ptr<Database> db(new Database(raw, path));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(
      raw, static_cast<int>(absl::ToInt64Milliseconds(options.busy_timeout)));

  // journal_mode answers with the mode now in force; a file system without
  // shared memory support silently keeps the old one.
  {
    ASSIGN_OR_RETURN(Statement stmt, db->Prepare("PRAGMA journal_mode=WAL"));
    ASSIGN_OR_RETURN(bool has_row, stmt.Step());
    const std::string mode = has_row ? stmt.ColumnText(0) : "";
    if (absl::AsciiStrToLower(mode) != "wal") {
      return absl::FailedPreconditionError(
          absl::StrCat("database ", path, ": cannot enable WAL mode (journal ",
                       "mode is \"", mode, "\")"));
    }
  }
  // FULL: in WAL mode every commit fsyncs the log before it returns, so an
  // acknowledged transaction survives power loss, not just a process crash.
  RETURN_IF_ERROR(db->Execute("PRAGMA synchronous=FULL"));
  RETURN_IF_ERROR(db->Execute("PRAGMA foreign_keys=ON"));
  if (options.quick_check) {
    ASSIGN_OR_RETURN(Statement stmt, db->Prepare("PRAGMA quick_check"));
    std::vector<std::string> problems;
    for (;;) {
      ASSIGN_OR_RETURN(bool has_row, stmt.Step());
      if (!has_row) break;
      std::string line = stmt.ColumnText(0);
      if (line != "ok" && problems.size() < 5) problems.push_back(line);
    }
    if (!problems.empty()) {
      return absl::DataLossError(absl::StrCat(
          "database ", path,
          ": quick_check failed: ", absl::StrJoin(problems, "; ")));
    }
  }
  if (options.query_only) {
    RETURN_IF_ERROR(db->Execute("PRAGMA query_only=ON"));
  }
  return db;
}

Database::~Database() {
  for (auto& [sql, statements] : cache_) {
    for (sqlite3_stmt* stmt : statements) sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(db_);
}

absl::Status Database::Execute(absl::string_view sql) {
  // sqlite3_exec needs a NUL-terminated string.
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return ErrorStatus(rc, sql);
  return absl::OkStatus();
}

absl::StatusOr<Statement> Database::Prepare(absl::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !it->second.empty()) {
    sqlite3_stmt* stmt = it->second.back();
    it->second.pop_back();
    return Statement(this, it->first, stmt);
  }
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc =
      sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                         SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
  if (rc != SQLITE_OK) return ErrorStatus(rc, sql);
  if (stmt == nullptr) {
    return absl::InternalError(absl::StrCat(
        "database ", path_, ": statement \"", Abbreviate(sql), "\" is empty"));
  }
  const absl::string_view rest(tail, sql.data() + sql.size() - tail);
  if (!absl::StripAsciiWhitespace(rest).empty()) {
    sqlite3_finalize(stmt);
    return absl::InternalError(
        absl::StrCat("database ", path_, ": statement \"", Abbreviate(sql),
                     "\" holds more than one statement"));
  }
  return Statement(this, std::string(sql), stmt);
}

void Database::Recycle(const std::string& sql, sqlite3_stmt* stmt) {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  cache_[sql].push_back(stmt);
}

bool Database::in_transaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

int64_t Database::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

int64_t Database::changes() const { return sqlite3_changes64(db_); }

absl::Status Database::CopyTo(const std::string& path) {
  sqlite3* copy = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &copy,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
      nullptr);
  if (rc == SQLITE_OK) {
    // The copy is a scratch file until the caller moves its bytes: no
    // journal and no fsync, which would only compete with the commits.
    rc = sqlite3_exec(copy, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF",
                      nullptr, nullptr, nullptr);
  }
  if (rc == SQLITE_OK) {
    sqlite3_backup* backup = sqlite3_backup_init(copy, "main", db_, "main");
    if (backup == nullptr) {
      rc = sqlite3_errcode(copy);
    } else {
      rc = sqlite3_backup_step(backup, -1);
      const int finished = sqlite3_backup_finish(backup);
      rc = rc == SQLITE_DONE ? finished : rc;
    }
  }
  absl::Status status;
  if (rc != SQLITE_OK) {
    status = StatusWithCode(
        rc, copy == nullptr ? 0 : sqlite3_system_errno(copy),
        absl::StrCat("database ", path_, ": copying it to ", path, ": ",
                     copy == nullptr ? sqlite3_errstr(rc)
                                     : sqlite3_errmsg(copy),
                     " (", sqlite3_errstr(rc), ", code ", rc, ")"));
  }
  if (sqlite3_close(copy) != SQLITE_OK && status.ok()) {
    status = absl::UnavailableError(absl::StrCat(
        "database ", path_, ": closing its copy ", path, ": ",
        sqlite3_errmsg(copy)));
  }
  return status;
}

absl::Status Database::ErrorStatus(int rc, absl::string_view sql) const {
  const int system_errno = sqlite3_system_errno(db_);
  std::string message = absl::StrCat("database ", path_);
  if (!sql.empty()) {
    absl::StrAppend(&message, ": statement \"", Abbreviate(sql), "\"");
  }
  absl::StrAppend(&message, ": ", sqlite3_errmsg(db_));
  if ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_CANTOPEN ||
      (rc & 0xff) == SQLITE_FULL) {
    if (system_errno != 0) {
      absl::StrAppend(&message, ": ", std::strerror(system_errno));
    }
  }
  absl::StrAppend(&message, " (", sqlite3_errstr(rc), ", code ", rc, ")");
  return StatusWithCode(rc, system_errno, std::move(message));
}

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      sql_(std::move(other.sql_)),
      stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr && stmt_ != nullptr) db_->Recycle(sql_, stmt_);
    db_ = std::exchange(other.db_, nullptr);
    sql_ = std::move(other.sql_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() {
  if (db_ != nullptr && stmt_ != nullptr) db_->Recycle(sql_, stmt_);
}

absl::Status Statement::BindResult(int rc, int index) const {
  if (rc == SQLITE_OK) return absl::OkStatus();
  return db_->ErrorStatus(rc, absl::StrCat(sql_, " [parameter ", index, "]"));
}

absl::Status Statement::BindInt64(int index, int64_t value) {
  return BindResult(sqlite3_bind_int64(stmt_, index, value), index);
}

absl::Status Statement::BindText(int index, absl::string_view value) {
  return BindResult(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(),
                          SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
}

absl::Status Statement::BindBlob(int index, absl::string_view value) {
  // A zero-length blob still binds as a BLOB, not as NULL.
  return BindResult(
      sqlite3_bind_blob64(stmt_, index, value.empty() ? "" : value.data(),
                          value.size(), SQLITE_TRANSIENT),
      index);
}

absl::Status Statement::BindNull(int index) {
  return BindResult(sqlite3_bind_null(stmt_, index), index);
}

absl::StatusOr<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->ErrorStatus(rc, sql_);
}

absl::Status Statement::Run() {
  for (;;) {
    ASSIGN_OR_RETURN(bool has_row, Step());
    if (!has_row) return absl::OkStatus();
  }
}

void Statement::Reset() { sqlite3_reset(stmt_); }

int64_t Statement::ColumnInt64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::string Statement::ColumnBlob(int column) const {
  const void* blob = sqlite3_column_blob(stmt_, column);
  if (blob == nullptr) return std::string();
  return std::string(static_cast<const char*>(blob),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

absl::StatusOr<Transaction> Transaction::Begin(Database& db, Mode mode) {
  if (db.in_transaction()) {
    return absl::InternalError(absl::StrCat("database ", db.path(),
                                            ": a transaction is already open"));
  }
  ASSIGN_OR_RETURN(Statement begin,
                   db.Prepare(mode == Mode::kImmediate ? "BEGIN IMMEDIATE"
                                                       : "BEGIN DEFERRED"));
  RETURN_IF_ERROR(begin.Run());
  return Transaction(&db);
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  if (db_ != nullptr && db_->in_transaction()) {
    // Nothing useful can be done with a failed rollback: SQLite rolls back
    // an open transaction itself when the connection closes.
    db_->Execute("ROLLBACK").IgnoreError();
  }
}

absl::Status Transaction::Commit() {
  assert(db_ != nullptr);
  Database* db = std::exchange(db_, nullptr);
  absl::Status status;
  {
    auto commit = db->Prepare("COMMIT");
    status = commit.ok() ? commit->Run() : commit.status();
  }
  if (!status.ok() && db->in_transaction()) {
    db->Execute("ROLLBACK").IgnoreError();
  }
  return status;
}

}  // namespace warehouse::master
