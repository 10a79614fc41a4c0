// warehouse-bench: benchmarks of Warehouse's components (docs/benchmarks.md).
//
//   warehouse-bench storage [--dir DIR] [--seconds N] [--needles N]
//                           [--sync group|fsync|none] [--syncs-in-flight N]
//                           [--overlap-syncs-after-us N]
//                           [--preallocate-kib N]
//                           [--quick | --smoke]
//                           [--only append,read,index,recovery,compaction]
//   warehouse-bench sdk [--master HOST:PORT] [--bucket B] [--sizes 1K 1M]
//                       [--threads 1 16] [--seconds N] [--keep]
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/deadlock_detection.h"
#include "common/logging.h"
#include "common/units.h"
#include "tools/sdk_bench.h"
#include "tools/storage_bench.h"
#include "volume/volume.h"

int main(int argc, char** argv) {
  warehouse::ConfigureDeadlockDetection();
  using warehouse::bench::BenchMode;
  using warehouse::bench::StorageBenchOptions;

  CLI::App app{"Warehouse benchmarks; docs/benchmarks.md explains the results"};
  app.require_subcommand(1);
  std::string log_level = "error";
  app.add_option("--log-level", log_level,
                 "trace, debug, info, warn, error, critical or off")
      ->capture_default_str();

  CLI::App* storage = app.add_subcommand(
      "storage",
      "Volume appends and reads side by side with one file per object on the "
      "same disk, then the index, recovery and compaction");
  std::string dir;
  std::string sync = "group";
  int syncs_in_flight = warehouse::volume::VolumeOptions().max_syncs_in_flight;
  int64_t overlap_syncs_after_us = absl::ToInt64Microseconds(
      warehouse::volume::VolumeOptions().overlap_syncs_after);
  uint64_t preallocate_kib =
      warehouse::volume::VolumeOptions().preallocate_bytes >> 10;
  double seconds = 0;
  uint64_t needles = 0;
  std::vector<std::string> only;
  bool quick = false;
  bool smoke = false;
  bool corrupt = false;
  storage->add_option("--dir", dir,
                      "Where to create the scratch directory (removed at the "
                      "end); default ./bench-tmp, or $TMPDIR when the current "
                      "directory is not writable");
  storage
      ->add_option("--seconds", seconds,
                   "Time limit of each timed loop (default 5; --quick 1)")
      ->check(CLI::PositiveNumber);
  storage
      ->add_option("--needles", needles,
                   "Needles in the volume reopened for the reload and "
                   "tail-scan rows (default 1000000; --quick 200000)")
      ->check(CLI::PositiveNumber);
  storage
      ->add_option("--sync", sync,
                   "Durability of the append rows, for Warehouse and the "
                   "baseline alike")
      ->check(CLI::IsMember({"group", "fsync", "none"}))
      ->capture_default_str();
  storage
      ->add_option("--syncs-in-flight", syncs_in_flight,
                   "Under --sync group: fdatasyncs of one volume that may "
                   "run at once")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  storage
      ->add_option("--overlap-syncs-after-us", overlap_syncs_after_us,
                   "Under --sync group: microseconds a sync runs before "
                   "another may start alongside it")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  storage
      ->add_option("--preallocate-kib", preallocate_kib,
                   "Unless --sync none: KiB of zeros Warehouse keeps written "
                   "ahead of the volume's end (0: each append grows the file)")
      ->capture_default_str();
  storage
      ->add_option("--only", only,
                   "Run only these parts: append, read, index, recovery, "
                   "compaction (the disk probe always runs)")
      ->delimiter(',')
      ->check(
          CLI::IsMember({"append", "read", "index", "recovery", "compaction"}));
  CLI::Option* quick_flag =
      storage->add_flag("--quick", quick, "A run of about 20 seconds");
  storage
      ->add_flag("--smoke", smoke,
                 "A run of a few seconds with tiny counts, for CI: checks "
                 "that everything works, its numbers mean little")
      ->excludes(quick_flag);
  // Hidden: the test that proves the read-back check can fail.
  storage->add_flag("--corrupt-baseline-for-testing", corrupt)->group("");

  CLI::App* sdk = app.add_subcommand(
      "sdk",
      "Puts and gets through the SDK against a running cluster, end to end "
      "(credentials as for the warehouse command)");
  warehouse::bench::SdkBenchOptions sdk_options;
  std::vector<std::string> sdk_sizes = {"1K", "1M"};
  double sdk_seconds = 5;
  sdk->add_option("--master", sdk_options.master,
                  "The master's address (default: as for warehouse)");
  sdk->add_option("--tls-ca", sdk_options.tls_ca,
                  "PEM roots of a cluster that speaks TLS (else "
                  "WAREHOUSE_TLS_CA; neither: plaintext)");
  sdk->add_option("--bucket", sdk_options.bucket,
                  "Bucket to write to (created when missing)")
      ->capture_default_str();
  sdk->add_option("--sizes", sdk_sizes, "Object sizes")->capture_default_str();
  sdk->add_option("--threads", sdk_options.threads, "Thread counts")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  sdk->add_option("--seconds", sdk_seconds, "Time limit of each row")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sdk->add_flag("--keep", sdk_options.keep, "Keep the objects written");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  absl::Status status = warehouse::InitLogging(log_level);
  if (!status.ok()) {
    std::cerr << "warehouse-bench: " << status.message() << "\n";
    return 2;
  }
  if (sdk->parsed()) {
    sdk_options.sizes.clear();
    for (const std::string& text : sdk_sizes) {
      absl::StatusOr<uint64_t> size = warehouse::ParseByteSize(text);
      if (!size.ok()) {
        std::cerr << "warehouse-bench sdk: " << size.status().message() << "\n";
        return 2;
      }
      sdk_options.sizes.push_back(*size);
    }
    sdk_options.time_limit = absl::Seconds(sdk_seconds);
    status = warehouse::bench::RunSdkBench(sdk_options, std::cout);
    if (!status.ok()) {
      std::cerr << "warehouse-bench sdk: " << status.ToString() << "\n";
      return 1;
    }
    return 0;
  }
  absl::StatusOr<warehouse::volume::SyncPolicy> policy =
      warehouse::volume::ParseSyncPolicy(sync);
  if (!policy.ok()) {
    std::cerr << "warehouse-bench: " << policy.status().message() << "\n";
    return 2;
  }
  StorageBenchOptions options =
      StorageBenchOptions::ForMode(smoke   ? BenchMode::kSmoke
                                   : quick ? BenchMode::kQuick
                                           : BenchMode::kFull);
  options.dir = dir;
  options.sync_policy = *policy;
  options.max_syncs_in_flight = syncs_in_flight;
  options.overlap_syncs_after = absl::Microseconds(overlap_syncs_after_us);
  options.preallocate_bytes = preallocate_kib << 10;
  if (seconds > 0) options.time_limit = absl::Seconds(seconds);
  if (needles > 0) options.recovery_needles = needles;
  options.only = only;
  options.corrupt_baseline_for_testing = corrupt;

  status = warehouse::bench::RunStorageBench(options, std::cout);
  if (!status.ok()) {
    std::cerr << "warehouse-bench storage: " << status.ToString() << "\n";
    return 1;
  }
  return 0;
}
