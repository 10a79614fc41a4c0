// Volume: reads. A needle of up to kSmallNeedle bytes is read with one pread
// and verified whole; a larger one is streamed in chunks from its header on.
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/coding.h"
#include "common/crc32c.h"
#include "common/status_macros.h"
#include "volume/needle_format.h"
#include "volume/volume.h"

namespace warehouse::volume {
namespace {

constexpr uint64_t kSmallNeedle = 256 << 10;

}  // namespace

absl::StatusOr<NeedleReader> Volume::OpenNeedle(uint64_t id,
                                                uint32_t cookie) const {
  NeedleLocation location;
  std::shared_ptr<File> file;
  {
    absl::ReaderMutexLock lock(&mu_);
    std::optional<NeedleLocation> found = index_.Get(id);
    if (!found) {
      return absl::NotFoundError(
          absl::StrFormat("volume %d: needle %#x not found", id_, id));
    }
    location = *found;
    file = data_;
  }
  return OpenNeedleAt(std::move(file), id, location, cookie);
}

absl::StatusOr<NeedleReader> Volume::OpenNeedleAt(
    std::shared_ptr<File> file, uint64_t id, NeedleLocation location,
    std::optional<uint32_t> cookie) const {
  NeedleReader reader;
  reader.file_ = std::move(file);
  const bool small = location.size <= kSmallNeedle;
  std::string bytes(small ? location.size
                          : std::min<uint64_t>(location.size,
                                               kMaxNeedleHeaderSize),
                    '\0');
  RETURN_IF_ERROR(
      ReadExactly(*reader.file_, location.offset, bytes.data(), bytes.size()));
  ASSIGN_OR_RETURN(NeedleHeader header, DecodeNeedleHeader(bytes, salt_));
  if (header.id != id || header.total_size() != location.size ||
      header.tombstone() || header.padding()) {
    return absl::DataLossError(absl::StrFormat(
        "volume %d: needle %#x at offset %d: index and volume disagree "
        "(found needle %#x of %d bytes)",
        id_, id, location.offset, header.id, header.total_size()));
  }
  if (cookie.has_value() && header.cookie != *cookie) {
    return absl::NotFoundError(
        absl::StrFormat("volume %d: needle %#x not found", id_, id));
  }
  reader.info_.id = id;
  reader.info_.cookie = header.cookie;
  reader.info_.size = header.data_size;
  reader.info_.content_type = header.content_type;
  reader.info_.last_modified_ms = header.last_modified_ms;
  reader.data_offset_ = location.offset + header.header_size();
  if (small) {
    absl::string_view data;
    absl::StatusOr<NeedleHeader> verified = DecodeNeedle(bytes, salt_, &data);
    if (!verified.ok()) {
      return absl::DataLossError(absl::StrFormat(
          "volume %d: at offset %d: %s", id_, location.offset,
          verified.status().message()));
    }
    reader.whole_ = std::move(bytes);
    reader.whole_data_at_ = header.header_size();
    reader.info_.crc32c =
        DecodeFixed32(&reader.whole_[header.header_size() + header.data_size]);
  } else {
    char footer[kNeedleFooterSize];
    RETURN_IF_ERROR(ReadExactly(*reader.file_,
                                reader.data_offset_ + header.data_size, footer,
                                sizeof(footer)));
    reader.info_.crc32c = DecodeFixed32(footer);
  }
  return reader;
}

absl::StatusOr<std::vector<NeedleInfo>> Volume::ListNeedles(
    uint64_t after, size_t limit) const {
  std::vector<std::pair<uint64_t, NeedleLocation>> found;
  std::shared_ptr<File> file;
  if (after == UINT64_MAX || limit == 0) return std::vector<NeedleInfo>();
  {
    absl::ReaderMutexLock lock(&mu_);
    // The locations point into this file; a compaction that switches files
    // meanwhile leaves it open (and unchanged) for as long as it is held.
    file = data_;
    index_.ForEachFrom(after + 1, [&](uint64_t id, NeedleLocation location) {
      found.emplace_back(id, location);
      return found.size() < limit;
    });
  }
  std::vector<NeedleInfo> needles;
  needles.reserve(found.size());
  std::string bytes;
  for (const auto& [id, location] : found) {
    bytes.assign(std::min<uint64_t>(location.size, kMaxNeedleHeaderSize), '\0');
    RETURN_IF_ERROR(ReadExactly(*file, location.offset, bytes.data(), bytes.size()));
    ASSIGN_OR_RETURN(NeedleHeader header, DecodeNeedleHeader(bytes, salt_));
    if (header.id != id || header.total_size() != location.size ||
        header.tombstone() || header.padding()) {
      return absl::DataLossError(absl::StrFormat(
          "volume %d: needle %#x at offset %d: index and volume disagree "
          "(found needle %#x of %d bytes)",
          id_, id, location.offset, header.id, header.total_size()));
    }
    NeedleInfo& info = needles.emplace_back();
    info.id = id;
    info.cookie = header.cookie;
    info.size = header.data_size;
    info.content_type = std::move(header.content_type);
    info.last_modified_ms = header.last_modified_ms;
  }
  return needles;
}

absl::Status NeedleReader::Read(
    uint64_t begin, uint64_t length,
    const std::function<absl::Status(absl::string_view)>& sink) const {
  if (begin > info_.size || length > info_.size - begin) {
    return absl::OutOfRangeError(absl::StrFormat(
        "needle %#x: range %d+%d is past its %d bytes", info_.id, begin,
        length, info_.size));
  }
  if (!whole_.empty()) {
    // Verified when it was read.
    absl::string_view data(whole_.data() + whole_data_at_, info_.size);
    for (uint64_t at = begin; at < begin + length; at += kReadChunk) {
      RETURN_IF_ERROR(sink(data.substr(
          at, std::min<uint64_t>(kReadChunk, begin + length - at))));
    }
    return absl::OkStatus();
  }
  const bool whole = begin == 0 && length == info_.size;
  uint32_t crc = 0;
  std::string chunk(std::min<uint64_t>(kReadChunk, std::max<uint64_t>(length, 1)),
                    '\0');
  for (uint64_t at = begin; at < begin + length;) {
    size_t n = std::min<uint64_t>(chunk.size(), begin + length - at);
    RETURN_IF_ERROR(ReadExactly(*file_, data_offset_ + at, chunk.data(), n));
    absl::string_view piece(chunk.data(), n);
    at += n;
    if (whole) {
      crc = crc32c::Extend(crc, piece.data(), piece.size());
      // Check before the last chunk goes out: a receiver never gets the
      // whole of a needle that fails its checksum, only a truncated body.
      if (at == begin + length && crc != info_.crc32c) {
        return absl::DataLossError(absl::StrFormat(
            "needle %#x: data crc mismatch (stored %#010x, computed %#010x)",
            info_.id, info_.crc32c, crc));
      }
    }
    RETURN_IF_ERROR(sink(piece));
  }
  return absl::OkStatus();
}

std::optional<absl::string_view> NeedleReader::InMemory(
    uint64_t begin, uint64_t length) const {
  if (whole_.empty() || begin > info_.size || length > info_.size - begin) {
    return std::nullopt;
  }
  return absl::string_view(whole_.data() + whole_data_at_ + begin, length);
}

absl::StatusOr<std::string> NeedleReader::ReadAll() const {
  std::string out;
  out.reserve(info_.size);
  RETURN_IF_ERROR(Read(0, info_.size, [&out](absl::string_view piece) {
    out.append(piece.data(), piece.size());
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace warehouse::volume
