// warehouse-http-bench: the volume server's HTTP data path, side by side
// with nginx, driven by the same client at the same concurrency.
//
//   warehouse-http-bench fake-master --listen 127.0.0.1:0
//       a Cluster service for the volume server to report to, when no real
//       master runs (tools/http_bench_fake_master.h)
//   warehouse-http-bench run --warehouse HOST:PORT --nginx HOST:PORT ...
//       the table: PUT then GET rows of each object size and connection
//       count, each row time-limited, then one large object streamed in and
//       out while the volume server's memory is sampled
//
// Every PUT url is signed before its row starts; the clock measures only
// the data path. Every response is checked (status, and for a GET the
// length and CRC-32C of the body). scripts/bench_http.sh starts the
// servers and runs this; docs/benchmarks.md records results.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/access_key.h"
#include "common/crypto.h"
#include "common/deadlock_detection.h"
#include "common/http_client.h"
#include "common/key_ring.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/units.h"
#include "tools/http_bench_client.h"
#include "tools/http_bench_fake_master.h"
#include "tools/http_bench_proc.h"
#include "tools/http_bench_report.h"
#include "tools/http_bench_targets.h"

namespace warehouse::bench {
namespace {

// Upper bounds on the request rate a PUT row can reach, by object size: it
// gets this many urls per second of its duration in advance. Through a
// real master every upload is also a metadata commit, which bounds the
// rate lower, and every url costs a BeginUpload.
uint64_t RateCeiling(uint64_t size, bool real_master) {
  if (size <= (4 << 10)) return real_master ? 15000 : 40000;
  if (size <= (256 << 10)) return real_master ? 8000 : 15000;
  return 3000;
}

constexpr char kBucket[] = "http-bench";

struct RunFlags {
  std::string warehouse;
  int warehouse_pid = 0;
  std::string nginx;
  int nginx_pid = 0;
  std::string cluster_key_file;
  double seconds = 5;
  std::string row_bytes = "2G";
  int client_threads = 1;
  std::string stream_size = "4G";
  double stream_limit_seconds = 600;
  std::vector<int> small_connections = {1, 16, 64};
  std::vector<int> large_connections = {16};
  std::vector<std::string> sizes = {"1K", "64K", "1M"};
  // Volume ids for 1 KiB, 64 KiB, 1 MiB and the streamed object.
  std::vector<uint32_t> volumes = {1, 2, 3, 4};
  std::string probe_dir;
  // A real master's gRPC host:port; empty: the fake (fake-master).
  std::string master;
  int master_threads = 32;
};

struct FakeMasterFlags {
  std::string listen = "127.0.0.1:0";
  std::vector<uint32_t> volumes = {1, 2, 3, 4};
};

absl::StatusOr<std::pair<std::string, uint16_t>> SplitHostPort(
    const std::string& host_port) {
  size_t colon = host_port.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(host_port.substr(colon + 1), &port) || port <= 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(host_port, ": expected host:port"));
  }
  return std::make_pair(host_port.substr(0, colon),
                        static_cast<uint16_t>(port));
}

// A server under test: how to address it and how to watch it.
struct Server {
  std::unique_ptr<Target> target;
  std::string host;
  uint16_t port = 0;
  pid_t pid = 0;
  bool children = false;  // count child processes' CPU too (nginx workers)
  // Per size class: objects 0..written-1 are stored on this server.
  std::vector<uint64_t> written;
};

class Bench {
 public:
  Bench(const RunFlags& flags, uint64_t row_bytes, std::vector<uint64_t> sizes)
      : flags_(flags),
        row_bytes_(row_bytes),
        sizes_(std::move(sizes)),
        payload_(2 * (1 << 20) + 4093) {
    absl::Status cookie = RandomFill(&cookie_, sizeof(cookie_));
    if (!cookie.ok()) cookie_ = 0x5a5a5a5a;
  }

  const Payload& payload() const { return payload_; }

  // Object `n` of size class `size_class` (index into sizes_).
  BenchObject Object(size_t size_class, uint64_t n) const {
    BenchObject object;
    object.size = sizes_[size_class];
    object.seed = (static_cast<uint64_t>(size_class + 1) << 40) + n;
    object.crc = payload_.Crc(object.seed, object.size);
    object.file_id = FileId{VolumeFor(object.size), n + 1, cookie_};
    object.path = absl::StrCat("/o/", object.size, "/", n / 1000, "/", n);
    return object;
  }

  size_t SizeClass(uint64_t size) const {
    return static_cast<size_t>(
        std::find(sizes_.begin(), sizes_.end(), size) - sizes_.begin());
  }

  // PUTs of new objects for --seconds at `connections`.
  absl::Status MeasurePut(Server& server, size_t size_class, int connections,
                          Measurement* out) {
    const uint64_t size = sizes_[size_class];
    const uint64_t cap = std::max<uint64_t>(
        1, std::min<uint64_t>(
               static_cast<uint64_t>(
                   flags_.seconds *
                   RateCeiling(size, server.target->asks_master())),
               row_bytes_ / size));
    const uint64_t first = server.written[size_class];
    std::vector<BenchObject> objects;
    objects.reserve(cap);
    for (uint64_t i = 0; i < cap; ++i) {
      objects.push_back(Object(size_class, first + i));
    }
    const absl::Time prepare_start = absl::Now();
    ASSIGN_OR_RETURN(std::vector<Op> ops, server.target->Puts(objects));
    if (server.target->asks_master()) {
      out->begin_uploads = ops.size();
      out->begin_upload_time = absl::Now() - prepare_start;
      std::fprintf(stderr, "  %zu BeginUpload calls on %d threads in %.2f s: "
                   "%.0f/s\n", ops.size(), flags_.master_threads,
                   absl::ToDoubleSeconds(out->begin_upload_time),
                   static_cast<double>(ops.size()) /
                       absl::ToDoubleSeconds(out->begin_upload_time));
    }
    OpSource source = [&ops](uint64_t n) -> const Op* {
      return n < ops.size() ? &ops[n] : nullptr;
    };
    RETURN_IF_ERROR(Measure(server, connections, source, out));
    server.written[size_class] += out->load.ops;
    if (out->load.ops == ops.size()) {
      std::fprintf(stderr, "  (all %zu prepared requests ran before the time "
                   "was up)\n", ops.size());
    }
    return absl::OkStatus();
  }

  // GETs of uniformly random objects stored earlier, for --seconds.
  absl::Status MeasureGet(Server& server, size_t size_class, int connections,
                          Measurement* out) {
    const uint64_t stored = server.written[size_class];
    if (stored == 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          server.target->name(), ": no ", FormatBytes(sizes_[size_class]),
          " objects stored to read"));
    }
    std::vector<Op> ops;
    ops.reserve(stored);
    for (uint64_t i = 0; i < stored; ++i) {
      ASSIGN_OR_RETURN(Op op, server.target->Get(Object(size_class, i)));
      ops.push_back(std::move(op));
    }
    OpSource source = [&ops](uint64_t n) -> const Op* {
      // A fixed mix of n: the same sequence for every server.
      uint64_t x = n + 0x9e3779b97f4a7c15ULL;
      x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
      x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
      x ^= x >> 31;
      return &ops[x % ops.size()];
    };
    return Measure(server, connections, source, out);
  }

  const std::vector<uint64_t>& sizes() const { return sizes_; }

 private:
  // Each object size has a volume of its own: --volumes lists them for
  // 1 KiB, 64 KiB and 1 MiB.
  uint32_t VolumeFor(uint64_t size) const {
    if (size <= (4 << 10)) return flags_.volumes[0];
    if (size <= (256 << 10)) return flags_.volumes[1];
    return flags_.volumes[2];
  }

  absl::Status Measure(Server& server, int connections, const OpSource& source,
                       Measurement* out) {
    // Each row starts with no dirty pages left by the one before.
    ::sync();
    LoadOptions options;
    options.host = server.host;
    options.port = server.port;
    options.connections = connections;
    options.threads = flags_.client_threads;
    options.duration = absl::Seconds(flags_.seconds);
    options.limit = options.duration + absl::Seconds(60);
    std::optional<double> cpu_before;
    if (server.pid > 0) {
      absl::StatusOr<double> cpu = CpuSeconds(server.pid, server.children);
      if (cpu.ok()) cpu_before = *cpu;
    }
    ASSIGN_OR_RETURN(out->load, RunLoad(options, payload_, source));
    if (cpu_before) {
      absl::StatusOr<double> cpu = CpuSeconds(server.pid, server.children);
      if (cpu.ok()) out->server_cpu_seconds = *cpu - *cpu_before;
    }
    out->sorted = out->load.latencies_ns;
    std::sort(out->sorted.begin(), out->sorted.end());
    out->ran = true;
    return absl::OkStatus();
  }

  const RunFlags& flags_;
  const uint64_t row_bytes_;
  const std::vector<uint64_t> sizes_;
  Payload payload_;
  uint32_t cookie_ = 0;
};

// Waits until the volume server lists every volume in `volumes` in /usage.
absl::Status WaitForVolumes(const std::string& host_port,
                            const std::vector<uint32_t>& volumes,
                            absl::Duration timeout) {
  http::ConnectionPool pool;
  const absl::Time deadline = absl::Now() + timeout;
  std::string last;
  while (absl::Now() < deadline) {
    http::ClientRequest request;
    request.target = "/usage";
    absl::StatusOr<http::ClientResponse> response = pool.Send({host_port, false}, request);
    if (response.ok() && response->status == 200) {
      bool all = true;
      for (uint32_t id : volumes) {
        if (!absl::StrContains(response->body,
                               absl::StrCat("\"volume_id\":", id, ","))) {
          all = false;
        }
      }
      if (all) return absl::OkStatus();
      last = response->body;
    } else {
      last = response.ok() ? absl::StrCat("status ", response->status)
                           : response.status().ToString();
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      host_port, ": volumes not all there after ",
      absl::FormatDuration(timeout), "; last /usage: ", last));
}

// Streams one object of `size` into the volume server and back, sampling
// its memory; returns the highest RSS seen.
absl::StatusOr<uint64_t> MeasureStream(const RunFlags& flags, Server& server,
                                       const Payload& payload, uint64_t size) {
  BenchObject object;
  object.size = size;
  object.seed = 7ull << 40;
  std::fprintf(stderr, "stream: computing the CRC-32C of %s...\n",
               FormatBytes(size).c_str());
  object.crc = payload.Crc(object.seed, size);
  object.file_id = FileId{flags.volumes[3], 1, 0x5eed5eed};
  ASSIGN_OR_RETURN(std::vector<Op> puts, server.target->Puts({object}));
  Op put = puts.front();
  ASSIGN_OR_RETURN(Op get, server.target->Get(object));
  LoadOptions options;
  options.host = server.host;
  options.port = server.port;
  options.duration = absl::Seconds(flags.stream_limit_seconds);
  options.limit = absl::Seconds(flags.stream_limit_seconds);
  uint64_t peak = 0;
  std::printf("\nOne %s object streamed through the volume server "
              "(pid %d):\n\n", FormatBytes(size).c_str(), server.pid);
  std::printf("| phase | seconds | MB/s   | RSS before | RSS peak (sampled) | "
              "VmHWM after |\n");
  std::printf("|-------|---------|--------|------------|--------------------|"
              "-------------|\n");
  for (const Op* op : {&put, &get}) {
    ::sync();
    RETURN_IF_ERROR(ResetPeakMemory(server.pid));
    ASSIGN_OR_RETURN(MemorySample before, ReadMemory(server.pid));
    RssSampler sampler(server.pid, absl::Milliseconds(10));
    OpSource source = [op](uint64_t n) { return n == 0 ? op : nullptr; };
    absl::StatusOr<LoadResult> load = RunLoad(options, payload, source);
    const uint64_t sampled = sampler.Stop();
    if (!load.ok()) return load.status();
    ASSIGN_OR_RETURN(MemorySample after, ReadMemory(server.pid));
    peak = std::max({peak, sampled, after.peak_bytes});
    const double seconds = absl::ToDoubleSeconds(load->elapsed);
    std::printf("| %-5s | %7.1f | %6.1f | %10s | %18s | %11s |\n",
                op == &put ? "PUT" : "GET", seconds,
                static_cast<double>(size) / 1e6 / seconds,
                FormatBytes(before.rss_bytes).c_str(),
                FormatBytes(sampled).c_str(),
                FormatBytes(after.peak_bytes).c_str());
    std::fflush(stdout);
  }
  std::printf("\nThe GET's body matched the PUT's CRC-32C (%08x) and "
              "ETag.\n", object.crc);
  return peak;
}

absl::Status Run(const RunFlags& flags) {
  ASSIGN_OR_RETURN(KeyRing keys, KeyRing::LoadFileOrEnv(flags.cluster_key_file));
  ASSIGN_OR_RETURN(uint64_t row_bytes, ParseByteSize(flags.row_bytes));
  ASSIGN_OR_RETURN(uint64_t stream_size, ParseByteSize(flags.stream_size));
  if (flags.volumes.size() != 4) {
    return absl::InvalidArgumentError("--volumes takes four ids");
  }
  std::vector<Server> servers;
  {
    Server warehouse;
    ASSIGN_OR_RETURN(auto address, SplitHostPort(flags.warehouse));
    warehouse.host = address.first;
    warehouse.port = address.second;
    warehouse.pid = flags.warehouse_pid;
    if (flags.master.empty()) {
      warehouse.target =
          MakeWarehouseTarget(flags.warehouse, &keys, absl::Hours(2));
    } else {
      const char* id = std::getenv("WAREHOUSE_ACCESS_KEY");
      const char* secret = std::getenv("WAREHOUSE_SECRET_KEY");
      if (id == nullptr || secret == nullptr) {
        return absl::FailedPreconditionError(
            "--master needs an access key in WAREHOUSE_ACCESS_KEY and "
            "WAREHOUSE_SECRET_KEY");
      }
      AccessKeyCredentials key{id, secret};
      std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(
          flags.master, grpc::InsecureChannelCredentials());
      RETURN_IF_ERROR(EnsureBucket(channel, key, kBucket));
      warehouse.target = MakeMasterWarehouseTarget(
          flags.warehouse, channel, key, kBucket,
          absl::StrCat("run-", absl::ToUnixSeconds(absl::Now()), "/"),
          flags.master_threads, &keys, absl::Hours(2));
    }
    servers.push_back(std::move(warehouse));
  }
  if (!flags.nginx.empty()) {
    Server nginx;
    ASSIGN_OR_RETURN(auto address, SplitHostPort(flags.nginx));
    nginx.host = address.first;
    nginx.port = address.second;
    nginx.pid = flags.nginx_pid;
    nginx.children = true;
    nginx.target = MakeNginxTarget(flags.nginx);
    servers.push_back(std::move(nginx));
  }
  if (flags.master.empty()) {
    // The fake master has the server create them when it registers; a real
    // master creates volumes as uploads need them.
    RETURN_IF_ERROR(
        WaitForVolumes(flags.warehouse, flags.volumes, absl::Seconds(30)));
  }
  const std::string master_label =
      flags.master.empty()
          ? "the stand-in (warehouse-http-bench fake-master)"
          : absl::StrCat("warehouse-master at ", flags.master);

  std::vector<uint64_t> sizes;
  for (const std::string& text : flags.sizes) {
    ASSIGN_OR_RETURN(uint64_t size, ParseByteSize(text));
    if (size != (1 << 10) && size != (64 << 10) && size != (1 << 20)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--sizes: ", text, ": the rows are 1K, 64K and 1M"));
    }
    sizes.push_back(size);
  }
  Bench bench(flags, row_bytes, std::move(sizes));
  for (Server& server : servers) server.written.assign(bench.sizes().size(), 0);
  std::vector<Row> rows;
  auto plan = [&](const std::string& method, uint64_t size,
                  const std::vector<int>& connections) {
    for (int c : connections) {
      Row row;
      row.method = method;
      row.size = size;
      row.connections = c;
      rows.push_back(row);
    }
  };
  for (uint64_t size : bench.sizes()) {
    const std::vector<int>& connections =
        size <= (4 << 10) ? flags.small_connections : flags.large_connections;
    plan("PUT", size, connections);
    plan("GET", size, connections);
  }
  if (!flags.probe_dir.empty()) {
    ASSIGN_OR_RETURN(DiskProbe probe, ProbeDisk(flags.probe_dir));
    std::printf("Disk under the data (medians of 50): 1 KiB append + "
                "fdatasync %.2f ms, 1 KiB rewrite in place + fdatasync %.2f "
                "ms; 64 MiB append + fdatasync %.0f MB/s.\n",
                absl::ToDoubleMilliseconds(probe.append_sync),
                absl::ToDoubleMilliseconds(probe.rewrite_sync),
                probe.write_sync_mb_per_second);
    std::fflush(stdout);
  }
  std::fprintf(stderr,
               "%zu rows, %.1f s per row and server, %d client thread(s), "
               "master: %s\n",
               rows.size(), flags.seconds, flags.client_threads,
               master_label.c_str());
  for (Row& row : rows) {
    const size_t size_class = bench.SizeClass(row.size);
    for (Server& server : servers) {
      Measurement& m =
          server.target->name() == "nginx" ? row.nginx : row.warehouse;
      absl::Status measured =
          row.method == "PUT"
              ? bench.MeasurePut(server, size_class, row.connections, &m)
              : bench.MeasureGet(server, size_class, row.connections, &m);
      if (!measured.ok()) {
        return absl::Status(measured.code(),
                            absl::StrCat(row.Name(), " on ",
                                         server.target->name(), ": ",
                                         measured.message()));
      }
      PrintRowProgress(row, server.target->name(), m);
    }
  }
  std::printf(
      "Objects written by PUT rows are read back by GET rows of the same "
      "size; MB/s counts object bytes (1 MB = 10^6 bytes); cpu us/op is the "
      "server's CPU time per request; %d client thread(s); master: %s.\n\n",
      flags.client_threads, master_label.c_str());
  PrintTable(rows);
  PrintBeginUploads(rows);
  std::fflush(stdout);

  std::optional<uint64_t> stream_peak;
  if (stream_size > 0) {
    if (flags.warehouse_pid <= 0) {
      return absl::InvalidArgumentError(
          "--warehouse-pid is needed to sample memory while streaming");
    }
    ASSIGN_OR_RETURN(stream_peak, MeasureStream(flags, servers[0],
                                                bench.payload(), stream_size));
  }
  PrintTargets(rows, stream_peak);
  return absl::OkStatus();
}

absl::Status ServeFakeMaster(const FakeMasterFlags& flags) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ASSIGN_OR_RETURN(std::unique_ptr<FakeClusterMaster> master,
                   FakeClusterMaster::Start(flags.listen, flags.volumes));
  const std::string host = flags.listen.substr(0, flags.listen.rfind(':'));
  std::printf("fake master serving on %s:%d\n", host.c_str(), master->port());
  std::fflush(stdout);
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  std::printf("fake master: %llu upload reports recorded in %llu "
              "ReportUploads calls\n",
              static_cast<unsigned long long>(master->reports()),
              static_cast<unsigned long long>(master->calls()));
  master->Shutdown();
  return absl::OkStatus();
}

}  // namespace
}  // namespace warehouse::bench

int main(int argc, char** argv) {
  warehouse::ConfigureDeadlockDetection();
  using namespace warehouse::bench;  // NOLINT
  CLI::App app{
      "Measures the volume server's HTTP data path side by side with nginx."};
  app.require_subcommand(1);

  FakeMasterFlags fake;
  CLI::App* fake_master = app.add_subcommand(
      "fake-master", "Serve a stand-in Cluster service for the volume server");
  fake_master->add_option("--listen", fake.listen, "host:port (port 0: any)")
      ->capture_default_str();
  fake_master
      ->add_option("--volumes", fake.volumes,
                   "Volume ids each registering server is told to create")
      ->capture_default_str();

  RunFlags run;
  CLI::App* run_command =
      app.add_subcommand("run", "Run the benchmark and print the table");
  run_command
      ->add_option("--warehouse", run.warehouse,
                   "The volume server's HTTP host:port")
      ->required();
  run_command->add_option("--warehouse-pid", run.warehouse_pid,
                          "Its pid, for CPU and memory");
  run_command->add_option("--nginx", run.nginx,
                          "nginx's host:port (left out: warehouse only)");
  run_command->add_option("--nginx-pid", run.nginx_pid,
                          "nginx's master pid, for CPU (workers included)");
  run_command->add_option("--cluster-key-file", run.cluster_key_file,
                          "Cluster key ring (else WAREHOUSE_CLUSTER_KEY)");
  run_command->add_option("--seconds", run.seconds, "Duration of each row")
      ->check(CLI::Range(0.1, 120.0))
      ->capture_default_str();
  run_command
      ->add_option("--row-bytes", run.row_bytes,
                   "Most bytes one PUT row writes")
      ->capture_default_str();
  run_command
      ->add_option("--client-threads", run.client_threads,
                   "Client threads (epoll loops)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  run_command
      ->add_option("--stream-size", run.stream_size,
                   "Size of the object streamed in and out (0: skip)")
      ->capture_default_str();
  run_command
      ->add_option("--stream-limit", run.stream_limit_seconds,
                   "Seconds each half of the stream may take")
      ->capture_default_str();
  run_command
      ->add_option("--small-connections", run.small_connections,
                   "Connection counts of the 1 KiB rows")
      ->capture_default_str();
  run_command
      ->add_option("--large-connections", run.large_connections,
                   "Connection counts of the 64 KiB and 1 MiB rows")
      ->capture_default_str();
  run_command->add_option(
      "--probe-dir", run.probe_dir,
      "Measure fdatasync latency and bandwidth here first (the data's disk)");
  run_command
      ->add_option("--sizes", run.sizes, "Object sizes of the rows: 1K 64K 1M")
      ->capture_default_str();
  run_command
      ->add_option("--volumes", run.volumes,
                   "Volume ids for 1 KiB, 64 KiB, 1 MiB and the stream")
      ->capture_default_str();
  run_command->add_option(
      "--master", run.master,
      "A real master's gRPC host:port: PUT urls come from BeginUpload, "
      "with WAREHOUSE_ACCESS_KEY and WAREHOUSE_SECRET_KEY (default: the "
      "volume server reports to fake-master, and urls are signed here)");
  run_command
      ->add_option("--master-threads", run.master_threads,
                   "Concurrent BeginUpload calls")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  warehouse::InitLogging("warn").IgnoreError();
  absl::Status status =
      fake_master->parsed() ? ServeFakeMaster(fake) : Run(run);
  if (!status.ok()) {
    std::fprintf(stderr, "warehouse-http-bench: %s\n",
                 status.ToString().c_str());
    return 1;
  }
  return 0;
}
