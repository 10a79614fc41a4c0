#include "volume/store.h"

#include "catch2/catch.hpp"
#include "tests/support/fault_injection_file_system.h"
#include "tests/support/temp_dir.h"
#include "tests/volume/volume_test_util.h"

namespace warehouse::volume {
namespace {

using testing::CookieOf;
using testing::Payload;
using testing::Request;
using warehouse::testing::TempDir;

StoreOptions Options() {
  StoreOptions options;
  options.max_volumes = 3;
  options.sync_interval = absl::Milliseconds(20);
  return options;
}

TEST_CASE("a store reopens every volume of its directory", "[volume][store]") {
  TempDir dir;
  {
    auto store = Store::Open(dir.path(), Options());
    REQUIRE(store.ok());
    for (uint32_t id : {1u, 2u, 30u}) {
      auto volume = (*store)->CreateVolume(id);
      REQUIRE(volume.ok());
      REQUIRE((*volume)->Append(Request(id, 10), Payload(id, 10)).ok());
    }
    CHECK((*store)->CreateVolume(4).status().code() ==
          absl::StatusCode::kResourceExhausted);
    CHECK((*store)->CreateVolume(2).status().code() ==
          absl::StatusCode::kAlreadyExists);
    REQUIRE((*store)->Close().ok());
  }
  auto store = Store::Open(dir.path(), Options());
  REQUIRE(store.ok());
  auto usage = (*store)->Usage();
  REQUIRE(usage.size() == 3);
  CHECK(usage[2].volume_id == 30);
  for (uint32_t id : {1u, 2u, 30u}) {
    auto volume = (*store)->GetVolume(id);
    REQUIRE(volume.ok());
    auto reader = (*volume)->OpenNeedle(id, CookieOf(id));
    REQUIRE(reader.ok());
    CHECK(*reader->ReadAll() == Payload(id, 10));
  }
  CHECK((*store)->GetVolume(5).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("a damaged volume is left out and the others serve",
          "[volume][store]") {
  TempDir dir;
  {
    auto store = Store::Open(dir.path(), Options());
    REQUIRE(store.ok());
    REQUIRE((*store)->CreateVolume(1).ok());
    REQUIRE((*store)->CreateVolume(2).ok());
    REQUIRE((*store)->Close().ok());
  }
  {
    auto file = FileSystem::Default()->Open(Volume::DataPath(dir.path(), 1),
                                            OpenMode::kReadWrite);
    REQUIRE(file.ok());
    REQUIRE((*file)->WriteAt(0, "garbage!").ok());
  }
  auto store = Store::Open(dir.path(), Options());
  REQUIRE(store.ok());
  CHECK((*store)->GetVolume(2).ok());
  CHECK((*store)->GetVolume(1).status().code() == absl::StatusCode::kNotFound);
  auto failed = (*store)->failed_volumes();
  REQUIRE(failed.count(1) == 1);
  CHECK(failed[1].code() == absl::StatusCode::kDataLoss);
  CHECK((*store)->CreateVolume(1).status().code() ==
        absl::StatusCode::kAlreadyExists);
}

TEST_CASE("a compaction without room on the disk for its copy copies nothing",
          "[volume][store]") {
  TempDir dir;
  warehouse::testing::FaultInjectionFileSystem fs;
  StoreOptions options = Options();
  options.volume.fs = &fs;
  auto store = Store::Open(dir.path(), options);
  REQUIRE(store.ok());
  auto volume = (*store)->CreateVolume(1);
  REQUIRE(volume.ok());
  for (uint64_t id = 1; id <= 20; ++id) {
    REQUIRE((*volume)->Append(Request(id, 100000), Payload(id, 100000)).ok());
  }
  for (uint64_t id = 1; id <= 20; id += 2) {
    REQUIRE((*volume)->Delete(id, CookieOf(id)).ok());
  }
  const VolumeUsage before = (*volume)->Usage();
  // The copy needs its live bytes, an index record a needle, and the
  // spare: one byte less than that is refused.
  const uint64_t needed = before.live_bytes + before.needle_count * 24 +
                          Store::kCompactionSpareBytes;
  fs.FailWritesAfter(needed - 1);
  absl::StatusOr<CompactionResult> refused = (*store)->Compact(1, {});
  CHECK(refused.status().code() == absl::StatusCode::kResourceExhausted);
  CHECK_THAT(std::string(refused.status().message()),
             Catch::Contains("volume 1: compacting it needs"));
  CHECK((*volume)->Usage().file_size == before.file_size);
  CHECK_FALSE((*volume)->Usage().read_only);
  for (uint64_t id = 2; id <= 20; id += 2) {
    auto reader = (*volume)->OpenNeedle(id, CookieOf(id));
    REQUIRE(reader.ok());
    CHECK(*reader->ReadAll() == Payload(id, 100000));
  }
  // With exactly that much it goes ahead.
  fs.FailWritesAfter(needed);
  absl::StatusOr<CompactionResult> done = (*store)->Compact(1, {});
  REQUIRE(done.ok());
  CHECK(done->bytes_reclaimed > 10 * 100000);
  CHECK((*store)->Compact(9, {}).status().code() ==
        absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace warehouse::volume
