#include "common/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <type_traits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "spdlog/spdlog.h"

namespace warehouse {
namespace {

// Registration mistakes are bugs in the calling code, found the first time
// it runs; failing loudly beats exporting metrics that lie.
[[noreturn]] void DieOnMisuse(const std::string& message) {
  spdlog::critical("metrics: {}", message);
  std::abort();
}

bool ValidMetricName(absl::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              c == ':' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool ValidLabelName(absl::string_view name) {
  if (name.empty() || absl::StartsWith(name, "__")) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

void AtomicAdd(std::atomic<double>& target, double delta) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + delta,
                                       std::memory_order_relaxed)) {
  }
}

// Shortest text that reads back as the same double; Prometheus spellings
// for the special values.
std::string FormatDouble(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[32];
  auto result = std::to_chars(buf, buf + sizeof(buf), value);
  return std::string(buf, result.ptr);
}

// HELP text escapes backslash and newline.
std::string EscapeHelp(absl::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Label values also escape the double quote.
std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// `{a="x",b="y"}`, with `extra` (already formatted, e.g. `le="0.5"`)
// appended; empty when there are no labels at all.
std::string LabelSet(const std::vector<std::string>& names,
                     const std::vector<std::string>& values,
                     absl::string_view extra = "") {
  if (names.empty() && extra.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ",";
    absl::StrAppend(&out, names[i], "=\"", EscapeLabelValue(values[i]), "\"");
  }
  if (!extra.empty()) {
    if (!names.empty()) out += ",";
    absl::StrAppend(&out, extra);
  }
  out += "}";
  return out;
}

void CheckLabelCount(const std::string& name,
                     const std::vector<std::string>& label_names,
                     const std::vector<std::string>& label_values) {
  if (label_names.size() != label_values.size()) {
    DieOnMisuse(absl::StrCat(name, ": ", label_values.size(),
                             " label values for labels [",
                             absl::StrJoin(label_names, ","), "]"));
  }
}

}  // namespace

void Gauge::Add(double delta) { AtomicAdd(value_, delta); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::Observe(double value) {
  size_t bucket = bounds_.size();  // +Inf, also for NaN
  if (!std::isnan(value)) {
    bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) -
             bounds_.begin();
  }
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.cumulative.resize(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = total;
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,  0.5,    1,     2.5,  5,     10};
}

template <typename Metric>
Family<Metric>::Family(std::string name, std::vector<std::string> label_names,
                       std::vector<double> bounds)
    : name_(std::move(name)),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {}

template <typename Metric>
Metric* Family<Metric>::WithLabels(
    const std::vector<std::string>& label_values) {
  CheckLabelCount(name_, label_names_, label_values);
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Metric>& child = children_[label_values];
  if (child == nullptr) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      child = std::make_unique<Histogram>(bounds_);
    } else {
      child = std::make_unique<Metric>();
    }
  }
  return child.get();
}

template <typename Metric>
void Family<Metric>::ForEach(
    const std::function<void(const std::vector<std::string>&, const Metric&)>&
        fn) const {
  // Children are never removed, so the pointers outlive the lock.
  std::vector<std::pair<const std::vector<std::string>*, const Metric*>> all;
  {
    absl::MutexLock lock(&mu_);
    all.reserve(children_.size());
    for (const auto& [labels, metric] : children_) {
      all.emplace_back(&labels, metric.get());
    }
  }
  for (const auto& [labels, metric] : all) fn(*labels, *metric);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

struct MetricsRegistry::Entry {
  enum class Type { kCounter, kGauge, kHistogram, kCallback, kLabeledCallback };

  Type type;
  std::string name;
  std::string help;
  std::vector<std::string> label_names;
  std::vector<double> bounds;
  std::unique_ptr<CounterFamily> counters;
  std::unique_ptr<GaugeFamily> gauges;
  std::unique_ptr<HistogramFamily> histograms;
  std::function<double()> callback;
  std::function<std::vector<LabeledValue>()> labeled_callback;
  // A labelled callback whose values only grow: typed counter.
  bool counts = false;

  const char* type_name() const {
    switch (type) {
      case Type::kCounter:
        return "counter";
      case Type::kHistogram:
        return "histogram";
      default:
        return counts ? "counter" : "gauge";
    }
  }
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

const MetricsRegistry::Entry& MetricsRegistry::Register(
    std::unique_ptr<Entry> candidate) {
  const std::string& name = candidate->name;
  if (!ValidMetricName(name)) DieOnMisuse(absl::StrCat("bad name '", name, "'"));
  for (size_t i = 0; i < candidate->label_names.size(); ++i) {
    const std::string& label = candidate->label_names[i];
    bool reserved =
        candidate->type == Entry::Type::kHistogram && label == "le";
    if (!ValidLabelName(label) || reserved) {
      DieOnMisuse(absl::StrCat(name, ": bad label name '", label, "'"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (candidate->label_names[j] == label) {
        DieOnMisuse(absl::StrCat(name, ": label '", label, "' repeated"));
      }
    }
  }
  for (size_t i = 0; i < candidate->bounds.size(); ++i) {
    if (!std::isfinite(candidate->bounds[i]) ||
        (i > 0 && candidate->bounds[i] <= candidate->bounds[i - 1])) {
      DieOnMisuse(absl::StrCat(
          name, ": bucket bounds must be finite and strictly increasing"));
    }
  }
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = entries_.try_emplace(name);
  if (inserted) {
    it->second = std::move(candidate);
    return *it->second;
  }
  const Entry& existing = *it->second;
  bool callback = existing.type == Entry::Type::kCallback ||
                  existing.type == Entry::Type::kLabeledCallback;
  if (callback || existing.type != candidate->type ||
      existing.help != candidate->help ||
      existing.label_names != candidate->label_names ||
      existing.bounds != candidate->bounds) {
    DieOnMisuse(absl::StrCat(name, ": registered twice, differently"));
  }
  return existing;
}

CounterFamily* MetricsRegistry::AddCounterFamily(
    absl::string_view name, absl::string_view help,
    std::vector<std::string> label_names) {
  auto entry = std::make_unique<Entry>();
  entry->type = Entry::Type::kCounter;
  entry->name = std::string(name);
  entry->help = std::string(help);
  entry->label_names = label_names;
  entry->counters.reset(
      new CounterFamily(std::string(name), std::move(label_names), {}));
  return Register(std::move(entry)).counters.get();
}

Counter* MetricsRegistry::AddCounter(absl::string_view name,
                                     absl::string_view help) {
  return AddCounterFamily(name, help, {})->WithLabels({});
}

GaugeFamily* MetricsRegistry::AddGaugeFamily(
    absl::string_view name, absl::string_view help,
    std::vector<std::string> label_names) {
  auto entry = std::make_unique<Entry>();
  entry->type = Entry::Type::kGauge;
  entry->name = std::string(name);
  entry->help = std::string(help);
  entry->label_names = label_names;
  entry->gauges.reset(
      new GaugeFamily(std::string(name), std::move(label_names), {}));
  return Register(std::move(entry)).gauges.get();
}

Gauge* MetricsRegistry::AddGauge(absl::string_view name,
                                 absl::string_view help) {
  return AddGaugeFamily(name, help, {})->WithLabels({});
}

void MetricsRegistry::AddGaugeCallback(absl::string_view name,
                                       absl::string_view help,
                                       std::function<double()> fn) {
  auto entry = std::make_unique<Entry>();
  entry->type = Entry::Type::kCallback;
  entry->name = std::string(name);
  entry->help = std::string(help);
  entry->callback = std::move(fn);
  Register(std::move(entry));
}

void MetricsRegistry::AddGaugeCallback(
    absl::string_view name, absl::string_view help,
    std::vector<std::string> label_names,
    std::function<std::vector<LabeledValue>()> fn) {
  auto entry = std::make_unique<Entry>();
  entry->type = Entry::Type::kLabeledCallback;
  entry->name = std::string(name);
  entry->help = std::string(help);
  entry->label_names = std::move(label_names);
  entry->labeled_callback = std::move(fn);
  Register(std::move(entry));
}

void MetricsRegistry::AddCounterCallback(
    absl::string_view name, absl::string_view help,
    std::vector<std::string> label_names,
    std::function<std::vector<LabeledValue>()> fn) {
  auto entry = std::make_unique<Entry>();
  entry->type = Entry::Type::kLabeledCallback;
  entry->counts = true;
  entry->name = std::string(name);
  entry->help = std::string(help);
  entry->label_names = std::move(label_names);
  entry->labeled_callback = std::move(fn);
  Register(std::move(entry));
}

HistogramFamily* MetricsRegistry::AddHistogramFamily(
    absl::string_view name, absl::string_view help,
    std::vector<std::string> label_names, std::vector<double> bounds) {
  auto entry = std::make_unique<Entry>();
  entry->type = Entry::Type::kHistogram;
  entry->name = std::string(name);
  entry->help = std::string(help);
  entry->label_names = label_names;
  entry->bounds = bounds;
  entry->histograms.reset(new HistogramFamily(
      std::string(name), std::move(label_names), std::move(bounds)));
  return Register(std::move(entry)).histograms.get();
}

Histogram* MetricsRegistry::AddHistogram(absl::string_view name,
                                         absl::string_view help,
                                         std::vector<double> bounds) {
  return AddHistogramFamily(name, help, {}, std::move(bounds))->WithLabels({});
}

std::string MetricsRegistry::Render() const {
  // Entries never change once added: render them without the lock, so a
  // callback may take its own locks (or even register a metric).
  std::vector<const Entry*> entries;
  {
    absl::MutexLock lock(&mu_);
    entries.reserve(entries_.size());
    for (const auto& [name, entry] : entries_) entries.push_back(entry.get());
  }
  std::string out;
  for (const Entry* e : entries) {
    const std::string& name = e->name;
    absl::StrAppend(&out, "# HELP ", name, " ", EscapeHelp(e->help), "\n",
                    "# TYPE ", name, " ", e->type_name(), "\n");
    switch (e->type) {
      case Entry::Type::kCounter:
        e->counters->ForEach([&](const std::vector<std::string>& labels,
                                 const Counter& counter) {
          absl::StrAppend(&out, name, LabelSet(e->label_names, labels), " ",
                          counter.value(), "\n");
        });
        break;
      case Entry::Type::kGauge:
        e->gauges->ForEach([&](const std::vector<std::string>& labels,
                               const Gauge& gauge) {
          absl::StrAppend(&out, name, LabelSet(e->label_names, labels), " ",
                          FormatDouble(gauge.value()), "\n");
        });
        break;
      case Entry::Type::kHistogram:
        e->histograms->ForEach([&](const std::vector<std::string>& labels,
                                   const Histogram& histogram) {
          Histogram::Snapshot s = histogram.snapshot();
          for (size_t i = 0; i <= e->bounds.size(); ++i) {
            std::string le = absl::StrCat(
                "le=\"",
                i < e->bounds.size() ? FormatDouble(e->bounds[i]) : "+Inf",
                "\"");
            absl::StrAppend(&out, name, "_bucket",
                            LabelSet(e->label_names, labels, le), " ",
                            s.cumulative[i], "\n");
          }
          std::string set = LabelSet(e->label_names, labels);
          absl::StrAppend(&out, name, "_sum", set, " ", FormatDouble(s.sum),
                          "\n", name, "_count", set, " ", s.cumulative.back(),
                          "\n");
        });
        break;
      case Entry::Type::kCallback:
        absl::StrAppend(&out, name, " ", FormatDouble(e->callback()), "\n");
        break;
      case Entry::Type::kLabeledCallback: {
        std::vector<LabeledValue> samples = e->labeled_callback();
        std::sort(samples.begin(), samples.end(),
                  [](const LabeledValue& a, const LabeledValue& b) {
                    return a.label_values < b.label_values;
                  });
        for (const LabeledValue& sample : samples) {
          CheckLabelCount(name, e->label_names, sample.label_values);
          absl::StrAppend(&out, name,
                          LabelSet(e->label_names, sample.label_values), " ",
                          FormatDouble(sample.value), "\n");
        }
        break;
      }
    }
  }
  return out;
}

}  // namespace warehouse
