// One HTTP connection's life on its own thread: read a request header,
// hand the request to the handler with a streaming body reader and
// response writer, drain what the handler left unread, and repeat while
// keep-alive allows. Internal to Server (common/http_server.h).
#ifndef WAREHOUSE_COMMON_HTTP_CONNECTION_H_
#define WAREHOUSE_COMMON_HTTP_CONNECTION_H_

#include <cstdint>
#include <string>

#include "common/http_server.h"
#include "common/metrics.h"
#include "common/socket_stream.h"

namespace warehouse::http {

// What a connection asks of its server. Implemented by Server; thread-safe.
class ConnectionHost {
 public:
  virtual ~ConnectionHost() = default;
  // Connection `id` has read a request header and will run the handler.
  // False when the server is shutting down: the connection closes without
  // answering (the request has not been acted on).
  virtual bool BeginRequest(uint64_t id) = 0;
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

// Serves the requests that arrive on `stream` until the client closes, a
// timeout or error, or the host shuts down. `metrics` may be null. Returns
// with the socket still open; the caller closes it.
void ServeConnection(uint64_t id, SocketStream& stream,
                     const std::string& remote_address,
                     const ServerOptions& options, const Handler& handler,
                     ConnectionHost& host, const ServerMetrics* metrics);

}  // namespace warehouse::http

#endif  // WAREHOUSE_COMMON_HTTP_CONNECTION_H_
