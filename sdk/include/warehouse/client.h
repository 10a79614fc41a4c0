// The Warehouse client: buckets, objects and administration, over the
// master's gRPC API and the volume servers' HTTP data path.
//
//   warehouse::ClientOptions options;
//   options.master_address = "127.0.0.1:9333";
//   options.access_key_id = "WH...";
//   options.secret_access_key = "...";
//   auto client = warehouse::Client::Create(options);
//   if (!client.ok()) return client.status();
//   absl::Status created = (*client)->CreateBucket("photos");
//   auto put = (*client)->PutFile("photos", "2024/cat.jpg", "cat.jpg");
//   auto bytes = (*client)->Get("photos", "2024/cat.jpg");
//
// Every call returns absl::Status or absl::StatusOr; nothing throws. The
// codes say what to do next, as everywhere in Warehouse: NotFound (no such
// bucket or object), AlreadyExists (bucket name taken), InvalidArgument (a
// bad name, key, range or option), OutOfRange (object too large, range past
// the end), FailedPrecondition (bucket not empty), PermissionDenied and
// Unauthenticated (the access key may not do this, or is not valid),
// ResourceExhausted (no space), Unavailable (the master or a volume server
// cannot be reached even after retries: try again later), DeadlineExceeded
// (a call took longer than its timeout), DataLoss (the bytes received do not
// match the object's checksum, or a volume server stored other bytes than
// were uploaded). Messages start with the names involved.
//
// Objects travel directly between the client and the volume servers: an
// upload asks the master for a signed URL (BeginUpload) and PUTs the bytes
// to it; the PUT succeeds only once the object is durable and visible. A
// download asks the master where the object is (LookupObject) and GETs it.
// Transfers stream in bounded chunks whatever the object's size.
#ifndef WAREHOUSE_SDK_INCLUDE_WAREHOUSE_CLIENT_H_
#define WAREHOUSE_SDK_INCLUDE_WAREHOUSE_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "warehouse/object_lister.h"
#include "warehouse/types.h"

namespace warehouse {

struct ClientOptions {
  // The master's gRPC address, host:port.
  std::string master_address = "127.0.0.1:9333";
  // The access key the calls are signed with (docs/access_keys.md).
  std::string access_key_id;
  std::string secret_access_key;

  // Deadline of each gRPC call to the master.
  absl::Duration call_timeout = absl::Seconds(30);
  // How long a transfer may wait on the network (connect, or the next
  // piece of a request or response) before it fails with DeadlineExceeded.
  // An upload's response waits until the master has recorded the object.
  absl::Duration transfer_timeout = absl::Seconds(60);

  // Retries: calls that are safe to repeat (reads of the master, downloads,
  // and uploads, which restart with a new signed URL) are tried up to
  // `max_attempts` times in all when the master or a volume server is
  // Unavailable, sleeping a randomized, doubling backoff between attempts.
  int max_attempts = 4;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);

  // TLS for the gRPC channel to the master: unset for plaintext; set to
  // PEM root certificates to trust, or to "" for the system's roots.
  // Volume servers with TLS hand out https:// URLs, whose certificates are
  // checked against the same roots (the system's when unset).
  std::optional<std::string> tls_root_certs;

  // Signed download URLs are kept, per object, until shortly before they
  // expire but no longer than this, so repeated reads skip the master.
  // An upload or delete through this client, or a 403/404 from a volume
  // server, drops the object's entry; changes made by other clients show
  // after at most this long. Zero disables the cache.
  absl::Duration read_url_cache_ttl = absl::Seconds(30);
  size_t read_url_cache_entries = 4096;
};

// Produces the next piece of an upload into `buf` (at most `n` bytes) and
// returns how many bytes it wrote, 0 only at the end of the data.
using UploadSource = std::function<absl::StatusOr<size_t>(char* buf, size_t n)>;

// Receives the next piece of a download.
using DownloadSink = std::function<absl::Status(absl::string_view piece)>;

// Called as a transfer advances, from the calling thread: bytes done so far
// and the total (the object's size or the range's length).
using ProgressFunction = std::function<void(uint64_t done, uint64_t total)>;

struct PutOptions {
  // The object's media type; empty means "application/octet-stream".
  std::string content_type;
  ProgressFunction progress;
};

struct GetOptions {
  // Read only part of the object: from byte `offset`, `length` bytes (to
  // the end of the object when unset; a length running past the end is cut
  // there). An offset at or past the end is OutOfRange.
  uint64_t offset = 0;
  std::optional<uint64_t> length;
  ProgressFunction progress;
};

// A connection to one Warehouse cluster. Thread-safe: one Client serves any
// number of threads, sharing its gRPC channel, its pool of keep-alive HTTP
// connections to volume servers and its cache of signed read URLs.
class Client {
 public:
  // Makes a client; connects lazily, on the first call. Errors:
  // InvalidArgument (an empty master address, a malformed access key id or
  // secret, max_attempts < 1, a non-positive timeout).
  static absl::StatusOr<std::unique_ptr<Client>> Create(ClientOptions options);

  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // ---- Buckets ----

  // Errors: AlreadyExists; InvalidArgument (3 to 63 characters of
  // lowercase letters, digits, '.' and '-', starting and ending with a
  // letter or digit); PermissionDenied.
  absl::Status CreateBucket(absl::string_view bucket);
  // The buckets this key may see, by name, with object counts and sizes.
  absl::StatusOr<std::vector<BucketInfo>> ListBuckets();
  // Deletes an empty bucket. Errors: NotFound; FailedPrecondition (it
  // still holds objects or uploads in progress).
  absl::Status DeleteBucket(absl::string_view bucket);

  // ---- Uploads ----
  //
  // Each stores the object under `key` (1 to 1024 bytes of UTF-8 without
  // NUL), replacing any object there, and returns once it is durable and
  // visible. Errors: NotFound (bucket); InvalidArgument (key, content
  // type); OutOfRange (larger than the master's maximum object size);
  // ResourceExhausted (no volume has room); Unavailable; DataLoss (the
  // volume server's ETag is not the CRC-32C of the bytes sent, on every
  // attempt or once from a body that cannot be rewound: the object then
  // holds the bytes it received; or the ETag is missing or malformed).

  // Uploads `data`.
  absl::StatusOr<PutResult> Put(absl::string_view bucket, absl::string_view key,
                                absl::string_view data,
                                const PutOptions& options = {});
  // Uploads the regular file at `path`. Further errors: NotFound or
  // PermissionDenied (cannot open it), FailedPrecondition (its size changed
  // during the upload).
  absl::StatusOr<PutResult> PutFile(absl::string_view bucket,
                                    absl::string_view key,
                                    const std::string& path,
                                    const PutOptions& options = {});
  // Uploads exactly `size` bytes read from `source`; its errors are
  // returned as they are. A source ending before `size` bytes is
  // InvalidArgument. A source cannot be rewound, so a failure after it was
  // first read is not retried.
  absl::StatusOr<PutResult> PutStream(absl::string_view bucket,
                                      absl::string_view key, uint64_t size,
                                      UploadSource source,
                                      const PutOptions& options = {});
  // Uploads exactly `size` bytes from `in`, from its current position; a
  // seekable stream is rewound to retry. A stream failing to read is
  // Unavailable. `in` must outlive the call.
  absl::StatusOr<PutResult> PutStream(absl::string_view bucket,
                                      absl::string_view key, uint64_t size,
                                      std::istream& in,
                                      const PutOptions& options = {});

  // ---- Downloads ----
  //
  // Each reads the object (or the range of GetOptions) and, for a whole
  // object, checks its CRC-32C against the etag. A download cut short (a
  // volume server restarting) is resumed where it stopped, provided the
  // object did not change meanwhile. Errors: NotFound (bucket or object);
  // OutOfRange (offset at or past the end); InvalidArgument (a zero
  // length); Aborted (the object was replaced during a resumed download);
  // DataLoss (checksum mismatch); Unavailable (the volume server holding
  // the object cannot be reached; the message names it).

  // Returns the bytes.
  absl::StatusOr<std::string> Get(absl::string_view bucket,
                                  absl::string_view key,
                                  const GetOptions& options = {});
  // Writes the bytes to `path` through a temporary file in the same
  // directory, renamed over `path` only when the download completed: a
  // failed download leaves no partial file. Further errors: those of
  // creating, writing and renaming the file (PermissionDenied, NotFound
  // for a missing directory, ResourceExhausted for a full disk).
  absl::StatusOr<ObjectInfo> GetFile(absl::string_view bucket,
                                     absl::string_view key,
                                     const std::string& path,
                                     const GetOptions& options = {});
  // Passes the bytes to `sink` in order as they arrive; the sink's errors
  // end the download and are returned as they are. Bytes already passed
  // are not passed again when a download resumes.
  absl::StatusOr<ObjectInfo> GetStream(absl::string_view bucket,
                                       absl::string_view key,
                                       DownloadSink sink,
                                       const GetOptions& options = {});
  // Writes the bytes to `out`. A failing stream is Unavailable. `out` must
  // outlive the call.
  absl::StatusOr<ObjectInfo> GetStream(absl::string_view bucket,
                                       absl::string_view key,
                                       std::ostream& out,
                                       const GetOptions& options = {});

  // ---- Metadata ----

  // Errors: NotFound.
  absl::StatusOr<ObjectInfo> Stat(absl::string_view bucket,
                                  absl::string_view key);
  // Errors: NotFound.
  absl::Status Delete(absl::string_view bucket, absl::string_view key);

  // One page of a listing; `continuation_token` is empty for the first
  // page, else the previous page's next_continuation_token. Errors:
  // NotFound (bucket); InvalidArgument (a token from another listing).
  absl::StatusOr<ListPage> ListObjects(absl::string_view bucket,
                                       const ListOptions& options,
                                       absl::string_view continuation_token);
  // Walks a listing page by page (see ObjectLister).
  ObjectLister NewLister(absl::string_view bucket, ListOptions options = {});
  // Calls `page_fn` for every page in order; stops early, returning OK,
  // when it returns false. Errors: those of ListObjects.
  absl::Status ListPages(absl::string_view bucket, const ListOptions& options,
                         const std::function<bool(const ListPage&)>& page_fn);

  // ---- Signed URLs ----

  // Both sign a URL that works for `lifetime`, or for the master's default
  // (15 minutes unless configured) when it is zero; SignedUrl::expires
  // says until when. A lifetime above the master's maximum (7 days unless
  // configured) is InvalidArgument.

  // A URL to download the object (or the range of `options`; its progress
  // is ignored) without credentials. Errors: as Stat, and OutOfRange.
  absl::StatusOr<SignedUrl> PresignGet(
      absl::string_view bucket, absl::string_view key,
      const GetOptions& options = {},
      absl::Duration lifetime = absl::ZeroDuration());
  // A URL to upload exactly `size` bytes of `content_type` (empty means
  // "application/octet-stream") to `key` without credentials. Errors: as
  // Put.
  absl::StatusOr<SignedUrl> PresignPut(
      absl::string_view bucket, absl::string_view key, uint64_t size,
      absl::string_view content_type = "",
      absl::Duration lifetime = absl::ZeroDuration());

  // ---- Administration (admin keys only; others get PermissionDenied) ----

  absl::StatusOr<std::vector<ServerInfo>> ListServers();
  // Every volume, by id.
  absl::StatusOr<std::vector<VolumeInfo>> ListVolumes();
  // Queues the compaction of one volume and returns at once; ListVolumes
  // shows it as the volume's last_compaction, kRunning until its server
  // reports the outcome. The copy goes at most `bytes_per_second` (0: no
  // limit). Errors: NotFound; Unavailable (its server is offline);
  // FailedPrecondition (already compacting).
  absl::Status CompactVolume(uint32_t volume_id,
                             uint64_t bytes_per_second = 0);
  // Queues the compaction of every writable volume whose garbage is at
  // least `min_garbage_ratio` of its size, each copying at most
  // `bytes_per_second` (0: no limit), and returns their ids. Errors:
  // InvalidArgument (a ratio outside (0, 1]).
  absl::StatusOr<std::vector<uint32_t>> CompactVolumes(
      double min_garbage_ratio, uint64_t bytes_per_second = 0);
  // Marks a volume read-only (no more uploads go to it; reads, deletes and
  // compaction go on) or writable again; the volume's server keeps the
  // choice across restarts. Returns the volume after the change. Errors:
  // NotFound; Unavailable (its server is offline, or went offline before
  // it answered); DeadlineExceeded (its server did not answer); without
  // an answer the change may still happen;
  // FailedPrecondition (writable asked of a volume read-only after an I/O
  // error: restart its server).
  absl::StatusOr<VolumeInfo> SetVolumeReadOnly(uint32_t volume_id,
                                               bool read_only);
  // Stops placing uploads and new volumes on a volume server, or resumes;
  // its objects still read, delete and compact, and the master keeps the
  // choice across restarts. Returns the server after the change. Errors:
  // NotFound (unknown server).
  absl::StatusOr<ServerInfo> SetServerDraining(absl::string_view server_id,
                                               bool draining);
  // Compares the master's metadata with the needles the volume servers
  // hold (Master.CheckConsistency); with `repair_orphans`, queues the
  // orphans found for deletion. Lists at most `max_findings` findings (0:
  // the master's default of 1000). The check reads every needle of every
  // volume, so it gets its own `timeout` rather than the call timeout.
  // Errors: Unavailable; DeadlineExceeded.
  absl::StatusOr<ConsistencyReport> CheckConsistency(
      bool repair_orphans, uint32_t max_findings = 0,
      absl::Duration timeout = absl::Hours(1));
  // Has the server holding the volume read back and check every live
  // needle while it keeps serving (Master.VerifyVolume), reading at most
  // `bytes_per_second` (0: no limit); `progress`, when given, receives
  // bytes checked so far and in all, a few times a second. A corrupt needle
  // is a finding, listed with the object it holds. Made once, not retried;
  // a whole volume may take long, hence its own `timeout`. Errors:
  // NotFound (no such volume); Unavailable (its server is offline or
  // unreachable); DeadlineExceeded.
  absl::StatusOr<VerificationReport> VerifyVolume(
      uint32_t volume_id, uint64_t bytes_per_second = 0,
      const std::function<void(uint64_t done, uint64_t total)>& progress =
          nullptr,
      absl::Duration timeout = absl::Hours(1));
  // Moves a volume to another server (`to_server_id`, or when empty the
  // one the master picks: online, not draining, with room, and the most
  // disk free) while its objects keep reading (Master.MoveVolume):
  // read-only meanwhile, copied at most `bytes_per_second` (0: no limit),
  // then served there and dropped where it was; `progress`, when given,
  // receives bytes copied so far and in all, a few times a second. Made
  // once, not retried; a whole volume may take long, hence its own
  // `timeout`. Errors: NotFound (volume or server); InvalidArgument
  // (already there); FailedPrecondition (a server offline, the target
  // draining, the volume compacting or moving); ResourceExhausted (no room
  // on the target, or no server to pick); Unavailable; DeadlineExceeded.
  // After an error the volume is where it was.
  absl::StatusOr<VolumeMoveInfo> MoveVolume(
      uint32_t volume_id, const std::string& to_server_id,
      uint64_t bytes_per_second = 0,
      const std::function<void(uint64_t done, uint64_t total)>& progress =
          nullptr,
      absl::Duration timeout = absl::Hours(1));
  // A consistent copy of the master's metadata database, made while it
  // serves (Master.BackupMetadata): its bytes go to `sink` in order, and
  // the result holds their count and SHA-256, both checked against what
  // the master says it sent. Made once, not retried. Errors: DataLoss (the
  // bytes received are not the master's); the sink's first error, which
  // ends the call; ResourceExhausted (no room beside the master's database
  // for the copy); Unavailable; DeadlineExceeded.
  absl::StatusOr<MetadataBackupInfo> BackupMetadata(
      const std::function<absl::Status(absl::string_view)>& sink,
      absl::Duration timeout = absl::Hours(1));
  // BackupMetadata into a file at `path`, which appears, synced, only once
  // the whole copy has arrived and checked out; a failure leaves nothing
  // behind. Errors: as BackupMetadata, and those of writing the file.
  absl::StatusOr<MetadataBackupInfo> BackupMetadataToFile(
      const std::string& path, absl::Duration timeout = absl::Hours(1));

  // Creates a key; its secret is in the result and never again. Errors:
  // InvalidArgument (an admin key with buckets, a bad bucket name, a
  // description over 256 bytes).
  absl::StatusOr<NewAccessKey> CreateAccessKey(
      AccessKeyRole role, const std::vector<std::string>& buckets = {},
      absl::string_view description = "");
  // Every key that is not revoked, by id, without secrets.
  absl::StatusOr<std::vector<AccessKeyInfo>> ListAccessKeys();
  // Errors: NotFound; FailedPrecondition (the last admin key).
  absl::Status RevokeAccessKey(absl::string_view access_key_id);

  const ClientOptions& options() const;

 private:
  class Impl;
  explicit Client(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace warehouse

#endif  // WAREHOUSE_SDK_INCLUDE_WAREHOUSE_CLIENT_H_
