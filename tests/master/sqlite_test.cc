#include "master/sqlite.h"

#include <sqlite3.h>

#include <fstream>
#include <limits>

#include "catch2/catch.hpp"
#include "tests/support/temp_dir.h"

namespace warehouse::master {
namespace {

using warehouse::testing::TempDir;

std::unique_ptr<Database> OpenOrDie(const std::string& path) {
  Database::Options options;
  options.create_if_missing = true;
  auto db = Database::Open(path, options);
  REQUIRE(db.ok());
  return std::move(*db);
}

std::string PragmaValue(Database& db, const std::string& pragma) {
  auto stmt = db.Prepare("PRAGMA " + pragma);
  REQUIRE(stmt.ok());
  auto has_row = stmt->Step();
  REQUIRE(has_row.ok());
  REQUIRE(*has_row);
  return stmt->ColumnText(0);
}

int64_t CountRows(Database& db, const std::string& table) {
  auto stmt = db.Prepare("SELECT count(*) FROM " + table);
  REQUIRE(stmt.ok());
  REQUIRE(*stmt->Step());
  return stmt->ColumnInt64(0);
}

TEST_CASE("a database opens in WAL mode with full sync and foreign keys",
          "[master][sqlite]") {
  TempDir dir;
  auto db = OpenOrDie(dir.Join("a.db"));
  CHECK(PragmaValue(*db, "journal_mode") == "wal");
  CHECK(PragmaValue(*db, "synchronous") == "2");  // FULL
  CHECK(PragmaValue(*db, "foreign_keys") == "1");
  CHECK(std::stoll(PragmaValue(*db, "busy_timeout")) > 0);
}

TEST_CASE("SQLite keeps no memory statistics once a database is open",
          "[master][sqlite]") {
  // The statistics cost a process-wide mutex on every allocation
  // (docs/benchmarks.md, "SQLite's memory statistics off"). Counted, the
  // connection and its statement would show here.
  TempDir dir;
  auto db = OpenOrDie(dir.Join("a.db"));
  REQUIRE(db->Execute("CREATE TABLE t (x TEXT)").ok());
  REQUIRE(db->Execute("INSERT INTO t VALUES (hex(randomblob(1000)))").ok());
  CHECK(sqlite3_memory_used() == 0);
  CHECK(sqlite3_memory_highwater(/*resetFlag=*/0) == 0);
}

TEST_CASE("opening a missing database without create is NotFound",
          "[master][sqlite]") {
  TempDir dir;
  auto db = Database::Open(dir.Join("missing.db"), Database::Options{});
  REQUIRE(db.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(db.status().message()),
             Catch::Contains(dir.Join("missing.db")));
}

TEST_CASE("a file that is not a database is DataLoss", "[master][sqlite]") {
  TempDir dir;
  const std::string path = dir.Join("garbage.db");
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 512; ++i) out << "this is not a database file ";
  }
  auto db = Database::Open(path, Database::Options{});
  REQUIRE(db.status().code() == absl::StatusCode::kDataLoss);
  CHECK_THAT(std::string(db.status().message()), Catch::Contains(path));
}

TEST_CASE("a database that fails quick_check is refused with DataLoss",
          "[master][sqlite]") {
  TempDir dir;
  const std::string path = dir.Join("corrupt.db");
  {
    auto db = OpenOrDie(path);
    REQUIRE(db->Execute("CREATE TABLE t (x BLOB)").ok());
    REQUIRE(db->Execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                        "SELECT i + 1 FROM n WHERE i < 2000) "
                        "INSERT INTO t SELECT randomblob(200) FROM n")
                .ok());
    REQUIRE(db->Execute("PRAGMA wal_checkpoint(TRUNCATE)").ok());
  }
  {
    // Scribble over the header of a b-tree page in the middle of the table.
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(4096 * 20);
    const std::string junk(64, '\xee');
    file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto db = Database::Open(path, Database::Options{});
  REQUIRE(db.status().code() == absl::StatusCode::kDataLoss);
  CHECK_THAT(std::string(db.status().message()), Catch::Contains(path));
}

TEST_CASE("typed binds and column reads round-trip", "[master][sqlite]") {
  TempDir dir;
  auto db = OpenOrDie(dir.Join("a.db"));
  REQUIRE(db->Execute("CREATE TABLE t (i INTEGER, s TEXT, b BLOB, n INTEGER)")
              .ok());
  const std::string blob("\0\1\2\xff binary", 11);
  {
    auto insert = db->Prepare("INSERT INTO t VALUES (?, ?, ?, ?)");
    REQUIRE(insert.ok());
    REQUIRE(insert
                ->BindAll(std::numeric_limits<int64_t>::min(),
                          std::string("h\xc3\xa9llo"), Blob{blob}, std::nullopt)
                .ok());
    REQUIRE(insert->Run().ok());
  }
  auto select = db->Prepare("SELECT i, s, b, n FROM t");
  REQUIRE(select.ok());
  REQUIRE(*select->Step());
  CHECK(select->ColumnInt64(0) == std::numeric_limits<int64_t>::min());
  CHECK(select->ColumnText(1) == "h\xc3\xa9llo");
  CHECK(select->ColumnBlob(2) == blob);
  CHECK(select->ColumnIsNull(3));
  CHECK_FALSE(select->ColumnIsNull(0));
  CHECK_FALSE(*select->Step());
}

TEST_CASE("errors name the database and the statement", "[master][sqlite]") {
  TempDir dir;
  const std::string path = dir.Join("a.db");
  auto db = OpenOrDie(path);
  auto bad = db->Prepare("SELEKT nothing FROM nowhere");
  REQUIRE(bad.status().code() == absl::StatusCode::kInternal);
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains(path));
  CHECK_THAT(std::string(bad.status().message()),
             Catch::Contains("SELEKT nothing FROM nowhere"));

  REQUIRE(db->Execute("CREATE TABLE u (k TEXT PRIMARY KEY)").ok());
  REQUIRE(db->Execute("INSERT INTO u VALUES ('a')").ok());
  auto dup = db->Prepare("INSERT INTO u VALUES (?)");
  REQUIRE(dup.ok());
  REQUIRE(dup->BindAll("a").ok());
  absl::Status status = dup->Run();
  CHECK(status.code() == absl::StatusCode::kAlreadyExists);
  CHECK_THAT(std::string(status.message()),
             Catch::Contains("INSERT INTO u VALUES"));

  auto range = db->Prepare("SELECT ?");
  REQUIRE(range.ok());
  CHECK(range->BindInt64(2, 1).code() == absl::StatusCode::kInternal);
  CHECK(db->Prepare("SELECT 1; SELECT 2").status().code() ==
        absl::StatusCode::kInternal);
}

TEST_CASE("a transaction rolls back unless committed", "[master][sqlite]") {
  TempDir dir;
  auto db = OpenOrDie(dir.Join("a.db"));
  REQUIRE(db->Execute("CREATE TABLE t (x INTEGER)").ok());
  {
    auto tx = Transaction::Begin(*db, Transaction::Mode::kImmediate);
    REQUIRE(tx.ok());
    REQUIRE(db->Execute("INSERT INTO t VALUES (1)").ok());
    CHECK(db->in_transaction());
  }
  CHECK_FALSE(db->in_transaction());
  CHECK(CountRows(*db, "t") == 0);
  {
    auto tx = Transaction::Begin(*db, Transaction::Mode::kImmediate);
    REQUIRE(tx.ok());
    REQUIRE(db->Execute("INSERT INTO t VALUES (1)").ok());
    REQUIRE(tx->Commit().ok());
  }
  CHECK(CountRows(*db, "t") == 1);
  auto outer = Transaction::Begin(*db, Transaction::Mode::kDeferred);
  REQUIRE(outer.ok());
  CHECK(Transaction::Begin(*db, Transaction::Mode::kDeferred).status().code() ==
        absl::StatusCode::kInternal);
}

TEST_CASE("the same statement can be in use twice at once",
          "[master][sqlite]") {
  TempDir dir;
  auto db = OpenOrDie(dir.Join("a.db"));
  REQUIRE(db->Execute("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), "
                      "(2)")
              .ok());
  const std::string sql = "SELECT x FROM t ORDER BY x";
  for (int round = 0; round < 2; ++round) {
    auto first = db->Prepare(sql);
    auto second = db->Prepare(sql);
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    REQUIRE(*first->Step());
    REQUIRE(*second->Step());
    REQUIRE(*second->Step());
    CHECK(first->ColumnInt64(0) == 1);
    CHECK(second->ColumnInt64(0) == 2);
  }
}

TEST_CASE("a committed write is visible to a second connection",
          "[master][sqlite]") {
  TempDir dir;
  const std::string path = dir.Join("a.db");
  auto writer = OpenOrDie(path);
  REQUIRE(writer->Execute("CREATE TABLE t (x INTEGER)").ok());
  Database::Options options;
  options.query_only = true;
  options.quick_check = false;
  auto reader = Database::Open(path, options);
  REQUIRE(reader.ok());
  REQUIRE(writer->Execute("INSERT INTO t VALUES (7)").ok());
  CHECK(CountRows(**reader, "t") == 1);
  CHECK((*reader)->Execute("INSERT INTO t VALUES (8)").code() !=
        absl::StatusCode::kOk);
}

}  // namespace
}  // namespace warehouse::master
