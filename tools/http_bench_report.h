// The results of warehouse-http-bench (tools/http_bench.cc): what each
// row measured on each server, and how the tool prints it: a progress line
// per row on stderr, then the table, the BeginUpload calls and the verdict
// on each target of the volume server issue on stdout.
#ifndef WAREHOUSE_TOOLS_HTTP_BENCH_REPORT_H_
#define WAREHOUSE_TOOLS_HTTP_BENCH_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/units.h"
#include "tools/http_bench_client.h"

namespace warehouse::bench {

// One server's share of a row.
struct Measurement {
  bool ran = false;
  LoadResult load;
  std::vector<int64_t> sorted;  // latencies
  double server_cpu_seconds = -1;  // -1: not known
  // PUT rows through a real master: the BeginUpload calls made before the
  // row, and how long they took.
  uint64_t begin_uploads = 0;
  absl::Duration begin_upload_time;

  double rate() const {
    return static_cast<double>(load.ops) / absl::ToDoubleSeconds(load.elapsed);
  }
  double megabytes_per_second() const {
    return static_cast<double>(load.body_bytes) / 1e6 /
           absl::ToDoubleSeconds(load.elapsed);
  }
  double p50_ms() const { return Quantile(sorted, 0.50) / 1e6; }
  double p99_ms() const { return Quantile(sorted, 0.99) / 1e6; }
};

struct Row {
  std::string method;
  uint64_t size = 0;
  int connections = 0;
  Measurement warehouse;
  Measurement nginx;

  std::string Name() const {
    return absl::StrCat(method, " ", FormatBytes(size), " x", connections);
  }
  double ratio() const {
    if (!warehouse.ran || !nginx.ran || nginx.rate() <= 0) return 0;
    return warehouse.rate() / nginx.rate();
  }
};

// One line on stderr as soon as `server`'s share of `row` has run.
void PrintRowProgress(const Row& row, const std::string& server,
                      const Measurement& m);

// The table of every row, warehouse and nginx side by side.
void PrintTable(const std::vector<Row>& rows);

// The BeginUpload calls made before PUT rows through a real master; nothing
// when there were none.
void PrintBeginUploads(const std::vector<Row>& rows);

// Each target the rows (and the streamed object's peak RSS, when measured)
// can be held against, met or MISSED.
void PrintTargets(const std::vector<Row>& rows,
                  std::optional<uint64_t> stream_peak_rss);

}  // namespace warehouse::bench

#endif  // WAREHOUSE_TOOLS_HTTP_BENCH_REPORT_H_
