#include "master/cluster_service.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/crash_point.h"
#include "common/file_id.h"
#include "common/grpc_auth.h"
#include "common/rpc_auth.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "master/proto_conversions.h"
#include "master/upload_id.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {
namespace {

std::string Method(absl::string_view name) {
  return FullMethodName(v1::Cluster::service_full_name(), name);
}

// Checks one report against what the master knows before the store
// decides, and builds the store's request.
absl::StatusOr<CommitUploadRequest> ToCommitRequest(
    const std::string& server_id, const v1::UploadReport& report,
    const Topology& topology) {
  ASSIGN_OR_RETURN(const UploadId upload_id,
                   UploadId::Parse(report.upload_id()));
  ASSIGN_OR_RETURN(const FileId file_id, FileId::Parse(report.file_id()));
  if (file_id.volume_id != upload_id.volume_id ||
      file_id.cookie != upload_id.cookie) {
    return absl::InvalidArgumentError(
        absl::StrCat("upload ", report.upload_id(), ": reported file id ",
                     report.file_id(), " is not the upload's needle"));
  }
  absl::StatusOr<VolumeLocation> location =
      topology.LocateVolume(file_id.volume_id);
  if (location.ok() && location->server_id != server_id) {
    return absl::InvalidArgumentError(
        absl::StrCat("upload ", report.upload_id(), ": volume ",
                     file_id.volume_id, " is held by volume server ",
                     location->server_id, ", not ", server_id));
  }
  if (report.size_bytes() >
      static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat("upload ", report.upload_id(), ": size ",
                     report.size_bytes(), " is out of range"));
  }
  CommitUploadRequest request;
  request.upload_id = upload_id.number;
  request.needle = {file_id.volume_id, file_id.needle_id, file_id.cookie};
  request.size = static_cast<int64_t>(report.size_bytes());
  request.etag = absl::StrFormat("%08x", report.crc32c());
  request.content_type = report.content_type();
  return request;
}

}  // namespace

ClusterService::ClusterService(const KeyRing* keys, Topology* topology,
                               CommandQueue* commands, MetadataStore* store,
                               VolumeMover* mover)
    : keys_(keys),
      topology_(topology),
      commands_(commands),
      store_(store),
      mover_(mover) {}

void ClusterService::BeginShutdown() {
  shutting_down_ = true;
  topology_->CancelAllStreams();
}

grpc::Status ClusterService::Heartbeat(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::MasterCommand, v1::VolumeServerMessage>*
        stream) {
  absl::StatusOr<std::string> key_id = AuthenticateCall(
      *context, Method("Heartbeat"), absl::Now(), KeyRingLookup(*keys_));
  if (!key_id.ok()) return ToGrpcStatus(key_id.status());
  if (shutting_down_) {
    return ToGrpcStatus(absl::UnavailableError("the master is shutting down"));
  }
  v1::VolumeServerMessage first;
  if (!stream->Read(&first)) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        "heartbeat stream ended before its registration"));
  }
  if (!first.has_registration()) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        "the first message of a heartbeat stream must be a registration"));
  }
  const ServerRegistration registration = FromProto(first.registration());
  const std::string& server_id = registration.server_id;
  absl::StatusOr<uint64_t> session =
      topology_->Register(registration, [context] { context->TryCancel(); });
  if (!session.ok()) {
    spdlog::warn("volume server {}: registration refused: {}", server_id,
                 session.status().ToString());
    return ToGrpcStatus(session.status());
  }
  if (shutting_down_) {
    // BeginShutdown may have cancelled streams just before this one
    // registered.
    topology_->Disconnect(server_id, *session, "the master is shutting down");
    return ToGrpcStatus(absl::UnavailableError("the master is shutting down"));
  }
  const uint64_t attachment =
      commands_->Attach(server_id, [stream](const v1::MasterCommand& command) {
        return stream->Write(command);
      });
  mover_->OnReport(server_id);

  absl::Status ended;
  v1::VolumeServerMessage message;
  while (ended.ok() && stream->Read(&message)) {
    switch (message.message_case()) {
      case v1::VolumeServerMessage::kHeartbeat:
        ended = topology_->Report(server_id, *session,
                                  FromProto(message.heartbeat()));
        if (ended.ok()) mover_->OnReport(server_id);
        break;
      case v1::VolumeServerMessage::kCommandResult:
        commands_->Complete(server_id, message.command_result());
        break;
      case v1::VolumeServerMessage::kRegistration:
        ended = absl::InvalidArgumentError(
            absl::StrCat("volume server ", server_id,
                         ": a registration may only be the first message"));
        break;
      case v1::VolumeServerMessage::MESSAGE_NOT_SET:
        ended = absl::InvalidArgumentError(absl::StrCat(
            "volume server ", server_id, ": empty heartbeat stream message"));
        break;
    }
  }
  commands_->Detach(attachment);
  std::string reason;
  if (!ended.ok()) {
    reason = std::string(ended.message());
  } else if (context->IsCancelled()) {
    reason = "heartbeat stream cancelled";
  } else {
    reason = "heartbeat stream closed";
  }
  topology_->Disconnect(server_id, *session, reason);
  return ToGrpcStatus(ended);
}

grpc::Status ClusterService::ReportUploads(
    grpc::ServerContext* context, const v1::ReportUploadsRequest* request,
    v1::ReportUploadsResponse* response) {
  absl::StatusOr<std::string> key_id = AuthenticateCall(
      *context, Method("ReportUploads"), absl::Now(), KeyRingLookup(*keys_));
  if (!key_id.ok()) return ToGrpcStatus(key_id.status());
  const std::string& server_id = request->server_id();
  if (!topology_->IsOnline(server_id)) {
    return ToGrpcStatus(absl::UnavailableError(absl::StrCat(
        "volume server ", server_id,
        " is not registered: its heartbeat stream must be open to report "
        "uploads; retry once it is")));
  }
  // Commit the reports together: one transaction, one fsync, shared with
  // whatever else the store is writing.
  const int count = request->uploads_size();
  std::vector<absl::Status> statuses(count);
  std::vector<CommitUploadRequest> commits;
  std::vector<int> committed;  // the index of each commit's report
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<CommitUploadRequest> commit =
        ToCommitRequest(server_id, request->uploads(i), *topology_);
    if (!commit.ok()) {
      statuses[i] = commit.status();
      continue;
    }
    commits.push_back(*std::move(commit));
    committed.push_back(i);
  }
  std::vector<absl::StatusOr<ObjectRecord>> objects =
      store_->CommitUploads(commits);
  for (size_t j = 0; j < committed.size(); ++j) {
    statuses[committed[j]] = objects[j].status();
  }
  for (int i = 0; i < count; ++i) {
    const v1::UploadReport& report = request->uploads(i);
    v1::UploadResult* result = response->add_results();
    result->set_upload_id(report.upload_id());
    const absl::Status& status = statuses[i];
    if (absl::IsUnavailable(status)) {
      // The database failed, not the upload: a per-item error would make
      // the volume server delete a durable needle. Reports are idempotent,
      // so the whole batch may be sent again.
      response->Clear();
      return ToGrpcStatus(absl::UnavailableError(absl::StrCat(
          "volume server ", server_id, ": upload ", report.upload_id(),
          " could not be recorded (", status.message(), "); retry the batch")));
    }
    if (!status.ok()) {
      spdlog::info("volume server {}: upload {} refused: {}", server_id,
                   report.upload_id(), status.ToString());
    }
    *result->mutable_status() = ToRpcStatus(status);
  }
  CRASH_POINT(kMasterReportBeforeAnswer);
  return grpc::Status::OK;
}

}  // namespace warehouse::master
