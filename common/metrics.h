// Counters, gauges and histograms, rendered in the Prometheus text
// exposition format (version 0.0.4) for a /metrics endpoint.
//
// Names follow warehouse_<component>_<what>_<unit> (docs/http.md), e.g.
// warehouse_volume_write_bytes_total, warehouse_http_request_duration_seconds.
//
// Updating a metric is one relaxed atomic operation. Looking up the child
// of a labelled family takes the family's lock, so hot paths look a child
// up once and keep the pointer:
//
//   CounterFamily* requests = registry.AddCounterFamily(
//       "warehouse_volume_requests_total", "Requests by method.", {"method"});
//   Counter* gets = requests->WithLabels({"GET"});  // once
//   gets->Increment();                                 // per request
//
// Metrics live as long as their registry; pointers to them stay valid.
// Registering an invalid name, a name already registered as something
// else, or looking a child up with the wrong number of label values is a
// programmer error and aborts the process with a message.
#ifndef WAREHOUSE_COMMON_METRICS_H_
#define WAREHOUSE_COMMON_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace warehouse {

// A monotonically increasing count. Thread-safe.
class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void Increment(uint64_t n = 1) {
    value_.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down. Thread-safe.
class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Counts observations into fixed buckets and sums them; for latencies in
// seconds and sizes in bytes. Thread-safe.
class Histogram {
 public:
  // `bounds`: the buckets' inclusive upper bounds, strictly increasing and
  // finite; a last bucket, +Inf, is implied.
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void Observe(double value);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // per bound, then +Inf
    double sum = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  const std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket
  std::atomic<double> sum_{0};
};

// Bucket bounds for request latencies: 0.5 ms to 10 s.
std::vector<double> LatencyBuckets();

// All metrics of one name, one child per combination of label values.
// Thread-safe.
template <typename Metric>
class Family {
 public:
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  // The child for `label_values`, one per label name in registration order,
  // created on first use. Takes a lock: keep the pointer on hot paths.
  Metric* WithLabels(const std::vector<std::string>& label_values)
      ABSL_LOCKS_EXCLUDED(mu_);

  const std::string& name() const { return name_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

 private:
  friend class MetricsRegistry;
  Family(std::string name, std::vector<std::string> label_names,
         std::vector<double> bounds);

  // Calls `fn(label_values, metric)` for every child, in label order.
  void ForEach(const std::function<void(const std::vector<std::string>&,
                                        const Metric&)>& fn) const
      ABSL_LOCKS_EXCLUDED(mu_);

  const std::string name_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;  // histograms only

  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_
      ABSL_GUARDED_BY(mu_);
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// One sample of a labelled callback gauge.
struct LabeledValue {
  std::vector<std::string> label_values;
  double value = 0;
};

// The metrics of one process (or one test). Thread-safe.
//
// Registering the same name again with the same type, help, labels and
// buckets returns the metric registered first, so two servers in one
// process can share a registry. Callback gauges cannot be registered twice.
class MetricsRegistry {
 public:
  // The Content-Type of Render()'s output.
  static constexpr char kContentType[] = "text/plain; version=0.0.4";

  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  Counter* AddCounter(absl::string_view name, absl::string_view help)
      ABSL_LOCKS_EXCLUDED(mu_);
  CounterFamily* AddCounterFamily(absl::string_view name,
                                  absl::string_view help,
                                  std::vector<std::string> label_names)
      ABSL_LOCKS_EXCLUDED(mu_);

  Gauge* AddGauge(absl::string_view name, absl::string_view help)
      ABSL_LOCKS_EXCLUDED(mu_);
  GaugeFamily* AddGaugeFamily(absl::string_view name, absl::string_view help,
                              std::vector<std::string> label_names)
      ABSL_LOCKS_EXCLUDED(mu_);
  // A gauge whose value `fn` computes at each Render(). `fn` runs without
  // any registry lock held and must be thread-safe.
  void AddGaugeCallback(absl::string_view name, absl::string_view help,
                        std::function<double()> fn) ABSL_LOCKS_EXCLUDED(mu_);
  // A labelled gauge whose samples `fn` lists at each Render(), e.g. one
  // per volume; each sample has one value per label name.
  void AddGaugeCallback(absl::string_view name, absl::string_view help,
                        std::vector<std::string> label_names,
                        std::function<std::vector<LabeledValue>()> fn)
      ABSL_LOCKS_EXCLUDED(mu_);

  // A labelled counter whose samples `fn` lists at each Render(): totals
  // another object keeps, which must only grow.
  void AddCounterCallback(absl::string_view name, absl::string_view help,
                          std::vector<std::string> label_names,
                          std::function<std::vector<LabeledValue>()> fn)
      ABSL_LOCKS_EXCLUDED(mu_);

  Histogram* AddHistogram(absl::string_view name, absl::string_view help,
                          std::vector<double> bounds) ABSL_LOCKS_EXCLUDED(mu_);
  HistogramFamily* AddHistogramFamily(absl::string_view name,
                                      absl::string_view help,
                                      std::vector<std::string> label_names,
                                      std::vector<double> bounds)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Every metric in the text exposition format, sorted by name, children
  // sorted by label values.
  std::string Render() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry;

  // Returns the entry for `name`, registering `candidate` when the name is
  // new; aborts when an entry of that name differs from `candidate`.
  const Entry& Register(std::unique_ptr<Entry> candidate)
      ABSL_LOCKS_EXCLUDED(mu_);

  mutable absl::Mutex mu_;
  // Entries are never removed or changed once added.
  std::map<std::string, std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_METRICS_H_
