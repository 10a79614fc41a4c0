// warehouse-fuzz-seeds: writes the seed corpora of the fuzz targets.
//
//   warehouse-fuzz-seeds <corpus dir>
//
// writes <corpus dir>/<target>/<seed name> for every target in fuzz/: a
// handful of valid inputs made with the project's own encoders and the
// fixed fuzz keys, and near-valid ones (cut short, one checksum wrong, one
// field out of range). The output is deterministic, so running it again
// over fuzz/corpus/ changes nothing unless a format or this file changed.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/coding.h"
#include "common/file.h"
#include "common/file_id.h"
#include "common/key_ring.h"
#include "common/signed_url.h"
#include "common/status_macros.h"
#include "fuzz/fuzz_keys.h"
#include "fuzz/memory_file_system.h"
#include "volume/index_file.h"
#include "volume/needle.h"
#include "volume/needle_format.h"
#include "volume/super_block.h"

namespace warehouse::fuzz {
namespace {

using volume::IndexFile;
using volume::NeedleHeader;

constexpr uint32_t kSalt = 0x7a3c91e5;
constexpr int64_t kExpires = 1900000000;  // 2030, after FuzzNow()

// Mode bits of the volume format targets (see each target's file comment).
constexpr char kModePlain = 0;
constexpr char kModeFixHeader = 1;
constexpr char kModeFixBoth = 3;
constexpr char kModeFixBothAndGrow = 7;

class SeedWriter {
 public:
  explicit SeedWriter(std::string dir) : dir_(std::move(dir)) {}

  // Writes `bytes` as seed `name` of `target`.
  absl::Status Write(absl::string_view target, absl::string_view name,
                     absl::string_view bytes) {
    FileSystem* fs = FileSystem::Default();
    const std::string target_dir = absl::StrCat(dir_, "/", target);
    RETURN_IF_ERROR(fs->CreateDirs(target_dir));
    const std::string path = absl::StrCat(target_dir, "/", name);
    ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                     fs->Open(path, OpenMode::kCreate));
    RETURN_IF_ERROR(file->Truncate(0));
    RETURN_IF_ERROR(file->WriteAt(0, bytes));
    ++written_;
    return absl::OkStatus();
  }

  int written() const { return written_; }

 private:
  const std::string dir_;
  int written_ = 0;
};

std::string Fixed32(uint32_t value) {
  std::string out(4, '\0');
  EncodeFixed32(out.data(), value);
  return out;
}

std::string Fixed64(uint64_t value) {
  std::string out(8, '\0');
  EncodeFixed64(out.data(), value);
  return out;
}

NeedleHeader Put(uint64_t id, std::string content_type, uint64_t data_size) {
  NeedleHeader header;
  header.id = id;
  header.cookie = 0x9a3b4c5d;
  header.data_size = data_size;
  header.last_modified_ms = 1700000000123;
  header.content_type = std::move(content_type);
  return header;
}

std::string PutNeedle(uint64_t id, absl::string_view content_type,
                      absl::string_view data) {
  return volume::EncodeNeedle(Put(id, std::string(content_type), data.size()),
                              data, kSalt);
}

std::string Tombstone(uint64_t id) {
  NeedleHeader header = Put(id, "", 0);
  header.flags = volume::kNeedleFlagTombstone;
  return volume::EncodeNeedle(header, "", kSalt);
}

std::string Padding(uint64_t size) {
  const NeedleHeader header = volume::PaddingHeader(size);
  std::string out = volume::EncodeNeedleHeader(header, kSalt);
  out.resize(size, '\0');
  return out;
}

// Zeros the header checksum of the needle at `pos`, for the fixup modes.
std::string ZeroHeaderChecksum(std::string needle, size_t pos = 0) {
  EncodeFixed32(&needle[pos + volume::kNeedleHeaderCrcOffset], 0);
  return needle;
}

absl::Status NeedleSeeds(SeedWriter& out) {
  const std::string plain = std::string(1, kModePlain) + Fixed32(kSalt);
  const std::string put = PutNeedle(0x1f, "text/plain", "hello");
  RETURN_IF_ERROR(out.Write("needle_fuzzer", "put", plain + put));
  RETURN_IF_ERROR(out.Write("needle_fuzzer", "put-no-type",
                            plain + PutNeedle(2, "", "warehouse")));
  RETURN_IF_ERROR(
      out.Write("needle_fuzzer", "tombstone", plain + Tombstone(0x1f)));
  RETURN_IF_ERROR(out.Write("needle_fuzzer", "padding", plain + Padding(64)));
  RETURN_IF_ERROR(out.Write("needle_fuzzer", "longest-type",
                            plain + PutNeedle(3, std::string(255, 't'), "x")));
  RETURN_IF_ERROR(out.Write("needle_fuzzer", "truncated",
                            plain + put.substr(0, put.size() - 9)));
  std::string bad_data = put;
  bad_data[put.size() - 13] ^= 1;  // a byte of "hello"
  RETURN_IF_ERROR(out.Write("needle_fuzzer", "bad-data-crc", plain + bad_data));
  RETURN_IF_ERROR(out.Write("needle_fuzzer", "other-salt",
                            std::string(1, kModePlain) + Fixed32(1) + put));
  // With the header checksum rewritten by the target.
  std::string unknown_flag = ZeroHeaderChecksum(put);
  unknown_flag[volume::kNeedleFlagsOffset] = 4;
  RETURN_IF_ERROR(out.Write(
      "needle_fuzzer", "fixed-unknown-flag",
      std::string(1, kModeFixHeader) + Fixed32(kSalt) + unknown_flag));
  std::string huge = ZeroHeaderChecksum(put);
  EncodeFixed64(&huge[volume::kNeedleDataSizeOffset],
                volume::kMaxVolumeSize + 1);
  RETURN_IF_ERROR(
      out.Write("needle_fuzzer", "fixed-huge-size",
                std::string(1, kModeFixBoth) + Fixed32(kSalt) + huge));
  return absl::OkStatus();
}

// The target's 7-byte preamble: mode, salt, start, zero run length.
std::string TailPreamble(char mode, uint8_t start = 0, uint8_t run = 0) {
  return std::string(1, mode) + Fixed32(kSalt) +
         std::string{static_cast<char>(start), static_cast<char>(run)};
}

absl::Status VolumeTailSeeds(SeedWriter& out) {
  const std::string a = PutNeedle(1, "image/png", "first object");
  const std::string b = PutNeedle(2, "", "second");
  const std::string c = PutNeedle(3, "text/plain", std::string(100, 'c'));
  const std::string plain = TailPreamble(kModePlain);
  RETURN_IF_ERROR(
      out.Write("volume_tail_fuzzer", "three-needles", plain + a + b + c));
  RETURN_IF_ERROR(out.Write("volume_tail_fuzzer", "torn-tail",
                            plain + a + b + c.substr(0, 50)));
  RETURN_IF_ERROR(out.Write("volume_tail_fuzzer", "gap-between",
                            plain + a + std::string(24, '\x5a') + b));
  std::string corrupt = b;
  corrupt[corrupt.size() - 10] ^= 0x40;
  RETURN_IF_ERROR(out.Write("volume_tail_fuzzer", "corrupt-then-good",
                            plain + a + corrupt + c));
  RETURN_IF_ERROR(out.Write("volume_tail_fuzzer", "padding-and-tombstone",
                            plain + a + Padding(128) + Tombstone(1) + b));
  RETURN_IF_ERROR(out.Write("volume_tail_fuzzer", "start-past-first",
                            TailPreamble(kModePlain, a.size() / 8) + a + b));
  RETURN_IF_ERROR(out.Write("volume_tail_fuzzer", "fixed-chain",
                            TailPreamble(kModeFixBoth) + ZeroHeaderChecksum(a) +
                                ZeroHeaderChecksum(b) + ZeroHeaderChecksum(c)));
  // The first needle's data grows by the target's zero run of 1 MiB -
  // 1 KiB + 8 * 120 bytes: the tombstone after it straddles the end of the
  // scan's first 1 MiB read block.
  RETURN_IF_ERROR(out.Write("volume_tail_fuzzer", "fixed-large-needle",
                            TailPreamble(kModeFixBothAndGrow, 0, 120) +
                                ZeroHeaderChecksum(b) + Tombstone(4) + c));
  return absl::OkStatus();
}

absl::StatusOr<std::string> IndexBytes(
    uint32_t volume_id, uint64_t revision,
    const std::vector<std::pair<uint64_t, volume::NeedleLocation>>& puts,
    uint64_t deleted, uint64_t watermark) {
  MemoryFileSystem fs;
  ASSIGN_OR_RETURN(std::unique_ptr<IndexFile> index,
                   IndexFile::Create(&fs, "index", volume_id, revision));
  for (const auto& [id, location] : puts) index->AddPut(id, location);
  if (deleted != 0) index->AddDelete(deleted);
  if (watermark != 0) RETURN_IF_ERROR(index->Flush(watermark));
  return std::string(fs.Contents("index"));
}

absl::Status IndexFileSeeds(SeedWriter& out) {
  const std::string plain(1, kModePlain);
  const std::vector<std::pair<uint64_t, volume::NeedleLocation>> puts = {
      {1, {64, 64}}, {2, {128, 48}}, {3, {176, 160}}};
  ASSIGN_OR_RETURN(std::string index, IndexBytes(7, 3, puts, 2, 336));
  RETURN_IF_ERROR(
      out.Write("index_file_fuzzer", "puts-delete-checkpoint", plain + index));
  ASSIGN_OR_RETURN(std::string empty, IndexBytes(7, 3, {}, 0, 0));
  RETURN_IF_ERROR(out.Write("index_file_fuzzer", "header-only", plain + empty));
  RETURN_IF_ERROR(out.Write("index_file_fuzzer", "torn-record",
                            plain + index.substr(0, index.size() - 10)));
  std::string bad = index;
  bad[volume::kIndexHeaderSize + volume::kIndexRecordSize + 9] ^= 1;
  RETURN_IF_ERROR(
      out.Write("index_file_fuzzer", "bad-second-record", plain + bad));
  ASSIGN_OR_RETURN(std::string other, IndexBytes(8, 3, puts, 0, 336));
  RETURN_IF_ERROR(
      out.Write("index_file_fuzzer", "other-volume", plain + other));
  // Checksums rewritten by the target: a record of an unknown type, and a
  // file loaded as the volume and revision its header names.
  std::string unknown = index;
  unknown[volume::kIndexHeaderSize] = 9;
  RETURN_IF_ERROR(out.Write("index_file_fuzzer", "fixed-unknown-type",
                            std::string(1, 1) + unknown));
  ASSIGN_OR_RETURN(std::string named, IndexBytes(12345, 99, puts, 3, 4096));
  RETURN_IF_ERROR(
      out.Write("index_file_fuzzer", "header-ids", std::string(1, 3) + named));
  return absl::OkStatus();
}

absl::Status SuperBlockSeeds(SeedWriter& out) {
  volume::SuperBlock sb;
  sb.volume_id = 7;
  sb.created_ms = 1700000000000;
  sb.compaction_revision = 3;
  sb.salt = kSalt;
  const std::string valid = sb.Encode();
  RETURN_IF_ERROR(out.Write("super_block_fuzzer", "valid",
                            std::string(1, kModePlain) + valid));
  RETURN_IF_ERROR(out.Write("super_block_fuzzer", "short",
                            std::string(1, kModePlain) + valid.substr(0, 40)));
  std::string version = valid;
  version[volume::kSuperBlockVersionOffset] = 2;
  RETURN_IF_ERROR(out.Write("super_block_fuzzer", "fixed-version-2",
                            std::string(1, kModeFixHeader) + version));
  std::string magic = valid;
  magic[0] = 'X';
  RETURN_IF_ERROR(out.Write("super_block_fuzzer", "fixed-bad-magic",
                            std::string(1, kModeFixHeader) + magic));
  return absl::OkStatus();
}

absl::Status SignedUrlSeeds(SeedWriter& out) {
  const FileId id{7, 0x1f, 0x9a3b4c5d};
  struct Seed {
    const char* name;
    const char* method;
    UrlGrant grant;
    const KeyRing* ring;
  };
  UrlGrant read;
  read.file_id = id;
  read.expires_unix_seconds = kExpires;
  UrlGrant range = read;
  range.range = ByteRange{100, 199};
  UrlGrant write = read;
  write.access = UrlAccess::kWrite;
  write.content_length = 5;
  write.upload_id = "3f2a9c0d1e4b5a6978c0d1e2f3a4b5c6";
  write.content_type = "image/svg+xml";
  UrlGrant remove = read;
  remove.access = UrlAccess::kDelete;
  UrlGrant expired = read;
  expired.expires_unix_seconds = 1600000000;
  const std::vector<Seed> seeds = {
      {"read", "GET", read, &FuzzKeyRing()},
      {"head-old-key", "HEAD", read, &FuzzOldKeyRing()},
      {"read-range", "GET", range, &FuzzKeyRing()},
      {"write", "PUT", write, &FuzzKeyRing()},
      {"delete", "DELETE", remove, &FuzzKeyRing()},
      {"expired", "GET", expired, &FuzzKeyRing()},
      {"write-as-get", "GET", write, &FuzzKeyRing()},
  };
  for (const Seed& seed : seeds) {
    ASSIGN_OR_RETURN(std::string url, SignUrl(seed.grant, *seed.ring));
    const size_t question = url.find('?');
    RETURN_IF_ERROR(out.Write(
        "signed_url_fuzzer", seed.name,
        absl::StrCat(std::string(1, '\0'), seed.method, "\n",
                     url.substr(0, question), "\n", url.substr(question + 1))));
  }
  RETURN_IF_ERROR(out.Write(
      "signed_url_fuzzer", "unsigned",
      std::string(1, '\0') + "GET\n/7,1f9a3b4c5d\nexpires=1900000000"));
  // Round-trip mode: bytes for FuzzedDataProvider, which takes integers
  // from the end and strings from the front.
  RETURN_IF_ERROR(out.Write("signed_url_fuzzer", "round-trip-write",
                            std::string(1, '\1') + "k1\\x" + "upload-1\\x" +
                                "text/plain\\x" + std::string(48, '\x07') +
                                std::string(1, '\x01')));
  RETURN_IF_ERROR(out.Write("signed_url_fuzzer", "round-trip-read",
                            std::string(1, '\1') + std::string(64, '\x11')));
  return absl::OkStatus();
}

absl::Status TextSeeds(SeedWriter& out) {
  const std::vector<std::pair<const char*, std::vector<std::string>>> seeds = {
      {"file_id_fuzzer",
       {"7,1f9a3b4c5d", "4294967295,ffffffffffffffff9a3b4c5d", "1,000000000",
        "07,1f9a3b4c5d", "7,1F9a3b4c5d", "4294967296,1f9a3b4c5d",
        "7,01f9a3b4c5d"}},
      {"names_fuzzer",
       {"my-bucket", "photos.2024", "192.168.5.4", "xn--bucket", "a..b",
        "photos/2024/\xc3\xbc.jpg", "bad\xed\xa0\x80surrogate",
        "\xf4\x90\x80\x80", "WH4K2Q9ZJ7X1M0B8C6VT",
        "wJalrXUtnFEMI0K7MDENGbPxRfiCYEXAMPLEKEY0", "read-write",
        "text/plain; charset=utf-8"}},
      {"key_ring_fuzzer",
       {"k1:" + std::string(64, 'a'),
        "# rotated\nk1:" + std::string(64, '1') +
            ", k0:" + std::string(128, 'f') + "\n",
        "k1:" + std::string(64, 'A'), "k1:" + std::string(62, 'a'),
        "k1:" + std::string(64, 'a') + " k1:" + std::string(64, 'b'),
        "bad key:00", "# only a comment\n"}},
      {"percent_decode_fuzzer",
       {"image%2Fsvg%2Bxml", "%e2%82%AC", "a+b%20c", "%zz", "100%",
        "plain-text_1.0~"}},
  };
  for (const auto& [target, inputs] : seeds) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      RETURN_IF_ERROR(out.Write(target, absl::StrCat("seed-", i), inputs[i]));
    }
  }
  // The range target: shift 0, an object of 1000 bytes, then the header.
  const std::string size_1000 = std::string(1, '\0') + Fixed64(1000);
  const std::vector<std::string> ranges = {
      "bytes=0-499",   "bytes=500-",        "bytes=-200",
      "bytes=0-0,5-9", " Bytes = 10 - 20 ", "bytes=1000-",
      "bytes=9-3",     "items=0-1",         "bytes=0-18446744073709551616"};
  for (size_t i = 0; i < ranges.size(); ++i) {
    RETURN_IF_ERROR(out.Write("http_range_fuzzer", absl::StrCat("seed-", i),
                              size_1000 + ranges[i]));
  }
  return absl::OkStatus();
}

absl::Status WriteAll(const std::string& dir, int* written) {
  SeedWriter out(dir);
  RETURN_IF_ERROR(NeedleSeeds(out));
  RETURN_IF_ERROR(VolumeTailSeeds(out));
  RETURN_IF_ERROR(IndexFileSeeds(out));
  RETURN_IF_ERROR(SuperBlockSeeds(out));
  RETURN_IF_ERROR(SignedUrlSeeds(out));
  RETURN_IF_ERROR(TextSeeds(out));
  *written = out.written();
  return absl::OkStatus();
}

}  // namespace
}  // namespace warehouse::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  int written = 0;
  const absl::Status status = warehouse::fuzz::WriteAll(argv[1], &written);
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("wrote %d seeds under %s\n", written, argv[1]);
  return 0;
}
