#include "master/write_batcher.h"

#include <cassert>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/crash_point.h"
#include "common/status_macros.h"

namespace warehouse::master {
namespace {

absl::Status RunStatement(Database& db, absl::string_view sql) {
  ASSIGN_OR_RETURN(Statement statement, db.Prepare(sql));
  return statement.Run();
}

}  // namespace

// One caller's closures, run together in one batch.
struct WriteBatcher::Writer {
  Writer(absl::Span<const Work> w, absl::Span<absl::Status> s, Sync y)
      : works(w), statuses(s), sync(y) {}

  absl::Span<const Work> works;
  // Written by the leader before `done` is set under mu_, read by the owner
  // after it sees `done`; one per closure.
  absl::Span<absl::Status> statuses;
  const Sync sync;
  bool done = false;
  absl::CondVar cv;
};

WriteBatcher::WriteBatcher(std::unique_ptr<Database> db, size_t max_batch)
    : db_(std::move(db)), max_batch_(max_batch == 0 ? 1 : max_batch) {}

absl::Status WriteBatcher::Run(Work work, Sync sync) {
  absl::Status status;
  RunEach(absl::MakeConstSpan(&work, 1), absl::MakeSpan(&status, 1), sync);
  return status;
}

std::vector<WriteBatcher::Writer*> WriteBatcher::TakeBatch(Writer* leader) {
  assert(queue_.front() == leader && running_writers_ == 0);
  std::vector<Writer*> batch;
  // The leader first, then those that want the same sync; the others keep
  // their places for later batches.
  size_t closures = 0;
  for (auto it = queue_.begin(); it != queue_.end();) {
    Writer* writer = *it;
    if (writer->sync != leader->sync) {
      ++it;
      continue;
    }
    if (writer != leader && closures + writer->works.size() > max_batch_) {
      break;
    }
    batch.push_back(writer);
    closures += writer->works.size();
    it = queue_.erase(it);
  }
  running_writers_ = batch.size();
  return batch;
}

void WriteBatcher::RunEach(absl::Span<const Work> works,
                           absl::Span<absl::Status> statuses, Sync sync) {
  assert(works.size() == statuses.size());
  if (works.empty()) return;
  Writer self(works, statuses, sync);
  mu_.Lock();
  queue_.push_back(&self);
  // Not done, this writer is either queued (queue_ is not empty) or in the
  // running batch (running_writers_ > 0).
  while (!self.done && (running_writers_ > 0 || queue_.front() != &self)) {
    self.cv.Wait(&mu_);
  }
  if (self.done) {
    mu_.Unlock();
    return;
  }

  // This writer leads. Writers that arrive from now on wait until the
  // batch has ended, so only the leader touches db_.
  std::vector<Writer*> batch = TakeBatch(&self);
  size_t closures = 0;
  for (const Writer* writer : batch) closures += writer->works.size();
  // Unsynced writes pile up only so far: then one batch of them is synced.
  const bool synced =
      sync == Sync::kNow || unsynced_writes_ + closures > kMaxUnsyncedWrites;
  mu_.Unlock();
  Stats delta;
  RunBatch(batch, synced, &delta);
  mu_.Lock();

  stats_.transactions += delta.transactions;
  stats_.unsynced_transactions += delta.unsynced_transactions;
  stats_.committed_writes += delta.committed_writes;
  stats_.failed_writes += delta.failed_writes;
  if (delta.transactions > 0) {
    unsynced_writes_ = synced ? 0 : unsynced_writes_ + delta.committed_writes;
  }
  for (Writer* writer : batch) {
    writer->done = true;
    if (writer != &self) writer->cv.Signal();
  }
  running_writers_ = 0;
  // Hand leadership to the first writer of the next batch.
  if (!queue_.empty()) queue_.front()->cv.Signal();
  mu_.Unlock();
}

void WriteBatcher::RunBatch(const std::vector<Writer*>& batch, bool synced,
                            Stats* stats) {
  size_t closures = 0;
  for (const Writer* writer : batch) closures += writer->works.size();
  auto set_all = [&](const absl::Status& status, bool only_ok) {
    for (Writer* writer : batch) {
      for (absl::Status& result : writer->statuses) {
        if (!only_ok || result.ok()) result = status;
      }
    }
  };

  Database& db = *db_;
  if (synced != synced_mode_) {
    // Outside any transaction, as SQLite requires; it applies to the
    // commits that follow.
    const absl::Status mode = db.Execute(synced ? "PRAGMA synchronous=FULL"
                                                : "PRAGMA synchronous=NORMAL");
    if (!mode.ok()) {
      set_all(mode, /*only_ok=*/false);
      stats->failed_writes += closures;
      return;
    }
    synced_mode_ = synced;
  }
  auto transaction = Transaction::Begin(db, Transaction::Mode::kImmediate);
  if (!transaction.ok()) {
    set_all(transaction.status(), /*only_ok=*/false);
    stats->failed_writes += closures;
    return;
  }

  // A lone closure needs no savepoint: if it fails, the whole transaction
  // is rolled back.
  const bool use_savepoints = closures > 1;
  size_t succeeded = 0;
  absl::Status batch_failure;
  for (Writer* writer : batch) {
    // Each result starts OK; a closure that never runs because the batch
    // failed before it takes the batch's error below.
    for (absl::Status& result : writer->statuses) result = absl::OkStatus();
  }
  for (Writer* writer : batch) {
    for (size_t i = 0; i < writer->works.size() && batch_failure.ok(); ++i) {
      absl::Status& result = writer->statuses[i];
      if (use_savepoints) {
        batch_failure = RunStatement(db, "SAVEPOINT batched_write");
        if (!batch_failure.ok()) break;
      }
      result = writer->works[i](db);
      if (!db.in_transaction()) {
        // SQLite rolled the whole transaction back on its own (I/O error,
        // full disk): the changes of every closure so far are gone.
        batch_failure = result.ok()
                            ? absl::InternalError(absl::StrCat(
                                  "database ", db.path(),
                                  ": a write ended the batch transaction"))
                            : result;
        break;
      }
      if (result.ok()) {
        ++succeeded;
        if (use_savepoints) {
          batch_failure = RunStatement(db, "RELEASE batched_write");
        }
      } else if (use_savepoints) {
        batch_failure = RunStatement(db, "ROLLBACK TO batched_write");
        if (batch_failure.ok()) {
          batch_failure = RunStatement(db, "RELEASE batched_write");
        }
      }
    }
  }

  absl::Status commit;
  if (!batch_failure.ok()) {
    commit = absl::Status(
        batch_failure.code(),
        absl::StrCat("batch of ", closures,
                     " writes rolled back: ", batch_failure.message()));
  } else if (succeeded > 0) {
    // Synced, the WAL is fsynced here (synchronous=FULL): once Commit
    // returns OK every closure that succeeded survives a crash or power
    // loss, and so does every unsynced commit before it. Unsynced
    // (synchronous=NORMAL), the frames are only written: they survive a
    // crash of this process, and power loss only from the next sync on.
    CRASH_POINT(kMasterBatchBeforeCommit);
    commit = transaction->Commit();
    if (commit.ok()) CRASH_POINT(kMasterBatchAfterCommit);
  }
  // With no closure left to commit, the transaction rolls back when it goes
  // out of scope, and nothing is synced.
  if (!commit.ok()) {
    set_all(commit, /*only_ok=*/true);
    stats->failed_writes += closures;
    return;
  }
  if (succeeded > 0) {
    ++stats->transactions;
    if (!synced) ++stats->unsynced_transactions;
  }
  stats->committed_writes += succeeded;
  stats->failed_writes += closures - succeeded;
}

WriteBatcher::Stats WriteBatcher::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

size_t WriteBatcher::QueueLengthForTesting() const {
  absl::MutexLock lock(&mu_);
  return queue_.size() + running_writers_;
}

}  // namespace warehouse::master
