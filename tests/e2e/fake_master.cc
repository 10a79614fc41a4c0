#include "tests/e2e/fake_master.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_mapping.h"

namespace warehouse::testing {

FakeMaster::FakeMaster() {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(this);
  server_ = builder.BuildAndStart();
  address_ = absl::StrCat("127.0.0.1:", port);
}

FakeMaster::~FakeMaster() {
  server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
}

grpc::Status FakeMaster::Heartbeat(grpc::ServerContext*, Stream* stream) {
  v1::VolumeServerMessage message;
  while (stream->Read(&message)) {
    absl::MutexLock lock(&mu_);
    if (message.has_registration()) {
      registration_ = message.registration();
      if (!refusal_.ok()) return refusal_;
      stream_ = stream;
      public_address_ = message.registration().public_address();
    } else if (message.has_command_result()) {
      results_[message.command_result().command_id()] =
          message.command_result();
    }
  }
  absl::MutexLock lock(&mu_);
  if (stream_ == stream) stream_ = nullptr;
  return grpc::Status::OK;
}

v1::Registration FakeMaster::registration() const {
  absl::MutexLock lock(&mu_);
  return registration_;
}

void FakeMaster::RefuseRegistrations(grpc::Status status) {
  absl::MutexLock lock(&mu_);
  refusal_ = std::move(status);
}

bool FakeMaster::WaitForRegistration(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto registered = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stream_ != nullptr;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&registered), timeout);
}

absl::Status FakeMaster::RunCommand(v1::MasterCommand command,
                                    absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const uint64_t id = next_command_++;
  command.set_command_id(id);
  if (stream_ == nullptr || !stream_->Write(command)) {
    return absl::UnavailableError("no volume server connected");
  }
  auto answered = [this, id]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return results_.count(id) > 0;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&answered), timeout)) {
    return absl::DeadlineExceededError(absl::StrCat("command ", id));
  }
  return FromRpcStatus(results_[id].status());
}

void FakeMaster::SetVerdict(
    std::function<absl::Status(const v1::UploadReport&)> verdict) {
  absl::MutexLock lock(&mu_);
  verdict_ = std::move(verdict);
}

std::map<std::string, v1::UploadReport> FakeMaster::recorded() const {
  absl::MutexLock lock(&mu_);
  return recorded_;
}

std::string FakeMaster::public_address() const {
  absl::MutexLock lock(&mu_);
  return public_address_;
}

grpc::Status FakeMaster::ReportUploads(grpc::ServerContext*,
                                       const v1::ReportUploadsRequest* request,
                                       v1::ReportUploadsResponse* response) {
  absl::MutexLock lock(&mu_);
  for (const v1::UploadReport& report : request->uploads()) {
    absl::Status verdict = verdict_ ? verdict_(report) : absl::OkStatus();
    if (verdict.ok()) recorded_[report.upload_id()] = report;
    v1::UploadResult* result = response->add_results();
    result->set_upload_id(report.upload_id());
    *result->mutable_status() = ToRpcStatus(verdict);
  }
  return grpc::Status::OK;
}

}  // namespace warehouse::testing
