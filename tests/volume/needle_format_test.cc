// Golden bytes for the on-disk formats of docs/needle_format.md and
// docs/index_format.md, and one test per way each format can break.
//
// The expected bytes were computed from the documents, not from the code:
// a change that alters any of them changes the format, and must add a
// version and update the documents in the same commit.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "catch2/catch.hpp"
#include "common/coding.h"
#include "common/crc32c.h"
#include "common/file.h"
#include "tests/support/temp_dir.h"
#include "volume/index_file.h"
#include "volume/needle.h"
#include "volume/needle_format.h"
#include "volume/recovery.h"
#include "volume/super_block.h"
#include "volume/volume.h"

namespace warehouse::volume {
namespace {

using warehouse::testing::TempDir;

// The values of the worked examples in docs/needle_format.md and
// docs/index_format.md.
constexpr uint32_t kSalt = 0x7a3c91e5;
constexpr uint32_t kVolumeId = 7;
constexpr uint64_t kCreatedMs = 1700000000000;
constexpr uint64_t kRevision = 3;
constexpr uint64_t kNeedleId = 0x1f;
constexpr uint32_t kCookie = 0x9a3b4c5d;

constexpr char kSuperBlockHex[] =
    "5748564f4c554d45"  // magic "WHVOLUME"
    "01000000"          // version 1
    "07000000"          // volume id 7
    "0068e5cf8b010000"  // created 1700000000000 ms
    "0300000000000000"  // compaction revision 3
    "e5913c7a"          // salt 0x7a3c91e5
    "000000000000000000000000000000000000000000000000"  // reserved, 24 bytes
    "e099bd29";  // CRC-32C of bytes 0..59

constexpr char kNeedleHex[] =
    "57484e44"              // magic "WHND"
    "b0ceef7f"              // header CRC-32C (salt, then bytes 8..49)
    "1f00000000000000"      // id 0x1f
    "5d4c3b9a"              // cookie 0x9a3b4c5d
    "0000"                  // flags
    "0a"                    // content type size 10
    "00"                    // reserved
    "0500000000000000"      // data size 5
    "7b68e5cf8b010000"      // last modified 1700000000123 ms
    "746578742f706c61696e"  // "text/plain"
    "68656c6c6f"            // "hello"
    "4cbb719a"              // CRC-32C of "hello"
    "0000000000";           // padding to 64 bytes

constexpr char kTombstoneHex[] =
    "57484e44"          // magic
    "28c144d7"          // header CRC-32C
    "1f00000000000000"  // id 0x1f
    "5d4c3b9a"          // cookie
    "0100"              // flags: tombstone
    "00"                // no content type
    "00"                // reserved
    "0000000000000000"  // data size 0
    "c869e5cf8b010000"  // last modified 1700000000456 ms
    "00000000"          // CRC-32C of no data
    "00000000";         // padding to 48 bytes

constexpr char kPaddingHeaderHex[] =
    "57484e44"           // magic
    "4807bf63"           // header CRC-32C
    "0000000000000000"   // id 0
    "00000000"           // cookie 0
    "0200"               // flags: padding
    "00"                 // no content type
    "00"                 // reserved
    "1400000000000000"   // data size 20: the region is 64 bytes
    "0000000000000000";  // last modified 0

constexpr char kIndexHeaderHex[] =
    "5748494e44455831"  // magic "WHINDEX1"
    "01000000"          // version 1
    "07000000"          // volume id 7
    "0300000000000000"  // compaction revision 3
    "00000000"          // reserved
    "39afee79";         // CRC-32C of bytes 0..27

constexpr char kPutRecordHex[] =
    "01"                // type: put
    "000000"            // reserved
    "08000000"          // size 8 units = 64 bytes
    "1f00000000000000"  // needle id 0x1f
    "08000000"          // offset 8 units = 64
    "b0ce39f5";         // CRC-32C of bytes 0..19

constexpr char kDeleteRecordHex[] =
    "02000000"
    "00000000"
    "1f00000000000000"
    "00000000"
    "b69a5cd3";

constexpr char kCheckpoint176Hex[] =
    "03000000"
    "00000000"
    "b000000000000000"  // watermark 176
    "00000000"
    "54e63507";

// The compaction marker of docs/compaction.md for new revision 1.
constexpr char kMarkerHex[] =
    "5748434f4d504354"  // magic "WHCOMPCT"
    "0100000000000000"  // new compaction revision 1
    "3913b1b6";         // CRC-32C of bytes 0..15

constexpr char kCheckpoint128Hex[] =
    "03000000"
    "00000000"
    "8000000000000000"  // watermark 128
    "00000000"
    "618e4f2c";

std::string Hex(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}
std::string Bytes(absl::string_view hex) { return absl::HexStringToBytes(hex); }

NeedleHeader ExampleHeader() {
  NeedleHeader header;
  header.id = kNeedleId;
  header.cookie = kCookie;
  header.content_type = "text/plain";
  header.data_size = 5;
  header.last_modified_ms = 1700000000123;
  return header;
}

NeedleHeader ExampleTombstone() {
  NeedleHeader header;
  header.id = kNeedleId;
  header.cookie = kCookie;
  header.flags = kNeedleFlagTombstone;
  header.last_modified_ms = 1700000000456;
  return header;
}

SuperBlock ExampleSuperBlock() {
  SuperBlock sb;
  sb.volume_id = kVolumeId;
  sb.created_ms = kCreatedMs;
  sb.compaction_revision = kRevision;
  sb.salt = kSalt;
  return sb;
}

// Overwrites the 4-byte CRC at `crc_offset` with the CRC-32C of the bytes
// before it, so that a deliberately changed field still verifies.
void Reseal(std::string& bytes, size_t crc_offset) {
  EncodeFixed32(&bytes[crc_offset], crc32c::Value(bytes.data(), crc_offset));
}

void WriteFile(const std::string& path, absl::string_view bytes) {
  auto file = FileSystem::Default()->Open(path, OpenMode::kCreate);
  REQUIRE(file.ok());
  REQUIRE((*file)->Truncate(0).ok());
  REQUIRE((*file)->WriteAt(0, bytes).ok());
}

std::string ReadFile(const std::string& path) {
  auto file = FileSystem::Default()->Open(path, OpenMode::kReadWrite);
  REQUIRE(file.ok());
  auto size = (*file)->Size();
  REQUIRE(size.ok());
  std::string out(*size, '\0');
  REQUIRE(ReadExactly(**file, 0, out.data(), out.size()).ok());
  return out;
}

// ---- Golden bytes ---------------------------------------------------------

TEST_CASE("a super block encodes to the documented bytes", "[volume][format]") {
  std::string bytes = ExampleSuperBlock().Encode();
  CHECK(bytes.size() == kSuperBlockSize);
  CHECK(Hex(bytes) == kSuperBlockHex);
  auto decoded = SuperBlock::Decode(Bytes(kSuperBlockHex));
  REQUIRE(decoded.ok());
  CHECK(decoded->volume_id == kVolumeId);
  CHECK(decoded->created_ms == kCreatedMs);
  CHECK(decoded->compaction_revision == kRevision);
  CHECK(decoded->salt == kSalt);
}

TEST_CASE("a needle encodes to the documented bytes", "[volume][format]") {
  std::string bytes = EncodeNeedle(ExampleHeader(), "hello", kSalt);
  CHECK(bytes.size() == 64);
  CHECK(ExampleHeader().total_size() == 64);
  CHECK(Hex(bytes) == kNeedleHex);

  // Streamed the way a volume writes it: header, data, footer with padding.
  std::string streamed = EncodeNeedleHeader(ExampleHeader(), kSalt);
  CHECK(streamed.size() == 50);
  streamed += "hello";
  streamed += EncodeNeedleFooter(crc32c::Value("hello"), streamed.size());
  CHECK(Hex(streamed) == kNeedleHex);

  // DecodeNeedle's data views the input, which must outlive it.
  const std::string documented = Bytes(kNeedleHex);
  absl::string_view data;
  auto decoded = DecodeNeedle(documented, kSalt, &data);
  REQUIRE(decoded.ok());
  CHECK(decoded->id == kNeedleId);
  CHECK(decoded->cookie == kCookie);
  CHECK(decoded->flags == 0);
  CHECK(decoded->content_type == "text/plain");
  CHECK(decoded->data_size == 5);
  CHECK(decoded->last_modified_ms == 1700000000123);
  CHECK(data == "hello");
}

TEST_CASE("a tombstone encodes to the documented bytes", "[volume][format]") {
  std::string bytes = EncodeNeedle(ExampleTombstone(), "", kSalt);
  CHECK(bytes.size() == kMinNeedleSize);
  CHECK(Hex(bytes) == kTombstoneHex);
  auto decoded = DecodeNeedle(bytes, kSalt, nullptr);
  REQUIRE(decoded.ok());
  CHECK(decoded->tombstone());
  CHECK_FALSE(decoded->padding());
  CHECK(decoded->id == kNeedleId);
}

TEST_CASE("a padding header covers its region and its data is not checked",
          "[volume][format]") {
  NeedleHeader padding = PaddingHeader(64);
  CHECK(padding.total_size() == 64);
  std::string header = EncodeNeedleHeader(padding, kSalt);
  CHECK(Hex(header) == kPaddingHeaderHex);
  // Whatever an abandoned write left in the region, the padding decodes.
  std::string region = header + std::string(24, '\x5a');
  auto decoded = DecodeNeedle(region, kSalt, nullptr);
  REQUIRE(decoded.ok());
  CHECK(decoded->padding());
  CHECK(decoded->total_size() == 64);
}

TEST_CASE("index records encode to the documented bytes", "[volume][format]") {
  CHECK(Hex(IndexRecord{kIndexRecordPut, kNeedleId, {64, 64}}.Encode()) ==
        kPutRecordHex);
  CHECK(Hex(IndexRecord{kIndexRecordDelete, kNeedleId, {}}.Encode()) ==
        kDeleteRecordHex);
  CHECK(Hex(IndexRecord{kIndexRecordCheckpoint, 176, {}}.Encode()) ==
        kCheckpoint176Hex);

  auto put = IndexRecord::Decode(Bytes(kPutRecordHex));
  REQUIRE(put.ok());
  CHECK(put->type == kIndexRecordPut);
  CHECK(put->key == kNeedleId);
  CHECK(put->location == NeedleLocation{64, 64});
  auto checkpoint = IndexRecord::Decode(Bytes(kCheckpoint176Hex));
  REQUIRE(checkpoint.ok());
  CHECK(checkpoint->type == kIndexRecordCheckpoint);
  CHECK(checkpoint->key == 176);
}

TEST_CASE(
    "an index file is its header, then records, each batch closed by "
    "a checkpoint",
    "[volume][format]") {
  TempDir dir;
  const std::string path = dir.Join("7.idx");
  {
    auto index =
        IndexFile::Create(FileSystem::Default(), path, kVolumeId, kRevision);
    REQUIRE(index.ok());
    CHECK(Hex(ReadFile(path)) == kIndexHeaderHex);
    (*index)->AddPut(kNeedleId, NeedleLocation{64, 64});
    (*index)->AddDelete(kNeedleId);
    REQUIRE((*index)->Flush(176).ok());
    REQUIRE((*index)->Sync().ok());
  }
  CHECK(Hex(ReadFile(path)) == std::string(kIndexHeaderHex) + kPutRecordHex +
                                   kDeleteRecordHex + kCheckpoint176Hex);
}

TEST_CASE("a volume writes the documented layout to its files",
          "[volume][format]") {
  TempDir dir;
  VolumeOptions options;
  auto volume = Volume::Create(dir.path(), kVolumeId, options);
  REQUIRE(volume.ok());
  AppendRequest request;
  request.needle_id = kNeedleId;
  request.cookie = kCookie;
  request.size = 5;
  request.content_type = "text/plain";
  request.last_modified_ms = 1700000000123;
  auto appended = (*volume)->Append(request, "hello");
  REQUIRE(appended.ok());
  CHECK(appended->location == NeedleLocation{64, 64});
  REQUIRE((*volume)->Close().ok());

  // The salt is random per volume; everything else is as documented.
  std::string data = ReadFile(Volume::DataPath(dir.path(), kVolumeId));
  REQUIRE(data.size() == 128);
  auto sb = SuperBlock::Decode(data.substr(0, kSuperBlockSize));
  REQUIRE(sb.ok());
  CHECK(sb->volume_id == kVolumeId);
  CHECK(sb->compaction_revision == 0);
  CHECK(Hex(data.substr(64)) ==
        Hex(EncodeNeedle(ExampleHeader(), "hello", sb->salt)));

  // An index file for revision 0: one put and a checkpoint at the file's end.
  CHECK(Hex(ReadFile(Volume::IndexPath(dir.path(), kVolumeId))) ==
        std::string("5748494e44455831"
                    "01000000"
                    "07000000"
                    "0000000000000000"
                    "00000000"
                    "69d37c2a") +
            kPutRecordHex + kCheckpoint128Hex);
}

// ---- Super block: how it breaks -------------------------------------------

TEST_CASE("a super block with a bad magic is not a volume file",
          "[volume][format]") {
  std::string bytes = Bytes(kSuperBlockHex);
  bytes[3] = 'X';
  Reseal(bytes, kSuperBlockCrcOffset);
  auto decoded = SuperBlock::Decode(bytes);
  CHECK(decoded.status().code() == absl::StatusCode::kDataLoss);
  CHECK_THAT(std::string(decoded.status().message()),
             Catch::Contains("bad magic"));
}

TEST_CASE("every flipped byte of a super block is detected",
          "[volume][format]") {
  const std::string good = Bytes(kSuperBlockHex);
  for (size_t i = 0; i < good.size(); ++i) {
    for (int mask : {0x01, 0x80, 0xff}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      INFO("byte " << i << " xor " << mask);
      CHECK(SuperBlock::Decode(bad).status().code() ==
            absl::StatusCode::kDataLoss);
    }
  }
}

TEST_CASE("a super block cut short is refused at every length",
          "[volume][format]") {
  const std::string good = Bytes(kSuperBlockHex);
  for (size_t n = 0; n < good.size(); ++n) {
    INFO("length " << n);
    CHECK(SuperBlock::Decode(good.substr(0, n)).status().code() ==
          absl::StatusCode::kDataLoss);
  }
}

TEST_CASE("a super block of an unknown version is refused, not misread",
          "[volume][format]") {
  std::string bytes = Bytes(kSuperBlockHex);
  EncodeFixed32(&bytes[kSuperBlockVersionOffset], kSuperBlockVersion + 1);
  Reseal(bytes, kSuperBlockCrcOffset);
  auto decoded = SuperBlock::Decode(bytes);
  CHECK(decoded.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(decoded.status().message()),
             Catch::Contains("version 2"));
}

// ---- Needles: how they break ----------------------------------------------

TEST_CASE("a needle with a bad magic is refused", "[volume][format]") {
  std::string bytes = Bytes(kNeedleHex);
  bytes[0] = 'w';
  auto decoded = DecodeNeedle(bytes, kSalt, nullptr);
  CHECK(decoded.status().code() == absl::StatusCode::kDataLoss);
  CHECK_THAT(std::string(decoded.status().message()),
             Catch::Contains("bad magic"));
}

TEST_CASE("every flipped bit and byte of a needle header is detected",
          "[volume][format]") {
  const std::string good = Bytes(kNeedleHex);
  const size_t header_size = ExampleHeader().header_size();
  REQUIRE(header_size == 50);
  for (size_t i = 0; i < header_size; ++i) {
    for (int mask : {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      INFO("byte " << i << " xor " << mask);
      CHECK(DecodeNeedleHeader(bad, kSalt).status().code() ==
            absl::StatusCode::kDataLoss);
      CHECK(DecodeNeedle(bad, kSalt, nullptr).status().code() ==
            absl::StatusCode::kDataLoss);
    }
  }
}

TEST_CASE("a needle whose data or footer changed fails its data checksum",
          "[volume][format]") {
  const std::string good = Bytes(kNeedleHex);
  // Bytes 50..54 are the data, 55..58 the footer.
  for (size_t i = 50; i < 59; ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    INFO("byte " << i);
    // The header still verifies: a scan can step over this needle by size.
    CHECK(DecodeNeedleHeader(bad, kSalt).ok());
    auto decoded = DecodeNeedle(bad, kSalt, nullptr);
    CHECK(decoded.status().code() == absl::StatusCode::kDataLoss);
    CHECK_THAT(std::string(decoded.status().message()),
               Catch::Contains("data crc mismatch"));
  }
}

TEST_CASE("a needle cut at any byte is refused", "[volume][format]") {
  const std::string good = Bytes(kNeedleHex);
  for (size_t n = 0; n < good.size(); ++n) {
    INFO("length " << n);
    CHECK(DecodeNeedle(good.substr(0, n), kSalt, nullptr).status().code() ==
          absl::StatusCode::kDataLoss);
  }
  const std::string tombstone = Bytes(kTombstoneHex);
  for (size_t n = 0; n < tombstone.size(); ++n) {
    INFO("tombstone length " << n);
    CHECK(
        DecodeNeedle(tombstone.substr(0, n), kSalt, nullptr).status().code() ==
        absl::StatusCode::kDataLoss);
  }
}

TEST_CASE("a needle with flags this format does not define is refused",
          "[volume][format]") {
  for (uint16_t flag = 1u << 2; flag != 0;
       flag = static_cast<uint16_t>(flag << 1)) {
    NeedleHeader header = ExampleHeader();
    header.flags = flag;
    // Correctly checksummed, so only the flag check can refuse it.
    std::string bytes = EncodeNeedle(header, "hello", kSalt);
    auto decoded = DecodeNeedle(bytes, kSalt, nullptr);
    INFO("flag " << flag);
    CHECK(decoded.status().code() == absl::StatusCode::kDataLoss);
    CHECK_THAT(std::string(decoded.status().message()),
               Catch::Contains("unknown flags"));
  }
}

TEST_CASE("a needle header is refused under another volume's salt",
          "[volume][format]") {
  const std::string good = Bytes(kNeedleHex);
  for (uint32_t salt : {kSalt ^ 1u, kSalt ^ 0x80000000u, 0u, ~kSalt}) {
    INFO("salt " << salt);
    auto decoded = DecodeNeedle(good, salt, nullptr);
    CHECK(decoded.status().code() == absl::StatusCode::kDataLoss);
    CHECK_THAT(std::string(decoded.status().message()),
               Catch::Contains("header checksum mismatch"));
  }
}

// ---- Index records and files: how they break ------------------------------

TEST_CASE("every flipped byte of an index record is detected",
          "[volume][format]") {
  for (const char* hex : {kPutRecordHex, kDeleteRecordHex, kCheckpoint176Hex}) {
    const std::string good = Bytes(hex);
    for (size_t i = 0; i < good.size(); ++i) {
      for (int mask : {0x01, 0x80, 0xff}) {
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ mask);
        INFO(hex << " byte " << i << " xor " << mask);
        CHECK(IndexRecord::Decode(bad).status().code() ==
              absl::StatusCode::kDataLoss);
      }
    }
  }
}

TEST_CASE("an index record of an unknown type is refused", "[volume][format]") {
  for (uint8_t type : {uint8_t{0}, uint8_t{4}, uint8_t{0xff}}) {
    std::string bytes = IndexRecord{type, kNeedleId, {64, 64}}.Encode();
    auto decoded = IndexRecord::Decode(bytes);
    INFO("type " << int{type});
    CHECK(decoded.status().code() == absl::StatusCode::kDataLoss);
    CHECK_THAT(std::string(decoded.status().message()),
               Catch::Contains("unknown type"));
  }
}

TEST_CASE("index records naming impossible places are refused",
          "[volume][format]") {
  // A put inside the super block, or smaller than the smallest needle.
  CHECK(IndexRecord::Decode(
            IndexRecord{kIndexRecordPut, kNeedleId, {56, 64}}.Encode())
            .status()
            .code() == absl::StatusCode::kDataLoss);
  CHECK(IndexRecord::Decode(
            IndexRecord{kIndexRecordPut, kNeedleId, {64, 40}}.Encode())
            .status()
            .code() == absl::StatusCode::kDataLoss);
  // A checkpoint whose watermark is not a needle boundary.
  std::string bytes = IndexRecord{kIndexRecordCheckpoint, 0, {}}.Encode();
  EncodeFixed64(&bytes[8], 100);
  Reseal(bytes, 20);
  CHECK(IndexRecord::Decode(bytes).status().code() ==
        absl::StatusCode::kDataLoss);
  CHECK(IndexRecord::Decode(std::string(kIndexRecordSize - 1, '\0'))
            .status()
            .code() == absl::StatusCode::kDataLoss);
}

absl::StatusOr<std::unique_ptr<IndexFile>> OpenIndex(
    const std::string& path, std::vector<IndexRecord>* applied,
    IndexFile::LoadResult* result) {
  return IndexFile::Open(
      FileSystem::Default(), path, kVolumeId, kRevision,
      [applied](const IndexRecord& record) { applied->push_back(record); },
      result);
}

TEST_CASE("an index file with a bad header is distrusted", "[volume][format]") {
  TempDir dir;
  const std::string path = dir.Join("7.idx");
  const std::string body =
      std::string(Bytes(kPutRecordHex)) + Bytes(kCheckpoint176Hex);
  std::vector<IndexRecord> applied;
  IndexFile::LoadResult result;

  CHECK(OpenIndex(path, &applied, &result).status().code() ==
        absl::StatusCode::kNotFound);

  std::string bad_magic = Bytes(kIndexHeaderHex);
  bad_magic[7] = '2';
  Reseal(bad_magic, 28);
  WriteFile(path, bad_magic + body);
  CHECK(OpenIndex(path, &applied, &result).status().code() ==
        absl::StatusCode::kDataLoss);

  std::string bad_crc = Bytes(kIndexHeaderHex);
  bad_crc[20] ^= 1;
  WriteFile(path, bad_crc + body);
  CHECK(OpenIndex(path, &applied, &result).status().code() ==
        absl::StatusCode::kDataLoss);

  WriteFile(path, Bytes(kIndexHeaderHex).substr(0, 31));
  CHECK(OpenIndex(path, &applied, &result).status().code() ==
        absl::StatusCode::kDataLoss);

  std::string other_version = Bytes(kIndexHeaderHex);
  EncodeFixed32(&other_version[8], kIndexVersion + 1);
  Reseal(other_version, 28);
  WriteFile(path, other_version + body);
  CHECK(OpenIndex(path, &applied, &result).status().code() ==
        absl::StatusCode::kFailedPrecondition);

  // A sound file describing another revision of the volume (from before a
  // compaction) or another volume.
  for (auto [volume, revision] :
       {std::pair<uint32_t, uint64_t>{kVolumeId, 2},
        std::pair<uint32_t, uint64_t>{8, kRevision}}) {
    std::string other = Bytes(kIndexHeaderHex);
    EncodeFixed32(&other[12], volume);
    EncodeFixed64(&other[16], revision);
    Reseal(other, 28);
    WriteFile(path, other + body);
    CHECK(OpenIndex(path, &applied, &result).status().code() ==
          absl::StatusCode::kFailedPrecondition);
  }
  CHECK(applied.empty());
}

TEST_CASE(
    "an index file cut at any byte keeps every whole record before "
    "the cut",
    "[volume][format]") {
  TempDir dir;
  const std::string path = dir.Join("7.idx");
  const std::string full = Bytes(kIndexHeaderHex) + Bytes(kPutRecordHex) +
                           Bytes(kCheckpoint128Hex) + Bytes(kDeleteRecordHex) +
                           Bytes(kCheckpoint176Hex);
  for (size_t n = kIndexHeaderSize; n <= full.size(); ++n) {
    WriteFile(path, full.substr(0, n));
    std::vector<IndexRecord> applied;
    IndexFile::LoadResult result;
    auto index = OpenIndex(path, &applied, &result);
    INFO("length " << n);
    REQUIRE(index.ok());
    const size_t whole = (n - kIndexHeaderSize) / kIndexRecordSize;
    CHECK(result.records == whole);
    CHECK(result.truncated_bytes == (n - kIndexHeaderSize) % kIndexRecordSize);
    CHECK((*index)->size() == kIndexHeaderSize + whole * kIndexRecordSize);
    CHECK(ReadFile(path).size() == kIndexHeaderSize + whole * kIndexRecordSize);
    // The watermark is the last whole checkpoint's.
    CHECK(result.watermark == (whole >= 4 ? 176u : whole >= 2 ? 128u : 0u));
    // Checkpoints are not passed on; puts and deletes are, in file order.
    CHECK(applied.size() == (whole >= 3 ? 2u : whole >= 1 ? 1u : 0u));
  }
}

TEST_CASE("an index file stops at its first bad record and cuts it off",
          "[volume][format]") {
  TempDir dir;
  const std::string path = dir.Join("7.idx");
  std::string corrupt_put = Bytes(kPutRecordHex);
  corrupt_put[10] ^= 0x40;
  // Good records after a bad one are dropped too: the tail scan of the
  // volume file recovers whatever they described.
  WriteFile(path, Bytes(kIndexHeaderHex) + Bytes(kPutRecordHex) +
                      Bytes(kCheckpoint128Hex) + corrupt_put +
                      Bytes(kDeleteRecordHex) + Bytes(kCheckpoint176Hex));
  std::vector<IndexRecord> applied;
  IndexFile::LoadResult result;
  auto index = OpenIndex(path, &applied, &result);
  REQUIRE(index.ok());
  CHECK(result.records == 2);
  CHECK(result.watermark == 128);
  CHECK(result.truncated_bytes == 3 * kIndexRecordSize);
  REQUIRE(applied.size() == 1);
  CHECK(applied[0].type == kIndexRecordPut);
  CHECK(ReadFile(path) == Bytes(kIndexHeaderHex) + Bytes(kPutRecordHex) +
                              Bytes(kCheckpoint128Hex));
}

// ---- Volume file: how a reader treats a damaged tail ----------------------

// A volume file image: the example super block, the example needle at 64
// and the example tombstone at 128.
std::string ExampleVolumeFile() {
  return Bytes(kSuperBlockHex) + Bytes(kNeedleHex) + Bytes(kTombstoneHex);
}

struct Scanned {
  ScanResult result;
  std::vector<uint64_t> offsets;
};

Scanned Scan(const std::string& path, uint32_t salt) {
  auto file = FileSystem::Default()->Open(path, OpenMode::kReadWrite);
  REQUIRE(file.ok());
  Scanned scanned;
  auto result =
      ScanVolumeTail(**file, salt, kSuperBlockSize,
                     [&scanned](uint64_t offset, const NeedleHeader&) {
                       scanned.offsets.push_back(offset);
                     });
  REQUIRE(result.ok());
  scanned.result = *result;
  return scanned;
}

TEST_CASE("a volume file cut inside its last needle loses only that needle",
          "[volume][format]") {
  TempDir dir;
  const std::string path = dir.Join("7.dat");
  const std::string full = ExampleVolumeFile();
  REQUIRE(full.size() == 176);
  for (size_t n = 128; n <= full.size(); ++n) {
    WriteFile(path, full.substr(0, n));
    Scanned scanned = Scan(path, kSalt);
    INFO("length " << n);
    if (n == full.size()) {
      CHECK(scanned.offsets == std::vector<uint64_t>{64, 128});
      CHECK(scanned.result.truncated_bytes == 0);
    } else {
      CHECK(scanned.offsets == std::vector<uint64_t>{64});
      CHECK(scanned.result.truncated_bytes == n - 128);
    }
    CHECK(scanned.result.end == ReadFile(path).size());
  }
}

TEST_CASE("a needle whose data fails its checksum is skipped by its size",
          "[volume][format]") {
  TempDir dir;
  const std::string path = dir.Join("7.dat");
  std::string image = ExampleVolumeFile();
  image[64 + 50] ^= 0x01;  // the 'h' of "hello"
  WriteFile(path, image);
  Scanned scanned = Scan(path, kSalt);
  CHECK(scanned.offsets == std::vector<uint64_t>{128});
  CHECK(scanned.result.corrupt == 1);
  CHECK(scanned.result.skipped_bytes == 64);
  CHECK(scanned.result.truncated_bytes == 0);
}

TEST_CASE("a scan resynchronises on the next needle of its own salt",
          "[volume][format]") {
  TempDir dir;
  const std::string path = dir.Join("7.dat");
  // Region 64..191 is an unfinished write whose bytes happen to hold a
  // whole needle of another volume (another salt): the scan must not take
  // it for a needle of this one.
  std::string foreign = EncodeNeedle(ExampleHeader(), "hello", kSalt ^ 0x5555);
  std::string garbage = std::string(16, '\x11') + foreign +
                        std::string(128 - 16 - foreign.size(), '\x22');
  WriteFile(path, Bytes(kSuperBlockHex) + garbage + Bytes(kTombstoneHex));
  Scanned scanned = Scan(path, kSalt);
  CHECK(scanned.offsets == std::vector<uint64_t>{192});
  CHECK(scanned.result.skipped_bytes == 128);
  CHECK(scanned.result.truncated_bytes == 0);

  // With nothing valid after the garbage, it is a torn tail and is cut off.
  WriteFile(path, Bytes(kSuperBlockHex) + Bytes(kNeedleHex) + garbage);
  scanned = Scan(path, kSalt);
  CHECK(scanned.offsets == std::vector<uint64_t>{64});
  CHECK(scanned.result.truncated_bytes == 128);
  CHECK(ReadFile(path).size() == 128);
}

// ---- Compaction marker: golden bytes and how it breaks ---------------------

// Creates volume 7 holding needle 0x1f and runs a compaction that stops, as
// a crash would, right after its marker became durable.
void CompactUpToTheMarker(const TempDir& dir) {
  auto volume = Volume::Create(dir.path(), kVolumeId, VolumeOptions());
  REQUIRE(volume.ok());
  AppendRequest request;
  request.needle_id = kNeedleId;
  request.cookie = kCookie;
  request.size = 5;
  request.content_type = "text/plain";
  REQUIRE((*volume)->Append(request, "hello").ok());
  CompactionOptions options;
  options.stop_after_step_for_testing = 2;
  REQUIRE((*volume)->Compact(options).status().code() ==
          absl::StatusCode::kAborted);
}

TEST_CASE("a compaction marker encodes to the documented bytes",
          "[volume][format]") {
  TempDir dir;
  CompactUpToTheMarker(dir);
  CHECK(Hex(ReadFile(dir.Join("7.cpm"))) == kMarkerHex);

  auto volume = Volume::Open(dir.path(), kVolumeId, VolumeOptions());
  REQUIRE(volume.ok());
  CHECK((*volume)->Usage().compaction_revision == 1);
  CHECK_FALSE(*FileSystem::Default()->Exists(dir.Join("7.cpm")));
}

TEST_CASE("a torn or damaged compaction marker rolls the compaction back",
          "[volume][format]") {
  const std::string marker = Bytes(kMarkerHex);
  std::vector<std::string> damaged;
  for (size_t n = 0; n < marker.size(); ++n)
    damaged.push_back(marker.substr(0, n));
  for (size_t i = 0; i < marker.size(); ++i) {
    std::string bad = marker;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    damaged.push_back(bad);
  }
  for (size_t k = 0; k < damaged.size(); ++k) {
    INFO("damaged marker " << k << ": " << Hex(damaged[k]));
    TempDir dir;
    CompactUpToTheMarker(dir);
    WriteFile(dir.Join("7.cpm"), damaged[k]);
    auto volume = Volume::Open(dir.path(), kVolumeId, VolumeOptions());
    REQUIRE(volume.ok());
    CHECK((*volume)->Usage().compaction_revision == 0);
    for (const char* name : {"7.cpd", "7.cpx", "7.cpm"}) {
      CHECK_FALSE(*FileSystem::Default()->Exists(dir.Join(name)));
    }
    auto reader = (*volume)->OpenNeedle(kNeedleId, kCookie);
    REQUIRE(reader.ok());
    CHECK(*reader->ReadAll() == "hello");
  }
}

}  // namespace
}  // namespace warehouse::volume
