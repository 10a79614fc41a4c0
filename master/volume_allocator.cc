#include "master/volume_allocator.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {
namespace {

// The bytes `volume` holds, counting what was reserved since its last
// report.
uint64_t Used(const VolumeView& volume) {
  return volume.size_bytes + volume.reserved_bytes;
}

// Whether `volume` has room for `size` bytes plus `slack`, counting what
// was reserved since its last report. Overflow-safe.
bool HasRoom(const VolumeView& volume, uint64_t size, uint64_t slack) {
  const uint64_t used = Used(volume);
  if (used < volume.size_bytes || used > volume.max_size_bytes) return false;
  const uint64_t room = volume.max_size_bytes - used;
  return room >= slack && room - slack >= size;
}

// Whether `server` holds a volume that could take `size` bytes.
bool HasWritableVolume(const ServerView& server, uint64_t size,
                       uint64_t slack) {
  for (const VolumeView& volume : server.volumes) {
    if (!volume.read_only && !volume.compacting && volume.moving_to.empty() &&
        HasRoom(volume, size, slack)) {
      return true;
    }
  }
  return false;
}

bool HasFreeSlot(const ServerView& server) {
  return server.volumes.size() < server.max_volumes;
}

}  // namespace

VolumeAllocator::VolumeAllocator(Topology* topology, MetadataStore* store,
                                 CommandQueue* commands, Options options)
    : topology_(topology),
      store_(store),
      commands_(commands),
      options_(options) {}

absl::StatusOr<Placement> VolumeAllocator::Allocate(uint64_t size) {
  int probe_fits = 0;
  int idle_servers = 0;
  absl::StatusOr<Placement> placement = Pick(size, &probe_fits, &idle_servers);
  if (placement.ok()) {
    if (probe_fits < options_.min_writable_volumes || idle_servers > 0) {
      // Grow ahead of need; this upload does not wait for it.
      absl::StatusOr<uint32_t> grown = Grow();
      if (!grown.ok()) {
        spdlog::debug("volume growth ahead of need not started: {}",
                      grown.status().ToString());
      }
    }
    topology_->Reserve(placement->volume_id, size);
    return placement;
  }
  ASSIGN_OR_RETURN(const uint32_t volume_id, Grow());
  const absl::Time deadline = absl::Now() + options_.growth_timeout;
  if (!topology_->AwaitVolume(volume_id, deadline)) {
    return absl::UnavailableError(absl::StrCat(
        "no writable volume has room for ", size, " bytes, and new volume ",
        volume_id, " was not reported by its server within ",
        absl::FormatDuration(options_.growth_timeout), "; retry"));
  }
  placement = Pick(size, &probe_fits, &idle_servers);
  if (!placement.ok()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("no volume has room for ", size,
                     " bytes, not even new volume ", volume_id));
  }
  topology_->Reserve(placement->volume_id, size);
  return placement;
}

absl::StatusOr<Placement> VolumeAllocator::Pick(uint64_t size,
                                                int* probe_fits,
                                                int* idle_servers) {
  *probe_fits = 0;
  *idle_servers = 0;
  // Each server's least used volume that can take the object.
  std::vector<Placement> candidates;
  for (const ServerView& server : topology_->Servers()) {
    if (!server.online || server.draining) continue;
    bool server_fits_probe = false;
    const VolumeView* best = nullptr;
    for (const VolumeView& volume : server.volumes) {
      if (volume.read_only || volume.compacting || !volume.moving_to.empty()) {
        continue;
      }
      if (HasRoom(volume, options_.growth_probe_bytes, options_.slack_bytes)) {
        ++*probe_fits;
        server_fits_probe = true;
      }
      if (!HasRoom(volume, size, options_.slack_bytes)) continue;
      if (best == nullptr || Used(volume) < Used(*best)) best = &volume;
    }
    if (!server_fits_probe && HasFreeSlot(server)) ++*idle_servers;
    if (best != nullptr) {
      candidates.push_back(Placement{best->volume_id, server.server_id,
                                     server.public_address, server.http_tls});
    }
  }
  if (candidates.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no writable volume has room for ", size, " bytes"));
  }
  // The servers take turns.
  const uint64_t turn = next_turn_.fetch_add(1, std::memory_order_relaxed);
  return std::move(candidates[turn % candidates.size()]);
}

absl::StatusOr<uint32_t> VolumeAllocator::Grow() {
  absl::MutexLock grow_lock(&grow_mu_);
  const absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    PruneGrowths(now);
    if (!growths_.empty()) return growths_.begin()->first;
  }
  int online = 0;
  int draining = 0;
  const ServerView* chosen = nullptr;
  bool chosen_idle = false;
  int chosen_free = 0;
  const std::vector<ServerView> servers = topology_->Servers();
  for (const ServerView& server : servers) {
    if (!server.online) continue;
    ++online;
    if (server.draining) ++draining;
    if (server.draining || !HasFreeSlot(server)) continue;
    // A server no upload could use (one just added) first, then the most
    // free slots, then the most free disk.
    const bool idle = !HasWritableVolume(server, options_.growth_probe_bytes,
                                         options_.slack_bytes);
    const int free_slots = static_cast<int>(server.max_volumes) -
                           static_cast<int>(server.volumes.size());
    if (chosen == nullptr || (idle && !chosen_idle) ||
        (idle == chosen_idle &&
         (free_slots > chosen_free ||
          (free_slots == chosen_free &&
           server.disk_free_bytes > chosen->disk_free_bytes)))) {
      chosen = &server;
      chosen_idle = idle;
      chosen_free = free_slots;
    }
  }
  if (online == 0) {
    return absl::UnavailableError(
        "no volume server is online: start one, or check that volume "
        "servers reach the master with the cluster key");
  }
  if (chosen == nullptr && draining == online) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "all ", online,
        " online volume servers are draining: undrain one or add a volume "
        "server"));
  }
  if (chosen == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "all ", online,
        " online volume servers hold their maximum number of volumes "
        "(or are draining), and no volume has room: add a volume server "
        "or compact volumes"));
  }
  ASSIGN_OR_RETURN(const VolumeRecord record,
                   store_->CreateVolumeRecord(chosen->server_id));
  const uint32_t volume_id = record.volume_id;
  {
    absl::MutexLock lock(&mu_);
    growths_[volume_id] = Growth{chosen->server_id, now, 0};
  }
  v1::MasterCommand command;
  command.mutable_create_volume()->set_volume_id(volume_id);
  const uint64_t command_id =
      commands_->Send(chosen->server_id, std::move(command),
                      [this, volume_id](const CommandOutcome& outcome) {
                        OnCreated(volume_id, outcome);
                      });
  {
    absl::MutexLock lock(&mu_);
    auto it = growths_.find(volume_id);
    if (it != growths_.end()) it->second.command_id = command_id;
  }
  spdlog::info("volume {}: asked volume server {} to create it (command {})",
               volume_id, chosen->server_id, command_id);
  return volume_id;
}

void VolumeAllocator::PruneGrowths(absl::Time now) {
  for (auto it = growths_.begin(); it != growths_.end();) {
    const bool reported = topology_->LocateVolume(it->first).ok();
    const bool timed_out = now - it->second.started > options_.growth_timeout;
    if (timed_out && !reported) {
      spdlog::warn("volume {}: volume server {} did not report it within {}",
                   it->first, it->second.server_id,
                   absl::FormatDuration(options_.growth_timeout));
    }
    if (reported || timed_out) {
      it = growths_.erase(it);
    } else {
      ++it;
    }
  }
}

void VolumeAllocator::OnCreated(uint32_t volume_id,
                                const CommandOutcome& outcome) {
  if (outcome.status.ok()) {
    spdlog::info("volume {}: created by volume server {}", volume_id,
                 outcome.server_id);
    return;  // counts as in progress until a heartbeat reports it
  }
  spdlog::warn("volume {}: volume server {} failed to create it: {}", volume_id,
               outcome.server_id, outcome.status.ToString());
  absl::MutexLock lock(&mu_);
  growths_.erase(volume_id);
}

int VolumeAllocator::growths_in_progress() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(growths_.size());
}

}  // namespace warehouse::master
