// A small synchronous HTTP/1.1 client on Boost.Beast: what the SDK, the CLI
// and the tests use to talk to volume servers. Bodies stream both ways in
// bounded chunks; connections are kept alive and reused through a pool.
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

namespace warehouse::http {

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
  // When set, the response body is passed here instead of collected.
  BodySink body_sink;
};

// One keep-alive connection to host:port. Not thread-safe.
class Connection {
 public:
  // Errors: Unavailable (cannot resolve or connect), DeadlineExceeded.
  static absl::StatusOr<std::unique_ptr<Connection>> Connect(
      const std::string& host_port, absl::Duration timeout);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends `request` and reads the response. Errors: Unavailable when the
  // connection failed (the request may or may not have been received),
  // DeadlineExceeded, DataLoss when the response body ends early; whatever
  // the body source or sink returns. A response with any status code is OK
  // here: the caller maps codes.
  absl::StatusOr<ClientResponse> Send(ClientRequest& request);

  // Whether the connection can carry another request.
  bool reusable() const { return reusable_; }
  const std::string& host_port() const { return host_port_; }

 private:
  class Impl;
  Connection(std::unique_ptr<Impl> impl, std::string host_port);

  std::unique_ptr<Impl> impl_;
  const std::string host_port_;
  bool reusable_ = true;
};

// Idle connections by host:port, for reuse across requests. Thread-safe.
class ConnectionPool {
 public:
  explicit ConnectionPool(absl::Duration connect_timeout = absl::Seconds(5),
                          size_t max_idle_per_host = 16);

  // Sends on an idle connection to `host_port` (or a new one), and returns
  // the connection to the pool when it can be reused. A request that failed
  // on a reused connection before any byte of the response arrived is
  // retried once on a new connection only if it is idempotent (GET, HEAD,
  // DELETE) and has no streamed body.
  absl::StatusOr<ClientResponse> Send(const std::string& host_port,
                                      ClientRequest& request)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  std::unique_ptr<Connection> Take(const std::string& host_port)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Give(std::unique_ptr<Connection> connection) ABSL_LOCKS_EXCLUDED(mu_);

  const absl::Duration connect_timeout_;
  const size_t max_idle_per_host_;
  absl::Mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle_
      ABSL_GUARDED_BY(mu_);
};

// Splits "http://host:port/path?query" into host:port and target.
// Errors: InvalidArgument (not an http url).
absl::StatusOr<std::pair<std::string, std::string>> SplitUrl(
    absl::string_view url);

}  // namespace warehouse::http

#endif  // WAREHOUSE_COMMON_HTTP_CLIENT_H_
