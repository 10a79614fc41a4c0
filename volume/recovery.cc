#include "volume/recovery.h"

#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "common/coding.h"
#include "common/crc32c.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace warehouse::volume {
namespace {

// Serves small views of a file from a large buffer.
class BlockReader {
 public:
  BlockReader(File& file, uint64_t size) : file_(file), size_(size) {}

  // The bytes [pos, pos + n), clipped to the file's end.
  // REQUIRES: n <= kBlockSize.
  absl::StatusOr<absl::string_view> View(uint64_t pos, size_t n) {
    n = static_cast<size_t>(std::min<uint64_t>(n, size_ - pos));
    if (pos < at_ || pos + n > at_ + buffer_.size()) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(kBlockSize, size_ - pos));
      buffer_.resize(want);
      ASSIGN_OR_RETURN(size_t got, file_.ReadAt(pos, buffer_.data(), want));
      buffer_.resize(got);
      at_ = pos;
      n = std::min(n, got);
    }
    return absl::string_view(buffer_.data() + (pos - at_), n);
  }

  static constexpr size_t kBlockSize = 1 << 20;

 private:
  File& file_;
  const uint64_t size_;
  std::string buffer_;
  uint64_t at_ = 0;
};

// A needle whose header verifies and whose data does not.
struct CorruptNeedle {
  uint64_t offset;
  uint64_t id;
  uint64_t size;
};

enum class Verdict { kValid, kCorrupt, kNotANeedle, kTorn };

// Decides what lies at `pos`: a complete valid needle, one whose header
// verifies but whose data does not, one cut off by the end of the file, or
// nothing recognisable.
absl::StatusOr<Verdict> Inspect(BlockReader& reader, uint64_t pos,
                                uint64_t size, uint32_t salt,
                                NeedleHeader* header) {
  ASSIGN_OR_RETURN(absl::string_view head,
                   reader.View(pos, kMaxNeedleHeaderSize));
  if (head.size() < kNeedleHeaderSize ||
      DecodeFixed32(head.data()) != kNeedleMagic) {
    return Verdict::kNotANeedle;
  }
  absl::StatusOr<NeedleHeader> decoded = DecodeNeedleHeader(head, salt);
  if (!decoded.ok()) return Verdict::kNotANeedle;
  *header = *std::move(decoded);
  if (header->total_size() > size - pos) return Verdict::kTorn;
  if (header->padding()) return Verdict::kValid;
  uint32_t crc = 0;
  uint64_t at = pos + header->header_size();
  uint64_t left = header->data_size;
  while (left > 0) {
    ASSIGN_OR_RETURN(absl::string_view piece,
                     reader.View(at, static_cast<size_t>(std::min<uint64_t>(
                                         left, BlockReader::kBlockSize))));
    if (piece.empty()) return Verdict::kTorn;
    crc = crc32c::Extend(crc, piece.data(), piece.size());
    at += piece.size();
    left -= piece.size();
  }
  ASSIGN_OR_RETURN(absl::string_view footer, reader.View(at, kNeedleFooterSize));
  if (footer.size() < kNeedleFooterSize) return Verdict::kTorn;
  return DecodeFixed32(footer.data()) == crc ? Verdict::kValid
                                             : Verdict::kCorrupt;
}

}  // namespace

absl::StatusOr<ScanResult> ScanVolumeTail(
    File& file, uint32_t salt, uint64_t from,
    const std::function<void(uint64_t offset, const NeedleHeader& header)>&
        on_needle) {
  ASSIGN_OR_RETURN(uint64_t size, file.Size());
  BlockReader reader(file, size);
  ScanResult result;
  uint64_t pos = from;
  uint64_t torn_at = size;
  // A needle whose data fails its checksum is skipped as corrupt only once
  // a valid needle follows it. With none after it, it is the write a crash
  // cut short (its later blocks reached the disk and earlier ones did not,
  // or it landed in zeros written ahead of the volume's end), and it is
  // cut off with the rest of the tail.
  std::optional<CorruptNeedle> corrupt;
  auto settle_corrupt = [&] {
    if (!corrupt) return;
    ++result.corrupt;
    result.skipped_bytes += corrupt->size;
    spdlog::warn("{}: needle {:#x} at offset {}: data crc mismatch, skipped",
                 file.path(), corrupt->id, corrupt->offset);
    corrupt.reset();
  };
  while (pos < size) {
    NeedleHeader header;
    ASSIGN_OR_RETURN(Verdict verdict, Inspect(reader, pos, size, salt, &header));
    if (verdict == Verdict::kValid || verdict == Verdict::kCorrupt) {
      settle_corrupt();
      if (verdict == Verdict::kCorrupt) {
        corrupt = CorruptNeedle{pos, header.id, header.total_size()};
      } else if (header.padding()) {
        result.skipped_bytes += header.total_size();
      } else {
        header.tombstone() ? ++result.tombstones : ++result.needles;
        on_needle(pos, header);
      }
      pos += header.total_size();
      continue;
    }
    if (verdict == Verdict::kTorn) {
      torn_at = pos;
      break;
    }
    // Not a needle: look for the next valid one. What lies between is a
    // write that never finished while later ones did.
    uint64_t next = pos + kNeedleAlignment;
    bool found = false;
    for (; next + kMinNeedleSize <= size; next += kNeedleAlignment) {
      NeedleHeader candidate;
      ASSIGN_OR_RETURN(Verdict v,
                       Inspect(reader, next, size, salt, &candidate));
      if (v == Verdict::kValid || v == Verdict::kCorrupt) {
        found = true;
        break;
      }
    }
    if (!found) {
      torn_at = pos;
      break;
    }
    settle_corrupt();
    spdlog::warn("{}: {} unreadable bytes at offset {}, skipped", file.path(),
                 next - pos, pos);
    result.skipped_bytes += next - pos;
    pos = next;
  }
  if (corrupt) torn_at = corrupt->offset;
  if (torn_at < size) {
    result.truncated_bytes = size - torn_at;
    RETURN_IF_ERROR(file.Truncate(torn_at));
    RETURN_IF_ERROR(file.Sync());
    size = torn_at;
  }
  result.end = size;
  return result;
}

}  // namespace warehouse::volume
