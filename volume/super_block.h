// The first kSuperBlockSize bytes of every volume file: which volume this
// is, which compaction generation, and the salt of its needle headers.
// Layout in docs/needle_format.md.
#ifndef WAREHOUSE_VOLUME_SUPER_BLOCK_H_
#define WAREHOUSE_VOLUME_SUPER_BLOCK_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warehouse::volume {

struct SuperBlock {
  uint32_t volume_id = 0;
  uint64_t created_ms = 0;  // Unix time in milliseconds
  // Incremented by every compaction; the index file records the revision it
  // describes, so an index from before a compaction is never trusted.
  uint64_t compaction_revision = 0;
  // Seeds every needle header checksum in this volume, so bytes inside an
  // object's data cannot pass for a needle header when recovery scans.
  uint32_t salt = 0;

  std::string Encode() const;

  // Errors: DataLoss (short, bad magic, checksum mismatch),
  // FailedPrecondition (a version this binary does not know).
  static absl::StatusOr<SuperBlock> Decode(absl::string_view bytes);
};

}  // namespace warehouse::volume

#endif  // WAREHOUSE_VOLUME_SUPER_BLOCK_H_
