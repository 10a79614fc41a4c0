// The bytes of one upload, as the upload loop reads them: in order, and
// from the start again when an attempt fails and the body can go back.
#ifndef WAREHOUSE_SDK_UPLOAD_BODY_H_
#define WAREHOUSE_SDK_UPLOAD_BODY_H_

#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "warehouse/client.h"

namespace warehouse {

// Not thread-safe; used by one upload at a time.
class UploadBody {
 public:
  virtual ~UploadBody() = default;

  // Fills up to `n` bytes of `buf` with the next bytes and returns how
  // many, 0 only at the end. Errors: the source's.
  virtual absl::StatusOr<size_t> Read(char* buf, size_t n) = 0;

  // Goes back to the first byte. Errors: FailedPrecondition when bytes
  // were read and cannot be read again.
  virtual absl::Status Rewind() = 0;

  // Whether Rewind can succeed after bytes were read.
  virtual bool rewindable() const = 0;
};

// Bytes in memory; `data` must outlive the body.
std::unique_ptr<UploadBody> StringUploadBody(absl::string_view data);

// A regular file opened read-only. `size` is set to its size. Errors:
// NotFound, PermissionDenied, InvalidArgument (not a regular file),
// Unavailable (other I/O errors).
absl::StatusOr<std::unique_ptr<UploadBody>> FileUploadBody(
    const std::string& path, uint64_t* size);

// A caller's function; rewinds only while nothing has been read.
std::unique_ptr<UploadBody> SourceUploadBody(UploadSource source);

// An istream from its current position, rewound by seeking when it is
// seekable; `in` must outlive the body.
std::unique_ptr<UploadBody> StreamUploadBody(std::istream& in);

}  // namespace warehouse

#endif  // WAREHOUSE_SDK_UPLOAD_BODY_H_
