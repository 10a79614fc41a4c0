#include "volume/admin_service.h"

#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_auth.h"
#include "common/status_mapping.h"
#include "common/status_macros.h"
#include "volume/volume_status.h"

namespace warehouse::volume {
namespace {

// Lets a long call's progress out at most a few times a second.
class ProgressGate {
 public:
  bool Due() {
    const absl::Time now = absl::Now();
    if (now - last_ < absl::Milliseconds(250)) return false;
    last_ = now;
    return true;
  }

 private:
  absl::Time last_ = absl::InfinitePast();
};

}  // namespace

absl::Status AdminService::Authenticate(const grpc::ServerContext& context,
                                        absl::string_view method) const {
  return AuthenticateCall(context,
                          FullMethodName("warehouse.v1.VolumeAdmin", method),
                          absl::Now(), KeyRingLookup(*keys_))
      .status();
}

grpc::Status AdminService::ListVolumes(grpc::ServerContext* context,
                                       const v1::ListLocalVolumesRequest*,
                                       v1::ListLocalVolumesResponse* response) {
  absl::Status auth = Authenticate(*context, "ListVolumes");
  if (!auth.ok()) return ToGrpcStatus(auth);
  for (const VolumeUsage& usage : store_->Usage()) {
    *response->add_volumes() = ToVolumeStatus(usage);
  }
  absl::StatusOr<uint64_t> free = store_->FreeBytes();
  if (free.ok()) response->set_disk_free_bytes(*free);
  return grpc::Status::OK;
}

grpc::Status AdminService::CompactVolume(
    grpc::ServerContext* context, const v1::CompactLocalVolumeRequest* request,
    grpc::ServerWriter<v1::CompactionProgress>* writer) {
  absl::Status auth = Authenticate(*context, "CompactVolume");
  if (!auth.ok()) return ToGrpcStatus(auth);
  auto volume = store_->GetVolume(request->volume_id());
  if (!volume.ok()) return ToGrpcStatus(volume.status());
  const uint64_t total = (*volume)->Usage().file_size;
  uint64_t needles = 0;
  ProgressGate gate;
  CompactionOptions options;
  // Called once per copied needle.
  options.progress = [&](uint64_t done, uint64_t) {
    ++needles;
    if (!gate.Due()) return;
    v1::CompactionProgress progress;
    v1::CompactionStep* step = progress.mutable_step();
    step->set_scanned_bytes(done);
    step->set_total_bytes(total);
    step->set_copied_needles(needles);
    writer->Write(progress);
  };
  absl::StatusOr<CompactionResult> result =
      store_->Compact(request->volume_id(), options);
  if (!result.ok()) return ToGrpcStatus(result.status());
  v1::CompactionProgress done;
  done.mutable_done()->set_size_before_bytes(result->old_size);
  done.mutable_done()->set_size_after_bytes(result->new_size);
  done.mutable_done()->set_bytes_reclaimed(result->bytes_reclaimed);
  writer->Write(done);
  return grpc::Status::OK;
}

grpc::Status AdminService::SetReadOnly(grpc::ServerContext* context,
                                       const v1::SetReadOnlyRequest* request,
                                       v1::SetReadOnlyResponse* response) {
  absl::Status auth = Authenticate(*context, "SetReadOnly");
  if (!auth.ok()) return ToGrpcStatus(auth);
  auto volume = store_->GetVolume(request->volume_id());
  if (!volume.ok()) return ToGrpcStatus(volume.status());
  absl::Status changed = (*volume)->SetReadOnly(request->read_only());
  if (!changed.ok()) return ToGrpcStatus(changed);
  *response->mutable_volume() = ToVolumeStatus((*volume)->Usage());
  return grpc::Status::OK;
}

grpc::Status AdminService::ListNeedles(
    grpc::ServerContext* context, const v1::ListNeedlesRequest* request,
    grpc::ServerWriter<v1::NeedlePage>* writer) {
  constexpr uint32_t kDefaultPage = 1000;
  constexpr uint32_t kMaxPage = 10000;
  absl::Status auth = Authenticate(*context, "ListNeedles");
  if (!auth.ok()) return ToGrpcStatus(auth);
  if (request->page_size() > kMaxPage) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("volume ", request->volume_id(), ": page_size ",
                     request->page_size(), " is above ", kMaxPage)));
  }
  const uint32_t page_size =
      request->page_size() == 0 ? kDefaultPage : request->page_size();
  auto volume = store_->GetVolume(request->volume_id());
  if (!volume.ok()) return ToGrpcStatus(volume.status());
  uint64_t after = request->after_needle_id();
  while (true) {
    if (context->IsCancelled()) {
      return ToGrpcStatus(absl::CancelledError(absl::StrCat(
          "volume ", request->volume_id(), ": listing cancelled by the caller")));
    }
    absl::StatusOr<std::vector<NeedleInfo>> needles =
        (*volume)->ListNeedles(after, page_size);
    if (!needles.ok()) return ToGrpcStatus(needles.status());
    if (needles->empty()) return grpc::Status::OK;
    v1::NeedlePage page;
    for (const NeedleInfo& info : *needles) {
      v1::NeedleSummary* summary = page.add_needles();
      summary->set_needle_id(info.id);
      summary->set_cookie(info.cookie);
      summary->set_size_bytes(info.size);
      summary->set_last_modified_ms(info.last_modified_ms);
    }
    after = needles->back().id;
    if (!writer->Write(page)) {
      return ToGrpcStatus(absl::CancelledError(absl::StrCat(
          "volume ", request->volume_id(), ": the caller went away")));
    }
    if (needles->size() < page_size) return grpc::Status::OK;
  }
}

grpc::Status AdminService::VerifyVolume(
    grpc::ServerContext* context, const v1::VerifyLocalVolumeRequest* request,
    grpc::ServerWriter<v1::VerificationProgress>* writer) {
  absl::Status auth = Authenticate(*context, "VerifyVolume");
  if (!auth.ok()) return ToGrpcStatus(auth);
  auto volume = store_->GetVolume(request->volume_id());
  if (!volume.ok()) return ToGrpcStatus(volume.status());
  VerifyOptions options;
  options.bytes_per_second = request->bytes_per_second();
  options.cancelled = [context] { return context->IsCancelled(); };
  ProgressGate gate;
  // Called once per needle.
  options.progress = [&](uint64_t done, uint64_t total) {
    if (!gate.Due()) return;
    v1::VerificationProgress progress;
    progress.mutable_step()->set_checked_bytes(done);
    progress.mutable_step()->set_total_bytes(total);
    writer->Write(progress);
  };
  absl::StatusOr<VerifyResult> result = (*volume)->Verify(options);
  if (!result.ok()) return ToGrpcStatus(result.status());
  checksum_failures_->Increment(result->corrupt_count);
  v1::VerificationProgress last;
  v1::VerificationDone* done = last.mutable_done();
  done->set_needles_checked(result->needles_checked);
  done->set_bytes_checked(result->bytes_checked);
  done->set_corrupt_count(result->corrupt_count);
  for (const CorruptNeedle& needle : result->corrupt) {
    v1::CorruptNeedle* out = done->add_corrupt();
    out->set_needle_id(needle.id);
    out->set_offset(needle.offset);
    out->set_error(needle.error);
  }
  writer->Write(last);
  return grpc::Status::OK;
}

grpc::Status AdminService::ExportVolume(
    grpc::ServerContext* context, const v1::ExportVolumeRequest* request,
    grpc::ServerWriter<v1::VolumeFilePiece>* writer) {
  absl::Status auth = Authenticate(*context, "ExportVolume");
  if (!auth.ok()) return ToGrpcStatus(auth);
  auto volume = store_->GetVolume(request->volume_id());
  if (!volume.ok()) return ToGrpcStatus(volume.status());
  ExportOptions options;
  options.bytes_per_second = request->bytes_per_second();
  options.cancelled = [context] { return context->IsCancelled(); };
  const uint32_t id = request->volume_id();
  v1::VolumeFilePiece piece;
  auto send = [&]() -> absl::Status {
    if (!writer->Write(piece)) {
      return absl::CancelledError(
          absl::StrCat("volume ", id, ": the caller went away"));
    }
    return absl::OkStatus();
  };
  absl::StatusOr<uint32_t> crc = (*volume)->Export(
      options,
      [&](const ExportSizes& sizes) {
        v1::VolumeFilePiece::Header* header = piece.mutable_header();
        header->set_volume_id(id);
        header->set_data_bytes(sizes.data_bytes);
        header->set_index_bytes(sizes.index_bytes);
        return send();
      },
      [&](absl::string_view bytes) {
        piece.set_data(bytes.data(), bytes.size());
        return send();
      });
  if (!crc.ok()) return ToGrpcStatus(crc.status());
  piece.mutable_trailer()->set_crc32c(*crc);
  return ToGrpcStatus(send());
}

grpc::Status AdminService::ImportVolume(
    grpc::ServerContext* context,
    grpc::ServerReader<v1::VolumeFilePiece>* reader,
    v1::ImportVolumeResponse* response) {
  absl::Status auth = Authenticate(*context, "ImportVolume");
  if (!auth.ok()) return ToGrpcStatus(auth);
  return ToGrpcStatus([&]() -> absl::Status {
    v1::VolumeFilePiece piece;
    if (!reader->Read(&piece) || !piece.has_header()) {
      return absl::InvalidArgumentError(
          "a volume's copy starts with its header");
    }
    const uint32_t id = piece.header().volume_id();
    if (id == 0) {
      return absl::InvalidArgumentError("volume id 0 names no volume");
    }
    ASSIGN_OR_RETURN(
        std::unique_ptr<VolumeImport> import,
        store_->BeginImport(id, ExportSizes{piece.header().data_bytes(),
                                            piece.header().index_bytes()}));
    while (reader->Read(&piece)) {
      if (piece.has_trailer()) {
        RETURN_IF_ERROR(import->Finish(piece.trailer().crc32c()));
        response->set_bytes(import->received());
        return absl::OkStatus();
      }
      if (piece.piece_case() != v1::VolumeFilePiece::kData) {
        return absl::InvalidArgumentError(absl::StrCat(
            "volume ", id, ": a second header in the copy"));
      }
      RETURN_IF_ERROR(import->Write(piece.data()));
    }
    return absl::CancelledError(absl::StrCat(
        "volume ", id, ": the copy ended after ", import->received(),
        " bytes, without its trailer"));
  }());
}

grpc::Status AdminService::AdoptVolume(grpc::ServerContext* context,
                                       const v1::AdoptVolumeRequest* request,
                                       v1::VolumeStatus* response) {
  absl::Status auth = Authenticate(*context, "AdoptVolume");
  if (!auth.ok()) return ToGrpcStatus(auth);
  auto volume = store_->AdoptVolume(request->volume_id());
  if (!volume.ok()) return ToGrpcStatus(volume.status());
  *response = ToVolumeStatus((*volume)->Usage());
  return grpc::Status::OK;
}

}  // namespace warehouse::volume
