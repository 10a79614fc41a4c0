#include "master/needle_lister.h"

#include <memory>
#include <vector>

#include "absl/time/clock.h"
#include "common/grpc_auth.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "grpcpp/grpcpp.h"
#include "proto/warehouse/volume.grpc.pb.h"

namespace warehouse::master {

absl::Status GrpcNeedleLister::ListNeedles(const std::string& admin_address,
                                           uint32_t volume_id,
                                           const PageSink& page) {
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(admin_address, credentials_);
  std::unique_ptr<v1::VolumeAdmin::Stub> stub =
      v1::VolumeAdmin::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  const KeyRing::Key& key = keys_->primary();
  RETURN_IF_ERROR(AttachAuthorization(
      &context, FullMethodName("warehouse.v1.VolumeAdmin", "ListNeedles"),
      key.id, key.secret, absl::Now()));
  v1::ListNeedlesRequest request;
  request.set_volume_id(volume_id);
  std::unique_ptr<grpc::ClientReader<v1::NeedlePage>> reader =
      stub->ListNeedles(&context, request);
  v1::NeedlePage received;
  std::vector<ListedNeedle> needles;
  while (reader->Read(&received)) {
    needles.clear();
    needles.reserve(received.needles_size());
    for (const v1::NeedleSummary& summary : received.needles()) {
      needles.push_back(ListedNeedle{summary.needle_id(), summary.cookie(),
                                     summary.size_bytes()});
    }
    page(needles);
  }
  return FromGrpcStatus(reader->Finish());
}

}  // namespace warehouse::master
