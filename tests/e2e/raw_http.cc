#include "tests/e2e/raw_http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace warehouse::testing {
namespace {

// Closes a descriptor when it goes out of scope.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

int PollMillis(absl::Duration wait) {
  if (wait <= absl::ZeroDuration()) return 0;
  return static_cast<int>(
      std::min<int64_t>(absl::ToInt64Milliseconds(wait) + 1, 60'000));
}

absl::StatusOr<int> Connect(const std::string& address, absl::Time deadline) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(absl::StrCat(address, ": not host:port"));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr) !=
      1) {
    return absl::InvalidArgumentError(absl::StrCat(address, ": not IPv4"));
  }
  const int fd =
      ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError("socket() failed");
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 &&
      errno != EINPROGRESS) {
    ::close(fd);
    return absl::UnavailableError(
        absl::StrCat(address, ": connect: ", std::strerror(errno)));
  }
  pollfd p{fd, POLLOUT, 0};
  if (::poll(&p, 1, PollMillis(deadline - absl::Now())) != 1) {
    ::close(fd);
    return absl::UnavailableError(absl::StrCat(address, ": connect timed out"));
  }
  int error = 0;
  socklen_t length = sizeof(error);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) {
    ::close(fd);
    return absl::UnavailableError(
        absl::StrCat(address, ": connect: ", std::strerror(error)));
  }
  return fd;
}

// Sends all of `data` before `deadline`. Returns false when the peer
// closed or reset, or the deadline passed.
bool SendAll(int fd, absl::string_view data, absl::Time deadline) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, PollMillis(deadline - absl::Now())) != 1) return false;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
  return true;
}

}  // namespace

std::string RawResponse::Header(absl::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (absl::EqualsIgnoreCase(field, name)) return value;
  }
  return "";
}

absl::StatusOr<std::vector<RawResponse>> ParseRawResponses(
    absl::string_view bytes, bool head) {
  std::vector<RawResponse> responses;
  while (!bytes.empty()) {
    const size_t end = bytes.find("\r\n\r\n");
    if (end == absl::string_view::npos) {
      // A header cut short: keep what can be read of its status line.
      if (!absl::StartsWith(bytes, "HTTP/1.")) {
        return absl::InvalidArgumentError(
            absl::StrCat("not an HTTP response: ", bytes.substr(0, 80)));
      }
      break;
    }
    RawResponse response;
    std::vector<absl::string_view> lines =
        absl::StrSplit(bytes.substr(0, end), "\r\n");
    absl::string_view status_line = lines[0];
    if (!absl::StartsWith(status_line, "HTTP/1.") || status_line.size() < 12 ||
        !absl::SimpleAtoi(status_line.substr(9, 3), &response.status)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad status line: ", status_line.substr(0, 80)));
    }
    response.reason = std::string(
        status_line.substr(std::min<size_t>(13, status_line.size())));
    for (size_t i = 1; i < lines.size(); ++i) {
      const size_t colon = lines[i].find(':');
      if (colon == absl::string_view::npos) continue;
      response.headers.emplace_back(
          std::string(lines[i].substr(0, colon)),
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
    }
    bytes.remove_prefix(end + 4);
    uint64_t length = 0;
    const bool informational = response.status / 100 == 1;
    if (!informational && !(head && responses.empty())) {
      (void)absl::SimpleAtoi(response.Header("Content-Length"), &length);
    }
    const size_t take = std::min<uint64_t>(length, bytes.size());
    response.body = std::string(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (!informational) responses.push_back(std::move(response));
  }
  return responses;
}

absl::StatusOr<RawExchange> RawHttp(const std::string& address,
                                    const RawSend& send, bool head) {
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + send.deadline;
  absl::StatusOr<int> connected = Connect(address, deadline);
  if (!connected.ok()) return connected.status();
  ScopedFd fd(*connected);

  RawExchange exchange;
  size_t next_piece = 0;
  absl::Time next_send = start;
  bool write_open = true;
  while (true) {
    const absl::Time now = absl::Now();
    if (now >= deadline) break;
    if (write_open && next_piece < send.pieces.size() && now >= next_send) {
      if (!SendAll(fd.get(), send.pieces[next_piece], deadline)) {
        exchange.stopped_sending = true;
        write_open = false;
      } else {
        ++next_piece;
        next_send = now + send.piece_interval;
        if (next_piece == send.pieces.size() && send.half_close) {
          ::shutdown(fd.get(), SHUT_WR);
          write_open = false;
        }
      }
      continue;
    }
    absl::Time wake = deadline;
    if (write_open && next_piece < send.pieces.size()) {
      wake = std::min(wake, next_send);
    }
    pollfd p{fd.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, PollMillis(wake - absl::Now()));
    if (ready <= 0) continue;
    char buf[16384];
    const ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
    if (n > 0) {
      exchange.raw.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    exchange.closed_by_server = true;
    exchange.reset = n < 0;
    break;
  }
  exchange.elapsed = absl::Now() - start;
  absl::StatusOr<std::vector<RawResponse>> responses =
      ParseRawResponses(exchange.raw, head);
  if (!responses.ok()) return responses.status();
  exchange.responses = *std::move(responses);
  return exchange;
}

}  // namespace warehouse::testing
