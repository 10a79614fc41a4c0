// The public upload and download calls: each adapts its source or
// destination (memory, a file, a stream) to the loops of
// client_transfer.cc.
#include <utility>

#include "common/status_macros.h"
#include "sdk/client_impl.h"
#include "sdk/partial_file.h"
#include "sdk/upload_body.h"
#include "warehouse/client.h"

namespace warehouse {

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
