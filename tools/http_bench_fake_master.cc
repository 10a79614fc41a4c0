#include "tools/http_bench_fake_master.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace warehouse::bench {

absl::StatusOr<std::unique_ptr<FakeClusterMaster>> FakeClusterMaster::Start(
    const std::string& listen, std::vector<uint32_t> volumes) {
  std::unique_ptr<FakeClusterMaster> master(
      new FakeClusterMaster(std::move(volumes)));
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(),
                           &master->port_);
  builder.RegisterService(master.get());
  master->server_ = builder.BuildAndStart();
  if (master->server_ == nullptr || master->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("fake master: cannot listen on ", listen));
  }
  return master;
}

FakeClusterMaster::~FakeClusterMaster() { Shutdown(); }

void FakeClusterMaster::Shutdown() {
  if (server_ != nullptr) {
    server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  }
}

uint64_t FakeClusterMaster::reports() const {
  absl::MutexLock lock(&mu_);
  return reports_;
}

uint64_t FakeClusterMaster::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

grpc::Status FakeClusterMaster::Heartbeat(
    grpc::ServerContext*,
    grpc::ServerReaderWriter<v1::MasterCommand, v1::VolumeServerMessage>*
        stream) {
  v1::VolumeServerMessage message;
  while (stream->Read(&message)) {
    if (message.has_registration()) {
      const v1::Registration& registration = message.registration();
      std::set<uint32_t> held;
      for (const v1::VolumeStatus& volume : registration.volumes()) {
        held.insert(volume.volume_id());
      }
      for (uint32_t id : volumes_) {
        if (held.count(id) > 0) continue;
        v1::MasterCommand command;
        {
          absl::MutexLock lock(&mu_);
          command.set_command_id(next_command_++);
        }
        command.mutable_create_volume()->set_volume_id(id);
        if (!stream->Write(command)) break;
      }
      spdlog::info("fake master: {} registered", registration.server_id());
    } else if (message.has_command_result()) {
      const v1::CommandResult& result = message.command_result();
      if (result.status().code() != 0) {
        spdlog::error("fake master: command {} failed: {}",
                      result.command_id(), result.status().message());
      }
    }
  }
  return grpc::Status::OK;
}

grpc::Status FakeClusterMaster::ReportUploads(
    grpc::ServerContext*, const v1::ReportUploadsRequest* request,
    v1::ReportUploadsResponse* response) {
  for (const v1::UploadReport& report : request->uploads()) {
    response->add_results()->set_upload_id(report.upload_id());
  }
  absl::MutexLock lock(&mu_);
  reports_ += static_cast<uint64_t>(request->uploads_size());
  ++calls_;
  return grpc::Status::OK;
}

}  // namespace warehouse::bench
