#include "common/socket_stream.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "boost/asio/error.hpp"
#include "boost/asio/ssl/error.hpp"
#include "boost/beast/core/error.hpp"
#include "common/status_macros.h"

namespace warehouse::http {
namespace {

boost::system::error_code SystemError(int err) {
  return boost::system::error_code(err, boost::system::system_category());
}

// Milliseconds to wait for `d`, rounded up; -1 for forever.
int PollMillis(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return -1;
  if (d <= absl::ZeroDuration()) return 0;
  int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, 1 << 30));
}

void SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL, 0);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// OpenSSL's own socket BIO writes with write(), which raises SIGPIPE when
// the peer has gone; this one sends with MSG_NOSIGNAL, as the plaintext
// path does. The descriptor is the BIO's data.
int SocketBioWrite(BIO* bio, const char* data, int n) {
  BIO_clear_retry_flags(bio);
  const int fd = static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio)));
  ssize_t sent = send(fd, data, static_cast<size_t>(n), MSG_NOSIGNAL);
  if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_write(bio);
  }
  return static_cast<int>(sent);
}

int SocketBioRead(BIO* bio, char* buf, int n) {
  BIO_clear_retry_flags(bio);
  const int fd = static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio)));
  ssize_t got = recv(fd, buf, static_cast<size_t>(n), 0);
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_read(bio);
  }
  return static_cast<int>(got);
}

long SocketBioCtrl(BIO*, int cmd, long, void*) {
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;  // writes are never buffered here
}

BIO_METHOD* SocketBioMethod() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                                 "warehouse socket");
    BIO_meth_set_write(m, SocketBioWrite);
    BIO_meth_set_read(m, SocketBioRead);
    BIO_meth_set_ctrl(m, SocketBioCtrl);
    return m;
  }();
  return method;
}

boost::system::error_code TlsErrorCode(unsigned long err) {
  return boost::system::error_code(static_cast<int>(err),
                                   boost::asio::error::get_ssl_category());
}

// The error of a failed SSL call that neither wants to read nor to write.
boost::system::error_code SessionError(int ssl_error) {
  if (ssl_error == SSL_ERROR_ZERO_RETURN) return boost::asio::error::eof;
  if (ssl_error == SSL_ERROR_SYSCALL) {
    // errno 0: the peer closed without close_notify.
    const unsigned long queued = ERR_get_error();
    if (queued != 0) return TlsErrorCode(queued);
    return errno != 0 ? SystemError(errno) : boost::asio::error::eof;
  }
  const unsigned long last = TakeLastTlsErrorCode();
  return last != 0 ? TlsErrorCode(last)
                   : boost::system::error_code(
                         boost::system::errc::protocol_error,
                         boost::system::generic_category());
}

}  // namespace

SocketStream::SocketStream(int fd) : fd_(fd) {
  SetNonBlocking(fd_);
  int one = 1;
  // Responses go out as one header write and body writes; without
  // TCP_NODELAY a small write after another waits for the peer's delayed ACK.
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

SocketStream::~SocketStream() {
  if (ssl_ != nullptr) {
    // Best effort and without waiting: the socket may be full or gone.
    if (SSL_is_init_finished(ssl_)) {
      SSL_shutdown(ssl_);
      BIO_flush(SSL_get_wbio(ssl_));
    }
    SSL_free(ssl_);
    ERR_clear_error();
  }
  close(fd_);
}

absl::Status SocketStream::NewTlsSession(const TlsContext& context) {
  if (ssl_ != nullptr) return absl::InternalError("TLS already started");
  ERR_clear_error();
  ssl_ = SSL_new(context.native());
  BIO* socket_bio = ssl_ != nullptr ? BIO_new(SocketBioMethod()) : nullptr;
  BIO* write_bio = socket_bio != nullptr ? BIO_new(BIO_f_buffer()) : nullptr;
  if (write_bio == nullptr ||
      BIO_set_write_buffer_size(write_bio, kTlsWriteBufferBytes) != 1) {
    BIO_free(write_bio);
    BIO_free(socket_bio);
    SSL_free(ssl_);
    ssl_ = nullptr;
    return absl::InternalError(
        TakeTlsError("TLS: cannot make a session for the connection"));
  }
  BIO_set_data(socket_bio,
               reinterpret_cast<void*>(static_cast<intptr_t>(fd_)));
  BIO_set_init(socket_bio, 1);
  // Records are written into a buffer in front of the socket and leave
  // together when it fills or at the end of each write (FlushTls): one
  // send for several 16 KiB records rather than one each. Reads come
  // straight from the socket. The chain holds one reference to the socket
  // BIO and the session's read side another; ssl_ owns both.
  BIO_push(write_bio, socket_bio);
  BIO_up_ref(socket_bio);
  SSL_set_bio(ssl_, socket_bio, write_bio);
  tls_gather_ = std::make_unique<char[]>(kTlsRecordBytes);
  return absl::OkStatus();
}

absl::Status SocketStream::AcceptTls(const TlsContext& context) {
  RETURN_IF_ERROR(NewTlsSession(context));
  SSL_set_accept_state(ssl_);
  return absl::OkStatus();
}

absl::Status SocketStream::ConnectTls(const TlsContext& context,
                                      const std::string& host) {
  RETURN_IF_ERROR(NewTlsSession(context));
  SSL_set_connect_state(ssl_);
  // A numeric address must appear among the certificate's IP addresses; a
  // name among its DNS names, and it goes in the hello (SNI).
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
  if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) {
    ERR_clear_error();
    SSL_set_tlsext_host_name(ssl_, host.c_str());
    X509_VERIFY_PARAM_set_hostflags(param,
                                    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("TLS: \"", host, "\" is not a host name it can check"));
    }
  }
  for (;;) {
    ERR_clear_error();
    const int rc = SSL_do_handshake(ssl_);
    if (rc == 1) return absl::OkStatus();
    const int err = SSL_get_error(ssl_, rc);
    boost::system::error_code ec;
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (Wait(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, ec)) continue;
      return absl::DeadlineExceededError(
          absl::StrCat("TLS handshake: no answer within ",
                       absl::FormatDuration(timeout_)));
    }
    const long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      ERR_clear_error();
      return absl::FailedPreconditionError(
          absl::StrCat("TLS: the server's certificate is refused: ",
                       X509_verify_cert_error_string(verify)));
    }
    ec = SessionError(err);
    return absl::UnavailableError(absl::StrCat(
        "TLS handshake failed (does the server speak TLS?): ", ec.message()));
  }
}

absl::StatusOr<std::unique_ptr<SocketStream>> SocketStream::Connect(
    const std::string& host, uint16_t port, absl::Duration timeout) {
  struct addrinfo hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  struct addrinfo* addrs = nullptr;
  const std::string service = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &addrs);
  if (rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(host, ":", port, ": cannot resolve: ", gai_strerror(rc)));
  }
  const absl::Time deadline = absl::Now() + timeout;
  absl::Status last = absl::UnavailableError(
      absl::StrCat(host, ":", port, ": no address to connect to"));
  for (struct addrinfo* a = addrs; a != nullptr; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    a->ai_protocol);
    if (fd < 0) {
      last = absl::UnavailableError(
          absl::StrCat(host, ":", port, ": socket: ", strerror(errno)));
      continue;
    }
    int err = 0;
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) err = errno;
    if (err == EINPROGRESS) {
      struct pollfd p = {fd, POLLOUT, 0};
      int ready;
      do {
        ready = poll(&p, 1, PollMillis(deadline - absl::Now()));
      } while (ready < 0 && errno == EINTR);
      if (ready == 0) {
        close(fd);
        last = absl::DeadlineExceededError(absl::StrCat(
            host, ":", port, ": no answer within ", absl::FormatDuration(timeout)));
        continue;
      }
      socklen_t len = sizeof(err);
      if (ready < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        err = errno;
      }
    }
    if (err != 0) {
      close(fd);
      last = absl::UnavailableError(
          absl::StrCat(host, ":", port, ": connect: ", strerror(err)));
      continue;
    }
    freeaddrinfo(addrs);
    return std::make_unique<SocketStream>(fd);
  }
  freeaddrinfo(addrs);
  return last;
}

bool SocketStream::Wait(short events, boost::system::error_code& ec) {
  for (;;) {
    absl::Duration wait = timeout_;
    if (deadline_ != absl::InfiniteFuture()) {
      wait = std::min(wait, deadline_ - absl::Now());
    }
    struct pollfd p = {fd_, events, 0};
    int ready = poll(&p, 1, PollMillis(wait));
    if (ready > 0) return true;  // readable, writable, or an error to report
    if (ready == 0) {
      ec = boost::beast::error::timeout;
      return false;
    }
    if (errno != EINTR) {
      ec = SystemError(errno);
      return false;
    }
  }
}

size_t SocketStream::ReadSome(char* buf, size_t n,
                              boost::system::error_code& ec) {
  for (;;) {
    size_t got = ReadNow(buf, n, ec);
    if (ec != boost::asio::error::would_block) return got;
    if (!Wait(POLLIN, ec)) return 0;
  }
}

size_t SocketStream::ReadNow(char* buf, size_t n,
                             boost::system::error_code& ec) {
  ec = {};
  if (n == 0) return 0;
  if (ssl_ != nullptr) return TlsReadNow(buf, n, ec);
  for (;;) {
    ssize_t got = recv(fd_, buf, n, 0);
    if (got > 0) return static_cast<size_t>(got);
    if (got == 0) {
      ec = boost::asio::error::eof;
      return 0;
    }
    if (errno == EINTR) continue;
    ec = errno == EAGAIN || errno == EWOULDBLOCK
             ? boost::asio::error::would_block
             : SystemError(errno);
    return 0;
  }
}

size_t SocketStream::WriteSome(const struct iovec* iov, size_t count,
                               boost::system::error_code& ec) {
  ec = {};
  size_t total = 0;
  for (size_t i = 0; i < count; ++i) total += iov[i].iov_len;
  if (total == 0) return 0;
  if (ssl_ != nullptr) return TlsWriteSome(iov, count, ec);
  struct msghdr msg;
  memset(&msg, 0, sizeof(msg));
  msg.msg_iov = const_cast<struct iovec*>(iov);
  msg.msg_iovlen = count;
  for (;;) {
    ssize_t sent = sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (sent >= 0) return static_cast<size_t>(sent);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      ec = SystemError(errno);
      return 0;
    }
    if (!Wait(POLLOUT, ec)) return 0;
  }
}

void SocketStream::WriteAll(const char* data, size_t n,
                            boost::system::error_code& ec) {
  ec = {};
  while (n > 0) {
    struct iovec iov = {const_cast<char*>(data), n};
    size_t sent = WriteSome(&iov, 1, ec);
    if (ec) return;
    data += sent;
    n -= sent;
  }
}

size_t SocketStream::TlsReadNow(char* buf, size_t n,
                                boost::system::error_code& ec) {
  if (SSL_is_server(ssl_) && !tls_hello_checked_) {
    // A TLS client opens with a handshake record (type 22); a letter is
    // the start of a plaintext request.
    unsigned char first = 0;
    const ssize_t got = recv(fd_, &first, 1, MSG_PEEK);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      ec = boost::asio::error::would_block;
      return 0;
    }
    tls_hello_checked_ = true;
    if (got == 1 && first >= 'A' && first <= 'Z') {
      SSL_free(ssl_);
      ssl_ = nullptr;
      plaintext_peer_ = true;
      ec = boost::system::error_code(boost::system::errc::protocol_error,
                                     boost::system::generic_category());
      return 0;
    }
  }
  for (;;) {
    ERR_clear_error();
    errno = 0;
    size_t got = 0;
    const int rc = SSL_read_ex(ssl_, buf, n, &got);
    if (rc == 1) return got;
    const int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_READ) {
      // Without read-ahead OpenSSL takes no more from the socket than the
      // record it decrypts, so nothing waits in it unseen by poll or epoll.
      ec = boost::asio::error::would_block;
      return 0;
    }
    if (err == SSL_ERROR_WANT_WRITE) {  // a handshake message to send
      if (!Wait(POLLOUT, ec)) return 0;
      continue;
    }
    ec = SessionError(err);
    return 0;
  }
}

size_t SocketStream::TlsWriteSome(const struct iovec* iov, size_t count,
                                  boost::system::error_code& ec) {
  // Each SSL_write makes at least one record: a large buffer goes as it is,
  // small ones (a response header, then its body) are copied together so
  // that they leave in one record rather than one each.
  size_t first = 0;
  while (iov[first].iov_len == 0) ++first;
  const char* data = static_cast<const char*>(iov[first].iov_base);
  size_t n = iov[first].iov_len;
  if (n < kTlsRecordBytes && first + 1 < count) {
    size_t gathered = 0;
    for (size_t i = first; i < count && gathered < kTlsRecordBytes; ++i) {
      const size_t take = std::min(iov[i].iov_len, kTlsRecordBytes - gathered);
      if (take == 0) continue;
      memcpy(tls_gather_.get() + gathered, iov[i].iov_base, take);
      gathered += take;
    }
    data = tls_gather_.get();
    n = gathered;
  }
  for (;;) {
    ERR_clear_error();
    errno = 0;
    size_t sent = 0;
    const int rc = SSL_write_ex(ssl_, data, n, &sent);
    if (rc == 1) return FlushTls(ec) ? sent : 0;
    const int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
      // Retried with the same bytes, as OpenSSL requires.
      if (!Wait(err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, ec)) return 0;
      continue;
    }
    ec = SessionError(err);
    return 0;
  }
}

bool SocketStream::FlushTls(boost::system::error_code& ec) {
  BIO* write_bio = SSL_get_wbio(ssl_);
  for (;;) {
    errno = 0;
    if (BIO_flush(write_bio) == 1) return true;
    if (!BIO_should_retry(write_bio)) {
      ec = errno != 0 ? SystemError(errno)
                      : boost::asio::error::connection_reset;
      return false;
    }
    if (!Wait(POLLOUT, ec)) return false;
  }
}

void SocketStream::ShutdownWrite() {
  if (ssl_ != nullptr && SSL_is_init_finished(ssl_)) {
    // Without waiting: every write flushed its records, so only the
    // close_notify is buffered, and a client that reads nothing must not
    // hold the close up.
    SSL_shutdown(ssl_);
    BIO_flush(SSL_get_wbio(ssl_));
    ERR_clear_error();
  }
  shutdown(fd_, SHUT_WR);
}

void SocketStream::ShutdownBoth() { shutdown(fd_, SHUT_RDWR); }

}  // namespace warehouse::http
