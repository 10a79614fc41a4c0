// One request and its response on a connection: the BodyReader and
// ResponseWriter a handler is given (common/http_server.h has their
// contracts). Internal to the HTTP server; docs/http.md describes framing,
// 100-continue, HEAD and truncation.
#ifndef WAREHOUSE_COMMON_HTTP_EXCHANGE_H_
#define WAREHOUSE_COMMON_HTTP_EXCHANGE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/http/buffer_body.hpp"
#include "boost/beast/http/fields.hpp"
#include "boost/beast/http/parser.hpp"
#include "boost/system/error_code.hpp"
#include "common/http_connection.h"
#include "common/http_server.h"
#include "common/metrics.h"
#include "common/socket_stream.h"

namespace warehouse::http {

using RequestParser =
    boost::beast::http::request_parser<boost::beast::http::buffer_body>;

// A body the handler left unread is read and discarded to keep the
// connection when at most this much of it remains; otherwise the
// connection closes.
inline constexpr uint64_t kMaxDrainBytes = 64 << 10;

// Whether `ec` is one of Beast's HTTP parse errors.
bool IsHttpError(const boost::system::error_code& ec);

// The status line and header fields of a response, with Content-Length and
// the Connection field that `keep_alive` and `http10` call for.
std::string ResponseHead(int status, const boost::beast::http::fields& fields,
                         uint64_t content_length, bool keep_alive, bool http10);

// The body of one request. A body of known length is read straight from
// the socket into the handler's buffer (after whatever the header read
// already buffered), so a multi-GiB upload costs no extra copy and each
// read takes as much as the socket holds. A chunked body goes through
// Beast's parser; a chunk-size line or trailer that does not fit in
// `buffer` (its max_size) fails the read with InvalidArgument. Not
// thread-safe; lives for one request, and the stream, buffer, parser and
// `remote` must outlive it.
class SocketBodyReader final : public BodyReader {
 public:
  // `timeouts` (may be null) counts reads that time out.
  SocketBodyReader(SocketStream& stream, boost::beast::flat_buffer& buffer,
                   RequestParser& parser, bool expect_continue,
                   const std::string& remote, Counter* timeouts);

  std::optional<uint64_t> content_length() const override;
  absl::StatusOr<size_t> Read(char* buf, size_t n) override;

  bool done() const;
  // The response header is going out. A client still waiting for
  // 100 Continue will not send the body now, and 100 Continue may not
  // follow a final response: later reads fail with FailedPrecondition.
  void OnResponseStarted();
  // Whether the rest of the body can be read cheaply after the response,
  // so the connection can stay open: it is known to be small, and the
  // client is not holding it back waiting for 100 Continue.
  bool CanDrain() const;
  // Reads and discards the rest of the body. Errors: as Read, and
  // ResourceExhausted when more than kMaxDrainBytes remain.
  absl::Status Drain();

 private:
  absl::StatusOr<size_t> ReadFixed(char* buf, size_t n);
  absl::StatusOr<size_t> ReadChunked(char* buf, size_t n);

  SocketStream& stream_;
  boost::beast::flat_buffer& buffer_;
  RequestParser& parser_;
  const bool chunked_;
  uint64_t remaining_;  // of a Content-Length body
  bool continue_pending_;
  const std::string& remote_;
  Counter* const timeouts_;
  absl::Status status_;  // the first error; every later Read returns it
};

// The response to one request. Not thread-safe; lives for one request, and
// everything it refers to must outlive it.
class SocketResponseWriter final : public ResponseWriter {
 public:
  // `client_keep_alive`: the request allows another on this connection.
  // `head`: the request is HEAD. `timeouts` (may be null) counts writes
  // that time out.
  SocketResponseWriter(SocketStream& stream, SocketBodyReader& body,
                       const ConnectionHost& host, bool client_keep_alive,
                       bool http10, bool head, const std::string& remote,
                       Counter* timeouts);

  void SetHeader(absl::string_view name, absl::string_view value) override;
  absl::Status Send(int status, absl::string_view body) override;
  absl::Status BeginStream(int status, uint64_t content_length) override;
  absl::Status Write(absl::string_view chunk) override;
  absl::Status Finish() override;
  bool responded() const override { return state_ != State::kNone; }

  // The response went out whole.
  bool complete() const { return state_ == State::kDone && error_.ok(); }
  // The response said the connection stays open.
  bool keep_alive() const { return keep_alive_; }
  // The status sent or attempted; 0 before any.
  int status() const { return status_; }

  // Makes the response close the connection.
  void ForceClose() { close_requested_ = true; }
  // Forgets the handler's header fields, before the server answers itself.
  void ClearHeaders();

 private:
  enum class State { kNone, kStreaming, kDone };

  // Errors: FailedPrecondition (already started), InvalidArgument (a
  // status outside 200..599, a body for a 204 or 304, a bad header).
  absl::Status CheckStart(int status, uint64_t content_length);
  // The response header; decides whether the connection stays open.
  std::string Head(int status, uint64_t content_length);
  // Sends `a` then `b`, in one system call when the socket takes them.
  absl::Status Transmit(absl::string_view a, absl::string_view b);

  SocketStream& stream_;
  SocketBodyReader& body_;
  const ConnectionHost& host_;
  const bool client_keep_alive_;
  const bool http10_;
  const bool head_;
  const std::string& remote_;
  Counter* const timeouts_;

  boost::beast::http::fields fields_;
  absl::Status header_error_;
  bool close_requested_ = false;
  State state_ = State::kNone;
  int status_ = 0;
  bool keep_alive_ = false;
  std::string pending_head_;  // not yet sent; goes out with the body
  uint64_t declared_ = 0;
  uint64_t written_ = 0;
  absl::Status error_;  // the first failure; the response is abandoned
};

}  // namespace warehouse::http

#endif  // WAREHOUSE_COMMON_HTTP_EXCHANGE_H_
