#include "master/write_batcher.h"

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "common/status_macros.h"
#include "tests/support/temp_dir.h"

namespace warehouse::master {
namespace {

using warehouse::testing::TempDir;

constexpr int kWriters = 8;

std::unique_ptr<Database> OpenWithTable(const std::string& path) {
  Database::Options options;
  options.create_if_missing = true;
  auto db = Database::Open(path, options);
  REQUIRE(db.ok());
  REQUIRE((*db)->Execute("CREATE TABLE t (x INTEGER PRIMARY KEY)").ok());
  return std::move(*db);
}

absl::Status Insert(Database& db, int64_t x) {
  ASSIGN_OR_RETURN(Statement insert, db.Prepare("INSERT INTO t VALUES (?)"));
  RETURN_IF_ERROR(insert.BindAll(x));
  return insert.Run();
}

std::vector<int64_t> Rows(const std::string& path) {
  Database::Options options;
  options.quick_check = false;
  auto db = Database::Open(path, options);
  REQUIRE(db.ok());
  auto select = (*db)->Prepare("SELECT x FROM t ORDER BY x");
  REQUIRE(select.ok());
  std::vector<int64_t> rows;
  while (*select->Step()) rows.push_back(select->ColumnInt64(0));
  return rows;
}

// Holds the leader inside its closure until more writers have queued
// behind it, so that the next batch holds all of them. (Catch2 assertions
// are not thread-safe: threads only record results for the main thread.)
struct BlockedLeader {
  absl::Notification entered;
  absl::Notification release;
};

// Starts a writer that inserts `x` and blocks inside its closure, as the
// leader of its batch, until `leader->release`; returns once it is inside.
// `*status` gets its result.
std::thread StartBlockedLeader(WriteBatcher& batcher, int64_t x,
                               BlockedLeader* leader, absl::Status* status) {
  std::thread thread([&batcher, x, leader, status] {
    *status = batcher.Run([&](Database& db) {
      leader->entered.Notify();
      leader->release.WaitForNotification();
      return Insert(db, x);
    });
  });
  leader->entered.WaitForNotification();
  return thread;
}

// Waits (bounded) until `batcher` has `n` closures queued; false if they
// never arrive.
bool AwaitQueueLength(const WriteBatcher& batcher, size_t n) {
  for (int i = 0; i < 5000 && batcher.QueueLengthForTesting() < n; ++i) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  return batcher.QueueLengthForTesting() == n;
}

// What RunBehindBlockedLeader saw.
struct QueuedRun {
  bool queued = false;  // every writer was queued before the release
  absl::Status leader;
  int ok = 0;  // writers whose Run returned OK
  WriteBatcher::Stats stats;
  size_t rows = 0;
};

// Blocks a synced leader inside its batch, queues kWriters writers behind
// it one after another (writer i with `sync_of(i)`), then releases the
// leader and waits for them all.
QueuedRun RunBehindBlockedLeader(
    const std::function<WriteBatcher::Sync(int)>& sync_of) {
  TempDir dir;
  const std::string path = dir.Join("a.db");
  WriteBatcher batcher(OpenWithTable(path), 64);
  QueuedRun run;
  BlockedLeader leader;
  std::thread first = StartBlockedLeader(batcher, 0, &leader, &run.leader);
  std::vector<std::thread> writers;
  std::atomic<int> ok{0};
  run.queued = true;
  for (int i = 1; i <= kWriters; ++i) {
    const WriteBatcher::Sync sync = sync_of(i);
    writers.emplace_back([&, i, sync] {
      if (batcher.Run([i](Database& db) { return Insert(db, i); }, sync).ok()) {
        ++ok;
      }
    });
    run.queued = run.queued && AwaitQueueLength(batcher, i + 1);
  }
  leader.release.Notify();
  first.join();
  for (auto& t : writers) t.join();
  run.ok = ok;
  run.stats = batcher.stats();
  run.rows = Rows(path).size();
  return run;
}

TEST_CASE("queued writes commit together in one transaction",
          "[master][batcher]") {
  const QueuedRun run =
      RunBehindBlockedLeader([](int) { return WriteBatcher::Sync::kNow; });
  REQUIRE(run.queued);
  CHECK(run.leader.ok());
  CHECK(run.ok == kWriters);
  CHECK(run.stats.committed_writes == kWriters + 1);
  CHECK(run.stats.transactions == 2);  // the blocked leader's, then the rest
  CHECK(run.stats.unsynced_transactions == 0);
  CHECK(run.rows == kWriters + 1);
}

TEST_CASE("writes synced later form batches apart from synced ones",
          "[master][batcher]") {
  // Behind the blocked leader, synced and unsynced writers queue in turn.
  const QueuedRun run = RunBehindBlockedLeader([](int i) {
    return i % 2 ? WriteBatcher::Sync::kNow : WriteBatcher::Sync::kWithNext;
  });
  REQUIRE(run.queued);
  CHECK(run.leader.ok());
  CHECK(run.ok == kWriters);
  // The leader's; then the synced writers together, and the others.
  CHECK(run.stats.transactions == 3);
  CHECK(run.stats.unsynced_transactions == 1);
  CHECK(run.stats.committed_writes == kWriters + 1);
  CHECK(run.rows == kWriters + 1);
}

TEST_CASE("unsynced writes are synced after at most kMaxUnsyncedWrites",
          "[master][batcher]") {
  TempDir dir;
  const std::string path = dir.Join("a.db");
  WriteBatcher batcher(OpenWithTable(path), 64);
  constexpr int64_t kLimit = WriteBatcher::kMaxUnsyncedWrites;
  for (int64_t i = 0; i < kLimit + 2; ++i) {
    REQUIRE(batcher
                .Run([i](Database& db) { return Insert(db, i); },
                     WriteBatcher::Sync::kWithNext)
                .ok());
  }
  const WriteBatcher::Stats stats = batcher.stats();
  CHECK(stats.transactions == kLimit + 2);
  // The one after the limit was synced, and the count started again.
  CHECK(stats.unsynced_transactions == kLimit + 1);
  CHECK(Rows(path).size() == kLimit + 2);
}

TEST_CASE("a failing write is rolled back while its batch commits",
          "[master][batcher]") {
  TempDir dir;
  const std::string path = dir.Join("a.db");
  WriteBatcher batcher(OpenWithTable(path), 64);
  BlockedLeader leader;
  absl::Status leader_status;
  std::thread first = StartBlockedLeader(batcher, 100, &leader, &leader_status);

  std::vector<std::thread> writers;
  std::vector<absl::Status> results(kWriters);
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      results[i] = batcher.Run([i](Database& db) -> absl::Status {
        RETURN_IF_ERROR(Insert(db, i));
        // Odd writers fail after writing: their row must not survive.
        if (i % 2 == 1) return absl::InvalidArgumentError("odd");
        return absl::OkStatus();
      });
    });
  }
  const bool queued = AwaitQueueLength(batcher, kWriters + 1);
  leader.release.Notify();
  first.join();
  for (auto& t : writers) t.join();
  REQUIRE(queued);
  CHECK(leader_status.ok());

  for (int i = 0; i < kWriters; ++i) {
    INFO(i);
    CHECK(results[i].code() == (i % 2 == 1 ? absl::StatusCode::kInvalidArgument
                                           : absl::StatusCode::kOk));
  }
  std::vector<int64_t> expected;
  for (int i = 0; i < kWriters; i += 2) expected.push_back(i);
  expected.push_back(100);
  CHECK(Rows(path) == expected);
  const WriteBatcher::Stats stats = batcher.stats();
  CHECK(stats.transactions == 2);
  CHECK(stats.failed_writes == kWriters / 2);
}

TEST_CASE("a lone failing write commits nothing", "[master][batcher]") {
  TempDir dir;
  const std::string path = dir.Join("a.db");
  WriteBatcher batcher(OpenWithTable(path), 64);
  absl::Status status = batcher.Run([](Database& db) -> absl::Status {
    RETURN_IF_ERROR(Insert(db, 1));
    return absl::NotFoundError("no");
  });
  CHECK(status.code() == absl::StatusCode::kNotFound);
  // A constraint violation is the closure's own error, too.
  REQUIRE(batcher.Run([](Database& db) { return Insert(db, 2); }).ok());
  CHECK(batcher.Run([](Database& db) { return Insert(db, 2); }).code() ==
        absl::StatusCode::kAlreadyExists);
  CHECK(Rows(path) == std::vector<int64_t>{2});
  CHECK(batcher.stats().transactions == 1);
}

TEST_CASE("the batch size bound splits a long queue", "[master][batcher]") {
  TempDir dir;
  const std::string path = dir.Join("a.db");
  WriteBatcher batcher(OpenWithTable(path), 3);
  BlockedLeader leader;
  absl::Status leader_status;
  std::thread first = StartBlockedLeader(batcher, 100, &leader, &leader_status);
  std::vector<std::thread> writers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 6; ++i) {
    writers.emplace_back([&, i] {
      if (batcher.Run([i](Database& db) { return Insert(db, i); }).ok()) ++ok;
    });
  }
  const bool queued = AwaitQueueLength(batcher, 7);
  leader.release.Notify();
  first.join();
  for (auto& t : writers) t.join();
  REQUIRE(queued);
  CHECK(leader_status.ok());
  CHECK(ok == 6);
  CHECK(Rows(path).size() == 7);
  // 1 for the leader, then 6 queued writes in batches of at most 3.
  CHECK(batcher.stats().transactions == 3);
}

TEST_CASE("one caller's writes commit in one transaction and fail alone",
          "[master][batcher]") {
  TempDir dir;
  const std::string path = dir.Join("a.db");
  WriteBatcher batcher(OpenWithTable(path), 64);
  auto insert = [](int64_t x) {
    return [x](Database& db) -> absl::Status {
      RETURN_IF_ERROR(Insert(db, x));
      if (x == 3) return absl::InvalidArgumentError("three");
      return absl::OkStatus();
    };
  };
  auto w1 = insert(1), w2 = insert(2), w3 = insert(3), w4 = insert(4);
  const std::vector<WriteBatcher::Work> works = {w1, w2, w3, w4};
  // Statuses the caller left set are overwritten.
  std::vector<absl::Status> statuses(4, absl::UnknownError("unset"));
  batcher.RunEach(works, absl::MakeSpan(statuses));
  CHECK(statuses[0].ok());
  CHECK(statuses[1].ok());
  CHECK(statuses[2].code() == absl::StatusCode::kInvalidArgument);
  CHECK(statuses[3].ok());
  CHECK(Rows(path) == std::vector<int64_t>{1, 2, 4});
  const WriteBatcher::Stats stats = batcher.stats();
  CHECK(stats.transactions == 1);
  CHECK(stats.committed_writes == 3);
  CHECK(stats.failed_writes == 1);
}

TEST_CASE("a caller's writes join the batch of the writers queued beside them",
          "[master][batcher]") {
  TempDir dir;
  const std::string path = dir.Join("a.db");
  WriteBatcher batcher(OpenWithTable(path), 64);
  BlockedLeader leader;
  absl::Status leader_status;
  std::thread first = StartBlockedLeader(batcher, 100, &leader, &leader_status);
  std::vector<absl::Status> group_statuses(5);
  std::thread group([&] {
    std::vector<std::function<absl::Status(Database&)>> inserts;
    for (int i = 0; i < 5; ++i) {
      inserts.push_back([i](Database& db) { return Insert(db, i); });
    }
    const std::vector<WriteBatcher::Work> works(inserts.begin(), inserts.end());
    batcher.RunEach(works, absl::MakeSpan(group_statuses));
  });
  const bool group_queued = AwaitQueueLength(batcher, 2);
  absl::Status single_status;
  std::thread single([&] {
    single_status = batcher.Run([](Database& db) { return Insert(db, 50); });
  });
  const bool queued = AwaitQueueLength(batcher, 3);
  leader.release.Notify();
  first.join();
  group.join();
  single.join();
  REQUIRE(group_queued);
  REQUIRE(queued);
  CHECK(leader_status.ok());
  for (const absl::Status& status : group_statuses) CHECK(status.ok());
  CHECK(single_status.ok());
  CHECK(Rows(path) == std::vector<int64_t>{0, 1, 2, 3, 4, 50, 100});
  const WriteBatcher::Stats stats = batcher.stats();
  CHECK(stats.transactions == 2);  // the blocked leader's, then the rest
  CHECK(stats.committed_writes == 7);
}

TEST_CASE("a group larger than the batch bound commits whole and alone",
          "[master][batcher]") {
  TempDir dir;
  const std::string path = dir.Join("a.db");
  WriteBatcher batcher(OpenWithTable(path), 3);
  std::vector<std::function<absl::Status(Database&)>> inserts;
  for (int i = 0; i < 5; ++i) {
    inserts.push_back([i](Database& db) { return Insert(db, i); });
  }
  const std::vector<WriteBatcher::Work> works(inserts.begin(), inserts.end());
  std::vector<absl::Status> statuses(5);
  batcher.RunEach(works, absl::MakeSpan(statuses));
  for (const absl::Status& status : statuses) CHECK(status.ok());
  CHECK(Rows(path).size() == 5);
  CHECK(batcher.stats().transactions == 1);
}

}  // namespace
}  // namespace warehouse::master
