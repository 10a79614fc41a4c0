// The VolumeAdmin gRPC service (proto/warehouse/volume.proto): operators and
// the master list, compact, freeze, verify and move this server's volumes.
// Callers must sign with the cluster key ring.
//
// Thread-safe.
#ifndef WAREHOUSE_VOLUME_ADMIN_SERVICE_H_
#define WAREHOUSE_VOLUME_ADMIN_SERVICE_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/key_ring.h"
#include "common/metrics.h"
#include "proto/warehouse/volume.grpc.pb.h"
#include "volume/store.h"

namespace warehouse::volume {

class AdminService final : public v1::VolumeAdmin::Service {
 public:
  // `*store`, `*keys` and `*checksum_failures` must outlive the service;
  // VerifyVolume adds the corrupt needles it finds to the last.
  AdminService(Store* store, const KeyRing* keys, Counter* checksum_failures)
      : store_(store), keys_(keys), checksum_failures_(checksum_failures) {}

  grpc::Status ListVolumes(grpc::ServerContext* context,
                           const v1::ListLocalVolumesRequest* request,
                           v1::ListLocalVolumesResponse* response) override;
  grpc::Status CompactVolume(
      grpc::ServerContext* context,
      const v1::CompactLocalVolumeRequest* request,
      grpc::ServerWriter<v1::CompactionProgress>* writer) override;
  grpc::Status SetReadOnly(grpc::ServerContext* context,
                           const v1::SetReadOnlyRequest* request,
                           v1::SetReadOnlyResponse* response) override;
  grpc::Status ListNeedles(grpc::ServerContext* context,
                           const v1::ListNeedlesRequest* request,
                           grpc::ServerWriter<v1::NeedlePage>* writer) override;
  grpc::Status VerifyVolume(
      grpc::ServerContext* context, const v1::VerifyLocalVolumeRequest* request,
      grpc::ServerWriter<v1::VerificationProgress>* writer) override;
  grpc::Status ExportVolume(
      grpc::ServerContext* context, const v1::ExportVolumeRequest* request,
      grpc::ServerWriter<v1::VolumeFilePiece>* writer) override;
  grpc::Status ImportVolume(grpc::ServerContext* context,
                            grpc::ServerReader<v1::VolumeFilePiece>* reader,
                            v1::ImportVolumeResponse* response) override;
  grpc::Status AdoptVolume(grpc::ServerContext* context,
                           const v1::AdoptVolumeRequest* request,
                           v1::VolumeStatus* response) override;

 private:
  // Errors: Unauthenticated.
  absl::Status Authenticate(const grpc::ServerContext& context,
                            absl::string_view method) const;

  Store* const store_;
  const KeyRing* const keys_;
  Counter* const checksum_failures_;
};

}  // namespace warehouse::volume

#endif  // WAREHOUSE_VOLUME_ADMIN_SERVICE_H_
