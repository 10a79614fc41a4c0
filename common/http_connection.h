// One HTTP connection's turn on a worker thread: read a request header,
// hand the request to the handler with a streaming body reader and
// response writer, drain what the handler left unread, and repeat while
// keep-alive allows and the next request has already arrived. Internal to
// Server (common/http_server.h).
#ifndef WAREHOUSE_COMMON_HTTP_CONNECTION_H_
#define WAREHOUSE_COMMON_HTTP_CONNECTION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "boost/beast/core/flat_buffer.hpp"
#include "common/http_server.h"
#include "common/metrics.h"
#include "common/socket_stream.h"

namespace warehouse::http {

// What a connection asks of its server. Implemented by Server; thread-safe.
class ConnectionHost {
 public:
  virtual ~ConnectionHost() = default;
  // Connection `id` has read a request header and will run the handler.
  // `may_block`: the handler may block on something other than the CPU (a
  // request body, a disk flush, an RPC), so another thread must be ready to
  // serve the other connections meanwhile. False when the server is
  // shutting down: the connection closes without answering (the request
  // has not been acted on).
  virtual bool BeginRequest(uint64_t id, bool may_block) = 0;
  // Connection `id` has answered its request. False when the server is
  // shutting down: the connection closes rather than wait for another.
  virtual bool EndRequest(uint64_t id) = 0;
  // Whether the server is shutting down; responses then say
  // "Connection: close".
  virtual bool stopping() const = 0;
};

// The server's own metrics, registered in ServerOptions::metrics.
struct ServerMetrics {
  explicit ServerMetrics(MetricsRegistry& registry);

  Gauge* const open_connections;
  Counter* const rejected_connections;
  Counter* const idle_timeouts;
  CounterFamily* const requests;  // labels: method, code
  Histogram* const request_seconds;
};

// Request counters by method and code, looked up once per worker.
class RequestCounters {
 public:
  explicit RequestCounters(const ServerMetrics* metrics) : metrics_(metrics) {}

  void Count(absl::string_view method, int code, absl::Duration elapsed);

 private:
  struct Cached {
    absl::string_view method;
    int code;
    Counter* counter;
  };
  const ServerMetrics* const metrics_;
  std::vector<Cached> cache_;
};

// What a worker thread keeps from one connection to the next.
struct WorkerState {
  explicit WorkerState(const ServerMetrics* metrics);

  // For headers and chunked bodies, holding at most max_header_bytes plus
  // 16 KiB while a connection is served. Empty between connections (a
  // connection is handed back only when nothing of it is buffered), and
  // back to 16 KiB of capacity.
  boost::beast::flat_buffer buffer;
  RequestCounters counters;
};

// What the worker does with a connection once ServeConnection returns.
enum class AfterServing {
  kAwaitRequest,  // answered, and idle with nothing buffered: wait for the
                  // next request within a fresh idle timeout
  kAwaitMore,     // no request yet, only part of one or of a TLS handshake
                  // (or nothing): wait within the deadline already running
  kClose,         // done: the caller closes the socket
};

// Serves the requests that have arrived on `stream`, and those that follow
// while each next one is already there when the last is answered.
// `metrics` may be null. Returns kAwaitRequest when the connection is idle
// after answering a request, kAwaitMore when it is idle without having
// answered one (what arrived was part of a TLS handshake or record, which
// must not extend the time a client has to send a request), kClose when
// the client closed, a timeout or error ended it, or the host is shutting
// down. Returns with the socket still open.
AfterServing ServeConnection(uint64_t id, SocketStream& stream,
                             const std::string& remote_address,
                             const ServerOptions& options,
                             const Handler& handler, ConnectionHost& host,
                             const ServerMetrics* metrics,
                             WorkerState& worker);

}  // namespace warehouse::http

#endif  // WAREHOUSE_COMMON_HTTP_CONNECTION_H_
