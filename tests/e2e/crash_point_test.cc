// Walks every crash point of common/crash_points.inc: for each, a fresh
// cluster takes a small load, the process that owns the point is started
// again with the point armed, the load goes on (puts, overwrites, deletes,
// compactions, index syncs) until the process dies there, and after a
// restart without arming every acknowledged write reads back byte for
// byte, every acknowledged delete stays deleted, no volume is read-only and
// the consistency check finds nothing missing. A point that no load
// reaches fails the test.
#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "common/crash_point.h"
#include "tests/e2e/crash_test_client.h"
#include "tests/support/cluster.h"
#include "warehouse/client.h"

namespace warehouse {
namespace {

using testing::Cluster;
using testing::ClusterOptions;

// How long the load may run before the armed point must have been reached.
constexpr absl::Duration kReachTimeout = absl::Seconds(20);
constexpr int kKeys = 30;

std::string Payload(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(1 + rng() % 8000, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

// The payload seed of each key's last acknowledged write, 0 after an
// acknowledged delete; a key whose last operation failed is absent
// (uncertain) until the next acknowledged one.
struct Model {
  std::map<std::string, uint64_t> known;
  uint64_t seed = 0;
  uint64_t acknowledged = 0;
  int wrong_reads = 0;
};

// One operation of the load on a random key.
void Step(Client& client, Model& model, std::mt19937& rng) {
  const std::string key = absl::StrCat("k", rng() % kKeys);
  const int op = rng() % 10;
  if (op < 5) {
    const uint64_t seed = ++model.seed;
    model.known.erase(key);
    if (client.Put("points", key, Payload(seed)).ok()) {
      model.known[key] = seed;
      ++model.acknowledged;
    }
  } else if (op < 7) {
    model.known.erase(key);
    absl::Status status = client.Delete("points", key);
    if (status.ok() || absl::IsNotFound(status)) {
      model.known[key] = 0;
      ++model.acknowledged;
    }
  } else {
    auto it = model.known.find(key);
    if (it == model.known.end()) return;
    absl::StatusOr<std::string> got = client.Get("points", key);
    if (!(got.ok() || absl::IsNotFound(got.status()))) return;
    const bool right = it->second == 0 ? absl::IsNotFound(got.status())
                                       : got.ok() && *got == Payload(it->second);
    if (!right) ++model.wrong_reads;
  }
}

// Asks for a compaction of every volume; errors (a server down, already
// compacting) are expected while a process dies and are ignored.
void CompactAll(Client& client) {
  auto volumes = client.ListVolumes();
  if (!volumes.ok()) return;
  for (const VolumeInfo& volume : *volumes) {
    client.CompactVolume(volume.volume_id).IgnoreError();
  }
}

// Moves the lowest volume to another online server; errors (a server
// down, the master dying) are expected and ignored.
void MoveOne(Client& client) {
  auto volumes = client.ListVolumes();
  auto servers = client.ListServers();
  if (!volumes.ok() || !servers.ok() || volumes->empty()) return;
  const VolumeInfo& volume = *std::min_element(
      volumes->begin(), volumes->end(),
      [](const VolumeInfo& a, const VolumeInfo& b) {
        return a.volume_id < b.volume_id;
      });
  for (const ServerInfo& server : *servers) {
    if (server.online && server.server_id != volume.server_id) {
      client.MoveVolume(volume.volume_id, server.server_id).IgnoreError();
      return;
    }
  }
}

// Runs the whole walk for one point, armed to crash on its `hit`th hit;
// returns whether it was reached. Adds the operations acknowledged while
// the point was armed to `*armed_acks`.
bool WalkPoint(const std::string& point, int hit, uint64_t* armed_acks) {
  const bool in_master = absl::StartsWith(point, "master.");
  // A move needs a second server, and moves in the load.
  const bool moves = absl::StartsWith(point, "master.move.");
  ClusterOptions options;
  options.master_bin = WAREHOUSE_MASTER_BIN;
  options.volume_bin = WAREHOUSE_VOLUME_BIN;
  if (moves) options.volume_servers = 2;
  // Index syncs every 200 ms, so the index points come quickly.
  options.volume_args = {"--sync-interval", "0.2"};
  auto cluster = Cluster::Start(options);
  INFO(point << ": " << cluster.status().ToString());
  REQUIRE(cluster.ok());
  auto client = testing::ConnectWithoutRetries(**cluster);
  REQUIRE(client->CreateBucket("points").ok());
  Model model;
  std::mt19937 rng(static_cast<uint32_t>(std::hash<std::string>()(point)));
  for (int i = 0; i < 20; ++i) Step(*client, model, rng);

  const testing::Cluster::Env armed = {
      {"WAREHOUSE_CRASH_POINT", absl::StrCat(point, ":", hit)}};
  // It may die before it is up: that is checked below.
  absl::Status started = in_master
                             ? (*cluster)->RestartMasterWithEnv(armed)
                             : (*cluster)->RestartVolumeServerWithEnv(0, armed);
  testing::Process& process =
      in_master ? (*cluster)->master() : (*cluster)->volume_server(0);
  const uint64_t acks_before = model.acknowledged;
  const absl::Time deadline = absl::Now() + kReachTimeout;
  for (int i = 0; process.running() && absl::Now() < deadline; ++i) {
    Step(*client, model, rng);
    if (i % 10 == 0) CompactAll(*client);
    if (moves && i % 10 == 5) MoveOne(*client);
  }
  if (process.running()) {
    WARN(point << ":" << hit << ": not reached within "
               << absl::FormatDuration(kReachTimeout)
               << " (start: " << started.ToString() << ")");
    return false;
  }
  *armed_acks += model.acknowledged - acks_before;
  auto exit_code = process.Wait(absl::Seconds(5));
  REQUIRE(exit_code.ok());
  const std::string log = process.Log();
  INFO(point << ": log:\n" << log);
  CHECK(*exit_code == 128 + 9);  // SIGKILL, sent by the point itself
  REQUIRE_THAT(log, Catch::Contains(absl::StrCat(
                        "crash point ", point, " reached (hit ", hit, ")")));

  absl::Status restarted = in_master ? (*cluster)->RestartMaster()
                                     : (*cluster)->RestartVolumeServer(0);
  INFO(point << ": restart: " << restarted.ToString());
  REQUIRE(restarted.ok());
  // A few more operations after the restart, then the checks.
  for (int i = 0; i < 10; ++i) Step(*client, model, rng);
  CHECK(model.wrong_reads == 0);
  for (const auto& [key, seed] : model.known) {
    absl::StatusOr<std::string> got = client->Get("points", key);
    INFO(point << ": " << key << ": " << got.status().ToString());
    if (seed == 0) {
      CHECK(absl::IsNotFound(got.status()));
    } else {
      REQUIRE(got.ok());
      CHECK(*got == Payload(seed));
    }
  }
  // A volume an unfinished move left read-only is made writable once its
  // server reports to the restarted master: a heartbeat or two.
  auto volumes = client->ListVolumes();
  for (int i = 0; i < 50 && volumes.ok() &&
                  std::any_of(volumes->begin(), volumes->end(),
                              [](const VolumeInfo& v) { return v.read_only; });
       ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    volumes = client->ListVolumes();
  }
  REQUIRE(volumes.ok());
  for (const VolumeInfo& volume : *volumes) {
    INFO(point << ": volume " << volume.volume_id);
    CHECK_FALSE(volume.read_only);
  }
  auto report = client->CheckConsistency(/*repair_orphans=*/false);
  INFO(point << ": " << report.status().ToString());
  REQUIRE(report.ok());
  for (const ConsistencyFinding& finding : report->findings) {
    INFO(point << ": finding: volume " << finding.volume_id << " "
               << finding.file_id << " " << finding.bucket << "/"
               << finding.key << ": " << finding.detail);
    CHECK(finding.kind == ConsistencyFinding::Kind::kOrphan);
  }
  CHECK(report->missing == 0);
  CHECK(report->volumes_unchecked == 0);
  CHECK(report->volumes_checked >= 1);
  return true;
}

TEST_CASE("a crash at every crash point loses no acknowledged write",
          "[e2e][crash]") {
  const absl::Time start = absl::Now();
  std::vector<std::string> never_reached;
  uint64_t armed_acks = 0;
  const std::vector<std::string> points = AllCrashPoints();
  for (const std::string& point : points) {
    // The first hit often comes as the process starts; the third comes
    // after it has acknowledged some of the load.
    for (int hit : {1, 3}) {
      const absl::Time point_start = absl::Now();
      if (!WalkPoint(point, hit, &armed_acks)) {
        never_reached.push_back(absl::StrCat(point, ":", hit));
      }
      WARN(point << ":" << hit << ": "
                 << absl::FormatDuration(absl::Now() - point_start));
    }
  }
  INFO("never reached: " << absl::StrJoin(never_reached, ", "));
  CHECK(never_reached.empty());
  // The armed processes took real load before dying, not only their start.
  CHECK(armed_acks >= 50);
  WARN(points.size() << " crash points walked twice in "
                     << absl::FormatDuration(absl::Now() - start) << "; "
                     << armed_acks
                     << " operations acknowledged while a point was armed");
}

}  // namespace
}  // namespace warehouse
