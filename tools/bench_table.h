// A plain-text table for benchmark results, and the number formats its
// cells use.
#ifndef WAREHOUSE_TOOLS_BENCH_TABLE_H_
#define WAREHOUSE_TOOLS_BENCH_TABLE_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace warehouse::bench {

// Columns are sized to their widest cell when printed. The first column is
// left-aligned, the others right-aligned unless named in `left_columns`.
// Not thread-safe.
class BenchTable {
 public:
  BenchTable(std::vector<std::string> header, std::vector<int> left_columns);

  // REQUIRES: cells.size() == the header's size.
  void AddRow(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<bool> left_;
  std::vector<std::vector<std::string>> rows_;
};

// 12345.6 -> "12,346"
std::string FormatCount(double value);
// Bytes per second in MB/s (10^6 bytes), one decimal below 100.
std::string FormatMBps(double bytes_per_second);
// 1024 -> "1 KiB", 1048576 -> "1 MiB", 1536 -> "1536 B".
std::string FormatSize(uint64_t bytes);
// Milliseconds with up to three significant decimals: "0.245 ms", "41.2 ms".
std::string FormatMillis(double ms);
// A ratio as "4.21x".
std::string FormatRatio(double ratio);
// "met" or "missed", for the target column.
std::string Verdict(bool met);

}  // namespace warehouse::bench

#endif  // WAREHOUSE_TOOLS_BENCH_TABLE_H_
