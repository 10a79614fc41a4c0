#include "volume/volume.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>
#include <vector>

#include "catch2/catch.hpp"
#include "tests/support/fault_injection_file_system.h"
#include "tests/support/temp_dir.h"
#include "tests/volume/volume_test_util.h"
#include "volume/needle_format.h"

namespace warehouse::volume {
namespace {

using testing::CookieOf;
using testing::Payload;
using testing::Request;
using warehouse::testing::TempDir;

std::unique_ptr<Volume> CreateVolume(const TempDir& dir, VolumeOptions options = {}) {
  auto volume = Volume::Create(dir.path(), 7, options);
  REQUIRE(volume.ok());
  return *std::move(volume);
}

std::unique_ptr<Volume> OpenVolume(const TempDir& dir, VolumeOptions options = {}) {
  auto volume = Volume::Open(dir.path(), 7, options);
  INFO(volume.status().ToString());
  REQUIRE(volume.ok());
  return *std::move(volume);
}

std::string ReadNeedle(const Volume& volume, uint64_t id) {
  auto reader = volume.OpenNeedle(id, CookieOf(id));
  INFO(reader.status().ToString());
  REQUIRE(reader.ok());
  auto data = reader->ReadAll();
  REQUIRE(data.ok());
  return *data;
}

TEST_CASE("a needle reads back as written, with its metadata", "[volume]") {
  TempDir dir;
  auto volume = CreateVolume(dir);
  std::string data = Payload(1, 5000);
  AppendRequest request = Request(1, data.size());
  request.content_type = "image/png";
  request.last_modified_ms = 1700000000123;
  auto result = volume->Append(request, data);
  REQUIRE(result.ok());
  auto reader = volume->OpenNeedle(1, request.cookie);
  REQUIRE(reader.ok());
  CHECK(reader->info().size == data.size());
  CHECK(reader->info().content_type == "image/png");
  CHECK(reader->info().last_modified_ms == 1700000000123);
  CHECK(reader->info().crc32c == result->crc32c);
  CHECK(*reader->ReadAll() == data);
}

TEST_CASE("a wrong cookie reads as not found", "[volume]") {
  TempDir dir;
  auto volume = CreateVolume(dir);
  REQUIRE(volume->Append(Request(5, 10), Payload(5, 10)).ok());
  CHECK(volume->OpenNeedle(5, CookieOf(5) + 1).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(volume->OpenNeedle(6, CookieOf(6)).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(volume->Delete(5, CookieOf(5) + 1).code() == absl::StatusCode::kNotFound);
  CHECK(ReadNeedle(*volume, 5) == Payload(5, 10));
}

TEST_CASE("empty, small and large needles stream in and out", "[volume]") {
  TempDir dir;
  auto volume = CreateVolume(dir);
  for (size_t size : {size_t{0}, size_t{1}, size_t{7}, size_t{4096},
                      size_t{(256 << 10) + 1}, size_t{3 << 20}}) {
    uint64_t id = size + 1;
    std::string data = Payload(id, size);
    auto writer = volume->BeginAppend(Request(id, size));
    REQUIRE(writer.ok());
    // Feed it in uneven pieces.
    for (size_t at = 0; at < size;) {
      size_t n = std::min<size_t>(size - at, 1 + (at * 31) % 70000);
      REQUIRE((*writer)->Write(absl::string_view(data).substr(at, n)).ok());
      at += n;
    }
    REQUIRE((*writer)->Commit().ok());
    CHECK(ReadNeedle(*volume, id) == data);
  }
}

TEST_CASE("byte ranges read exactly the bytes asked for", "[volume]") {
  TempDir dir;
  auto volume = CreateVolume(dir);
  for (size_t size : {size_t{1000}, size_t{1 << 20}}) {
    std::string data = Payload(size, size);
    REQUIRE(volume->Append(Request(size, size), data).ok());
    auto reader = volume->OpenNeedle(size, CookieOf(size));
    REQUIRE(reader.ok());
    for (auto [begin, length] : std::vector<std::pair<uint64_t, uint64_t>>{
             {0, 1}, {10, 100}, {size - 1, 1}, {0, size}, {size / 3, size / 2}, {size, 0}}) {
      std::string got;
      REQUIRE(reader->Read(begin, length, [&](absl::string_view piece) {
                      got.append(piece.data(), piece.size());
                      return absl::OkStatus();
                    }).ok());
      CHECK(got == data.substr(begin, length));
      // A small needle was read whole: the same bytes, from memory.
      std::optional<absl::string_view> held = reader->InMemory(begin, length);
      CHECK(held.has_value() == (size == 1000));
      if (held) CHECK(*held == data.substr(begin, length));
    }
    CHECK(reader->Read(size - 1, 2, [](absl::string_view) {
                   return absl::OkStatus();
                 }).code() == absl::StatusCode::kOutOfRange);
    CHECK_FALSE(reader->InMemory(size - 1, 2).has_value());
  }
}

TEST_CASE("an overwrite replaces the needle and a delete removes it",
          "[volume]") {
  TempDir dir;
  auto volume = CreateVolume(dir);
  REQUIRE(volume->Append(Request(9, 100), Payload(1, 100)).ok());
  REQUIRE(volume->Append(Request(9, 300), Payload(2, 300)).ok());
  CHECK(ReadNeedle(*volume, 9) == Payload(2, 300));
  VolumeUsage usage = volume->Usage();
  CHECK(usage.needle_count == 1);
  CHECK(usage.garbage_bytes > 0);
  REQUIRE(volume->Delete(9, CookieOf(9)).ok());
  CHECK(volume->OpenNeedle(9, CookieOf(9)).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(volume->Delete(9, CookieOf(9)).code() == absl::StatusCode::kNotFound);
  usage = volume->Usage();
  CHECK(usage.needle_count == 0);
  CHECK(usage.deleted_count == 1);
  CHECK(usage.live_bytes == 0);
  CHECK(usage.garbage_bytes == usage.file_size - kSuperBlockSize);
}

TEST_CASE("a stream that ends early or overflows leaves nothing behind",
          "[volume]") {
  TempDir dir;
  auto volume = CreateVolume(dir);
  REQUIRE(volume->Append(Request(1, 64), Payload(1, 64)).ok());
  const uint64_t size_before = volume->Usage().file_size;
  {
    auto writer = volume->BeginAppend(Request(2, 1 << 20));
    REQUIRE(writer.ok());
    REQUIRE((*writer)->Write(Payload(2, 600000)).ok());
    CHECK((*writer)->Commit().status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
  {
    auto writer = volume->BeginAppend(Request(3, 10));
    REQUIRE(writer.ok());
    CHECK((*writer)->Write(Payload(3, 11)).code() ==
          absl::StatusCode::kInvalidArgument);
    CHECK_FALSE((*writer)->Commit().ok());
  }
  // Abandoned at the tail: the space is given back.
  CHECK(volume->Usage().file_size == size_before);
  CHECK(volume->OpenNeedle(2, CookieOf(2)).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(volume->OpenNeedle(3, CookieOf(3)).status().code() ==
        absl::StatusCode::kNotFound);
  // The volume is still usable, and nothing of the failed writes reappears
  // after a reopen.
  REQUIRE(volume->Append(Request(4, 64), Payload(4, 64)).ok());
  REQUIRE(volume->Close().ok());
  volume.reset();
  volume = OpenVolume(dir);
  CHECK(ReadNeedle(*volume, 1) == Payload(1, 64));
  CHECK(ReadNeedle(*volume, 4) == Payload(4, 64));
  CHECK(volume->Usage().needle_count == 2);
}

TEST_CASE("an abandoned write in the middle becomes padding", "[volume]") {
  TempDir dir;
  auto volume = CreateVolume(dir);
  auto abandoned = volume->BeginAppend(Request(1, 5000));
  REQUIRE(abandoned.ok());
  REQUIRE((*abandoned)->Write(Payload(1, 100)).ok());
  REQUIRE(volume->Append(Request(2, 50), Payload(2, 50)).ok());
  // While it streams in, its space is in flight, not garbage to reclaim.
  VolumeUsage streaming = volume->Usage();
  CHECK(streaming.garbage_bytes == 0);
  CHECK(streaming.in_flight_bytes >= 5000);
  CHECK(streaming.file_size == kSuperBlockSize + streaming.live_bytes +
                                   streaming.in_flight_bytes);
  abandoned->reset();
  CHECK(volume->OpenNeedle(1, CookieOf(1)).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(volume->Usage().garbage_bytes >= 5000);
  CHECK(volume->Usage().in_flight_bytes == 0);
  // Without the index file, the scan steps over the padding.
  volume.reset();
  REQUIRE(FileSystem::Default()->Remove(Volume::IndexPath(dir.path(), 7)).ok());
  volume = OpenVolume(dir);
  CHECK(volume->OpenNeedle(1, CookieOf(1)).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(ReadNeedle(*volume, 2) == Payload(2, 50));
}

TEST_CASE("a second write of a needle in flight is refused", "[volume]") {
  TempDir dir;
  auto volume = CreateVolume(dir);
  auto first = volume->BeginAppend(Request(1, 10));
  REQUIRE(first.ok());
  CHECK(volume->BeginAppend(Request(1, 10)).status().code() ==
        absl::StatusCode::kAborted);
  REQUIRE((*first)->Write(Payload(1, 10)).ok());
  REQUIRE((*first)->Commit().ok());
  CHECK(volume->BeginAppend(Request(1, 10)).ok());
}

TEST_CASE("a full volume refuses appends and stays readable", "[volume]") {
  TempDir dir;
  VolumeOptions options;
  options.max_size = 64 * 1024;
  auto volume = CreateVolume(dir, options);
  uint64_t id = 1;
  absl::Status status;
  while ((status = volume->Append(Request(id, 1000), Payload(id, 1000)).status()).ok()) {
    ++id;
    REQUIRE(id < 1000);
  }
  CHECK(status.code() == absl::StatusCode::kResourceExhausted);
  CHECK(volume->Usage().file_size <= options.max_size);
  for (uint64_t i = 1; i < id; ++i) CHECK(ReadNeedle(*volume, i) == Payload(i, 1000));
  // A smaller needle still fits in what is left, and deletes always fit.
  CHECK(volume->Append(Request(id, 1), "x").ok());
  CHECK(volume->Append(Request(id + 1, 1000), Payload(id + 1, 1000)).status().code() ==
        absl::StatusCode::kResourceExhausted);
  CHECK(volume->Delete(1, CookieOf(1)).ok());
  CHECK(volume->Usage().file_size > options.max_size - 48);
}

TEST_CASE("a read-only volume refuses new data and serves reads and deletes",
          "[volume]") {
  TempDir dir;
  auto volume = CreateVolume(dir);
  REQUIRE(volume->Append(Request(1, 10), Payload(1, 10)).ok());
  REQUIRE(volume->Append(Request(2, 10), Payload(2, 10)).ok());
  REQUIRE(volume->SetReadOnly(true).ok());
  CHECK(volume->Append(Request(3, 10), Payload(3, 10)).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(volume->Delete(2, CookieOf(2)).ok());
  CHECK(ReadNeedle(*volume, 1) == Payload(1, 10));
  CHECK(volume->Usage().read_only);
  REQUIRE(volume->SetReadOnly(false).ok());
  CHECK(volume->Append(Request(3, 10), Payload(3, 10)).ok());
}

TEST_CASE("an operator's read-only mark survives a restart, and its removal",
          "[volume]") {
  TempDir dir;
  const std::string marker = Volume::ReadOnlyMarkerPath(dir.path(), 7);
  auto volume = CreateVolume(dir);
  REQUIRE(volume->Append(Request(1, 10), Payload(1, 10)).ok());
  REQUIRE(volume->SetReadOnly(true).ok());
  REQUIRE(volume->SetReadOnly(true).ok());  // again: no change, no error
  CHECK(std::filesystem::exists(marker));
  REQUIRE(volume->Close().ok());
  volume.reset();

  volume = OpenVolume(dir);
  CHECK(volume->Usage().read_only);
  CHECK(volume->Append(Request(2, 10), Payload(2, 10)).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(ReadNeedle(*volume, 1) == Payload(1, 10));
  REQUIRE(volume->SetReadOnly(false).ok());
  CHECK_FALSE(std::filesystem::exists(marker));
  REQUIRE(volume->Close().ok());
  volume.reset();

  volume = OpenVolume(dir);
  CHECK_FALSE(volume->Usage().read_only);
  CHECK(volume->Append(Request(2, 10), Payload(2, 10)).ok());
}

TEST_CASE("a read-only mark that cannot be made durable changes nothing",
          "[volume]") {
  TempDir dir;
  warehouse::testing::FaultInjectionFileSystem fs;
  VolumeOptions options;
  options.fs = &fs;
  const std::string marker = Volume::ReadOnlyMarkerPath(dir.path(), 7);
  auto volume = CreateVolume(dir, options);
  fs.SetSyncFails(true);
  CHECK(volume->SetReadOnly(true).code() == absl::StatusCode::kUnavailable);
  CHECK_FALSE(volume->Usage().read_only);
  CHECK_FALSE(std::filesystem::exists(marker));
  fs.SetSyncFails(false);

  REQUIRE(volume->SetReadOnly(true).ok());
  fs.SetSyncFails(true);
  CHECK(volume->SetReadOnly(false).code() == absl::StatusCode::kUnavailable);
  CHECK(volume->Usage().read_only);
  CHECK(std::filesystem::exists(marker));
  // Asked again for what it is, a failed sync leaves the marker there.
  CHECK(volume->SetReadOnly(true).code() == absl::StatusCode::kUnavailable);
  CHECK(volume->Usage().read_only);
  CHECK(std::filesystem::exists(marker));
}

TEST_CASE("a new volume is writable whatever marker its id left behind",
          "[volume]") {
  TempDir dir;
  std::ofstream(Volume::ReadOnlyMarkerPath(dir.path(), 7)).put('\n');
  auto volume = CreateVolume(dir);
  CHECK_FALSE(volume->Usage().read_only);
  volume.reset();
  CHECK_FALSE(OpenVolume(dir)->Usage().read_only);
}

TEST_CASE("a content type longer than 255 bytes is refused", "[volume]") {
  TempDir dir;
  auto volume = CreateVolume(dir);
  AppendRequest request = Request(1, 1);
  request.content_type = std::string(256, 'a');
  CHECK(volume->BeginAppend(request).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a clean close reopens with every needle under each sync policy",
          "[volume]") {
  TempDir dir;
  for (SyncPolicy policy : {SyncPolicy::kEveryWrite, SyncPolicy::kGroupCommit,
                            SyncPolicy::kNone}) {
    TempDir sub;
    VolumeOptions options;
    options.sync_policy = policy;
    options.index_flush_records = 7;
    auto volume = Volume::Create(sub.path(), 7, options);
    REQUIRE(volume.ok());
    for (uint64_t id = 1; id <= 50; ++id) {
      REQUIRE((*volume)->Append(Request(id, id * 10), Payload(id, id * 10)).ok());
    }
    for (uint64_t id = 1; id <= 50; id += 5) {
      REQUIRE((*volume)->Delete(id, CookieOf(id)).ok());
    }
    VolumeUsage before = (*volume)->Usage();
    REQUIRE((*volume)->Close().ok());
    volume->reset();
    auto reopened = Volume::Open(sub.path(), 7, options);
    REQUIRE(reopened.ok());
    VolumeUsage after = (*reopened)->Usage();
    CHECK(after.needle_count == before.needle_count);
    CHECK(after.live_bytes == before.live_bytes);
    CHECK(after.file_size == before.file_size);
    CHECK(after.deleted_count == before.deleted_count);
    for (uint64_t id = 1; id <= 50; ++id) {
      auto reader = (*reopened)->OpenNeedle(id, CookieOf(id));
      if (id % 5 == 1) {
        CHECK(reader.status().code() == absl::StatusCode::kNotFound);
      } else {
        REQUIRE(reader.ok());
        CHECK(*reader->ReadAll() == Payload(id, id * 10));
      }
    }
  }
}

TEST_CASE("concurrent writers under each sync policy all land", "[volume]") {
  for (SyncPolicy policy : {SyncPolicy::kEveryWrite, SyncPolicy::kGroupCommit,
                            SyncPolicy::kNone}) {
    TempDir dir;
    VolumeOptions options;
    options.sync_policy = policy;
    auto volume = CreateVolume(dir, options);
    constexpr int kThreads = 8;
    constexpr int kPerThread = 40;
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          uint64_t id = t * kPerThread + i + 1;
          if (!volume->Append(Request(id, 100 + id), Payload(id, 100 + id)).ok()) {
            ++failures;
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();
    CHECK(failures == 0);
    CHECK(volume->Usage().needle_count == kThreads * kPerThread);
    for (uint64_t id = 1; id <= kThreads * kPerThread; ++id) {
      CHECK(ReadNeedle(*volume, id) == Payload(id, 100 + id));
    }
  }
}

TEST_CASE("reopening an unknown or mismatched volume fails clearly",
          "[volume]") {
  TempDir dir;
  CHECK(Volume::Open(dir.path(), 3, {}).status().code() ==
        absl::StatusCode::kNotFound);
  auto volume = CreateVolume(dir);
  CHECK(Volume::Create(dir.path(), 7, {}).status().code() ==
        absl::StatusCode::kAlreadyExists);
  REQUIRE(volume->Close().ok());
  volume.reset();
  REQUIRE(FileSystem::Default()
              ->Rename(Volume::DataPath(dir.path(), 7),
                       Volume::DataPath(dir.path(), 8))
              .ok());
  CHECK(Volume::Open(dir.path(), 8, {}).status().code() ==
        absl::StatusCode::kDataLoss);
}

TEST_CASE("listing needles pages through live needles in id order with "
          "their cookies and sizes",
          "[volume]") {
  TempDir dir;
  auto volume = CreateVolume(dir);
  for (uint64_t id = 1; id <= 25; ++id) {
    REQUIRE(volume->Append(Request(id, id * 10), Payload(id, id * 10)).ok());
  }
  REQUIRE(volume->Append(Request(4, 7), Payload(4, 7)).ok());  // overwrite
  REQUIRE(volume->Delete(5, CookieOf(5)).ok());
  REQUIRE(volume->Delete(25, CookieOf(25)).ok());

  std::vector<NeedleInfo> listed;
  uint64_t after = 0;
  int pages = 0;
  for (; pages < 10; ++pages) {
    auto page = volume->ListNeedles(after, 7);
    REQUIRE(page.ok());
    if (page->empty()) break;
    CHECK(page->size() <= 7);
    listed.insert(listed.end(), page->begin(), page->end());
    after = page->back().id;
  }
  CHECK(pages == 4);  // 23 live needles: 7 + 7 + 7 + 2
  REQUIRE(listed.size() == 23);
  uint64_t previous = 0;
  for (const NeedleInfo& info : listed) {
    INFO("needle " << info.id);
    CHECK(info.id > previous);
    previous = info.id;
    CHECK(info.id != 5);
    CHECK(info.id != 25);
    CHECK(info.cookie == CookieOf(info.id));
    CHECK(info.size == (info.id == 4 ? 7 : info.id * 10));
    CHECK(info.last_modified_ms > 0);
  }
  CHECK(volume->ListNeedles(24, 7)->empty());
  CHECK(volume->ListNeedles(UINT64_MAX, 7)->empty());
  CHECK(volume->ListNeedles(0, 0)->empty());

  // A compaction keeps what the listing says.
  REQUIRE(volume->Compact(CompactionOptions()).ok());
  auto after_compaction = volume->ListNeedles(0, 100);
  REQUIRE(after_compaction.ok());
  REQUIRE(after_compaction->size() == listed.size());
  for (size_t i = 0; i < listed.size(); ++i) {
    CHECK((*after_compaction)[i].id == listed[i].id);
    CHECK((*after_compaction)[i].cookie == listed[i].cookie);
    CHECK((*after_compaction)[i].size == listed[i].size);
  }
}

}  // namespace
}  // namespace warehouse::volume
