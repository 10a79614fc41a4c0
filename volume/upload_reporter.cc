#include "volume/upload_reporter.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_auth.h"
#include "common/status_mapping.h"

namespace warehouse::volume {

UploadReporter::UploadReporter(SendBatch send, size_t max_batch)
    : send_(std::move(send)), max_batch_(max_batch) {}

absl::Status UploadReporter::Report(v1::UploadReport report) {
  Pending pending;
  pending.report = std::move(report);
  absl::MutexLock lock(&mu_);
  queue_.push_back(&pending);
  while (sending_ && !pending.done) pending.wake.Wait(&mu_);
  if (pending.done) return pending.result;
  // Lead: a caller leads when it finds no round trip in flight, on arrival
  // or woken as the first in line. It sends what is queued, from the front,
  // until its own report has been answered.
  sending_ = true;
  while (!pending.done) {
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
    // Wake only the callers answered and, once this one's report is among
    // them, the first in line to send next: first, so the next round trip
    // is not queued behind the answered callers' wake-ups.
    if (pending.done) {
      sending_ = false;
      if (!queue_.empty()) queue_.front()->wake.Signal();
    }
    for (Pending* p : batch) {
      if (p != &pending) p->wake.Signal();
    }
  }
  return pending.result;
}

uint64_t UploadReporter::batches_sent() const {
  absl::MutexLock lock(&mu_);
  return batches_sent_;
}

UploadReporter::SendBatch MakeClusterSender(
    std::shared_ptr<grpc::Channel> channel, std::string server_id,
    const KeyRing* keys, absl::Duration timeout) {
  std::shared_ptr<v1::Cluster::Stub> stub = v1::Cluster::NewStub(channel);
  return [stub, server_id = std::move(server_id), keys,
          timeout](const std::vector<v1::UploadReport>& batch)
             -> absl::StatusOr<std::vector<absl::Status>> {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    const KeyRing::Key& key = keys->primary();
    absl::Status auth = AttachAuthorization(
        &context, FullMethodName("warehouse.v1.Cluster", "ReportUploads"),
        key.id, key.secret, absl::Now());
    if (!auth.ok()) return auth;
    v1::ReportUploadsRequest request;
    request.set_server_id(server_id);
    for (const v1::UploadReport& report : batch) *request.add_uploads() = report;
    v1::ReportUploadsResponse response;
    absl::Status status =
        FromGrpcStatus(stub->ReportUploads(&context, request, &response));
    if (!status.ok()) return status;
    std::vector<absl::Status> results;
    for (const v1::UploadResult& result : response.results()) {
      results.push_back(FromRpcStatus(result.status()));
    }
    return results;
  };
}

}  // namespace warehouse::volume
