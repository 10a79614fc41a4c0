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
  Writer(absl::Span<const Work> w, absl::Span<absl::Status> s)
      : works(w), statuses(s) {}

  absl::Span<const Work> works;
  // Written by the leader before `done` is set under mu_, read by the owner
  // after it sees `done`; one per closure.
  absl::Span<absl::Status> statuses;
  bool done = false;
  absl::CondVar cv;
};

WriteBatcher::WriteBatcher(std::unique_ptr<Database> db, size_t max_batch)
    : db_(std::move(db)), max_batch_(max_batch == 0 ? 1 : max_batch) {}

absl::Status WriteBatcher::Run(Work work) {
  absl::Status status;
  RunEach(absl::MakeConstSpan(&work, 1), absl::MakeSpan(&status, 1));
  return status;
}

void WriteBatcher::RunEach(absl::Span<const Work> works,
                           absl::Span<absl::Status> statuses) {
  assert(works.size() == statuses.size());
  if (works.empty()) return;
  Writer self(works, statuses);
  mu_.Lock();
  queue_.push_back(&self);
  while (!self.done && queue_.front() != &self) self.cv.Wait(&mu_);
  if (self.done) {
    mu_.Unlock();
    return;
  }

  // This writer leads: take everything queued so far, itself first, up to
  // max_batch_ closures (its own all, whatever their number).
  std::vector<Writer*> batch;
  size_t closures = 0;
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (!batch.empty() && closures + (*it)->works.size() > max_batch_) break;
    batch.push_back(*it);
    closures += (*it)->works.size();
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
}

void WriteBatcher::RunBatch(const std::vector<Writer*>& batch, Stats* stats) {
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
    // The WAL is fsynced here (synchronous=FULL): once Commit returns OK
    // every closure that succeeded survives a crash or power loss.
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
  if (succeeded > 0) ++stats->transactions;
  stats->committed_writes += succeeded;
  stats->failed_writes += closures - succeeded;
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
