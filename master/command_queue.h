// Commands for volume servers, kept until the server acknowledges them.
//
// The master tells a volume server what to do (create a volume, delete
// needles, compact) with MasterCommands written to the server's heartbeat
// stream. Each command gets an id unique for the master's lifetime and
// stays outstanding until a CommandResult with that id arrives; when a
// server's stream is attached again after a reconnect, every outstanding
// command for it is written again (volume servers treat commands as
// idempotent). docs/rpc.md describes the protocol.
#ifndef WAREHOUSE_MASTER_COMMAND_QUEUE_H_
#define WAREHOUSE_MASTER_COMMAND_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "proto/warehouse/master.pb.h"

namespace warehouse::master {

// What became of a command.
struct CommandOutcome {
  uint64_t command_id = 0;
  std::string server_id;
  absl::Status status;
  uint64_t bytes_reclaimed = 0;  // compactions only
};

// Thread-safe.
class CommandQueue {
 public:
  // Writes one command to a server's stream; false when the stream broke.
  using Writer = std::function<bool(const v1::MasterCommand& command)>;
  // Runs on the thread that received the result, outside the queue's
  // locks. It must not block for long: it holds up the server's stream.
  using Callback = std::function<void(const CommandOutcome& outcome)>;

  CommandQueue() = default;
  CommandQueue(const CommandQueue&) = delete;
  CommandQueue& operator=(const CommandQueue&) = delete;

  // Makes `write` the way to reach `server_id`, replacing any previous
  // attachment, and writes every outstanding command for the server, oldest
  // first. Returns an attachment number for Detach.
  uint64_t Attach(const std::string& server_id, Writer write)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Stops writing through attachment `attachment`; waits for a write in
  // progress on it, so its writer may be destroyed once this returns.
  // Outstanding commands stay queued for the next Attach.
  void Detach(uint64_t attachment) ABSL_LOCKS_EXCLUDED(mu_);

  // Assigns `command` an id, queues it for `server_id` and writes it now if
  // the server is attached. `on_result` runs when the result arrives.
  // Returns the id.
  uint64_t Send(const std::string& server_id, v1::MasterCommand command,
                Callback on_result) ABSL_LOCKS_EXCLUDED(mu_);

  // Delivers a result received from `server_id`. A result for an unknown
  // id (already answered, abandoned, or never sent) or from another server
  // than the command's is logged and dropped.
  void Complete(const std::string& server_id, const v1::CommandResult& result)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Forgets an outstanding command; its callback never runs. Returns
  // whether it was outstanding.
  bool Abandon(uint64_t command_id) ABSL_LOCKS_EXCLUDED(mu_);

  // Commands sent and not yet answered, for one server or all.
  size_t outstanding(absl::string_view server_id) const
      ABSL_LOCKS_EXCLUDED(mu_);
  size_t outstanding() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // One attachment of a stream. Shared between the queue and the threads
  // writing through it, so that Detach can wait out a write in progress
  // without holding the queue's lock across it.
  struct Link {
    absl::Mutex mu;
    Writer write ABSL_GUARDED_BY(mu);  // empty once detached
  };
  struct Pending {
    std::string server_id;
    v1::MasterCommand command;
    Callback on_result;
  };

  // Writes `command` through `link` unless it was detached.
  static void WriteThrough(Link& link, const v1::MasterCommand& command);

  mutable absl::Mutex mu_;
  uint64_t last_command_id_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_attachment_ ABSL_GUARDED_BY(mu_) = 0;
  // Outstanding commands by id (ids grow, so this is oldest first).
  std::map<uint64_t, Pending> pending_ ABSL_GUARDED_BY(mu_);
  // Every attachment not yet detached, by number; a server's newest one is
  // current_[server_id].
  std::map<uint64_t, std::shared_ptr<Link>> links_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t, std::less<>> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_COMMAND_QUEUE_H_
