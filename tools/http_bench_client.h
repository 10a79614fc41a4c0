// The load generator of warehouse-http-bench: a lean HTTP/1.1 keep-alive
// client that drives any server (the volume server, nginx) the same way.
//
// Each client thread runs one epoll loop over its share of the
// connections. A connection is closed-loop: it sends one request, reads the
// whole response, checks it, and only then sends the next. Request heads
// are built before the run starts (signing urls is not part of what is
// measured); request bodies are sliced out of a shared Payload, never held
// per object, so a body of any size streams from a fixed buffer.
#ifndef WAREHOUSE_TOOLS_HTTP_BENCH_CLIENT_H_
#define WAREHOUSE_TOOLS_HTTP_BENCH_CLIENT_H_

#include <sys/uio.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace warehouse::bench {

// The bytes of every object the bench writes: object `seed` at position p
// is pattern[(seed * kStride + p) mod pattern size], a window over one
// random buffer. Objects with different seeds start at different places,
// and an object longer than the pattern wraps around it. Immutable after
// creation, so thread-safe.
class Payload {
 public:
  // A pattern of `pattern_bytes` random bytes (at least 4 KiB).
  explicit Payload(size_t pattern_bytes);
  Payload(const Payload&) = delete;
  Payload& operator=(const Payload&) = delete;

  // Fills `out` with up to two slices of the pattern holding bytes
  // [offset, offset + n) of object `seed`, clipped at one wrap of the
  // pattern; returns how many slices were filled and how many bytes they
  // hold through `*bytes`.
  int Slices(uint64_t seed, uint64_t offset, uint64_t n, struct iovec out[2],
             uint64_t* bytes) const;
  // CRC-32C of the `size` bytes of object `seed`.
  uint32_t Crc(uint64_t seed, uint64_t size) const;

 private:
  static constexpr uint64_t kStride = 4099;
  std::string pattern_;
};

// One request and what its response must be.
struct Op {
  // Request line and header fields, ending with the empty line.
  std::string head;
  // The body that follows the head: `body_size` bytes of Payload object
  // `body_seed`.
  uint64_t body_seed = 0;
  uint64_t body_size = 0;

  // Status codes accepted (inclusive).
  int status_low = 200;
  int status_high = 299;
  // When set, the response body must be exactly this long and have this
  // CRC-32C.
  bool check_body = false;
  uint64_t response_size = 0;
  uint32_t response_crc = 0;
  // When set, the response must carry ETag: "<crc in 8 hex digits>" with
  // this value (the volume server's ETag).
  bool check_etag = false;
  uint32_t etag_crc = 0;
};

// Which request a connection sends next. Called from the client threads,
// so it must be thread-safe; `n` counts requests started in this run. A
// null return means the run has no more requests.
using OpSource = std::function<const Op*(uint64_t n)>;

struct LoadOptions {
  std::string host = "127.0.0.1";  // numeric IPv4 address
  uint16_t port = 0;
  int connections = 1;
  int threads = 1;  // client threads, each with its own epoll loop
  // No request starts after this long; requests in flight finish.
  absl::Duration duration = absl::Seconds(5);
  // The longest the run may take in all; past it the run fails.
  absl::Duration limit = absl::Seconds(60);
};

struct LoadResult {
  uint64_t ops = 0;
  uint64_t body_bytes = 0;  // request plus response body bytes
  absl::Duration elapsed;   // from the first request to the last response
  std::vector<int64_t> latencies_ns;  // one per request, unsorted
  uint64_t reconnects = 0;  // connections the server closed between requests
  double client_cpu_seconds = 0;  // user + system time of the client threads
};

// Opens the connections, runs requests from `source` until it returns null
// or the duration passes, and returns what completed. Errors: Unavailable
// (cannot connect, connection reset or closed mid-response),
// InvalidArgument (a response that is not HTTP/1.1, is chunked, or fails
// its Op's checks; the message names the request and the status line),
// DeadlineExceeded (the run passed its limit).
absl::StatusOr<LoadResult> RunLoad(const LoadOptions& options,
                                   const Payload& payload,
                                   const OpSource& source);

// The q-quantile (0..1) of `sorted`, nearest rank; 0 when empty.
int64_t Quantile(const std::vector<int64_t>& sorted, double q);

}  // namespace warehouse::bench

#endif  // WAREHOUSE_TOOLS_HTTP_BENCH_CLIENT_H_
