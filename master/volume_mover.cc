#include "master/volume_mover.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/crash_point.h"
#include "common/grpc_auth.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "grpcpp/grpcpp.h"
#include "master/proto_conversions.h"
#include "proto/warehouse/volume.grpc.pb.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {
namespace {

// Room a target keeps beyond the volume's bytes; its server checks again.
constexpr uint64_t kSpareBytes = uint64_t{64} << 20;

// How often a volume whose copy failed is asked again to become writable.
constexpr absl::Duration kExportEndPoll = absl::Milliseconds(100);

// How often the copy's progress is passed on.
constexpr absl::Duration kProgressInterval = absl::Milliseconds(250);

}  // namespace

absl::StatusOr<std::unique_ptr<VolumeMover>> VolumeMover::Create(
    Topology* topology, MetadataStore* store, CommandQueue* commands,
    ReadOnlySwitch* read_only, const KeyRing* keys,
    std::shared_ptr<grpc::ChannelCredentials> credentials, Options options) {
  ASSIGN_OR_RETURN(std::vector<VolumeMoveRecord> unfinished,
                   store->ListVolumeMoves());
  for (const VolumeMoveRecord& move : unfinished) {
    spdlog::warn("volume {}: its move from volume server {} to {} did not "
                 "finish; it is made {} once its server reports",
                 move.volume_id, move.from_server, move.to_server,
                 move.writable_after ? "writable" : "whole");
  }
  return std::unique_ptr<VolumeMover>(new VolumeMover(
      topology, store, commands, read_only, keys, std::move(credentials),
      options, std::move(unfinished)));
}

VolumeMover::VolumeMover(Topology* topology, MetadataStore* store,
                         CommandQueue* commands, ReadOnlySwitch* read_only,
                         const KeyRing* keys,
                         std::shared_ptr<grpc::ChannelCredentials> credentials,
                         Options options,
                         std::vector<VolumeMoveRecord> unfinished)
    : topology_(topology),
      store_(store),
      commands_(commands),
      read_only_(read_only),
      keys_(keys),
      credentials_(std::move(credentials)),
      options_(options) {
  for (VolumeMoveRecord& move : unfinished) {
    const uint32_t volume_id = move.volume_id;
    unfinished_[volume_id] = std::move(move);
  }
}

absl::StatusOr<VolumeMover::Result> VolumeMover::Move(
    uint32_t volume_id, const std::string& to_server,
    uint64_t bytes_per_second, const grpc::ServerContext* caller,
    const std::function<void(uint64_t done, uint64_t total)>& progress) {
  absl::StatusOr<Result> result =
      MoveCounted(volume_id, to_server, bytes_per_second, caller, progress);
  absl::MutexLock lock(&mu_);
  if (result.ok()) {
    ++stats_.succeeded;
    stats_.bytes_copied += result->bytes;
  } else {
    ++stats_.failed;
  }
  return result;
}

VolumeMover::Stats VolumeMover::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

absl::StatusOr<std::string> VolumeMover::PickTarget(
    const std::vector<ServerView>& servers, const VolumeLocation& from) {
  const uint64_t needed = from.volume.size_bytes + kSpareBytes;
  const ServerView* best = nullptr;
  for (const ServerView& server : servers) {
    if (server.server_id == from.server_id || !server.online ||
        server.draining || server.admin_address.empty() ||
        server.volumes.size() >= server.max_volumes ||
        server.disk_free_bytes < needed) {
      continue;
    }
    if (best == nullptr || server.disk_free_bytes > best->disk_free_bytes ||
        (server.disk_free_bytes == best->disk_free_bytes &&
         server.volumes.size() < best->volumes.size())) {
      best = &server;
    }
  }
  if (best == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "volume ", from.volume.volume_id, ": no other volume server can "
        "take it: none is online, not draining, with a free volume slot and ",
        needed, " bytes free"));
  }
  return best->server_id;
}

absl::StatusOr<VolumeMover::Result> VolumeMover::MoveCounted(
    uint32_t volume_id, const std::string& to_server,
    uint64_t bytes_per_second, const grpc::ServerContext* caller,
    const std::function<void(uint64_t done, uint64_t total)>& progress) {
  ASSIGN_OR_RETURN(const VolumeLocation from,
                   topology_->LocateVolume(volume_id));
  const std::string prefix = absl::StrCat("volume ", volume_id, ": ");
  if (to_server.empty()) {
    ASSIGN_OR_RETURN(const std::string picked,
                     PickTarget(topology_->Servers(), from));
    return MoveCounted(volume_id, picked, bytes_per_second, caller, progress);
  }
  if (from.server_id == to_server) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, "is already on volume server ", to_server));
  }
  ASSIGN_OR_RETURN(const ServerView to, topology_->GetServer(to_server));
  if (!from.online) {
    return absl::FailedPreconditionError(absl::StrCat(
        prefix, "its volume server ", from.server_id, " is offline"));
  }
  if (!to.online) {
    return absl::FailedPreconditionError(
        absl::StrCat(prefix, "volume server ", to_server, " is offline"));
  }
  if (to.draining) {
    return absl::FailedPreconditionError(absl::StrCat(
        prefix, "volume server ", to_server, " is draining; undrain it "
        "first to move volumes onto it"));
  }
  if (from.admin_address.empty() || to.admin_address.empty()) {
    return absl::UnavailableError(absl::StrCat(
        prefix, "volume server ",
        from.admin_address.empty() ? from.server_id : to_server,
        " registered no admin address"));
  }
  if (to.volumes.size() >= to.max_volumes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        prefix, "volume server ", to_server, " already holds ",
        to.volumes.size(), " of its ", to.max_volumes, " volumes"));
  }
  if (to.disk_free_bytes < from.volume.size_bytes + kSpareBytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        prefix, "volume server ", to_server, " has ", to.disk_free_bytes,
        " bytes free, fewer than the volume's ", from.volume.size_bytes,
        " and ", kSpareBytes, " to spare"));
  }
  RETURN_IF_ERROR(topology_->BeginMove(volume_id, to_server));
  absl::Cleanup end_move = [this, volume_id] {
    topology_->EndMove(volume_id);
    // The deletes that waited go now, to wherever the volume is.
    absl::Status due = store_->DeletesDueNow(volume_id, absl::Now());
    if (!due.ok()) {
      spdlog::warn("volume {}: its deletes wait out their lease after the "
                   "move: {}",
                   volume_id, due.ToString());
    }
  };
  const bool was_writable = !from.volume.read_only;
  // In the store before the volume is made read-only: a master that stops
  // from now on makes it writable again when it starts.
  const VolumeMoveRecord record{volume_id, from.server_id, to_server,
                                was_writable, absl::Now()};
  {
    absl::MutexLock lock(&mu_);
    unfinished_.erase(volume_id);  // this move decides now
  }
  RETURN_IF_ERROR(store_->PutVolumeMove(record));
  spdlog::info("volume {}: moving from volume server {} to {}", volume_id,
               from.server_id, to_server);
  // Until the new server serves it, a failure leaves the volume where it
  // was, as it was.
  auto give_back = [&](const absl::Status& error) -> absl::Status {
    if (!was_writable) {
      EndRecord(record, false);
      return error;
    }
    // An export cut short ends on its server at its next chunk; until
    // then the volume refuses to become writable.
    absl::Status writable;
    const absl::Time deadline = absl::Now() + options_.step_timeout;
    do {
      writable = read_only_->SetForMove(volume_id, false).status();
      if (!absl::IsFailedPrecondition(writable)) break;
      absl::SleepFor(kExportEndPoll);
    } while (absl::Now() < deadline);
    EndRecord(record, !writable.ok());
    if (writable.ok()) return error;
    return absl::Status(
        error.code(),
        absl::StrCat(error.message(), "; the volume stays read-only until "
                     "its server reports again, as making it writable "
                     "failed: ", writable.message()));
  };
  // Read-only, also where it already was: the command follows every
  // delete sent before it on the server's stream, so those are in the
  // copy.
  absl::Status frozen = read_only_->SetForMove(volume_id, true).status();
  if (!frozen.ok()) return give_back(frozen);
  absl::StatusOr<uint64_t> bytes =
      Copy(volume_id, from, to, bytes_per_second, caller, progress);
  // (A copy cut short is removed by the new server as its stream ends.)
  if (!bytes.ok()) return give_back(bytes.status());
  absl::Status prepared = topology_->PrepareAdoption(volume_id);
  if (!prepared.ok()) {
    // The copy received is not served; it goes.
    SendDrop(volume_id, to_server);
    return give_back(prepared);
  }
  absl::StatusOr<VolumeView> adopted = Adopt(volume_id, to);
  if (adopted.ok()) {
    CRASH_POINT(kMasterMoveAfterAdopt);
    absl::Status finished = topology_->FinishMove(volume_id, *adopted);
    if (!finished.ok()) adopted = finished;
  }
  if (!adopted.ok()) {
    // The new server may serve a copy: stale, so that it never competes
    // with the volume's owner, and dropped. (The store has it stale since
    // PrepareAdoption.)
    absl::Status marked = topology_->MarkStale(volume_id, to_server);
    if (!marked.ok()) {
      spdlog::warn("volume {}: recording the copy on {} as stale again "
                   "failed: {}",
                   volume_id, to_server, marked.ToString());
    }
    SendDrop(volume_id, to_server);
    return give_back(adopted.status());
  }
  CRASH_POINT(kMasterMoveAfterSwitch);
  SendDrop(volume_id, from.server_id);
  Result result{from.server_id, to_server, *bytes, false};
  if (was_writable) {
    absl::Status writable = read_only_->SetForMove(volume_id, false).status();
    if (writable.ok()) {
      result.writable = true;
    } else {
      spdlog::warn("volume {}: moved, but read-only until its server "
                   "reports again: {}",
                   volume_id, writable.ToString());
    }
  }
  EndRecord(record, was_writable && !result.writable);
  spdlog::info("volume {}: moved from volume server {} to {} ({} bytes)",
               volume_id, from.server_id, to_server, *bytes);
  return result;
}

absl::StatusOr<uint64_t> VolumeMover::Copy(
    uint32_t volume_id, const VolumeLocation& from, const ServerView& to,
    uint64_t bytes_per_second, const grpc::ServerContext* caller,
    const std::function<void(uint64_t done, uint64_t total)>& progress) {
  auto new_context = [caller] {
    return caller != nullptr ? grpc::ClientContext::FromServerContext(*caller)
                             : std::make_unique<grpc::ClientContext>();
  };
  const KeyRing::Key& key = keys_->primary();
  std::unique_ptr<grpc::ClientContext> export_call = new_context();
  std::unique_ptr<grpc::ClientContext> import_call = new_context();
  RETURN_IF_ERROR(AttachAuthorization(
      export_call.get(),
      FullMethodName("warehouse.v1.VolumeAdmin", "ExportVolume"), key.id,
      key.secret, absl::Now()));
  RETURN_IF_ERROR(AttachAuthorization(
      import_call.get(),
      FullMethodName("warehouse.v1.VolumeAdmin", "ImportVolume"), key.id,
      key.secret, absl::Now()));
  auto source = v1::VolumeAdmin::NewStub(
      grpc::CreateChannel(from.admin_address, credentials_));
  auto target = v1::VolumeAdmin::NewStub(
      grpc::CreateChannel(to.admin_address, credentials_));

  v1::ExportVolumeRequest request;
  request.set_volume_id(volume_id);
  request.set_bytes_per_second(bytes_per_second);
  auto reader = source->ExportVolume(export_call.get(), request);
  v1::ImportVolumeResponse imported;
  auto writer = target->ImportVolume(import_call.get(), &imported);
  v1::VolumeFilePiece piece;
  uint64_t total = 0;
  uint64_t copied = 0;
  absl::Time reported = absl::InfinitePast();
  bool target_took_all = true;
  while (reader->Read(&piece)) {
    if (piece.has_header()) {
      total = piece.header().data_bytes() + piece.header().index_bytes();
    }
    copied += piece.data().size();
    if (!writer->Write(piece)) {
      target_took_all = false;
      export_call->TryCancel();
      break;
    }
    if (progress && absl::Now() - reported >= kProgressInterval) {
      reported = absl::Now();
      progress(copied, total);
    }
  }
  if (target_took_all) writer->WritesDone();
  const absl::Status exported = FromGrpcStatus(reader->Finish());
  if (!exported.ok() && target_took_all) import_call->TryCancel();
  const absl::Status received = FromGrpcStatus(writer->Finish());
  // The side that failed first says why.
  if (!target_took_all || (exported.ok() && !received.ok())) {
    return absl::Status(received.code(),
                        absl::StrCat("volume ", volume_id,
                                     ": receiving it on volume server ",
                                     to.server_id, ": ", received.message()));
  }
  if (!exported.ok()) {
    return absl::Status(exported.code(),
                        absl::StrCat("volume ", volume_id,
                                     ": copying it from volume server ",
                                     from.server_id, ": ", exported.message()));
  }
  if (progress) progress(copied, total);
  return imported.bytes();
}

absl::StatusOr<VolumeView> VolumeMover::Adopt(uint32_t volume_id,
                                              const ServerView& to) {
  grpc::ClientContext call;
  call.set_deadline(absl::ToChronoTime(absl::Now() + options_.step_timeout));
  const KeyRing::Key& key = keys_->primary();
  RETURN_IF_ERROR(AttachAuthorization(
      &call, FullMethodName("warehouse.v1.VolumeAdmin", "AdoptVolume"), key.id,
      key.secret, absl::Now()));
  auto target = v1::VolumeAdmin::NewStub(
      grpc::CreateChannel(to.admin_address, credentials_));
  v1::AdoptVolumeRequest request;
  request.set_volume_id(volume_id);
  v1::VolumeStatus status;
  absl::Status adopted =
      FromGrpcStatus(target->AdoptVolume(&call, request, &status));
  if (!adopted.ok()) {
    return absl::Status(adopted.code(),
                        absl::StrCat("volume ", volume_id, ": volume server ",
                                     to.server_id, " could not serve the "
                                     "copy: ", adopted.message()));
  }
  return FromProto(status);
}

void VolumeMover::EndRecord(const VolumeMoveRecord& move,
                            bool writable_pending) {
  if (writable_pending) {
    absl::MutexLock lock(&mu_);
    unfinished_[move.volume_id] = move;
    return;
  }
  absl::Status removed = store_->RemoveVolumeMove(move.volume_id);
  if (!removed.ok()) {
    // The next master start finds it and, at worst, makes writable a
    // volume that already is.
    spdlog::warn("volume {}: its finished move is still recorded: {}",
                 move.volume_id, removed.ToString());
  }
}

void VolumeMover::OnReport(const std::string& server_id) {
  for (uint32_t volume_id : topology_->StaleCopiesToDrop(server_id)) {
    SendDrop(volume_id, server_id);
  }
  std::vector<VolumeMoveRecord> due;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [volume_id, move] : unfinished_) due.push_back(move);
  }
  for (const VolumeMoveRecord& move : due) {
    absl::StatusOr<VolumeLocation> location =
        topology_->LocateVolume(move.volume_id);
    if (!location.ok() || location->server_id != server_id ||
        !location->online || !location->volume.moving_to.empty()) {
      continue;
    }
    if (!move.writable_after) {
      EndRecord(move, false);
      absl::MutexLock lock(&mu_);
      unfinished_.erase(move.volume_id);
      continue;
    }
    SendWritable(move, server_id);
  }
}

void VolumeMover::SendWritable(const VolumeMoveRecord& move,
                               const std::string& server_id) {
  v1::MasterCommand command;
  command.mutable_set_read_only()->set_volume_id(move.volume_id);
  command.mutable_set_read_only()->set_read_only(false);
  SendOnce(move.volume_id, server_id, std::move(command),
           [this, move, server_id](const absl::Status& status) {
             if (!status.ok()) {
               spdlog::warn("volume {}: volume server {} could not make it "
                            "writable again: {}; asking again at its next "
                            "heartbeat",
                            move.volume_id, server_id, status.ToString());
               return;
             }
             spdlog::info("volume {}: writable again on volume server {}, "
                          "as before its unfinished move",
                          move.volume_id, server_id);
             EndRecord(move, false);
             absl::MutexLock lock(&mu_);
             unfinished_.erase(move.volume_id);
           });
}

void VolumeMover::SendDrop(uint32_t volume_id, const std::string& server_id) {
  v1::MasterCommand command;
  command.mutable_drop_volume()->set_volume_id(volume_id);
  SendOnce(volume_id, server_id, std::move(command),
           [this, volume_id, server_id](const absl::Status& status) {
             if (!status.ok()) {
               spdlog::warn("volume {}: volume server {} could not drop its "
                            "copy: {}; asking again at its next heartbeat",
                            volume_id, server_id, status.ToString());
               return;
             }
             spdlog::info("volume {}: the copy on volume server {} is "
                          "dropped",
                          volume_id, server_id);
             absl::Status forgotten =
                 topology_->StaleCopyDropped(volume_id, server_id);
             if (!forgotten.ok()) {
               spdlog::warn("volume {}: the dropped copy on {} is not "
                            "recorded as gone: {}",
                            volume_id, server_id, forgotten.ToString());
             }
           });
}

void VolumeMover::SendOnce(uint32_t volume_id, const std::string& server_id,
                           v1::MasterCommand command,
                           std::function<void(const absl::Status&)> done) {
  const std::tuple<int, uint32_t, std::string> key{command.command_case(),
                                                   volume_id, server_id};
  {
    absl::MutexLock lock(&mu_);
    if (!pending_.insert(key).second) return;
  }
  commands_->Send(server_id, std::move(command),
                  [this, key, done = std::move(done)](
                      const CommandOutcome& outcome) {
                    done(outcome.status);
                    absl::MutexLock lock(&mu_);
                    pending_.erase(key);
                  });
}

}  // namespace warehouse::master
