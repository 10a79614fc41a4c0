// warehouse-metadata-bench: throughput of the master's metadata store.
//
// Opens a fresh database in a temporary directory and measures, for each
// thread count, how many begin+commit upload pairs, object lookups and
// object listings the store completes per second. Each row runs for a fixed
// time, so the whole run is bounded. docs/benchmarks.md records results.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/deadlock_detection.h"
#include "common/file.h"
#include "common/status_macros.h"
#include "master/metadata_store.h"

namespace warehouse::master {
namespace {

constexpr char kBucket[] = "bench";
constexpr int kVolumes = 8;

struct Flags {
  double seconds = 3;
  std::vector<int> threads = {1, 16, 64};
  int preload = 50000;
  int page_size = 100;
  std::string dir;
};

// Objects are "w/<writer>/<n>": a writer's keys form one common prefix.
std::string KeyOf(int writer, int64_t n) {
  return absl::StrCat("w/", writer, "/", n);
}

// Keys committed so far, per writer id. Writers never share an id.
struct Written {
  std::vector<int64_t> per_writer;  // writer id -> how many keys it wrote
};

struct Row {
  std::string operation;
  int threads = 0;
  int64_t ops = 0;
  absl::Duration elapsed;
  double writes_per_transaction = 0;  // 0: not a write row
};

// Runs `op(thread, rng)` on `threads` threads until `duration` has passed;
// returns how many calls succeeded. Stops early on the first error.
template <typename Op>
absl::StatusOr<int64_t> RunFor(int threads, absl::Duration duration, Op op,
                               absl::Duration* elapsed) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> done{0};
  std::vector<absl::Status> errors(threads);
  std::vector<std::thread> workers;
  const absl::Time start = absl::Now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<uint64_t>(t) * 7919 + 1);
      while (!stop.load(std::memory_order_relaxed)) {
        absl::Status status = op(t, rng);
        if (!status.ok()) {
          errors[t] = status;
          stop = true;
          return;
        }
        done.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  absl::SleepFor(duration);
  stop = true;
  for (auto& worker : workers) worker.join();
  *elapsed = absl::Now() - start;
  for (const absl::Status& error : errors) RETURN_IF_ERROR(error);
  return done.load();
}

// The median latency of rewriting one 4 KiB page and fdatasync-ing it in
// `dir`: the floor under one commit, which the write rows depend on most.
absl::StatusOr<absl::Duration> MeasureSyncLatency(const std::string& dir) {
  constexpr int kRounds = 50;
  FileSystem* fs = FileSystem::Default();
  const std::string path = dir + "/sync-probe";
  std::vector<absl::Duration> samples;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                     fs->Open(path, OpenMode::kCreateExclusive));
    const std::string page(4096, 'x');
    RETURN_IF_ERROR(file->WriteAt(0, page));
    RETURN_IF_ERROR(file->Sync());
    for (int i = 0; i < kRounds; ++i) {
      const absl::Time start = absl::Now();
      RETURN_IF_ERROR(file->WriteAt(0, page));
      RETURN_IF_ERROR(file->Sync());
      samples.push_back(absl::Now() - start);
    }
  }
  RETURN_IF_ERROR(fs->Remove(path));
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

absl::Status BeginAndCommit(MetadataStore& store, const std::string& key,
                            uint32_t volume_id) {
  BeginUploadRequest begin;
  begin.bucket = kBucket;
  begin.key = key;
  begin.size = 4096;
  begin.content_type = "application/octet-stream";
  begin.volume_id = volume_id;
  begin.cookie = 0x1234abcd;
  begin.expires = absl::Now() + absl::Hours(1);
  ASSIGN_OR_RETURN(Upload upload, store.BeginUpload(begin));
  CommitUploadRequest commit;
  commit.upload_id = upload.upload_id;
  commit.needle = upload.needle;
  commit.size = upload.size;
  commit.etag = "d41d8cd98f00b204e9800998ecf8427e";
  return store.CommitUpload(commit).status();
}

class Bench {
 public:
  Bench(MetadataStore* store, const Flags& flags)
      : store_(*store), flags_(flags) {}

  // Begin+commit pairs from `threads` writers, each on fresh writer ids.
  absl::StatusOr<Row> Commits(int threads) {
    const int first_writer = static_cast<int>(written_.per_writer.size());
    written_.per_writer.resize(first_writer + threads, 0);
    const WriteBatcher::Stats before = store_.write_stats();
    Row row;
    row.operation = "begin+commit pairs";
    row.threads = threads;
    ASSIGN_OR_RETURN(row.ops,
                     RunFor(
                         threads, Duration(),
                         [&](int t, std::mt19937_64&) {
                           const int writer = first_writer + t;
                           int64_t& n = written_.per_writer[writer];
                           absl::Status status = BeginAndCommit(
                               store_, KeyOf(writer, n),
                               static_cast<uint32_t>(1 + writer % kVolumes));
                           if (status.ok()) ++n;
                           return status;
                         },
                         &row.elapsed));
    const WriteBatcher::Stats after = store_.write_stats();
    const uint64_t transactions = after.transactions - before.transactions;
    if (transactions > 0) {
      row.writes_per_transaction =
          static_cast<double>(after.committed_writes -
                              before.committed_writes) /
          static_cast<double>(transactions);
    }
    return row;
  }

  // Fills the bucket up to --preload objects with 16 writers, untimed.
  absl::Status Preload() {
    int64_t have = 0;
    for (int64_t n : written_.per_writer) have += n;
    if (have >= flags_.preload) return absl::OkStatus();
    constexpr int kLoaders = 16;
    const int first_writer = static_cast<int>(written_.per_writer.size());
    written_.per_writer.resize(first_writer + kLoaders, 0);
    const int64_t each = (flags_.preload - have + kLoaders - 1) / kLoaders;
    std::vector<absl::Status> errors(kLoaders);
    std::vector<std::thread> loaders;
    for (int t = 0; t < kLoaders; ++t) {
      loaders.emplace_back([&, t] {
        const int writer = first_writer + t;
        for (int64_t n = 0; n < each && errors[t].ok(); ++n) {
          errors[t] = BeginAndCommit(store_, KeyOf(writer, n),
                                     static_cast<uint32_t>(1 + t % kVolumes));
          if (errors[t].ok()) written_.per_writer[writer] = n + 1;
        }
      });
    }
    for (auto& loader : loaders) loader.join();
    for (const absl::Status& error : errors) RETURN_IF_ERROR(error);
    return absl::OkStatus();
  }

  // Call after the write rows and Preload, before the read rows.
  void FreezeKeys() {
    nonempty_writers_.clear();
    for (size_t w = 0; w < written_.per_writer.size(); ++w) {
      if (written_.per_writer[w] > 0) {
        nonempty_writers_.push_back(static_cast<int>(w));
      }
    }
  }

  int64_t ObjectCount() const {
    int64_t total = 0;
    for (int64_t n : written_.per_writer) total += n;
    return total;
  }

  // GetObject of a uniformly random existing key.
  absl::StatusOr<Row> Lookups(int threads) {
    Row row;
    row.operation = "lookups";
    row.threads = threads;
    ASSIGN_OR_RETURN(
        row.ops,
        RunFor(
            threads, Duration(),
            [&](int, std::mt19937_64& rng) {
              return store_.GetObject(kBucket, RandomKey(rng)).status();
            },
            &row.elapsed));
    return row;
  }

  // One page of --page-size keys under a random writer's prefix, from a
  // random starting key, with "/" as the delimiter.
  absl::StatusOr<Row> Lists(int threads) {
    Row row;
    row.operation = absl::StrCat("lists (", flags_.page_size, " keys/page)");
    row.threads = threads;
    ASSIGN_OR_RETURN(
        row.ops, RunFor(
                     threads, Duration(),
                     [&](int, std::mt19937_64& rng) -> absl::Status {
                       const int writer = RandomWriter(rng);
                       ListObjectsRequest request;
                       request.bucket = kBucket;
                       request.prefix = absl::StrCat("w/", writer, "/");
                       request.delimiter = "/";
                       request.max_keys = flags_.page_size;
                       ASSIGN_OR_RETURN(ListObjectsResult page,
                                        store_.ListObjects(request));
                       if (page.objects.empty()) {
                         return absl::InternalError(absl::StrCat(
                             "listing ", request.prefix, " returned nothing"));
                       }
                       return absl::OkStatus();
                     },
                     &row.elapsed));
    return row;
  }

 private:
  absl::Duration Duration() const { return absl::Seconds(flags_.seconds); }

  // A writer that wrote something. REQUIRES: FreezeKeys() found one.
  int RandomWriter(std::mt19937_64& rng) const {
    return nonempty_writers_[rng() % nonempty_writers_.size()];
  }

  std::string RandomKey(std::mt19937_64& rng) const {
    const int writer = RandomWriter(rng);
    const int64_t n = static_cast<int64_t>(
        rng() % static_cast<uint64_t>(written_.per_writer[writer]));
    return KeyOf(writer, n);
  }

  MetadataStore& store_;
  const Flags& flags_;
  Written written_;
  std::vector<int> nonempty_writers_;
};

absl::Status Run(const Flags& flags) {
  std::string dir = flags.dir;
  bool remove_dir = false;
  if (dir.empty()) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        absl::StrCat(base != nullptr ? base : "/tmp", "/metadata-bench-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) {
      return absl::UnavailableError(
          absl::StrCat("cannot create a directory from ", pattern));
    }
    dir = pattern;
    remove_dir = true;
  }
  absl::Status status;
  {
    MetadataStore::Options options;
    options.apply_migrations = true;
    ASSIGN_OR_RETURN(std::unique_ptr<MetadataStore> store,
                     MetadataStore::Open(dir + "/meta.db", options));
    RETURN_IF_ERROR(store->CreateBucket(kBucket));
    RETURN_IF_ERROR(
        store->UpsertServer("bench-vs", "127.0.0.1:1", absl::Now()));
    for (int i = 0; i < kVolumes; ++i) {
      RETURN_IF_ERROR(store->CreateVolumeRecord("bench-vs").status());
    }

    ASSIGN_OR_RETURN(const absl::Duration sync_latency,
                     MeasureSyncLatency(dir));
    Bench bench(store.get(), flags);
    std::vector<Row> rows;
    status = [&]() -> absl::Status {
      for (int threads : flags.threads) {
        ASSIGN_OR_RETURN(Row row, bench.Commits(threads));
        rows.push_back(row);
      }
      RETURN_IF_ERROR(bench.Preload());
      bench.FreezeKeys();
      for (int threads : flags.threads) {
        ASSIGN_OR_RETURN(Row row, bench.Lookups(threads));
        rows.push_back(row);
      }
      for (int threads : flags.threads) {
        ASSIGN_OR_RETURN(Row row, bench.Lists(threads));
        rows.push_back(row);
      }
      return absl::OkStatus();
    }();

    absl::PrintF(
        "objects in the bucket: %d, %d volumes, %.1f s per row, "
        "median 4 KiB rewrite+fdatasync: %.2f ms\n\n",
        bench.ObjectCount(), kVolumes, flags.seconds,
        absl::ToDoubleMilliseconds(sync_latency));
    absl::PrintF("| %-26s | %7s | %9s | %10s | %14s |\n", "operation",
                 "threads", "ops", "ops/s", "writes/txn");
    absl::PrintF("|%s|%s|%s|%s|%s|\n", std::string(28, '-'),
                 std::string(9, '-'), std::string(11, '-'),
                 std::string(12, '-'), std::string(16, '-'));
    for (const Row& row : rows) {
      const double rate =
          static_cast<double>(row.ops) / absl::ToDoubleSeconds(row.elapsed);
      const std::string batching =
          row.writes_per_transaction > 0
              ? absl::StrFormat("%.1f", row.writes_per_transaction)
              : "";
      absl::PrintF("| %-26s | %7d | %9d | %10.0f | %14s |\n", row.operation,
                   row.threads, row.ops, rate, batching);
    }
  }
  if (remove_dir) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  return status;
}

}  // namespace
}  // namespace warehouse::master

int main(int argc, char** argv) {
  warehouse::ConfigureDeadlockDetection();
  warehouse::master::Flags flags;
  CLI::App app{"Measures the throughput of the master's metadata store."};
  app.add_option("--seconds", flags.seconds, "duration of each row")
      ->check(CLI::Range(0.1, 60.0));
  app.add_option("--threads", flags.threads, "thread counts to run")
      ->check(CLI::Range(1, 256));
  app.add_option("--preload", flags.preload,
                 "objects in the bucket before the read rows")
      ->check(CLI::Range(1, 10000000));
  app.add_option("--page-size", flags.page_size, "keys per listing page")
      ->check(CLI::Range(1, 1000));
  app.add_option("--dir", flags.dir,
                 "directory for the database (default: a fresh temp dir, "
                 "removed afterwards)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  absl::Status status = warehouse::master::Run(flags);
  if (!status.ok()) {
    std::fprintf(stderr, "warehouse-metadata-bench: %s\n",
                 status.ToString().c_str());
    return 1;
  }
  return 0;
}
