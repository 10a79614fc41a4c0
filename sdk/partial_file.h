// A file being written under a temporary name in its destination's
// directory, renamed over the destination only when complete, removed
// otherwise: a download or a backup never leaves half a file under the
// name the caller gave.
#ifndef WAREHOUSE_SDK_PARTIAL_FILE_H_
#define WAREHOUSE_SDK_PARTIAL_FILE_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warehouse {

// Not thread-safe; owned by one call.
class PartialFile {
 public:
  // Errors: those of creating the file (NotFound for a missing directory,
  // PermissionDenied, ResourceExhausted), naming the destination.
  static absl::StatusOr<std::unique_ptr<PartialFile>> Create(
      const std::string& destination);
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;
  // Removes the file unless it was committed.
  ~PartialFile();

  // Errors: ResourceExhausted (disk full), Unavailable.
  absl::Status Write(absl::string_view piece);

  // Makes the file durable and gives it its name; with `sync_directory`,
  // makes the name durable too (fsync of the directory). Errors: those of
  // fsync, close and rename.
  absl::Status Commit(bool sync_directory = false);

 private:
  PartialFile(int fd, std::string temp, std::string destination)
      : fd_(fd), temp_(std::move(temp)), destination_(std::move(destination)) {}

  int fd_;
  const std::string temp_;
  const std::string destination_;
  bool committed_ = false;
};

}  // namespace warehouse

#endif  // WAREHOUSE_SDK_PARTIAL_FILE_H_
