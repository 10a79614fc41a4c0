// Crash loops: a mixed load of puts, overwrites, deletes and gets runs
// against a real cluster while a server is SIGKILLed again and again. After
// every restart, each acknowledged write reads back byte for byte, each
// acknowledged delete stays deleted, and no volume is left read-only; no
// repair command is ever run. After the last restart the consistency check
// finds nothing missing.
#include <signal.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "tests/e2e/crash_test_client.h"
#include "tests/support/cluster.h"
#include "warehouse/client.h"

namespace warehouse {
namespace {

using testing::Cluster;
using testing::ClusterOptions;

constexpr int kCrashes = 20;
constexpr int kThreads = 4;
constexpr int kKeysPerThread = 25;

std::string Payload(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(1 + rng() % 20000, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

std::string KeyName(int thread, int key) {
  return absl::StrCat("t", thread, "/k", key);
}

// What the test knows of each key: the payload seed of its last
// acknowledged write, 0 for an acknowledged delete, absent while uncertain
// (the last operation's outcome is unknown).
struct Model {
  absl::Mutex mu;
  std::map<std::string, uint64_t> known ABSL_GUARDED_BY(mu);
  uint64_t acknowledged_writes ABSL_GUARDED_BY(mu) = 0;
  uint64_t acknowledged_deletes ABSL_GUARDED_BY(mu) = 0;
};

// Runs the mixed load until `stop`; each thread owns its keys, so one key's
// operations never race each other.
void RunLoad(Client& client, Model& model, std::atomic<bool>& stop,
             std::atomic<uint64_t>& version, int thread, std::mt19937& rng,
             std::atomic<int>& wrong_reads) {
  while (!stop) {
    const std::string key = KeyName(thread, rng() % kKeysPerThread);
    const int op = rng() % 10;
    if (op < 5) {
      const uint64_t seed = ++version;
      {
        absl::MutexLock lock(&model.mu);
        model.known.erase(key);  // uncertain until acknowledged
      }
      absl::Status status = client.Put("crash", key, Payload(seed)).status();
      if (status.ok()) {
        absl::MutexLock lock(&model.mu);
        model.known[key] = seed;
        ++model.acknowledged_writes;
      }
    } else if (op < 7) {
      {
        absl::MutexLock lock(&model.mu);
        model.known.erase(key);
      }
      absl::Status status = client.Delete("crash", key);
      if (status.ok() || absl::IsNotFound(status)) {
        absl::MutexLock lock(&model.mu);
        model.known[key] = 0;
        ++model.acknowledged_deletes;
      }
    } else {
      std::optional<uint64_t> expected;
      {
        absl::MutexLock lock(&model.mu);
        auto it = model.known.find(key);
        if (it != model.known.end()) expected = it->second;
      }
      absl::StatusOr<std::string> got = client.Get("crash", key);
      // A read that fails (a server is down) says nothing; one that answers
      // must answer the truth.
      if (!expected || !(got.ok() || absl::IsNotFound(got.status()))) continue;
      const bool right = *expected == 0
                             ? absl::IsNotFound(got.status())
                             : got.ok() && *got == Payload(*expected);
      if (!right) ++wrong_reads;
    }
  }
}

// Checks every key the model is sure of; returns how many were checked.
int CheckAll(Client& client, Model& model) {
  std::map<std::string, uint64_t> known;
  {
    absl::MutexLock lock(&model.mu);
    known = model.known;
  }
  int checked = 0;
  for (const auto& [key, seed] : known) {
    absl::StatusOr<std::string> got = client.Get("crash", key);
    INFO(key << ": " << got.status().ToString());
    if (seed == 0) {
      CHECK(absl::IsNotFound(got.status()));
    } else {
      REQUIRE(got.ok());
      CHECK(*got == Payload(seed));
    }
    ++checked;
  }
  return checked;
}

void CrashLoop(bool kill_master) {
  ClusterOptions options;
  options.master_bin = WAREHOUSE_MASTER_BIN;
  options.volume_bin = WAREHOUSE_VOLUME_BIN;
  auto cluster = Cluster::Start(options);
  INFO(cluster.status().ToString());
  REQUIRE(cluster.ok());
  auto client = testing::ConnectWithoutRetries(**cluster);
  REQUIRE(client->CreateBucket("crash").ok());

  Model model;
  std::atomic<uint64_t> version{0};
  std::atomic<int> wrong_reads{0};
  std::mt19937 rng(kill_master ? 2 : 1);
  int checked = 0;
  for (int crash = 0; crash < kCrashes; ++crash) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t, seed = rng()] {
        std::mt19937 thread_rng(seed);
        RunLoad(*client, model, stop, version, t, thread_rng, wrong_reads);
      });
    }
    // Kill at a random moment while the load runs.
    absl::SleepFor(absl::Milliseconds(100 + rng() % 400));
    absl::Status restarted;
    if (kill_master) {
      (*cluster)->master().Signal(SIGKILL);
      stop = true;
      for (auto& thread : threads) thread.join();
      restarted = (*cluster)->RestartMaster();
    } else {
      (*cluster)->KillVolumeServer(0);
      stop = true;
      for (auto& thread : threads) thread.join();
      restarted = (*cluster)->RestartVolumeServer(0);
    }
    INFO("restart " << crash << ": " << restarted.ToString());
    REQUIRE(restarted.ok());
    checked += CheckAll(*client, model);
    auto volumes = client->ListVolumes();
    REQUIRE(volumes.ok());
    for (const VolumeInfo& volume : *volumes) {
      INFO("volume " << volume.volume_id);
      CHECK_FALSE(volume.read_only);
    }
  }
  CHECK(wrong_reads == 0);
  // After the last restart the master's metadata and the volume server's
  // needles agree: nothing is missing; orphans (needles whose upload's
  // outcome a crash left unknown) are reclaimable and only counted.
  auto report = client->CheckConsistency(/*repair_orphans=*/false);
  INFO(report.status().ToString());
  REQUIRE(report.ok());
  for (const ConsistencyFinding& finding : report->findings) {
    INFO("finding: volume " << finding.volume_id << " " << finding.file_id
                            << " " << finding.bucket << "/" << finding.key
                            << ": " << finding.detail);
    CHECK(finding.kind == ConsistencyFinding::Kind::kOrphan);
  }
  CHECK(report->missing == 0);
  CHECK(report->volumes_unchecked == 0);
  CHECK(report->volumes_checked >= 1);
  absl::MutexLock lock(&model.mu);
  // Enough happened for the checks to mean something.
  CHECK(model.acknowledged_writes >= 100);
  CHECK(model.acknowledged_deletes >= 20);
  CHECK(checked >= kCrashes * 20);
  WARN("crashes survived: " << kCrashes << ", acknowledged writes "
                            << model.acknowledged_writes << ", deletes "
                            << model.acknowledged_deletes
                            << ", keys checked after restarts " << checked
                            << "; fsck: " << report->objects_checked
                            << " objects, " << report->orphans
                            << " orphans, " << report->needles_in_flight
                            << " in flight");
}

TEST_CASE("every acknowledged write survives 20 SIGKILLs of the volume server",
          "[e2e][crash]") {
  CrashLoop(/*kill_master=*/false);
}

TEST_CASE("every acknowledged write survives 20 SIGKILLs of the master",
          "[e2e][crash]") {
  CrashLoop(/*kill_master=*/true);
}

TEST_CASE("a paused volume server goes offline and comes back",
          "[e2e][crash]") {
  ClusterOptions options;
  options.master_bin = WAREHOUSE_MASTER_BIN;
  options.volume_bin = WAREHOUSE_VOLUME_BIN;
  options.volume_servers = 2;
  auto cluster = Cluster::Start(options);
  REQUIRE(cluster.ok());
  REQUIRE((*cluster)->WaitForOnlineServers(2, absl::Seconds(10)).ok());
  (*cluster)->volume_server(1).Signal(SIGSTOP);
  // Silent for three heartbeat intervals (0.2 s each): offline.
  CHECK((*cluster)->WaitForOnlineServers(1, absl::Seconds(10)).ok());
  (*cluster)->volume_server(1).Signal(SIGCONT);
  CHECK((*cluster)->WaitForOnlineServers(2, absl::Seconds(10)).ok());
}

}  // namespace
}  // namespace warehouse
