// The records the master keeps in its metadata database, as the
// MetadataStore reads and writes them. docs/metadata_schema.md maps each
// field to its column.
#ifndef WAREHOUSE_MASTER_METADATA_RECORDS_H_
#define WAREHOUSE_MASTER_METADATA_RECORDS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace warehouse::master {

// Where a needle lives: what a volume server needs to find and check it.
struct NeedleRef {
  uint32_t volume_id = 0;
  uint64_t needle_id = 0;
  uint32_t cookie = 0;

  friend bool operator==(const NeedleRef& a, const NeedleRef& b) {
    return a.volume_id == b.volume_id && a.needle_id == b.needle_id &&
           a.cookie == b.cookie;
  }
  friend bool operator!=(const NeedleRef& a, const NeedleRef& b) {
    return !(a == b);
  }
};

// "volume 3 needle 0x1f cookie 0x0badf00d", for messages.
std::string DescribeNeedle(const NeedleRef& needle);

enum class ObjectState {
  kLive,  // the needle is expected on its volume
  kLost,  // its volume was declared lost: the bytes are gone
};

enum class ServerStatus {
  kAlive,     // heartbeating; may receive new volumes
  kDown,      // missed its heartbeats; a heartbeat makes it alive again
  kDraining,  // being emptied by an operator; receives nothing new
};

enum class AccessRole {
  kAdmin,      // everything, including bucket and key management
  kReadWrite,  // object reads and writes in the allowed buckets
  kReadOnly,   // object reads in the allowed buckets
};

// The latest compaction the master started of one volume: running until
// its volume server answers the command.
struct CompactionRecord {
  enum class State { kRunning, kSucceeded, kFailed };
  State state = State::kRunning;
  absl::Time started;
  absl::Time finished = absl::InfinitePast();  // InfinitePast while running
  uint64_t bytes_reclaimed = 0;                // kSucceeded only
  std::string error;                           // kFailed only
  // Compactions of the volume that failed since the last that succeeded,
  // this one included once it has failed.
  int failures_in_a_row = 0;
};

// The latest verification of one volume that read it to the end, by an
// operator or by the master itself (docs/master.md, "Verifying volumes by
// themselves"). One that failed part way leaves the record before it.
struct VerificationRecord {
  absl::Time started;
  absl::Time finished;
  uint64_t needles_checked = 0;
  uint64_t bytes_checked = 0;
  // Needles that failed a check; 0 when the volume was intact.
  uint64_t corrupt_count = 0;
};

// The names stored in the database ("live", "alive", "read-write", ...).
absl::string_view ObjectStateName(ObjectState state);
// "running", "succeeded", "failed": also what ListVolumes' JSON shows.
absl::string_view CompactionStateName(CompactionRecord::State state);
absl::string_view ServerStatusName(ServerStatus status);
absl::string_view AccessRoleName(AccessRole role);

// Inverses of the above. Errors: InvalidArgument for an unknown name.
absl::StatusOr<ObjectState> ParseObjectState(absl::string_view name);
absl::StatusOr<ServerStatus> ParseServerStatus(absl::string_view name);
absl::StatusOr<AccessRole> ParseAccessRole(absl::string_view name);
absl::StatusOr<CompactionRecord::State> ParseCompactionState(
    absl::string_view name);

struct BucketInfo {
  std::string name;
  absl::Time created;
  int64_t object_count = 0;
  int64_t total_bytes = 0;  // sum of the sizes of its objects
};

struct ObjectRecord {
  std::string bucket;
  std::string key;
  int64_t size = 0;
  std::string etag;  // the checksum reported when the upload committed
  std::string content_type;
  NeedleRef needle;
  absl::Time created;  // when the key first got an object
  absl::Time updated;  // when its current content was committed
  ObjectState state = ObjectState::kLive;
};

struct BeginUploadRequest {
  std::string bucket;
  std::string key;
  int64_t size = 0;
  std::string content_type;
  uint32_t volume_id = 0;  // chosen by the caller (the volume allocator)
  uint32_t cookie = 0;     // random, chosen by the caller
  absl::Time expires;      // after this, ExpireUploads reclaims the needle
};

// An upload begun and not yet expired. The needle id was allocated from
// its volume's counter.
struct Upload {
  int64_t upload_id = 0;
  std::string bucket;
  std::string key;
  int64_t size = 0;
  std::string content_type;
  NeedleRef needle;
  absl::Time created;
  absl::Time expires;
};

// What the client reports once the volume server has stored the needle.
struct CommitUploadRequest {
  int64_t upload_id = 0;
  NeedleRef needle;  // the file id the volume server acknowledged
  int64_t size = 0;
  std::string etag;
  // When set, the Content-Type the needle was stored with; it must equal
  // the type the upload was begun with.
  std::optional<std::string> content_type;
};

inline constexpr int kMaxListKeys = 1000;

// The max_keys for a page size a client asked for: 0 means kMaxListKeys,
// and larger sizes are capped to it.
int ListPageSize(uint64_t page_size);

struct ListObjectsRequest {
  std::string bucket;
  std::string prefix;
  std::string delimiter;           // empty: no rollup into common prefixes
  int max_keys = kMaxListKeys;     // values above kMaxListKeys are capped
  std::string continuation_token;  // empty: from the start
};

struct ListObjectsResult {
  std::vector<ObjectRecord> objects;         // in byte order of keys
  std::vector<std::string> common_prefixes;  // in byte order
  bool truncated = false;
  std::string next_continuation_token;  // set when truncated
};

struct ServerRecord {
  std::string server_id;
  std::string address;  // host:port of its HTTP data path
  absl::Time last_heartbeat;
  ServerStatus status = ServerStatus::kAlive;
};

// Usage of one volume as its server reports it in a heartbeat.
struct VolumeUsage {
  uint32_t volume_id = 0;
  std::string server_id;
  int64_t size_bytes = 0;
  int64_t live_bytes = 0;
  int64_t garbage_bytes = 0;
  int64_t needle_count = 0;
  bool read_only = false;
  // The highest needle id the volume holds (0: none or unknown); the master
  // never allocates an id at or below it again.
  uint64_t max_needle_id = 0;
};

// A volume move under way (table volume_moves).
struct VolumeMoveRecord {
  uint32_t volume_id = 0;
  std::string from_server;
  std::string to_server;
  // Whether the volume was writable before the move made it read-only.
  bool writable_after = false;
  absl::Time started = absl::InfinitePast();
};

struct VolumeRecord {
  uint32_t volume_id = 0;
  std::string server_id;
  int64_t size_bytes = 0;
  int64_t live_bytes = 0;
  int64_t garbage_bytes = 0;
  int64_t needle_count = 0;
  bool read_only = false;
  // Every needle id at or above it is unused: BeginUpload hands out ids
  // below it, from ranges it reserved (NeedleIdRanges).
  uint64_t next_needle_id = 1;
  absl::Time created;
  absl::Time updated;
};

// A needle to delete on the volume server that holds its volume.
struct NeedleDelete {
  int64_t delete_id = 0;
  NeedleRef needle;
  std::string reason;  // "overwritten", "deleted", "expired", ...
  int attempts = 0;    // failed attempts so far
  absl::Time next_attempt;
  absl::Time enqueued;
};

// An object as the consistency check sees it: where its bytes must be.
struct ObjectNeedle {
  uint64_t needle_id = 0;
  uint32_t cookie = 0;
  int64_t size = 0;
  std::string bucket;
  std::string key;
  // Declared lost (MarkVolumeLost): its loss is known, so it is not
  // reported missing, but its needle, should it come back, is no orphan.
  bool lost = false;
};

// What the database says about one volume, read in one transaction.
struct VolumeSnapshot {
  uint32_t volume_id = 0;
  // Needle ids at or above this were handed out after the snapshot (or
  // never).
  uint64_t next_needle_id = 1;
  // Its objects, live or lost, by needle id.
  std::vector<ObjectNeedle> objects;
  // Needle ids of its pending uploads and of its queued deletes, sorted.
  std::vector<uint64_t> pending_needle_ids;
  std::vector<uint64_t> deleting_needle_ids;
};

inline constexpr size_t kMaxAccessKeyDescriptionBytes = 256;

struct AccessKey {
  std::string access_key_id;
  std::string sealed_secret;  // encrypted by the caller; opaque bytes here
  AccessRole role = AccessRole::kReadOnly;
  // Bucket names, or the single entry "*" for every bucket.
  std::vector<std::string> allowed_buckets;
  // A note for operators: up to kMaxAccessKeyDescriptionBytes of UTF-8
  // without NUL; may be empty.
  std::string description;
  absl::Time created;
  std::optional<absl::Time> revoked;
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_METADATA_RECORDS_H_
