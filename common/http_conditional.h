// Conditional requests (RFC 9110, section 13) for a representation that
// never changes under its URL, as a needle never does: If-Match,
// If-None-Match, If-Modified-Since and If-Unmodified-Since decide whether
// a GET or HEAD is answered at all, and If-Range whether its Range header
// counts.
#ifndef WAREHOUSE_COMMON_HTTP_CONDITIONAL_H_
#define WAREHOUSE_COMMON_HTTP_CONDITIONAL_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace warehouse::http {

// What the preconditions compare against.
struct Validators {
  std::string etag;          // a strong entity tag, quoted: "\"1a2b3c4d\""
  absl::Time last_modified;  // compared in whole seconds, as HTTP dates are
};

enum class Precondition {
  kPass,         // answer the request
  kNotModified,  // 304: the client's copy is current
  kFailed,       // 412: a precondition does not hold
};

// Evaluates the preconditions among `headers` for a GET or HEAD, in the
// order of RFC 9110, section 13.2.2: If-Match (strong comparison; 412),
// else If-Unmodified-Since (412), then If-None-Match (weak comparison;
// 304), else If-Modified-Since (304). A field that does not parse (a date
// in no HTTP format) is ignored, as the RFC asks.
Precondition EvaluatePreconditions(
    const std::vector<std::pair<std::string, std::string>>& headers,
    const Validators& validators);

// Whether the Range header counts: true without If-Range, or when its
// entity tag matches strongly or its date equals last_modified (section
// 13.1.5); false, and the whole representation is sent, otherwise.
bool IfRangeHolds(
    const std::vector<std::pair<std::string, std::string>>& headers,
    const Validators& validators);

// Parses an HTTP date in the preferred format ("Sun, 06 Nov 1994 08:49:37
// GMT") or either obsolete one (RFC 9110, section 5.6.7). False when it
// is none of them.
bool ParseHttpDate(absl::string_view text, absl::Time* time);

}  // namespace warehouse::http

#endif  // WAREHOUSE_COMMON_HTTP_CONDITIONAL_H_
