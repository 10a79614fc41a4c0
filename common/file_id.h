// The address of a needle: volume id, needle id and cookie.
//
// A FileId has exactly one text form, used in URLs, logs, the CLI and every
// protobuf message:
//
//   <volume id in decimal>,<needle id in lowercase hex><cookie in hex>
//
// The volume id has no leading zeros and is never 0 (0 is reserved, so a
// zero-initialized FileId is never a real one). The needle id is lowercase
// hex without leading zeros ("0" for needle 0). The cookie is always exactly
// 8 lowercase hex digits, so the last 8 digits are the cookie and the rest
// is the needle id. Example: volume 7, needle 0x1f, cookie 0x9a3b4c5d is
// "7,1f9a3b4c5d". Parse accepts nothing else, so Parse(s)->ToString() == s
// for every s it accepts. docs/rpc.md repeats the rules.
//
// The cookie is random per needle (RandomCookie) and checked on every read
// and delete, so ids cannot be guessed by counting needle ids.
#ifndef WAREHOUSE_COMMON_FILE_ID_H_
#define WAREHOUSE_COMMON_FILE_ID_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warehouse {

struct FileId {
  // Longest text form: 10 decimal digits, ',', 16 + 8 hex digits.
  static constexpr size_t kMaxTextLength = 35;

  uint32_t volume_id = 0;
  uint64_t needle_id = 0;
  uint32_t cookie = 0;

  // The text form described above. For volume_id 0 the result is
  // well-formed text that Parse refuses.
  std::string ToString() const;

  // Parses the text form. Errors: InvalidArgument, with a message saying
  // what is wrong, for anything but the exact canonical form: empty input,
  // input longer than kMaxTextLength, no ',' or more than one, a volume id
  // that is empty, not decimal, has a leading zero, is 0 or exceeds 32
  // bits, and a needle-and-cookie part shorter than 9 digits, with a
  // character outside [0-9a-f] (uppercase included), a needle id with a
  // leading zero or one exceeding 64 bits.
  static absl::StatusOr<FileId> Parse(absl::string_view text);

  friend bool operator==(const FileId& a, const FileId& b) {
    return a.volume_id == b.volume_id && a.needle_id == b.needle_id &&
           a.cookie == b.cookie;
  }
  friend bool operator!=(const FileId& a, const FileId& b) { return !(a == b); }

  template <typename H>
  friend H AbslHashValue(H h, const FileId& id) {
    return H::combine(std::move(h), id.volume_id, id.needle_id, id.cookie);
  }
};

// Returns a cookie from OpenSSL's CSPRNG. Errors: Internal when the
// generator fails.
absl::StatusOr<uint32_t> RandomCookie();

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_FILE_ID_H_
