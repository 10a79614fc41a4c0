// Online compaction: space reclaimed, nothing lost while readers and writers
// run, and a consistent volume after a crash at every step.
#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "tests/support/fault_injection_file_system.h"
#include "tests/support/temp_dir.h"
#include "tests/volume/volume_test_util.h"
#include "volume/needle_format.h"
#include "volume/volume.h"

namespace warehouse::volume {
namespace {

using testing::CookieOf;
using testing::ExpectNeedle;
using testing::Payload;
using testing::Request;
using warehouse::testing::FaultInjectionFileSystem;
using warehouse::testing::TempDir;

// Fills a volume with 200 needles and deletes or overwrites some.
std::map<uint64_t, int64_t> Fill(Volume& volume) {
  std::map<uint64_t, int64_t> expected;
  for (uint64_t id = 1; id <= 200; ++id) {
    REQUIRE(volume.Append(Request(id, id * 37), Payload(id, id * 37)).ok());
    expected[id] = id * 37;
  }
  for (uint64_t id = 1; id <= 200; id += 3) {
    REQUIRE(volume.Delete(id, CookieOf(id)).ok());
    expected[id] = -1;
  }
  for (uint64_t id = 2; id <= 200; id += 7) {
    REQUIRE(volume.Append(Request(id, 11), Payload(id, 11)).ok());
    expected[id] = 11;
  }
  return expected;
}

TEST_CASE("compaction reclaims deleted and overwritten space",
          "[volume][compaction]") {
  TempDir dir;
  auto volume = Volume::Create(dir.path(), 7, {});
  REQUIRE(volume.ok());
  auto expected = Fill(**volume);
  VolumeUsage before = (*volume)->Usage();
  uint64_t last_progress = 0;
  CompactionOptions options;
  options.progress = [&](uint64_t done, uint64_t total) {
    CHECK(done <= total);
    last_progress = done;
    // What heartbeats report meanwhile.
    const VolumeUsage during = (*volume)->Usage();
    CHECK(during.compacting);
    CHECK(during.compaction_copied_bytes == done);
    CHECK(during.compaction_total_bytes == total);
  };
  auto result = (*volume)->Compact(options);
  REQUIRE(result.ok());
  VolumeUsage after = (*volume)->Usage();
  CHECK_FALSE(after.compacting);
  CHECK(after.compaction_copied_bytes == 0);
  CHECK(after.compaction_total_bytes == 0);
  CHECK(result->old_size == before.file_size);
  CHECK(result->new_size == after.file_size);
  CHECK(result->bytes_reclaimed == before.garbage_bytes);
  CHECK(after.garbage_bytes == 0);
  CHECK(after.live_bytes == before.live_bytes);
  CHECK(after.needle_count == before.needle_count);
  CHECK(after.compaction_revision == before.compaction_revision + 1);
  CHECK(last_progress == before.live_bytes);
  for (const auto& [id, size] : expected) ExpectNeedle(**volume, id, size);
  // Writes go on after the switch, and all of it survives a reopen.
  REQUIRE((*volume)->Append(Request(500, 9), Payload(500, 9)).ok());
  expected[500] = 9;
  REQUIRE((*volume)->Close().ok());
  volume->reset();
  auto reopened = Volume::Open(dir.path(), 7, {});
  REQUIRE(reopened.ok());
  for (const auto& [id, size] : expected) ExpectNeedle(**reopened, id, size);
  // Rebuilt from the compacted file alone, nothing deleted comes back.
  reopened->reset();
  REQUIRE(FileSystem::Default()->Remove(Volume::IndexPath(dir.path(), 7)).ok());
  reopened = Volume::Open(dir.path(), 7, {});
  REQUIRE(reopened.ok());
  for (const auto& [id, size] : expected) ExpectNeedle(**reopened, id, size);
}

TEST_CASE(
    "compaction packs small needles around deleted ones and moves "
    "large ones in chunks",
    "[volume][compaction]") {
  TempDir dir;
  auto volume = Volume::Create(dir.path(), 7, {});
  REQUIRE(volume.ok());
  // Runs of small needles with deleted ones between (packed from one read),
  // needles larger than a copy chunk (copied in pieces), and sparse
  // stretches where a run must stop before reading mostly garbage.
  std::map<uint64_t, int64_t> expected;
  for (uint64_t id = 1; id <= 300; ++id) {
    const int64_t size = id % 50 == 0 ? (3 << 20) + 5 : 100 + id * 13;
    REQUIRE(volume->get()->Append(Request(id, size), Payload(id, size)).ok());
    expected[id] = size;
  }
  for (uint64_t id = 1; id <= 300; ++id) {
    const bool sparse = id > 200 && id % 10 != 0;
    if (id % 2 == 1 || sparse) {
      REQUIRE((*volume)->Delete(id, CookieOf(id)).ok());
      expected[id] = -1;
    }
  }
  const VolumeUsage before = (*volume)->Usage();
  auto result = (*volume)->Compact({});
  REQUIRE(result.ok());
  CHECK(result->bytes_reclaimed == before.garbage_bytes);
  CHECK((*volume)->Usage().live_bytes == before.live_bytes);
  for (const auto& [id, size] : expected) ExpectNeedle(**volume, id, size);
  REQUIRE((*volume)->Close().ok());
  volume->reset();
  auto reopened = Volume::Open(dir.path(), 7, {});
  REQUIRE(reopened.ok());
  for (const auto& [id, size] : expected) ExpectNeedle(**reopened, id, size);
}

TEST_CASE("a reader of the replaced file finishes after compactions back to back",
          "[volume][compaction]") {
  TempDir dir;
  auto volume = Volume::Create(dir.path(), 7, {});
  REQUIRE(volume.ok());
  auto expected = Fill(**volume);
  constexpr size_t kLarge = 3 << 20;  // read in pieces, not at once
  REQUIRE((*volume)->Append(Request(900, kLarge), Payload(900, kLarge)).ok());
  auto reader = (*volume)->OpenNeedle(900, CookieOf(900));
  REQUIRE(reader.ok());
  // Each compaction replaces the file the reader holds; the first one's
  // release of it waits for the reader, the second's for the first's.
  for (uint64_t id : {6, 8}) {
    REQUIRE((*volume)->Delete(id, CookieOf(id)).ok());
    expected[id] = -1;
    REQUIRE((*volume)->Compact({}).ok());
  }
  auto data = reader->ReadAll();
  REQUIRE(data.ok());
  CHECK(*data == Payload(900, kLarge));
  expected[900] = kLarge;
  for (const auto& [id, size] : expected) ExpectNeedle(**volume, id, size);
  CHECK((*volume)->Usage().compaction_revision == 2);
}

TEST_CASE("compaction works on read-only and full volumes",
          "[volume][compaction]") {
  TempDir dir;
  VolumeOptions options;
  options.max_size = 32 << 10;
  auto volume = Volume::Create(dir.path(), 7, options);
  REQUIRE(volume.ok());
  uint64_t id = 1;
  while ((*volume)->Append(Request(id, 500), Payload(id, 500)).ok()) ++id;
  const uint64_t last = id - 1;
  for (uint64_t i = 1; i <= last; i += 2) REQUIRE((*volume)->Delete(i, CookieOf(i)).ok());
  REQUIRE((*volume)->SetReadOnly(true).ok());
  auto result = (*volume)->Compact({});
  REQUIRE(result.ok());
  CHECK(result->bytes_reclaimed > 0);
  CHECK((*volume)->Usage().read_only);
  for (uint64_t i = 1; i <= last; ++i) ExpectNeedle(**volume, i, i % 2 ? -1 : 500);
  REQUIRE((*volume)->SetReadOnly(false).ok());
  CHECK((*volume)->Append(Request(id, 500), Payload(id, 500)).ok());
}

TEST_CASE("readers and writers carry on during compaction and lose nothing",
          "[volume][compaction]") {
  TempDir dir;
  auto volume = Volume::Create(dir.path(), 7, {});
  REQUIRE(volume.ok());
  Volume& v = **volume;
  // Acknowledged state, shared by the writers and the checker.
  absl::Mutex mu;
  std::map<uint64_t, int64_t> expected;
  for (uint64_t id = 1; id <= 300; ++id) {
    REQUIRE(v.Append(Request(id, 2000), Payload(id, 2000)).ok());
    expected[id] = 2000;
  }
  for (uint64_t id = 1; id <= 300; id += 2) {
    REQUIRE(v.Delete(id, CookieOf(id)).ok());
    expected[id] = -1;
  }
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  // Writers: new needles, overwrites and deletes, each on its own ids so the
  // expected map is exact.
  for (int w = 0; w < 3; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937 rng(w);
      for (int op = 0; op < 2000 && !stop; ++op) {
        uint64_t id = 1 + w + 3 * (rng() % 150);
        int64_t size = rng() % 4000;
        absl::Status status;
        if (rng() % 3 == 0) {
          status = v.Delete(id, CookieOf(id));
          if (status.ok() || absl::IsNotFound(status)) {
            absl::MutexLock lock(&mu);
            expected[id] = -1;
            continue;
          }
        } else {
          status = v.Append(Request(id, size), Payload(id, size)).status();
          if (status.ok()) {
            absl::MutexLock lock(&mu);
            expected[id] = size;
            continue;
          }
        }
        ++errors;
      }
    });
  }
  // Readers: every read is either not found or exactly a version written.
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      std::mt19937 rng(100 + r);
      while (!stop) {
        uint64_t id = 1 + rng() % 450;
        auto reader = v.OpenNeedle(id, CookieOf(id));
        if (!reader.ok()) {
          if (!absl::IsNotFound(reader.status())) ++errors;
          continue;
        }
        auto data = reader->ReadAll();
        if (!data.ok() || *data != Payload(id, reader->info().size)) ++errors;
      }
    });
  }
  int compactions = 0;
  CompactionOptions options;
  options.bytes_per_second = 4 << 20;
  for (int i = 0; i < 3; ++i) {
    auto result = v.Compact(options);
    INFO(result.status().ToString());
    CHECK(result.ok());
    if (result.ok()) ++compactions;
  }
  stop = true;
  for (auto& t : threads) t.join();
  CHECK(errors == 0);
  CHECK(compactions == 3);
  for (const auto& [id, size] : expected) ExpectNeedle(v, id, size);
  REQUIRE(v.Close().ok());
  volume->reset();
  auto reopened = Volume::Open(dir.path(), 7, {});
  REQUIRE(reopened.ok());
  for (const auto& [id, size] : expected) ExpectNeedle(**reopened, id, size);
}

// A PUT url used again (a retry) while its first PUT is still streaming in
// is refused as in flight; while a compaction holds new writes for its
// switch-over, the first PUT may commit before the retry is let go.
TEST_CASE(
    "a put url used again during a compaction switch-over never replaces "
    "its needle",
    "[volume][compaction]") {
  TempDir dir;
  absl::Notification held;
  VolumeOptions options;
  options.on_held_for_switch_for_testing = [&held](uint64_t id) {
    if (id == 5 && !held.HasBeenNotified()) held.Notify();
  };
  auto volume = Volume::Create(dir.path(), 7, options);
  REQUIRE(volume.ok());
  Volume& v = **volume;
  REQUIRE(v.Append(Request(1, 100), Payload(1, 100)).ok());
  AppendRequest request = Request(5, 100);
  request.only_if_new = true;
  auto first = v.BeginAppend(request);
  REQUIRE(first.ok());
  REQUIRE((*first)->Write(Payload(5, 100)).ok());

  // The switch-over waits for the first PUT to finish.
  absl::StatusOr<CompactionResult> compacted;
  std::thread compaction([&] { compacted = v.Compact({}); });
  // The retry is refused as in flight until the switch-over holds it.
  absl::StatusOr<std::unique_ptr<NeedleWriter>> again;
  std::thread retry([&] {
    for (int attempt = 0; attempt < 5000; ++attempt) {
      again = v.BeginAppend(request);
      if (!absl::IsAborted(again.status())) return;
      absl::SleepFor(absl::Milliseconds(1));
    }
  });
  const bool was_held = held.WaitForNotificationWithTimeout(absl::Seconds(10));
  const absl::Status committed = (*first)->Commit().status();
  compaction.join();
  retry.join();
  REQUIRE(was_held);
  REQUIRE(committed.ok());
  CHECK(compacted.ok());
  INFO(again.status().ToString());
  CHECK(again.status().code() == absl::StatusCode::kAlreadyExists);
  if (again.ok()) {
    const std::string other = Payload(55, 100);
    if ((*again)->Write(other).ok()) (*again)->Commit().IgnoreError();
  }
  ExpectNeedle(v, 5, 100);
}

TEST_CASE("a crash at any compaction step reopens with every needle",
          "[volume][compaction][fault]") {
  for (int step = 1; step <= 4; ++step) {
    for (bool power_loss : {false, true}) {
      INFO("crash after step " << step << (power_loss ? " with power loss" : ""));
      TempDir dir;
      FaultInjectionFileSystem fs;
      VolumeOptions options;
      options.fs = &fs;
      std::map<uint64_t, int64_t> expected;
      {
        auto volume = Volume::Create(dir.path(), 7, options);
        REQUIRE(volume.ok());
        expected = Fill(**volume);
        CompactionOptions compaction;
        compaction.stop_after_step_for_testing = step;
        auto result = (*volume)->Compact(compaction);
        CHECK(result.status().code() == absl::StatusCode::kAborted);
        // The "crashed" volume takes no more writes.
        CHECK_FALSE((*volume)->Append(Request(999, 1), "x").ok());
      }
      if (power_loss) REQUIRE(fs.DropUnsyncedData().ok());
      auto volume = Volume::Open(dir.path(), 7, options);
      REQUIRE(volume.ok());
      for (const auto& [id, size] : expected) ExpectNeedle(**volume, id, size);
      // Past the commit point the reopened volume is the compacted one.
      CHECK((*volume)->Usage().compaction_revision == (step >= 2 ? 1 : 0));
      auto names = fs.ListDir(dir.path());
      REQUIRE(names.ok());
      CHECK(*names == std::vector<std::string>{"7.dat", "7.idx"});
      REQUIRE((*volume)->Append(Request(999, 1), "x").ok());
    }
  }
}

TEST_CASE("a compaction that hits a full disk leaves the old volume in use",
          "[volume][compaction][fault]") {
  TempDir dir;
  FaultInjectionFileSystem fs;
  VolumeOptions options;
  options.fs = &fs;
  auto volume = Volume::Create(dir.path(), 7, options);
  REQUIRE(volume.ok());
  auto expected = Fill(**volume);
  fs.FailWritesAfter(10000);
  auto result = (*volume)->Compact({});
  CHECK(result.status().code() == absl::StatusCode::kResourceExhausted);
  fs.ClearFaults();
  for (const auto& [id, size] : expected) ExpectNeedle(**volume, id, size);
  auto names = fs.ListDir(dir.path());
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"7.dat", "7.idx"});
  CHECK((*volume)->Append(Request(999, 1), "x").ok());
  CHECK((*volume)->Compact({}).ok());
  for (const auto& [id, size] : expected) ExpectNeedle(**volume, id, size);
}

TEST_CASE("a compaction failing at any sync loses no acknowledged write",
          "[volume][compaction][fault]") {
  for (int syncs = 0; syncs < 12; ++syncs) {
    INFO("syncs fail after " << syncs << " more");
    TempDir dir;
    FaultInjectionFileSystem fs;
    VolumeOptions options;
    options.fs = &fs;
    std::map<uint64_t, int64_t> expected;
    {
      auto volume = Volume::Create(dir.path(), 7, options);
      REQUIRE(volume.ok());
      expected = Fill(**volume);
      fs.FailSyncsAfter(syncs);
      auto result = (*volume)->Compact({});
      fs.ClearFaults();
      // Whatever happened, a write acknowledged now must survive; and a
      // volume that still takes writes must have no compaction files left,
      // or a later Open could roll forward to a copy without that write.
      if ((*volume)->Append(Request(777, 5), Payload(777, 5)).ok()) {
        expected[777] = 5;
        auto names = fs.ListDir(dir.path());
        REQUIRE(names.ok());
        CHECK(*names == std::vector<std::string>{"7.dat", "7.idx"});
      }
      // A second compaction may start over on a clean slate.
      if ((*volume)->Compact({}).ok()) {
        if ((*volume)->Append(Request(778, 5), Payload(778, 5)).ok()) {
          expected[778] = 5;
        }
      }
    }
    REQUIRE(fs.DropUnsyncedData().ok());
    auto volume = Volume::Open(dir.path(), 7, options);
    REQUIRE(volume.ok());
    for (const auto& [id, size] : expected) ExpectNeedle(**volume, id, size);
  }
}

}  // namespace
}  // namespace warehouse::volume
