// The tail scan: how a volume finds the needles its index file does not know
// about after a crash (docs/needle_format.md, "Reading after a crash").
#ifndef WAREHOUSE_VOLUME_RECOVERY_H_
#define WAREHOUSE_VOLUME_RECOVERY_H_

#include <cstdint>
#include <functional>

#include "absl/status/statusor.h"
#include "common/file.h"
#include "volume/needle.h"

namespace warehouse::volume {

struct ScanResult {
  uint64_t needles = 0;          // complete, verified puts
  uint64_t tombstones = 0;
  uint64_t corrupt = 0;          // headers that verified over bad data
  uint64_t skipped_bytes = 0;    // padding, corrupt needles, unreadable gaps
  uint64_t truncated_bytes = 0;  // torn tail cut off the file
  uint64_t end = 0;              // the file's size afterwards
};

// Scans `file` from `from` (a needle boundary) to its end. Calls `on_needle`
// with the offset of every complete needle, put or tombstone, whose header
// and data checksums verify, in file order. Steps over padding and over
// needles whose data fails its checksum; over bytes that are no needle at
// all (zeros included), it resynchronises on the next valid needle header.
// Everything after the last valid needle, corrupt needles and unreadable
// bytes included, is a torn tail: it is cut off and the truncation synced.
// Errors: I/O errors only; bad bytes are never an error.
absl::StatusOr<ScanResult> ScanVolumeTail(
    File& file, uint32_t salt, uint64_t from,
    const std::function<void(uint64_t offset, const NeedleHeader& header)>&
        on_needle);

}  // namespace warehouse::volume

#endif  // WAREHOUSE_VOLUME_RECOVERY_H_
