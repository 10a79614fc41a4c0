#include "tools/sdk_bench.h"

#include <algorithm>
#include <memory>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "tools/bench_table.h"
#include "tools/cli_credentials.h"
#include "tools/timed_loop.h"
#include "warehouse/client.h"

namespace warehouse::bench {
namespace {

// Per-thread latencies of one row, merged and sorted at its end.
class Latencies {
 public:
  explicit Latencies(int threads) : per_thread_(threads) {}

  void Add(int thread, absl::Duration d) { per_thread_[thread].push_back(d); }

  // The p-quantile (0 <= p <= 1) over all threads. Sorts on first use.
  double Millis(double p) {
    if (all_.empty()) {
      for (const auto& v : per_thread_) all_.insert(all_.end(), v.begin(), v.end());
      std::sort(all_.begin(), all_.end());
    }
    if (all_.empty()) return 0;
    const size_t i = std::min(
        all_.size() - 1, static_cast<size_t>(p * static_cast<double>(all_.size())));
    return absl::ToDoubleMilliseconds(all_[i]);
  }

 private:
  std::vector<std::vector<absl::Duration>> per_thread_;
  std::vector<absl::Duration> all_;
};

// Most time the untimed read that fills the url cache before a row may take.
constexpr absl::Duration kWarmUpLimit = absl::Seconds(120);

std::string Payload(uint64_t size) {
  std::mt19937_64 rng(size);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

absl::StatusOr<std::unique_ptr<Client>> MakeClient(
    const SdkBenchOptions& options, bool url_cache) {
  ASSIGN_OR_RETURN(ClientOptions client,
                   cli::ResolveClientOptions(options.master, options.tls_ca,
                                             cli::ProcessEnvironment(),
                                             cli::DefaultCredentialsPath()));
  if (!url_cache) client.read_url_cache_ttl = absl::ZeroDuration();
  return Client::Create(std::move(client));
}

}  // namespace

absl::Status RunSdkBench(const SdkBenchOptions& options, std::ostream& out) {
  ASSIGN_OR_RETURN(std::unique_ptr<Client> client, MakeClient(options, true));
  ASSIGN_OR_RETURN(std::unique_ptr<Client> uncached,
                   MakeClient(options, false));
  absl::Status created = client->CreateBucket(options.bucket);
  if (!created.ok() && !absl::IsAlreadyExists(created)) return created;

  // A new cluster's first upload waits until the master has had a volume
  // created and reported: keep that out of the rows.
  const std::string warm_up = "bench/warm-up";
  RETURN_IF_ERROR(client->Put(options.bucket, warm_up, "x").status());
  RETURN_IF_ERROR(client->Delete(options.bucket, warm_up));

  StopOnSignals stop_on_signals;
  const std::string run =
      absl::StrFormat("bench/%x/", absl::ToUnixMicros(absl::Now()));
  std::vector<std::string> written;
  BenchTable table({"operation", "size", "threads", "ops", "ops/s", "MB/s",
                    "p50", "p99"},
                   {0});
  auto add_row = [&](const std::string& operation, uint64_t size, int threads,
                     const LoopStats& stats, Latencies& latencies) {
    table.AddRow({operation, FormatSize(size), absl::StrCat(threads),
                  FormatCount(static_cast<double>(stats.ops)),
                  FormatCount(stats.PerSecond()),
                  FormatMBps(stats.PerSecond() * static_cast<double>(size)),
                  FormatMillis(latencies.Millis(0.50)),
                  FormatMillis(latencies.Millis(0.99))});
  };
  absl::Status status;
  for (uint64_t size : options.sizes) {
    const std::string data = Payload(size);
    for (int threads : options.threads) {
      // Puts of new keys, numbered by the loop.
      const std::string prefix = absl::StrCat(run, size, "/", threads, "/");
      Latencies put_latencies(threads);
      std::vector<std::vector<std::string>> stored(threads);
      absl::StatusOr<LoopStats> puts = RunTimedLoop(
          threads, options.max_ops, options.time_limit,
          [&](int thread, uint64_t n) -> absl::Status {
            std::string key = absl::StrCat(prefix, n);
            const absl::Time begin = absl::Now();
            RETURN_IF_ERROR(client->Put(options.bucket, key, data).status());
            put_latencies.Add(thread, absl::Now() - begin);
            stored[thread].push_back(std::move(key));
            return absl::OkStatus();
          });
      for (auto& keys : stored) {
        written.insert(written.end(), keys.begin(), keys.end());
      }
      // After a successful loop, keys 0 .. ops-1 all exist.
      const uint64_t keys = puts.ok() ? puts->ops : 0;
      if (!puts.ok()) {
        status = puts.status();
        break;
      }
      add_row("put", size, threads, *puts, put_latencies);
      if (keys == 0) continue;

      // Gets of random keys among the first of those the url cache holds
      // at once: cached, then uncached. Among all of them, a faster put row
      // (more keys than the cache's entries) would slow the cached row.
      const uint64_t read_keys =
          std::min<uint64_t>(keys, ClientOptions().read_url_cache_entries);
      auto check = [&](const std::string& key,
                       const absl::StatusOr<std::string>& got) {
        if (!got.ok()) return got.status();
        if (*got != data) {
          return absl::DataLossError(absl::StrCat(options.bucket, "/", key,
                                                  ": read back other bytes"));
        }
        return absl::OkStatus();
      };
      // The cached row measures gets whose url is cached: an untimed read
      // of each key first. Otherwise its first read of every key, a lookup
      // at the master, would count in it (a tenth of a row's gets on one
      // thread).
      status = RunToCompletion(
          threads, read_keys, kWarmUpLimit, [&](int, uint64_t n) {
            const std::string key = absl::StrCat(prefix, n);
            return check(key, client->Get(options.bucket, key));
          });
      if (!status.ok()) break;
      for (Client* reader : {client.get(), uncached.get()}) {
        std::vector<std::mt19937_64> random;
        for (int t = 0; t < threads; ++t) random.emplace_back(t + 1);
        Latencies get_latencies(threads);
        absl::StatusOr<LoopStats> gets = RunTimedLoop(
            threads, options.max_ops, options.time_limit,
            [&](int thread, uint64_t) -> absl::Status {
              const std::string key =
                  absl::StrCat(prefix, random[thread]() % read_keys);
              const absl::Time begin = absl::Now();
              absl::StatusOr<std::string> got =
                  reader->Get(options.bucket, key);
              get_latencies.Add(thread, absl::Now() - begin);
              return check(key, got);
            });
        if (!gets.ok()) {
          status = gets.status();
          break;
        }
        add_row(reader == client.get() ? "get" : "get, no url cache", size,
                threads, *gets, get_latencies);
      }
      if (!status.ok()) break;
    }
    if (!status.ok()) break;
  }
  table.Print(out);
  if (!options.keep) {
    for (const std::string& key : written) {
      absl::Status deleted = client->Delete(options.bucket, key);
      if (!deleted.ok() && status.ok()) status = deleted;
    }
  }
  return status;
}

}  // namespace warehouse::bench
