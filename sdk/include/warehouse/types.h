// Plain values the Warehouse client API takes and returns: buckets,
// objects, listing pages, signed URLs, and the administrator's view of
// servers, volumes and access keys. All are copyable structs with no
// behaviour; warehouse/client.h has the calls that produce them.
#ifndef WAREHOUSE_SDK_INCLUDE_WAREHOUSE_TYPES_H_
#define WAREHOUSE_SDK_INCLUDE_WAREHOUSE_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace warehouse {

// A bucket and its usage.
struct BucketInfo {
  std::string name;
  absl::Time created;
  uint64_t object_count = 0;  // uploads in progress excluded
  uint64_t total_bytes = 0;   // sum of those objects' sizes
};

// An object's metadata.
struct ObjectInfo {
  std::string key;
  uint64_t size_bytes = 0;
  // CRC-32C of the bytes as 8 lowercase hex digits; the HTTP ETag unquoted.
  std::string etag;
  std::string content_type;
  absl::Time created;  // when the upload completed
  std::string file_id;  // the needle holding the bytes, "<volume>,<hex>"
};

// What a successful Put stored.
struct PutResult {
  std::string etag;     // as in ObjectInfo
  std::string file_id;  // as in ObjectInfo
  uint64_t size_bytes = 0;
};

// Which objects a listing returns.
struct ListOptions {
  // Only keys starting with this; empty for all.
  std::string prefix;
  // When non-empty, keys containing it after the prefix are rolled up into
  // one common prefix each (up to and including the delimiter), as
  // directories are: prefix "photos/" and delimiter "/" list the files of
  // "photos/" and its subdirectories as "photos/2024/".
  std::string delimiter;
  // Most entries (objects plus common prefixes) per page; 0 means the
  // master's default of 1000, the largest it serves.
  uint32_t page_size = 0;
};

// One page of a listing, in key order.
struct ListPage {
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes;  // each ends with the delimiter
  // Pass it back for the next page; empty on the last page.
  std::string next_continuation_token;
};

// A URL that lets its holder, without credentials, download an object (GET)
// or upload one (PUT) directly to a volume server until `expires`.
struct SignedUrl {
  std::string method;  // "GET" or "PUT"
  std::string url;     // absolute: "http://host:port/<file id>?..."
  absl::Time expires;  // the URL is refused after this second
  // PUT: the exact Content-Length and Content-Type the upload must carry
  // (a request without Content-Type is given this one).
  uint64_t size_bytes = 0;
  std::string content_type;
  std::string upload_id;  // PUT only
  // GET: the object as it was when the URL was signed.
  std::optional<ObjectInfo> object;
};

// A volume server as the master knows it.
struct ServerInfo {
  std::string server_id;
  std::string public_address;  // host:port clients transfer objects with
  bool http_tls = false;       // that address speaks TLS (https://)
  bool online = false;         // its heartbeat stream is open
  bool draining = false;       // an operator stopped uploads and new volumes
  absl::Time last_heartbeat;
  uint32_t volume_count = 0;
  uint32_t max_volumes = 0;
  uint64_t disk_free_bytes = 0;
};

// What became of a compaction the master started, as its volume server
// reported it.
struct CompactionInfo {
  enum class State { kRunning, kSucceeded, kFailed };
  State state = State::kRunning;
  absl::Time started;   // when the master sent it, in the master's clock
  absl::Time finished;  // InfinitePast while running
  uint64_t bytes_reclaimed = 0;  // kSucceeded
  std::string error;             // kFailed
};

// The latest verification that read a volume to the end
// (Client::VerifyVolume, or the master's own).
struct VerificationInfo {
  absl::Time started;  // in the master's clock
  absl::Time finished;
  uint64_t needles_checked = 0;
  uint64_t bytes_checked = 0;
  uint64_t corrupt_count = 0;  // needles that failed a check
};

// What Client::MoveVolume did.
struct VolumeMoveInfo {
  std::string from_server_id;
  std::string to_server_id;
  uint64_t bytes = 0;     // copied: the volume file and its index
  bool writable = false;  // writable again (it was before the move)
};

// What Client::BackupMetadata received.
struct MetadataBackupInfo {
  uint64_t bytes = 0;
  std::string sha256_hex;  // lowercase hex of the bytes' SHA-256
};

// A volume and its usage, as last reported by its server's heartbeat.
struct VolumeInfo {
  uint32_t volume_id = 0;
  std::string server_id;
  std::string server_address;
  bool server_online = false;
  uint64_t size_bytes = 0;      // of the data file on disk
  uint64_t max_size_bytes = 0;  // where the server stops appending
  uint64_t live_bytes = 0;
  uint64_t garbage_bytes = 0;  // what compaction would reclaim
  uint64_t needle_count = 0;   // live needles
  bool read_only = false;
  bool compacting = false;
  // While compacting: live bytes copied so far, of those there were when
  // it began (the first may pass the second).
  uint64_t compaction_copied_bytes = 0;
  uint64_t compaction_total_bytes = 0;
  // The latest compaction the master started, if any.
  std::optional<CompactionInfo> last_compaction;
  std::optional<VerificationInfo> last_verification;
  // The server the volume is being moved to (Client::MoveVolume); empty
  // when it is not moving.
  std::string moving_to_server_id;
};

// One thing the consistency check found (Client::CheckConsistency).
struct ConsistencyFinding {
  enum class Kind {
    kOrphan,           // a needle nothing names: reclaimable
    kMissing,          // an object whose needle is gone or differs: data lost
    kUncheckedVolume,  // a volume whose server could not be asked
  };
  Kind kind = Kind::kOrphan;
  uint32_t volume_id = 0;
  std::string file_id;  // empty for kUncheckedVolume
  std::string bucket;   // kMissing
  std::string key;      // kMissing
  std::string detail;
};

// The result of Client::CheckConsistency (docs/reliability.md).
struct ConsistencyReport {
  uint64_t volumes_checked = 0;
  uint64_t volumes_unchecked = 0;
  uint64_t objects_checked = 0;
  uint64_t needles_checked = 0;
  uint64_t needles_in_flight = 0;  // uploads and deletes under way: skipped
  uint64_t orphans = 0;
  uint64_t missing = 0;
  uint64_t orphans_queued = 0;  // with repair_orphans
  // Missing first, then unchecked volumes, then orphans; capped.
  std::vector<ConsistencyFinding> findings;
  bool findings_truncated = false;
};

// A live needle whose bytes on its volume server's disk fail a check.
struct CorruptNeedleInfo {
  uint64_t needle_id = 0;
  uint64_t offset = 0;  // in the volume file
  std::string error;    // what failed ("data crc mismatch ...")
  // The object whose data it is; both empty when none is.
  std::string bucket;
  std::string key;
};

// What Client::VerifyVolume found.
struct VerificationReport {
  uint64_t needles_checked = 0;
  uint64_t bytes_checked = 0;
  uint64_t corrupt_count = 0;  // 0: every needle read back intact
  // The first corrupt needles (at most 1000), in file order.
  std::vector<CorruptNeedleInfo> corrupt;
};

// What an access key may do (docs/access_keys.md).
enum class AccessKeyRole {
  kAdmin,      // every call, on every bucket
  kReadWrite,  // bucket and object calls, on every bucket or listed ones
};

// An access key without its secret.
struct AccessKeyInfo {
  std::string access_key_id;
  AccessKeyRole role = AccessKeyRole::kReadWrite;
  std::vector<std::string> buckets;  // kReadWrite: the only ones; empty: all
  std::string description;
  absl::Time created;
};

// A key just created: its secret is shown here and never again.
struct NewAccessKey {
  AccessKeyInfo key;
  std::string secret_access_key;
};

}  // namespace warehouse

#endif  // WAREHOUSE_SDK_INCLUDE_WAREHOUSE_TYPES_H_
