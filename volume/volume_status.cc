#include "volume/volume_status.h"

namespace warehouse::volume {

v1::VolumeStatus ToVolumeStatus(const VolumeUsage& usage) {
  v1::VolumeStatus status;
  status.set_volume_id(usage.volume_id);
  status.set_size_bytes(usage.file_size);
  status.set_live_bytes(usage.live_bytes);
  status.set_garbage_bytes(usage.garbage_bytes);
  status.set_needle_count(usage.needle_count);
  status.set_read_only(usage.read_only);
  status.set_compacting(usage.compacting);
  status.set_max_size_bytes(usage.max_size);
  status.set_max_needle_id(usage.max_needle_id);
  status.set_compaction_copied_bytes(usage.compaction_copied_bytes);
  status.set_compaction_total_bytes(usage.compaction_total_bytes);
  return status;
}

}  // namespace warehouse::volume
