#include "master/auto_compactor.h"

#include <algorithm>
#include <map>

#include "absl/status/status.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {

void AutoCompactor::Start() {
  if (options_.min_garbage_ratio <= 0) return;
  passes_.Start(options_.interval, [this] { RunOnce(absl::Now()); });
}

void AutoCompactor::Stop() { passes_.Stop(); }

absl::Duration AutoCompactor::RetryDelay(const Options& options,
                                         int failures_in_a_row) {
  absl::Duration delay = options.first_retry_delay;
  for (int i = 1; i < failures_in_a_row && delay < options.max_retry_delay;
       ++i) {
    delay *= 2;
  }
  return std::min(delay, options.max_retry_delay);
}

std::vector<uint32_t> AutoCompactor::RunOnce(absl::Time now) {
  using State = CompactionScheduler::VolumeCompaction::State;
  const std::map<uint32_t, CompactionScheduler::VolumeCompaction> latest =
      compactions_->Latest();
  auto running = [&latest](const VolumeView& volume) {
    if (volume.compacting || !volume.moving_to.empty()) return true;
    auto it = latest.find(volume.volume_id);
    return it != latest.end() && it->second.state == State::kRunning;
  };
  auto waiting_after_failure = [&](const VolumeView& volume) {
    auto it = latest.find(volume.volume_id);
    return it != latest.end() && it->second.state == State::kFailed &&
           it->second.failures_in_a_row > 0 &&
           now < it->second.finished +
                     RetryDelay(options_, it->second.failures_in_a_row);
  };
  std::vector<uint32_t> started;
  for (const ServerView& server : topology_->Servers()) {
    if (!server.online) continue;
    const VolumeView* chosen = nullptr;
    double chosen_ratio = 0;
    bool busy = false;
    for (const VolumeView& volume : server.volumes) {
      if (running(volume)) busy = true;
      if (volume.size_bytes == 0 ||
          volume.garbage_bytes < options_.min_garbage_bytes ||
          waiting_after_failure(volume)) {
        continue;
      }
      const double ratio = static_cast<double>(volume.garbage_bytes) /
                           static_cast<double>(volume.size_bytes);
      if (ratio >= options_.min_garbage_ratio &&
          (chosen == nullptr || ratio > chosen_ratio)) {
        chosen = &volume;
        chosen_ratio = ratio;
      }
    }
    if (busy || chosen == nullptr) continue;
    spdlog::info("volume {}: {} bytes of garbage, {:.1f}% of {} bytes: "
                 "compacting it",
                 chosen->volume_id, chosen->garbage_bytes, 100 * chosen_ratio,
                 chosen->size_bytes);
    absl::Status status = compactions_->CompactVolume(
        chosen->volume_id, options_.bytes_per_second);
    if (!status.ok()) {
      spdlog::warn("volume {}: automatic compaction not started: {}",
                   chosen->volume_id, status.ToString());
      continue;
    }
    started.push_back(chosen->volume_id);
  }
  return started;
}

}  // namespace warehouse::master
