#include "master/read_only_switch.h"

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {

absl::StatusOr<VolumeLocation> ReadOnlySwitch::Set(uint32_t volume_id,
                                                   bool read_only) {
  ASSIGN_OR_RETURN(const VolumeLocation location,
                   topology_->LocateVolume(volume_id));
  const std::string mode = read_only ? "read-only" : "writable";
  if (!location.online) {
    return absl::UnavailableError(absl::StrCat(
        "volume ", volume_id, ": its volume server ", location.server_id,
        " is offline; it cannot be made ", mode, " now"));
  }
  // Shared with the callback, which may run after a timeout returned.
  struct Answer {
    absl::Notification done;
    absl::Status status;
  };
  auto answer = std::make_shared<Answer>();
  v1::MasterCommand command;
  command.mutable_set_read_only()->set_volume_id(volume_id);
  command.mutable_set_read_only()->set_read_only(read_only);
  const uint64_t command_id = commands_->Send(
      location.server_id, std::move(command),
      [answer](const CommandOutcome& outcome) {
        answer->status = outcome.status;
        answer->done.Notify();
      });
  if (!answer->done.WaitForNotificationWithTimeout(timeout_)) {
    // Not sent again when the server reconnects: the caller was told it
    // did not happen.
    if (commands_->Abandon(command_id)) {
      return absl::DeadlineExceededError(absl::StrCat(
          "volume ", volume_id, ": volume server ", location.server_id,
          " did not answer within ", absl::FormatDuration(timeout_),
          "; the volume may or may not be ", mode, " (see ListVolumes)"));
    }
    // The answer arrived just now.
    answer->done.WaitForNotification();
  }
  if (!answer->status.ok()) {
    return absl::Status(answer->status.code(),
                        absl::StrCat("volume server ", location.server_id,
                                     ": ", answer->status.message()));
  }
  spdlog::info("volume {}: {} on volume server {} (command {})", volume_id,
               mode, location.server_id, command_id);
  return topology_->LocateVolume(volume_id);
}

}  // namespace warehouse::master
