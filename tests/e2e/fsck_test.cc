// The consistency check end to end: a real cluster, damage made behind the
// master's back through its database, and `warehouse fsck` reporting and
// repairing it.
#include <unistd.h>

#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "master/sqlite.h"
#include "tests/support/cluster.h"
#include "tests/support/process.h"
#include "warehouse/client.h"

namespace warehouse {
namespace {

using testing::Cluster;
using testing::ClusterOptions;
using testing::CommandResult;
using testing::RunCommand;

std::unique_ptr<Client> Connect(const Cluster& cluster) {
  ClientOptions options;
  options.master_address = cluster.master_address();
  options.access_key_id = cluster.access_key_id();
  options.secret_access_key = cluster.secret_access_key();
  auto client = Client::Create(options);
  REQUIRE(client.ok());
  return *std::move(client);
}

// A second connection to the master's database, as an operator's sqlite3
// would be: the master keeps running.
std::unique_ptr<master::Database> OpenDatabase(const Cluster& cluster) {
  master::Database::Options options;
  options.quick_check = false;
  auto db = master::Database::Open(cluster.db_path(), options);
  INFO(db.status().ToString());
  REQUIRE(db.ok());
  return *std::move(db);
}

void Execute(master::Database& db, const std::string& sql) {
  absl::Status status = db.Execute(sql);
  INFO(sql << ": " << status.ToString());
  REQUIRE(status.ok());
}

int64_t QueryInt(master::Database& db, const std::string& sql) {
  auto statement = db.Prepare(sql);
  REQUIRE(statement.ok());
  auto row = statement->Step();
  REQUIRE(row.ok());
  REQUIRE(*row);
  return statement->ColumnInt64(0);
}

CommandResult Fsck(const Cluster& cluster, std::vector<std::string> flags) {
  std::vector<std::string> argv = {WAREHOUSE_CLI_BIN, "fsck", "--master",
                                   cluster.master_address()};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto result = RunCommand(
      argv, {{"WAREHOUSE_ACCESS_KEY", cluster.access_key_id()},
             {"WAREHOUSE_SECRET_KEY", cluster.secret_access_key()}});
  REQUIRE(result.ok());
  return *result;
}

// Waits until the deletion queue is empty (the deletion worker runs every
// second).
void WaitForDeletes(master::Database& db) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (QueryInt(db, "SELECT count(*) FROM needle_deletes") > 0) {
    REQUIRE(absl::Now() < deadline);
    absl::SleepFor(absl::Milliseconds(100));
  }
}

TEST_CASE("fsck reports orphans and missing needles, and --repair reclaims "
          "the orphans",
          "[e2e][fsck]") {
  ClusterOptions options;
  options.master_bin = WAREHOUSE_MASTER_BIN;
  options.volume_bin = WAREHOUSE_VOLUME_BIN;
  auto cluster = Cluster::Start(options);
  INFO(cluster.status().ToString());
  REQUIRE(cluster.ok());
  auto client = Connect(**cluster);
  REQUIRE(client->CreateBucket("fsck").ok());
  for (const char* key : {"kept", "orphaned", "lost"}) {
    REQUIRE(client->Put("fsck", key, absl::StrCat("bytes of ", key)).ok());
  }

  // A clean cluster: nothing to report, exit status 0.
  CommandResult clean = Fsck(**cluster, {});
  INFO(clean.output);
  CHECK(clean.exit_code == 0);
  CHECK_THAT(clean.output, Catch::Contains("0 missing, 0 orphans"));

  auto db = OpenDatabase(**cluster);
  const int64_t orphan_needle = QueryInt(
      *db, "SELECT needle_id FROM objects WHERE key = 'orphaned'");
  // An orphan: the row goes, the needle stays (as if a commit were lost).
  Execute(*db,
          "UPDATE buckets SET object_count = object_count - 1 "
          "WHERE name = 'fsck'");
  Execute(*db, "DELETE FROM objects WHERE key = 'orphaned'");
  // A missing needle: deleted on the volume server behind the object's
  // back, through the master's own deletion queue.
  Execute(*db,
          "INSERT INTO needle_deletes (volume_id, needle_id, cookie, reason, "
          "attempts, next_attempt_us, enqueued_at_us) "
          "SELECT volume_id, needle_id, cookie, 'test', 0, 0, 0 FROM objects "
          "WHERE key = 'lost'");
  WaitForDeletes(*db);

  CommandResult found = Fsck(**cluster, {});
  INFO(found.output);
  CHECK(found.exit_code == 1);
  CHECK_THAT(found.output, Catch::Contains("1 missing, 1 orphans"));
  CHECK_THAT(found.output, Catch::Contains("fsck/lost"));
  CHECK_THAT(found.output, Catch::Contains("needle absent from its volume"));
  CHECK_THAT(found.output, Catch::Contains("orphan"));
  CHECK_THAT(found.output, Catch::Contains("objects have lost their data"));
  CHECK(client->Get("fsck", "kept").ok());

  // --repair queues the orphan; once the deletion worker has run, only the
  // missing object is left, and it stays (repair never removes objects).
  CommandResult repaired = Fsck(**cluster, {"--repair"});
  INFO(repaired.output);
  CHECK(repaired.exit_code == 1);
  CHECK_THAT(repaired.output, Catch::Contains("1 queued for deletion"));
  CHECK(QueryInt(*db, absl::StrCat("SELECT count(*) FROM needle_deletes "
                                   "WHERE reason = 'orphan' AND needle_id = ",
                                   orphan_needle)) <= 1);
  WaitForDeletes(*db);
  CommandResult after = Fsck(**cluster, {"--json"});
  INFO(after.output);
  CHECK(after.exit_code == 1);
  CHECK_THAT(after.output, Catch::Contains("\"orphans\":0"));
  CHECK_THAT(after.output, Catch::Contains("\"missing\":1"));
  CHECK_THAT(after.output, Catch::Contains("\"key\":\"lost\""));

  // Deleting the lost object is how an operator gives up on it.
  REQUIRE(client->Delete("fsck", "lost").ok());
  CommandResult settled = Fsck(**cluster, {});
  INFO(settled.output);
  CHECK(settled.exit_code == 0);
  CHECK_THAT(settled.output, Catch::Contains("0 missing, 0 orphans"));

  // An offline server's volumes are reported unchecked, not missing.
  (*cluster)->KillVolumeServer(0);
  REQUIRE((*cluster)->WaitForOnlineServers(0, absl::Seconds(10)).ok());
  CommandResult offline = Fsck(**cluster, {});
  INFO(offline.output);
  CHECK(offline.exit_code == 0);
  CHECK_THAT(offline.output, Catch::Contains("unchecked"));
  CHECK_THAT(offline.output, Catch::Contains("is offline"));
  CHECK_THAT(offline.output, Catch::Contains("0 volumes checked"));
}

TEST_CASE("fsck reports the objects of a volume its server lost as missing",
          "[e2e][fsck]") {
  ClusterOptions options;
  options.master_bin = WAREHOUSE_MASTER_BIN;
  options.volume_bin = WAREHOUSE_VOLUME_BIN;
  auto cluster = Cluster::Start(options);
  INFO(cluster.status().ToString());
  REQUIRE(cluster.ok());
  auto client = Connect(**cluster);
  REQUIRE(client->CreateBucket("gone").ok());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(client->Put("gone", absl::StrCat("k", i), "bytes").ok());
  }
  auto db = OpenDatabase(**cluster);
  const int64_t volume_id =
      QueryInt(*db, "SELECT volume_id FROM objects WHERE key = 'k0'");
  const int64_t on_volume = QueryInt(
      *db, absl::StrCat("SELECT count(*) FROM objects WHERE volume_id = ",
                        volume_id));
  // The volume's files vanish while the server is down (a replaced disk).
  (*cluster)->KillVolumeServer(0);
  const std::string data_dir = absl::StrCat((*cluster)->dir(), "/volume0/");
  REQUIRE(unlink(absl::StrCat(data_dir, volume_id, ".dat").c_str()) == 0);
  unlink(absl::StrCat(data_dir, volume_id, ".idx").c_str());
  REQUIRE((*cluster)->RestartVolumeServer(0).ok());

  CommandResult report = Fsck(**cluster, {});
  INFO(report.output);
  CHECK(report.exit_code == 1);
  CHECK_THAT(report.output,
             Catch::Contains(absl::StrCat(on_volume, " missing, 0 orphans")));
  CHECK_THAT(report.output, Catch::Contains("does not hold the volume"));
  CHECK_THAT(report.output, Catch::Contains("gone/k0"));
  // The objects on other volumes are still there.
  CHECK_THAT(report.output, Catch::Contains("3 objects"));
}

TEST_CASE("fsck during a load of puts, overwrites, deletes and compactions "
          "reports nothing",
          "[e2e][fsck]") {
  ClusterOptions options;
  options.master_bin = WAREHOUSE_MASTER_BIN;
  options.volume_bin = WAREHOUSE_VOLUME_BIN;
  auto cluster = Cluster::Start(options);
  INFO(cluster.status().ToString());
  REQUIRE(cluster.ok());
  auto client = Connect(**cluster);
  REQUIRE(client->CreateBucket("busy").ok());

  constexpr int kThreads = 4;
  constexpr int kChecks = 15;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> operations{0};
  std::atomic<int> failed_operations{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t + 1);
      while (!stop) {
        const std::string key = absl::StrCat("t", t, "/k", rng() % 20);
        absl::Status status =
            rng() % 3 == 0
                ? client->Delete("busy", key)
                : client->Put("busy", key, std::string(1 + rng() % 5000, 'x'))
                      .status();
        if (!status.ok() && !absl::IsNotFound(status)) ++failed_operations;
        ++operations;
      }
    });
  }
  uint64_t in_flight_seen = 0;
  for (int check = 0; check < kChecks; ++check) {
    if (check % 5 == 2) {
      auto volumes = client->ListVolumes();
      REQUIRE(volumes.ok());
      for (const VolumeInfo& volume : *volumes) {
        client->CompactVolume(volume.volume_id).IgnoreError();
      }
    }
    auto report = client->CheckConsistency(/*repair_orphans=*/false);
    INFO("check " << check << ": " << report.status().ToString());
    REQUIRE(report.ok());
    for (const ConsistencyFinding& finding : report->findings) {
      INFO("check " << check << ": finding: volume " << finding.volume_id
                    << " " << finding.file_id << " " << finding.bucket << "/"
                    << finding.key << ": " << finding.detail);
      FAIL_CHECK("the check reported a finding during the load");
    }
    CHECK(report->missing == 0);
    CHECK(report->orphans == 0);
    CHECK(report->volumes_unchecked == 0);
    in_flight_seen += report->needles_in_flight;
    absl::SleepFor(absl::Milliseconds(100));
  }
  stop = true;
  for (std::thread& thread : threads) thread.join();
  CHECK(failed_operations == 0);
  // The checks ran while uploads and deletes were under way.
  CHECK(operations >= 100);
  CHECK(in_flight_seen > 0);
  WARN(operations << " operations during " << kChecks << " checks; "
                  << in_flight_seen << " needles seen in flight");
}

}  // namespace
}  // namespace warehouse
