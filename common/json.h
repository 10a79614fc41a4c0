// JSON string literals for text that may hold anything a client sent.
#ifndef WAREHOUSE_COMMON_JSON_H_
#define WAREHOUSE_COMMON_JSON_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace warehouse {

// Length of the valid UTF-8 sequence at the start of `s` (1 to 4), or 0 if
// there is none (a stray continuation byte, an overlong form, a surrogate,
// a truncated sequence). REQUIRES: !s.empty().
size_t Utf8SequenceLength(absl::string_view s);

// A JSON string literal for `s`, quotes included. Control characters are
// escaped and invalid UTF-8 becomes U+FFFD, so the result always parses.
std::string JsonString(absl::string_view s);

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_JSON_H_
