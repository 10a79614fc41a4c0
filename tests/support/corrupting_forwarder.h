// A TCP forwarder that damages uploads on the way, for end-to-end tests of
// what a client does when the bytes a server stored are not the bytes it
// sent (a bit flip the TCP checksum missed, a faulty middlebox).
//
// It listens on a port of 127.0.0.1 and forwards every connection to one
// upstream HTTP/1.1 server, byte for byte, except that it follows the
// requests on each connection (a header up to its CRLFCRLF, then
// Content-Length bytes of body) and, in the bodies of the next PUT requests
// it was told to damage, flips the lowest bit of the middle byte. It
// follows the responses the same way and, in the headers of the next ones
// it was told to, removes or garbles the ETag (so responses to HEAD, which
// have no body whatever their Content-Length says, must not pass through
// it). Point clients at it by giving its address to the server as the one
// to advertise (warehouse-volume --public-url):
//
//   ASSIGN_OR_RETURN(auto forwarder, CorruptingForwarder::Listen());
//   options.volume_args = {"--public-url", forwarder->address()};
//   ... start the cluster ...
//   RETURN_IF_ERROR(forwarder->Start(cluster->volume_address(0)));
//   forwarder->CorruptPuts(1);
#ifndef WAREHOUSE_TESTS_SUPPORT_CORRUPTING_FORWARDER_H_
#define WAREHOUSE_TESTS_SUPPORT_CORRUPTING_FORWARDER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace warehouse::testing {

// Thread-safe: one thread of its own forwards; the test thread calls
// Start once, then any other method. The destructor stops that thread
// (within about 50 ms) and closes every connection.
class CorruptingForwarder {
 public:
  // Listens on a port of 127.0.0.1 the kernel picks. Connections wait
  // until Start. Errors: Internal when no socket can listen.
  static absl::StatusOr<std::unique_ptr<CorruptingForwarder>> Listen();
  ~CorruptingForwarder();
  CorruptingForwarder(const CorruptingForwarder&) = delete;
  CorruptingForwarder& operator=(const CorruptingForwarder&) = delete;

  // "127.0.0.1:<port>", where it listens.
  const std::string& address() const { return address_; }

  // Starts forwarding each connection to `upstream` ("127.0.0.1:<port>").
  // Errors: InvalidArgument (not an IPv4 host:port). REQUIRES: called once.
  absl::Status Start(const std::string& upstream);

  // Damages the bodies of the next `count` PUT requests with a body.
  void CorruptPuts(int count) { to_corrupt_.store(count); }

  enum class EtagDamage {
    kRemove,  // the header is renamed XTag
    kGarble,  // the first character of its value becomes 'z'
  };
  // Damages the ETag header of the next `count` responses that have one.
  void DamageEtags(EtagDamage how, int count) {
    etag_damage_.store(how);
    etags_to_damage_.store(count);
  }

  // PUT requests forwarded so far, and how many of their bodies it damaged.
  int puts() const { return puts_.load(); }
  int corrupted() const { return corrupted_.load(); }
  // ETag headers damaged so far.
  int etags_damaged() const { return etags_damaged_.load(); }

 private:
  struct Link;

  CorruptingForwarder(int listener, std::string address)
      : listener_(listener), address_(std::move(address)) {}

  void Run();
  // Follows the requests in `data` (bytes from the client on `link`),
  // flipping a bit where a body is to be damaged.
  void Scan(Link& link, char* data, size_t size);
  // Forwards `data` (bytes from the server on `link`) to the client,
  // holding each response header until it is whole to damage its ETag.
  // False when the client is gone or stalled.
  bool Relay(Link& link, const char* data, size_t size);
  // Damages the ETag of `header`, a whole response header, if one is to be.
  void DamageEtag(std::string& header);

  // Immutable after Listen.
  const int listener_;
  const std::string address_;
  // Set by Start, before the thread starts.
  uint32_t upstream_ip_ = 0;  // network order
  uint16_t upstream_port_ = 0;

  std::atomic<bool> stop_{false};
  std::atomic<int> to_corrupt_{0};
  std::atomic<int> puts_{0};
  std::atomic<int> corrupted_{0};
  std::atomic<EtagDamage> etag_damage_{EtagDamage::kRemove};
  std::atomic<int> etags_to_damage_{0};
  std::atomic<int> etags_damaged_{0};
  std::thread thread_;
};

}  // namespace warehouse::testing

#endif  // WAREHOUSE_TESTS_SUPPORT_CORRUPTING_FORWARDER_H_
