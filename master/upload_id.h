// The text form of an upload id, as BeginUpload returns it, the signed PUT
// URL carries it and a volume server reports it back:
//
//   <upload number: 16 hex digits><volume id: 8 hex digits><cookie: 8 hex>
//
// 32 lowercase hex digits in all, e.g. the upload given needle 7 with cookie
// 0x9a3b4c5d on volume 3 is "0000000000000007000000039a3b4c5d". All three
// are those of the needle the upload was given: the upload number is its
// needle id, which keys the store's pending upload (uploads begun before
// schema version 6 have a row number there instead). A report naming
// another volume or cookie than its upload id's is refused before the store
// is asked.
#ifndef WAREHOUSE_MASTER_UPLOAD_ID_H_
#define WAREHOUSE_MASTER_UPLOAD_ID_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warehouse::master {

inline constexpr size_t kUploadIdLength = 32;

struct UploadId {
  int64_t number = 0;  // the needle id, positive
  uint32_t volume_id = 0;
  uint32_t cookie = 0;

  std::string ToString() const;

  // Errors: InvalidArgument when `text` is not 32 lowercase hex digits or
  // the upload number is not positive.
  static absl::StatusOr<UploadId> Parse(absl::string_view text);
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_UPLOAD_ID_H_
