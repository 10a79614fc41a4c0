#include "master/auto_verifier.h"

#include <chrono>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {
namespace {

// What a volume server reads a second when not held back, for the
// deadline of an unlimited verification.
constexpr double kAssumedUnlimitedBytesPerSecond = 50.0 * (1 << 20);

// Long enough for a verification of `volume` at `bytes_per_second` to end
// twice over, and an hour more: only a server that stopped answering
// without closing the connection meets it.
absl::Duration Deadline(const VolumeView& volume, uint64_t bytes_per_second) {
  const double rate = bytes_per_second > 0
                          ? static_cast<double>(bytes_per_second)
                          : kAssumedUnlimitedBytesPerSecond;
  return absl::Hours(1) +
         absl::Seconds(2 * static_cast<double>(volume.size_bytes) / rate);
}

// "bucket/key" of the object a corrupt needle holds, or why none is named.
std::string ObjectName(const v1::CorruptNeedle& needle) {
  if (needle.bucket().empty()) return "no object: garbage or an unfinished upload";
  return absl::StrCat(needle.bucket(), "/", needle.key());
}

}  // namespace

void AutoVerifier::Start() {
  if (options_.every <= absl::ZeroDuration()) return;
  looks_.Start(options_.interval, [this] { RunOnce(absl::Now()); });
}

void AutoVerifier::Stop() {
  looks_.Stop();
  std::map<std::string, std::unique_ptr<Running>> running;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (auto& [server_id, verification] : running_) {
      verification->context.TryCancel();
    }
    running.swap(running_);
  }
  for (auto& [server_id, verification] : running) verification->thread.join();
}

std::optional<uint32_t> AutoVerifier::Due(
    const ServerView& server,
    const std::map<uint32_t, VerificationRecord>& latest,
    const std::map<uint32_t, absl::Time>& retry_after, absl::Time now,
    const Options& options) {
  std::optional<uint32_t> chosen;
  absl::Time chosen_last = absl::InfiniteFuture();
  for (const VolumeView& volume : server.volumes) {
    if (volume.compacting || !volume.moving_to.empty() ||
        volume.needle_count == 0) {
      continue;
    }
    auto retry = retry_after.find(volume.volume_id);
    if (retry != retry_after.end() && now < retry->second) continue;
    auto it = latest.find(volume.volume_id);
    const absl::Time last =
        it == latest.end() ? absl::InfinitePast() : it->second.finished;
    if (now < last + options.every) continue;
    if (!chosen.has_value() || last < chosen_last) {
      chosen = volume.volume_id;
      chosen_last = last;
    }
  }
  return chosen;
}

std::vector<uint32_t> AutoVerifier::RunOnce(absl::Time now) {
  std::vector<uint32_t> started;
  if (options_.every <= absl::ZeroDuration()) return started;
  const std::map<uint32_t, VerificationRecord> latest = verifier_->Latest();
  const std::vector<ServerView> servers = topology_->Servers();
  std::vector<std::unique_ptr<Running>> ended;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return started;
    for (auto it = running_.begin(); it != running_.end();) {
      if (it->second->done) {
        ended.push_back(std::move(it->second));
        it = running_.erase(it);
      } else {
        ++it;
      }
    }
    for (const ServerView& server : servers) {
      if (!server.online || server.admin_address.empty() ||
          running_.count(server.server_id) > 0) {
        continue;
      }
      const std::optional<uint32_t> volume_id =
          Due(server, latest, retry_after_, now, options_);
      if (!volume_id.has_value()) continue;
      auto verification = std::make_unique<Running>();
      verification->volume_id = *volume_id;
      for (const VolumeView& volume : server.volumes) {
        if (volume.volume_id != *volume_id) continue;
        verification->context.set_deadline(absl::ToChronoTime(
            absl::Now() + Deadline(volume, options_.bytes_per_second)));
      }
      auto last = latest.find(*volume_id);
      if (last == latest.end()) {
        spdlog::info("volume {}: never verified: verifying it", *volume_id);
      } else {
        spdlog::info("volume {}: last verified {} ago: verifying it",
                     *volume_id,
                     absl::FormatDuration(absl::Trunc(
                         now - last->second.finished, absl::Seconds(1))));
      }
      verification->thread =
          std::thread(&AutoVerifier::Verify, this, verification.get());
      running_[server.server_id] = std::move(verification);
      started.push_back(*volume_id);
    }
  }
  for (const std::unique_ptr<Running>& verification : ended) {
    verification->thread.join();
  }
  return started;
}

void AutoVerifier::WaitIdleForTesting() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](std::map<std::string, std::unique_ptr<Running>>* running) {
        for (const auto& [server_id, verification] : *running) {
          if (!verification->done) return false;
        }
        return true;
      },
      &running_));
}

void AutoVerifier::Verify(Running* running) {
  const uint32_t volume_id = running->volume_id;
  absl::StatusOr<v1::VerificationDone> done = verifier_->Verify(
      volume_id, options_.bytes_per_second, &running->context,
      [](const v1::VerificationStep&) {});
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    stopping = stopping_;
    if (done.ok()) {
      retry_after_.erase(volume_id);
    } else if (!stopping) {
      retry_after_[volume_id] = absl::Now() + options_.retry_delay;
    }
  }
  if (!done.ok()) {
    if (!stopping) {
      spdlog::warn("volume {}: automatic verification failed, to be tried "
                   "again in {}: {}",
                   volume_id, absl::FormatDuration(options_.retry_delay),
                   done.status().ToString());
    }
  } else if (done->corrupt_count() == 0) {
    spdlog::info("volume {}: verified {} needles ({} bytes), none corrupt",
                 volume_id, done->needles_checked(), done->bytes_checked());
  } else {
    for (const v1::CorruptNeedle& needle : done->corrupt()) {
      spdlog::error("volume {}: needle {:#x} at offset {} ({}): {}",
                    volume_id, needle.needle_id(), needle.offset(),
                    ObjectName(needle), needle.error());
    }
    spdlog::error("volume {}: {} of {} needles fail their checks; `warehouse "
                  "verify {}` lists them",
                  volume_id, done->corrupt_count(), done->needles_checked(),
                  volume_id);
  }
  absl::MutexLock lock(&mu_);
  running->done = true;
}

}  // namespace warehouse::master
