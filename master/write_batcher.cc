#include "master/write_batcher.h"

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

struct WriteBatcher::Writer {
  explicit Writer(Work w) : work(w) {}

  Work work;
  // Written by the leader before `done` is set under mu_, read by the owner
  // after it sees `done`.
  absl::Status status;
  bool done = false;
  absl::CondVar cv;
};

WriteBatcher::WriteBatcher(std::unique_ptr<Database> db, size_t max_batch)
    : db_(std::move(db)), max_batch_(max_batch == 0 ? 1 : max_batch) {}

absl::Status WriteBatcher::Run(Work work) {
  Writer self(work);
  mu_.Lock();
  queue_.push_back(&self);
  while (!self.done && queue_.front() != &self) self.cv.Wait(&mu_);
  if (self.done) {
    mu_.Unlock();
    return std::move(self.status);
  }

  // This writer leads: take everything queued so far, itself first.
  std::vector<Writer*> batch;
  for (auto it = queue_.begin();
       it != queue_.end() && batch.size() < max_batch_; ++it) {
    batch.push_back(*it);
  }
  // Writers that arrive from now on queue behind the batch; none of them
  // is at the front, so none touches db_ until the batch is popped.
  mu_.Unlock();
  Stats delta;
  RunBatch(batch, &delta);
  mu_.Lock();

  stats_.transactions += delta.transactions;
  stats_.committed_writes += delta.committed_writes;
  stats_.failed_writes += delta.failed_writes;
  for (Writer* writer : batch) {
    queue_.pop_front();
    writer->done = true;
    if (writer != &self) writer->cv.Signal();
  }
  // Hand leadership to the first writer of the next batch.
  if (!queue_.empty()) queue_.front()->cv.Signal();
  mu_.Unlock();
  return std::move(self.status);
}

void WriteBatcher::RunBatch(const std::vector<Writer*>& batch, Stats* stats) {
  Database& db = *db_;
  auto transaction = Transaction::Begin(db, Transaction::Mode::kImmediate);
  if (!transaction.ok()) {
    for (Writer* writer : batch) writer->status = transaction.status();
    stats->failed_writes += batch.size();
    return;
  }

  // A lone closure needs no savepoint: if it fails, the whole transaction
  // is rolled back.
  const bool use_savepoints = batch.size() > 1;
  size_t succeeded = 0;
  absl::Status batch_failure;
  for (size_t i = 0; i < batch.size() && batch_failure.ok(); ++i) {
    Writer* writer = batch[i];
    if (use_savepoints) {
      batch_failure = RunStatement(db, "SAVEPOINT batched_write");
      if (!batch_failure.ok()) break;
    }
    writer->status = writer->work(db);
    if (!db.in_transaction()) {
      // SQLite rolled the whole transaction back on its own (I/O error,
      // full disk): the changes of every closure so far are gone.
      batch_failure = writer->status.ok()
                          ? absl::InternalError(absl::StrCat(
                                "database ", db.path(),
                                ": a write ended the batch transaction"))
                          : writer->status;
      break;
    }
    if (writer->status.ok()) {
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

  absl::Status commit;
  if (!batch_failure.ok()) {
    commit = absl::Status(
        batch_failure.code(),
        absl::StrCat("batch of ", batch.size(),
                     " writes rolled back: ", batch_failure.message()));
  } else if (succeeded > 0) {
    // The WAL is fsynced here (synchronous=FULL): once Commit returns OK
    // every closure that succeeded survives a crash or power loss.
    CRASH_POINT(kMasterBatchBeforeCommit);
    commit = transaction->Commit();
    if (commit.ok()) CRASH_POINT(kMasterBatchAfterCommit);
  }
  // With no closure left to commit, the transaction rolls back when it goes
  // out of scope, and nothing is synced.
  if (!commit.ok()) {
    for (Writer* writer : batch) {
      if (writer->status.ok()) writer->status = commit;
    }
    stats->failed_writes += batch.size();
    return;
  }
  if (succeeded > 0) ++stats->transactions;
  stats->committed_writes += succeeded;
  stats->failed_writes += batch.size() - succeeded;
}

WriteBatcher::Stats WriteBatcher::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

size_t WriteBatcher::QueueLengthForTesting() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

}  // namespace warehouse::master
