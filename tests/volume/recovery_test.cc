// Crash recovery: torn tails, unreadable gaps, corrupt needles and index
// files, power loss and I/O errors through the file seam.
#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "common/file.h"
#include "tests/support/fault_injection_file_system.h"
#include "tests/support/temp_dir.h"
#include "tests/volume/volume_test_util.h"
#include "volume/needle_format.h"
#include "volume/super_block.h"
#include "volume/volume.h"

namespace warehouse::volume {
namespace {

using testing::CookieOf;
using testing::ExpectNeedle;
using testing::Payload;
using testing::Request;
using warehouse::testing::FaultInjectionFileSystem;
using warehouse::testing::TempDir;

// Simulates a crash in the middle of an upload: the writer is never
// finished nor destroyed, so it neither commits nor rolls back. It stays
// reachable from a list that is never freed, so LeakSanitizer does not take
// it for a leak and keeps watching everything else.
void AbandonMidUpload(std::unique_ptr<NeedleWriter> writer) {
  static auto* abandoned = new std::vector<std::unique_ptr<NeedleWriter>>();
  abandoned->push_back(std::move(writer));
}

std::string ReadFile(const std::string& path) {
  auto file = FileSystem::Default()->Open(path, OpenMode::kReadWrite);
  REQUIRE(file.ok());
  std::string out(*(*file)->Size(), '\0');
  REQUIRE(ReadExactly(**file, 0, out.data(), out.size()).ok());
  return out;
}

void WriteFile(const std::string& path, absl::string_view bytes) {
  auto file = FileSystem::Default()->Open(path, OpenMode::kCreate);
  REQUIRE(file.ok());
  REQUIRE((*file)->Truncate(0).ok());
  REQUIRE((*file)->WriteAt(0, bytes).ok());
}

TEST_CASE("a torn last needle is cut off at every possible byte",
          "[volume][recovery]") {
  TempDir dir;
  uint64_t third_at;
  uint64_t third_end;
  {
    auto volume = Volume::Create(dir.path(), 7, {});
    REQUIRE(volume.ok());
    REQUIRE((*volume)->Append(Request(1, 100), Payload(1, 100)).ok());
    REQUIRE((*volume)->Append(Request(2, 3), Payload(2, 3)).ok());
    third_at = (*volume)->Usage().file_size;
    REQUIRE((*volume)->Append(Request(3, 77), Payload(3, 77)).ok());
    third_end = (*volume)->Usage().file_size;
    // Destroyed without Close(): the index file holds no record yet.
  }
  const std::string data_path = Volume::DataPath(dir.path(), 7);
  const std::string index_path = Volume::IndexPath(dir.path(), 7);
  const std::string whole = ReadFile(data_path).substr(0, third_end);
  const std::string index = ReadFile(index_path);
  // A torn needle either ends the file (it was growing the file) or is
  // followed by the zeros written ahead of it (VolumeOptions::
  // preallocate_bytes), which the rest of its bytes never overwrote.
  for (const size_t zeros : {size_t{0}, size_t{64} << 10}) {
    for (uint64_t cut = third_at; cut < whole.size(); ++cut) {
      INFO("volume file cut at " << cut << ", then " << zeros << " zeros");
      WriteFile(data_path, absl::StrCat(absl::string_view(whole).substr(0, cut),
                                        std::string(zeros, '\0')));
      WriteFile(index_path, index);
      auto volume = Volume::Open(dir.path(), 7, {});
      REQUIRE(volume.ok());
      ExpectNeedle(**volume, 1, 100);
      ExpectNeedle(**volume, 2, 3);
      // Cut inside the needle's alignment padding, which is zeros, and
      // followed by zeros, the needle is whole.
      const bool intact =
          zeros > 0 && whole.find_first_not_of('\0', cut) == std::string::npos;
      ExpectNeedle(**volume, 3, intact ? 77 : -1);
      const uint64_t end = intact ? third_end : third_at;
      CHECK((*volume)->Usage().file_size == end);
      CHECK(ReadFile(data_path).size() == end);
      // The volume takes new writes after the cut, and they survive a
      // reopen.
      REQUIRE((*volume)->Append(Request(4, 5), Payload(4, 5)).ok());
      volume->reset();
      auto again = Volume::Open(dir.path(), 7, {});
      REQUIRE(again.ok());
      ExpectNeedle(**again, 4, 5);
    }
  }
}

uint64_t SizeOnDisk(const std::string& path) {
  auto file = FileSystem::Default()->Open(path, OpenMode::kReadWrite);
  REQUIRE(file.ok());
  auto size = (*file)->Size();
  REQUIRE(size.ok());
  return *size;
}

TEST_CASE("zeros written ahead are cut off after a crash and by a clean close",
          "[volume][recovery]") {
  TempDir dir;
  const std::string data_path = Volume::DataPath(dir.path(), 7);
  VolumeOptions options;
  REQUIRE(options.preallocate_bytes == uint64_t{4} << 20);
  {
    auto volume = Volume::Create(dir.path(), 7, options);
    REQUIRE(volume.ok());
    for (uint64_t id = 1; id <= 3; ++id) {
      REQUIRE((*volume)->Append(Request(id, 1000), Payload(id, 1000)).ok());
    }
    const uint64_t end = (*volume)->Usage().file_size;
    CHECK(SizeOnDisk(data_path) > end + options.preallocate_bytes / 2);
    CHECK(SizeOnDisk(data_path) <= end + options.preallocate_bytes);
  }  // The crash.
  {
    auto volume = Volume::Open(dir.path(), 7, options);
    REQUIRE(volume.ok());
    for (uint64_t id = 1; id <= 3; ++id) ExpectNeedle(**volume, id, 1000);
    CHECK(SizeOnDisk(data_path) == (*volume)->Usage().file_size);
    REQUIRE((*volume)->Append(Request(4, 1000), Payload(4, 1000)).ok());
    CHECK(SizeOnDisk(data_path) > (*volume)->Usage().file_size);
    REQUIRE((*volume)->Close().ok());
    CHECK(SizeOnDisk(data_path) == (*volume)->Usage().file_size);
  }
  auto volume = Volume::Open(dir.path(), 7, options);
  REQUIRE(volume.ok());
  for (uint64_t id = 1; id <= 4; ++id) ExpectNeedle(**volume, id, 1000);

  // Turned off, the file ends at its last needle.
  TempDir off_dir;
  options.preallocate_bytes = 0;
  auto off = Volume::Create(off_dir.path(), 7, options);
  REQUIRE(off.ok());
  REQUIRE((*off)->Append(Request(1, 1000), Payload(1, 1000)).ok());
  CHECK(SizeOnDisk(Volume::DataPath(off_dir.path(), 7)) ==
        (*off)->Usage().file_size);
}

TEST_CASE("a write abandoned inside the zeros written ahead leaves no needle",
          "[volume][recovery]") {
  TempDir dir;
  uint64_t end;
  {
    auto volume = Volume::Create(dir.path(), 7, {});
    REQUIRE(volume.ok());
    REQUIRE((*volume)->Append(Request(1, 100), Payload(1, 100)).ok());
    const uint64_t first_end = (*volume)->Usage().file_size;
    {
      auto writer = (*volume)->BeginAppend(Request(2, 5000));
      REQUIRE(writer.ok());
      REQUIRE((*writer)->Write(Payload(2, 5000).substr(0, 4000)).ok());
    }  // Destroyed unfinished: the region is given back.
    CHECK((*volume)->Usage().file_size == first_end);
    ExpectNeedle(**volume, 2, -1);
    // A smaller needle takes the region; the abandoned bytes after it are
    // no needle.
    REQUIRE((*volume)->Append(Request(3, 100), Payload(3, 100)).ok());
    end = (*volume)->Usage().file_size;
  }  // The crash.
  auto volume = Volume::Open(dir.path(), 7, {});
  REQUIRE(volume.ok());
  ExpectNeedle(**volume, 1, 100);
  ExpectNeedle(**volume, 2, -1);
  ExpectNeedle(**volume, 3, 100);
  CHECK((*volume)->Usage().file_size == end);
  CHECK(SizeOnDisk(Volume::DataPath(dir.path(), 7)) == end);
}

TEST_CASE("the scan resynchronises past an unreadable gap",
          "[volume][recovery]") {
  TempDir dir;
  {
    auto volume = Volume::Create(dir.path(), 7, {});
    REQUIRE(volume.ok());
    REQUIRE((*volume)->Append(Request(1, 100), Payload(1, 100)).ok());
    REQUIRE((*volume)->Close().ok());
  }
  // After the clean close, append what a crash can leave: a region that an
  // unfinished write never filled (zeros, then random bytes), followed by a
  // needle that a later write completed.
  const std::string data_path = Volume::DataPath(dir.path(), 7);
  std::string bytes = ReadFile(data_path);
  auto sb = SuperBlock::Decode(bytes);
  REQUIRE(sb.ok());
  bytes += std::string(512, '\0');
  bytes += Payload(99, 1000);
  NeedleHeader header;
  header.id = 2;
  header.cookie = CookieOf(2);
  header.data_size = 300;
  bytes += EncodeNeedle(header, Payload(2, 300), sb->salt);
  bytes += std::string(13, '\x5a');  // and a torn tail
  WriteFile(data_path, bytes);

  auto volume = Volume::Open(dir.path(), 7, {});
  REQUIRE(volume.ok());
  ExpectNeedle(**volume, 1, 100);
  ExpectNeedle(**volume, 2, 300);
  CHECK((*volume)->Usage().file_size == bytes.size() - 13);
}

TEST_CASE("a needle forged inside object data is not taken for a real one",
          "[volume][recovery]") {
  TempDir dir;
  // A client stores bytes that look exactly like a needle, but it cannot
  // know the volume's salt, so its header checksum does not verify.
  NeedleHeader forged;
  forged.id = 1;
  forged.cookie = CookieOf(1);
  forged.data_size = 8;
  std::string forged_bytes = EncodeNeedle(forged, "evil!!!!", /*salt=*/0);
  // Large enough that the writer passes it to the file at once.
  std::string object = std::string(300 << 10, '\0') + forged_bytes;
  {
    auto volume = Volume::Create(dir.path(), 7, {});
    REQUIRE(volume.ok());
    REQUIRE((*volume)->Append(Request(1, 10), Payload(1, 10)).ok());
    auto writer = (*volume)->BeginAppend(Request(2, object.size() + 100));
    REQUIRE(writer.ok());
    REQUIRE((*writer)->Write(object).ok());
    // Crash mid-upload: the writer is never finished.
    AbandonMidUpload(*std::move(writer));
  }
  // Lose the header of the unfinished needle too, so the scan has to
  // resynchronise through the forged bytes.
  const std::string data_path = Volume::DataPath(dir.path(), 7);
  std::string bytes = ReadFile(data_path);
  size_t forged_at = bytes.find(forged_bytes);
  REQUIRE(forged_at != std::string::npos);
  size_t second = forged_at - (300 << 10) - kNeedleHeaderSize -
                  std::string("application/octet-stream").size();
  std::fill(bytes.begin() + second, bytes.begin() + second + kNeedleHeaderSize, '\0');
  WriteFile(data_path, bytes);
  REQUIRE(FileSystem::Default()->Remove(Volume::IndexPath(dir.path(), 7)).ok());
  auto volume = Volume::Open(dir.path(), 7, {});
  REQUIRE(volume.ok());
  ExpectNeedle(**volume, 1, 10);
  ExpectNeedle(**volume, 2, -1);
}

TEST_CASE("a needle with bad data is never served", "[volume][recovery]") {
  TempDir dir;
  uint64_t second_at;
  {
    auto volume = Volume::Create(dir.path(), 7, {});
    REQUIRE(volume.ok());
    REQUIRE((*volume)->Append(Request(1, 100), Payload(1, 100)).ok());
    second_at = (*volume)->Usage().file_size;
    REQUIRE((*volume)->Append(Request(2, 2 << 20), Payload(2, 2 << 20)).ok());
    REQUIRE((*volume)->Append(Request(3, 100), Payload(3, 100)).ok());
    REQUIRE((*volume)->Close().ok());
  }
  const std::string data_path = Volume::DataPath(dir.path(), 7);
  std::string bytes = ReadFile(data_path);
  bytes[second_at + 200 + (1 << 20)] ^= 0x01;
  WriteFile(data_path, bytes);
  {
    auto volume = Volume::Open(dir.path(), 7, {});
    REQUIRE(volume.ok());
    auto reader = (*volume)->OpenNeedle(2, CookieOf(2));
    REQUIRE(reader.ok());  // a large needle is checked as it streams
    CHECK(reader->ReadAll().status().code() == absl::StatusCode::kDataLoss);
    ExpectNeedle(**volume, 3, 100);
  }
  // Rebuilt from the volume file, the bad needle is skipped, not indexed.
  REQUIRE(FileSystem::Default()->Remove(Volume::IndexPath(dir.path(), 7)).ok());
  auto volume = Volume::Open(dir.path(), 7, {});
  REQUIRE(volume.ok());
  ExpectNeedle(**volume, 1, 100);
  ExpectNeedle(**volume, 2, -1);
  ExpectNeedle(**volume, 3, 100);
}

TEST_CASE("a last needle whose data does not verify is cut off as torn",
          "[volume][recovery]") {
  TempDir dir;
  uint64_t second_at;
  {
    auto volume = Volume::Create(dir.path(), 7, {});
    REQUIRE(volume.ok());
    REQUIRE((*volume)->Append(Request(1, 100), Payload(1, 100)).ok());
    second_at = (*volume)->Usage().file_size;
    REQUIRE((*volume)->Append(Request(2, 5000), Payload(2, 5000)).ok());
  }  // The crash: the index file names neither needle.
  const std::string data_path = Volume::DataPath(dir.path(), 7);
  std::string bytes = ReadFile(data_path);
  // A write cut short whose later blocks reached the disk: a hole of zeros
  // in its data, its end intact.
  std::fill_n(bytes.begin() + second_at + 1000, 4096, '\0');
  WriteFile(data_path, bytes);
  {
    auto volume = Volume::Open(dir.path(), 7, {});
    REQUIRE(volume.ok());
    ExpectNeedle(**volume, 1, 100);
    ExpectNeedle(**volume, 2, -1);
    CHECK((*volume)->Usage().file_size == second_at);
    CHECK(ReadFile(data_path).size() == second_at);
  }
  // After it, unreadable bytes and a second needle that does not verify:
  // all of it is torn, and a second open cuts nothing more.
  auto sb = SuperBlock::Decode(bytes);
  REQUIRE(sb.ok());
  NeedleHeader header;
  header.id = 3;
  header.cookie = CookieOf(3);
  header.data_size = 300;
  std::string third = EncodeNeedle(header, Payload(3, 300), sb->salt);
  third[header.header_size() + 10] ^= 0x01;
  WriteFile(data_path, bytes + Payload(98, 200) + third);
  for (int open = 0; open < 2; ++open) {
    INFO("open " << open);
    auto volume = Volume::Open(dir.path(), 7, {});
    REQUIRE(volume.ok());
    ExpectNeedle(**volume, 1, 100);
    ExpectNeedle(**volume, 2, -1);
    ExpectNeedle(**volume, 3, -1);
    CHECK((*volume)->Usage().file_size == second_at);
    CHECK(ReadFile(data_path).size() == second_at);
  }
}

TEST_CASE("a damaged stale or missing index file is rebuilt",
          "[volume][recovery]") {
  TempDir dir;
  VolumeOptions options;
  options.index_flush_records = 4;
  {
    auto volume = Volume::Create(dir.path(), 7, options);
    REQUIRE(volume.ok());
    for (uint64_t id = 1; id <= 20; ++id) {
      REQUIRE((*volume)->Append(Request(id, id), Payload(id, id)).ok());
    }
    REQUIRE((*volume)->Delete(4, CookieOf(4)).ok());
    REQUIRE((*volume)->Close().ok());
  }
  const std::string index_path = Volume::IndexPath(dir.path(), 7);
  const std::string index = ReadFile(index_path);
  auto check_all = [&] {
    auto volume = Volume::Open(dir.path(), 7, options);
    REQUIRE(volume.ok());
    for (uint64_t id = 1; id <= 20; ++id) {
      ExpectNeedle(**volume, id, id == 4 ? -1 : static_cast<int64_t>(id));
    }
    CHECK((*volume)->Usage().needle_count == 19);
  };
  SECTION("a flipped byte in a record") {
    std::string bad = index;
    bad[kIndexHeaderSize + 5 * kIndexRecordSize + 9] ^= 0x40;
    WriteFile(index_path, bad);
    check_all();
  }
  SECTION("a torn last record") {
    WriteFile(index_path, absl::string_view(index).substr(0, index.size() - 5));
    check_all();
  }
  SECTION("a bad header") {
    std::string bad = index;
    bad[3] = 'x';
    WriteFile(index_path, bad);
    check_all();
  }
  SECTION("no index file") {
    REQUIRE(FileSystem::Default()->Remove(index_path).ok());
    check_all();
  }
  SECTION("an index pointing past the end of the volume file") {
    const std::string data_path = Volume::DataPath(dir.path(), 7);
    std::string data = ReadFile(data_path);
    WriteFile(data_path, absl::string_view(data).substr(0, data.size() - 8));
    auto volume = Volume::Open(dir.path(), 7, options);
    REQUIRE(volume.ok());
    // The cut tore the last thing written, the tombstone of needle 4: the
    // delete is lost and needle 4 is back; everything else is intact.
    for (uint64_t id = 1; id <= 20; ++id) {
      ExpectNeedle(**volume, id, static_cast<int64_t>(id));
    }
  }
}

// A random mix of puts, overwrites and deletes through the fault-injecting
// file system; after a simulated power loss, every acknowledged write must
// read back and every acknowledged delete must stay deleted.
TEST_CASE("power loss keeps every acknowledged write and delete",
          "[volume][recovery][fault]") {
  for (SyncPolicy policy : {SyncPolicy::kGroupCommit, SyncPolicy::kEveryWrite}) {
    for (int trial = 0; trial < 20; ++trial) {
      TempDir dir;
      FaultInjectionFileSystem fs;
      VolumeOptions options;
      options.fs = &fs;
      options.sync_policy = policy;
      options.index_flush_records = 1 + trial % 9;
      std::mt19937 rng(trial);
      std::map<uint64_t, int64_t> expected;  // id -> size, -1 deleted
      const int crash_after = 20 + rng() % 80;
      {
        auto volume = Volume::Create(dir.path(), 7, options);
        REQUIRE(volume.ok());
        for (int op = 0; op < crash_after; ++op) {
          uint64_t id = 1 + rng() % 30;
          if (rng() % 4 == 0 && expected.count(id) && expected[id] >= 0) {
            REQUIRE((*volume)->Delete(id, CookieOf(id)).ok());
            expected[id] = -1;
          } else {
            int64_t size = rng() % 3000;
            REQUIRE(
                (*volume)->Append(Request(id, size), Payload(id, size)).ok());
            expected[id] = size;
          }
          if (rng() % 10 == 0) REQUIRE((*volume)->Sync().ok());
          if (rng() % 25 == 0) {
            // Reopen cleanly mid-run now and then.
            REQUIRE((*volume)->Close().ok());
            volume = Volume::Open(dir.path(), 7, options);
            REQUIRE(volume.ok());
          }
        }
        // Unfinished writes at the moment of the crash.
        auto pending = (*volume)->BeginAppend(Request(1000, 5000));
        REQUIRE(pending.ok());
        REQUIRE((*pending)->Write(Payload(1000, 2500)).ok());
        AbandonMidUpload(*std::move(pending));
      }
      REQUIRE(fs.DropUnsyncedData().ok());
      auto volume = Volume::Open(dir.path(), 7, options);
      INFO("trial " << trial << " policy " << SyncPolicyName(policy));
      REQUIRE(volume.ok());
      for (const auto& [id, size] : expected) ExpectNeedle(**volume, id, size);
      ExpectNeedle(**volume, 1000, -1);
      CHECK_FALSE((*volume)->Usage().read_only);
    }
  }
}

// Group commit with one and with several syncs in flight: every append
// acknowledged to one of many concurrent writers survives a power loss
// that comes right after, with nothing synced since.
TEST_CASE(
    "concurrent group-commit writers lose no acknowledged append at "
    "power loss",
    "[volume][recovery][fault]") {
  for (int syncs_in_flight : {1, 4}) {
    INFO("syncs in flight " << syncs_in_flight);
    TempDir dir;
    FaultInjectionFileSystem fs;
    VolumeOptions options;
    options.fs = &fs;
    options.sync_policy = SyncPolicy::kGroupCommit;
    options.max_syncs_in_flight = syncs_in_flight;
    // Syncs overlap as soon as writers come, however fast the disk.
    options.overlap_syncs_after = absl::ZeroDuration();
    constexpr int kThreads = 8;
    constexpr int kPerThread = 30;
    std::vector<int> failures(kThreads, 0);
    {
      auto volume = Volume::Create(dir.path(), 7, options);
      REQUIRE(volume.ok());
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
          for (int i = 0; i < kPerThread; ++i) {
            const uint64_t id = t * kPerThread + i + 1;
            const size_t size = 50 + id * 7;
            if (!(*volume)->Append(Request(id, size), Payload(id, size)).ok()) {
              ++failures[t];
            }
          }
        });
      }
      for (std::thread& thread : threads) thread.join();
    }  // The crash: destroyed without Close(), nothing more is synced.
    for (int t = 0; t < kThreads; ++t) CHECK(failures[t] == 0);
    REQUIRE(fs.DropUnsyncedData().ok());
    auto volume = Volume::Open(dir.path(), 7, options);
    REQUIRE(volume.ok());
    for (uint64_t id = 1; id <= kThreads * kPerThread; ++id) {
      ExpectNeedle(**volume, id, static_cast<int64_t>(50 + id * 7));
    }
  }
}

TEST_CASE("a failed fsync turns the volume read-only and acknowledges nothing",
          "[volume][recovery][fault]") {
  TempDir dir;
  FaultInjectionFileSystem fs;
  VolumeOptions options;
  options.fs = &fs;
  auto volume = Volume::Create(dir.path(), 7, options);
  REQUIRE(volume.ok());
  REQUIRE((*volume)->Append(Request(1, 100), Payload(1, 100)).ok());
  fs.SetSyncFails(true);
  absl::Status failed = (*volume)->Append(Request(2, 100), Payload(2, 100)).status();
  CHECK(failed.code() == absl::StatusCode::kUnavailable);
  fs.SetSyncFails(false);
  // Never retried and then acknowledged: the volume stays read-only.
  CHECK((*volume)->Usage().read_only);
  CHECK((*volume)->Append(Request(3, 100), Payload(3, 100)).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK((*volume)->SetReadOnly(false).code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK((*volume)->Usage().read_only);
  ExpectNeedle(**volume, 1, 100);
  ExpectNeedle(**volume, 2, -1);
  volume->reset();
  REQUIRE(fs.DropUnsyncedData().ok());
  auto reopened = Volume::Open(dir.path(), 7, options);
  REQUIRE(reopened.ok());
  ExpectNeedle(**reopened, 1, 100);
  CHECK_FALSE((*reopened)->Usage().read_only);
  CHECK((*reopened)->Append(Request(3, 100), Payload(3, 100)).ok());
}

// Writers share one file descriptor, and the kernel reports a failed
// write-back to one fsync only: a writer whose own fsync returns success
// after another's failed has no proof its bytes reached the disk.
TEST_CASE(
    "under fsync per write a write is not acknowledged after another "
    "writer's fsync failed",
    "[volume][recovery][fault]") {
  TempDir dir;
  FaultInjectionFileSystem fs;
  VolumeOptions options;
  options.fs = &fs;
  options.sync_policy = SyncPolicy::kEveryWrite;
  auto volume = Volume::Create(dir.path(), 7, options);
  REQUIRE(volume.ok());
  REQUIRE((*volume)->Append(Request(1, 100), Payload(1, 100)).ok());
  // B's bytes are written before A's fsync fails...
  auto b = (*volume)->BeginAppend(Request(3, 100));
  REQUIRE(b.ok());
  REQUIRE((*b)->Write(Payload(3, 100)).ok());
  fs.SetSyncFails(true);
  CHECK((*volume)->Append(Request(2, 100), Payload(2, 100)).status().code() ==
        absl::StatusCode::kUnavailable);
  // ...and B's own fsync, like the kernel's after reporting the error
  // once, succeeds.
  fs.SetSyncFails(false);
  CHECK((*b)->Commit().status().code() == absl::StatusCode::kUnavailable);
  b->reset();
  ExpectNeedle(**volume, 3, -1);
  CHECK((*volume)->Usage().read_only);
  ExpectNeedle(**volume, 1, 100);
}

// Under --sync none the periodic sync is the only fsync of the volume
// file. The kernel reports a failed write-back once and may have dropped
// the pages: the next sync succeeds and proves nothing.
TEST_CASE("under no sync a failed sync turns the volume read-only",
          "[volume][recovery][fault]") {
  TempDir dir;
  FaultInjectionFileSystem fs;
  VolumeOptions options;
  options.fs = &fs;
  options.sync_policy = SyncPolicy::kNone;
  auto volume = Volume::Create(dir.path(), 7, options);
  REQUIRE(volume.ok());
  REQUIRE((*volume)->Append(Request(1, 100), Payload(1, 100)).ok());
  REQUIRE((*volume)->Sync().ok());
  REQUIRE((*volume)->Append(Request(2, 100), Payload(2, 100)).ok());
  fs.SetSyncFails(true);
  CHECK((*volume)->Sync().code() == absl::StatusCode::kUnavailable);
  fs.SetSyncFails(false);
  CHECK((*volume)->Sync().code() == absl::StatusCode::kUnavailable);
  CHECK((*volume)->Usage().read_only);
  CHECK((*volume)->Append(Request(3, 100), Payload(3, 100)).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK((*volume)->SetReadOnly(false).code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK((*volume)->Usage().read_only);
  CHECK((*volume)->Close().code() == absl::StatusCode::kUnavailable);
  volume->reset();
  REQUIRE(fs.DropUnsyncedData().ok());
  auto reopened = Volume::Open(dir.path(), 7, options);
  REQUIRE(reopened.ok());
  ExpectNeedle(**reopened, 1, 100);
  CHECK_FALSE((*reopened)->Usage().read_only);
  CHECK((*reopened)->Append(Request(3, 100), Payload(3, 100)).ok());
}

// Options for volume 7 on `fs` that keep index records buffered (1000 at a
// time) and write no zeros ahead: an open's scan then has no tail to cut,
// and syncs no data.
VolumeOptions BufferingOptions(FaultInjectionFileSystem* fs) {
  VolumeOptions options;
  options.fs = fs;
  options.index_flush_records = 1000;
  options.preallocate_bytes = 0;
  return options;
}

// Creates volume 7 in `dir` with needles 1 to 20 of 300 bytes, and drops
// it as a crash would: no record reaches the index file.
void CreateTwentyAndCrash(const std::string& dir,
                          const VolumeOptions& options) {
  auto volume = Volume::Create(dir, 7, options);
  REQUIRE(volume.ok());
  for (uint64_t id = 1; id <= 20; ++id) {
    REQUIRE((*volume)->Append(Request(id, 300), Payload(id, 300)).ok());
  }
}

// The index file only shortens the next open's scan. A volume whose tail
// was recovered after a crash, but whose disk is now full or fails its
// fsyncs, still opens; the records stay buffered for a later flush, and an
// open before that scans the same tail again.
TEST_CASE("a volume opens when its recovered index records cannot be written",
          "[volume][recovery][fault]") {
  enum class Fault { kDiskFull, kSyncFails, kDiskFullRebuilding };
  for (Fault fault :
       {Fault::kDiskFull, Fault::kSyncFails, Fault::kDiskFullRebuilding}) {
    INFO("fault " << static_cast<int>(fault));
    TempDir dir;
    FaultInjectionFileSystem fs;
    const VolumeOptions options = BufferingOptions(&fs);
    CreateTwentyAndCrash(dir.path(), options);
    switch (fault) {
      case Fault::kDiskFull:
        fs.FailWritesAfter(0);
        break;
      case Fault::kSyncFails:
        fs.SetSyncFails(true);
        break;
      case Fault::kDiskFullRebuilding:
        REQUIRE(fs.Remove(Volume::IndexPath(dir.path(), 7)).ok());
        fs.FailWritesAfter(kIndexHeaderSize);
        break;
    }
    {
      auto volume = Volume::Open(dir.path(), 7, options);
      INFO(volume.status().ToString());
      REQUIRE(volume.ok());
      for (uint64_t id = 1; id <= 20; ++id) ExpectNeedle(**volume, id, 300);
      // A failed sync of the recovered needles is never retried.
      CHECK((*volume)->Usage().read_only == (fault == Fault::kSyncFails));
    }  // Another crash, before any flush.
    fs.ClearFaults();
    REQUIRE(fs.DropUnsyncedData().ok());
    auto volume = Volume::Open(dir.path(), 7, options);
    REQUIRE(volume.ok());
    for (uint64_t id = 1; id <= 20; ++id) ExpectNeedle(**volume, id, 300);
    REQUIRE((*volume)->Append(Request(21, 300), Payload(21, 300)).ok());
    REQUIRE((*volume)->Close().ok());
  }
}

TEST_CASE(
    "no index record is written once the sync of recovered needles "
    "failed",
    "[volume][recovery][fault]") {
  TempDir dir;
  FaultInjectionFileSystem fs;
  const VolumeOptions options = BufferingOptions(&fs);
  CreateTwentyAndCrash(dir.path(), options);
  const std::string index_path = Volume::IndexPath(dir.path(), 7);
  const std::string index_before = ReadFile(index_path);
  // The open's scan finds the needles, and its sync of them fails: they
  // may be in the page cache only, and stay so.
  fs.SetSyncFails(true);
  auto volume = Volume::Open(dir.path(), 7, options);
  INFO(volume.status().ToString());
  REQUIRE(volume.ok());
  CHECK((*volume)->Usage().read_only);
  fs.ClearFaults();
  // Neither a periodic sync nor the close may write the records that name
  // those needles, nor a checkpoint past them.
  CHECK((*volume)->Sync().code() == absl::StatusCode::kUnavailable);
  CHECK((*volume)->Close().code() == absl::StatusCode::kUnavailable);
  CHECK(ReadFile(index_path) == index_before);
  volume->reset();
  // The next open scans the tail again, and indexes what reached the disk.
  auto reopened = Volume::Open(dir.path(), 7, options);
  REQUIRE(reopened.ok());
  for (uint64_t id = 1; id <= 20; ++id) ExpectNeedle(**reopened, id, 300);
  REQUIRE((*reopened)->Close().ok());
}

TEST_CASE(
    "needles recovered after a process crash are synced before "
    "the index names them",
    "[volume][recovery][fault]") {
  TempDir dir;
  FaultInjectionFileSystem fs;
  VolumeOptions options;
  options.fs = &fs;
  options.sync_policy = SyncPolicy::kNone;  // nothing synced by the appends
  options.index_flush_records = 1000;
  {
    auto volume = Volume::Create(dir.path(), 7, options);
    REQUIRE(volume.ok());
    for (uint64_t id = 1; id <= 20; ++id) {
      REQUIRE((*volume)->Append(Request(id, 300), Payload(id, 300)).ok());
    }
  }  // The process dies; its writes stay in the page cache.
  {
    // The open recovers the tail and writes its records, synced.
    auto volume = Volume::Open(dir.path(), 7, options);
    REQUIRE(volume.ok());
    for (uint64_t id = 1; id <= 20; ++id) ExpectNeedle(**volume, id, 300);
  }  // It dies too, and then the machine loses power.
  REQUIRE(fs.DropUnsyncedData().ok());
  auto volume = Volume::Open(dir.path(), 7, options);
  INFO(volume.status().ToString());
  REQUIRE(volume.ok());
  for (uint64_t id = 1; id <= 20; ++id) ExpectNeedle(**volume, id, 300);
}

TEST_CASE("a full disk fails the write and keeps earlier needles",
          "[volume][recovery][fault]") {
  TempDir dir;
  FaultInjectionFileSystem fs;
  VolumeOptions options;
  options.fs = &fs;
  auto volume = Volume::Create(dir.path(), 7, options);
  REQUIRE(volume.ok());
  REQUIRE((*volume)->Append(Request(1, 100), Payload(1, 100)).ok());
  REQUIRE((*volume)->Append(Request(2, 100), Payload(2, 100)).ok());
  fs.FailWritesAfter(300 << 10);
  CHECK((*volume)
            ->Append(Request(3, 1 << 20), Payload(3, 1 << 20))
            .status()
            .code() == absl::StatusCode::kResourceExhausted);
  ExpectNeedle(**volume, 3, -1);
  fs.ClearFaults();
  ExpectNeedle(**volume, 1, 100);
  REQUIRE((*volume)->Append(Request(4, 100), Payload(4, 100)).ok());
  REQUIRE((*volume)->Close().ok());
  volume->reset();
  auto reopened = Volume::Open(dir.path(), 7, options);
  REQUIRE(reopened.ok());
  ExpectNeedle(**reopened, 1, 100);
  ExpectNeedle(**reopened, 2, 100);
  ExpectNeedle(**reopened, 3, -1);
  ExpectNeedle(**reopened, 4, 100);
}

// Zeros written ahead take space a full disk may not have. Failing to write
// them fails no append by itself; the append that finds no room for its own
// bytes fails, and every acknowledged one survives a crash.
TEST_CASE("a full disk while writing zeros ahead loses no acknowledged append",
          "[volume][recovery][fault]") {
  TempDir dir;
  FaultInjectionFileSystem fs;
  VolumeOptions options;
  options.fs = &fs;
  options.preallocate_bytes = 64 << 10;
  std::vector<uint64_t> acknowledged;
  absl::Status failure;
  {
    auto volume = Volume::Create(dir.path(), 7, options);
    REQUIRE(volume.ok());
    REQUIRE((*volume)->Append(Request(1, 1000), Payload(1, 1000)).ok());
    acknowledged.push_back(1);
    // Room for about 30 appends and part of the second step of zeros,
    // which comes due after about 32 KiB of appends.
    fs.FailWritesAfter(48 << 10);
    for (uint64_t id = 2; id <= 500 && failure.ok(); ++id) {
      failure = (*volume)->Append(Request(id, 1000), Payload(id, 1000)).status();
      if (failure.ok()) acknowledged.push_back(id);
    }
    CHECK(failure.code() == absl::StatusCode::kResourceExhausted);
    CHECK(acknowledged.size() >= 30);
    for (uint64_t id : acknowledged) ExpectNeedle(**volume, id, 1000);
  }  // The crash.
  fs.ClearFaults();
  REQUIRE(fs.DropUnsyncedData().ok());
  auto volume = Volume::Open(dir.path(), 7, options);
  REQUIRE(volume.ok());
  for (uint64_t id : acknowledged) ExpectNeedle(**volume, id, 1000);
  ExpectNeedle(**volume, acknowledged.back() + 1, -1);
  REQUIRE((*volume)->Append(Request(1000, 1000), Payload(1000, 1000)).ok());
  ExpectNeedle(**volume, 1000, 1000);
}

}  // namespace
}  // namespace warehouse::volume
