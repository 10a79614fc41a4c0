#include "master/volume_verifier.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_auth.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "grpcpp/grpcpp.h"
#include "proto/warehouse/volume.grpc.pb.h"

namespace warehouse::master {

absl::StatusOr<v1::VerificationDone> VolumeVerifier::Verify(
    uint32_t volume_id, uint64_t bytes_per_second,
    grpc::ClientContext* context,
    const std::function<void(const v1::VerificationStep&)>& step) {
  ASSIGN_OR_RETURN(const VolumeLocation location,
                   topology_->LocateVolume(volume_id));
  if (!location.online) {
    return absl::UnavailableError(
        absl::StrCat("volume ", volume_id, ": its volume server ",
                     location.server_id, " is offline"));
  }
  if (location.admin_address.empty()) {
    return absl::UnavailableError(
        absl::StrCat("volume ", volume_id, ": its volume server ",
                     location.server_id, " registered no admin address"));
  }
  std::unique_ptr<v1::VolumeAdmin::Stub> stub =
      v1::VolumeAdmin::NewStub(grpc::CreateChannel(location.admin_address, credentials_));
  const KeyRing::Key& key = keys_->primary();
  RETURN_IF_ERROR(AttachAuthorization(
      context, FullMethodName("warehouse.v1.VolumeAdmin", "VerifyVolume"),
      key.id, key.secret, absl::Now()));
  v1::VerifyLocalVolumeRequest request;
  request.set_volume_id(volume_id);
  request.set_bytes_per_second(bytes_per_second);
  std::unique_ptr<grpc::ClientReader<v1::VerificationProgress>> reader =
      stub->VerifyVolume(context, request);
  v1::VerificationProgress received;
  std::optional<v1::VerificationDone> done;
  while (reader->Read(&received)) {
    if (received.has_step()) step(received.step());
    if (received.has_done()) done = received.done();
  }
  absl::Status finished = FromGrpcStatus(reader->Finish());
  if (!finished.ok()) {
    return absl::Status(finished.code(),
                        absl::StrCat("volume ", volume_id, ": volume server ",
                                     location.server_id, ": ",
                                     finished.message()));
  }
  if (!done) {
    return absl::UnavailableError(
        absl::StrCat("volume ", volume_id, ": volume server ",
                     location.server_id, " ended without a result"));
  }
  for (v1::CorruptNeedle& needle : *done->mutable_corrupt()) {
    ASSIGN_OR_RETURN(auto object,
                     store_->ObjectOfNeedle(volume_id, needle.needle_id()));
    if (!object) continue;
    needle.set_bucket(object->first);
    needle.set_key(object->second);
  }
  return *std::move(done);
}

}  // namespace warehouse::master
