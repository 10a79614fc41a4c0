// Volume::Verify: every live needle read back and checked, with bytes
// changed on disk behind the volume's back.
#include <atomic>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "catch2/catch.hpp"
#include "tests/support/temp_dir.h"
#include "tests/volume/volume_test_util.h"
#include "volume/volume.h"

namespace warehouse::volume {
namespace {

using testing::Payload;
using testing::Request;
using warehouse::testing::TempDir;

std::unique_ptr<Volume> NewVolume(const TempDir& dir) {
  auto volume = Volume::Create(dir.path(), 7, VolumeOptions());
  REQUIRE(volume.ok());
  return *std::move(volume);
}

NeedleLocation Put(Volume& volume, uint64_t id, size_t size) {
  auto result = volume.Append(Request(id, size), Payload(id, size));
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  return result->location;
}

// Changes one byte of the volume file, as a failing disk might.
void FlipByte(const TempDir& dir, uint64_t offset) {
  std::fstream file(Volume::DataPath(dir.path(), 7),
                    std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(file.good());
  file.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  file.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  file.seekp(static_cast<std::streamoff>(offset));
  file.write(&c, 1);
  REQUIRE(file.good());
}

TEST_CASE("verification lists each needle whose bytes changed on disk",
          "[volume][verify]") {
  TempDir dir;
  auto volume = NewVolume(dir);
  const NeedleLocation small = Put(*volume, 1, 5000);
  const NeedleLocation large = Put(*volume, 2, 1 << 20);  // read in chunks
  const NeedleLocation intact = Put(*volume, 3, 700);
  const NeedleLocation deleted = Put(*volume, 4, 900);
  REQUIRE(volume->Delete(4, testing::CookieOf(4)).ok());

  VerifyOptions options;
  auto clean = volume->Verify(options);
  REQUIRE(clean.ok());
  CHECK(clean->needles_checked == 3);
  CHECK(clean->bytes_checked == small.size + large.size + intact.size);
  CHECK(clean->corrupt_count == 0);
  CHECK(clean->corrupt.empty());

  FlipByte(dir, small.offset + small.size / 2);      // in its data
  FlipByte(dir, large.offset + large.size - 4096);   // near its end
  FlipByte(dir, deleted.offset + deleted.size / 2);  // not live: not checked
  uint64_t last_done = 0;
  uint64_t last_total = 0;
  options.progress = [&](uint64_t done, uint64_t total) {
    CHECK(done >= last_done);
    last_done = done;
    last_total = total;
  };
  auto found = volume->Verify(options);
  REQUIRE(found.ok());
  CHECK(found->needles_checked == 3);
  CHECK(found->corrupt_count == 2);
  REQUIRE(found->corrupt.size() == 2);
  CHECK(found->corrupt[0].id == 1);
  CHECK(found->corrupt[0].offset == small.offset);
  CHECK_THAT(found->corrupt[0].error, Catch::Contains("crc"));
  CHECK(found->corrupt[1].id == 2);
  CHECK(found->corrupt[1].offset == large.offset);
  CHECK_THAT(found->corrupt[1].error, Catch::Contains("crc mismatch"));
  CHECK(last_done == last_total);
  CHECK(last_total == clean->bytes_checked);

  // A header changed is found too, and the list can be kept short while
  // every corrupt needle is counted.
  FlipByte(dir, intact.offset + 10);
  options.progress = nullptr;
  options.max_listed = 1;
  auto capped = volume->Verify(options);
  REQUIRE(capped.ok());
  CHECK(capped->corrupt_count == 3);
  REQUIRE(capped->corrupt.size() == 1);
  CHECK(capped->corrupt[0].id == 1);
}

TEST_CASE("verification goes on beside writes and can be stopped",
          "[volume][verify]") {
  TempDir dir;
  auto volume = NewVolume(dir);
  for (uint64_t id = 1; id <= 200; ++id) Put(*volume, id, 3000);
  // No assertions on the writer's thread: Catch2 takes them on one only.
  std::atomic<int> failures{0};
  std::thread writer([&] {
    for (uint64_t id = 201; id <= 400; ++id) {
      if (!volume->Append(Request(id, 3000), Payload(id, 3000)).ok()) {
        ++failures;
      }
      if (id % 3 == 0 &&
          !volume->Delete(id - 200, testing::CookieOf(id - 200)).ok()) {
        ++failures;
      }
    }
  });
  auto result = volume->Verify(VerifyOptions());
  writer.join();
  CHECK(failures == 0);
  REQUIRE(result.ok());
  CHECK(result->needles_checked >= 200 - 67);
  CHECK(result->corrupt_count == 0);

  VerifyOptions stopping;
  int asked = 0;
  stopping.cancelled = [&asked] { return ++asked > 10; };
  auto stopped = volume->Verify(stopping);
  CHECK(stopped.status().code() == absl::StatusCode::kCancelled);
  CHECK_THAT(std::string(stopped.status().message()),
             Catch::StartsWith("volume 7: ") && Catch::Contains("10 of"));
}

}  // namespace
}  // namespace warehouse::volume
