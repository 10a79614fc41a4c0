// warehouse-bench: benchmarks of Warehouse's components (docs/benchmarks.md).
//
//   warehouse-bench storage [--dir DIR] [--seconds N] [--needles N]
//                           [--sync group|fsync|none] [--quick | --smoke]
//                           [--only append,read,index,recovery,compaction]
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "common/logging.h"
#include "tools/storage_bench.h"
#include "volume/volume.h"

int main(int argc, char** argv) {
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
