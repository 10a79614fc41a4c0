// Moving a volume between stores: Volume::Export on one side,
// Store::BeginImport, AdoptVolume on the other, DropVolume where it was.
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "catch2/catch.hpp"
#include "common/file.h"
#include "tests/support/temp_dir.h"
#include "tests/volume/volume_test_util.h"
#include "volume/store.h"

namespace warehouse::volume {
namespace {

using testing::CookieOf;
using testing::Payload;
using testing::Request;
using warehouse::testing::TempDir;

StoreOptions Options() {
  StoreOptions options;
  options.max_volumes = 2;
  options.sync_interval = absl::ZeroDuration();
  return options;
}

// What Volume::Export sent.
struct Exported {
  ExportSizes sizes;
  std::string bytes;
  uint32_t crc32c = 0;
};

Exported ExportWhole(Volume& volume) {
  Exported out;
  auto crc = volume.Export(
      ExportOptions{},
      [&](const ExportSizes& sizes) {
        out.sizes = sizes;
        return absl::OkStatus();
      },
      [&](absl::string_view bytes) {
        out.bytes.append(bytes.data(), bytes.size());
        return absl::OkStatus();
      });
  REQUIRE(crc.ok());
  out.crc32c = *crc;
  return out;
}

bool Exists(const std::string& path) {
  return *FileSystem::Default()->Exists(path);
}

// A store holding volume 7 with needles 1..20, 5 and 6 deleted, read-only.
std::unique_ptr<Store> SourceStore(const TempDir& dir) {
  auto store = Store::Open(dir.path(), Options());
  REQUIRE(store.ok());
  auto volume = (*store)->CreateVolume(7);
  REQUIRE(volume.ok());
  for (uint64_t id = 1; id <= 20; ++id) {
    REQUIRE((*volume)->Append(Request(id, id * 1000), Payload(id, id * 1000))
                .ok());
  }
  REQUIRE((*volume)->Delete(5, CookieOf(5)).ok());
  REQUIRE((*volume)->Delete(6, CookieOf(6)).ok());
  REQUIRE((*volume)->SetReadOnly(true).ok());
  return *std::move(store);
}

// What SourceStore's volume 7 exports.
Exported ExportSource(const TempDir& dir) {
  std::unique_ptr<Store> from = SourceStore(dir);
  return ExportWhole(**from->GetVolume(7));
}

TEST_CASE("a volume exported and adopted elsewhere reads the same",
          "[volume][move]") {
  TempDir from_dir, to_dir;
  std::unique_ptr<Store> from = SourceStore(from_dir);
  auto source = *from->GetVolume(7);
  const Exported copy = ExportWhole(*source);
  CHECK(copy.sizes.data_bytes == source->Usage().file_size);
  CHECK(copy.bytes.size() == copy.sizes.data_bytes + copy.sizes.index_bytes);

  auto to = Store::Open(to_dir.path(), Options());
  REQUIRE(to.ok());
  {
    auto import = (*to)->BeginImport(7, copy.sizes);
    REQUIRE(import.ok());
    // In pieces of any size, across the two files.
    for (size_t at = 0; at < copy.bytes.size(); at += 7777) {
      REQUIRE((*import)->Write(absl::string_view(copy.bytes).substr(at, 7777))
                  .ok());
    }
    REQUIRE((*import)->Finish(copy.crc32c).ok());
  }
  // Received, not yet served.
  CHECK((*to)->GetVolume(7).status().code() == absl::StatusCode::kNotFound);
  CHECK((*to)->CreateVolume(7).status().code() ==
        absl::StatusCode::kAlreadyExists);
  auto adopted = (*to)->AdoptVolume(7);
  REQUIRE(adopted.ok());
  const VolumeUsage usage = (*adopted)->Usage();
  CHECK(usage.read_only);
  CHECK(usage.needle_count == 18);
  CHECK(usage.live_bytes == source->Usage().live_bytes);
  for (uint64_t id = 1; id <= 20; ++id) {
    auto reader = (*adopted)->OpenNeedle(id, CookieOf(id));
    if (id == 5 || id == 6) {
      CHECK(reader.status().code() == absl::StatusCode::kNotFound);
      continue;
    }
    REQUIRE(reader.ok());
    CHECK(*reader->ReadAll() == Payload(id, id * 1000));
  }
  CHECK_FALSE(Exists(Store::IncomingPath(Volume::DataPath(to_dir.path(), 7))));

  // It stays across a restart, read-only, whole.
  REQUIRE((*to)->Close().ok());
  to->reset();
  auto reopened = Store::Open(to_dir.path(), Options());
  REQUIRE(reopened.ok());
  auto again = (*reopened)->GetVolume(7);
  REQUIRE(again.ok());
  CHECK((*again)->Usage().read_only);
  CHECK((*again)->Usage().needle_count == 18);
}

TEST_CASE("an export refuses a writable volume and holds the volume still",
          "[volume][move]") {
  TempDir dir;
  std::unique_ptr<Store> store = SourceStore(dir);
  auto volume = *store->GetVolume(7);
  REQUIRE(volume->SetReadOnly(false).ok());
  auto refused = volume->Export(
      ExportOptions{}, [](const ExportSizes&) { return absl::OkStatus(); },
      [](absl::string_view) { return absl::OkStatus(); });
  CHECK(refused.status().code() == absl::StatusCode::kFailedPrecondition);

  REQUIRE(volume->SetReadOnly(true).ok());
  absl::Status deleted, writable, compacted;
  auto crc = volume->Export(
      ExportOptions{},
      [&](const ExportSizes&) {
        // While the bytes go out, nothing may change them.
        deleted = volume->Delete(1, CookieOf(1));
        writable = volume->SetReadOnly(false);
        compacted = volume->Compact(CompactionOptions{}).status();
        return absl::OkStatus();
      },
      [](absl::string_view) { return absl::OkStatus(); });
  REQUIRE(crc.ok());
  CHECK(deleted.code() == absl::StatusCode::kUnavailable);
  CHECK(writable.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(compacted.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(volume->Usage().read_only);
  // Once it ends, they go on.
  CHECK(volume->Delete(1, CookieOf(1)).ok());
  CHECK(volume->SetReadOnly(false).ok());

  // A caller that goes away stops it.
  REQUIRE(volume->SetReadOnly(true).ok());
  ExportOptions options;
  options.cancelled = [] { return true; };
  auto cancelled = volume->Export(
      options, [](const ExportSizes&) { return absl::OkStatus(); },
      [](absl::string_view) { return absl::OkStatus(); });
  CHECK(cancelled.status().code() == absl::StatusCode::kCancelled);
}

TEST_CASE("an export waits for a write still being settled, and its delete",
          "[volume][move]") {
  TempDir from_dir, to_dir;
  std::unique_ptr<Store> from = SourceStore(from_dir);
  auto volume = *from->GetVolume(7);
  REQUIRE(volume->SetReadOnly(false).ok());
  // An upload written and durable, its writer kept while the master is
  // asked to record it.
  auto writer = volume->BeginAppend(Request(30, 500));
  REQUIRE(writer.ok());
  REQUIRE((*writer)->Write(Payload(30, 500)).ok());
  REQUIRE((*writer)->Commit().ok());
  REQUIRE(volume->SetReadOnly(true).ok());

  absl::Notification begun;
  Exported copy;
  absl::StatusOr<uint32_t> crc = absl::UnknownError("not run");
  std::thread exporter([&] {
    crc = volume->Export(
        ExportOptions{},
        [&](const ExportSizes& sizes) {
          copy.sizes = sizes;
          begun.Notify();
          return absl::OkStatus();
        },
        [&](absl::string_view bytes) {
          copy.bytes.append(bytes.data(), bytes.size());
          return absl::OkStatus();
        });
  });
  CHECK_FALSE(begun.WaitForNotificationWithTimeout(absl::Milliseconds(300)));
  // The master refused it: the upload is taken back, and the copy waits
  // for that too.
  CHECK(volume->Delete(30, CookieOf(30)).ok());
  writer->reset();
  exporter.join();
  REQUIRE(crc.ok());
  copy.crc32c = *crc;

  auto to = Store::Open(to_dir.path(), Options());
  REQUIRE(to.ok());
  {
    auto import = (*to)->BeginImport(7, copy.sizes);
    REQUIRE(import.ok());
    REQUIRE((*import)->Write(copy.bytes).ok());
    REQUIRE((*import)->Finish(copy.crc32c).ok());
  }
  auto adopted = (*to)->AdoptVolume(7);
  REQUIRE(adopted.ok());
  CHECK((*adopted)->OpenNeedle(30, CookieOf(30)).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK((*adopted)->Usage().needle_count == 18);
}

TEST_CASE("an export waiting for a slow write stops when its caller goes",
          "[volume][move]") {
  TempDir dir;
  std::unique_ptr<Store> store = SourceStore(dir);
  auto volume = *store->GetVolume(7);
  REQUIRE(volume->SetReadOnly(false).ok());
  auto writer = volume->BeginAppend(Request(30, 500));  // sends nothing yet
  REQUIRE(writer.ok());
  REQUIRE(volume->SetReadOnly(true).ok());

  std::atomic<bool> gone{false};
  ExportOptions options;
  options.cancelled = [&gone] { return gone.load(); };
  absl::StatusOr<uint32_t> crc = absl::UnknownError("not run");
  absl::Notification ended;
  std::thread exporter([&] {
    crc = volume->Export(
        options, [](const ExportSizes&) { return absl::OkStatus(); },
        [](absl::string_view) { return absl::OkStatus(); });
    ended.Notify();
  });
  gone = true;
  const bool stopped = ended.WaitForNotificationWithTimeout(absl::Seconds(10));
  if (!stopped) writer->reset();  // lets it end, to fail below
  exporter.join();
  REQUIRE(stopped);
  CHECK(crc.status().code() == absl::StatusCode::kCancelled);
  // Nothing holds the volume any more; the write goes on.
  CHECK(volume->SetReadOnly(false).ok());
  REQUIRE((*writer)->Write(Payload(30, 500)).ok());
  REQUIRE((*writer)->Commit().ok());
  CHECK(volume->OpenNeedle(30, CookieOf(30)).ok());
}

TEST_CASE("a copy that does not arrive whole and intact is not kept",
          "[volume][move]") {
  TempDir from_dir, to_dir;
  const Exported copy = ExportSource(from_dir);
  auto to = Store::Open(to_dir.path(), Options());
  REQUIRE(to.ok());
  const std::string incoming =
      Store::IncomingPath(Volume::DataPath(to_dir.path(), 7));

  SECTION("a flipped bit") {
    std::string bytes = copy.bytes;
    bytes[bytes.size() / 2] ^= 0x10;
    auto import = (*to)->BeginImport(7, copy.sizes);
    REQUIRE(import.ok());
    REQUIRE((*import)->Write(bytes).ok());
    CHECK((*import)->Finish(copy.crc32c).code() ==
          absl::StatusCode::kInvalidArgument);
  }
  SECTION("bytes missing") {
    auto import = (*to)->BeginImport(7, copy.sizes);
    REQUIRE(import.ok());
    REQUIRE((*import)->Write(copy.bytes.substr(1)).ok());
    CHECK((*import)->Finish(copy.crc32c).code() ==
          absl::StatusCode::kInvalidArgument);
  }
  SECTION("bytes beyond the sizes announced") {
    auto import = (*to)->BeginImport(7, copy.sizes);
    REQUIRE(import.ok());
    CHECK((*import)->Write(copy.bytes + "x").code() ==
          absl::StatusCode::kInvalidArgument);
  }
  SECTION("the sender goes away") {
    auto import = (*to)->BeginImport(7, copy.sizes);
    REQUIRE(import.ok());
    REQUIRE((*import)->Write(copy.bytes.substr(0, 100)).ok());
    CHECK(Exists(incoming));
  }
  // Each import above is gone: its files too, and a new one may start.
  CHECK_FALSE(Exists(incoming));
  CHECK((*to)->AdoptVolume(7).status().code() == absl::StatusCode::kNotFound);
  CHECK((*to)->BeginImport(7, copy.sizes).ok());
}

TEST_CASE("an import counts against the store's room",
          "[volume][move]") {
  TempDir dir;
  auto store = Store::Open(dir.path(), Options());
  REQUIRE(store.ok());
  REQUIRE((*store)->CreateVolume(1).ok());
  auto import = (*store)->BeginImport(2, ExportSizes{100, 0});
  REQUIRE(import.ok());
  CHECK((*store)->BeginImport(2, ExportSizes{100, 0}).status().code() ==
        absl::StatusCode::kAlreadyExists);
  CHECK((*store)->CreateVolume(3).status().code() ==
        absl::StatusCode::kResourceExhausted);
  CHECK((*store)->BeginImport(1, ExportSizes{100, 0}).status().code() ==
        absl::StatusCode::kAlreadyExists);
  // More than the disk holds is refused before a byte is written.
  import->reset();
  CHECK((*store)->BeginImport(2, ExportSizes{uint64_t{1} << 60, 0})
            .status()
            .code() == absl::StatusCode::kResourceExhausted);
  // Sizes no disk holds are not a volume (and do not overflow the sum).
  CHECK((*store)->BeginImport(2, ExportSizes{~uint64_t{0}, 2})
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a store removes copies a crash cut short when it opens",
          "[volume][move]") {
  TempDir dir;
  const std::string leftover =
      Store::IncomingPath(Volume::DataPath(dir.path(), 4));
  REQUIRE(FileSystem::Default()->Open(leftover, OpenMode::kCreate).ok());
  auto store = Store::Open(dir.path(), Options());
  REQUIRE(store.ok());
  CHECK_FALSE(Exists(leftover));
  CHECK((*store)->Usage().empty());
}

TEST_CASE("a dropped volume's files go, and reads in progress finish",
          "[volume][move]") {
  TempDir dir;
  std::unique_ptr<Store> store = SourceStore(dir);
  auto held = *store->GetVolume(7);
  auto reader = held->OpenNeedle(3, CookieOf(3));
  REQUIRE(reader.ok());
  REQUIRE(store->DropVolume(7).ok());
  CHECK(store->GetVolume(7).status().code() == absl::StatusCode::kNotFound);
  CHECK(store->Usage().empty());
  CHECK_FALSE(Exists(Volume::DataPath(dir.path(), 7)));
  CHECK_FALSE(Exists(Volume::IndexPath(dir.path(), 7)));
  CHECK_FALSE(Exists(Volume::ReadOnlyMarkerPath(dir.path(), 7)));
  CHECK(*reader->ReadAll() == Payload(3, 3000));
  auto later = held->OpenNeedle(4, CookieOf(4));
  REQUIRE(later.ok());
  CHECK(*later->ReadAll() == Payload(4, 4000));
  // Again, or of a volume never held: what the caller wants already.
  CHECK(store->DropVolume(7).ok());
  CHECK(store->DropVolume(99).ok());
  // Its room is free again.
  CHECK(store->CreateVolume(8).ok());
  CHECK(store->CreateVolume(9).ok());
}

TEST_CASE("dropping a copy received and not adopted removes it",
          "[volume][move]") {
  TempDir from_dir, to_dir;
  const Exported copy = ExportSource(from_dir);
  auto to = Store::Open(to_dir.path(), Options());
  REQUIRE(to.ok());
  auto import = (*to)->BeginImport(7, copy.sizes);
  REQUIRE(import.ok());
  REQUIRE((*import)->Write(copy.bytes).ok());
  CHECK((*to)->DropVolume(7).code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE((*import)->Finish(copy.crc32c).ok());
  import->reset();
  const std::string incoming =
      Store::IncomingPath(Volume::DataPath(to_dir.path(), 7));
  CHECK(Exists(incoming));
  REQUIRE((*to)->DropVolume(7).ok());
  CHECK_FALSE(Exists(incoming));
  CHECK((*to)->AdoptVolume(7).status().code() == absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace warehouse::volume
