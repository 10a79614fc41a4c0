// Verifying a volume through the master: the volume server that holds it
// reads back and checks every live needle (VolumeAdmin.VerifyVolume,
// docs/volume_server.md "Verifying a volume"); the master relays the
// progress, signs the call with the cluster key, and names the object each
// corrupt needle holds, which only its database knows.
#ifndef WAREHOUSE_MASTER_VOLUME_VERIFIER_H_
#define WAREHOUSE_MASTER_VOLUME_VERIFIER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "common/key_ring.h"
#include "grpcpp/client_context.h"
#include "grpcpp/security/credentials.h"
#include "master/metadata_store.h"
#include "master/topology.h"
#include "proto/warehouse/common.pb.h"

namespace warehouse::master {

// Thread-safe. `*topology`, `*store` and `*keys` must outlive it.
class VolumeVerifier {
 public:
  // `credentials`: plaintext, or TLS checking the servers' certificates.
  VolumeVerifier(Topology* topology, MetadataStore* store, const KeyRing* keys,
                 std::shared_ptr<grpc::ChannelCredentials> credentials)
      : topology_(topology),
        store_(store),
        keys_(keys),
        credentials_(std::move(credentials)) {}

  // Verifies `volume_id` on its server, reading at most `bytes_per_second`
  // (0: no limit), passing each progress step to `step`. `context` is the
  // call's: its deadline and cancellation are the caller's. Errors:
  // NotFound (no server holds the volume); Unavailable (its server is
  // offline, registered no admin address, or cannot be reached); the
  // server's errors; Unavailable when the database cannot name an object.
  absl::StatusOr<v1::VerificationDone> Verify(
      uint32_t volume_id, uint64_t bytes_per_second,
      grpc::ClientContext* context,
      const std::function<void(const v1::VerificationStep&)>& step);

 private:
  Topology* const topology_;
  MetadataStore* const store_;
  const KeyRing* const keys_;
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_VOLUME_VERIFIER_H_
