#include "common/http_server.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/ssl/context.hpp"
#include "boost/asio/ssl/stream.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/write.hpp"
#include "common/http_connection.h"
#include "common/http_status.h"
#include "common/http_worker_pool.h"
#include "common/server_certificate.h"
#include "common/status_macros.h"
#include "common/tls_context.h"
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

// A connection being answered 503 and closed, without blocking the accept
// thread: the answer is written, then sending stops and what the client
// still sends is read until it closes (closing with unread bytes would
// reset the connection, and the client could lose the answer), all within
// a time limit. Lives on the accept thread, registered in `active` (which
// shutdown closes); shared by the asynchronous operations in flight (hence
// shared_ptr), the last to complete frees it.
class Rejection : public std::enable_shared_from_this<Rejection> {
 public:
  Rejection(const net::any_io_executor& executor, const std::string& response,
            std::set<Rejection*>& active)
      : response_(response), timer_(executor), active_(active) {
    active_.insert(this);
  }
  virtual ~Rejection() { active_.erase(this); }

  // Answers, and closes after `limit` at the latest.
  void Start(absl::Duration limit) {
    auto self = shared_from_this();
    timer_.expires_after(absl::ToChronoMilliseconds(limit));
    timer_.async_wait([self](const boost::system::error_code& ec) {
      if (!ec) self->Close();
    });
    Answer();
  }

  // Ends it now (shutdown, or its time is up).
  void Close() {
    boost::system::error_code ignored;
    timer_.cancel();
    socket().close(ignored);
  }

 protected:
  // The TCP socket, under TLS if any.
  virtual tcp::socket& socket() = 0;
  // Writes the response, then calls StopSendingAndDrain (or Close).
  virtual void Answer() = 0;

  void StopSendingAndDrain() {
    boost::system::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_send, ignored);
    Drain();
  }

  const std::string& response_;

 private:
  void Drain() {
    auto self = shared_from_this();
    socket().async_read_some(
        net::buffer(scratch_),
        [self](const boost::system::error_code& ec, size_t) {
          if (ec) return self->Close();
          self->Drain();
        });
  }

  net::steady_timer timer_;
  std::set<Rejection*>& active_;
  char scratch_[4096];
};

// In plaintext: the response as it is.
class PlainRejection final : public Rejection {
 public:
  PlainRejection(tcp::socket socket, const std::string& response,
                 std::set<Rejection*>& active)
      : Rejection(socket.get_executor(), response, active),
        socket_(std::move(socket)) {}

 private:
  tcp::socket& socket() override { return socket_; }
  void Answer() override {
    // `self` keeps this alive until the handler has run.
    net::async_write(socket_, net::buffer(response_),
                     [self = shared_from_this(), this](
                         const boost::system::error_code& ec, size_t) {
                       if (ec) return Close();
                       StopSendingAndDrain();
                     });
  }

  tcp::socket socket_;
};

// Asio's view of one of our server contexts. Asio frees the SSL_CTX it is
// given when done, so it is given a reference of its own.
net::ssl::context AsioContext(const TlsContext& tls) {
  SSL_CTX_up_ref(tls.native());
  return net::ssl::context(tls.native());
}

// Over TLS: the handshake, the response in a record, close_notify, with
// Boost.Asio's ssl::stream. The handshake is the client's as much as
// ours: one that never finishes it is closed when the time is up.
class TlsRejection final : public Rejection {
 public:
  TlsRejection(tcp::socket socket, std::shared_ptr<const TlsContext> tls,
               const std::string& response, std::set<Rejection*>& active)
      : Rejection(socket.get_executor(), response, active),
        tls_(std::move(tls)),
        context_(AsioContext(*tls_)),
        stream_(std::move(socket), context_) {}

 private:
  tcp::socket& socket() override { return stream_.next_layer(); }
  void Answer() override {
    // `self` keeps this alive until the handlers have run.
    stream_.async_handshake(
        net::ssl::stream_base::server,
        [self = shared_from_this(), this](const boost::system::error_code& ec) {
          if (ec) return Close();
          net::async_write(
              stream_, net::buffer(response_),
              [self, this](const boost::system::error_code& ec, size_t) {
                if (ec) return Close();
                // Sends close_notify and waits for the client's (or reads
                // its request, which ends the wait with an error).
                stream_.async_shutdown(
                    [self, this](const boost::system::error_code&) {
                      StopSendingAndDrain();
                    });
              });
        });
  }

  const std::shared_ptr<const TlsContext> tls_;
  net::ssl::context context_;
  net::ssl::stream<tcp::socket> stream_;
};

}  // namespace

// The accept thread runs an io_context that accepts connections, hands them
// to the worker pool, and turns away those beyond max_connections,
// asynchronously so that a client which never reads its 503 delays no one.
// The pool's timers run on it too.
class Server::Impl final {
 public:
  Impl(const ServerOptions& options, Handler handler)
      : options_(options),
        handler_(std::move(handler)),
        metrics_(options.metrics != nullptr
                     ? std::make_unique<ServerMetrics>(*options.metrics)
                     : nullptr),
        acceptor_(io_),
        retry_timer_(io_) {
    std::string body = ErrorBody(absl::UnavailableError(absl::StrCat(
        "server busy: ", options.max_connections, " connections open")));
    rejection_ = absl::StrCat(
        "HTTP/1.1 503 Service Unavailable\r\n"
        "Content-Type: application/json\r\n"
        "Retry-After: 1\r\n"
        "Content-Length: ",
        body.size(), "\r\nConnection: close\r\n\r\n", body);
  }

  ~Impl() { Shutdown(absl::ZeroDuration()); }

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
  absl::Status StartServing() {
    pool_ = std::make_unique<WorkerPool>(options_, handler_, metrics_.get(),
                                         io_, port_);
    RETURN_IF_ERROR(pool_->Start());
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

  void Shutdown(absl::Duration grace) ABSL_LOCKS_EXCLUDED(shutdown_mu_) {
    absl::MutexLock shutdown_lock(&shutdown_mu_);
    if (shut_down_) return;
    shut_down_ = true;
    if (pool_ != nullptr) pool_->BeginShutdown();
    if (accept_thread_.joinable()) {
      net::post(io_, [this] {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        retry_timer_.cancel();
        pool_->CancelTimers();
        for (Rejection* rejection : rejections_) rejection->Close();
      });
      accept_thread_.join();  // returns once no operation is left
    }
    if (pool_ != nullptr) pool_->FinishShutdown(grace);
  }

 private:
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

  // Accept thread only: hands `socket` to the pool, or turns it away.
  void Admit(tcp::socket socket) {
    pool_->JoinFinished();
    boost::system::error_code ec;
    tcp::endpoint peer = socket.remote_endpoint(ec);
    if (ec) return;  // already gone
    if (pool_->Admit(socket, FormatEndpoint(peer)) !=
        WorkerPool::Admission::kFull) {
      return;
    }
    if (metrics_ != nullptr) metrics_->rejected_connections->Increment();
    if (rejections_.size() >= kMaxRejections) return;  // closed unanswered
    if (options_.tls == nullptr) {
      std::make_shared<PlainRejection>(std::move(socket), rejection_,
                                       rejections_)
          ->Start(std::min(options_.idle_timeout, absl::Seconds(1)));
      return;
    }
    // A handshake needs round trips the linger of a plaintext answer may
    // not cover.
    std::make_shared<TlsRejection>(std::move(socket), options_.tls->Current(),
                                   rejection_, rejections_)
        ->Start(std::min(options_.idle_timeout, absl::Seconds(5)));
  }

  // Immutable after Start().
  const ServerOptions options_;
  const Handler handler_;
  const std::unique_ptr<ServerMetrics> metrics_;
  std::string rejection_;  // the 503 response
  uint16_t port_ = 0;

  // Used by the accept thread only, once it runs. Declared before io_ so
  // rejections still pending when io_ is destroyed can unregister.
  std::set<Rejection*> rejections_;
  net::io_context io_;
  // After io_, whose timer it holds; set by StartServing.
  std::unique_ptr<WorkerPool> pool_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  std::thread accept_thread_;

  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
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
