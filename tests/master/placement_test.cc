// Placement through BeginUpload: which volume an upload goes to, growing
// the cluster by a volume, and read-only keys.
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "common/secret_sealer.h"
#include "tests/master/master_test_util.h"

namespace warehouse::master::testing {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

void CreateBucket(TestMaster& m, const std::string& name) {
  v1::CreateBucketRequest request;
  request.set_bucket(name);
  v1::CreateBucketResponse response;
  REQUIRE(MASTER_CALL(m, CreateBucket, request, &response, &m.admin()).ok());
}

grpc::Status Begin(TestMaster& m, uint64_t size,
                   v1::BeginUploadResponse* response,
                   const Credentials* key = nullptr) {
  v1::BeginUploadRequest request;
  request.set_bucket("photos");
  request.set_key("k");
  request.set_size_bytes(size);
  return MASTER_CALL(m, BeginUpload, request, response,
                     key != nullptr ? key : &m.admin());
}

// The volume an upload of `size` bytes is placed on.
uint32_t PlacedOn(TestMaster& m, uint64_t size) {
  v1::BeginUploadResponse response;
  grpc::Status status = Begin(m, size, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  uint32_t volume_id = 0;
  REQUIRE(absl::SimpleAtoi(
      response.file_id().substr(0, response.file_id().find(',')), &volume_id));
  return volume_id;
}

TEST_CASE("uploads go to the least used volume that can take them",
          "[master][placement]") {
  TestMaster m;
  CreateBucket(m, "photos");
  v1::VolumeStatus read_only = Volume(3);
  read_only.set_read_only(true);
  v1::VolumeStatus compacting = Volume(4);
  compacting.set_compacting(true);
  const uint64_t max = 1024 * kMiB;
  ScriptedVolumeServer vs(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  vs.ConnectAndAwaitOnline(
      m, {Volume(1, 500 * kMiB, max), Volume(2, 100 * kMiB, max), read_only,
          compacting, Volume(5, max - 100, max)});

  CHECK(PlacedOn(m, 1000) == 2);
  // Volume 2 now counts 450 MiB more than its last heartbeat showed.
  CHECK(PlacedOn(m, 450 * kMiB) == 2);
  CHECK(PlacedOn(m, 1000) == 1);
  // Only volume 1 still has room for 500 MiB.
  CHECK(PlacedOn(m, 500 * kMiB) == 1);

  // A heartbeat replaces the estimates with the server's figures.
  REQUIRE(vs.Heartbeat({Volume(1, 10 * kMiB, max), Volume(2, 20 * kMiB, max),
                        read_only, compacting, Volume(5, max - 100, max)}));
  REQUIRE(Eventually([&] {
    auto location = m.server().topology().LocateVolume(1);
    return location.ok() && location->volume.size_bytes == 10 * kMiB &&
           location->volume.reserved_bytes == 0;
  }));
  CHECK(PlacedOn(m, 1000) == 1);
}

TEST_CASE("a volume is asked for ahead of need when few are writable",
          "[master][placement]") {
  TestMaster m([](MasterServer::Options& options) {
    options.placement.min_writable_volumes = 2;
    options.placement.growth_probe_bytes = 64 * kMiB;
  });
  CreateBucket(m, "photos");
  ScriptedVolumeServer vs(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  vs.ConnectAndAwaitOnline(m, {Volume(1)}, 4);
  // The upload does not wait for the new volume.
  CHECK(PlacedOn(m, 1000) == 1);
  std::optional<v1::MasterCommand> command = vs.NextCommand();
  REQUIRE(command.has_value());
  REQUIRE(command->has_create_volume());
  const uint32_t created = command->create_volume().volume_id();
  CHECK(created != 1);
  // One creation at a time: the next upload asks for nothing more.
  CHECK(PlacedOn(m, 1000) == 1);
  REQUIRE(vs.SendResult(command->command_id(), absl::OkStatus()));
  REQUIRE(vs.Heartbeat({Volume(1, 1000), Volume(created)}));
  REQUIRE(Eventually(
      [&] { return m.server().topology().LocateVolume(created).ok(); }));
  CHECK(PlacedOn(m, 1000) == created);
  CHECK_FALSE(vs.NextCommand(absl::Milliseconds(200)).has_value());
}

TEST_CASE("a volume server that joins is given a volume at the next upload",
          "[master][placement]") {
  TestMaster m;
  CreateBucket(m, "photos");
  ScriptedVolumeServer first(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  first.ConnectAndAwaitOnline(m, {Volume(1), Volume(2)}, 8);
  // Two volumes with room: nothing to grow.
  CHECK(PlacedOn(m, 1000) == 1);
  CHECK_FALSE(first.NextCommand(absl::Milliseconds(200)).has_value());

  // A second server with fewer free slots than the first still gets the
  // next volume: until it holds one, no upload could reach it.
  ScriptedVolumeServer second(m.channel(), &m.keys(), "vs2",
                              "127.0.0.1:8082");
  second.ConnectAndAwaitOnline(m, {}, 4);
  CHECK(PlacedOn(m, 1000) == 2);
  std::optional<v1::MasterCommand> command = second.NextCommand();
  REQUIRE(command.has_value());
  REQUIRE(command->has_create_volume());
  const uint32_t created = command->create_volume().volume_id();
  CHECK_FALSE(first.NextCommand(absl::Milliseconds(200)).has_value());
  REQUIRE(second.SendResult(command->command_id(), absl::OkStatus()));
  REQUIRE(second.Heartbeat({Volume(created)}));
  REQUIRE(Eventually(
      [&] { return m.server().topology().LocateVolume(created).ok(); }));
  // The two servers now take turns, and nobody grows further.
  std::set<uint32_t> placed = {PlacedOn(m, 1000), PlacedOn(m, 1000)};
  CHECK(placed.count(created) == 1);
  CHECK(placed.size() == 2);
  CHECK_FALSE(first.NextCommand(absl::Milliseconds(200)).has_value());
  CHECK_FALSE(second.NextCommand(absl::Milliseconds(200)).has_value());
}

TEST_CASE("servers take turns whatever their volumes hold",
          "[master][placement]") {
  TestMaster m;
  CreateBucket(m, "photos");
  const uint64_t max = 1024 * kMiB;
  ScriptedVolumeServer full(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  full.ConnectAndAwaitOnline(
      m, {Volume(1, 900 * kMiB, max), Volume(2, 800 * kMiB, max)});
  ScriptedVolumeServer empty(m.channel(), &m.keys(), "vs2", "127.0.0.1:8082");
  empty.ConnectAndAwaitOnline(m, {Volume(3, 0, max), Volume(4, 0, max)});

  // An empty server does not take every upload until it has caught up
  // (new objects are often the most read): each server gets every other
  // upload, and on a server the least used volume gets it.
  std::map<uint32_t, int> placed;
  for (int i = 0; i < 8; ++i) ++placed[PlacedOn(m, kMiB)];
  CHECK(placed[1] == 0);
  CHECK(placed[2] == 4);
  CHECK(placed[3] + placed[4] == 4);
  CHECK(placed[3] == 2);

  // A server with no room for the object sits its turns out.
  for (int i = 0; i < 4; ++i) CHECK(PlacedOn(m, 300 * kMiB) >= 3);
}

TEST_CASE("an operator marks a volume read-only on its server, and back",
          "[master][placement]") {
  TestMaster m([](MasterServer::Options& options) {
    options.read_only_timeout = absl::Seconds(2);
  });
  CreateBucket(m, "photos");
  ScriptedVolumeServer vs(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  vs.ConnectAndAwaitOnline(m, {Volume(1), Volume(2), Volume(3)});
  // Asks on a thread of its own: the call waits for the server's answer.
  grpc::Status status;
  v1::SetVolumeReadOnlyResponse response;
  auto ask = [&](uint32_t volume_id, bool read_only) {
    v1::SetVolumeReadOnlyRequest request;
    request.set_volume_id(volume_id);
    request.set_read_only(read_only);
    return std::thread([&m, &status, &response, request] {
      status = MASTER_CALL(m, SetVolumeReadOnly, request, &response,
                           &m.admin());
    });
  };
  CHECK(PlacedOn(m, 1000) == 1);

  // As warehouse-volume does: the change, a heartbeat showing it, then the
  // result. By the time the caller hears, uploads go elsewhere.
  std::thread call = ask(1, true);
  std::optional<v1::MasterCommand> command = vs.NextCommand();
  REQUIRE(command.has_value());
  REQUIRE(command->has_set_read_only());
  CHECK(command->set_read_only().volume_id() == 1);
  CHECK(command->set_read_only().read_only());
  v1::VolumeStatus marked = Volume(1, 1000);
  marked.set_read_only(true);
  REQUIRE(vs.Heartbeat({marked, Volume(2), Volume(3)}));
  REQUIRE(vs.SendResult(command->command_id(), absl::OkStatus()));
  call.join();
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(response.volume().status().volume_id() == 1);
  CHECK(response.volume().status().read_only());
  CHECK(response.volume().server_id() == "vs1");
  for (int i = 0; i < 4; ++i) CHECK(PlacedOn(m, 1000) != 1);

  // The server's refusal reaches the caller, code and reason.
  call = ask(1, false);
  command = vs.NextCommand();
  REQUIRE(command.has_value());
  REQUIRE(command->has_set_read_only());
  CHECK_FALSE(command->set_read_only().read_only());
  REQUIRE(vs.SendResult(command->command_id(),
                        absl::FailedPreconditionError(
                            "volume 1: read-only after an I/O error")));
  call.join();
  CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK_THAT(status.error_message(), Catch::Contains("I/O error"));

  // No answer in time: the caller is told, and the command is dropped
  // rather than sent again when the server reconnects.
  call = ask(1, false);
  REQUIRE(vs.NextCommand().has_value());
  call.join();
  CHECK(status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
  CHECK_THAT(status.error_message(), Catch::Contains("did not answer"));
  CHECK(m.server().commands().outstanding("vs1") == 0);

  ask(404, true).join();
  CHECK(status.error_code() == grpc::StatusCode::NOT_FOUND);

  // A server that goes away before it answers: the caller hears so, not
  // a timeout.
  call = ask(2, true);
  REQUIRE(vs.NextCommand().has_value());
  REQUIRE(vs.Close().ok());
  call.join();
  CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK_THAT(status.error_message(), Catch::Contains("went offline"));
  CHECK(m.server().commands().outstanding("vs1") == 0);

  // An offline server gets no command.
  REQUIRE(Eventually([&] {
    auto location = m.server().topology().LocateVolume(2);
    return location.ok() && !location->online;
  }));
  ask(2, true).join();
  CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK_THAT(status.error_message(), Catch::Contains("offline"));
}

grpc::Status Drain(TestMaster& m, const std::string& server_id, bool draining,
                   v1::SetServerDrainingResponse* response) {
  v1::SetServerDrainingRequest request;
  request.set_server_id(server_id);
  request.set_draining(draining);
  return MASTER_CALL(m, SetServerDraining, request, response, &m.admin());
}

TEST_CASE("a draining server gets no uploads and no new volumes",
          "[master][placement]") {
  TestMaster m;
  CreateBucket(m, "photos");
  const uint64_t max = 1024 * kMiB;
  ScriptedVolumeServer first(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  first.ConnectAndAwaitOnline(m, {Volume(1, 0, max), Volume(2, 0, max)}, 2);
  ScriptedVolumeServer second(m.channel(), &m.keys(), "vs2",
                              "127.0.0.1:8082");
  second.ConnectAndAwaitOnline(m, {Volume(3, 0, max), Volume(4, 0, max)}, 8);

  v1::SetServerDrainingResponse response;
  REQUIRE(Drain(m, "vs2", true, &response).ok());
  CHECK(response.server().server_id() == "vs2");
  CHECK(response.server().draining());
  CHECK(response.server().status() == v1::SERVER_STATUS_ONLINE);
  v1::ListServersResponse servers;
  REQUIRE(MASTER_CALL(m, ListServers, v1::ListServersRequest(), &servers,
                      &m.admin())
              .ok());
  REQUIRE(servers.servers_size() == 2);
  CHECK_FALSE(servers.servers(0).draining());
  CHECK(servers.servers(1).draining());
  for (int i = 0; i < 4; ++i) CHECK(PlacedOn(m, 1000) <= 2);
  // The database has it, for the next master.
  auto status_of = [&](const std::string& server_id) {
    auto records = m.server().store().ListServers();
    REQUIRE(records.ok());
    for (const ServerRecord& record : *records) {
      if (record.server_id == server_id) return record.status;
    }
    FAIL("no server " << server_id);
    return ServerStatus::kDown;
  };
  CHECK(status_of("vs2") == ServerStatus::kDraining);

  // vs1 fills up: the next volume is not asked of vs2, though it has the
  // free slots.
  REQUIRE(first.Heartbeat({Volume(1, max - 100, max), Volume(2, max - 100, max)}));
  REQUIRE(Eventually([&] {
    auto location = m.server().topology().LocateVolume(1);
    return location.ok() && location->volume.size_bytes == max - 100;
  }));
  v1::BeginUploadResponse refused;
  grpc::Status status = Begin(m, 1000, &refused);
  CHECK(status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK_THAT(status.error_message(), Catch::Contains("draining"));
  CHECK_FALSE(second.NextCommand(absl::Milliseconds(200)).has_value());

  // Resumed, it takes uploads again.
  REQUIRE(Drain(m, "vs2", false, &response).ok());
  CHECK_FALSE(response.server().draining());
  CHECK(status_of("vs2") == ServerStatus::kAlive);
  CHECK(PlacedOn(m, 1000) >= 3);
  CHECK(Drain(m, "vs9", true, &response).error_code() ==
        grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("an upload waiting for a volume that never comes fails to retry",
          "[master][placement]") {
  TestMaster m([](MasterServer::Options& options) {
    options.placement.growth_timeout = absl::Milliseconds(300);
  });
  CreateBucket(m, "photos");
  ScriptedVolumeServer vs(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  vs.ConnectAndAwaitOnline(m, {}, 4);
  v1::BeginUploadResponse response;
  grpc::Status status = Begin(m, 1000, &response);
  CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK_THAT(status.error_message(), Catch::Contains("not reported"));
  std::optional<v1::MasterCommand> command = vs.NextCommand();
  REQUIRE(command.has_value());
  CHECK(command->has_create_volume());
}

TEST_CASE("a read-only key may read but not write", "[master][service][auth]") {
  TestMaster m;
  CreateBucket(m, "photos");
  // Only an operator can make one, in the database.
  absl::StatusOr<SecretSealer> sealer = SecretSealer::Create(m.keys());
  REQUIRE(sealer.ok());
  const Credentials reader{"WHREADER0000000000RO",
                           "ReaderSecret0000000000000000000000000000"};
  AccessKey key;
  key.access_key_id = reader.id;
  absl::StatusOr<std::string> sealed = sealer->Seal(reader.secret, reader.id);
  REQUIRE(sealed.ok());
  key.sealed_secret = *sealed;
  key.role = AccessRole::kReadOnly;
  key.allowed_buckets = {"photos"};
  REQUIRE(m.server().store().InsertAccessKey(key).ok());

  v1::ListObjectsRequest list;
  list.set_bucket("photos");
  v1::ListObjectsResponse listed;
  CHECK(MASTER_CALL(m, ListObjects, list, &listed, &reader).ok());
  v1::ListBucketsResponse buckets;
  REQUIRE(
      MASTER_CALL(m, ListBuckets, v1::ListBucketsRequest(), &buckets, &reader)
          .ok());
  CHECK(buckets.buckets_size() == 1);
  v1::BeginUploadResponse begun;
  grpc::Status status = Begin(m, 10, &begun, &reader);
  CHECK(status.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  v1::DeleteObjectRequest remove;
  remove.set_bucket("photos");
  remove.set_key("k");
  v1::DeleteObjectResponse removed;
  CHECK(MASTER_CALL(m, DeleteObject, remove, &removed, &reader).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  v1::ListAccessKeysResponse keys;
  REQUIRE(MASTER_CALL(m, ListAccessKeys, v1::ListAccessKeysRequest(), &keys,
                      &m.admin())
              .ok());
  bool listed_reader = false;
  for (const v1::AccessKeyInfo& info : keys.keys()) {
    if (info.access_key_id() == reader.id) {
      listed_reader = true;
      CHECK(info.role() == v1::ROLE_UNSPECIFIED);
    }
  }
  CHECK(listed_reader);
}

}  // namespace
}  // namespace warehouse::master::testing
