// A small synchronous HTTP/1.1 client on Boost.Beast over SocketStream:
// what the SDK, the CLI and the tests use to talk to volume servers, in
// plaintext or TLS. Bodies stream both ways in bounded chunks; connections
// are kept alive and reused through a pool.
#ifndef WAREHOUSE_COMMON_HTTP_CLIENT_H_
#define WAREHOUSE_COMMON_HTTP_CLIENT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/tls_context.h"

namespace warehouse::http {

// Where requests go: host:port, and whether over TLS (an https:// url).
struct Origin {
  std::string host_port;
  bool tls = false;

  // "http://host:port" or "https://host:port".
  std::string ToString() const;
};

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // empty when the body went to a sink

  // Case-insensitive.
  std::optional<std::string> Header(absl::string_view name) const;
};

// Produces the next piece of a request body into `buf` (at most `n` bytes);
// returns how many bytes, 0 only at the end.
using BodySource = std::function<absl::StatusOr<size_t>(char* buf, size_t n)>;
// Receives the response body in pieces.
using BodySink = std::function<absl::Status(absl::string_view piece)>;

struct ClientRequest {
  std::string method = "GET";
  std::string target = "/";  // path and query
  std::vector<std::pair<std::string, std::string>> headers;
  // Either a body held in memory, or a source with its exact length.
  std::string body;
  std::optional<uint64_t> body_length;
  BodySource body_source;
  // When set, the body of a response with a 2xx status is passed here
  // instead of collected. Another status's body never reaches it: it is
  // collected in ClientResponse::body, up to kMaxCollectedErrorBody bytes
  // (a longer one is cut there, and the connection is not reused).
  BodySink body_sink;
};

// The most of an error's body kept when the request has a body sink:
// enough for any message, bounded whatever a server sends.
inline constexpr size_t kMaxCollectedErrorBody = 64 << 10;

// One keep-alive connection to an origin. Not thread-safe.
class Connection {
 public:
  // Connects, and over TLS shakes hands checking the server's certificate
  // with `tls` (a client context), which must be set when origin.tls is.
  // `timeout` bounds the connect and, later, each wait for the network.
  // Errors: InvalidArgument (not host:port, or the name does not resolve),
  // Unavailable (cannot connect; the server speaks no TLS),
  // DeadlineExceeded, FailedPrecondition (TLS wanted but no context given;
  // the server's certificate is refused).
  static absl::StatusOr<std::unique_ptr<Connection>> Connect(
      const Origin& origin, absl::Duration timeout,
      const TlsContext* tls = nullptr);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends `request` and reads the response. Errors: Unavailable when the
  // connection failed (the request may or may not have been received),
  // DeadlineExceeded, DataLoss when the response body ends early; whatever
  // the body source or sink returns. A response with any status code is OK
  // here: the caller maps codes.
  absl::StatusOr<ClientResponse> Send(ClientRequest& request);

  // Whether the connection can carry another request: the last response
  // was read whole, its framing did not end with the connection, neither
  // side asked to close, and no byte beyond it has arrived.
  bool reusable() const { return reusable_; }
  // Whether any byte of the last Send's response arrived (so the server
  // received the request); true whenever the body sink was called.
  bool response_started() const { return response_started_; }
  const Origin& origin() const { return origin_; }
  // origin().ToString(): in messages, and the pool's key.
  const std::string& name() const { return name_; }

 private:
  class Impl;
  Connection(std::unique_ptr<Impl> impl, Origin origin);

  std::unique_ptr<Impl> impl_;
  const Origin origin_;
  const std::string name_;
  bool reusable_ = true;
  bool response_started_ = false;
};

// Idle connections by origin, for reuse across requests. Thread-safe.
class ConnectionPool {
 public:
  // `tls` (a client context) checks https origins' certificates; without
  // it a request to one fails with FailedPrecondition.
  explicit ConnectionPool(absl::Duration connect_timeout = absl::Seconds(5),
                          size_t max_idle_per_host = 16,
                          std::shared_ptr<const TlsContext> tls = nullptr);

  // Sends on an idle connection to `host_port` (or a new one), and returns
  // the connection to the pool when it can be reused. A request that failed
  // with Unavailable on a reused connection before any byte of the response
  // arrived is retried once on a new connection only if it is idempotent
  // (GET, HEAD, DELETE) and has no streamed body. Once the response has
  // begun, nothing is sent again: the body sink may already hold bytes.
  absl::StatusOr<ClientResponse> Send(const Origin& origin,
                                      ClientRequest& request)
      ABSL_LOCKS_EXCLUDED(mu_);

  // A new connection to `origin`, outside the pool. Errors as for
  // Connection::Connect.
  absl::StatusOr<std::unique_ptr<Connection>> Connect(
      const Origin& origin) const;

 private:
  // `key`: Origin::ToString().
  std::unique_ptr<Connection> Take(const std::string& key)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Give(std::unique_ptr<Connection> connection) ABSL_LOCKS_EXCLUDED(mu_);

  const absl::Duration connect_timeout_;
  const size_t max_idle_per_host_;
  const std::shared_ptr<const TlsContext> tls_;
  absl::Mutex mu_;
  // By Origin::ToString().
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle_
      ABSL_GUARDED_BY(mu_);
};

// Splits "http://host:port/path?query" (or https://) into its origin and
// target. Errors: InvalidArgument (not an http or https url).
absl::StatusOr<std::pair<Origin, std::string>> SplitUrl(absl::string_view url);

}  // namespace warehouse::http

#endif  // WAREHOUSE_COMMON_HTTP_CLIENT_H_
