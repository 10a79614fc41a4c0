// An in-process stand-in for the master's Cluster service, for tests of the
// volume server alone: it accepts heartbeat streams, can send commands, and
// records (or refuses) upload reports as told.
#ifndef WAREHOUSE_TESTS_E2E_FAKE_MASTER_H_
#define WAREHOUSE_TESTS_E2E_FAKE_MASTER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/warehouse/master.grpc.pb.h"

namespace warehouse::testing {

class FakeMaster final : public v1::Cluster::Service {
 public:
  // Starts serving on 127.0.0.1 (any free port).
  FakeMaster();
  ~FakeMaster() override;

  std::string address() const { return address_; }

  // Sends `command` to the registered server and waits for its result.
  // Errors: DeadlineExceeded, or the server's result status.
  absl::Status RunCommand(v1::MasterCommand command, absl::Duration timeout)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until a server has registered on an open stream.
  bool WaitForRegistration(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);

  // Decides each upload report; OK by default.
  void SetVerdict(std::function<absl::Status(const v1::UploadReport&)> verdict)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Upload reports recorded (verdict OK), by upload id.
  std::map<std::string, v1::UploadReport> recorded() const
      ABSL_LOCKS_EXCLUDED(mu_);
  std::string public_address() const ABSL_LOCKS_EXCLUDED(mu_);
  // The last registration received.
  v1::Registration registration() const ABSL_LOCKS_EXCLUDED(mu_);
  // Ends every heartbeat stream from now on with `status` when its
  // registration arrives.
  void RefuseRegistrations(grpc::Status status) ABSL_LOCKS_EXCLUDED(mu_);

  grpc::Status Heartbeat(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::MasterCommand, v1::VolumeServerMessage>*
          stream) override ABSL_LOCKS_EXCLUDED(mu_);
  grpc::Status ReportUploads(grpc::ServerContext* context,
                             const v1::ReportUploadsRequest* request,
                             v1::ReportUploadsResponse* response) override
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  using Stream =
      grpc::ServerReaderWriter<v1::MasterCommand, v1::VolumeServerMessage>;

  std::unique_ptr<grpc::Server> server_;
  std::string address_;

  mutable absl::Mutex mu_;
  Stream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::string public_address_ ABSL_GUARDED_BY(mu_);
  v1::Registration registration_ ABSL_GUARDED_BY(mu_);
  grpc::Status refusal_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, v1::CommandResult> results_ ABSL_GUARDED_BY(mu_);
  uint64_t next_command_ ABSL_GUARDED_BY(mu_) = 1;
  std::function<absl::Status(const v1::UploadReport&)> verdict_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::UploadReport> recorded_ ABSL_GUARDED_BY(mu_);
};

}  // namespace warehouse::testing

#endif  // WAREHOUSE_TESTS_E2E_FAKE_MASTER_H_
