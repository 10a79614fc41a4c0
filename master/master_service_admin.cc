// MasterService: servers, volumes, compaction and access keys (admin only).
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/access_key.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "master/master_service.h"
#include "master/proto_conversions.h"

namespace warehouse::master {
namespace {

// A volume as ListVolumes and SetVolumeReadOnly give it.
v1::VolumeInfo ToVolumeInfo(
    const VolumeLocation& location,
    const std::map<uint32_t, CompactionScheduler::VolumeCompaction>&
        compactions,
    const std::map<uint32_t, VerificationRecord>& verifications) {
  v1::VolumeInfo info;
  *info.mutable_status() = ToProto(location.volume);
  info.set_server_id(location.server_id);
  info.set_server_address(location.public_address);
  info.set_server_status(location.online ? v1::SERVER_STATUS_ONLINE
                                         : v1::SERVER_STATUS_OFFLINE);
  info.set_moving_to_server_id(location.volume.moving_to);
  auto compaction = compactions.find(location.volume.volume_id);
  if (compaction != compactions.end()) {
    *info.mutable_last_compaction() = ToProto(compaction->second);
  }
  auto verification = verifications.find(location.volume.volume_id);
  if (verification != verifications.end()) {
    *info.mutable_last_verification() = ToProto(verification->second);
  }
  return info;
}

}  // namespace

grpc::Status MasterService::ListServers(grpc::ServerContext* context,
                                        const v1::ListServersRequest*,
                                        v1::ListServersResponse* response) {
  return ToGrpcStatus([&]() -> absl::Status {
    RETURN_IF_ERROR(Authorize(*context, "ListServers", Right::kAdmin).status());
    for (const ServerView& server : topology_->Servers()) {
      *response->add_servers() = ToProto(server);
    }
    return absl::OkStatus();
  }());
}

grpc::Status MasterService::ListVolumes(grpc::ServerContext* context,
                                        const v1::ListVolumesRequest* request,
                                        v1::ListVolumesResponse* response) {
  return ToGrpcStatus([&]() -> absl::Status {
    RETURN_IF_ERROR(Authorize(*context, "ListVolumes", Right::kAdmin).status());
    const std::map<uint32_t, CompactionScheduler::VolumeCompaction>
        compactions = compactions_->Latest();
    const std::map<uint32_t, VerificationRecord> verifications =
        verifier_->Latest();
    for (const VolumeLocation& location :
         topology_->Volumes(request->server_id())) {
      *response->add_volumes() =
          ToVolumeInfo(location, compactions, verifications);
    }
    return absl::OkStatus();
  }());
}

grpc::Status MasterService::CompactVolume(
    grpc::ServerContext* context, const v1::CompactVolumeRequest* request,
    v1::CompactVolumeResponse* response) {
  return ToGrpcStatus([&]() -> absl::Status {
    RETURN_IF_ERROR(
        Authorize(*context, "CompactVolume", Right::kAdmin).status());
    switch (request->target_case()) {
      case v1::CompactVolumeRequest::kVolumeId:
        RETURN_IF_ERROR(compactions_->CompactVolume(
            request->volume_id(), request->bytes_per_second()));
        response->add_volume_ids(request->volume_id());
        return absl::OkStatus();
      case v1::CompactVolumeRequest::kMinGarbageRatio: {
        ASSIGN_OR_RETURN(
            const std::vector<uint32_t> started,
            compactions_->CompactByGarbageRatio(request->min_garbage_ratio(),
                                                request->bytes_per_second()));
        for (uint32_t volume_id : started) response->add_volume_ids(volume_id);
        return absl::OkStatus();
      }
      case v1::CompactVolumeRequest::TARGET_NOT_SET:
        break;
    }
    return absl::InvalidArgumentError(
        "CompactVolume: set volume_id or min_garbage_ratio");
  }());
}

grpc::Status MasterService::SetVolumeReadOnly(
    grpc::ServerContext* context, const v1::SetVolumeReadOnlyRequest* request,
    v1::SetVolumeReadOnlyResponse* response) {
  return ToGrpcStatus([&]() -> absl::Status {
    RETURN_IF_ERROR(
        Authorize(*context, "SetVolumeReadOnly", Right::kAdmin).status());
    ASSIGN_OR_RETURN(
        const VolumeLocation location,
        read_only_->Set(request->volume_id(), request->read_only()));
    *response->mutable_volume() =
        ToVolumeInfo(location, compactions_->Latest(), verifier_->Latest());
    return absl::OkStatus();
  }());
}

grpc::Status MasterService::SetServerDraining(
    grpc::ServerContext* context, const v1::SetServerDrainingRequest* request,
    v1::SetServerDrainingResponse* response) {
  return ToGrpcStatus([&]() -> absl::Status {
    RETURN_IF_ERROR(
        Authorize(*context, "SetServerDraining", Right::kAdmin).status());
    ASSIGN_OR_RETURN(
        const ServerView server,
        topology_->SetDraining(request->server_id(), request->draining()));
    *response->mutable_server() = ToProto(server);
    return absl::OkStatus();
  }());
}

grpc::Status MasterService::CreateAccessKey(
    grpc::ServerContext* context, const v1::CreateAccessKeyRequest* request,
    v1::CreateAccessKeyResponse* response) {
  return ToGrpcStatus([&]() -> absl::Status {
    RETURN_IF_ERROR(
        Authorize(*context, "CreateAccessKey", Right::kAdmin).status());
    Role role;
    switch (request->role()) {
      case v1::ROLE_ADMIN:
        role = Role::kAdmin;
        break;
      case v1::ROLE_READ_WRITE:
        role = Role::kReadWrite;
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("CreateAccessKey: role ", request->role(),
                         " is not ROLE_ADMIN or ROLE_READ_WRITE"));
    }
    std::vector<std::string> buckets(request->buckets().begin(),
                                     request->buckets().end());
    ASSIGN_OR_RETURN(
        NewAccessKey created,
        keys_->Create(role, std::move(buckets), request->description()));
    *response->mutable_key() = ToProto(created.key);
    response->set_secret_access_key(created.secret);
    return absl::OkStatus();
  }());
}

grpc::Status MasterService::ListAccessKeys(
    grpc::ServerContext* context, const v1::ListAccessKeysRequest*,
    v1::ListAccessKeysResponse* response) {
  return ToGrpcStatus([&]() -> absl::Status {
    RETURN_IF_ERROR(
        Authorize(*context, "ListAccessKeys", Right::kAdmin).status());
    ASSIGN_OR_RETURN(const std::vector<AccessKey> keys, keys_->ListActive());
    for (const AccessKey& key : keys) *response->add_keys() = ToProto(key);
    return absl::OkStatus();
  }());
}

grpc::Status MasterService::RevokeAccessKey(
    grpc::ServerContext* context, const v1::RevokeAccessKeyRequest* request,
    v1::RevokeAccessKeyResponse*) {
  return ToGrpcStatus([&]() -> absl::Status {
    RETURN_IF_ERROR(
        Authorize(*context, "RevokeAccessKey", Right::kAdmin).status());
    RETURN_IF_ERROR(ValidateAccessKeyId(request->access_key_id()));
    return keys_->Revoke(request->access_key_id());
  }());
}

grpc::Status MasterService::CheckConsistency(
    grpc::ServerContext* context, const v1::CheckConsistencyRequest* request,
    v1::CheckConsistencyResponse* response) {
  return ToGrpcStatus([&]() -> absl::Status {
    RETURN_IF_ERROR(
        Authorize(*context, "CheckConsistency", Right::kAdmin).status());
    ConsistencyChecker::Options options;
    options.repair_orphans = request->repair_orphans();
    if (request->max_findings() != 0) {
      options.max_findings = request->max_findings();
    }
    ASSIGN_OR_RETURN(const ConsistencyReport report, checker_->Check(options));
    *response = ToProto(report);
    return absl::OkStatus();
  }());
}

grpc::Status MasterService::VerifyVolume(
    grpc::ServerContext* context, const v1::VerifyVolumeRequest* request,
    grpc::ServerWriter<v1::VerificationProgress>* writer) {
  return ToGrpcStatus([&]() -> absl::Status {
    RETURN_IF_ERROR(Authorize(*context, "VerifyVolume", Right::kAdmin).status());
    if (request->volume_id() == 0) {
      return absl::InvalidArgumentError("volume id 0 names no volume");
    }
    // The caller's deadline and cancellation reach the volume server.
    std::unique_ptr<grpc::ClientContext> call =
        grpc::ClientContext::FromServerContext(*context);
    ASSIGN_OR_RETURN(
        v1::VerificationDone done,
        verifier_->Verify(request->volume_id(), request->bytes_per_second(),
                          call.get(), [writer](const v1::VerificationStep& s) {
                            v1::VerificationProgress progress;
                            *progress.mutable_step() = s;
                            writer->Write(progress);
                          }));
    v1::VerificationProgress last;
    *last.mutable_done() = std::move(done);
    writer->Write(last);
    return absl::OkStatus();
  }());
}

grpc::Status MasterService::BackupMetadata(
    grpc::ServerContext* context, const v1::BackupMetadataRequest*,
    grpc::ServerWriter<v1::BackupPiece>* writer) {
  return ToGrpcStatus([&]() -> absl::Status {
    RETURN_IF_ERROR(
        Authorize(*context, "BackupMetadata", Right::kAdmin).status());
    v1::BackupPiece piece;
    ASSIGN_OR_RETURN(
        const MetadataBackup::Result result,
        backup_->Stream([&](absl::string_view bytes) -> absl::Status {
          piece.set_data(bytes.data(), bytes.size());
          if (!writer->Write(piece)) {
            return absl::CancelledError(
                "metadata backup: the caller went away");
          }
          return absl::OkStatus();
        }));
    v1::BackupDone* done = piece.mutable_done();
    done->set_total_bytes(result.bytes);
    done->set_sha256(result.sha256);
    writer->Write(piece);
    return absl::OkStatus();
  }());
}

grpc::Status MasterService::MoveVolume(
    grpc::ServerContext* context, const v1::MoveVolumeRequest* request,
    grpc::ServerWriter<v1::MoveVolumeProgress>* writer) {
  return ToGrpcStatus([&]() -> absl::Status {
    RETURN_IF_ERROR(Authorize(*context, "MoveVolume", Right::kAdmin).status());
    if (request->volume_id() == 0) {
      return absl::InvalidArgumentError("volume id 0 names no volume");
    }
    ASSIGN_OR_RETURN(
        const VolumeMover::Result result,
        mover_->Move(request->volume_id(), request->to_server_id(),
                     request->bytes_per_second(), context,
                     [writer](uint64_t done, uint64_t total) {
                       v1::MoveVolumeProgress progress;
                       progress.mutable_copied()->set_bytes(done);
                       progress.mutable_copied()->set_total_bytes(total);
                       writer->Write(progress);
                     }));
    v1::MoveVolumeProgress last;
    v1::MoveVolumeProgress::Done* done = last.mutable_done();
    done->set_from_server_id(result.from_server);
    done->set_to_server_id(result.to_server);
    done->set_bytes(result.bytes);
    done->set_writable(result.writable);
    writer->Write(last);
    return absl::OkStatus();
  }());
}

}  // namespace warehouse::master
