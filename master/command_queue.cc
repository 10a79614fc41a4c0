#include "master/command_queue.h"

#include <utility>
#include <vector>

#include "common/status_mapping.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {

uint64_t CommandQueue::Attach(const std::string& server_id, Writer write) {
  auto link = std::make_shared<Link>();
  {
    absl::MutexLock link_lock(&link->mu);
    link->write = std::move(write);
  }
  uint64_t number = 0;
  std::vector<v1::MasterCommand> resend;
  {
    absl::MutexLock lock(&mu_);
    number = ++last_attachment_;
    links_[number] = link;
    current_[server_id] = number;
    for (const auto& [id, pending] : pending_) {
      if (pending.server_id == server_id) resend.push_back(pending.command);
    }
  }
  if (!resend.empty()) {
    spdlog::info("volume server {}: re-sending {} unacknowledged commands",
                 server_id, resend.size());
  }
  for (const v1::MasterCommand& command : resend) WriteThrough(*link, command);
  return number;
}

void CommandQueue::Detach(uint64_t attachment) {
  std::shared_ptr<Link> link;
  {
    absl::MutexLock lock(&mu_);
    auto it = links_.find(attachment);
    if (it == links_.end()) return;
    link = std::move(it->second);
    links_.erase(it);
    for (auto current = current_.begin(); current != current_.end();
         ++current) {
      if (current->second == attachment) {
        current_.erase(current);
        break;
      }
    }
  }
  // Waits for a write in progress through this link.
  absl::MutexLock link_lock(&link->mu);
  link->write = nullptr;
}

uint64_t CommandQueue::Send(const std::string& server_id,
                            v1::MasterCommand command, Callback on_result) {
  std::shared_ptr<Link> link;
  uint64_t id = 0;
  {
    absl::MutexLock lock(&mu_);
    id = ++last_command_id_;
    command.set_command_id(id);
    Pending& pending = pending_[id];
    pending.server_id = server_id;
    pending.command = command;
    pending.on_result = std::move(on_result);
    auto current = current_.find(server_id);
    if (current != current_.end()) link = links_.at(current->second);
  }
  if (link != nullptr) WriteThrough(*link, command);
  return id;
}

void CommandQueue::WriteThrough(Link& link, const v1::MasterCommand& command) {
  absl::MutexLock link_lock(&link.mu);
  if (!link.write) return;  // detached; the next Attach sends it
  if (!link.write(command)) {
    spdlog::debug(
        "command {} not written: the stream broke; it is re-sent "
        "on reconnect",
        command.command_id());
  }
}

void CommandQueue::Complete(const std::string& server_id,
                            const v1::CommandResult& result) {
  Pending pending;
  {
    absl::MutexLock lock(&mu_);
    auto it = pending_.find(result.command_id());
    if (it == pending_.end()) {
      spdlog::debug(
          "volume server {}: result for command {}, which is not "
          "outstanding (answered before, or abandoned)",
          server_id, result.command_id());
      return;
    }
    if (it->second.server_id != server_id) {
      spdlog::warn(
          "volume server {}: result for command {}, which was sent "
          "to volume server {}; ignored",
          server_id, result.command_id(), it->second.server_id);
      return;
    }
    pending = std::move(it->second);
    pending_.erase(it);
  }
  if (!pending.on_result) return;
  CommandOutcome outcome;
  outcome.command_id = result.command_id();
  outcome.server_id = server_id;
  outcome.status = FromRpcStatus(result.status());
  outcome.bytes_reclaimed = result.bytes_reclaimed();
  pending.on_result(outcome);
}

bool CommandQueue::Abandon(uint64_t command_id) {
  absl::MutexLock lock(&mu_);
  return pending_.erase(command_id) > 0;
}

size_t CommandQueue::outstanding(absl::string_view server_id) const {
  absl::MutexLock lock(&mu_);
  size_t count = 0;
  for (const auto& [id, pending] : pending_) {
    if (pending.server_id == server_id) ++count;
  }
  return count;
}

size_t CommandQueue::outstanding() const {
  absl::MutexLock lock(&mu_);
  return pending_.size();
}

}  // namespace warehouse::master
