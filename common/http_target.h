// Request targets: the path and query of a URL, percent-encoded on the wire
// (RFC 3986 section 2.1). The server decodes them once, here; clients that
// build URLs encode with the same rules so a name survives the round trip.
#ifndef WAREHOUSE_COMMON_HTTP_TARGET_H_
#define WAREHOUSE_COMMON_HTTP_TARGET_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warehouse::http {

// Decodes a query string or an application/x-www-form-urlencoded body
// ("x=1&y=a+b") into `query`, replacing its contents; empty parameters are
// skipped. Errors: InvalidArgument (a bad escape).
absl::Status ParseQuery(absl::string_view raw_query,
                        std::multimap<std::string, std::string>* query);

// Splits a target in origin form ("/a%20b?x=1&y") into the decoded path
// ("/a b") and the decoded query parameters ({x: "1", y: ""}); empty
// parameters ("a=1&&b") are skipped. Errors: InvalidArgument (not starting
// with '/', a bad escape, a NUL byte in the decoded path).
absl::Status ParseTarget(absl::string_view target, std::string* path,
                         std::multimap<std::string, std::string>* query);

}  // namespace warehouse::http

#endif  // WAREHOUSE_COMMON_HTTP_TARGET_H_
