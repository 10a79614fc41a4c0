#include "volume/recovery.h"

#include <algorithm>
#include <string>
#include <vector>

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
  // Whatever follows the last valid needle (padding and tombstones count)
  // is torn, corrupt needles and unreadable gaps included: with no valid
  // needle after them, they are writes a crash cut short (a needle whose
  // later blocks reached the disk and earlier ones did not, or whose header
  // landed in zeros written ahead of the volume's end). So what is skipped
  // counts, and is logged, only once a valid needle follows it; `settled`
  // is the result as of the end of the last valid needle.
  ScanResult settled;
  uint64_t valid_end = from;
  std::vector<std::string> warnings;
  while (pos < size) {
    NeedleHeader header;
    ASSIGN_OR_RETURN(Verdict verdict, Inspect(reader, pos, size, salt, &header));
    if (verdict == Verdict::kCorrupt) {
      ++result.corrupt;
      result.skipped_bytes += header.total_size();
      warnings.push_back(absl::StrFormat(
          "%s: needle %#x at offset %d: data crc mismatch, skipped",
          file.path(), header.id, pos));
      pos += header.total_size();
      continue;
    }
    if (verdict == Verdict::kValid) {
      if (header.padding()) {
        result.skipped_bytes += header.total_size();
      } else {
        header.tombstone() ? ++result.tombstones : ++result.needles;
        on_needle(pos, header);
      }
      pos += header.total_size();
      for (const std::string& warning : warnings) spdlog::warn("{}", warning);
      warnings.clear();
      settled = result;
      valid_end = pos;
      continue;
    }
    if (verdict == Verdict::kTorn) break;
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
    if (!found) break;
    warnings.push_back(absl::StrFormat("%s: %d unreadable bytes at offset %d, skipped",
                                       file.path(), next - pos, pos));
    result.skipped_bytes += next - pos;
    pos = next;
  }
  result = settled;
  if (valid_end < size) {
    result.truncated_bytes = size - valid_end;
    RETURN_IF_ERROR(file.Truncate(valid_end));
    RETURN_IF_ERROR(file.Sync());
    size = valid_end;
  }
  result.end = size;
  return result;
}

}  // namespace warehouse::volume
