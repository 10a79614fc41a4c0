// The naming rules for buckets, object keys and listing parameters.
//
// Every check returns InvalidArgument with a message that names the value
// and says exactly which rule it breaks, so the message can be shown to the
// person who chose the name.
#ifndef WAREHOUSE_MASTER_NAMES_H_
#define WAREHOUSE_MASTER_NAMES_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace warehouse::master {

inline constexpr size_t kMinBucketNameLength = 3;
inline constexpr size_t kMaxBucketNameLength = 63;
inline constexpr size_t kMaxObjectKeyBytes = 1024;

// S3 bucket naming: 3 to 63 characters of lowercase letters, digits, '.'
// and '-'; starts and ends with a letter or digit; no two dots in a row; not
// shaped like an IPv4 address ("192.168.5.4"); no "xn--" prefix (reserved
// for internationalized domain names). Errors: InvalidArgument.
absl::Status ValidateBucketName(absl::string_view name);

// An object key is 1 to 1024 bytes of valid UTF-8 without NUL bytes. It is
// stored as given: "../x" and "a//b" are ordinary names. Errors:
// InvalidArgument.
absl::Status ValidateObjectKey(absl::string_view key);

// A listing prefix or delimiter: up to 1024 bytes of valid UTF-8 without
// NUL bytes; may be empty. `what` names the parameter in messages. Errors:
// InvalidArgument.
absl::Status ValidateKeyFragment(absl::string_view what,
                                 absl::string_view fragment);

// An identifier chosen by a machine or an operator (server id, access key
// id, ETag): 1 to 128 printable ASCII characters, no spaces. `what` names
// it in messages. Errors: InvalidArgument.
absl::Status ValidateIdentifier(absl::string_view what,
                                absl::string_view value);

// A MIME content type: up to 255 printable ASCII characters (spaces
// allowed, as in "text/plain; charset=utf-8"); may be empty. Errors:
// InvalidArgument.
absl::Status ValidateContentType(absl::string_view content_type);

// Returns the offset of the first byte of `text` that does not begin a
// well-formed UTF-8 sequence (overlong forms, surrogates and code points
// past U+10FFFF are ill-formed), or `text.size()` when all of it is valid.
size_t FindInvalidUtf8(absl::string_view text);

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_NAMES_H_
