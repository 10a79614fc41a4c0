#include "master/volume_verifier.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_auth.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "grpcpp/grpcpp.h"
#include "proto/warehouse/volume.grpc.pb.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {

absl::StatusOr<std::unique_ptr<VolumeVerifier>> VolumeVerifier::Create(
    Topology* topology, MetadataStore* store, const KeyRing* keys,
    std::shared_ptr<grpc::ChannelCredentials> credentials) {
  ASSIGN_OR_RETURN(auto latest, store->ListVerifications());
  return std::unique_ptr<VolumeVerifier>(new VolumeVerifier(
      topology, store, keys, std::move(credentials), std::move(latest)));
}

VolumeVerifier::VolumeVerifier(
    Topology* topology, MetadataStore* store, const KeyRing* keys,
    std::shared_ptr<grpc::ChannelCredentials> credentials,
    std::map<uint32_t, VerificationRecord> latest)
    : topology_(topology),
      store_(store),
      keys_(keys),
      credentials_(std::move(credentials)),
      latest_(std::move(latest)) {}

absl::StatusOr<v1::VerificationDone> VolumeVerifier::Verify(
    uint32_t volume_id, uint64_t bytes_per_second,
    grpc::ClientContext* context,
    const std::function<void(const v1::VerificationStep&)>& step) {
  // A volume no server holds is a wrong id, not a failed verification.
  ASSIGN_OR_RETURN(const VolumeLocation location,
                   topology_->LocateVolume(volume_id));
  VerificationRecord verification;
  verification.started = absl::Now();
  absl::StatusOr<v1::VerificationDone> done =
      ReadBack(location, bytes_per_second, context, step);
  if (!done.ok()) {
    absl::MutexLock lock(&mu_);
    ++stats_.failed;
    return done.status();
  }
  verification.finished = absl::Now();
  verification.needles_checked = done->needles_checked();
  verification.bytes_checked = done->bytes_checked();
  verification.corrupt_count = done->corrupt_count();
  Record(volume_id, verification);
  for (v1::CorruptNeedle& needle : *done->mutable_corrupt()) {
    ASSIGN_OR_RETURN(auto object,
                     store_->ObjectOfNeedle(volume_id, needle.needle_id()));
    if (!object) continue;
    needle.set_bucket(object->first);
    needle.set_key(object->second);
  }
  return done;
}

std::map<uint32_t, VerificationRecord> VolumeVerifier::Latest() const {
  absl::MutexLock lock(&mu_);
  return latest_;
}

VolumeVerifier::Stats VolumeVerifier::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void VolumeVerifier::Record(uint32_t volume_id,
                            const VerificationRecord& verification) {
  absl::Status stored = store_->PutVerification(volume_id, verification);
  if (!stored.ok()) {
    spdlog::warn("volume {}: the verification's result is not in the "
                 "database, only in memory until the master restarts: {}",
                 volume_id, stored.ToString());
  }
  absl::MutexLock lock(&mu_);
  latest_[volume_id] = verification;
  if (verification.corrupt_count == 0) {
    ++stats_.intact;
  } else {
    ++stats_.corrupt;
  }
}

absl::StatusOr<v1::VerificationDone> VolumeVerifier::ReadBack(
    const VolumeLocation& location, uint64_t bytes_per_second,
    grpc::ClientContext* context,
    const std::function<void(const v1::VerificationStep&)>& step) {
  const uint32_t volume_id = location.volume.volume_id;
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
  return *std::move(done);
}

}  // namespace warehouse::master
