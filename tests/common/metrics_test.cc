#include "common/metrics.h"

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "catch2/catch.hpp"

namespace warehouse {
namespace {

TEST_CASE("metrics render in the Prometheus text exposition format",
          "[common][metrics]") {
  MetricsRegistry registry;
  CounterFamily* requests = registry.AddCounterFamily(
      "warehouse_test_requests_total", "Requests by method and code.",
      {"method", "code"});
  requests->WithLabels({"PUT", "201"})->Increment();
  requests->WithLabels({"GET", "200"})->Increment(3);

  Gauge* open = registry.AddGauge("warehouse_test_open_files", "Files open.");
  open->Set(7);
  open->Add(-2.5);

  // Values exactly representable, so the sum has one spelling.
  Histogram* latency = registry.AddHistogram("warehouse_test_latency_seconds",
                                             "Request latency.", {0.01, 0.5, 1});
  latency->Observe(0.0078125);
  latency->Observe(0.5);  // a bound is inclusive: le="0.5"
  latency->Observe(0.75);
  latency->Observe(4);

  registry.AddGaugeCallback("warehouse_test_uptime_seconds", "Uptime.",
                            [] { return 42.0; });
  registry.AddGaugeCallback(
      "warehouse_test_volume_bytes", "Bytes per volume.", {"volume"}, [] {
        return std::vector<LabeledValue>{{{"2"}, 200}, {{"1"}, 1e20}};
      });
  registry.AddCounterCallback(
      "warehouse_test_jobs_total", "Jobs by outcome.", {"outcome"}, [] {
        return std::vector<LabeledValue>{{{"ok"}, 7}, {{"failed"}, 1}};
      });

  CHECK(registry.Render() ==
        "# HELP warehouse_test_jobs_total Jobs by outcome.\n"
        "# TYPE warehouse_test_jobs_total counter\n"
        "warehouse_test_jobs_total{outcome=\"failed\"} 1\n"
        "warehouse_test_jobs_total{outcome=\"ok\"} 7\n"
        "# HELP warehouse_test_latency_seconds Request latency.\n"
        "# TYPE warehouse_test_latency_seconds histogram\n"
        "warehouse_test_latency_seconds_bucket{le=\"0.01\"} 1\n"
        "warehouse_test_latency_seconds_bucket{le=\"0.5\"} 2\n"
        "warehouse_test_latency_seconds_bucket{le=\"1\"} 3\n"
        "warehouse_test_latency_seconds_bucket{le=\"+Inf\"} 4\n"
        "warehouse_test_latency_seconds_sum 5.2578125\n"
        "warehouse_test_latency_seconds_count 4\n"
        "# HELP warehouse_test_open_files Files open.\n"
        "# TYPE warehouse_test_open_files gauge\n"
        "warehouse_test_open_files 4.5\n"
        "# HELP warehouse_test_requests_total Requests by method and code.\n"
        "# TYPE warehouse_test_requests_total counter\n"
        "warehouse_test_requests_total{method=\"GET\",code=\"200\"} 3\n"
        "warehouse_test_requests_total{method=\"PUT\",code=\"201\"} 1\n"
        "# HELP warehouse_test_uptime_seconds Uptime.\n"
        "# TYPE warehouse_test_uptime_seconds gauge\n"
        "warehouse_test_uptime_seconds 42\n"
        "# HELP warehouse_test_volume_bytes Bytes per volume.\n"
        "# TYPE warehouse_test_volume_bytes gauge\n"
        "warehouse_test_volume_bytes{volume=\"1\"} 1e+20\n"
        "warehouse_test_volume_bytes{volume=\"2\"} 200\n");
}

TEST_CASE("labelled histograms put the bucket label last",
          "[common][metrics]") {
  MetricsRegistry registry;
  HistogramFamily* sizes = registry.AddHistogramFamily(
      "warehouse_test_size_bytes", "Sizes.", {"op"}, {1024});
  sizes->WithLabels({"read"})->Observe(10);
  CHECK(registry.Render() ==
        "# HELP warehouse_test_size_bytes Sizes.\n"
        "# TYPE warehouse_test_size_bytes histogram\n"
        "warehouse_test_size_bytes_bucket{op=\"read\",le=\"1024\"} 1\n"
        "warehouse_test_size_bytes_bucket{op=\"read\",le=\"+Inf\"} 1\n"
        "warehouse_test_size_bytes_sum{op=\"read\"} 10\n"
        "warehouse_test_size_bytes_count{op=\"read\"} 1\n");
}

TEST_CASE("label values and help text are escaped", "[common][metrics]") {
  MetricsRegistry registry;
  registry
      .AddCounterFamily("warehouse_test_names_total",
                        "Help with a \\ backslash\nand a newline.", {"name"})
      ->WithLabels({"a\"b\\c\nd"})
      ->Increment();
  CHECK(registry.Render() ==
        "# HELP warehouse_test_names_total Help with a \\\\ backslash\\nand a "
        "newline.\n"
        "# TYPE warehouse_test_names_total counter\n"
        "warehouse_test_names_total{name=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST_CASE("gauges render special values the Prometheus way",
          "[common][metrics]") {
  MetricsRegistry registry;
  GaugeFamily* g = registry.AddGaugeFamily("warehouse_test_g", "G.", {"k"});
  g->WithLabels({"a"})->Set(std::numeric_limits<double>::infinity());
  g->WithLabels({"b"})->Set(-std::numeric_limits<double>::infinity());
  g->WithLabels({"c"})->Set(std::nan(""));
  g->WithLabels({"d"})->Set(0.1);
  CHECK(registry.Render() ==
        "# HELP warehouse_test_g G.\n"
        "# TYPE warehouse_test_g gauge\n"
        "warehouse_test_g{k=\"a\"} +Inf\n"
        "warehouse_test_g{k=\"b\"} -Inf\n"
        "warehouse_test_g{k=\"c\"} NaN\n"
        "warehouse_test_g{k=\"d\"} 0.1\n");
}

TEST_CASE("registering a metric again returns the first one",
          "[common][metrics]") {
  MetricsRegistry registry;
  Counter* a = registry.AddCounter("warehouse_test_total", "Things.");
  Counter* b = registry.AddCounter("warehouse_test_total", "Things.");
  CHECK(a == b);
  CounterFamily* family =
      registry.AddCounterFamily("warehouse_test_by_total", "By.", {"x"});
  CHECK(family->WithLabels({"1"}) == family->WithLabels({"1"}));
  CHECK(family->WithLabels({"1"}) != family->WithLabels({"2"}));
  CHECK(registry.AddCounterFamily("warehouse_test_by_total", "By.", {"x"}) ==
        family);
}

TEST_CASE("counters and histograms count every update from many threads",
          "[common][metrics]") {
  MetricsRegistry registry;
  Counter* counter = registry.AddCounter("warehouse_test_ops_total", "Ops.");
  Histogram* histogram =
      registry.AddHistogram("warehouse_test_op_seconds", "Op time.", {0.5});
  Gauge* gauge = registry.AddGauge("warehouse_test_level", "Level.");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        counter->Increment();
        histogram->Observe(i % 2 == 0 ? 0.25 : 1.0);
        gauge->Add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(counter->value() == kThreads * kPerThread);
  Histogram::Snapshot s = histogram->snapshot();
  CHECK(s.cumulative == std::vector<uint64_t>{kThreads * kPerThread / 2,
                                              kThreads * kPerThread});
  CHECK(s.sum == Approx(kThreads * kPerThread * 0.625));
  CHECK(gauge->value() == kThreads * kPerThread);
}

}  // namespace
}  // namespace warehouse
