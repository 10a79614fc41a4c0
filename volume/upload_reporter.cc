#include "volume/upload_reporter.h"

#include "absl/strings/str_cat.h"

namespace warehouse::volume {

UploadReporter::UploadReporter(SendBatch send, size_t max_batch)
    : send_(std::move(send)), max_batch_(max_batch) {}

absl::Status UploadReporter::Report(v1::UploadReport report) {
  Pending pending;
  pending.report = std::move(report);
  absl::MutexLock lock(&mu_);
  queue_.push_back(&pending);
  while (!pending.done) {
    if (sending_) {
      done_.Wait(&mu_);
      continue;
    }
    // Lead: send what is queued (this caller's report among it, unless an
    // earlier leader already took it).
    sending_ = true;
    std::vector<Pending*> batch;
    while (!queue_.empty() && batch.size() < max_batch_) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    std::vector<v1::UploadReport> reports;
    reports.reserve(batch.size());
    for (Pending* p : batch) reports.push_back(p->report);
    mu_.Unlock();
    absl::StatusOr<std::vector<absl::Status>> results = send_(reports);
    mu_.Lock();
    ++batches_sent_;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!results.ok()) {
        batch[i]->result = results.status();
      } else if (results->size() != batch.size()) {
        batch[i]->result = absl::InternalError(absl::StrCat(
            "master answered ", results->size(), " results for ",
            batch.size(), " upload reports"));
      } else {
        batch[i]->result = (*results)[i];
      }
      batch[i]->done = true;
    }
    sending_ = false;
    done_.SignalAll();
  }
  return pending.result;
}

uint64_t UploadReporter::batches_sent() const {
  absl::MutexLock lock(&mu_);
  return batches_sent_;
}

}  // namespace warehouse::volume
