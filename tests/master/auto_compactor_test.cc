// The master compacting volumes by itself (master/auto_compactor.h), with
// scripted volume servers answering its commands.
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "master/auto_compactor.h"
#include "tests/master/master_test_util.h"

namespace warehouse::master::testing {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

// A volume of `size` bytes, `garbage` of them garbage.
v1::VolumeStatus WithGarbage(uint32_t volume_id, uint64_t size,
                             uint64_t garbage) {
  v1::VolumeStatus status = Volume(volume_id, size);
  status.set_live_bytes(size - garbage);
  status.set_garbage_bytes(garbage);
  return status;
}

// The next command `server` receives, which must compact `volume_id`.
v1::MasterCommand ExpectCompaction(ScriptedVolumeServer& server,
                                   uint32_t volume_id) {
  std::optional<v1::MasterCommand> command = server.NextCommand();
  REQUIRE(command.has_value());
  REQUIRE(command->has_compact_volume());
  CHECK(command->compact_volume().volume_id() == volume_id);
  return *command;
}

TEST_CASE("volumes with enough garbage are compacted by themselves",
          "[master][compaction]") {
  TestMaster m([](MasterServer::Options& options) {
    options.auto_compaction.min_garbage_ratio = 0.3;
    options.auto_compaction.min_garbage_bytes = kMiB;
    options.auto_compaction.interval = absl::Milliseconds(50);
    options.auto_compaction.bytes_per_second = 32 << 20;
  });
  ScriptedVolumeServer a(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  ScriptedVolumeServer b(m.channel(), &m.keys(), "vs2", "127.0.0.1:8082");
  // Due: 1 (40%) and 2 (80%). Not due: 3 (90%, but of 1000 bytes) and 4
  // (20%).
  std::vector<v1::VolumeStatus> volumes = {
      WithGarbage(1, 10 * kMiB, 4 * kMiB), WithGarbage(2, 10 * kMiB, 8 * kMiB),
      WithGarbage(3, 1000, 900), WithGarbage(4, 100 * kMiB, 20 * kMiB)};
  a.ConnectAndAwaitOnline(m, volumes);
  b.ConnectAndAwaitOnline(m, {WithGarbage(5, 10 * kMiB, 5 * kMiB)});

  // Each server compacts one volume at a time, the most garbage first.
  const v1::MasterCommand first = ExpectCompaction(a, 2);
  CHECK(first.compact_volume().bytes_per_second() == 32 << 20);
  const v1::MasterCommand other = ExpectCompaction(b, 5);
  CHECK_FALSE(a.NextCommand(absl::Milliseconds(300)).has_value());

  // As warehouse-volume does: the volume's new size, then the result.
  volumes[1] = WithGarbage(2, 2 * kMiB, 0);
  REQUIRE(a.Heartbeat(volumes));
  REQUIRE(a.SendResult(first.command_id(), absl::OkStatus(), 8 * kMiB));
  const v1::MasterCommand second = ExpectCompaction(a, 1);
  volumes[0] = WithGarbage(1, 6 * kMiB, 0);
  REQUIRE(a.Heartbeat(volumes));
  REQUIRE(a.SendResult(second.command_id(), absl::OkStatus(), 4 * kMiB));
  CHECK_FALSE(a.NextCommand(absl::Milliseconds(300)).has_value());
  CHECK(m.server().compactions().stats().succeeded == 2);
}

TEST_CASE("a volume whose compaction failed waits, and its server's next "
          "volume goes first",
          "[master][compaction]") {
  TestMaster m([](MasterServer::Options& options) {
    options.auto_compaction.min_garbage_ratio = 0.3;
    options.auto_compaction.min_garbage_bytes = kMiB;
    options.auto_compaction.interval = absl::Milliseconds(50);
  });
  ScriptedVolumeServer a(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  std::vector<v1::VolumeStatus> volumes = {
      WithGarbage(1, 10 * kMiB, 4 * kMiB), WithGarbage(2, 10 * kMiB, 8 * kMiB)};
  a.ConnectAndAwaitOnline(m, volumes);

  const v1::MasterCommand first = ExpectCompaction(a, 2);
  REQUIRE(a.SendResult(first.command_id(),
                       absl::ResourceExhaustedError("volume 2: no room"), 0));

  // Volume 2 still has the most garbage, but waits out its hour.
  const v1::MasterCommand second = ExpectCompaction(a, 1);
  volumes[0] = WithGarbage(1, 6 * kMiB, 0);
  REQUIRE(a.Heartbeat(volumes));
  REQUIRE(a.SendResult(second.command_id(), absl::OkStatus(), 4 * kMiB));
  CHECK_FALSE(a.NextCommand(absl::Milliseconds(300)).has_value());

  const auto latest = m.server().compactions().Latest();
  REQUIRE(latest.count(2) == 1);
  CHECK(latest.at(2).state ==
        CompactionScheduler::VolumeCompaction::State::kFailed);
  CHECK(latest.at(2).failures_in_a_row == 1);
  CHECK(latest.at(1).failures_in_a_row == 0);
}

TEST_CASE("a volume whose compaction failed is tried again later, and "
          "later after each failure in a row",
          "[master][compaction]") {
  constexpr absl::Duration kFirstDelay = absl::Milliseconds(300);
  TestMaster m([&](MasterServer::Options& options) {
    options.auto_compaction.min_garbage_ratio = 0.3;
    options.auto_compaction.min_garbage_bytes = kMiB;
    options.auto_compaction.interval = absl::Milliseconds(50);
    options.auto_compaction.first_retry_delay = kFirstDelay;
  });
  ScriptedVolumeServer a(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  a.ConnectAndAwaitOnline(m, {WithGarbage(2, 10 * kMiB, 8 * kMiB)});

  v1::MasterCommand command = ExpectCompaction(a, 2);
  for (int failures = 1; failures <= 2; ++failures) {
    const absl::Time failed = absl::Now();
    REQUIRE(a.SendResult(command.command_id(),
                         absl::ResourceExhaustedError("volume 2: no room"),
                         0));
    command = ExpectCompaction(a, 2);
    // The wait is a lower bound: the retry comes at the first look after.
    CHECK(absl::Now() - failed >= kFirstDelay * (1 << (failures - 1)));
  }
  REQUIRE(a.SendResult(command.command_id(), absl::OkStatus(), 8 * kMiB));
  CHECK(Eventually([&] {
    const auto latest = m.server().compactions().Latest();
    return latest.count(2) == 1 && latest.at(2).failures_in_a_row == 0;
  }));
}

// Asks the master to compact `volume_id`, as `warehouse compact` does.
bool Compact(TestMaster& m, uint32_t volume_id) {
  v1::CompactVolumeRequest request;
  request.set_volume_id(volume_id);
  v1::CompactVolumeResponse response;
  return MASTER_CALL(m, CompactVolume, request, &response, &m.admin()).ok();
}

TEST_CASE("a master restart keeps each volume's latest compaction, and one "
          "it cut short reads as failed",
          "[master][compaction]") {
  warehouse::testing::TempDir dir;
  auto adjust = [&](MasterServer::Options& options) {
    options.db_path = dir.Join("meta.db");
    options.auto_compaction.min_garbage_ratio = 0;
  };
  {
    TestMaster m(adjust);
    ScriptedVolumeServer a(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
    a.ConnectAndAwaitOnline(m, {WithGarbage(1, 10 * kMiB, 8 * kMiB),
                                WithGarbage(2, 10 * kMiB, 8 * kMiB)});
    REQUIRE(Compact(m, 1));
    const v1::MasterCommand first = ExpectCompaction(a, 1);
    REQUIRE(a.SendResult(first.command_id(),
                         absl::ResourceExhaustedError("volume 1: no room"), 0));
    REQUIRE(Eventually([&] {
      return m.server().compactions().Latest().at(1).state ==
             CompactionScheduler::VolumeCompaction::State::kFailed;
    }));
    // Volume 2's compaction is never answered: the master stops first.
    REQUIRE(Compact(m, 2));
    ExpectCompaction(a, 2);
  }
  TestMaster m(adjust);
  const auto latest = m.server().compactions().Latest();
  REQUIRE(latest.size() == 2);
  const CompactionScheduler::VolumeCompaction& one = latest.at(1);
  CHECK(one.state == CompactionScheduler::VolumeCompaction::State::kFailed);
  CHECK_THAT(one.error, Catch::Contains("volume 1: no room"));
  CHECK(one.failures_in_a_row == 1);
  CHECK(one.finished > one.started);
  const CompactionScheduler::VolumeCompaction& two = latest.at(2);
  CHECK(two.state == CompactionScheduler::VolumeCompaction::State::kFailed);
  CHECK_THAT(two.error, Catch::Contains("the master restarted"));
  CHECK(two.failures_in_a_row == 0);
  // Listed to operators once the volume's server is back.
  ScriptedVolumeServer a(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  a.ConnectAndAwaitOnline(m, {WithGarbage(1, 10 * kMiB, 8 * kMiB),
                              WithGarbage(2, 10 * kMiB, 8 * kMiB)});
  v1::ListVolumesResponse volumes;
  REQUIRE(MASTER_CALL(m, ListVolumes, v1::ListVolumesRequest(), &volumes,
                      &m.admin())
              .ok());
  int listed = 0;
  for (const v1::VolumeInfo& volume : volumes.volumes()) {
    if (!volume.has_last_compaction()) continue;
    ++listed;
    CHECK(volume.last_compaction().state() == v1::COMPACTION_STATE_FAILED);
  }
  CHECK(listed == 2);
}

TEST_CASE("the wait after failed compactions doubles up to its limit",
          "[master][compaction]") {
  AutoCompactor::Options options;
  options.first_retry_delay = absl::Hours(1);
  options.max_retry_delay = absl::Hours(24);
  CHECK(AutoCompactor::RetryDelay(options, 1) == absl::Hours(1));
  CHECK(AutoCompactor::RetryDelay(options, 2) == absl::Hours(2));
  CHECK(AutoCompactor::RetryDelay(options, 5) == absl::Hours(16));
  CHECK(AutoCompactor::RetryDelay(options, 6) == absl::Hours(24));
  CHECK(AutoCompactor::RetryDelay(options, 1000) == absl::Hours(24));
}

}  // namespace
}  // namespace warehouse::master::testing
