// warehouse-sdk-bench: end-to-end throughput and latency of puts and gets
// through the SDK (client -> master -> volume server), for a few object
// sizes and thread counts, against a running cluster.
//
//   warehouse-sdk-bench --master 127.0.0.1:9333 --sizes 1K 1M --threads 1 16
//
// Credentials as for the warehouse CLI (WAREHOUSE_ACCESS_KEY and
// WAREHOUSE_SECRET_KEY, or the credentials file). docs/benchmarks.md has
// figures and the exact commands.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/units.h"
#include "tools/cli_credentials.h"
#include "warehouse/client.h"

extern char** environ;

namespace {

using warehouse::Client;

struct Flags {
  std::string master;
  std::string bucket = "sdk-bench";
  std::vector<std::string> sizes = {"1K", "1M"};
  std::vector<int> threads = {1, 16};
  double seconds = 5;
  // A row also stops after this many operations per thread.
  int64_t max_ops = 1000000;
  bool keep = false;
};

struct Row {
  std::string operation;
  uint64_t size = 0;
  int threads = 0;
  int64_t ops = 0;
  int64_t errors = 0;
  absl::Duration elapsed;
  std::vector<absl::Duration> latencies;  // sorted
  std::string first_error;
};

absl::Duration Percentile(const std::vector<absl::Duration>& sorted, double p) {
  if (sorted.empty()) return absl::ZeroDuration();
  const size_t i = std::min(sorted.size() - 1,
                            static_cast<size_t>(p * static_cast<double>(sorted.size())));
  return sorted[i];
}

std::string Millis(absl::Duration d) {
  return absl::StrFormat("%.2f", absl::ToDoubleMilliseconds(d));
}

// Runs `op(thread, n)` on `threads` threads until `seconds` pass or each
// thread did max_ops; returns the counts and latencies.
template <typename Op>
Row RunRow(const Flags& flags, const std::string& operation, uint64_t size,
           int threads, Op op) {
  Row row;
  row.operation = operation;
  row.size = size;
  row.threads = threads;
  std::vector<std::vector<absl::Duration>> latencies(threads);
  std::vector<int64_t> errors(threads, 0);
  std::vector<std::string> first_errors(threads);
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + absl::Seconds(flags.seconds);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int64_t n = 0; n < flags.max_ops && absl::Now() < deadline; ++n) {
        const absl::Time begin = absl::Now();
        absl::Status status = op(t, n);
        if (status.ok()) {
          latencies[t].push_back(absl::Now() - begin);
        } else {
          if (errors[t]++ == 0) first_errors[t] = status.ToString();
        }
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  row.elapsed = absl::Now() - start;
  for (int t = 0; t < threads; ++t) {
    row.latencies.insert(row.latencies.end(), latencies[t].begin(),
                         latencies[t].end());
    row.errors += errors[t];
    if (row.first_error.empty()) row.first_error = first_errors[t];
  }
  row.ops = static_cast<int64_t>(row.latencies.size());
  std::sort(row.latencies.begin(), row.latencies.end());
  return row;
}

std::string Payload(uint64_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "warehouse-sdk-bench: %s\n",
               std::string(status.message()).c_str());
  return 1;
}

int Run(const Flags& flags) {
  std::map<std::string, std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    absl::string_view text(*entry);
    const size_t eq = text.find('=');
    if (eq != absl::string_view::npos) {
      env.emplace(std::string(text.substr(0, eq)),
                  std::string(text.substr(eq + 1)));
    }
  }
  absl::StatusOr<warehouse::cli::Connection> connection =
      warehouse::cli::ResolveConnection(flags.master, env,
                                        warehouse::cli::DefaultCredentialsPath());
  if (!connection.ok()) return Fail(connection.status());
  warehouse::ClientOptions options;
  options.master_address = connection->master;
  options.access_key_id = connection->access_key_id;
  options.secret_access_key = connection->secret_access_key;
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
  if (!client.ok()) return Fail(client.status());
  // The same, asking the master before every read.
  options.read_url_cache_ttl = absl::ZeroDuration();
  absl::StatusOr<std::unique_ptr<Client>> uncached = Client::Create(options);
  if (!uncached.ok()) return Fail(uncached.status());
  absl::Status created = (*client)->CreateBucket(flags.bucket);
  if (!created.ok() && !absl::IsAlreadyExists(created)) return Fail(created);

  std::vector<uint64_t> sizes;
  for (const std::string& text : flags.sizes) {
    absl::StatusOr<uint64_t> size = warehouse::ParseByteSize(text);
    if (!size.ok()) return Fail(size.status());
    sizes.push_back(*size);
  }
  const std::string run = absl::StrFormat("%x", absl::ToUnixMicros(absl::Now()));
  std::vector<Row> rows;
  std::vector<std::string> keys_written;
  for (uint64_t size : sizes) {
    const std::string data = Payload(size, size);
    for (int threads : flags.threads) {
      // Puts: every thread writes keys of its own.
      const std::string prefix =
          absl::StrCat("bench/", run, "/", size, "/", threads, "/");
      std::vector<std::vector<std::string>> written(threads);
      Row put = RunRow(flags, "put", size, threads, [&](int t, int64_t n) {
        std::string key = absl::StrCat(prefix, t, "/", n);
        absl::Status status = (*client)->Put(flags.bucket, key, data).status();
        if (status.ok()) written[t].push_back(std::move(key));
        return status;
      });
      rows.push_back(put);
      std::vector<std::string> keys;
      for (auto& w : written) keys.insert(keys.end(), w.begin(), w.end());
      if (keys.empty()) continue;
      // Gets of uniformly random keys among those just written: with the
      // read URL cache (a repeated key skips the master), then without.
      for (Client* reader : {client->get(), uncached->get()}) {
        const bool cached = reader == client->get();
        std::vector<std::mt19937_64> random;
        for (int t = 0; t < threads; ++t) random.emplace_back(t + 1);
        rows.push_back(RunRow(
            flags, cached ? "get" : "get, no url cache", size, threads,
            [&](int t, int64_t) {
              const std::string& key = keys[random[t]() % keys.size()];
              absl::StatusOr<std::string> got = reader->Get(flags.bucket, key);
              if (!got.ok()) return got.status();
              if (got->size() != size) {
                return absl::DataLossError(absl::StrCat(
                    key, ": ", got->size(), " bytes, expected ", size));
              }
              return absl::OkStatus();
            }));
      }
      keys_written.insert(keys_written.end(), keys.begin(), keys.end());
    }
  }

  std::printf(
      "| operation         |    size | threads |    ops |   ops/s |   MiB/s |"
      " p50 ms | p99 ms | errors |\n"
      "|-------------------|---------|---------|--------|---------|---------|"
      "--------|--------|--------|\n");
  for (const Row& row : rows) {
    const double seconds = absl::ToDoubleSeconds(row.elapsed);
    const double ops_per_s = static_cast<double>(row.ops) / seconds;
    std::printf("| %-17s | %7s | %7d | %6lld | %7.0f | %7.1f | %6s | %6s | %6lld |\n",
                row.operation.c_str(),
                warehouse::FormatBytes(row.size).c_str() ,
                row.threads, static_cast<long long>(row.ops), ops_per_s,
                ops_per_s * static_cast<double>(row.size) / (1 << 20),
                Millis(Percentile(row.latencies, 0.50)).c_str(),
                Millis(Percentile(row.latencies, 0.99)).c_str(),
                static_cast<long long>(row.errors));
  }
  for (const Row& row : rows) {
    if (!row.first_error.empty()) {
      std::printf("%s %s x%d: first error: %s\n", row.operation.c_str(),
                  warehouse::FormatBytes(row.size).c_str(), row.threads,
                  row.first_error.c_str());
    }
  }
  if (!flags.keep) {
    for (const std::string& key : keys_written) {
      absl::Status deleted = (*client)->Delete(flags.bucket, key);
      if (!deleted.ok()) return Fail(deleted);
    }
  }
  bool failed = false;
  for (const Row& row : rows) failed |= row.errors > 0;
  return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"warehouse-sdk-bench: puts and gets through the SDK, end to end"};
  Flags flags;
  app.add_option("--master", flags.master,
                 "The master's gRPC address (default as for warehouse)");
  app.add_option("--bucket", flags.bucket, "Bucket to use (created if missing)")
      ->capture_default_str();
  app.add_option("--sizes", flags.sizes, "Object sizes")->capture_default_str();
  app.add_option("--threads", flags.threads, "Thread counts")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--seconds", flags.seconds, "Duration of each row")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--max-ops", flags.max_ops,
                 "Most operations per thread and row")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  app.add_flag("--keep", flags.keep, "Keep the objects written");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return Run(flags);
}
