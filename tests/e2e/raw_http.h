// Raw HTTP over a plain TCP socket, for tests that must send requests no
// well-behaved client would: malformed request lines, duplicated or
// contradictory headers, bodies shorter or longer than declared, headers
// trickled a few bytes at a time, or nothing at all. Every wait is bounded
// by a deadline.
#ifndef WAREHOUSE_TESTS_E2E_RAW_HTTP_H_
#define WAREHOUSE_TESTS_E2E_RAW_HTTP_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace warehouse::testing {

// How the request bytes go out.
struct RawSend {
  // Sent in order; `piece_interval` apart (a trickle), or back to back.
  std::vector<std::string> pieces;
  absl::Duration piece_interval = absl::ZeroDuration();
  // After the last piece: shut down the sending side (the server reads
  // end of stream, as when a client closes), or keep it open and wait for
  // the server to answer or close.
  bool half_close = true;
  // Nothing is awaited past this, from the connect.
  absl::Duration deadline = absl::Seconds(5);
};

// One parsed response.
struct RawResponse {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first value of header `name` (case-insensitive), or "".
  std::string Header(absl::string_view name) const;
};

// What came back on the connection.
struct RawExchange {
  std::vector<RawResponse> responses;  // in order; empty if none
  std::string raw;                     // every byte received
  bool closed_by_server = false;       // end of stream (or reset) seen
  bool reset = false;                  // the connection was reset
  bool stopped_sending = false;        // a piece could not be sent
  absl::Duration elapsed;              // connect to close or deadline

  int status() const { return responses.empty() ? 0 : responses[0].status; }
};

// Connects to `address` ("127.0.0.1:<port>"), sends `send`, and reads until
// the server closes the connection or the deadline passes. A response to a
// HEAD request has no body: pass `head` so the parser knows. Errors:
// Unavailable when the connection cannot be made; InvalidArgument when
// what came back is not HTTP/1.x responses.
absl::StatusOr<RawExchange> RawHttp(const std::string& address,
                                    const RawSend& send, bool head = false);

// Parses back-to-back HTTP/1.x responses framed by Content-Length; a
// partial last response is kept with the bytes that arrived. Errors:
// InvalidArgument for bytes that are not a response.
absl::StatusOr<std::vector<RawResponse>> ParseRawResponses(
    absl::string_view bytes, bool head);

}  // namespace warehouse::testing

#endif  // WAREHOUSE_TESTS_E2E_RAW_HTTP_H_
