// The machinery behind warehouse::Client: the master's gRPC channel, the
// pool of keep-alive HTTP connections to volume servers and the cache of
// read URLs, and the upload and download loops that retry over them.
#ifndef WAREHOUSE_SDK_CLIENT_IMPL_H_
#define WAREHOUSE_SDK_CLIENT_IMPL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/http_client.h"
#include "grpcpp/grpcpp.h"
#include "sdk/master_rpc.h"
#include "sdk/read_url_cache.h"
#include "sdk/upload_body.h"
#include "warehouse/client.h"

namespace warehouse {

// The media type of an object uploaded without one.
inline constexpr char kDefaultContentType[] = "application/octet-stream";

// Thread-safe: every member is immutable or thread-safe itself.
class Client::Impl {
 public:
  // Errors: InvalidArgument (see Client::Create).
  static absl::StatusOr<std::unique_ptr<Impl>> Create(ClientOptions options);

  const ClientOptions& options() const { return options_; }
  const MasterRpc& rpc() const { return rpc_; }
  ReadUrlCache& url_cache() { return url_cache_; }

  // Stores `body` (exactly `size` bytes) under bucket/key: BeginUpload,
  // then PUT to the signed URL; on Unavailable, or when the server stored
  // other bytes than were sent, again with a new BeginUpload when the body
  // can be rewound. Errors: as Client::Put, and
  // the body's own.
  absl::StatusOr<PutResult> Upload(absl::string_view bucket,
                                   absl::string_view key, uint64_t size,
                                   UploadBody& body, const PutOptions& options);

  // Reads bucket/key (or the range of `options`) into `sink`, resuming
  // where it stopped after a transport failure. Calls `expect`, if given,
  // with the number of bytes to read before the first piece reaches
  // `sink`. Errors: as Client::Get, and the sink's own.
  absl::StatusOr<ObjectInfo> Download(
      absl::string_view bucket, absl::string_view key,
      const GetOptions& options, const DownloadSink& sink,
      const std::function<void(uint64_t bytes)>& expect = nullptr);

 private:
  // Where to read an object from, and whether it came from the cache.
  struct ReadTarget {
    CachedRead read;
    bool cached = false;
  };

  Impl(ClientOptions options, std::shared_ptr<grpc::Channel> channel,
       std::shared_ptr<const http::TlsContext> tls);

  // A whole-object read URL for bucket/key, from the cache or from one
  // LookupObject (not retried: Download's loop retries). Errors: those of
  // LookupObject; InvalidArgument (the master sent a malformed URL).
  absl::StatusOr<ReadTarget> ResolveRead(absl::string_view bucket,
                                         absl::string_view key);

  // One PUT of `body` to the upload's signed URL; sets `*retryable` when
  // another upload may succeed where this one failed. Errors: the volume
  // server's, mapped; Unavailable or DeadlineExceeded from the network;
  // the body's own; DataLoss when the server's ETag is not the CRC-32C of
  // the bytes sent (retryable: a new upload replaces the object) or is
  // missing or malformed.
  absl::StatusOr<PutResult> PutOnce(absl::string_view name,
                                    const v1::BeginUploadResponse& upload,
                                    uint64_t size,
                                    const std::string& content_type,
                                    UploadBody& body,
                                    const PutOptions& options,
                                    bool* retryable);

  const ClientOptions options_;
  // Shared with the gRPC stub inside rpc_, which gRPC requires.
  const std::shared_ptr<grpc::Channel> channel_;
  const MasterRpc rpc_;
  http::ConnectionPool pool_;
  ReadUrlCache url_cache_;
};

}  // namespace warehouse

#endif  // WAREHOUSE_SDK_CLIENT_IMPL_H_
