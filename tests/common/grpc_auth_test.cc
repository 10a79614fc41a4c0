#include "common/grpc_auth.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "common/key_ring.h"
#include "common/status_mapping.h"
#include "grpcpp/grpcpp.h"
#include "proto/warehouse/volume.grpc.pb.h"

namespace warehouse {
namespace {

// A VolumeAdmin whose ListVolumes authenticates with the cluster key ring
// and reports one volume; just enough to carry real calls over loopback.
class AuthenticatingVolumeAdmin final : public v1::VolumeAdmin::Service {
 public:
  explicit AuthenticatingVolumeAdmin(const KeyRing* keys) : keys_(keys) {}

  grpc::Status ListVolumes(grpc::ServerContext* context,
                           const v1::ListLocalVolumesRequest*,
                           v1::ListLocalVolumesResponse* response) override {
    absl::StatusOr<std::string> key_id = AuthenticateCall(
        *context,
        FullMethodName(v1::VolumeAdmin::service_full_name(), "ListVolumes"),
        absl::Now(), KeyRingLookup(*keys_));
    if (!key_id.ok()) return ToGrpcStatus(key_id.status());
    response->add_volumes()->set_volume_id(7);
    return grpc::Status::OK;
  }

 private:
  const KeyRing* const keys_;  // outlives the service
};

KeyRing MakeRing(std::vector<KeyRing::Key> keys) {
  absl::StatusOr<KeyRing> ring = KeyRing::Create(std::move(keys));
  REQUIRE(ring.ok());
  return std::move(*ring);
}

TEST_CASE("full method names are the grpc paths", "[common][grpc_auth]") {
  CHECK(FullMethodName(v1::VolumeAdmin::service_full_name(), "ListVolumes") ==
        "/warehouse.v1.VolumeAdmin/ListVolumes");
}

TEST_CASE("a grpc server accepts only calls signed for its method",
          "[common][grpc_auth]") {
  const KeyRing server_keys = MakeRing({{"k1", std::string(32, '\x01')}});
  AuthenticatingVolumeAdmin service(&server_keys);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  REQUIRE(server != nullptr);
  REQUIRE(port > 0);
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::VolumeAdmin::NewStub(channel);
  const std::string list_method =
      FullMethodName(v1::VolumeAdmin::service_full_name(), "ListVolumes");

  auto call = [&stub](grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(30));
    v1::ListLocalVolumesResponse response;
    grpc::Status status =
        stub->ListVolumes(context, v1::ListLocalVolumesRequest(), &response);
    return std::make_pair(status, response);
  };

  SECTION("signed with the cluster key for this method") {
    grpc::ClientContext context;
    REQUIRE(AttachAuthorization(&context, list_method, "k1",
                                std::string(32, '\x01'), absl::Now())
                .ok());
    auto [status, response] = call(&context);
    INFO(status.error_message());
    REQUIRE(status.ok());
    REQUIRE(response.volumes_size() == 1);
    CHECK(response.volumes(0).volume_id() == 7);
  }
  SECTION("not signed") {
    grpc::ClientContext context;
    auto [status, response] = call(&context);
    CHECK(status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
    CHECK_THAT(status.error_message(),
               Catch::Contains("no authorization metadata"));
  }
  SECTION("signed for another method") {
    grpc::ClientContext context;
    REQUIRE(
        AttachAuthorization(
            &context,
            FullMethodName(v1::VolumeAdmin::service_full_name(), "SetReadOnly"),
            "k1", std::string(32, '\x01'), absl::Now())
            .ok());
    auto [status, response] = call(&context);
    CHECK(status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
    CHECK_THAT(status.error_message(),
               Catch::Contains("signature does not match"));
  }
  SECTION("signed with a key the server does not have") {
    grpc::ClientContext context;
    REQUIRE(AttachAuthorization(&context, list_method, "k1",
                                std::string(32, '\x02'), absl::Now())
                .ok());
    auto [status, response] = call(&context);
    CHECK(status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
  }
  SECTION("signed twice") {
    grpc::ClientContext context;
    for (int i = 0; i < 2; ++i) {
      REQUIRE(AttachAuthorization(&context, list_method, "k1",
                                  std::string(32, '\x01'), absl::Now())
                  .ok());
    }
    auto [status, response] = call(&context);
    CHECK(status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
    CHECK_THAT(status.error_message(), Catch::Contains("more than one"));
  }
  server->Shutdown();
}

}  // namespace
}  // namespace warehouse
