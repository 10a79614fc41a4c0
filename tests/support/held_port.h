// A loopback port that stays ours while servers on it come and go.
//
// A test that SIGKILLs a server and starts it again on the same port races
// every other process on the machine: once the listener is gone, the kernel
// may hand the port to anyone's bind(0) or to anyone's outgoing connection,
// and the restarted server fails with "address in use". A HeldPort keeps a
// socket bound to 127.0.0.1:<port> (never listening) with SO_REUSEADDR for
// its whole life. On Linux that keeps the port out of the kernel's choice for
// bind(0) and connect(), while a server that binds the port by number with
// SO_REUSEADDR (as gRPC's does) may still listen on it.
//
//   ASSIGN_OR_RETURN(HeldPort port, HeldPort::Reserve());
//   StartServer(absl::StrCat("127.0.0.1:", port.port()));
#ifndef WAREHOUSE_TESTS_SUPPORT_HELD_PORT_H_
#define WAREHOUSE_TESTS_SUPPORT_HELD_PORT_H_

#include "absl/status/statusor.h"

namespace warehouse::testing {

// Not thread-safe; owned by one test fixture.
class HeldPort {
 public:
  // Binds a socket to a port of 127.0.0.1 that the kernel picks. Errors:
  // Internal when no socket can be made or bound.
  static absl::StatusOr<HeldPort> Reserve();

  HeldPort() = default;
  HeldPort(HeldPort&& other) noexcept;
  HeldPort& operator=(HeldPort&& other) noexcept;
  HeldPort(const HeldPort&) = delete;
  HeldPort& operator=(const HeldPort&) = delete;
  ~HeldPort();

  // 0 for a default-constructed or moved-from HeldPort.
  int port() const { return port_; }

 private:
  HeldPort(int fd, int port) : fd_(fd), port_(port) {}

  int fd_ = -1;
  int port_ = 0;
};

}  // namespace warehouse::testing

#endif  // WAREHOUSE_TESTS_SUPPORT_HELD_PORT_H_
