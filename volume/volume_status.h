// Conversions between the engine's usage figures and their wire form.
#ifndef WAREHOUSE_VOLUME_VOLUME_STATUS_H_
#define WAREHOUSE_VOLUME_VOLUME_STATUS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/warehouse/common.pb.h"
#include "volume/volume.h"

namespace warehouse::volume {

v1::VolumeStatus ToVolumeStatus(const VolumeUsage& usage);

}  // namespace warehouse::volume

#endif  // WAREHOUSE_VOLUME_VOLUME_STATUS_H_
