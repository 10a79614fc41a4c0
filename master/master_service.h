// The Master service: the client and administrator API
// (proto/warehouse/master.proto, docs/rpc.md).
//
// A thin adapter: every call is authenticated with an access key
// (AccessKeys), authorized by the key's role and buckets, validated, and
// handed to the domain object that does the work (MetadataStore, UrlIssuer,
// Topology, CompactionScheduler, ReadOnlySwitch); statuses map one to one
// to gRPC codes.
//
// Authorization: admin keys may call everything; read-write keys the
// bucket and object RPCs on their buckets; read-only keys (which only an
// operator can put in the database) the reading ones. A call without
// credentials, or with a wrong, unknown or revoked key, fails with
// UNAUTHENTICATED; a valid key without the right with PERMISSION_DENIED.
#ifndef WAREHOUSE_MASTER_MASTER_SERVICE_H_
#define WAREHOUSE_MASTER_MASTER_SERVICE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"
#include "master/access_keys.h"
#include "master/compaction_scheduler.h"
#include "master/consistency_check.h"
#include "master/metadata_backup.h"
#include "master/metadata_store.h"
#include "master/read_only_switch.h"
#include "master/topology.h"
#include "master/url_issuer.h"
#include "master/volume_mover.h"
#include "master/volume_verifier.h"
#include "proto/warehouse/master.grpc.pb.h"

namespace warehouse::master {

// Thread-safe. The borrowed objects must outlive the gRPC server that
// serves this service.
class MasterService final : public v1::Master::Service {
 public:
  MasterService(AccessKeys* keys, MetadataStore* store, Topology* topology,
                UrlIssuer* urls, CompactionScheduler* compactions,
                ReadOnlySwitch* read_only, ConsistencyChecker* checker,
                VolumeVerifier* verifier, MetadataBackup* backup,
                VolumeMover* mover);

  // Buckets and objects (master_service.cc).
  grpc::Status CreateBucket(grpc::ServerContext* context,
                            const v1::CreateBucketRequest* request,
                            v1::CreateBucketResponse* response) override;
  grpc::Status ListBuckets(grpc::ServerContext* context,
                           const v1::ListBucketsRequest* request,
                           v1::ListBucketsResponse* response) override;
  grpc::Status DeleteBucket(grpc::ServerContext* context,
                            const v1::DeleteBucketRequest* request,
                            v1::DeleteBucketResponse* response) override;
  grpc::Status BeginUpload(grpc::ServerContext* context,
                           const v1::BeginUploadRequest* request,
                           v1::BeginUploadResponse* response) override;
  grpc::Status LookupObject(grpc::ServerContext* context,
                            const v1::LookupObjectRequest* request,
                            v1::LookupObjectResponse* response) override;
  grpc::Status StatObject(grpc::ServerContext* context,
                          const v1::StatObjectRequest* request,
                          v1::StatObjectResponse* response) override;
  grpc::Status DeleteObject(grpc::ServerContext* context,
                            const v1::DeleteObjectRequest* request,
                            v1::DeleteObjectResponse* response) override;
  grpc::Status ListObjects(grpc::ServerContext* context,
                           const v1::ListObjectsRequest* request,
                           v1::ListObjectsResponse* response) override;

  // Administration (master_service_admin.cc).
  grpc::Status ListServers(grpc::ServerContext* context,
                           const v1::ListServersRequest* request,
                           v1::ListServersResponse* response) override;
  grpc::Status ListVolumes(grpc::ServerContext* context,
                           const v1::ListVolumesRequest* request,
                           v1::ListVolumesResponse* response) override;
  grpc::Status CompactVolume(grpc::ServerContext* context,
                             const v1::CompactVolumeRequest* request,
                             v1::CompactVolumeResponse* response) override;
  grpc::Status SetVolumeReadOnly(
      grpc::ServerContext* context, const v1::SetVolumeReadOnlyRequest* request,
      v1::SetVolumeReadOnlyResponse* response) override;
  grpc::Status SetServerDraining(
      grpc::ServerContext* context, const v1::SetServerDrainingRequest* request,
      v1::SetServerDrainingResponse* response) override;
  grpc::Status CreateAccessKey(grpc::ServerContext* context,
                               const v1::CreateAccessKeyRequest* request,
                               v1::CreateAccessKeyResponse* response) override;
  grpc::Status ListAccessKeys(grpc::ServerContext* context,
                              const v1::ListAccessKeysRequest* request,
                              v1::ListAccessKeysResponse* response) override;
  grpc::Status RevokeAccessKey(grpc::ServerContext* context,
                               const v1::RevokeAccessKeyRequest* request,
                               v1::RevokeAccessKeyResponse* response) override;
  grpc::Status CheckConsistency(
      grpc::ServerContext* context, const v1::CheckConsistencyRequest* request,
      v1::CheckConsistencyResponse* response) override;
  grpc::Status VerifyVolume(
      grpc::ServerContext* context, const v1::VerifyVolumeRequest* request,
      grpc::ServerWriter<v1::VerificationProgress>* writer) override;
  grpc::Status BackupMetadata(
      grpc::ServerContext* context, const v1::BackupMetadataRequest* request,
      grpc::ServerWriter<v1::BackupPiece>* writer) override;
  grpc::Status MoveVolume(
      grpc::ServerContext* context, const v1::MoveVolumeRequest* request,
      grpc::ServerWriter<v1::MoveVolumeProgress>* writer) override;

 private:
  // Authenticates the call to `method` and checks the key's role. Errors:
  // Unauthenticated; PermissionDenied; those of AccessKeys::Authenticate.
  absl::StatusOr<Caller> Authorize(const grpc::ServerContext& context,
                                   absl::string_view method, Right right) const;

  // Immutable after construction.
  AccessKeys* const keys_;
  MetadataStore* const store_;
  Topology* const topology_;
  UrlIssuer* const urls_;
  CompactionScheduler* const compactions_;
  ReadOnlySwitch* const read_only_;
  ConsistencyChecker* const checker_;
  VolumeVerifier* const verifier_;
  MetadataBackup* const backup_;
  VolumeMover* const mover_;
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_MASTER_SERVICE_H_
