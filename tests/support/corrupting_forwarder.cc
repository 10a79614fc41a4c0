#include "tests/support/corrupting_forwarder.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <list>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace warehouse::testing {
namespace {

// How long the thread sleeps in poll before it looks at stop_ again.
constexpr int kPollMillis = 50;
// A send that makes no progress for this long ends its connection.
constexpr int kSendTimeoutSeconds = 5;
// A request header longer than this is not followed: the rest of the
// connection passes unchanged.
constexpr size_t kMaxHeader = 64 << 10;

void SetSendTimeout(int fd) {
  timeval timeout = {};
  timeout.tv_sec = kSendTimeoutSeconds;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
}

// Writes all of `data` to `fd`; false when the peer is gone or stalled.
bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// The Content-Length of a request or response header, 0 when it has none.
uint64_t ContentLength(absl::string_view header) {
  for (absl::string_view line : absl::StrSplit(header, "\r\n")) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    if (!absl::EqualsIgnoreCase(
            absl::StripAsciiWhitespace(line.substr(0, colon)),
            "content-length")) {
      continue;
    }
    uint64_t length = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(colon + 1)),
                         &length)) {
      return length;
    }
  }
  return 0;
}

}  // namespace

// One client connection and its upstream connection.
struct CorruptingForwarder::Link {
  int client = -1;
  int upstream = -1;
  // The request being followed: its header while `in_body` is false, else
  // the body bytes still to come.
  bool in_body = false;
  bool lost = false;  // a header too long to follow
  std::string header;
  uint64_t body_left = 0;
  // Bytes of the body before the one to damage; nullopt for none.
  std::optional<uint64_t> flip_in;
  // The response being followed, the same way.
  bool response_lost = false;
  std::string response_header;
  uint64_t response_body_left = 0;

  ~Link() {
    if (client >= 0) ::close(client);
    if (upstream >= 0) ::close(upstream);
  }
};

absl::StatusOr<std::unique_ptr<CorruptingForwarder>>
CorruptingForwarder::Listen() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  }
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    ::close(fd);
    return absl::InternalError(
        absl::StrCat("listening on 127.0.0.1: ", strerror(error)));
  }
  return std::unique_ptr<CorruptingForwarder>(new CorruptingForwarder(
      fd, absl::StrCat("127.0.0.1:", ntohs(address.sin_port))));
}

CorruptingForwarder::~CorruptingForwarder() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  ::close(listener_);
}

absl::Status CorruptingForwarder::Start(const std::string& upstream) {
  std::pair<std::string, std::string> parts =
      absl::StrSplit(upstream, absl::MaxSplits(':', 1));
  in_addr ip = {};
  int port = 0;
  if (::inet_pton(AF_INET, parts.first.c_str(), &ip) != 1 ||
      !absl::SimpleAtoi(parts.second, &port) || port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", upstream, "\" is not an IPv4 host:port"));
  }
  upstream_ip_ = ip.s_addr;
  upstream_port_ = htons(static_cast<uint16_t>(port));
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void CorruptingForwarder::Run() {
  std::list<Link> links;
  std::vector<char> buffer(64 << 10);
  while (!stop_.load()) {
    std::vector<pollfd> fds = {{listener_, POLLIN, 0}};
    for (const Link& link : links) {
      fds.push_back({link.client, POLLIN, 0});
      fds.push_back({link.upstream, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), kPollMillis) <= 0) continue;

    size_t i = 1;
    for (auto link = links.begin(); link != links.end(); i += 2) {
      bool open = true;
      if (fds[i].revents != 0) {  // from the client: followed, maybe damaged
        const ssize_t n = ::recv(link->client, buffer.data(), buffer.size(), 0);
        open = n > 0;
        if (open) {
          Scan(*link, buffer.data(), static_cast<size_t>(n));
          open = SendAll(link->upstream, buffer.data(), static_cast<size_t>(n));
        }
      }
      if (open && fds[i + 1].revents != 0) {  // from the server: followed
        const ssize_t n =
            ::recv(link->upstream, buffer.data(), buffer.size(), 0);
        open = n > 0 && Relay(*link, buffer.data(), static_cast<size_t>(n));
      }
      link = open ? std::next(link) : links.erase(link);
    }

    if (fds[0].revents & POLLIN) {
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      Link& link = links.emplace_back();
      link.client = client;
      link.upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in to = {};
      to.sin_family = AF_INET;
      to.sin_addr.s_addr = upstream_ip_;
      to.sin_port = upstream_port_;
      if (link.upstream < 0 ||
          ::connect(link.upstream, reinterpret_cast<sockaddr*>(&to),
                    sizeof(to)) != 0) {
        links.pop_back();  // the client sees its connection closed
        continue;
      }
      SetSendTimeout(link.client);
      SetSendTimeout(link.upstream);
    }
  }
}

void CorruptingForwarder::Scan(Link& link, char* data, size_t size) {
  while (size > 0 && !link.lost) {
    if (link.in_body) {
      const size_t take =
          static_cast<size_t>(std::min<uint64_t>(link.body_left, size));
      if (link.flip_in && *link.flip_in < take) {
        data[*link.flip_in] ^= 0x01;
        link.flip_in.reset();
        corrupted_.fetch_add(1);
      } else if (link.flip_in) {
        *link.flip_in -= take;
      }
      link.body_left -= take;
      link.in_body = link.body_left > 0;
      data += take;
      size -= take;
      continue;
    }
    link.header.push_back(*data++);
    --size;
    if (!absl::EndsWith(link.header, "\r\n\r\n")) {
      link.lost = link.header.size() > kMaxHeader;
      continue;
    }
    link.body_left = ContentLength(link.header);
    link.in_body = link.body_left > 0;
    if (absl::StartsWith(link.header, "PUT ")) {
      puts_.fetch_add(1);
      // Take one from the budget, if any is left.
      int left = to_corrupt_.load();
      while (link.in_body && left > 0 &&
             !to_corrupt_.compare_exchange_weak(left, left - 1)) {
      }
      if (link.in_body && left > 0) link.flip_in = link.body_left / 2;
    }
    link.header.clear();
  }
}

bool CorruptingForwarder::Relay(Link& link, const char* data, size_t size) {
  while (size > 0) {
    if (link.response_lost) return SendAll(link.client, data, size);
    if (link.response_body_left > 0) {
      const size_t take = static_cast<size_t>(
          std::min<uint64_t>(link.response_body_left, size));
      if (!SendAll(link.client, data, take)) return false;
      link.response_body_left -= take;
      data += take;
      size -= take;
      continue;
    }
    std::string& header = link.response_header;
    header.push_back(*data++);
    --size;
    if (absl::EndsWith(header, "\r\n\r\n")) {
      DamageEtag(header);
      link.response_body_left = ContentLength(header);
    } else if (header.size() > kMaxHeader) {
      link.response_lost = true;
    } else {
      continue;
    }
    if (!SendAll(link.client, header.data(), header.size())) return false;
    header.clear();
  }
  return true;
}

void CorruptingForwarder::DamageEtag(std::string& header) {
  const size_t name = absl::AsciiStrToLower(header).find("\r\netag:");
  if (name == std::string::npos) return;
  const size_t quote = header.find('"', name);
  if (quote == std::string::npos || quote + 1 >= header.size()) return;
  // Take one from the budget, if any is left.
  int left = etags_to_damage_.load();
  while (left > 0 && !etags_to_damage_.compare_exchange_weak(left, left - 1)) {
  }
  if (left <= 0) return;
  if (etag_damage_.load() == EtagDamage::kRemove) {
    header[name + 2] = 'X';
  } else {
    header[quote + 1] = 'z';
  }
  etags_damaged_.fetch_add(1);
}

}  // namespace warehouse::testing
