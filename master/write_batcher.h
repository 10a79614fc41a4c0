// Group commit for the master's metadata database.
//
// Every write to the database is a closure submitted to the WriteBatcher.
// The first caller to find the queue without a leader becomes the leader:
// it takes every closure queued at that moment (its own first), runs them
// all in ONE transaction, commits once (one fsync of the WAL), and hands
// each caller its own result. Callers that arrive while a batch commits
// queue up and form the next batch, so under load many writes share one
// fsync, and alone a write pays exactly one.
//
// Each closure runs inside a SAVEPOINT: a closure that returns an error is
// rolled back to it, and its neighbours in the batch still commit. A
// closure must not begin, commit or roll back transactions itself.
//
// A write may instead ask to be synced with the next one (Sync::kWithNext):
// such writes form batches of their own, committed with synchronous=NORMAL,
// which appends to the WAL without an fsync. The next synced commit's fsync
// of the WAL makes them durable too, since the WAL is one file written in
// order; the leader forces one after kMaxUnsyncedWrites of them. A process
// crash loses none of them (the WAL's pages are in the kernel's page cache);
// an operating system crash or power loss may lose those written since the
// last fsync, never a synced write, and never part of a transaction.
// docs/metadata_schema.md ("Durability") says which writes may use it.
#ifndef WAREHOUSE_MASTER_WRITE_BATCHER_H_
#define WAREHOUSE_MASTER_WRITE_BATCHER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "master/sqlite.h"

namespace warehouse::master {

// Owns the write connection and serializes all writes through it.
// Thread-safe.
class WriteBatcher {
 public:
  // Runs inside the batch transaction; returns OK to keep its changes.
  using Work = absl::FunctionRef<absl::Status(Database&)>;

  // When a write's commit is flushed to disk.
  enum class Sync {
    kNow,       // before Run returns: it survives power loss once acknowledged
    kWithNext,  // by the next synced commit, at most kMaxUnsyncedWrites later
  };

  // The most writes committed with Sync::kWithNext between two fsyncs of the
  // WAL, hence the most a power loss can take back.
  static constexpr uint64_t kMaxUnsyncedWrites = 1024;

  struct Stats {
    uint64_t transactions = 0;           // batch transactions committed
    uint64_t unsynced_transactions = 0;  // of which without an fsync
    uint64_t committed_writes = 0;       // closures whose changes committed
    uint64_t failed_writes = 0;          // closures that failed or were lost
                                         // with a failed commit
  };

  // `db` is the only connection that writes; `max_batch` bounds how many
  // closures share one transaction (a RunEach group larger than it runs in
  // a transaction of its own).
  // REQUIRES: `db` is in WAL mode with synchronous=FULL (Database::Open).
  WriteBatcher(std::unique_ptr<Database> db, size_t max_batch);
  WriteBatcher(const WriteBatcher&) = delete;
  WriteBatcher& operator=(const WriteBatcher&) = delete;

  // Runs `work` in the next batch of writes with the same `sync` and
  // returns once that batch has committed (with Sync::kNow durably: the
  // WAL was fsynced) or failed. Returns
  // the closure's own error when it fails (its changes are rolled back),
  // otherwise the error of the batch's BEGIN or COMMIT, if any: Unavailable
  // (I/O error, lock timeout), ResourceExhausted (disk full). Data the
  // closure wrote to its captures is only meaningful when this returns OK.
  absl::Status Run(Work work, Sync sync = Sync::kNow) ABSL_LOCKS_EXCLUDED(mu_);

  // Runs every closure of `works` as Run would, in order, all in the same
  // batch, and returns once that batch has committed or failed, with
  // `statuses[i]` the result of `works[i]`. One caller thus has many
  // writes share one fsync without a thread per write.
  // REQUIRES: statuses.size() == works.size().
  void RunEach(absl::Span<const Work> works, absl::Span<absl::Status> statuses,
               Sync sync = Sync::kNow) ABSL_LOCKS_EXCLUDED(mu_);

  Stats stats() const ABSL_LOCKS_EXCLUDED(mu_);

  // Writers queued and not yet completed, the running batch included.
  size_t QueueLengthForTesting() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Writer;

  // Takes the next batch for `leader`: the queued writers with the leader's
  // sync, leader first, up to max_batch_ closures (the leader's all,
  // whatever their number). Removes them from queue_ and marks a batch
  // running.
  // REQUIRES: leader is at the front of queue_ and no batch is running.
  std::vector<Writer*> TakeBatch(Writer* leader)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Runs `batch` in one transaction, with an fsync of the WAL if `synced`,
  // and sets each writer's status.
  // REQUIRES: called by the leader, without mu_ held. Only the leader
  // touches db_ and synced_mode_.
  void RunBatch(const std::vector<Writer*>& batch, bool synced, Stats* stats)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Immutable after construction. *db_ is used only by the current leader:
  // the writer that took the running batch.
  const std::unique_ptr<Database> db_;
  const size_t max_batch_;
  // Whether db_ is set to synchronous=FULL now; the leader's alone.
  bool synced_mode_ = true;

  mutable absl::Mutex mu_;
  // Writers waiting to be taken into a batch, in arrival order; the front
  // one leads the next batch.
  std::deque<Writer*> queue_ ABSL_GUARDED_BY(mu_);
  // The writers of the batch running now; none when it is empty.
  size_t running_writers_ ABSL_GUARDED_BY(mu_) = 0;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  // Writes committed without an fsync since the last synced commit.
  uint64_t unsynced_writes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_WRITE_BATCHER_H_
