// The HTTP client (common/http_client.h): which connections the pool keeps,
// which requests it sends again, and which bodies reach a body sink.
#include "common/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "common/http_server.h"

namespace warehouse::http {
namespace {

constexpr absl::Duration kWait = absl::Seconds(10);
constexpr int kWaitMs = 10000;

// A loopback server that answers every request with the same bytes, as
// written, whatever HTTP they hold. Serves connections one at a time, at
// most `max_connections` of them, each until the client closes when
// `close_after` is false. Every wait is bounded by kWait.
class RawServer {
 public:
  RawServer(std::string answer, bool close_after, int max_connections = 8)
      : answer_(std::move(answer)), close_after_(close_after) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listen_fd_ >= 0);
    struct sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    REQUIRE(bind(listen_fd_, reinterpret_cast<sockaddr*>(&address),
                 sizeof(address)) == 0);
    REQUIRE(listen(listen_fd_, 8) == 0);
    socklen_t length = sizeof(address);
    REQUIRE(getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address),
                        &length) == 0);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this, max_connections] {
      for (int i = 0; i < max_connections && !stop_; ++i) {
        struct pollfd p = {listen_fd_, POLLIN, 0};
        if (poll(&p, 1, kWaitMs) <= 0 || stop_) return;
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;
        ++accepted_;
        Serve(fd);
        close(fd);
      }
    });
  }
  ~RawServer() {
    stop_ = true;
    shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    close(listen_fd_);
  }

  Origin origin() const {
    return Origin{absl::StrCat("127.0.0.1:", port_), false};
  }
  int accepted() const { return accepted_; }

 private:
  // Answers each request header that arrives, until the client closes (or
  // after the first answer with `close_after_`).
  void Serve(int fd) {
    std::string received;
    char buf[4096];
    for (int reads = 0; reads < 1000 && !stop_; ++reads) {
      struct pollfd p = {fd, POLLIN, 0};
      if (poll(&p, 1, kWaitMs) <= 0) return;
      const ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return;
      received.append(buf, static_cast<size_t>(n));
      size_t end;
      while ((end = received.find("\r\n\r\n")) != std::string::npos) {
        received.erase(0, end + 4);
        if (send(fd, answer_.data(), answer_.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(answer_.size())) {
          return;
        }
        if (close_after_) return;
      }
    }
  }

  const std::string answer_;
  const bool close_after_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

TEST_CASE("a response whose body ends with the connection is not reused",
          "[common][http]") {
  // No Content-Length, no chunking: the body runs to the server's close,
  // and the connection cannot carry another request.
  RawServer server("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello",
                   /*close_after=*/true);
  absl::StatusOr<std::unique_ptr<Connection>> connection =
      Connection::Connect(server.origin(), kWait);
  REQUIRE(connection.ok());
  ClientRequest request;
  absl::StatusOr<ClientResponse> response = (*connection)->Send(request);
  INFO(response.status().ToString());
  REQUIRE(response.ok());
  CHECK(response->status == 200);
  CHECK(response->body == "hello");
  CHECK_FALSE((*connection)->reusable());
}

TEST_CASE("a connection with bytes past its response is not pooled",
          "[common][http]") {
  // The server sends more than the response it was asked for. Were the
  // connection pooled, the next request would read those bytes as its
  // response.
  RawServer server(
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale",
      /*close_after=*/false);
  ConnectionPool pool(kWait);
  for (int i = 0; i < 2; ++i) {
    INFO("request " << i);
    ClientRequest request;
    absl::StatusOr<ClientResponse> response =
        pool.Send(server.origin(), request);
    INFO(response.status().ToString());
    REQUIRE(response.ok());
    CHECK(response->body == "hi");
  }
  CHECK(server.accepted() == 2);
}

// A GET whose body sink counts its calls in `*calls`.
ClientRequest CountingSink(int* calls) {
  ClientRequest request;
  request.body_sink = [calls](absl::string_view) {
    ++*calls;
    return absl::OkStatus();
  };
  return request;
}

TEST_CASE("an error's body is collected, never passed to the body sink",
          "[common][http]") {
  RawServer server(
      "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy",
      /*close_after=*/false);
  absl::StatusOr<std::unique_ptr<Connection>> connection =
      Connection::Connect(server.origin(), kWait);
  REQUIRE(connection.ok());
  int sink_calls = 0;
  ClientRequest request = CountingSink(&sink_calls);
  absl::StatusOr<ClientResponse> response = (*connection)->Send(request);
  INFO(response.status().ToString());
  REQUIRE(response.ok());
  CHECK(response->status == 503);
  CHECK(response->body == "busy");
  CHECK(sink_calls == 0);
  CHECK((*connection)->reusable());
}

TEST_CASE("a long error body is cut, and its connection not reused",
          "[common][http]") {
  // Longer than any message, and than one read: only its start is kept,
  // and the rest is not read (it could be endless).
  std::string message(1 << 20, 'e');
  for (size_t i = 0; i < message.size(); i += 1000) message[i] = '\n';
  RawServer server(absl::StrCat("HTTP/1.1 404 Not Found\r\nContent-Length: ",
                                message.size(), "\r\n\r\n", message),
                   /*close_after=*/false);
  absl::StatusOr<std::unique_ptr<Connection>> connection =
      Connection::Connect(server.origin(), kWait);
  REQUIRE(connection.ok());
  int sink_calls = 0;
  ClientRequest request = CountingSink(&sink_calls);
  absl::StatusOr<ClientResponse> response = (*connection)->Send(request);
  INFO(response.status().ToString());
  REQUIRE(response.ok());
  CHECK(response->status == 404);
  REQUIRE(response->body.size() == kMaxCollectedErrorBody);
  CHECK(response->body == message.substr(0, kMaxCollectedErrorBody));
  CHECK(sink_calls == 0);
  CHECK_FALSE((*connection)->reusable());
}

TEST_CASE("a request whose body sink failed is not sent again",
          "[common][http]") {
  std::atomic<int> requests{0};
  auto server =
      Server::Start(ServerOptions(), [&](Request&, ResponseWriter& response) {
        ++requests;
        response.Send(200, "0123456789").IgnoreError();
      });
  REQUIRE(server.ok());
  const Origin origin{absl::StrCat("127.0.0.1:", (*server)->port()), false};
  ConnectionPool pool(kWait);
  {
    ClientRequest request;  // leaves a connection in the pool
    REQUIRE(pool.Send(origin, request).ok());
  }
  // The sink took the bytes and then failed, as a file write might with
  // EIO: sending the request again would hand it the body from offset 0.
  int sink_calls = 0;
  ClientRequest request;
  request.body_sink = [&](absl::string_view) {
    ++sink_calls;
    return absl::UnavailableError("disk gone");
  };
  absl::StatusOr<ClientResponse> response = pool.Send(origin, request);
  CHECK(absl::IsUnavailable(response.status()));
  CHECK(absl::StrContains(response.status().message(), "disk gone"));
  CHECK(sink_calls == 1);
  CHECK(requests == 2);
}

TEST_CASE("a request on a pooled connection the server closed is retried",
          "[common][http]") {
  ServerOptions options;
  options.idle_timeout = absl::Milliseconds(100);
  std::atomic<int> requests{0};
  auto server = Server::Start(options, [&](Request&, ResponseWriter& response) {
    ++requests;
    response.Send(200, "ok").IgnoreError();
  });
  REQUIRE(server.ok());
  const Origin origin{absl::StrCat("127.0.0.1:", (*server)->port()), false};
  ConnectionPool pool(kWait);
  for (int i = 0; i < 2; ++i) {
    INFO("request " << i);
    ClientRequest request;
    absl::StatusOr<ClientResponse> response = pool.Send(origin, request);
    INFO(response.status().ToString());
    REQUIRE(response.ok());
    CHECK(response->body == "ok");
    // The server closes the pooled connection as idle meanwhile.
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
  }
  CHECK(requests == 2);
}

}  // namespace
}  // namespace warehouse::http
