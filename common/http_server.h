// The HTTP/1.1 server every Warehouse process shares: the volume server's
// data path, the master's /metrics, /healthz and JSON API.
//
// Idle connections wait in an epoll set; a pool of worker threads serves
// each one whose next request has arrived, with blocking I/O. The pool
// grows while handlers block (pwrite, a group-commit fdatasync, an RPC), so
// a blocked handler stalls no other connection. Request bodies are streamed to the handler
// through BodyReader and responses streamed out through ResponseWriter;
// neither is ever held whole in memory by the server. Parsing is Boost.Beast.
// docs/http.md describes the threading model, timeouts and limits.
#ifndef WAREHOUSE_COMMON_HTTP_SERVER_H_
#define WAREHOUSE_COMMON_HTTP_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/server_certificate.h"

namespace warehouse {
class MetricsRegistry;
}  // namespace warehouse

namespace warehouse::http {

struct ServerOptions {
  // A numeric IPv4 or IPv6 address to listen on.
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: the OS picks; Server::port() tells
  // Connections served at once. Beyond it a new connection is answered 503
  // and closed (over TLS, closed without an answer).
  size_t max_connections = 1024;
  // The longest one read or write waits for progress. Also bounds the wait
  // for a whole request header, so a client that dribbles a header byte by
  // byte is dropped as surely as one that stalls.
  absl::Duration idle_timeout = absl::Seconds(60);
  // The request line and header fields together; larger requests get 431.
  size_t max_header_bytes = 16 << 10;
  // When set, the server counts connections, requests and latencies in it
  // (warehouse_http_* metrics). Must outlive the server.
  MetricsRegistry* metrics = nullptr;
  // When set, every connection speaks TLS with this certificate, whose
  // files are followed (ServerCertificate); plaintext otherwise.
  std::shared_ptr<ServerCertificate> tls;
};

// The body of a request, read incrementally from the socket. Not
// thread-safe; valid only during the handler call.
class BodyReader {
 public:
  virtual ~BodyReader() = default;

  // The declared Content-Length; nullopt when the body is chunked or the
  // request has no Content-Length (then the body is empty).
  virtual std::optional<uint64_t> content_length() const = 0;

  // Reads up to `n` bytes of the body into `buf` and returns how many; 0 at
  // the end of the body (or when `n` is 0). Never returns more than arrived
  // from the socket in one go, so a handler sees a large body in chunks.
  // The first call answers an `Expect: 100-continue` with 100 Continue.
  // Errors, sticky: InvalidArgument (malformed chunked encoding, a chunk
  // line or trailer longer than max_header_bytes allows, or the client
  // closed before sending the whole body), DeadlineExceeded (no
  // bytes within the idle timeout), Unavailable (connection reset),
  // FailedPrecondition (the client awaits 100 Continue but the response
  // has already started, so the body will never come).
  virtual absl::StatusOr<size_t> Read(char* buf, size_t n) = 0;
};

// Reads a whole body of at most `limit` bytes, for small JSON requests.
// Errors: OutOfRange (the body is larger than `limit`; callers usually
// answer 413), or the BodyReader's errors.
absl::StatusOr<std::string> ReadFullBody(BodyReader& body, size_t limit);

struct Request {
  std::string method;      // "GET", "PUT", ... as sent
  std::string path;        // percent-decoded path, without the query
  std::string raw_target;  // the request target as received
  // Decoded query parameters ('+' decodes to a space), in order.
  std::multimap<std::string, std::string> query;
  // Header fields in the order received, names as sent.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string remote_address;  // "ip:port" of the client
  BodyReader* body = nullptr;  // never null; an empty body reads 0

  // The value of header field `name`, compared case-insensitively; a field
  // sent more than once yields its values joined with ", ".
  std::optional<std::string> Header(absl::string_view name) const;
  // The first value of query parameter `name`.
  std::optional<std::string> QueryParam(absl::string_view name) const;
};

// Writes one response: either Send, or BeginStream, Write* and Finish.
// Not thread-safe; valid only during the handler call.
//
// If a handler returns without responding, the server answers 500. If a
// handler stops mid-stream (returns after BeginStream without a successful
// Finish), the server closes the connection, so the client sees a body
// shorter than its Content-Length: a truncated body, never a wrong one.
// For a HEAD request, Send and BeginStream write only the header, with the
// Content-Length the body would have had; Write counts bytes and discards
// them.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;

  // Sets a header field, replacing an earlier value. Content-Length and
  // Transfer-Encoding belong to the server; "Connection: close" closes the
  // connection after this response. A name or value the server will not
  // send (a control character, CR or LF; a server-owned field) makes the
  // next Send or BeginStream fail with InvalidArgument. No effect once the
  // header has been sent.
  virtual void SetHeader(absl::string_view name, absl::string_view value) = 0;

  // Sends `status` (200..599) with `body`, setting Content-Length (except
  // for 204 and 304, which have no body: RFC 9110, section 8.6). Errors:
  // FailedPrecondition (a response was already started), InvalidArgument
  // (bad status or header, a body for a 204 or 304), DeadlineExceeded or
  // Unavailable (the client did not take the bytes; the connection is
  // closed).
  virtual absl::Status Send(int status, absl::string_view body) = 0;

  // Starts a response of exactly `content_length` body bytes. The header
  // goes out with the first Write (or with Finish), so a small response
  // leaves in one packet. Errors as for Send.
  virtual absl::Status BeginStream(int status, uint64_t content_length) = 0;
  // Sends the next part of the body. Errors: FailedPrecondition (no stream
  // started, or already finished), InvalidArgument (more bytes than
  // declared), DeadlineExceeded or Unavailable (the client did not take the
  // bytes). After an error the response is abandoned and the connection
  // will be closed.
  virtual absl::Status Write(absl::string_view chunk) = 0;
  // Completes the stream. Errors: FailedPrecondition (no stream started),
  // InvalidArgument (fewer bytes written than declared: the connection will
  // be closed), or a Write error.
  virtual absl::Status Finish() = 0;

  // Whether Send or BeginStream has succeeded.
  virtual bool responded() const = 0;
};

// Called on a worker thread for each request. May block.
using Handler = std::function<void(Request& request, ResponseWriter& response)>;

// Listens on one address and serves its connections on a pool of worker
// threads. Thread-safe.
class Server {
 public:
  // Binds, listens and starts accepting. `handler` must be safe to call
  // from many threads at once. Errors: InvalidArgument (bad address or
  // options), PermissionDenied (a privileged port), FailedPrecondition (the
  // port is in use), Unavailable (other socket errors).
  static absl::StatusOr<std::unique_ptr<Server>> Start(
      const ServerOptions& options, Handler handler);

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();  // Shutdown(absl::ZeroDuration()) if not done

  // The port listened on (the chosen one when options.port was 0).
  uint16_t port() const;

  // Stops accepting and closes idle connections, lets requests in progress
  // finish for up to `grace`, then closes the remaining connections and
  // joins every thread. A handler blocked on something other than its
  // connection (a disk, an RPC) is waited for. Later calls return at once.
  void Shutdown(absl::Duration grace);

 private:
  class Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace warehouse::http

#endif  // WAREHOUSE_COMMON_HTTP_SERVER_H_
