// Tells the master, in batches, which uploads are now durable.
//
// A PUT is answered only once the master has recorded its object, so every
// upload waits for a ReportUploads round trip. Concurrent uploads share
// round trips: the first caller to find none in flight sends everything
// queued so far, and the callers that queued meanwhile wait for the next
// one. When a round trip is answered, only the callers it answered wake,
// and the first caller still in line, which sends the next one (unless a
// caller arriving meanwhile took the lead).
//
// Thread-safe.
#ifndef WAREHOUSE_VOLUME_UPLOAD_REPORTER_H_
#define WAREHOUSE_VOLUME_UPLOAD_REPORTER_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/key_ring.h"
#include "grpcpp/grpcpp.h"
#include "proto/warehouse/master.grpc.pb.h"

namespace warehouse::volume {

class UploadReporter {
 public:
  // Sends one batch; returns one status per report, in order, or the error
  // that kept the whole batch from being recorded.
  using SendBatch = std::function<absl::StatusOr<std::vector<absl::Status>>(
      const std::vector<v1::UploadReport>& batch)>;

  explicit UploadReporter(SendBatch send, size_t max_batch = 512);
  UploadReporter(const UploadReporter&) = delete;
  UploadReporter& operator=(const UploadReporter&) = delete;

  // Blocks until the master has answered for `report`. Errors: the master's
  // verdict on this upload (NotFound, InvalidArgument, FailedPrecondition:
  // it will never be recorded), or Unavailable / DeadlineExceeded when the
  // outcome is unknown.
  absl::Status Report(v1::UploadReport report) ABSL_LOCKS_EXCLUDED(mu_);

  // Round trips so far, for tests and metrics.
  uint64_t batches_sent() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // A caller's report, on the caller's stack while it waits.
  struct Pending {
    v1::UploadReport report;
    absl::Status result;
    bool done = false;   // answered: `result` holds the verdict
    absl::CondVar wake;  // signalled when done, or when first in line
                         // once no round trip is in flight
  };

  const SendBatch send_;
  const size_t max_batch_;

  mutable absl::Mutex mu_;
  std::deque<Pending*> queue_ ABSL_GUARDED_BY(mu_);
  // A round trip is in flight.
  bool sending_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t batches_sent_ ABSL_GUARDED_BY(mu_) = 0;
};

// A SendBatch that calls Cluster.ReportUploads on `channel` as server
// `server_id`, signing with the primary key of `*keys` (which must outlive
// it), with a deadline of `timeout` per round trip.
UploadReporter::SendBatch MakeClusterSender(
    std::shared_ptr<grpc::Channel> channel, std::string server_id,
    const KeyRing* keys, absl::Duration timeout = absl::Seconds(10));

}  // namespace warehouse::volume

#endif  // WAREHOUSE_VOLUME_UPLOAD_REPORTER_H_
