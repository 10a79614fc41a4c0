#include "common/socket_stream.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "boost/asio/error.hpp"
#include "boost/beast/core/error.hpp"

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

}  // namespace

SocketStream::SocketStream(int fd) : fd_(fd) {
  SetNonBlocking(fd_);
  int one = 1;
  // Responses go out as one header write and body writes; without
  // TCP_NODELAY a small write after another waits for the peer's delayed ACK.
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

SocketStream::~SocketStream() { close(fd_); }

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

void SocketStream::ShutdownWrite() { shutdown(fd_, SHUT_WR); }

void SocketStream::ShutdownBoth() { shutdown(fd_, SHUT_RDWR); }

}  // namespace warehouse::http
