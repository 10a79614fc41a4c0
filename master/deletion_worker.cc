#include "master/deletion_worker.h"

#include <algorithm>
#include <utility>

#include "common/crash_point.h"
#include "common/file_id.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {

DeletionWorker::DeletionWorker(MetadataStore* store, Topology* topology,
                               CommandQueue* commands, Options options)
    : store_(store),
      topology_(topology),
      commands_(commands),
      options_(options) {}

DeletionWorker::~DeletionWorker() { Stop(); }

void DeletionWorker::Start() {
  passes_.Start(options_.interval, [this] { RunOnce(absl::Now()); },
                PeriodicThread::First::kAtOnce);
}

void DeletionWorker::Stop() { passes_.Stop(); }

void DeletionWorker::RunOnce(absl::Time now) {
  bool expire = false;
  {
    absl::MutexLock lock(&mu_);
    if (now >= next_expiry_) {
      expire = true;
      next_expiry_ = now + options_.expire_interval;
    }
  }
  if (expire) {
    absl::StatusOr<int64_t> expired = store_->ExpireUploads(now);
    if (!expired.ok()) {
      spdlog::warn("expiring uploads failed: {}", expired.status().ToString());
    } else if (*expired > 0) {
      spdlog::info("{} uploads expired; their needles are queued for deletion",
                   *expired);
      absl::MutexLock lock(&mu_);
      stats_.uploads_expired += static_cast<uint64_t>(*expired);
    }
  }
  for (const ServerView& server : topology_->Servers()) {
    if (server.online) SendDeletes(server.server_id, now);
  }
}

void DeletionWorker::SendDeletes(const std::string& server_id, absl::Time now) {
  {
    absl::MutexLock lock(&mu_);
    auto it = in_flight_.find(server_id);
    if (it != in_flight_.end()) {
      if (now - it->second.sent <= options_.command_timeout ||
          it->second.command_id == 0) {
        return;
      }
      spdlog::warn(
          "volume server {}: delete command {} unanswered for {}; "
          "its deletes come due again later",
          server_id, it->second.command_id,
          absl::FormatDuration(options_.command_timeout));
      commands_->Abandon(it->second.command_id);
      in_flight_.erase(it);
    }
  }
  absl::StatusOr<std::vector<NeedleDelete>> due =
      store_->TakeDueDeletes(server_id, now, options_.batch);
  if (!due.ok()) {
    spdlog::warn("volume server {}: taking due deletes failed: {}", server_id,
                 due.status().ToString());
    return;
  }
  std::vector<int64_t> delete_ids;
  uint64_t command_id = 0;
  // A moving or just moved volume's deletes wait: one carried out on the
  // copy being left behind would be lost with it. Not sent, they come due
  // again once the store's lease on them runs out, and go to where the
  // volume is then. The others are on the server's stream before any move
  // begins, so they are in its copy.
  topology_->WithoutNewMoves([&] {
    due->erase(std::remove_if(due->begin(), due->end(),
                              [&](const NeedleDelete& entry) {
                                return topology_->DeletesWait(
                                    server_id, entry.needle.volume_id);
                              }),
               due->end());
    if (due->empty()) return;
    v1::MasterCommand command;
    delete_ids.reserve(due->size());
    for (const NeedleDelete& entry : *due) {
      delete_ids.push_back(entry.delete_id);
      const FileId file_id{entry.needle.volume_id, entry.needle.needle_id,
                           entry.needle.cookie};
      command.mutable_delete_needles()->add_file_ids(file_id.ToString());
    }
    {
      absl::MutexLock lock(&mu_);
      in_flight_[server_id] = InFlight{0, now};
    }
    command_id = commands_->Send(
        server_id, std::move(command),
        [this, delete_ids](const CommandOutcome& outcome) {
          OnResult(delete_ids, outcome);
        });
  });
  if (delete_ids.empty()) return;
  CRASH_POINT(kMasterDeletesAfterSend);
  absl::MutexLock lock(&mu_);
  ++stats_.commands_sent;
  auto it = in_flight_.find(server_id);
  // The result may have arrived already and cleared the entry.
  if (it != in_flight_.end() && it->second.command_id == 0) {
    it->second.command_id = command_id;
  }
  spdlog::debug("volume server {}: command {} deletes {} needles", server_id,
                command_id, delete_ids.size());
}

void DeletionWorker::OnResult(const std::vector<int64_t>& delete_ids,
                              const CommandOutcome& outcome) {
  absl::Status recorded;
  if (outcome.status.ok()) {
    CRASH_POINT(kMasterDeletesBeforeMark);
    recorded = store_->MarkDeleted(delete_ids);
  } else {
    spdlog::warn(
        "volume server {}: delete command {} failed: {}; retrying "
        "its {} needles later",
        outcome.server_id, outcome.command_id, outcome.status.ToString(),
        delete_ids.size());
    recorded = store_->RetryLater(delete_ids, absl::Now());
  }
  if (!recorded.ok()) {
    // The store's lease hands the deletes out again; deleting twice is
    // harmless.
    spdlog::warn(
        "volume server {}: outcome of delete command {} not "
        "recorded: {}",
        outcome.server_id, outcome.command_id, recorded.ToString());
  }
  absl::MutexLock lock(&mu_);
  auto it = in_flight_.find(outcome.server_id);
  if (it != in_flight_.end() && (it->second.command_id == outcome.command_id ||
                                 it->second.command_id == 0)) {
    in_flight_.erase(it);
  }
  if (recorded.ok()) {
    (outcome.status.ok() ? stats_.needles_deleted : stats_.needles_retried) +=
        delete_ids.size();
  }
}

DeletionWorker::Stats DeletionWorker::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace warehouse::master
