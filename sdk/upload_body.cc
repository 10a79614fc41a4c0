#include "sdk/upload_body.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/file.h"

namespace warehouse {
namespace {

class StringBody : public UploadBody {
 public:
  explicit StringBody(absl::string_view data) : data_(data) {}

  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    const size_t take = std::min(n, data_.size() - position_);
    std::memcpy(buf, data_.data() + position_, take);
    position_ += take;
    return take;
  }

  absl::Status Rewind() override {
    position_ = 0;
    return absl::OkStatus();
  }
  bool rewindable() const override { return true; }

 private:
  const absl::string_view data_;
  size_t position_ = 0;
};

class FileBody : public UploadBody {
 public:
  FileBody(int fd, std::string path, uint64_t size)
      : fd_(fd), path_(std::move(path)), size_(size) {}
  ~FileBody() override { ::close(fd_); }

  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    while (true) {
      const ssize_t got = ::pread(fd_, buf, n, static_cast<off_t>(position_));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return ErrnoToStatus(errno, "read", path_);
      if (got == 0 && position_ < size_) {
        return absl::FailedPreconditionError(absl::StrCat(
            path_, ": file shrank from ", size_, " to ", position_,
            " bytes during the upload"));
      }
      position_ += static_cast<uint64_t>(got);
      if (position_ >= size_) {
        // The last piece: a file that grew meanwhile would be cut short.
        struct stat st;
        if (::fstat(fd_, &st) != 0) return ErrnoToStatus(errno, "stat", path_);
        if (static_cast<uint64_t>(st.st_size) != size_) {
          return absl::FailedPreconditionError(absl::StrCat(
              path_, ": file changed from ", size_, " to ", st.st_size,
              " bytes during the upload"));
        }
      }
      return static_cast<size_t>(got);
    }
  }

  absl::Status Rewind() override {
    position_ = 0;
    return absl::OkStatus();
  }
  bool rewindable() const override { return true; }

 private:
  const int fd_;
  const std::string path_;
  const uint64_t size_;
  uint64_t position_ = 0;
};

class SourceBody : public UploadBody {
 public:
  explicit SourceBody(UploadSource source) : source_(std::move(source)) {}

  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    touched_ = true;
    return source_(buf, n);
  }

  absl::Status Rewind() override {
    if (touched_) {
      return absl::FailedPreconditionError(
          "the upload source was read and cannot be read again");
    }
    return absl::OkStatus();
  }
  bool rewindable() const override { return false; }

 private:
  UploadSource source_;
  bool touched_ = false;
};

class StreamBody : public UploadBody {
 public:
  explicit StreamBody(std::istream& in) : in_(in), start_(in.tellg()) {
    in_.clear(in_.rdstate() & ~std::ios::failbit);  // tellg on a pipe
  }

  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    touched_ = true;
    in_.read(buf, static_cast<std::streamsize>(n));
    const auto got = static_cast<size_t>(in_.gcount());
    if (in_.bad() || (got == 0 && !in_.eof())) {
      return absl::UnavailableError("the upload stream failed to read");
    }
    return got;
  }

  absl::Status Rewind() override {
    if (!touched_) return absl::OkStatus();
    if (start_ == std::streampos(-1)) {
      return absl::FailedPreconditionError(
          "the upload stream was read and cannot seek back");
    }
    in_.clear();
    in_.seekg(start_);
    if (!in_) {
      return absl::FailedPreconditionError(
          "the upload stream cannot seek back to its start");
    }
    return absl::OkStatus();
  }
  bool rewindable() const override { return start_ != std::streampos(-1); }

 private:
  std::istream& in_;
  const std::streampos start_;
  bool touched_ = false;
};

}  // namespace

std::unique_ptr<UploadBody> StringUploadBody(absl::string_view data) {
  return std::make_unique<StringBody>(data);
}

absl::StatusOr<std::unique_ptr<UploadBody>> FileUploadBody(
    const std::string& path, uint64_t* size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoToStatus(err, "stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a regular file"));
  }
  *size = static_cast<uint64_t>(st.st_size);
  return std::make_unique<FileBody>(fd, path, *size);
}

std::unique_ptr<UploadBody> SourceUploadBody(UploadSource source) {
  return std::make_unique<SourceBody>(std::move(source));
}

std::unique_ptr<UploadBody> StreamUploadBody(std::istream& in) {
  return std::make_unique<StreamBody>(in);
}

}  // namespace warehouse
