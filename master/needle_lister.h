// The NeedleLister the master uses: VolumeAdmin.ListNeedles over gRPC,
// signed with the cluster key ring's primary key.
#ifndef WAREHOUSE_MASTER_NEEDLE_LISTER_H_
#define WAREHOUSE_MASTER_NEEDLE_LISTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/key_ring.h"
#include "grpcpp/security/credentials.h"
#include "master/consistency_check.h"

namespace warehouse::master {

// Thread-safe. `*keys` must outlive it.
class GrpcNeedleLister final : public NeedleLister {
 public:
  // `credentials`: plaintext, or TLS checking the servers' certificates.
  // `timeout` bounds one volume's whole listing.
  GrpcNeedleLister(const KeyRing* keys,
                   std::shared_ptr<grpc::ChannelCredentials> credentials,
                   absl::Duration timeout)
      : keys_(keys), credentials_(std::move(credentials)), timeout_(timeout) {}

  // Errors: those of the call (Unavailable when the server cannot be
  // reached, DeadlineExceeded past the timeout, NotFound for a volume the
  // server does not hold, DataLoss from its disk).
  absl::Status ListNeedles(const std::string& admin_address,
                           uint32_t volume_id, const PageSink& page) override;

 private:
  const KeyRing* const keys_;
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  const absl::Duration timeout_;
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_NEEDLE_LISTER_H_
