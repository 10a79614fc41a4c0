// The worker threads of an HTTP server and the connections they serve.
// Internal to Server (common/http_server.h); docs/http.md describes the
// threading model.
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
#ifndef WAREHOUSE_COMMON_HTTP_WORKER_POOL_H_
#define WAREHOUSE_COMMON_HTTP_WORKER_POOL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/steady_timer.hpp"
#include "common/http_connection.h"
#include "common/http_server.h"
#include "common/socket_stream.h"

namespace warehouse::http {

// Thread-safe. Its timers run on `io`, the accept thread's io_context.
class WorkerPool final : public ConnectionHost {
 public:
  // `options`, `handler`, `metrics` (may be null) and `io` must outlive the
  // pool. `port` names the server in log lines and errors.
  WorkerPool(const ServerOptions& options, const Handler& handler,
             const ServerMetrics* metrics, boost::asio::io_context& io,
             uint16_t port);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  // REQUIRES: FinishShutdown has returned, or Start was never called.
  ~WorkerPool() override;

  // Creates the epoll set and starts one worker per core. Errors:
  // Unavailable (no epoll set), ResourceExhausted (no thread).
  absl::Status Start() ABSL_LOCKS_EXCLUDED(mu_);

  enum class Admission {
    kAdmitted,  // waiting for its first request; the pool owns the socket
    kFull,      // max_connections are open; the caller keeps the socket
    kStopping,  // shutting down; the caller keeps the socket
  };
  // Adds the connection on `socket` to those waiting for a request. On
  // kAdmitted the socket has been released to the pool (or, if epoll
  // refused it, closed).
  Admission Admit(boost::asio::ip::tcp::socket& socket, std::string remote)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Shutting down, in two steps around the accept thread's end.
  // BeginShutdown: refuse new connections and requests, and close idle
  // connections. Once no more can arrive, FinishShutdown: let requests in
  // progress finish for up to `grace`, close every connection, stop and
  // join the workers.
  void BeginShutdown() ABSL_LOCKS_EXCLUDED(mu_);
  void FinishShutdown(absl::Duration grace) ABSL_LOCKS_EXCLUDED(mu_);

  // Accept thread only: stops the stall checks (at shutdown).
  void CancelTimers();

  // Joins the workers that have left. Called on the accept thread now and
  // then, and at shutdown.
  void JoinFinished() ABSL_LOCKS_EXCLUDED(mu_);

  // ConnectionHost.
  bool BeginRequest(uint64_t id, bool may_block) override
      ABSL_LOCKS_EXCLUDED(mu_);
  bool EndRequest(uint64_t id) override ABSL_LOCKS_EXCLUDED(mu_);
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
    // When it is closed unless a request has come whole: set when it is
    // admitted and after each answer, and not moved by what arrives
    // meanwhile (part of a TLS handshake or record), so that a client
    // sending a byte now and then cannot hold it open.
    absl::Time idle_until;
    // In waiting_, while waiting.
    std::multimap<absl::Time, uint64_t>::iterator waiting_at;
  };

  bool NoneBusy() const ABSL_SHARED_LOCKS_REQUIRED(mu_) { return busy_ == 0; }
  bool NoneOpen() const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return connections_.empty();
  }
  bool NoWorkers() const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return workers_.empty();
  }

  // Puts `connection` in the epoll set (`op` EPOLL_CTL_ADD the first time,
  // then EPOLL_CTL_MOD) until its next request or its idle_until, which
  // `restart_idle` sets to idle_timeout from now. False when epoll refuses
  // it; the caller then closes it.
  bool AwaitRequest(uint64_t id, Connection& connection, int op,
                    bool restart_idle) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves the streams of connections idle past idle_timeout into `expired`
  // (the caller closes them once mu_ is released) and returns how many
  // milliseconds a worker may sleep before the next one is due.
  int ExpireIdle(std::vector<std::unique_ptr<SocketStream>>* expired)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Makes one more worker wait for connections: wakes a spare one, or
  // starts a thread. False (and logged) when none can start.
  bool SpawnWorker() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Called by a worker that would wait for connections beside one other
  // per core and one per handler that may block: it waits as a spare
  // instead, out of the epoll set, so that the workers waiting there stay
  // few and busy (epoll wakes its waiters in turn). While handlers block,
  // as many again wait in the set, so that the connections of a PUT load
  // find a worker ready as they would their own thread. Returns whether
  // SpawnWorker called it back; false after kWorkerIdle or at shutdown,
  // and the worker leaves.
  bool WaitAsSpare() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Called when the last idle worker takes a connection: from kStallCheck
  // on, the accept thread checks that connections are still handed back.
  void WatchForStall() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t handoffs_seen() ABSL_LOCKS_EXCLUDED(mu_);
  // Accept thread only.
  void CheckStallLater(uint64_t handoffs) ABSL_LOCKS_EXCLUDED(mu_);

  // The body of a worker thread.
  void Work(uint64_t self) ABSL_LOCKS_EXCLUDED(mu_);
  // A worker is done with `connection` for now: it waits for its next
  // request, or its stream moves to `closing` (the caller closes it once
  // mu_ is released; forgetting the descriptor first means shutdown never
  // shuts down a descriptor number that has been reused).
  void HandBack(uint64_t id, Connection& connection, AfterServing after,
                std::vector<std::unique_ptr<SocketStream>>* closing)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Closes the sockets in `closing`.
  void Close(std::vector<std::unique_ptr<SocketStream>>& closing);
  // A worker's last step: its thread is joined by whoever calls
  // JoinFinished next.
  void Leave(uint64_t self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Immutable after Start().
  const ServerOptions& options_;
  const Handler& handler_;
  const ServerMetrics* const metrics_;
  boost::asio::io_context& io_;
  const uint16_t port_;
  const size_t min_workers_;
  const size_t max_workers_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // written once, to stop the workers

  boost::asio::steady_timer stall_timer_;  // accept thread only

  mutable absl::Mutex mu_;
  std::atomic<bool> stopping_{false};  // written under mu_
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, Connection> connections_ ABSL_GUARDED_BY(mu_);
  // Ids of the connections waiting for a request, by idle_until, the first
  // to expire first.
  std::multimap<absl::Time, uint64_t> waiting_ ABSL_GUARDED_BY(mu_);
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

}  // namespace warehouse::http

#endif  // WAREHOUSE_COMMON_HTTP_WORKER_POOL_H_
