// Marking a volume read-only, or writable again, at an operator's request.
//
// The choice travels as a SetReadOnlyCommand on the volume server's
// heartbeat stream, as compactions do. The server records it next to the
// volume, so it survives restarts, and sends a heartbeat showing the
// change before the command's result: once Set returns, placement and
// ListVolumes see the volume as it now is.
#ifndef WAREHOUSE_MASTER_READ_ONLY_SWITCH_H_
#define WAREHOUSE_MASTER_READ_ONLY_SWITCH_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "master/command_queue.h"
#include "master/topology.h"

namespace warehouse::master {

// Thread-safe. `*topology` and `*commands` must outlive it.
class ReadOnlySwitch {
 public:
  // `timeout` bounds how long Set waits for the server's answer.
  ReadOnlySwitch(Topology* topology, CommandQueue* commands,
                 absl::Duration timeout)
      : topology_(topology), commands_(commands), timeout_(timeout) {}
  ReadOnlySwitch(const ReadOnlySwitch&) = delete;
  ReadOnlySwitch& operator=(const ReadOnlySwitch&) = delete;

  // Has the server holding `volume_id` make it read-only (or writable) and
  // returns the volume as the master then sees it. Errors: NotFound (no
  // server holds it); Unavailable (its server is offline, or went offline
  // before it answered); DeadlineExceeded (no answer within the timeout);
  // the server's errors (FailedPrecondition for writable asked of a volume
  // read-only after an I/O error); FailedPrecondition while the volume
  // moves (its mover decides). Without an answer the command is dropped,
  // but the server may have carried it out.
  absl::StatusOr<VolumeLocation> Set(uint32_t volume_id, bool read_only);
  // Set, for the VolumeMover of a volume that is moving.
  absl::StatusOr<VolumeLocation> SetForMove(uint32_t volume_id,
                                            bool read_only);

 private:
  absl::StatusOr<VolumeLocation> Change(uint32_t volume_id, bool read_only,
                                        bool for_move);

  // Immutable after construction.
  Topology* const topology_;
  CommandQueue* const commands_;
  const absl::Duration timeout_;
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_READ_ONLY_SWITCH_H_
