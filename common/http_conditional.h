// Conditional requests (RFC 9110, section 13) for a representation that
// never changes under its URL, as a needle never does: If-Match,
// If-None-Match, If-Modified-Since and If-Unmodified-Since decide whether
// a GET or HEAD is answered at all, and If-Range whether its Range header
// counts.
#ifndef WAREHOUSE_COMMON_HTTP_CONDITIONAL_H_
#define WAREHOUSE_COMMON_HTTP_CONDITIONAL_H_

#include <optional>
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

// The condition fields of one request, read in one pass over its header
// fields (most requests carry none). A list field sent more than once is
// taken as its values joined with ", ".
class ConditionalRequest {
 public:
  explicit ConditionalRequest(
      const std::vector<std::pair<std::string, std::string>>& headers);

  // The preconditions for a GET or HEAD, in the order of RFC 9110, section
  // 13.2.2: If-Match (strong comparison; 412), else If-Unmodified-Since
  // (412), then If-None-Match (weak comparison; 304), else
  // If-Modified-Since (304). A field that does not parse (a date in no
  // HTTP format) is ignored, as the RFC asks.
  Precondition Evaluate(const Validators& validators) const;

  // Whether the Range header counts: true without If-Range, or when its
  // entity tag matches strongly or its date equals last_modified (section
  // 13.1.5); false, and the whole representation is sent, otherwise.
  bool RangeHolds(const Validators& validators) const;

 private:
  std::optional<std::string> if_match_;
  std::optional<std::string> if_none_match_;
  std::optional<std::string> if_modified_since_;
  std::optional<std::string> if_unmodified_since_;
  std::optional<std::string> if_range_;
};

// Parses an HTTP date in the preferred format ("Sun, 06 Nov 1994 08:49:37
// GMT") or either obsolete one (RFC 9110, section 5.6.7). False when it
// is none of them.
bool ParseHttpDate(absl::string_view text, absl::Time* time);

}  // namespace warehouse::http

#endif  // WAREHOUSE_COMMON_HTTP_CONDITIONAL_H_
