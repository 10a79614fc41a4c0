#include "tools/http_bench_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <random>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/crc32c.h"

namespace warehouse::bench {
namespace {

// Bytes read from a socket at once.
constexpr size_t kReadBytes = 1 << 20;
// Bytes of an unexpected response body kept for the error message.
constexpr size_t kErrorBodyBytes = 256;
// The longest response head accepted.
constexpr size_t kMaxHeadBytes = 64 << 10;

int64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

double ThreadCpuSeconds() {
  struct rusage usage;
  if (getrusage(RUSAGE_THREAD, &usage) != 0) return 0;
  auto seconds = [](const struct timeval& tv) {
    return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

absl::string_view FirstLine(absl::string_view text) {
  return text.substr(0, text.find('\r'));
}

absl::StatusOr<int> Connect(const std::string& host, uint16_t port) {
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(host, ": not a numeric IPv4 address"));
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("socket: ", strerror(errno)));
  }
  if (connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) !=
      0) {
    int err = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat(host, ":", port, ": connect: ", strerror(err)));
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  int flags = fcntl(fd, F_GETFL, 0);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  return fd;
}

// One keep-alive connection and the request it is working on.
struct Connection {
  enum class Phase { kIdle, kSending, kReceiving };

  int fd = -1;
  Phase phase = Phase::kIdle;
  bool readable = false;  // an EPOLLIN edge not yet consumed by a read
  const Op* op = nullptr;
  int64_t started_ns = 0;
  uint64_t head_sent = 0;
  uint64_t body_sent = 0;

  // The response.
  std::string head;  // bytes of the head received so far
  bool head_done = false;
  std::string status_line;
  int status = 0;
  bool has_length = false;
  uint64_t length = 0;
  bool close_after = false;
  std::string etag;
  uint64_t received = 0;
  uint32_t crc = 0;
  std::string error_body;

  void ResetResponse() {
    head.clear();
    head_done = false;
    status_line.clear();
    status = 0;
    has_length = false;
    length = 0;
    close_after = false;
    etag.clear();
    received = 0;
    crc = 0;
    error_body.clear();
  }
};

// Shared by the client threads of one run.
struct Run {
  const LoadOptions& options;
  const Payload& payload;
  const OpSource& source;
  int64_t start_ns = 0;
  int64_t stop_starting_ns = 0;  // no request starts after this
  int64_t limit_ns = 0;          // the run fails after this
  std::atomic<uint64_t> next{0};
  std::atomic<bool> failed{false};

  absl::Mutex mu;
  absl::Status error ABSL_GUARDED_BY(mu);
  LoadResult result ABSL_GUARDED_BY(mu);
  int64_t last_done_ns ABSL_GUARDED_BY(mu) = 0;

  Run(const LoadOptions& o, const Payload& p, const OpSource& s)
      : options(o), payload(p), source(s) {}

  void Fail(absl::Status status) ABSL_LOCKS_EXCLUDED(mu) {
    absl::MutexLock lock(&mu);
    if (error.ok()) error = std::move(status);
    failed = true;
  }
};

// One client thread: an epoll loop over its connections.
class Worker {
 public:
  Worker(Run& run, int connections) : run_(run), connections_(connections) {}
  ~Worker() {
    for (Connection& c : connections_) {
      if (c.fd >= 0) close(c.fd);
    }
    if (epoll_ >= 0) close(epoll_);
  }

  // Opens every connection (before the run's clock starts).
  absl::Status Open() {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) {
      return absl::InternalError(
          absl::StrCat("epoll_create1: ", strerror(errno)));
    }
    for (Connection& c : connections_) {
      absl::Status opened = Reopen(c);
      if (!opened.ok()) return opened;
    }
    return absl::OkStatus();
  }

  void Loop() {
    scratch_.reset(new char[kReadBytes]);
    for (Connection& c : connections_) {
      if (!StartNext(c)) continue;
      ++active_;
      if (!Drive(c)) return Finish();
    }
    struct epoll_event events[256];
    while (active_ > 0 && !run_.failed.load(std::memory_order_relaxed)) {
      if (NowNs() > run_.limit_ns) {
        run_.Fail(absl::DeadlineExceededError(absl::StrCat(
            "requests still unanswered after ",
            absl::FormatDuration(run_.options.limit))));
        break;
      }
      int n = epoll_wait(epoll_, events, 256, 100);
      if (n < 0 && errno != EINTR) {
        run_.Fail(absl::InternalError(
            absl::StrCat("epoll_wait: ", strerror(errno))));
        break;
      }
      for (int i = 0; i < n; ++i) {
        Connection& c = *static_cast<Connection*>(events[i].data.ptr);
        if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
          c.readable = true;
        }
        if (c.phase == Connection::Phase::kIdle) continue;
        if (!Drive(c)) return Finish();
      }
    }
    Finish();
  }

 private:
  void Finish() {
    absl::MutexLock lock(&run_.mu);
    run_.result.ops += ops_;
    run_.result.body_bytes += bytes_;
    run_.result.reconnects += reconnects_;
    run_.result.client_cpu_seconds += ThreadCpuSeconds();
    run_.result.latencies_ns.insert(run_.result.latencies_ns.end(),
                                    latencies_.begin(), latencies_.end());
    run_.last_done_ns = std::max(run_.last_done_ns, last_done_ns_);
  }

  absl::Status Reopen(Connection& c) {
    if (c.fd >= 0) close(c.fd);
    c.fd = -1;
    absl::StatusOr<int> fd = Connect(run_.options.host, run_.options.port);
    if (!fd.ok()) return fd.status();
    c.fd = *fd;
    c.readable = false;
    struct epoll_event event;
    event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    event.data.ptr = &c;
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &event) != 0) {
      return absl::InternalError(absl::StrCat("epoll_ctl: ", strerror(errno)));
    }
    return absl::OkStatus();
  }

  // Picks the next request for `c`; false (and idle) when the run is over.
  bool StartNext(Connection& c) {
    c.phase = Connection::Phase::kIdle;
    if (run_.failed.load(std::memory_order_relaxed)) return false;
    const int64_t now = NowNs();
    if (now >= run_.stop_starting_ns) return false;
    const Op* op = run_.source(run_.next.fetch_add(1));
    if (op == nullptr) return false;
    c.op = op;
    c.started_ns = now;
    c.head_sent = 0;
    c.body_sent = 0;
    c.ResetResponse();
    c.phase = Connection::Phase::kSending;
    return true;
  }

  // Makes what progress the socket allows. Returns false when the run
  // failed.
  bool Drive(Connection& c) {
    for (;;) {
      switch (c.phase) {
        case Connection::Phase::kIdle:
          return true;
        case Connection::Phase::kSending: {
          if (c.readable) {
            // The server answers before it has the whole request: a
            // refusal, whatever its status.
            int got = Receive(c);
            if (got < 0) return false;
            if (got > 0) {
              Failure(c, absl::InvalidArgumentError(
                             "answered before the whole request was sent"));
              return false;
            }
          }
          int sent = Send(c);
          if (sent < 0) return false;
          if (sent == 0) return true;  // wait for EPOLLOUT
          c.phase = Connection::Phase::kReceiving;
          if (!c.readable) return true;  // wait for EPOLLIN
          break;
        }
        case Connection::Phase::kReceiving: {
          int got = Receive(c);
          if (got < 0) return false;
          if (got == 0) return true;  // wait for EPOLLIN
          // The response is complete and nothing follows it, so the socket
          // is drained: wait for the next edge rather than read again. (A
          // server that closes now makes the next send fail or draws a
          // reset, which is an edge too.)
          c.readable = false;
          const int64_t done = NowNs();
          latencies_.push_back(done - c.started_ns);
          last_done_ns_ = done;
          ++ops_;
          bytes_ += c.op->body_size + c.received;
          if (c.close_after) {
            ++reconnects_;
            absl::Status reopened = Reopen(c);
            if (!reopened.ok()) {
              run_.Fail(reopened);
              return false;
            }
          }
          if (!StartNext(c)) {
            --active_;
            return true;
          }
          break;
        }
      }
    }
  }

  // Sends what the socket takes: 1 when the whole request is sent, 0 when
  // the socket is full, -1 on failure.
  int Send(Connection& c) {
    const Op& op = *c.op;
    for (;;) {
      struct iovec iov[3];
      int count = 0;
      if (c.head_sent < op.head.size()) {
        iov[0].iov_base = const_cast<char*>(op.head.data()) + c.head_sent;
        iov[0].iov_len = op.head.size() - c.head_sent;
        count = 1;
      }
      if (c.body_sent < op.body_size) {
        uint64_t bytes = 0;
        count += run_.payload.Slices(op.body_seed, c.body_sent,
                                     op.body_size - c.body_sent, iov + count,
                                     &bytes);
      }
      if (count == 0) return 1;
      ssize_t n = writev(c.fd, iov, count);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        run_.Fail(absl::UnavailableError(absl::StrCat(
            FirstLine(op.head), ": sending: ", strerror(errno))));
        return -1;
      }
      uint64_t left = static_cast<uint64_t>(n);
      const uint64_t head_part =
          std::min<uint64_t>(left, op.head.size() - c.head_sent);
      c.head_sent += head_part;
      c.body_sent += left - head_part;
    }
  }

  // Reads what has arrived: 1 when the response is complete and checked,
  // 0 when more must arrive, -1 on failure.
  int Receive(Connection& c) {
    for (;;) {
      ssize_t n = recv(c.fd, scratch_.get(), kReadBytes, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          c.readable = false;
          return 0;
        }
        return Failure(c, absl::UnavailableError(
                              absl::StrCat("receiving: ", strerror(errno))));
      }
      if (n == 0) {
        return Failure(c, absl::UnavailableError(
                              "the server closed the connection before the "
                              "response was complete"));
      }
      absl::string_view data(scratch_.get(), static_cast<size_t>(n));
      if (!c.head_done) {
        const size_t searched = c.head.size() > 3 ? c.head.size() - 3 : 0;
        c.head.append(data.data(), data.size());
        const size_t end = c.head.find("\r\n\r\n", searched);
        if (end == std::string::npos) {
          if (c.head.size() > kMaxHeadBytes) {
            return Failure(c, absl::InvalidArgumentError(
                                  "response head too large"));
          }
          continue;
        }
        absl::Status parsed = ParseHead(c, absl::string_view(c.head).substr(
                                               0, end + 2));
        if (!parsed.ok()) return Failure(c, parsed);
        c.head_done = true;
        // What followed the head belongs to the body.
        const size_t body_start = end + 4;
        int consumed = Consume(
            c, absl::string_view(c.head).substr(body_start));
        if (consumed != 0) return consumed;
        continue;
      }
      int consumed = Consume(c, data);
      if (consumed != 0) return consumed;
    }
  }

  // Takes body bytes: 1 when the body is complete and checked, 0 when more
  // must come, -1 on failure.
  int Consume(Connection& c, absl::string_view data) {
    if (data.size() > c.length - c.received) {
      return Failure(c, absl::InvalidArgumentError(absl::StrCat(
                            "bytes after the end of the response (",
                            data.size() - (c.length - c.received), ")")));
    }
    if (c.op->check_body) c.crc = crc32c::Extend(c.crc, data.data(), data.size());
    if (c.error_body.size() < kErrorBodyBytes) {
      absl::string_view kept =
          data.substr(0, kErrorBodyBytes - c.error_body.size());
      c.error_body.append(kept.data(), kept.size());
    }
    c.received += data.size();
    if (c.received < c.length) return 0;
    absl::Status checked = Check(c);
    if (!checked.ok()) return Failure(c, checked);
    return 1;
  }

  absl::Status ParseHead(Connection& c, absl::string_view head) {
    std::vector<absl::string_view> lines =
        absl::StrSplit(head, "\r\n", absl::SkipEmpty());
    if (lines.empty()) return absl::InvalidArgumentError("empty response");
    c.status_line = std::string(lines[0]);
    absl::string_view line = lines[0];
    const bool http11 = absl::StartsWith(line, "HTTP/1.1 ");
    if (!http11 && !absl::StartsWith(line, "HTTP/1.0 ")) {
      return absl::InvalidArgumentError("not an HTTP/1.x response");
    }
    if (line.size() < 12 || !absl::SimpleAtoi(line.substr(9, 3), &c.status)) {
      return absl::InvalidArgumentError("malformed status line");
    }
    c.close_after = !http11;
    for (size_t i = 1; i < lines.size(); ++i) {
      absl::string_view field = lines[i];
      size_t colon = field.find(':');
      if (colon == absl::string_view::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("malformed header field: ", field));
      }
      absl::string_view name = field.substr(0, colon);
      absl::string_view value = absl::StripAsciiWhitespace(field.substr(colon + 1));
      if (absl::EqualsIgnoreCase(name, "Content-Length")) {
        if (!absl::SimpleAtoi(value, &c.length)) {
          return absl::InvalidArgumentError(
              absl::StrCat("bad Content-Length: ", value));
        }
        c.has_length = true;
      } else if (absl::EqualsIgnoreCase(name, "Connection")) {
        if (absl::EqualsIgnoreCase(value, "close")) c.close_after = true;
        if (absl::EqualsIgnoreCase(value, "keep-alive")) c.close_after = false;
      } else if (absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
        return absl::InvalidArgumentError(
            absl::StrCat("Transfer-Encoding ", value, " is not supported"));
      } else if (absl::EqualsIgnoreCase(name, "ETag")) {
        c.etag = std::string(value);
      }
    }
    if (!c.has_length) {
      // Only these carry no body without saying so.
      if (c.status != 204 && c.status != 304) {
        return absl::InvalidArgumentError("response without Content-Length");
      }
      c.length = 0;
    }
    return absl::OkStatus();
  }

  absl::Status Check(const Connection& c) {
    const Op& op = *c.op;
    if (c.status < op.status_low || c.status > op.status_high) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected status; body: ", c.error_body));
    }
    if (op.check_body) {
      if (c.received != op.response_size) {
        return absl::InvalidArgumentError(absl::StrCat(
            "body of ", c.received, " bytes, expected ", op.response_size));
      }
      if (c.crc != op.response_crc) {
        return absl::InvalidArgumentError(
            absl::StrFormat("body crc32c %08x, expected %08x", c.crc,
                            op.response_crc));
      }
    }
    if (op.check_etag &&
        c.etag != absl::StrFormat("\"%08x\"", op.etag_crc)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "ETag %s, expected \"%08x\"", c.etag, op.etag_crc));
    }
    return absl::OkStatus();
  }

  int Failure(const Connection& c, const absl::Status& status) {
    run_.Fail(absl::Status(
        status.code(),
        absl::StrCat(FirstLine(c.op->head), ": ",
                     c.status_line.empty() ? "" : c.status_line + ": ",
                     status.message())));
    return -1;
  }

  Run& run_;
  std::vector<Connection> connections_;
  int epoll_ = -1;
  int active_ = 0;
  std::unique_ptr<char[]> scratch_;
  uint64_t ops_ = 0;
  uint64_t bytes_ = 0;
  uint64_t reconnects_ = 0;
  int64_t last_done_ns_ = 0;
  std::vector<int64_t> latencies_;
};

}  // namespace

Payload::Payload(size_t pattern_bytes)
    : pattern_(std::max<size_t>(pattern_bytes, 4096), '\0') {
  std::mt19937_64 rng(0x5eed);
  for (size_t i = 0; i + 8 <= pattern_.size(); i += 8) {
    const uint64_t v = rng();
    memcpy(&pattern_[i], &v, 8);
  }
}

int Payload::Slices(uint64_t seed, uint64_t offset, uint64_t n,
                    struct iovec out[2], uint64_t* bytes) const {
  const uint64_t size = pattern_.size();
  const uint64_t start = (seed * kStride + offset) % size;
  const uint64_t first = std::min(n, size - start);
  out[0].iov_base = const_cast<char*>(pattern_.data()) + start;
  out[0].iov_len = first;
  *bytes = first;
  if (first == n || first == 0) return first == 0 ? 0 : 1;
  const uint64_t second = std::min(n - first, start);
  if (second == 0) return 1;
  out[1].iov_base = const_cast<char*>(pattern_.data());
  out[1].iov_len = second;
  *bytes += second;
  return 2;
}

uint32_t Payload::Crc(uint64_t seed, uint64_t size) const {
  uint32_t crc = 0;
  for (uint64_t at = 0; at < size;) {
    struct iovec iov[2];
    uint64_t bytes = 0;
    int count = Slices(seed, at, size - at, iov, &bytes);
    for (int i = 0; i < count; ++i) {
      crc = crc32c::Extend(crc, static_cast<const char*>(iov[i].iov_base),
                           iov[i].iov_len);
    }
    at += bytes;
  }
  return crc;
}

absl::StatusOr<LoadResult> RunLoad(const LoadOptions& options,
                                   const Payload& payload,
                                   const OpSource& source) {
  if (options.connections < 1 || options.threads < 1) {
    return absl::InvalidArgumentError("connections and threads must be >= 1");
  }
  const int threads = std::min(options.threads, options.connections);
  Run run(options, payload, source);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < threads; ++t) {
    const int share = options.connections / threads +
                      (t < options.connections % threads ? 1 : 0);
    workers.push_back(std::make_unique<Worker>(run, share));
    absl::Status opened = workers.back()->Open();
    if (!opened.ok()) return opened;
  }
  run.start_ns = NowNs();
  run.stop_starting_ns =
      run.start_ns + absl::ToInt64Nanoseconds(options.duration);
  run.limit_ns = run.start_ns + absl::ToInt64Nanoseconds(options.limit);
  std::vector<std::thread> running;
  for (auto& worker : workers) {
    running.emplace_back([&worker] { worker->Loop(); });
  }
  for (std::thread& thread : running) thread.join();
  absl::MutexLock lock(&run.mu);
  if (!run.error.ok()) return run.error;
  LoadResult result = std::move(run.result);
  result.elapsed = absl::Nanoseconds(
      std::max<int64_t>(run.last_done_ns - run.start_ns, 1));
  return result;
}

int64_t Quantile(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(q * static_cast<double>(sorted.size()));
  if (rank >= sorted.size()) rank = sorted.size() - 1;
  return sorted[rank];
}

}  // namespace warehouse::bench
