#include "master/compaction_scheduler.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {

absl::StatusOr<std::unique_ptr<CompactionScheduler>>
CompactionScheduler::Create(Topology* topology, CommandQueue* commands,
                            MetadataStore* store) {
  ASSIGN_OR_RETURN(auto latest, store->ListCompactions());
  for (auto& [volume_id, compaction] : latest) {
    if (compaction.state != VolumeCompaction::State::kRunning) continue;
    compaction.state = VolumeCompaction::State::kFailed;
    compaction.finished = compaction.started;
    compaction.error =
        "the master restarted before the volume server answered; the "
        "volume's usage shows whether it was compacted";
  }
  return std::unique_ptr<CompactionScheduler>(
      new CompactionScheduler(topology, commands, store, std::move(latest)));
}

CompactionScheduler::CompactionScheduler(
    Topology* topology, CommandQueue* commands, MetadataStore* store,
    std::map<uint32_t, VolumeCompaction> latest)
    : topology_(topology),
      commands_(commands),
      store_(store),
      latest_(std::move(latest)) {}

absl::Status CompactionScheduler::CompactVolume(uint32_t volume_id,
                                               uint64_t bytes_per_second) {
  absl::StatusOr<VolumeLocation> location = topology_->LocateVolume(volume_id);
  if (!location.ok()) return location.status();
  if (!location->online) {
    return absl::UnavailableError(
        absl::StrCat("volume ", volume_id, ": its volume server ",
                     location->server_id, " is offline"));
  }
  {
    absl::MutexLock lock(&mu_);
    if (location->volume.compacting || running_.count(volume_id) > 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("volume ", volume_id, " is already being compacted"));
    }
    if (!location->volume.moving_to.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "volume ", volume_id, " is being moved; compact it after"));
    }
    running_.insert(volume_id);
  }
  return Start(volume_id, location->server_id, bytes_per_second);
}

absl::StatusOr<std::vector<uint32_t>>
CompactionScheduler::CompactByGarbageRatio(double min_ratio,
                                           uint64_t bytes_per_second) {
  if (!(min_ratio > 0.0 && min_ratio <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("garbage ratio ", min_ratio, " is outside (0, 1]"));
  }
  std::vector<std::pair<uint32_t, std::string>> chosen;
  for (const ServerView& server : topology_->Servers()) {
    if (!server.online) continue;
    for (const VolumeView& volume : server.volumes) {
      if (volume.compacting || !volume.moving_to.empty() ||
          volume.size_bytes == 0) {
        continue;
      }
      const double ratio = static_cast<double>(volume.garbage_bytes) /
                           static_cast<double>(volume.size_bytes);
      if (ratio >= min_ratio)
        chosen.emplace_back(volume.volume_id, server.server_id);
    }
  }
  std::vector<uint32_t> started;
  for (const auto& [volume_id, server_id] : chosen) {
    {
      absl::MutexLock lock(&mu_);
      if (!running_.insert(volume_id).second) continue;
    }
    RETURN_IF_ERROR(Start(volume_id, server_id, bytes_per_second));
    started.push_back(volume_id);
  }
  std::sort(started.begin(), started.end());
  return started;
}

absl::Status CompactionScheduler::Start(uint32_t volume_id,
                                        const std::string& server_id,
                                        uint64_t bytes_per_second) {
  {
    // Recorded before the command goes out, so its result, which may
    // arrive at once, always lands on this record.
    absl::MutexLock persist(&persist_mu_);
    VolumeCompaction started;
    started.started = absl::Now();
    {
      absl::MutexLock lock(&mu_);
      auto it = latest_.find(volume_id);
      if (it != latest_.end()) {
        started.failures_in_a_row = it->second.failures_in_a_row;
      }
    }
    absl::Status recorded = store_->PutCompaction(volume_id, started);
    absl::MutexLock lock(&mu_);
    if (!recorded.ok()) {
      running_.erase(volume_id);
      return absl::UnavailableError(
          absl::StrCat("volume ", volume_id,
                       ": compaction not started, its start could not be "
                       "recorded: ",
                       recorded.message()));
    }
    ++stats_.started;
    latest_[volume_id] = started;
  }
  v1::MasterCommand command;
  command.mutable_compact_volume()->set_volume_id(volume_id);
  command.mutable_compact_volume()->set_bytes_per_second(bytes_per_second);
  const uint64_t command_id =
      commands_->Send(server_id, std::move(command),
                      [this, volume_id](const CommandOutcome& outcome) {
                        OnResult(volume_id, outcome);
                      });
  spdlog::info("volume {}: compaction started on volume server {} (command {})",
               volume_id, server_id, command_id);
  return absl::OkStatus();
}

void CompactionScheduler::OnResult(uint32_t volume_id,
                                   const CommandOutcome& outcome) {
  if (outcome.status.ok()) {
    spdlog::info("volume {}: compaction on volume server {} reclaimed {} bytes",
                 volume_id, outcome.server_id, outcome.bytes_reclaimed);
  } else {
    spdlog::warn("volume {}: compaction on volume server {} failed: {}",
                 volume_id, outcome.server_id, outcome.status.ToString());
  }
  absl::MutexLock persist(&persist_mu_);
  VolumeCompaction ended;
  {
    absl::MutexLock lock(&mu_);
    running_.erase(volume_id);
    VolumeCompaction& latest = latest_[volume_id];
    latest.finished = absl::Now();
    latest.bytes_reclaimed = outcome.bytes_reclaimed;
    if (outcome.status.ok()) {
      ++stats_.succeeded;
      stats_.bytes_reclaimed += outcome.bytes_reclaimed;
      latest.state = VolumeCompaction::State::kSucceeded;
      latest.error.clear();
      latest.failures_in_a_row = 0;
    } else {
      ++stats_.failed;
      latest.state = VolumeCompaction::State::kFailed;
      latest.error = outcome.status.ToString();
      ++latest.failures_in_a_row;
    }
    ended = latest;
  }
  // The outcome stays in memory if the database cannot take it.
  absl::Status recorded = store_->PutCompaction(volume_id, ended);
  if (!recorded.ok()) {
    spdlog::warn("volume {}: the outcome of its compaction was not recorded "
                 "in the database: {}",
                 volume_id, recorded.ToString());
  }
}

CompactionScheduler::Stats CompactionScheduler::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

std::map<uint32_t, CompactionScheduler::VolumeCompaction>
CompactionScheduler::Latest() const {
  absl::MutexLock lock(&mu_);
  return latest_;
}

}  // namespace warehouse::master
