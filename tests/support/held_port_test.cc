#include "tests/support/held_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/grpcpp.h"

namespace warehouse::testing {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return address;
}

// A socket bound to 127.0.0.1:`port`, or -1 with errno set.
int BoundSocket(int port, bool reuse) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int on = 1;
  if (reuse) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  sockaddr_in address = Loopback(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    const int error = errno;
    ::close(fd);
    errno = error;
    return -1;
  }
  return fd;
}

int LocalPort(int fd) {
  sockaddr_in address = {};
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

// Starts a gRPC server with `service` (which must outlive it) on
// 127.0.0.1:`port`; returns the port it listens on, 0 when it could not.
int ServeGrpc(int port, grpc::CallbackGenericService* service,
              std::unique_ptr<grpc::Server>* server) {
  grpc::ServerBuilder builder;
  builder.RegisterCallbackGenericService(service);
  int bound = 0;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", port),
                           grpc::InsecureServerCredentials(), &bound);
  *server = builder.BuildAndStart();
  return *server == nullptr ? 0 : bound;
}

TEST_CASE("a gRPC server listens on a held port again after the last one died",
          "[support]") {
  absl::StatusOr<HeldPort> held = HeldPort::Reserve();
  INFO(held.status().ToString());
  REQUIRE(held.ok());
  REQUIRE(held->port() > 0);
  for (int round = 0; round < 3; ++round) {
    INFO("round " << round);
    grpc::CallbackGenericService unimplemented;
    std::unique_ptr<grpc::Server> server;
    CHECK(ServeGrpc(held->port(), &unimplemented, &server) == held->port());
    if (server != nullptr) server->Shutdown();
  }
}

TEST_CASE("no one else's bind or connect is given a held port", "[support]") {
  absl::StatusOr<HeldPort> held = HeldPort::Reserve();
  REQUIRE(held.ok());
  // Binding the port by number without SO_REUSEADDR is refused.
  CHECK(BoundSocket(held->port(), /*reuse=*/false) == -1);
  CHECK(errno == EADDRINUSE);

  // Thousands of sockets bound to port 0 at once (each takes a distinct
  // port), then as many outgoing connections: none gets the held port.
  rlimit files = {};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &files) == 0);
  files.rlim_cur = files.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &files);
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &files) == 0);
  const int count =
      static_cast<int>(std::min<rlim_t>(6000, files.rlim_cur / 2 - 64));
  REQUIRE(count >= 400);
  std::vector<int> fds;
  int taken = 0;
  for (int i = 0; i < count; ++i) {
    const int fd = BoundSocket(0, /*reuse=*/i % 2 == 0);
    if (fd < 0) break;
    taken += LocalPort(fd) == held->port();
    fds.push_back(fd);
  }
  CHECK(fds.size() == static_cast<size_t>(count));
  CHECK(taken == 0);
  for (int fd : fds) ::close(fd);
  fds.clear();

  const int listener = BoundSocket(0, /*reuse=*/true);
  REQUIRE(listener >= 0);
  REQUIRE(::listen(listener, count) == 0);
  sockaddr_in to = Loopback(LocalPort(listener));
  for (int i = 0; i < count / 2; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    fds.push_back(fd);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) break;
    taken += LocalPort(fd) == held->port();
    const int accepted = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (accepted >= 0) fds.push_back(accepted);
  }
  CHECK(fds.size() == static_cast<size_t>(count));
  CHECK(taken == 0);
  for (int fd : fds) ::close(fd);
  ::close(listener);
}

TEST_CASE("a held port is released when it goes out of scope", "[support]") {
  int port = 0;
  {
    absl::StatusOr<HeldPort> held = HeldPort::Reserve();
    REQUIRE(held.ok());
    port = held->port();
    HeldPort moved = *std::move(held);
    CHECK(moved.port() == port);
    CHECK(held->port() == 0);
  }
  const int fd = BoundSocket(port, /*reuse=*/false);
  CHECK(fd >= 0);
  if (fd >= 0) ::close(fd);
}

}  // namespace
}  // namespace warehouse::testing
