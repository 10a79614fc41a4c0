#include "common/http_server.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <list>
#include <map>
#include <set>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/write.hpp"
#include "common/http_connection.h"
#include "common/http_status.h"
#include "common/socket_stream.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace warehouse::http {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// Connections being answered 503 at once; more are closed without a word.
constexpr size_t kMaxRejections = 64;

std::string FormatEndpoint(const tcp::endpoint& endpoint) {
  const net::ip::address address = endpoint.address();
  if (address.is_v6()) {
    return absl::StrCat("[", address.to_string(), "]:", endpoint.port());
  }
  return absl::StrCat(address.to_string(), ":", endpoint.port());
}

absl::Status BindError(const boost::system::error_code& ec,
                       const std::string& where) {
  std::string message = absl::StrCat(where, ": ", ec.message());
  if (ec == net::error::address_in_use) {
    return absl::FailedPreconditionError(message);
  }
  if (ec == net::error::access_denied) {
    return absl::PermissionDeniedError(message);
  }
  if (ec == boost::system::errc::address_not_available) {
    return absl::InvalidArgumentError(message);
  }
  return absl::UnavailableError(message);
}

}  // namespace

// The accept thread runs an io_context that does nothing but accept
// connections and turn away those beyond max_connections, asynchronously so
// that a client which never reads its 503 delays no one.
//
// Admitted connections wait in an epoll set for their next request. Worker
// threads take a connection once something arrives on it (EPOLLONESHOT: one
// worker at a time), serve its requests while they keep coming
// (ServeConnection), and hand it back when it goes idle. A busy worker thus
// goes from one ready connection to the next without sleeping. Handlers may
// block, so the pool grows: before a request that may block
// (BeginRequest's `may_block`), another worker is made free if none is;
// and when none is free and no worker has handed a connection back for
// kStallCheck, another starts. Workers beyond those the load needs wait as
// spares (WaitAsSpare) and leave after kWorkerIdle uncalled.
class Server::Impl final : public ConnectionHost {
 public:
  Impl(const ServerOptions& options, Handler handler)
      : options_(options),
        handler_(std::move(handler)),
        metrics_(options.metrics != nullptr
                     ? std::make_unique<ServerMetrics>(*options.metrics)
                     : nullptr),
        min_workers_(std::max(1u, std::thread::hardware_concurrency())),
        max_workers_(options.max_connections + min_workers_),
        acceptor_(io_),
        retry_timer_(io_),
        stall_timer_(io_) {
    std::string body = ErrorBody(absl::UnavailableError(absl::StrCat(
        "server busy: ", options.max_connections, " connections open")));
    rejection_ = absl::StrCat(
        "HTTP/1.1 503 Service Unavailable\r\n"
        "Content-Type: application/json\r\n"
        "Retry-After: 1\r\n"
        "Content-Length: ",
        body.size(), "\r\nConnection: close\r\n\r\n", body);
  }

  ~Impl() override {
    Shutdown(absl::ZeroDuration());
    if (epoll_fd_ >= 0) close(epoll_fd_);
    if (wake_fd_ >= 0) close(wake_fd_);
  }

  // Binds and listens. Errors as for Server::Start.
  absl::Status Listen() {
    boost::system::error_code ec;
    net::ip::address address = net::ip::make_address(options_.address, ec);
    if (ec) {
      return absl::InvalidArgumentError(absl::StrCat(
          "listen address '", options_.address, "': not a numeric address"));
    }
    tcp::endpoint endpoint(address, options_.port);
    const std::string where = FormatEndpoint(endpoint);
    acceptor_.open(endpoint.protocol(), ec);
    if (ec) return BindError(ec, where);
    acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (ec) return BindError(ec, where);
    acceptor_.bind(endpoint, ec);
    if (ec) return BindError(ec, where);
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return BindError(ec, where);
    port_ = acceptor_.local_endpoint(ec).port();
    if (ec) return BindError(ec, where);
    return absl::OkStatus();
  }

  // Starts the workers and the accept thread. Errors: Unavailable (no
  // epoll set), ResourceExhausted (no thread).
  absl::Status StartServing() ABSL_LOCKS_EXCLUDED(mu_) {
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
    {
      absl::MutexLock lock(&mu_);
      while (workers_.size() < min_workers_) {
        if (!SpawnWorker()) {
          return absl::ResourceExhaustedError(
              absl::StrCat("http port ", port_, ": no worker thread"));
        }
      }
    }
    Accept();
    try {
      accept_thread_ = std::thread([this] { io_.run(); });
    } catch (const std::system_error& e) {
      return absl::ResourceExhaustedError(
          absl::StrCat("http port ", port_, ": no accept thread: ", e.what()));
    }
    return absl::OkStatus();
  }

  uint16_t port() const { return port_; }

  void Shutdown(absl::Duration grace) ABSL_LOCKS_EXCLUDED(shutdown_mu_, mu_) {
    absl::MutexLock shutdown_lock(&shutdown_mu_);
    if (shut_down_) return;
    shut_down_ = true;
    {
      absl::MutexLock lock(&mu_);
      stopping_.store(true);
      // Idle connections hold no request: wake and close them now. One
      // waiting in the epoll set becomes readable, and a worker closes it.
      for (auto& [id, connection] : connections_) {
        if (!connection.busy) connection.stream->ShutdownBoth();
      }
    }
    if (accept_thread_.joinable()) {
      net::post(io_, [this] {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        retry_timer_.cancel();
        stall_timer_.cancel();
        for (Rejection* rejection : rejections_) rejection->Close();
      });
      accept_thread_.join();  // returns once no operation is left
    }
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(this, &Impl::NoneBusy), grace);
      for (auto& [id, connection] : connections_) {
        connection.stream->ShutdownBoth();
      }
      mu_.Await(absl::Condition(this, &Impl::NoneOpen));
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
      mu_.Await(absl::Condition(this, &Impl::NoWorkers));
    }
    JoinFinished();
  }

  bool BeginRequest(uint64_t id, bool may_block) override
      ABSL_LOCKS_EXCLUDED(mu_) {
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

  bool EndRequest(uint64_t id) override ABSL_LOCKS_EXCLUDED(mu_) {
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

  bool stopping() const override { return stopping_.load(); }

 private:
  // epoll_event data of the wake-up descriptor; connection ids count up
  // from 0.
  static constexpr uint64_t kWakeEvent = ~uint64_t{0};
  // How long every worker may be busy with no connection handed back
  // before another worker starts.
  static constexpr absl::Duration kStallCheck = absl::Milliseconds(10);
  // How long a worker beyond the number of cores waits for work before it
  // leaves. Also the longest a worker sleeps without looking at the clock.
  static constexpr absl::Duration kWorkerIdle = absl::Seconds(1);

  struct Connection {
    std::unique_ptr<SocketStream> stream;
    std::string remote;
    bool busy = false;     // between BeginRequest and EndRequest
    bool may_block = false;  // a request that may block is in progress
    bool waiting = false;  // in the epoll set for its next request
    absl::Time idle_until;                     // while waiting
    std::list<uint64_t>::iterator waiting_at;  // in waiting_, while waiting
  };

  // Answers one connection 503 and closes it, without blocking the accept
  // thread: write the response, stop sending, read what the client still
  // sends until it closes or the linger time ends. Lives on the accept
  // thread. Shared by the asynchronous operations in flight (hence
  // shared_ptr); the last to complete frees it.
  class Rejection : public std::enable_shared_from_this<Rejection> {
   public:
    Rejection(tcp::socket socket, const std::string& response,
              std::set<Rejection*>& active)
        : socket_(std::move(socket)),
          timer_(socket_.get_executor()),
          response_(response),
          active_(active) {
      active_.insert(this);
    }
    ~Rejection() { active_.erase(this); }

    void Start(absl::Duration linger) {
      auto self = shared_from_this();
      timer_.expires_after(absl::ToChronoMilliseconds(linger));
      timer_.async_wait([self](const boost::system::error_code& ec) {
        if (!ec) self->Close();
      });
      net::async_write(socket_, net::buffer(response_),
                       [self](const boost::system::error_code& ec, size_t) {
                         if (ec) return self->Close();
                         boost::system::error_code ignored;
                         self->socket_.shutdown(tcp::socket::shutdown_send,
                                                ignored);
                         self->Drain();
                       });
    }

    void Close() {
      boost::system::error_code ignored;
      timer_.cancel();
      socket_.close(ignored);
    }

   private:
    void Drain() {
      auto self = shared_from_this();
      socket_.async_read_some(
          net::buffer(scratch_),
          [self](const boost::system::error_code& ec, size_t) {
            if (ec) return self->Close();
            self->Drain();
          });
    }

    tcp::socket socket_;
    net::steady_timer timer_;
    const std::string& response_;
    std::set<Rejection*>& active_;
    char scratch_[4096];
  };

  bool NoneBusy() const ABSL_SHARED_LOCKS_REQUIRED(mu_) { return busy_ == 0; }
  bool NoneOpen() const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return connections_.empty();
  }
  bool NoWorkers() const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return workers_.empty();
  }

  // Accept thread only.
  void Accept() {
    acceptor_.async_accept(
        [this](const boost::system::error_code& ec, tcp::socket socket) {
          if (ec == net::error::operation_aborted || !acceptor_.is_open()) {
            return;  // shutting down
          }
          if (ec) {
            // Out of descriptors, say: trying again at once would spin.
            spdlog::warn("http port {}: accept: {}", port_, ec.message());
            retry_timer_.expires_after(std::chrono::milliseconds(100));
            retry_timer_.async_wait([this](const boost::system::error_code& e) {
              if (!e) Accept();
            });
            return;
          }
          Admit(std::move(socket));
          Accept();
        });
  }

  // Accept thread only: adds `socket` to the connections waiting for a
  // request, or turns it away.
  void Admit(tcp::socket socket) ABSL_LOCKS_EXCLUDED(mu_) {
    JoinFinished();
    boost::system::error_code ec;
    tcp::endpoint peer = socket.remote_endpoint(ec);
    if (ec) return;  // already gone
    std::string remote = FormatEndpoint(peer);
    {
      // Checking and adding under one lock: Shutdown either sees this
      // connection or this sees Shutdown.
      absl::MutexLock lock(&mu_);
      if (stopping_.load()) return;
      if (connections_.size() < options_.max_connections) {
        AddConnection(std::move(socket), std::move(remote));
        return;
      }
    }
    if (metrics_ != nullptr) metrics_->rejected_connections->Increment();
    if (rejections_.size() < kMaxRejections) {
      std::make_shared<Rejection>(std::move(socket), rejection_, rejections_)
          ->Start(std::min(options_.idle_timeout, absl::Seconds(1)));
    }
  }

  void AddConnection(tcp::socket socket, std::string remote)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    boost::system::error_code ec;
    int fd = socket.release(ec);
    if (ec) return;
    const uint64_t id = next_id_++;
    Connection& connection = connections_[id];
    connection.stream = std::make_unique<SocketStream>(fd);
    connection.stream->set_timeout(options_.idle_timeout);
    connection.remote = std::move(remote);
    if (!AwaitRequest(id, connection, EPOLL_CTL_ADD)) {
      connections_.erase(id);  // closes the socket
      return;
    }
    if (metrics_ != nullptr) metrics_->open_connections->Add(1);
  }

  // Puts `connection` in the epoll set (`op` EPOLL_CTL_ADD the first time,
  // then EPOLL_CTL_MOD) until its next request or idle_timeout. False when
  // epoll refuses it; the caller then closes it.
  bool AwaitRequest(uint64_t id, Connection& connection, int op)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    connection.waiting = true;
    connection.idle_until = absl::Now() + options_.idle_timeout;
    connection.waiting_at = waiting_.insert(waiting_.end(), id);
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

  // Moves the streams of connections idle past idle_timeout into `expired`
  // (the caller closes them once mu_ is released) and returns how many
  // milliseconds a worker may sleep before the next one is due.
  int ExpireIdle(std::vector<std::unique_ptr<SocketStream>>* expired)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const absl::Time now = absl::Now();
    while (!waiting_.empty()) {
      auto it = connections_.find(waiting_.front());
      if (it->second.idle_until > now) {
        const absl::Duration left =
            std::min(it->second.idle_until - now, kWorkerIdle);
        return static_cast<int>(absl::ToInt64Milliseconds(
            absl::Ceil(left, absl::Milliseconds(1))));
      }
      // Closed silently: it has not begun another request.
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.stream->fd(), nullptr);
      expired->push_back(std::move(it->second.stream));
      waiting_.pop_front();
      connections_.erase(it);
    }
    return static_cast<int>(absl::ToInt64Milliseconds(kWorkerIdle));
  }

  // Makes one more worker wait for connections: wakes a spare one, or
  // starts a thread. False (and logged) when none can start.
  bool SpawnWorker() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (spare_workers_ > spares_called_) {
      ++spares_called_;
      ++idle_workers_;
      spare_cv_.Signal();
      return true;
    }
    if (workers_.size() >= max_workers_) return false;
    const uint64_t id = next_worker_id_++;
    try {
      // The worker needs mu_ before it can leave, so it cannot finish
      // before its handle is stored.
      workers_[id] = std::thread([this, id] { Work(id); });
    } catch (const std::system_error& e) {
      spdlog::error("http port {}: no worker thread: {}", port_, e.what());
      workers_.erase(id);
      return false;
    }
    ++idle_workers_;
    return true;
  }

  // Called by a worker that would wait for connections beside one other
  // per core and one per handler that may block: it waits as a spare
  // instead, out of the epoll set, so that the workers waiting there stay
  // few and busy (epoll wakes its waiters in turn). While handlers block,
  // as many again wait in the set, so that the connections of a PUT load
  // find a worker ready as they would their own thread. Returns whether
  // SpawnWorker called it back; false after kWorkerIdle or at shutdown,
  // and the worker leaves.
  bool WaitAsSpare() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
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

  // Called when the last idle worker takes a connection: from kStallCheck
  // on, the accept thread checks that connections are still handed back.
  void WatchForStall() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (stall_watch_ || stopping_.load()) return;
    stall_watch_ = true;
    net::post(io_, [this] { CheckStallLater(handoffs_seen()); });
  }

  uint64_t handoffs_seen() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return handoffs_;
  }

  // Accept thread only.
  void CheckStallLater(uint64_t handoffs) ABSL_LOCKS_EXCLUDED(mu_) {
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

  // The body of a worker thread.
  void Work(uint64_t self) ABSL_LOCKS_EXCLUDED(mu_) {
    WorkerState state(metrics_.get());
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
          Close(closing);  // before Leave, while the server surely exists
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
                              options_, handler_, *this, metrics_.get(), state);
    }
  }

  // A worker is done with `connection` for now: it waits for its next
  // request, or its stream moves to `closing` (the caller closes it once
  // mu_ is released; forgetting the descriptor first means Shutdown never
  // shuts down a descriptor number that has been reused).
  void HandBack(uint64_t id, Connection& connection, AfterServing after,
                std::vector<std::unique_ptr<SocketStream>>* closing)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ++idle_workers_;
    ++handoffs_;
    if (after == AfterServing::kAwaitRequest && !stopping_.load() &&
        AwaitRequest(id, connection, EPOLL_CTL_MOD)) {
      return;
    }
    closing->push_back(std::move(connection.stream));
    connections_.erase(id);
  }

  // Closes the sockets in `closing`.
  void Close(std::vector<std::unique_ptr<SocketStream>>& closing) {
    if (closing.empty()) return;
    if (metrics_ != nullptr) {
      metrics_->open_connections->Add(-static_cast<int64_t>(closing.size()));
    }
    closing.clear();
  }

  // A worker's last step: its thread is joined by whoever calls
  // JoinFinished next.
  void Leave(uint64_t self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = workers_.find(self);
    finished_.push_back(std::move(it->second));
    workers_.erase(it);
    net::post(io_, [this] { JoinFinished(); });
  }

  void JoinFinished() ABSL_LOCKS_EXCLUDED(mu_) {
    std::vector<std::thread> done;
    {
      absl::MutexLock lock(&mu_);
      done.swap(finished_);
    }
    for (std::thread& thread : done) thread.join();
  }

  // Immutable after Start().
  const ServerOptions options_;
  const Handler handler_;
  const std::unique_ptr<ServerMetrics> metrics_;
  const size_t min_workers_;
  const size_t max_workers_;
  std::string rejection_;  // the 503 response
  uint16_t port_ = 0;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // written once, to stop the workers

  // Used by the accept thread only, once it runs. Declared before io_ so
  // rejections still pending when io_ is destroyed can unregister.
  std::set<Rejection*> rejections_;
  net::io_context io_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  net::steady_timer stall_timer_;
  std::thread accept_thread_;

  absl::Mutex shutdown_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;

  mutable absl::Mutex mu_;
  std::atomic<bool> stopping_{false};  // written under mu_
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, Connection> connections_ ABSL_GUARDED_BY(mu_);
  // Ids of the connections waiting for a request, longest waiting first.
  std::list<uint64_t> waiting_ ABSL_GUARDED_BY(mu_);
  size_t busy_ ABSL_GUARDED_BY(mu_) = 0;

  std::map<uint64_t, std::thread> workers_ ABSL_GUARDED_BY(mu_);
  uint64_t next_worker_id_ ABSL_GUARDED_BY(mu_) = 0;
  // Workers holding no connection, the spare ones aside.
  size_t idle_workers_ ABSL_GUARDED_BY(mu_) = 0;
  size_t may_block_ ABSL_GUARDED_BY(mu_) = 0;  // requests that may block
  size_t spare_workers_ ABSL_GUARDED_BY(mu_) = 0;  // in WaitAsSpare
  size_t spares_called_ ABSL_GUARDED_BY(mu_) = 0;  // by SpawnWorker, not yet up
  absl::CondVar spare_cv_;
  uint64_t handoffs_ ABSL_GUARDED_BY(mu_) = 0;    // connections handed back
  bool stall_watch_ ABSL_GUARDED_BY(mu_) = false;
  bool workers_stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> finished_ ABSL_GUARDED_BY(mu_);  // to join
};

absl::StatusOr<std::unique_ptr<Server>> Server::Start(
    const ServerOptions& options, Handler handler) {
  if (!handler) return absl::InvalidArgumentError("http server: no handler");
  if (options.max_connections == 0) {
    return absl::InvalidArgumentError("http server: max_connections is 0");
  }
  if (options.idle_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "http server: idle_timeout must be positive");
  }
  if (options.max_header_bytes < 1024) {
    return absl::InvalidArgumentError(
        "http server: max_header_bytes must be at least 1024");
  }
  auto impl = std::make_unique<Impl>(options, std::move(handler));
  RETURN_IF_ERROR(impl->Listen());
  RETURN_IF_ERROR(impl->StartServing());
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { impl_->Shutdown(absl::ZeroDuration()); }

uint16_t Server::port() const { return impl_->port(); }

void Server::Shutdown(absl::Duration grace) { impl_->Shutdown(grace); }

std::optional<std::string> Request::Header(absl::string_view name) const {
  std::optional<std::string> value;
  for (const auto& [field, field_value] : headers) {
    if (!absl::EqualsIgnoreCase(field, name)) continue;
    if (value) {
      absl::StrAppend(&*value, ", ", field_value);
    } else {
      value = field_value;
    }
  }
  return value;
}

std::optional<std::string> Request::QueryParam(absl::string_view name) const {
  auto it = query.find(std::string(name));
  if (it == query.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::string> ReadFullBody(BodyReader& body, size_t limit) {
  std::optional<uint64_t> length = body.content_length();
  if (length && *length > limit) {
    return absl::OutOfRangeError(absl::StrCat(
        "request body of ", *length, " bytes: more than ", limit, " allowed"));
  }
  std::string out;
  char buf[16 << 10];
  for (;;) {
    ASSIGN_OR_RETURN(size_t got, body.Read(buf, sizeof(buf)));
    if (got == 0) return out;
    if (out.size() + got > limit) {
      return absl::OutOfRangeError(
          absl::StrCat("request body: more than ", limit, " bytes allowed"));
    }
    out.append(buf, got);
  }
}

}  // namespace warehouse::http
