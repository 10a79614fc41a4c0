#include "tools/http_bench_report.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_format.h"

namespace warehouse::bench {
namespace {

std::string CpuPerOp(const Measurement& m) {
  if (m.server_cpu_seconds < 0 || m.load.ops == 0) return "-";
  return absl::StrFormat("%.0f", m.server_cpu_seconds * 1e6 /
                                     static_cast<double>(m.load.ops));
}

const Row* FindRow(const std::vector<Row>& rows, const std::string& method,
                   uint64_t size, int connections) {
  for (const Row& row : rows) {
    if (row.method == method && row.size == size &&
        row.connections == connections) {
      return &row;
    }
  }
  return nullptr;
}

}  // namespace

void PrintRowProgress(const Row& row, const std::string& server,
                      const Measurement& m) {
  std::fprintf(stderr,
               "%-18s %-9s %8llu ops in %6.2f s: %9.0f ops/s %8.1f MB/s p50 "
               "%.3f ms p99 %.3f ms; server cpu %s us/op, client cpu %.0f "
               "us/op, reconnects %llu\n",
               row.Name().c_str(), server.c_str(),
               static_cast<unsigned long long>(m.load.ops),
               absl::ToDoubleSeconds(m.load.elapsed), m.rate(),
               m.megabytes_per_second(), m.p50_ms(), m.p99_ms(),
               CpuPerOp(m).c_str(),
               m.load.client_cpu_seconds * 1e6 /
                   static_cast<double>(std::max<uint64_t>(m.load.ops, 1)),
               static_cast<unsigned long long>(m.load.reconnects));
}

void PrintTable(const std::vector<Row>& rows) {
  std::printf(
      "| op  | size     | conns | warehouse ops/s | MB/s   | p50 ms  | p99 ms  "
      "| cpu us/op | nginx ops/s | MB/s   | p50 ms  | p99 ms  | cpu us/op | "
      "warehouse/nginx |\n");
  std::printf(
      "|-----|----------|-------|-----------------|--------|---------|--------"
      "-|-----------|-------------|--------|---------|---------|-----------|"
      "-----------------|\n");
  auto cells = [](const Measurement& m, int width) {
    if (!m.ran) {
      return absl::StrFormat("%*s | %6s | %7s | %7s | %9s", width, "-", "-",
                             "-", "-", "-");
    }
    return absl::StrFormat("%*.0f | %6.1f | %7.3f | %7.3f | %9s", width,
                           m.rate(), m.megabytes_per_second(), m.p50_ms(),
                           m.p99_ms(), CpuPerOp(m));
  };
  for (const Row& row : rows) {
    std::string ratio =
        row.ratio() > 0 ? absl::StrFormat("%.2f", row.ratio()) : "-";
    std::printf("| %-3s | %-8s | %5d | %s | %s | %15s |\n", row.method.c_str(),
                FormatBytes(row.size).c_str(), row.connections,
                cells(row.warehouse, 15).c_str(), cells(row.nginx, 11).c_str(),
                ratio.c_str());
  }
}

void PrintBeginUploads(const std::vector<Row>& rows) {
  bool any = false;
  for (const Row& row : rows) {
    const Measurement& m = row.warehouse;
    if (m.begin_uploads == 0) continue;
    if (!any) {
      std::printf("\nPUT urls from Master.BeginUpload, before each row "
                  "(not in its timing):\n\n| row | calls | seconds | calls/s "
                  "|\n|-----|-------|---------|---------|\n");
      any = true;
    }
    std::printf("| %s | %llu | %.2f | %.0f |\n", row.Name().c_str(),
                static_cast<unsigned long long>(m.begin_uploads),
                absl::ToDoubleSeconds(m.begin_upload_time),
                static_cast<double>(m.begin_uploads) /
                    absl::ToDoubleSeconds(m.begin_upload_time));
  }
}

void PrintTargets(const std::vector<Row>& rows,
                  std::optional<uint64_t> stream_peak_rss) {
  std::printf("\nTargets:\n");
  auto verdict = [](bool met) { return met ? "met" : "MISSED"; };
  if (const Row* row = FindRow(rows, "GET", 1 << 10, 16);
      row != nullptr && row->ratio() > 0) {
    std::printf(
        "  1 KiB GET x16: %.2fx nginx (target >= 1.5x: %s), p99 %.3f ms "
        "(target < 1 ms: %s)\n",
        row->ratio(), verdict(row->ratio() >= 1.5), row->warehouse.p99_ms(),
        verdict(row->warehouse.p99_ms() < 1.0));
  }
  for (int connections : {1, 16, 64}) {
    if (const Row* row = FindRow(rows, "PUT", 1 << 10, connections);
        row != nullptr && row->ratio() > 0) {
      std::printf("  1 KiB PUT x%d: %.2fx nginx (target >= 2x: %s)\n",
                  connections, row->ratio(), verdict(row->ratio() >= 2.0));
    }
  }
  for (const Row& row : rows) {
    if (row.size < (64 << 10) || row.ratio() <= 0) continue;
    std::printf("  %s: %.2fx nginx (target >= 0.9x: %s)\n", row.Name().c_str(),
                row.ratio(), verdict(row.ratio() >= 0.9));
  }
  if (stream_peak_rss) {
    std::printf("  volume server RSS while streaming: peak %s (target < 64 "
                "MiB: %s)\n",
                FormatBytes(*stream_peak_rss).c_str(),
                verdict(*stream_peak_rss < (64ull << 20)));
  }
}

}  // namespace warehouse::bench
