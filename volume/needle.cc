#include "volume/needle.h"

#include <cassert>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/coding.h"
#include "common/crc32c.h"

namespace warehouse::volume {
namespace {

uint32_t HeaderCrc(uint32_t salt, absl::string_view checked) {
  char salt_bytes[4];
  EncodeFixed32(salt_bytes, salt);
  uint32_t crc = crc32c::Value(salt_bytes, sizeof(salt_bytes));
  return crc32c::Extend(crc, checked.data(), checked.size());
}

}  // namespace

std::string EncodeNeedleHeader(const NeedleHeader& header, uint32_t salt) {
  assert(header.content_type.size() <= kMaxContentTypeSize);
  std::string out(kNeedleHeaderSize, '\0');
  EncodeFixed32(&out[kNeedleMagicOffset], kNeedleMagic);
  EncodeFixed64(&out[kNeedleIdOffset], header.id);
  EncodeFixed32(&out[kNeedleCookieOffset], header.cookie);
  EncodeFixed16(&out[kNeedleFlagsOffset], header.flags);
  out[kNeedleContentTypeSizeOffset] =
      static_cast<char>(header.content_type.size());
  EncodeFixed64(&out[kNeedleDataSizeOffset], header.data_size);
  EncodeFixed64(&out[kNeedleLastModifiedOffset], header.last_modified_ms);
  out += header.content_type;
  EncodeFixed32(&out[kNeedleHeaderCrcOffset],
                HeaderCrc(salt, absl::string_view(out).substr(kNeedleIdOffset)));
  return out;
}

std::string EncodeNeedleFooter(uint32_t data_crc, uint64_t header_and_data) {
  std::string out(4, '\0');
  EncodeFixed32(out.data(), data_crc);
  out.resize(AlignNeedle(header_and_data + kNeedleFooterSize) -
                 header_and_data,
             '\0');
  return out;
}

std::string EncodeNeedle(const NeedleHeader& header, absl::string_view data,
                         uint32_t salt) {
  assert(header.data_size == data.size());
  std::string out = EncodeNeedleHeader(header, salt);
  out.append(data.data(), data.size());
  out += EncodeNeedleFooter(crc32c::Value(data), out.size());
  return out;
}

NeedleHeader PaddingHeader(uint64_t region_size) {
  assert(region_size >= kMinNeedleSize && region_size % kNeedleAlignment == 0);
  NeedleHeader header;
  header.flags = kNeedleFlagPadding;
  header.data_size = region_size - kNeedleHeaderSize - kNeedleFooterSize;
  return header;
}

absl::StatusOr<NeedleHeader> DecodeNeedleHeader(absl::string_view bytes,
                                                uint32_t salt) {
  if (bytes.size() < kNeedleHeaderSize) {
    return absl::DataLossError(absl::StrCat("needle header: ", bytes.size(),
                                            " bytes, need ",
                                            kNeedleHeaderSize));
  }
  uint32_t magic = DecodeFixed32(&bytes[kNeedleMagicOffset]);
  if (magic != kNeedleMagic) {
    return absl::DataLossError(
        absl::StrFormat("needle header: bad magic 0x%08x", magic));
  }
  size_t content_type_size =
      static_cast<unsigned char>(bytes[kNeedleContentTypeSizeOffset]);
  size_t header_size = kNeedleHeaderSize + content_type_size;
  if (bytes.size() < header_size) {
    return absl::DataLossError(absl::StrCat(
        "needle header: truncated content type (", bytes.size(), " of ",
        header_size, " bytes)"));
  }
  uint32_t stored = DecodeFixed32(&bytes[kNeedleHeaderCrcOffset]);
  uint32_t actual = HeaderCrc(
      salt, bytes.substr(kNeedleIdOffset, header_size - kNeedleIdOffset));
  NeedleHeader header;
  header.id = DecodeFixed64(&bytes[kNeedleIdOffset]);
  if (stored != actual) {
    return absl::DataLossError(absl::StrFormat(
        "needle 0x%x: header checksum mismatch (stored 0x%08x, computed "
        "0x%08x)",
        header.id, stored, actual));
  }
  header.cookie = DecodeFixed32(&bytes[kNeedleCookieOffset]);
  header.flags = DecodeFixed16(&bytes[kNeedleFlagsOffset]);
  if ((header.flags & ~kNeedleKnownFlags) != 0) {
    return absl::DataLossError(absl::StrFormat(
        "needle 0x%x: unknown flags 0x%04x", header.id, header.flags));
  }
  header.data_size = DecodeFixed64(&bytes[kNeedleDataSizeOffset]);
  if (header.data_size > kMaxVolumeSize) {
    return absl::DataLossError(absl::StrFormat(
        "needle 0x%x: data size %d exceeds the largest volume", header.id,
        header.data_size));
  }
  header.last_modified_ms = DecodeFixed64(&bytes[kNeedleLastModifiedOffset]);
  header.content_type.assign(bytes.data() + kNeedleHeaderSize,
                             content_type_size);
  return header;
}

absl::StatusOr<NeedleHeader> DecodeNeedle(absl::string_view bytes,
                                          uint32_t salt,
                                          absl::string_view* data) {
  absl::StatusOr<NeedleHeader> header = DecodeNeedleHeader(bytes, salt);
  if (!header.ok()) return header.status();
  if (bytes.size() < header->total_size()) {
    return absl::DataLossError(absl::StrFormat(
        "needle 0x%x: truncated (%d of %d bytes)", header->id, bytes.size(),
        header->total_size()));
  }
  absl::string_view body = bytes.substr(header->header_size(), header->data_size);
  if (!header->padding()) {
    uint32_t stored =
        DecodeFixed32(&bytes[header->header_size() + header->data_size]);
    uint32_t actual = crc32c::Value(body);
    if (stored != actual) {
      return absl::DataLossError(absl::StrFormat(
          "needle 0x%x: data crc mismatch (stored 0x%08x, computed 0x%08x)",
          header->id, stored, actual));
    }
  }
  if (data != nullptr) *data = body;
  return header;
}

}  // namespace warehouse::volume
