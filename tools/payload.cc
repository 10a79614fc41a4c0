#include "tools/payload.h"

#include <cassert>
#include <cstring>

#include "absl/strings/str_format.h"
#include "common/coding.h"

namespace warehouse::bench {

Payload::Payload(size_t size) : block_(size, '\0') {
  assert(size >= kStampSize);
  Random random(size);
  for (size_t i = 0; i < size; i += 8) {
    const uint64_t word = random.Next();
    for (size_t b = 0; b < 8 && i + b < size; ++b) {
      block_[i + b] = static_cast<char>(word >> (8 * b));
    }
  }
}

std::string Payload::For(uint64_t id) const {
  std::string out = block_;
  Restamp(id, &out);
  return out;
}

void Payload::Restamp(uint64_t id, std::string* buffer) {
  EncodeFixed64(buffer->data(), id);
}

absl::Status Payload::Check(absl::string_view store, uint64_t id,
                            absl::string_view data) const {
  if (data.size() != block_.size()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "self-check failed: %s object %d: read %d bytes, wrote %d", store, id,
        data.size(), block_.size()));
  }
  const uint64_t stamp = DecodeFixed64(data.data());
  if (stamp != id) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "self-check failed: %s object %d: read the bytes of object %d", store,
        id, stamp));
  }
  if (std::memcmp(data.data() + kStampSize, block_.data() + kStampSize,
                  data.size() - kStampSize) == 0) {
    return absl::OkStatus();
  }
  for (size_t i = kStampSize; i < data.size(); ++i) {
    if (data[i] != block_[i]) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "self-check failed: %s object %d: data differs at byte %d", store, id,
          i));
    }
  }
  return absl::OkStatus();
}

}  // namespace warehouse::bench
