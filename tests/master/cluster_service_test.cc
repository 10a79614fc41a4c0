// The Cluster service with scripted volume servers: registration, online
// and offline, commands and their acknowledgements, upload reports.
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "catch2/catch.hpp"
#include "common/file_id.h"
#include "master/sqlite.h"
#include "master/upload_id.h"
#include "master/volume_mover.h"
#include "tests/master/master_test_util.h"

namespace warehouse::master::testing {
namespace {

v1::ServerStatus StatusOf(TestMaster& m, const std::string& server_id) {
  v1::ListServersResponse response;
  grpc::Status status = MASTER_CALL(m, ListServers, v1::ListServersRequest(),
                                    &response, &m.admin());
  REQUIRE(status.ok());
  for (const v1::ServerInfo& server : response.servers()) {
    if (server.server_id() == server_id) return server.status();
  }
  return v1::SERVER_STATUS_UNSPECIFIED;
}

bool IsListedOffline(TestMaster& m, const std::string& server_id) {
  return StatusOf(m, server_id) == v1::SERVER_STATUS_OFFLINE;
}

void CreateBucket(TestMaster& m, const std::string& name) {
  v1::CreateBucketRequest request;
  request.set_bucket(name);
  v1::CreateBucketResponse response;
  REQUIRE(MASTER_CALL(m, CreateBucket, request, &response, &m.admin()).ok());
}

TEST_CASE("a volume server that registers is listed online with its volumes",
          "[master][cluster]") {
  TestMaster m;
  ScriptedVolumeServer vs(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  vs.ConnectAndAwaitOnline(m, {Volume(1, 100), Volume(2, 200)}, 5);

  v1::ListServersResponse servers;
  REQUIRE(MASTER_CALL(m, ListServers, v1::ListServersRequest(), &servers,
                      &m.admin())
              .ok());
  REQUIRE(servers.servers_size() == 1);
  const v1::ServerInfo& info = servers.servers(0);
  CHECK(info.server_id() == "vs1");
  CHECK(info.public_address() == "127.0.0.1:8081");
  CHECK(info.status() == v1::SERVER_STATUS_ONLINE);
  CHECK(info.volume_count() == 2);
  CHECK(info.max_volumes() == 5);
  CHECK(info.disk_free_bytes() == uint64_t{100} << 30);
  CHECK(info.last_heartbeat_unix_ms() > 0);

  v1::ListVolumesResponse volumes;
  REQUIRE(MASTER_CALL(m, ListVolumes, v1::ListVolumesRequest(), &volumes,
                      &m.admin())
              .ok());
  REQUIRE(volumes.volumes_size() == 2);
  CHECK(volumes.volumes(0).status().volume_id() == 1);
  CHECK(volumes.volumes(1).status().size_bytes() == 200);
  CHECK(volumes.volumes(1).server_address() == "127.0.0.1:8081");
  CHECK(volumes.volumes(1).server_status() == v1::SERVER_STATUS_ONLINE);

  // The database shows the server too.
  auto stored = m.server().store().ListServers();
  REQUIRE(stored.ok());
  REQUIRE(stored->size() == 1);
  CHECK((*stored)[0].status == ServerStatus::kAlive);
  auto stored_volumes = m.server().store().ListVolumes();
  REQUIRE(stored_volumes.ok());
  CHECK(stored_volumes->size() == 2);
}

TEST_CASE("a closed heartbeat stream marks its server offline at once",
          "[master][cluster]") {
  // The deadline for silence is a minute here, so only the closed stream
  // can make the server offline within the wait.
  TestMaster m;
  ScriptedVolumeServer vs(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  vs.ConnectAndAwaitOnline(m, {Volume(1)});
  CHECK(vs.Close().ok());
  CHECK(Eventually([&] { return IsListedOffline(m, "vs1"); }));
  CHECK(Eventually([&] {
    auto stored = m.server().store().ListServers();
    return stored.ok() && stored->size() == 1 &&
           (*stored)[0].status == ServerStatus::kDown;
  }));

  SECTION("and reconnecting brings it back") {
    vs.ConnectAndAwaitOnline(m, {Volume(1)});
    CHECK(StatusOf(m, "vs1") == v1::SERVER_STATUS_ONLINE);
  }
}

TEST_CASE("a silent volume server is marked offline and its stream ended",
          "[master][cluster]") {
  TestMaster m([](MasterServer::Options& options) {
    options.heartbeat_interval = absl::Milliseconds(100);
    options.offline_after = absl::Milliseconds(300);
  });
  // The time of the server's last registration or heartbeat, as recorded.
  auto recorded_heartbeat = [&m]() -> absl::Time {
    auto servers = m.server().store().ListServers();
    REQUIRE(servers.ok());
    return servers->empty() ? absl::InfinitePast()
                            : (*servers)[0].last_heartbeat;
  };
  ScriptedVolumeServer vs(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  REQUIRE(vs.Connect({Volume(1)}));
  REQUIRE(
      Eventually([&] { return recorded_heartbeat() != absl::InfinitePast(); }));
  // No heartbeat follows the registration: the master cancels the stream.
  std::optional<grpc::Status> ended = vs.AwaitEnd();
  REQUIRE(ended.has_value());
  CHECK(ended->error_code() == grpc::StatusCode::CANCELLED);
  CHECK(Eventually([&] { return IsListedOffline(m, "vs1"); }));
  CHECK(Eventually([&] {
    auto stored = m.server().store().ListServers();
    return stored.ok() && (*stored)[0].status == ServerStatus::kDown;
  }));

  SECTION("and reconnecting brings it back") {
    const absl::Time first = recorded_heartbeat();
    REQUIRE(vs.Connect({Volume(1)}));
    CHECK(Eventually([&] { return recorded_heartbeat() > first; }));
  }
}

TEST_CASE("heartbeats keep a volume server online past the deadline",
          "[master][cluster]") {
  TestMaster m([](MasterServer::Options& options) {
    options.heartbeat_interval = absl::Milliseconds(50);
    options.offline_after = absl::Seconds(1);
  });
  ScriptedVolumeServer vs(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  vs.ConnectAndAwaitOnline(m, {Volume(1)});
  // Three deadlines' worth of heartbeats, twenty per deadline.
  const absl::Time until = absl::Now() + absl::Seconds(3);
  for (int i = 0; i < 1000 && absl::Now() < until; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    REQUIRE(vs.Heartbeat({Volume(1)}));
  }
  CHECK(m.server().topology().IsOnline("vs1"));
  CHECK_FALSE(vs.AwaitEnd(absl::ZeroDuration()).has_value());
}

TEST_CASE("a heartbeat waiting on a busy database keeps its server online",
          "[master][cluster]") {
  std::string db_path;
  TestMaster m([&db_path](MasterServer::Options& options) {
    options.heartbeat_interval = absl::Milliseconds(100);
    options.offline_after = absl::Milliseconds(300);
    db_path = options.db_path;
  });
  ScriptedVolumeServer vs(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  vs.ConnectAndAwaitOnline(m, {Volume(1)});
  absl::StatusOr<std::unique_ptr<Database>> other =
      Database::Open(db_path, Database::Options());
  REQUIRE(other.ok());
  // Another connection holds the write lock for four deadlines: the
  // master cannot record the heartbeats, but it hears them.
  REQUIRE((*other)->Execute("BEGIN IMMEDIATE").ok());
  const absl::Time release = absl::Now() + absl::Milliseconds(1200);
  const absl::Time until = release + absl::Milliseconds(600);
  bool released = false;
  for (int i = 0; i < 100 && absl::Now() < until; ++i) {
    REQUIRE(vs.Heartbeat({Volume(1)}));
    absl::SleepFor(absl::Milliseconds(100));
    if (!released && absl::Now() >= release) {
      REQUIRE((*other)->Execute("COMMIT").ok());
      released = true;
    }
  }
  CHECK(released);
  CHECK(m.server().topology().IsOnline("vs1"));
  CHECK_FALSE(vs.AwaitEnd(absl::ZeroDuration()).has_value());
}

TEST_CASE("heartbeat streams that break the protocol are refused",
          "[master][cluster]") {
  TestMaster m;
  ScriptedVolumeServer vs(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");

  SECTION("signed with a key outside the cluster key ring") {
    const KeyRing::Key stranger{"k1", std::string(32, 'x')};
    vs.Connect({Volume(1)}, 8, nullptr, &stranger);
    std::optional<grpc::Status> ended = vs.AwaitEnd();
    REQUIRE(ended.has_value());
    CHECK(ended->error_code() == grpc::StatusCode::UNAUTHENTICATED);
  }
  SECTION("a heartbeat before any registration") {
    v1::VolumeServerMessage heartbeat;
    heartbeat.mutable_heartbeat()->set_disk_free_bytes(1);
    vs.Connect({}, 8, &heartbeat);
    std::optional<grpc::Status> ended = vs.AwaitEnd();
    REQUIRE(ended.has_value());
    CHECK(ended->error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(ended->error_message(), Catch::Contains("registration"));
  }
  SECTION("a bad server id or address") {
    ScriptedVolumeServer bad_id(m.channel(), &m.keys(), "vs 1",
                                "127.0.0.1:8081");
    bad_id.Connect({});
    std::optional<grpc::Status> ended = bad_id.AwaitEnd();
    REQUIRE(ended.has_value());
    CHECK(ended->error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    ScriptedVolumeServer bad_address(m.channel(), &m.keys(), "vs1",
                                     "localhost");
    bad_address.Connect({});
    ended = bad_address.AwaitEnd();
    REQUIRE(ended.has_value());
    CHECK(ended->error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(ended->error_message(), Catch::Contains("host:port"));
  }
  SECTION("heartbeats too far apart for the master's deadline") {
    // The master marks a server offline after 60 s of silence.
    v1::VolumeServerMessage first;
    v1::Registration* registration = first.mutable_registration();
    registration->set_server_id("vs1");
    registration->set_public_address("127.0.0.1:8081");
    registration->set_heartbeat_interval_ms(40'000);
    vs.Connect({}, 8, &first);
    std::optional<grpc::Status> ended = vs.AwaitEnd();
    REQUIRE(ended.has_value());
    CHECK(ended->error_code() == grpc::StatusCode::FAILED_PRECONDITION);
    CHECK_THAT(ended->error_message(), Catch::Contains("--heartbeat-interval"));
    CHECK_FALSE(m.server().topology().IsOnline("vs1"));

    ScriptedVolumeServer in_time(m.channel(), &m.keys(), "vs1",
                                 "127.0.0.1:8081");
    registration->set_heartbeat_interval_ms(30'000);
    REQUIRE(in_time.Connect({}, 8, &first));
    CHECK(Eventually([&] { return m.server().topology().IsOnline("vs1"); }));
  }
  SECTION("a second stream for a server that is online") {
    vs.ConnectAndAwaitOnline(m, {Volume(1)});
    ScriptedVolumeServer twin(m.channel(), &m.keys(), "vs1", "127.0.0.1:9");
    twin.Connect({Volume(1)});
    std::optional<grpc::Status> ended = twin.AwaitEnd();
    REQUIRE(ended.has_value());
    CHECK(ended->error_code() == grpc::StatusCode::ALREADY_EXISTS);
    CHECK(m.server().topology().IsOnline("vs1"));
  }
  SECTION("a volume another online server holds") {
    vs.ConnectAndAwaitOnline(m, {Volume(1)});
    ScriptedVolumeServer other(m.channel(), &m.keys(), "vs2", "127.0.0.1:9");
    other.Connect({Volume(1)});
    std::optional<grpc::Status> ended = other.AwaitEnd();
    REQUIRE(ended.has_value());
    CHECK(ended->error_code() == grpc::StatusCode::FAILED_PRECONDITION);
    CHECK_THAT(ended->error_message(), Catch::Contains("volume 1"));
  }
}

TEST_CASE("an upload with no writable volume waits for a new one",
          "[master][cluster][upload]") {
  TestMaster m;
  CreateBucket(m, "photos");
  ScriptedVolumeServer vs(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  vs.ConnectAndAwaitOnline(m, {}, 4);

  v1::BeginUploadRequest request;
  request.set_bucket("photos");
  request.set_key("cat.jpg");
  request.set_size_bytes(1000);
  v1::BeginUploadResponse response;
  grpc::Status status;
  std::thread client([&] {
    status = MASTER_CALL(m, BeginUpload, request, &response, &m.admin());
  });
  std::optional<v1::MasterCommand> command = vs.NextCommand();
  REQUIRE(command.has_value());
  REQUIRE(command->has_create_volume());
  const uint32_t volume_id = command->create_volume().volume_id();
  CHECK(volume_id > 0);
  REQUIRE(vs.SendResult(command->command_id(), absl::OkStatus()));
  REQUIRE(vs.Heartbeat({Volume(volume_id)}));
  client.join();

  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(response.file_id().rfind(absl::StrCat(volume_id, ","), 0) == 0);
  CHECK(response.put_url().rfind("http://127.0.0.1:8081/", 0) == 0);
  CHECK(m.server().store().GetVolume(volume_id).ok());
}

TEST_CASE("no upload is given a needle id its volume already holds",
          "[master][cluster][upload]") {
  // As after the master's database was restored from an old copy: the
  // volume it does not know holds needles up to id 5000.
  TestMaster m;
  CreateBucket(m, "photos");
  ScriptedVolumeServer vs(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  v1::VolumeStatus held = Volume(7, 1 << 20);
  held.set_max_needle_id(5000);
  vs.ConnectAndAwaitOnline(m, {held}, 1);

  v1::BeginUploadRequest request;
  request.set_bucket("photos");
  request.set_key("cat.jpg");
  request.set_size_bytes(1000);
  v1::BeginUploadResponse response;
  grpc::Status status =
      MASTER_CALL(m, BeginUpload, request, &response, &m.admin());
  INFO(status.error_message());
  REQUIRE(status.ok());
  absl::StatusOr<FileId> fid = FileId::Parse(response.file_id());
  REQUIRE(fid.ok());
  CHECK(fid->volume_id == 7);
  CHECK(fid->needle_id > 5000);
}

TEST_CASE("an upload fails clearly when no volume server can take it",
          "[master][cluster][upload]") {
  TestMaster m;
  CreateBucket(m, "photos");
  v1::BeginUploadRequest request;
  request.set_bucket("photos");
  request.set_key("cat.jpg");
  request.set_size_bytes(1000);
  v1::BeginUploadResponse response;

  SECTION("no server online") {
    grpc::Status status =
        MASTER_CALL(m, BeginUpload, request, &response, &m.admin());
    CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
    CHECK_THAT(status.error_message(), Catch::Contains("no volume server"));
  }
  SECTION("every server full") {
    ScriptedVolumeServer vs(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
    vs.ConnectAndAwaitOnline(m, {Volume(1, 1 << 20, 1 << 20)}, 1);
    grpc::Status status =
        MASTER_CALL(m, BeginUpload, request, &response, &m.admin());
    CHECK(status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    CHECK_THAT(status.error_message(), Catch::Contains("maximum number"));
  }
  SECTION("larger than the largest object") {
    request.set_size_bytes(uint64_t{5} << 30);
    grpc::Status status =
        MASTER_CALL(m, BeginUpload, request, &response, &m.admin());
    CHECK(status.error_code() == grpc::StatusCode::OUT_OF_RANGE);
  }
}

TEST_CASE("unacknowledged commands are sent again when a server reconnects",
          "[master][cluster]") {
  TestMaster m;
  CreateBucket(m, "photos");
  ScriptedVolumeServer vs(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  vs.ConnectAndAwaitOnline(m, {}, 4);
  v1::BeginUploadRequest request;
  request.set_bucket("photos");
  request.set_key("k");
  request.set_size_bytes(10);
  v1::BeginUploadResponse response;
  grpc::Status status;
  std::thread client([&] {
    status = MASTER_CALL(m, BeginUpload, request, &response, &m.admin());
  });
  std::optional<v1::MasterCommand> first = vs.NextCommand();
  REQUIRE(first.has_value());
  REQUIRE(first->has_create_volume());
  // The server goes away without answering, and comes back.
  CHECK(vs.Close().ok());
  REQUIRE(vs.Connect({}, 4));
  std::optional<v1::MasterCommand> again = vs.NextCommand();
  REQUIRE(again.has_value());
  CHECK(again->command_id() == first->command_id());
  CHECK(again->create_volume().volume_id() ==
        first->create_volume().volume_id());
  REQUIRE(vs.SendResult(again->command_id(), absl::OkStatus()));
  REQUIRE(vs.Heartbeat({Volume(again->create_volume().volume_id())}));
  client.join();
  CHECK(status.ok());
  CHECK(Eventually([&] { return m.server().commands().outstanding() == 0; }));
}

TEST_CASE("a move to no named server goes where there is most room",
          "[master][cluster]") {
  constexpr uint64_t kGiB = uint64_t{1} << 30;
  auto server = [](const std::string& id, uint64_t free_bytes,
                   size_t volumes) {
    ServerView view;
    view.server_id = id;
    view.admin_address = "127.0.0.1:1";
    view.online = true;
    view.max_volumes = 4;
    view.disk_free_bytes = free_bytes;
    view.volumes.resize(volumes);
    return view;
  };
  VolumeLocation from;
  from.server_id = "vs-a";
  from.volume.volume_id = 5;
  from.volume.size_bytes = kGiB;
  std::vector<ServerView> servers = {
      server("vs-a", 100 * kGiB, 1), server("vs-b", 10 * kGiB, 1),
      server("vs-c", 20 * kGiB, 3), server("vs-d", 20 * kGiB, 2)};
  auto picked = [&] {
    absl::StatusOr<std::string> target =
        VolumeMover::PickTarget(servers, from);
    return target.ok() ? *target : target.status().ToString();
  };
  // Never where it is; the most disk free, then the fewest volumes.
  CHECK(picked() == "vs-d");
  servers[3].draining = true;
  CHECK(picked() == "vs-c");
  servers[2].volumes.resize(4);  // no free slot
  CHECK(picked() == "vs-b");
  servers[1].disk_free_bytes = kGiB;  // the volume, but nothing to spare
  CHECK_THAT(picked(), Catch::Contains("no other volume server can take it"));
  servers[1].disk_free_bytes = 2 * kGiB;
  servers[1].online = false;
  CHECK_THAT(picked(), Catch::StartsWith("RESOURCE_EXHAUSTED: volume 5: "));
}

// A master with volume server vs-a holding volume 5 (100 bytes) and vs-b
// holding nothing, both online, for moving volume 5.
class TwoServers {
 public:
  TwoServers() {
    a.ConnectAndAwaitOnline(m, {Volume(5, 100)}, 4);
    b.ConnectAndAwaitOnline(m, {}, 4);
  }

  // Volume 5 as vs-b serves it once it has adopted the copy.
  static VolumeView AdoptedByB() {
    VolumeView adopted;
    adopted.volume_id = 5;
    adopted.size_bytes = 100;
    adopted.read_only = true;
    return adopted;
  }

 protected:
  TestMaster m;
  ScriptedVolumeServer a{m.channel(), &m.keys(), "vs-a", "127.0.0.1:8081"};
  ScriptedVolumeServer b{m.channel(), &m.keys(), "vs-b", "127.0.0.1:8082"};
  Topology& topology = m.server().topology();
};

TEST_CASE_METHOD(TwoServers,
                 "deletes wait for a move, and a move for deletes being sent",
                 "[master][cluster]") {
  CHECK_FALSE(topology.DeletesWait("vs-a", 5));
  CHECK(topology.DeletesWait("vs-b", 5));  // not b's volume
  CHECK_FALSE(topology.DeletesWait("vs-b", 9));  // nobody's

  // Deletes on their way to a hold the move back until they are sent.
  absl::Notification sending;
  absl::Notification sent;
  absl::Notification begun;
  absl::Status move_begun;
  std::thread worker([&] {
    topology.WithoutNewMoves([&] {
      sending.Notify();
      sent.WaitForNotification();
    });
  });
  sending.WaitForNotification();
  std::thread mover([&] {
    move_begun = topology.BeginMove(5, "vs-b");
    begun.Notify();
  });
  CHECK_FALSE(begun.WaitForNotificationWithTimeout(absl::Milliseconds(300)));
  sent.Notify();
  worker.join();
  mover.join();
  REQUIRE(move_begun.ok());
  CHECK(topology.DeletesWait("vs-a", 5));
  CHECK(topology.DeletesWait("vs-b", 5));

  REQUIRE(topology.FinishMove(5, AdoptedByB()).ok());
  topology.EndMove(5);
  CHECK(topology.DeletesWait("vs-a", 5));  // taken for a, now b's
  CHECK_FALSE(topology.DeletesWait("vs-b", 5));
}

TEST_CASE_METHOD(TwoServers,
                 "a moved volume's old copy neither conflicts nor stays",
                 "[master][cluster]") {
  auto owner = [&] { return topology.LocateVolume(5)->server_id; };

  REQUIRE(topology.BeginMove(5, "vs-b").ok());
  CHECK(topology.BeginMove(5, "vs-b").code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(topology.LocateVolume(5)->volume.moving_to == "vs-b");
  // The copy arriving on b is not its own yet: reported, it neither ends
  // b's stream as a conflict nor takes the volume.
  REQUIRE(b.Heartbeat({Volume(5, 100)}));
  REQUIRE(a.Heartbeat({Volume(5, 100)}));
  CHECK_FALSE(b.AwaitEnd(absl::Milliseconds(300)).has_value());
  CHECK(owner() == "vs-a");

  REQUIRE(topology.FinishMove(5, AdoptedByB()).ok());
  CHECK(owner() == "vs-b");
  // A report b made before it adopted the copy does not take it away.
  REQUIRE(b.Heartbeat({}));
  CHECK_FALSE(b.AwaitEnd(absl::Milliseconds(300)).has_value());
  REQUIRE(topology.LocateVolume(5).ok());
  CHECK(owner() == "vs-b");
  auto stale = m.server().store().ListStaleCopies();
  REQUIRE(stale.ok());
  CHECK(*stale == std::set<std::pair<uint32_t, std::string>>{{5, "vs-a"}});
  auto stored = m.server().store().ListVolumes();
  REQUIRE(stored.ok());
  REQUIRE(stored->size() == 1);
  CHECK((*stored)[0].server_id == "vs-b");

  // The old server still reporting it is not refused, does not take it
  // back, and is told to drop it.
  REQUIRE(a.Heartbeat({Volume(5, 100)}));
  std::optional<v1::MasterCommand> drop = a.NextCommand();
  REQUIRE(drop.has_value());
  REQUIRE(drop->has_drop_volume());
  CHECK(drop->drop_volume().volume_id() == 5);
  CHECK_FALSE(a.AwaitEnd(absl::Milliseconds(300)).has_value());
  REQUIRE(b.Heartbeat({Volume(5, 100)}));
  CHECK(owner() == "vs-b");
  stored = m.server().store().ListVolumes();
  REQUIRE(stored.ok());
  CHECK((*stored)[0].server_id == "vs-b");
  topology.EndMove(5);
  CHECK(topology.LocateVolume(5)->volume.moving_to.empty());

  // Dropped: forgotten, in the database too.
  REQUIRE(a.SendResult(drop->command_id(), absl::OkStatus()));
  CHECK(Eventually([&] {
    auto left = m.server().store().ListStaleCopies();
    return left.ok() && left->empty();
  }));
}

TEST_CASE("a master stopped while a move was adopted keeps one owner",
          "[master][cluster]") {
  // What a master leaves when it stops after PrepareAdoption, before
  // FinishMove: volume 5 is vs-a's, and vs-b's copy of it is stale.
  TestMaster m([](MasterServer::Options& options) {
    MetadataStore::Options store_options;
    store_options.apply_migrations = true;
    auto store = MetadataStore::Open(options.db_path, store_options);
    REQUIRE(store.ok());
    REQUIRE((*store)->UpsertServer("vs-a", "127.0.0.1:8081", absl::Now())
                .ok());
    VolumeUsage usage;
    usage.volume_id = 5;
    usage.server_id = "vs-a";
    usage.read_only = true;
    REQUIRE((*store)->UpsertVolumes({usage}).ok());
    REQUIRE((*store)->AddStaleCopy(5, "vs-b").ok());
  });
  // Both servers hold it, whichever registers first: neither is refused.
  ScriptedVolumeServer b(m.channel(), &m.keys(), "vs-b", "127.0.0.1:8082");
  b.ConnectAndAwaitOnline(m, {Volume(5, 100)}, 4);
  ScriptedVolumeServer a(m.channel(), &m.keys(), "vs-a", "127.0.0.1:8081");
  a.ConnectAndAwaitOnline(m, {Volume(5, 100)}, 4);
  auto located = m.server().topology().LocateVolume(5);
  REQUIRE(located.ok());
  CHECK(located->server_id == "vs-a");
  // vs-b drops its copy once vs-a, the owner, holds the volume.
  REQUIRE(b.Heartbeat({Volume(5, 100)}));
  std::optional<v1::MasterCommand> drop = b.NextCommand();
  REQUIRE(drop.has_value());
  REQUIRE(drop->has_drop_volume());
  CHECK(drop->drop_volume().volume_id() == 5);
  REQUIRE(b.SendResult(drop->command_id(), absl::OkStatus()));
  CHECK(Eventually([&] {
    auto left = m.server().store().ListStaleCopies();
    return left.ok() && left->empty();
  }));
  CHECK(m.server().topology().LocateVolume(5)->server_id == "vs-a");
}

}  // namespace
}  // namespace warehouse::master::testing
