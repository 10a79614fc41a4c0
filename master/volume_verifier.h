// Verifying a volume through the master: the volume server that holds it
// reads back and checks every live needle (VolumeAdmin.VerifyVolume,
// docs/volume_server.md "Verifying a volume"); the master relays the
// progress, signs the call with the cluster key, and names the object each
// corrupt needle holds, which only its database knows. The latest
// verification of each volume that read it to the end is kept in the
// metadata database, so that ListVolumes shows it and the AutoVerifier
// knows which volume is due, across restarts of the master.
#ifndef WAREHOUSE_MASTER_VOLUME_VERIFIER_H_
#define WAREHOUSE_MASTER_VOLUME_VERIFIER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/key_ring.h"
#include "grpcpp/client_context.h"
#include "grpcpp/security/credentials.h"
#include "master/metadata_records.h"
#include "master/metadata_store.h"
#include "master/topology.h"
#include "proto/warehouse/common.pb.h"

namespace warehouse::master {

// Thread-safe.
class VolumeVerifier {
 public:
  // Verifications that ended since the master started, by outcome.
  struct Stats {
    uint64_t intact = 0;   // read to the end, every needle passed
    uint64_t corrupt = 0;  // read to the end, some needle failed
    uint64_t failed = 0;   // did not read to the end
  };

  // Loads the latest verifications from `*store`. `credentials`:
  // plaintext, or TLS checking the servers' certificates. `*topology`,
  // `*store` and `*keys` must outlive it. Errors: as
  // MetadataStore::ListVerifications.
  static absl::StatusOr<std::unique_ptr<VolumeVerifier>> Create(
      Topology* topology, MetadataStore* store, const KeyRing* keys,
      std::shared_ptr<grpc::ChannelCredentials> credentials);
  VolumeVerifier(const VolumeVerifier&) = delete;
  VolumeVerifier& operator=(const VolumeVerifier&) = delete;

  // Verifies `volume_id` on its server, reading at most `bytes_per_second`
  // (0: no limit), passing each progress step to `step`, and records the
  // result. `context` is the call's: its deadline and cancellation are the
  // caller's. Errors: NotFound (no server holds the volume); Unavailable
  // (its server is offline, registered no admin address, or cannot be
  // reached); the server's errors; Unavailable when the database cannot
  // name an object. A result the database cannot record is still returned
  // (and kept in memory), with a warning in the log.
  absl::StatusOr<v1::VerificationDone> Verify(
      uint32_t volume_id, uint64_t bytes_per_second,
      grpc::ClientContext* context,
      const std::function<void(const v1::VerificationStep&)>& step)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The latest verification of every volume that has one, by volume id.
  std::map<uint32_t, VerificationRecord> Latest() const
      ABSL_LOCKS_EXCLUDED(mu_);
  Stats stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  VolumeVerifier(Topology* topology, MetadataStore* store, const KeyRing* keys,
                 std::shared_ptr<grpc::ChannelCredentials> credentials,
                 std::map<uint32_t, VerificationRecord> latest);

  // Asks the server holding the volume at `location`; the result names no
  // objects yet.
  absl::StatusOr<v1::VerificationDone> ReadBack(
      const VolumeLocation& location, uint64_t bytes_per_second,
      grpc::ClientContext* context,
      const std::function<void(const v1::VerificationStep&)>& step);
  void Record(uint32_t volume_id, const VerificationRecord& verification)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Immutable after construction.
  Topology* const topology_;
  MetadataStore* const store_;
  const KeyRing* const keys_;
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;

  mutable absl::Mutex mu_;
  std::map<uint32_t, VerificationRecord> latest_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_VOLUME_VERIFIER_H_
