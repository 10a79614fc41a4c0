// Concurrent writers and a writer killed with SIGKILL.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "master/metadata_store.h"
#include "tests/master/store_test_util.h"
#include "tests/support/temp_dir.h"

namespace warehouse::master {
namespace {

using testing::StoreFixture;

std::string KeyOf(uint64_t thread, uint64_t i) {
  return "t" + std::to_string(thread) + "/" + std::to_string(i);
}

// An upload of `size` bytes at key t<thread>/<i> of bucket "photos" on
// volume 1, open for an hour.
BeginUploadRequest BeginOf(uint64_t thread, uint64_t i, int64_t size) {
  BeginUploadRequest begin;
  begin.bucket = "photos";
  begin.key = KeyOf(thread, i);
  begin.size = size;
  begin.volume_id = 1;
  begin.cookie = 7;
  begin.expires = absl::Now() + absl::Hours(1);
  return begin;
}

// The report of `upload`, stored whole.
CommitUploadRequest ReportOf(const Upload& upload) {
  CommitUploadRequest commit;
  commit.upload_id = upload.upload_id;
  commit.needle = upload.needle;
  commit.size = upload.size;
  commit.etag = "e";
  return commit;
}

// Counts the objects in `bucket` by walking every page.
int64_t CountByListing(MetadataStore& store, const std::string& bucket) {
  int64_t count = 0;
  ListObjectsRequest request;
  request.bucket = bucket;
  for (int guard = 0; guard < 100000; ++guard) {
    auto page = store.ListObjects(request);
    REQUIRE(page.ok());
    count += static_cast<int64_t>(page->objects.size());
    if (!page->truncated) return count;
    request.continuation_token = page->next_continuation_token;
  }
  FAIL("listing did not end");
  return count;
}

TEST_CASE("commits from 16 threads all land and share transactions",
          "[master][store][concurrency]") {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 40;
  // No pending row falls due: each begin writes nothing (UnwrittenUploads).
  StoreFixture f(absl::Hours(1));
  const WriteBatcher::Stats before = f.store().write_stats();

  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!f.Put("photos", KeyOf(t, i), t + 1).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  REQUIRE(failures == 0);

  constexpr int64_t kObjects = kThreads * kPerThread;
  auto bucket = f.store().GetBucket("photos");
  REQUIRE(bucket.ok());
  CHECK(bucket->object_count == kObjects);
  int64_t bytes = 0;
  for (int t = 0; t < kThreads; ++t) bytes += (t + 1) * kPerThread;
  CHECK(bucket->total_bytes == bytes);
  CHECK(CountByListing(f.store(), "photos") == kObjects);

  // Needle ids were allocated densely, each exactly once.
  std::set<uint64_t> needles;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      auto object = f.store().GetObject("photos", KeyOf(t, i));
      REQUIRE(object.ok());
      needles.insert(object->needle.needle_id);
    }
  }
  CHECK(needles.size() == static_cast<size_t>(kObjects));
  CHECK(*needles.begin() == 1);
  CHECK(*needles.rbegin() == static_cast<uint64_t>(kObjects));
  CHECK(f.store().GetVolume(1)->next_needle_id > *needles.rbegin());

  // Each object took one write (its commit; its pending row was never
  // written), and one write reserved the needle ids for all of them; group
  // commit made them share transactions.
  static_assert(static_cast<uint64_t>(kObjects) <=
                NeedleIdRanges::kReservation);
  const WriteBatcher::Stats after = f.store().write_stats();
  const uint64_t writes = after.committed_writes - before.committed_writes;
  const uint64_t transactions = after.transactions - before.transactions;
  CHECK(writes == static_cast<uint64_t>(kObjects) + 1);
  CHECK(transactions < writes);
}

TEST_CASE("commits racing the pending row writer lose no upload",
          "[master][store][concurrency]") {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 60;
  // Rows fall due after 1 ms, and each commit comes 0 to 3 ms after its
  // begin: some find their row in memory, some find it being written, some
  // in the table.
  StoreFixture f(absl::Milliseconds(1));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        BeginUploadRequest begin = BeginOf(t, i, i);
        begin.expires = f.clock().Now() + absl::Hours(1);
        auto upload = f.store().BeginUpload(begin);
        if (!upload.ok()) {
          ++failures;
          continue;
        }
        absl::SleepFor(absl::Microseconds((t * 7 + i * 13) % 3000));
        if (!f.store().CommitUpload(ReportOf(*upload)).ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(failures == 0);
  // The row writer took part: it wrote rows, unsynced.
  CHECK(f.store().write_stats().unsynced_transactions > 0);
  CHECK(f.store().GetBucket("photos")->object_count == kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      auto object = f.store().GetObject("photos", KeyOf(t, i));
      REQUIRE(object.ok());
      CHECK(object->size == i);
    }
  }
  // Nothing is left pending, in memory or in the table.
  CHECK(f.store().unwritten_uploads() == 0);
  auto snapshot = f.store().SnapshotVolume(1);
  REQUIRE(snapshot.ok());
  CHECK(snapshot->pending_needle_ids.empty());
  CHECK(*f.store().ExpireUploads(f.clock().Now() + absl::Hours(2)) == 0);
}

// What the child reports for each acknowledged commit.
struct Ack {
  uint64_t thread;
  uint64_t index;
  uint64_t needle_id;
};

// What the crash child does with each upload before acknowledging it.
enum class ChildWork {
  kCommit,  // begins and commits it, with the default options
  kBegin,   // only begins it, with no pending row delay
};

// The child: begins (and commits, for kCommit) uploads from 4 threads in a
// loop and writes an Ack to `fd` after each call returns OK. Never returns.
[[noreturn]] void RunCrashChild(const std::string& path, int fd,
                                ChildWork work) {
  MetadataStore::Options options;
  if (work == ChildWork::kBegin)
    options.pending_row_delay = absl::ZeroDuration();
  auto store = MetadataStore::Open(path, options);
  if (!store.ok()) _exit(10);
  constexpr int kThreads = 4;
  constexpr uint64_t kMaxPerThread = 100000;  // far more than is ever reached
  std::vector<std::thread> threads;
  for (uint64_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0; i < kMaxPerThread; ++i) {
        auto upload = (*store)->BeginUpload(BeginOf(t, i, 1));
        if (!upload.ok()) _exit(11);
        if (work == ChildWork::kCommit &&
            !(*store)->CommitUpload(ReportOf(*upload)).ok()) {
          _exit(12);
        }
        const Ack ack{t, i, upload->needle.needle_id};
        // Writes of up to PIPE_BUF bytes to a pipe are atomic.
        if (write(fd, &ack, sizeof(ack)) != sizeof(ack)) _exit(13);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  _exit(0);
}

// Reads Acks from `fd` until `want` have arrived or the writer is gone.
// Each wait is bounded.
void ReadAcks(int fd, size_t want, std::vector<Ack>* acks) {
  std::string buffer;
  while (acks->size() < want) {
    pollfd p{fd, POLLIN, 0};
    const int ready = poll(&p, 1, 20000);
    REQUIRE(ready == 1);
    char chunk[4096];
    const ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    REQUIRE(n >= 0);
    if (n == 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
    while (buffer.size() >= sizeof(Ack)) {
      Ack ack;
      std::memcpy(&ack, buffer.data(), sizeof(Ack));
      acks->push_back(ack);
      buffer.erase(0, sizeof(Ack));
    }
  }
}

// Runs a crash child doing `work` on the fixture's store, SIGKILLs it once
// it has acknowledged 400 uploads, and reopens the store. Returns every
// Ack the child wrote.
std::vector<Ack> RunAndKill(StoreFixture& f, ChildWork work) {
  f.Close();  // no connection may cross the fork
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    RunCrashChild(f.path(), fds[1], work);
  }
  close(fds[1]);

  std::vector<Ack> acks;
  ReadAcks(fds[0], 400, &acks);
  REQUIRE(acks.size() >= 400);  // the child was still working
  REQUIRE(kill(pid, SIGKILL) == 0);
  int wstatus = 0;
  REQUIRE(waitpid(pid, &wstatus, 0) == pid);
  REQUIRE(WIFSIGNALED(wstatus));
  CHECK(WTERMSIG(wstatus) == SIGKILL);
  // Acks written before the kill are still in the pipe.
  ReadAcks(fds[0], SIZE_MAX, &acks);
  close(fds[0]);
  f.Reopen();
  return acks;
}

TEST_CASE("every commit acknowledged before a SIGKILL survives it",
          "[master][store][crash]") {
  StoreFixture f;
  const std::vector<Ack> acks = RunAndKill(f, ChildWork::kCommit);
  for (const Ack& ack : acks) {
    const std::string key = KeyOf(ack.thread, ack.index);
    INFO(key);
    auto object = f.store().GetObject("photos", key);
    REQUIRE(object.ok());
    CHECK(object->needle.needle_id == ack.needle_id);
  }
  // The counters moved in the same transactions as the rows.
  auto bucket = f.store().GetBucket("photos");
  REQUIRE(bucket.ok());
  CHECK(bucket->object_count == CountByListing(f.store(), "photos"));
  CHECK(bucket->object_count >= static_cast<int64_t>(acks.size()));
  // No needle id is handed out twice after the crash.
  auto volume = f.store().GetVolume(1);
  for (const Ack& ack : acks) CHECK(ack.needle_id < volume->next_needle_id);
}

TEST_CASE(
    "with no pending row delay every begin answered before a SIGKILL "
    "can commit",
    "[master][store][crash]") {
  StoreFixture f;
  const std::vector<Ack> acks = RunAndKill(f, ChildWork::kBegin);
  for (const Ack& ack : acks) {
    const std::string key = KeyOf(ack.thread, ack.index);
    INFO(key);
    Upload upload;
    upload.upload_id = static_cast<int64_t>(ack.needle_id);
    upload.needle = {1, ack.needle_id, 7};
    upload.size = 1;
    auto object = f.store().CommitUpload(ReportOf(upload));
    REQUIRE(object.ok());
    CHECK(object->key == key);
  }
}

}  // namespace
}  // namespace warehouse::master
