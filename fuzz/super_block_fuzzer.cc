// Fuzzes the super block decoder, SuperBlock::Decode (volume/super_block.h).
//
// Input: one mode byte, then the bytes to decode. Mode bit 0 rewrites the
// checksum first, so that the fuzzer reaches the version check behind it.
//
// Invariants: decoding fails only with DataLoss (short, bad magic, checksum)
// or FailedPrecondition (unknown version); a super block that decodes
// encodes back to the input's first 36 bytes (the reserved bytes after them
// are written as zeros and not read) and decodes again to the same fields.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "fuzz/volume_formats.h"
#include "volume/needle_format.h"
#include "volume/super_block.h"

namespace warehouse::fuzz {
namespace {

using volume::SuperBlock;

constexpr uint8_t kFixChecksum = 1 << 0;
// docs/needle_format.md: the reserved bytes start after the salt.
constexpr size_t kReservedOffset = volume::kSuperBlockSaltOffset + 4;

bool SameSuperBlock(const SuperBlock& a, const SuperBlock& b) {
  return a.volume_id == b.volume_id && a.created_ms == b.created_ms &&
         a.compaction_revision == b.compaction_revision && a.salt == b.salt;
}

void FuzzOneInput(absl::string_view input) {
  if (input.empty()) return;
  const uint8_t mode = static_cast<uint8_t>(input[0]);
  std::string bytes(input.substr(1));
  if (mode & kFixChecksum) FixSuperBlockChecksum(&bytes);

  absl::StatusOr<SuperBlock> decoded = SuperBlock::Decode(bytes);
  if (!decoded.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(decoded.status()) ||
               absl::IsFailedPrecondition(decoded.status()));
    return;
  }
  FUZZ_CHECK(bytes.size() >= volume::kSuperBlockSize);
  const std::string encoded = decoded->Encode();
  FUZZ_CHECK(encoded.size() == volume::kSuperBlockSize);
  FUZZ_CHECK(encoded.compare(0, kReservedOffset, bytes, 0, kReservedOffset) ==
             0);
  absl::StatusOr<SuperBlock> again = SuperBlock::Decode(encoded);
  FUZZ_CHECK_OK(again.status());
  FUZZ_CHECK(SameSuperBlock(*again, *decoded));
}

}  // namespace
}  // namespace warehouse::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  warehouse::fuzz::FuzzOneInput(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
