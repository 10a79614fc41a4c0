#include "tools/bench_table.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "absl/strings/str_format.h"

namespace warehouse::bench {

BenchTable::BenchTable(std::vector<std::string> header,
                       std::vector<int> left_columns)
    : header_(std::move(header)), left_(header_.size(), false) {
  if (!left_.empty()) left_[0] = true;
  for (int column : left_columns) {
    assert(column >= 0 && static_cast<size_t>(column) < left_.size());
    left_[column] = true;
  }
}

void BenchTable::AddRow(std::vector<std::string> cells) {
  assert(cells.size() == header_.size());
  rows_.push_back(std::move(cells));
}

void BenchTable::Print(std::ostream& out) const {
  std::vector<size_t> widths(header_.size());
  for (size_t c = 0; c < header_.size(); ++c) {
    widths[c] = header_[c].size();
    for (const auto& row : rows_)
      widths[c] = std::max(widths[c], row[c].size());
  }
  auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) line += "  ";
      const std::string pad(widths[c] - cells[c].size(), ' ');
      line += left_[c] ? cells[c] + pad : pad + cells[c];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  };
  print_row(header_);
  std::vector<std::string> rule(header_.size());
  for (size_t c = 0; c < header_.size(); ++c)
    rule[c] = std::string(widths[c], '-');
  print_row(rule);
  for (const auto& row : rows_) print_row(row);
}

std::string FormatCount(double value) {
  std::string digits = absl::StrFormat("%.0f", std::max(0.0, value));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string FormatMBps(double bytes_per_second) {
  const double mb = bytes_per_second / 1e6;
  return mb < 100 ? absl::StrFormat("%.1f", mb) : FormatCount(mb);
}

std::string FormatSize(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 30) && bytes % (uint64_t{1} << 30) == 0) {
    return absl::StrFormat("%d GiB", bytes >> 30);
  }
  if (bytes >= (1 << 20) && bytes % (1 << 20) == 0) {
    return absl::StrFormat("%d MiB", bytes >> 20);
  }
  if (bytes >= 1024 && bytes % 1024 == 0) {
    return absl::StrFormat("%d KiB", bytes >> 10);
  }
  if (bytes >= (1 << 20)) {
    return absl::StrFormat("%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  }
  return absl::StrFormat("%d B", bytes);
}

std::string FormatMillis(double ms) {
  if (ms >= 100) return absl::StrFormat("%.0f ms", ms);
  if (ms >= 10) return absl::StrFormat("%.1f ms", ms);
  if (ms >= 1) return absl::StrFormat("%.2f ms", ms);
  return absl::StrFormat("%.3f ms", ms);
}

std::string FormatRatio(double ratio) {
  return absl::StrFormat("%.2fx", ratio);
}

std::string Verdict(bool met) { return met ? "met" : "missed"; }

}  // namespace warehouse::bench
