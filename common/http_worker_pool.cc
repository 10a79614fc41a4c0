#include "common/http_worker_pool.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/asio/post.hpp"
#include "spdlog/spdlog.h"

namespace warehouse::http {

namespace net = boost::asio;

WorkerPool::WorkerPool(const ServerOptions& options, const Handler& handler,
                       const ServerMetrics* metrics, net::io_context& io,
                       uint16_t port)
    : options_(options),
      handler_(handler),
      metrics_(metrics),
      io_(io),
      port_(port),
      min_workers_(std::max(1u, std::thread::hardware_concurrency())),
      max_workers_(options.max_connections + min_workers_),
      stall_timer_(io) {}

WorkerPool::~WorkerPool() {
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

absl::Status WorkerPool::Start() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    return absl::UnavailableError(absl::StrCat(
        "http port ", port_, ": no epoll set: ", strerror(errno)));
  }
  // Level-triggered: once written, every worker sees it.
  struct epoll_event wake = {};
  wake.events = EPOLLIN;
  wake.data.u64 = kWakeEvent;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake) != 0) {
    return absl::UnavailableError(absl::StrCat(
        "http port ", port_, ": epoll_ctl: ", strerror(errno)));
  }
  absl::MutexLock lock(&mu_);
  while (workers_.size() < min_workers_) {
    if (!SpawnWorker()) {
      return absl::ResourceExhaustedError(
          absl::StrCat("http port ", port_, ": no worker thread"));
    }
  }
  return absl::OkStatus();
}

WorkerPool::Admission WorkerPool::Admit(net::ip::tcp::socket& socket,
                                        std::string remote) {
  // Checking and adding under one lock: BeginShutdown either sees this
  // connection or this sees BeginShutdown.
  absl::MutexLock lock(&mu_);
  if (stopping_.load()) return Admission::kStopping;
  if (connections_.size() >= options_.max_connections) return Admission::kFull;
  boost::system::error_code ec;
  const int fd = socket.release(ec);
  if (ec) return Admission::kAdmitted;  // already gone
  const uint64_t id = next_id_++;
  Connection& connection = connections_[id];
  connection.stream = std::make_unique<SocketStream>(fd);
  connection.stream->set_timeout(options_.idle_timeout);
  connection.remote = std::move(remote);
  if (options_.tls != nullptr) {
    absl::Status tls =
        connection.stream->AcceptTls(*options_.tls->Current());
    if (!tls.ok()) {
      spdlog::warn("{}: {}", connection.remote, std::string(tls.message()));
      connections_.erase(id);  // closes the socket
      return Admission::kAdmitted;
    }
  }
  if (!AwaitRequest(id, connection, EPOLL_CTL_ADD, /*restart_idle=*/true)) {
    connections_.erase(id);  // closes the socket
    return Admission::kAdmitted;
  }
  if (metrics_ != nullptr) metrics_->open_connections->Add(1);
  return Admission::kAdmitted;
}

void WorkerPool::BeginShutdown() {
  absl::MutexLock lock(&mu_);
  stopping_.store(true);
  // Idle connections hold no request: wake and close them now. One waiting
  // in the epoll set becomes readable, and a worker closes it.
  for (auto& [id, connection] : connections_) {
    if (!connection.busy) connection.stream->ShutdownBoth();
  }
}

void WorkerPool::FinishShutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(this, &WorkerPool::NoneBusy), grace);
    for (auto& [id, connection] : connections_) {
      connection.stream->ShutdownBoth();
    }
    mu_.Await(absl::Condition(this, &WorkerPool::NoneOpen));
    workers_stop_ = true;
    spare_cv_.SignalAll();
  }
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    if (write(wake_fd_, &one, sizeof(one)) < 0) {
      spdlog::warn("http port {}: waking the workers: {}", port_,
                   strerror(errno));  // they still see it within 1 s
    }
  }
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &WorkerPool::NoWorkers));
  }
  JoinFinished();
}

void WorkerPool::CancelTimers() { stall_timer_.cancel(); }

void WorkerPool::JoinFinished() {
  std::vector<std::thread> done;
  {
    absl::MutexLock lock(&mu_);
    done.swap(finished_);
  }
  for (std::thread& thread : done) thread.join();
}

bool WorkerPool::BeginRequest(uint64_t id, bool may_block) {
  absl::MutexLock lock(&mu_);
  if (stopping_.load()) return false;
  Connection& connection = connections_.at(id);
  connection.busy = true;
  ++busy_;
  if (may_block) {
    connection.may_block = true;
    ++may_block_;
    if (idle_workers_ == 0) SpawnWorker();
  }
  return true;
}

bool WorkerPool::EndRequest(uint64_t id) {
  absl::MutexLock lock(&mu_);
  Connection& connection = connections_.at(id);
  connection.busy = false;
  --busy_;
  if (connection.may_block) {
    connection.may_block = false;
    --may_block_;
  }
  return !stopping_.load();
}

bool WorkerPool::AwaitRequest(uint64_t id, Connection& connection, int op,
                              bool restart_idle) {
  connection.waiting = true;
  if (restart_idle) connection.idle_until = absl::Now() + options_.idle_timeout;
  connection.waiting_at = waiting_.emplace(connection.idle_until, id);
  struct epoll_event event = {};
  event.events = EPOLLIN | EPOLLONESHOT;
  event.data.u64 = id;
  if (epoll_ctl(epoll_fd_, op, connection.stream->fd(), &event) == 0) {
    return true;
  }
  spdlog::error("http port {}: {}: epoll_ctl: {}", port_, connection.remote,
                strerror(errno));
  connection.waiting = false;
  waiting_.erase(connection.waiting_at);
  return false;
}

int WorkerPool::ExpireIdle(
    std::vector<std::unique_ptr<SocketStream>>* expired) {
  const absl::Time now = absl::Now();
  while (!waiting_.empty()) {
    auto it = connections_.find(waiting_.begin()->second);
    if (it->second.idle_until > now) {
      const absl::Duration left =
          std::min(it->second.idle_until - now, kWorkerIdle);
      return static_cast<int>(absl::ToInt64Milliseconds(
          absl::Ceil(left, absl::Milliseconds(1))));
    }
    // Closed silently: it has not begun another request.
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.stream->fd(), nullptr);
    expired->push_back(std::move(it->second.stream));
    waiting_.erase(waiting_.begin());
    connections_.erase(it);
  }
  return static_cast<int>(absl::ToInt64Milliseconds(kWorkerIdle));
}

bool WorkerPool::SpawnWorker() {
  if (spare_workers_ > spares_called_) {
    ++spares_called_;
    ++idle_workers_;
    spare_cv_.Signal();
    return true;
  }
  if (workers_.size() >= max_workers_) return false;
  const uint64_t id = next_worker_id_++;
  try {
    // The worker needs mu_ before it can leave, so it cannot finish before
    // its handle is stored.
    workers_[id] = std::thread([this, id] { Work(id); });
  } catch (const std::system_error& e) {
    spdlog::error("http port {}: no worker thread: {}", port_, e.what());
    workers_.erase(id);
    return false;
  }
  ++idle_workers_;
  return true;
}

bool WorkerPool::WaitAsSpare() {
  --idle_workers_;
  ++spare_workers_;
  const absl::Time give_up = absl::Now() + kWorkerIdle;
  while (spares_called_ == 0 && !workers_stop_ &&
         !spare_cv_.WaitWithDeadline(&mu_, give_up)) {
  }
  --spare_workers_;
  if (spares_called_ == 0) return false;
  --spares_called_;  // SpawnWorker counted it idle again
  return true;
}

void WorkerPool::WatchForStall() {
  if (stall_watch_ || stopping_.load()) return;
  stall_watch_ = true;
  net::post(io_, [this] { CheckStallLater(handoffs_seen()); });
}

uint64_t WorkerPool::handoffs_seen() {
  absl::MutexLock lock(&mu_);
  return handoffs_;
}

void WorkerPool::CheckStallLater(uint64_t handoffs) {
  stall_timer_.expires_after(absl::ToChronoMilliseconds(kStallCheck));
  stall_timer_.async_wait([this,
                           handoffs](const boost::system::error_code& ec) {
    uint64_t now_seen;
    {
      absl::MutexLock lock(&mu_);
      if (ec || idle_workers_ > 0 || stopping_.load()) {
        stall_watch_ = false;
        return;
      }
      // Every worker has held its connection since the last look.
      if (handoffs_ == handoffs) SpawnWorker();
      now_seen = handoffs_;
    }
    CheckStallLater(now_seen);
  });
}

void WorkerPool::Work(uint64_t self) {
  WorkerState state(metrics_);
  // The connection this worker serves, and what became of it.
  uint64_t id = 0;
  Connection* connection = nullptr;
  AfterServing after = AfterServing::kClose;
  for (;;) {
    int wait_ms;
    std::vector<std::unique_ptr<SocketStream>> closing;
    {
      absl::MutexLock lock(&mu_);
      if (connection != nullptr) {
        HandBack(id, *connection, after, &closing);
        connection = nullptr;
      }
      // Counted among idle_workers_ unless a spare nobody called back.
      bool counted = true;
      if (idle_workers_ > min_workers_ + may_block_) {
        Close(closing);  // rather than hold them while it waits
        counted = WaitAsSpare();
      }
      if (!counted || workers_stop_) {
        if (counted) --idle_workers_;
        Close(closing);  // before Leave, while the pool surely exists
        return Leave(self);
      }
      wait_ms = ExpireIdle(&closing);
    }
    Close(closing);  // outside the lock
    struct epoll_event event;
    const int ready = epoll_wait(epoll_fd_, &event, 1, wait_ms);
    {
      absl::MutexLock lock(&mu_);
      if (workers_stop_) {
        --idle_workers_;
        return Leave(self);
      }
      // A copy: epoll_event is packed, so its field may be misaligned.
      const uint64_t ready_id = event.data.u64;
      if (ready <= 0 || ready_id == kWakeEvent) continue;
      auto it = connections_.find(ready_id);
      // Gone: closed as idle by another worker just before.
      if (it == connections_.end() || !it->second.waiting) continue;
      id = it->first;
      connection = &it->second;
      connection->waiting = false;
      waiting_.erase(connection->waiting_at);
      if (--idle_workers_ == 0) WatchForStall();
    }
    after = ServeConnection(id, *connection->stream, connection->remote,
                            options_, handler_, *this, metrics_, state);
  }
}

void WorkerPool::HandBack(uint64_t id, Connection& connection,
                          AfterServing after,
                          std::vector<std::unique_ptr<SocketStream>>* closing) {
  ++idle_workers_;
  ++handoffs_;
  // Only an answered request gives the client a fresh idle timeout; part
  // of a handshake or record counts against the time it already had.
  if (after != AfterServing::kClose && !stopping_.load() &&
      AwaitRequest(id, connection, EPOLL_CTL_MOD,
                   after == AfterServing::kAwaitRequest)) {
    return;
  }
  closing->push_back(std::move(connection.stream));
  connections_.erase(id);
}

void WorkerPool::Close(std::vector<std::unique_ptr<SocketStream>>& closing) {
  if (closing.empty()) return;
  if (metrics_ != nullptr) {
    metrics_->open_connections->Add(-static_cast<int64_t>(closing.size()));
  }
  closing.clear();
}

void WorkerPool::Leave(uint64_t self) {
  auto it = workers_.find(self);
  finished_.push_back(std::move(it->second));
  workers_.erase(it);
  net::post(io_, [this] { JoinFinished(); });
}

}  // namespace warehouse::http
