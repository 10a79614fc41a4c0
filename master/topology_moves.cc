// Topology: volumes moving between servers, and the stale copies moves
// leave behind (docs/master.md, "Moving a volume").
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "master/topology.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {

bool Topology::IgnoresCopy(const std::string& server_id,
                           uint32_t volume_id) const {
  if (stale_.count({volume_id, server_id})) return true;
  auto move = moves_.find(volume_id);
  return move != moves_.end() && !move->second.finished &&
         move->second.to == server_id;
}

absl::Status Topology::BeginMove(uint32_t volume_id,
                                 const std::string& to_server) {
  absl::MutexLock gate(&move_gate_);
  absl::MutexLock lock(&mu_);
  auto owner = volume_owner_.find(volume_id);
  if (owner == volume_owner_.end()) {
    return absl::NotFoundError(
        absl::StrCat("volume ", volume_id, " is on no known volume server"));
  }
  VolumeView& volume = servers_.at(owner->second).volumes.at(volume_id);
  if (moves_.count(volume_id)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "volume ", volume_id, " is already moving to volume server ",
        moves_.at(volume_id).to));
  }
  if (volume.compacting) {
    return absl::FailedPreconditionError(
        absl::StrCat("volume ", volume_id, " is compacting; move it after"));
  }
  moves_[volume_id] = Move{owner->second, to_server, false};
  volume.moving_to = to_server;
  return absl::OkStatus();
}

void Topology::WithoutNewMoves(absl::FunctionRef<void()> f) const {
  absl::ReaderMutexLock gate(&move_gate_);
  f();
}

absl::Status Topology::PrepareAdoption(uint32_t volume_id) {
  absl::MutexLock persist_lock(&persist_mu_);
  std::string to;
  {
    absl::MutexLock lock(&mu_);
    auto it = moves_.find(volume_id);
    if (it == moves_.end() || it->second.finished) {
      return absl::FailedPreconditionError(
          absl::StrCat("volume ", volume_id, " is not being moved"));
    }
    to = it->second.to;
  }
  // Not in stale_: while the move runs, moves_ keeps the target's copy
  // out, and a stale_ entry would have the copy dropped as it is adopted.
  return store_->AddStaleCopy(volume_id, to);
}

absl::Status Topology::FinishMove(uint32_t volume_id,
                                  const VolumeView& adopted) {
  absl::MutexLock persist_lock(&persist_mu_);
  Move move;
  {
    absl::MutexLock lock(&mu_);
    auto it = moves_.find(volume_id);
    if (it == moves_.end() || it->second.finished) {
      return absl::FailedPreconditionError(
          absl::StrCat("volume ", volume_id, " is not being moved"));
    }
    move = it->second;
  }
  RETURN_IF_ERROR(store_->MoveVolume(volume_id, move.from, move.to));
  absl::MutexLock lock(&mu_);
  moves_[volume_id].finished = true;
  auto from = servers_.find(move.from);
  if (from != servers_.end()) from->second.volumes.erase(volume_id);
  VolumeView& volume = servers_[move.to].volumes[volume_id];
  volume = adopted;
  volume.volume_id = volume_id;
  volume.moving_to = move.to;
  volume_owner_[volume_id] = move.to;
  stale_.erase({volume_id, move.to});
  stale_.insert({volume_id, move.from});
  unreported_.insert({volume_id, move.to});
  changed_.SignalAll();
  spdlog::info("volume {}: now served by volume server {}; the copy on {} "
               "is stale",
               volume_id, move.to, move.from);
  return absl::OkStatus();
}

void Topology::EndMove(uint32_t volume_id) {
  absl::MutexLock lock(&mu_);
  moves_.erase(volume_id);
  auto owner = volume_owner_.find(volume_id);
  if (owner == volume_owner_.end()) return;
  auto volume = servers_.at(owner->second).volumes.find(volume_id);
  if (volume != servers_.at(owner->second).volumes.end()) {
    volume->second.moving_to.clear();
  }
}

bool Topology::DeletesWait(absl::string_view server_id,
                           uint32_t volume_id) const {
  absl::MutexLock lock(&mu_);
  if (moves_.count(volume_id) > 0) return true;
  auto owner = volume_owner_.find(volume_id);
  return owner != volume_owner_.end() && owner->second != server_id;
}

absl::Status Topology::MarkStale(uint32_t volume_id,
                                 const std::string& server_id) {
  absl::MutexLock persist_lock(&persist_mu_);
  {
    absl::MutexLock lock(&mu_);
    stale_.insert({volume_id, server_id});
  }
  return store_->AddStaleCopy(volume_id, server_id);
}

absl::Status Topology::StaleCopyDropped(uint32_t volume_id,
                                        const std::string& server_id) {
  absl::MutexLock persist_lock(&persist_mu_);
  {
    absl::MutexLock lock(&mu_);
    stale_.erase({volume_id, server_id});
    auto server = servers_.find(server_id);
    if (server != servers_.end()) {
      std::vector<uint32_t>& held = server->second.stale_held;
      held.erase(std::remove(held.begin(), held.end(), volume_id), held.end());
    }
  }
  return store_->RemoveStaleCopy(volume_id, server_id);
}

std::vector<uint32_t> Topology::StaleCopiesToDrop(
    absl::string_view server_id) const {
  absl::MutexLock lock(&mu_);
  std::vector<uint32_t> droppable;
  auto server = servers_.find(server_id);
  if (server == servers_.end()) return droppable;
  for (uint32_t volume_id : server->second.stale_held) {
    auto owner = volume_owner_.find(volume_id);
    if (owner == volume_owner_.end() || owner->second == server_id) continue;
    const Server& holder = servers_.at(owner->second);
    if (holder.view.online && holder.volumes.count(volume_id)) {
      droppable.push_back(volume_id);
    }
  }
  return droppable;
}

}  // namespace warehouse::master
