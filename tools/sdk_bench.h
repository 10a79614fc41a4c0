// warehouse-bench sdk: puts and gets through the SDK, end to end (client,
// master, volume server), against a running cluster. docs/benchmarks.md,
// "End to end through the SDK", has figures and the commands.
#ifndef WAREHOUSE_TOOLS_SDK_BENCH_H_
#define WAREHOUSE_TOOLS_SDK_BENCH_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace warehouse::bench {

struct SdkBenchOptions {
  // The master's address; empty to resolve it, and the access key, as the
  // warehouse CLI does (tools/cli_credentials.h).
  std::string master;
  // PEM roots for a master and volume servers that speak TLS; empty: as
  // the warehouse CLI finds them (WAREHOUSE_TLS_CA), else plaintext.
  std::string tls_ca;
  // Created when missing; the objects written are deleted at the end
  // unless `keep`.
  std::string bucket = "sdk-bench";
  std::vector<uint64_t> sizes = {uint64_t{1} << 10, uint64_t{1} << 20};
  std::vector<int> threads = {1, 16};
  // Each row stops at whichever comes first.
  absl::Duration time_limit = absl::Seconds(5);
  uint64_t max_ops = 1000000;
  bool keep = false;
};

// For each size and thread count: a row of puts of new keys, then gets of
// random keys among them with the client's read URL cache, then the same
// gets with a client that asks the master every time. Prints one table to
// `out`. Errors: the first operation that failed (the run stops there);
// those of resolving the connection and of Client::Create; Cancelled on
// SIGINT or SIGTERM (the objects are still deleted).
absl::Status RunSdkBench(const SdkBenchOptions& options, std::ostream& out);

}  // namespace warehouse::bench

#endif  // WAREHOUSE_TOOLS_SDK_BENCH_H_
