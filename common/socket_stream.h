// A connected TCP socket with bounded waits, the transport under the HTTP
// server (and any synchronous HTTP client).
//
// Why not asio's tcp::socket: its synchronous operations ignore
// beast::tcp_stream expiry, and when SO_RCVTIMEO makes recv() give up they
// poll the socket again without a time limit, so a peer that stops sending
// would pin a thread forever. SocketStream keeps its descriptor
// non-blocking and waits with poll() for at most the timeout, so every
// read and write either makes progress or fails with beast::error::timeout.
//
// With AcceptTls or ConnectTls the same reads and writes run TLS through
// OpenSSL, over the same non-blocking socket and the same bounded waits.
#ifndef WAREHOUSE_COMMON_SOCKET_STREAM_H_
#define WAREHOUSE_COMMON_SOCKET_STREAM_H_

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/asio/buffer.hpp"
#include "boost/system/error_code.hpp"
#include "common/tls_context.h"

typedef struct ssl_st SSL;

namespace warehouse::http {

// Owns one connected socket. Meets Beast's SyncReadStream and
// SyncWriteStream requirements through the error_code overloads of
// read_some and write_some; the throwing overloads exist only for Beast's
// concept checks and are never defined, so code that would throw does not
// link.
//
// Not thread-safe, except ShutdownBoth(), which any thread may call to wake
// a blocked reader or writer.
class SocketStream {
 public:
  // Takes ownership of the connected socket `fd` and makes it non-blocking.
  explicit SocketStream(int fd);
  ~SocketStream();  // sends TLS close_notify if it can, closes the socket
  SocketStream(const SocketStream&) = delete;
  SocketStream& operator=(const SocketStream&) = delete;

  // Connects to `host` (a name or a numeric address) on `port`, trying each
  // address the name resolves to. Errors: InvalidArgument (the name does not
  // resolve), DeadlineExceeded (no answer within `timeout`), Unavailable
  // (refused or unreachable).
  static absl::StatusOr<std::unique_ptr<SocketStream>> Connect(
      const std::string& host, uint16_t port, absl::Duration timeout);

  // Server side: from now on reads and writes speak TLS with `context`'s
  // certificate; the handshake runs within the first reads, so a worker
  // never waits for a client that has not sent its hello. Errors: Internal
  // (OpenSSL could not make the session).
  absl::Status AcceptTls(const TlsContext& context);
  // Client side: shakes hands with the server now, within the timeout (and
  // the deadline), accepting only a certificate that `context` trusts and
  // that names `host` (a name or a numeric address). Errors:
  // DeadlineExceeded, Unavailable (the server closed, or spoke no TLS),
  // FailedPrecondition (its certificate is not trusted or names another
  // host), InvalidArgument (`host` is no name a certificate can hold),
  // Internal. Messages do not name the server; the caller does.
  absl::Status ConnectTls(const TlsContext& context, const std::string& host);
  // Server side: the client sent plaintext where the TLS hello belongs.
  // Reads failed with a protocol error, and the stream is plaintext from
  // then on, so that the server can say so in a plaintext answer.
  bool plaintext_peer() const { return plaintext_peer_; }

  int fd() const { return fd_; }

  // The longest a single read or write waits for progress;
  // absl::InfiniteDuration() waits forever.
  void set_timeout(absl::Duration timeout) { timeout_ = timeout; }
  absl::Duration timeout() const { return timeout_; }
  // A point after which reads and writes fail with beast::error::timeout,
  // whatever their progress; absl::InfiniteFuture() clears it.
  void set_deadline(absl::Time deadline) { deadline_ = deadline; }

  // Reads at least one byte into `buf` (up to `n`). Errors in `ec`:
  // asio::error::eof when the peer closed its side, beast::error::timeout,
  // or the system error.
  size_t ReadSome(char* buf, size_t n, boost::system::error_code& ec);
  // Reads what has already arrived into `buf` (up to `n`), without waiting.
  // Errors in `ec` as for ReadSome, and asio::error::would_block when
  // nothing has arrived.
  size_t ReadNow(char* buf, size_t n, boost::system::error_code& ec);
  // Sends at least one byte of the `count` buffers in `iov` unless all are
  // empty. Errors in `ec`: beast::error::timeout or the system error (EPIPE,
  // ECONNRESET when the peer went away).
  size_t WriteSome(const struct iovec* iov, size_t count,
                   boost::system::error_code& ec);
  // Sends all of `data`. Errors as for WriteSome.
  void WriteAll(const char* data, size_t n, boost::system::error_code& ec);

  // Sends TLS close_notify (if TLS) and FIN: the peer reads end of stream;
  // reading continues to work.
  void ShutdownWrite();
  // Ends both directions; a thread blocked in a read or write returns.
  void ShutdownBoth();

  // SyncReadStream.
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers,
                   boost::system::error_code& ec) {
    auto end = boost::asio::buffer_sequence_end(buffers);
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != end;
         ++it) {
      boost::asio::mutable_buffer buffer(*it);
      if (buffer.size() > 0) {
        return ReadSome(static_cast<char*>(buffer.data()), buffer.size(), ec);
      }
    }
    ec = {};
    return 0;
  }
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers);  // never defined

  // SyncWriteStream.
  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers,
                    boost::system::error_code& ec) {
    struct iovec iov[kMaxIov];
    size_t count = 0;
    auto end = boost::asio::buffer_sequence_end(buffers);
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != end && count < kMaxIov; ++it) {
      boost::asio::const_buffer buffer(*it);
      if (buffer.size() == 0) continue;
      iov[count].iov_base = const_cast<void*>(buffer.data());
      iov[count].iov_len = buffer.size();
      ++count;
    }
    return WriteSome(iov, count, ec);
  }
  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers);  // never defined

 private:
  static constexpr size_t kMaxIov = 64;
  // The most plaintext one TLS record carries.
  static constexpr size_t kTlsRecordBytes = 16 << 10;
  // Encrypted records gathered before a send.
  static constexpr int kTlsWriteBufferBytes = 64 << 10;

  // Waits until the socket is ready for `events` (POLLIN or POLLOUT).
  // Returns false with `ec` set on timeout or error.
  bool Wait(short events, boost::system::error_code& ec);
  // ReadNow and WriteSome over TLS.
  size_t TlsReadNow(char* buf, size_t n, boost::system::error_code& ec);
  size_t TlsWriteSome(const struct iovec* iov, size_t count,
                      boost::system::error_code& ec);
  // Sends the records still buffered in front of the socket, waiting for
  // it as writes do. Returns false with `ec` set on timeout or error.
  bool FlushTls(boost::system::error_code& ec);
  // Makes ssl_ on this socket. Errors: Internal.
  absl::Status NewTlsSession(const TlsContext& context);

  const int fd_;
  SSL* ssl_ = nullptr;  // null: plaintext
  bool tls_hello_checked_ = false;
  bool plaintext_peer_ = false;
  // Small buffers gathered into one TLS record; see TlsWriteSome.
  std::unique_ptr<char[]> tls_gather_;
  absl::Duration timeout_ = absl::InfiniteDuration();
  absl::Time deadline_ = absl::InfiniteFuture();
};

}  // namespace warehouse::http

#endif  // WAREHOUSE_COMMON_SOCKET_STREAM_H_
