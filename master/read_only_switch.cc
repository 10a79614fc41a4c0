#include "master/read_only_switch.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {
namespace {

// How often a wait for the server's answer looks whether it went offline.
constexpr absl::Duration kOnlineCheckInterval = absl::Milliseconds(100);

}  // namespace

absl::StatusOr<VolumeLocation> ReadOnlySwitch::Set(uint32_t volume_id,
                                                   bool read_only) {
  return Change(volume_id, read_only, /*for_move=*/false);
}

absl::StatusOr<VolumeLocation> ReadOnlySwitch::SetForMove(uint32_t volume_id,
                                                          bool read_only) {
  return Change(volume_id, read_only, /*for_move=*/true);
}

absl::StatusOr<VolumeLocation> ReadOnlySwitch::Change(uint32_t volume_id,
                                                      bool read_only,
                                                      bool for_move) {
  ASSIGN_OR_RETURN(const VolumeLocation location,
                   topology_->LocateVolume(volume_id));
  const std::string mode = read_only ? "read-only" : "writable";
  if (!location.volume.moving_to.empty() && !for_move) {
    return absl::FailedPreconditionError(absl::StrCat(
        "volume ", volume_id, " is being moved; it is made ", mode,
        " after"));
  }
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
  // Waits for the answer, looking now and then whether the server is
  // still there: one that went away will not answer before it reconnects.
  const absl::Time deadline = absl::Now() + timeout_;
  while (!answer->done.WaitForNotificationWithTimeout(std::min(
      kOnlineCheckInterval, std::max(deadline - absl::Now(),
                                     absl::ZeroDuration())))) {
    const bool online = topology_->IsOnline(location.server_id);
    if (online && absl::Now() < deadline) continue;
    // Not sent again when the server reconnects: the caller is told it
    // did not happen, or may not have.
    if (!commands_->Abandon(command_id)) {
      answer->done.WaitForNotification();  // the answer arrived just now
      break;
    }
    if (!online) {
      return absl::UnavailableError(absl::StrCat(
          "volume ", volume_id, ": volume server ", location.server_id,
          " went offline before it answered; the volume may or may not be ",
          mode, " (see ListVolumes once it is back)"));
    }
    return absl::DeadlineExceededError(absl::StrCat(
        "volume ", volume_id, ": volume server ", location.server_id,
        " did not answer within ", absl::FormatDuration(timeout_),
        "; the volume may or may not be ", mode, " (see ListVolumes)"));
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
