// The public upload and download calls: each adapts its source or
// destination (memory, a file, a stream) to the loops of
// client_transfer.cc.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/file.h"
#include "common/status_macros.h"
#include "sdk/client_impl.h"
#include "sdk/upload_body.h"
#include "warehouse/client.h"

namespace warehouse {
namespace {

// A file being downloaded: written under a temporary name in the
// destination's directory, renamed over the destination only when
// complete, removed otherwise.
class PartialFile {
 public:
  // Errors: those of creating the file (NotFound for a missing directory,
  // PermissionDenied, ResourceExhausted).
  static absl::StatusOr<std::unique_ptr<PartialFile>> Create(
      const std::string& destination) {
    const size_t slash = destination.rfind('/');
    const std::string dir =
        slash == std::string::npos ? "" : destination.substr(0, slash + 1);
    // Cut so that the temporary name stays within NAME_MAX (255).
    const std::string base =
        (slash == std::string::npos ? destination
                                    : destination.substr(slash + 1))
            .substr(0, 200);
    absl::BitGen random;
    absl::Status failed;
    for (int attempt = 0; attempt < 8; ++attempt) {
      std::string temp = absl::StrFormat(
          "%s.%s.%016x.part", dir, base, absl::Uniform<uint64_t>(random));
      const int fd = ::open(temp.c_str(),
                            O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd >= 0) {
        return std::unique_ptr<PartialFile>(
            new PartialFile(fd, std::move(temp), destination));
      }
      // Named after the destination: the temporary name means nothing to
      // the caller, and a missing or unwritable directory is the same for
      // both.
      const int err = errno;
      failed = ErrnoToStatus(err, "create", destination);
      if (err != EEXIST) break;
    }
    return failed;
  }

  ~PartialFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(temp_.c_str());
  }

  absl::Status Write(absl::string_view piece) {
    while (!piece.empty()) {
      const ssize_t n = ::write(fd_, piece.data(), piece.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoToStatus(errno, "write", temp_);
      piece.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }

  // Makes the file durable and gives it its name.
  absl::Status Commit() {
    if (::fsync(fd_) != 0) return ErrnoToStatus(errno, "fsync", temp_);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return ErrnoToStatus(errno, "close", temp_);
    if (::rename(temp_.c_str(), destination_.c_str()) != 0) {
      return ErrnoToStatus(errno, "rename to " + destination_, temp_);
    }
    committed_ = true;
    return absl::OkStatus();
  }

 private:
  PartialFile(int fd, std::string temp, std::string destination)
      : fd_(fd), temp_(std::move(temp)), destination_(std::move(destination)) {}

  int fd_;
  const std::string temp_;
  const std::string destination_;
  bool committed_ = false;
};

}  // namespace

// ---- Uploads ----

absl::StatusOr<PutResult> Client::Put(absl::string_view bucket,
                                      absl::string_view key,
                                      absl::string_view data,
                                      const PutOptions& options) {
  std::unique_ptr<UploadBody> body = StringUploadBody(data);
  return impl_->Upload(bucket, key, data.size(), *body, options);
}

absl::StatusOr<PutResult> Client::PutFile(absl::string_view bucket,
                                          absl::string_view key,
                                          const std::string& path,
                                          const PutOptions& options) {
  uint64_t size = 0;
  ASSIGN_OR_RETURN(std::unique_ptr<UploadBody> body,
                   FileUploadBody(path, &size));
  return impl_->Upload(bucket, key, size, *body, options);
}

absl::StatusOr<PutResult> Client::PutStream(absl::string_view bucket,
                                            absl::string_view key,
                                            uint64_t size, UploadSource source,
                                            const PutOptions& options) {
  std::unique_ptr<UploadBody> body = SourceUploadBody(std::move(source));
  return impl_->Upload(bucket, key, size, *body, options);
}

absl::StatusOr<PutResult> Client::PutStream(absl::string_view bucket,
                                            absl::string_view key,
                                            uint64_t size, std::istream& in,
                                            const PutOptions& options) {
  std::unique_ptr<UploadBody> body = StreamUploadBody(in);
  return impl_->Upload(bucket, key, size, *body, options);
}

// ---- Downloads ----

absl::StatusOr<std::string> Client::Get(absl::string_view bucket,
                                        absl::string_view key,
                                        const GetOptions& options) {
  std::string data;
  RETURN_IF_ERROR(impl_
                      ->Download(
                          bucket, key, options,
                          [&data](absl::string_view piece) {
                            data.append(piece.data(), piece.size());
                            return absl::OkStatus();
                          },
                          // One allocation of the object's size, instead of
                          // growing by doubling into fresh pages.
                          [&data](uint64_t bytes) { data.reserve(bytes); })
                      .status());
  return data;
}

absl::StatusOr<ObjectInfo> Client::GetFile(absl::string_view bucket,
                                           absl::string_view key,
                                           const std::string& path,
                                           const GetOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<PartialFile> file,
                   PartialFile::Create(path));
  ASSIGN_OR_RETURN(ObjectInfo object,
                   impl_->Download(bucket, key, options,
                                   [&file](absl::string_view piece) {
                                     return file->Write(piece);
                                   }));
  RETURN_IF_ERROR(file->Commit());
  return object;
}

absl::StatusOr<ObjectInfo> Client::GetStream(absl::string_view bucket,
                                             absl::string_view key,
                                             DownloadSink sink,
                                             const GetOptions& options) {
  return impl_->Download(bucket, key, options, sink);
}

absl::StatusOr<ObjectInfo> Client::GetStream(absl::string_view bucket,
                                             absl::string_view key,
                                             std::ostream& out,
                                             const GetOptions& options) {
  return impl_->Download(
      bucket, key, options, [&out](absl::string_view piece) {
        out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
        if (!out) {
          return absl::UnavailableError("the output stream failed to write");
        }
        return absl::OkStatus();
      });
}

}  // namespace warehouse
