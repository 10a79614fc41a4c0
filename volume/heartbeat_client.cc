#include "volume/heartbeat_client.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/file_id.h"
#include "common/grpc_auth.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "spdlog/spdlog.h"
#include "volume/volume_status.h"

namespace warehouse::volume {

HeartbeatClient::HeartbeatClient(HeartbeatOptions options,
                                 std::shared_ptr<grpc::Channel> channel,
                                 Store* store, const KeyRing* keys)
    : options_(std::move(options)),
      stub_(v1::Cluster::NewStub(std::move(channel))),
      store_(store),
      keys_(keys) {}

HeartbeatClient::~HeartbeatClient() { Stop(); }

void HeartbeatClient::Start() {
  thread_ = std::thread([this] { Run(); });
}

void HeartbeatClient::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  {
    absl::MutexLock lock(&mu_);
    if (context_ != nullptr) context_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
  std::vector<Worker> workers;
  {
    absl::MutexLock lock(&mu_);
    workers.swap(workers_);
  }
  for (Worker& worker : workers) worker.thread.join();
}

bool HeartbeatClient::connected() const {
  absl::MutexLock lock(&mu_);
  return stream_ != nullptr;
}

void HeartbeatClient::Run() {
  absl::Duration backoff = absl::Milliseconds(100);
  while (!stop_.HasBeenNotified()) {
    const absl::Time started = absl::Now();
    absl::Status status = RunStream();
    if (stop_.HasBeenNotified()) break;
    // A stream that lived a while was healthy: start over from a short wait.
    if (absl::Now() - started > options_.interval * 2) {
      backoff = absl::Milliseconds(100);
    }
    spdlog::warn("heartbeat to master ended ({}); retrying in {}",
                 status.ToString(), absl::FormatDuration(backoff));
    stop_.WaitForNotificationWithTimeout(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

v1::HeartbeatReport HeartbeatClient::Report() const {
  v1::HeartbeatReport report;
  for (const VolumeUsage& usage : store_->Usage()) {
    *report.add_volumes() = ToVolumeStatus(usage);
  }
  absl::StatusOr<uint64_t> free = store_->FreeBytes();
  if (free.ok()) report.set_disk_free_bytes(*free);
  return report;
}

absl::Status HeartbeatClient::RunStream() {
  grpc::ClientContext context;
  const KeyRing::Key& key = keys_->primary();
  absl::Status auth = AttachAuthorization(
      &context, FullMethodName("warehouse.v1.Cluster", "Heartbeat"), key.id,
      key.secret, absl::Now());
  if (!auth.ok()) return auth;
  std::unique_ptr<Stream> stream = stub_->Heartbeat(&context);
  {
    absl::MutexLock lock(&mu_);
    if (stop_.HasBeenNotified()) return absl::CancelledError("stopping");
    context_ = &context;
    stream_ = stream.get();
  }
  v1::VolumeServerMessage hello;
  v1::HeartbeatReport report = Report();
  v1::Registration* registration = hello.mutable_registration();
  registration->set_server_id(options_.server_id);
  registration->set_public_address(options_.public_address);
  registration->set_http_tls(options_.http_tls);
  registration->set_admin_address(options_.admin_address);
  *registration->mutable_volumes() = report.volumes();
  registration->set_max_volumes(store_->max_volumes());
  registration->set_heartbeat_interval_ms(
      static_cast<uint32_t>(absl::ToInt64Milliseconds(options_.interval)));
  registration->set_disk_free_bytes(report.disk_free_bytes());
  bool alive = Send(hello);

  // Commands arrive on their own thread; this one sends heartbeats.
  absl::Notification reader_done;
  std::thread reader([&] {
    v1::MasterCommand command;
    while (stream->Read(&command)) Execute(command);
    reader_done.Notify();
  });
  if (alive) {
    spdlog::info("heartbeat: registration sent to the master as {}",
                 options_.server_id);
  }
  while (alive && !stop_.HasBeenNotified() &&
         !reader_done.WaitForNotificationWithTimeout(options_.interval)) {
    alive = SendHeartbeat();
  }
  {
    absl::MutexLock lock(&mu_);
    stream_ = nullptr;
    context_ = nullptr;
  }
  // Wait out a write in progress before the stream goes away.
  { absl::MutexLock wait(&write_mu_); }
  // When the master ended the stream, its status says why (a refused
  // registration, say); cancelling now would replace it with CANCELLED.
  if (!reader_done.HasBeenNotified()) context.TryCancel();
  reader.join();
  return FromGrpcStatus(stream->Finish());
}

bool HeartbeatClient::Send(const v1::VolumeServerMessage& message) {
  absl::MutexLock write_lock(&write_mu_);
  return SendLocked(message);
}

bool HeartbeatClient::SendHeartbeat() {
  absl::MutexLock write_lock(&write_mu_);
  v1::VolumeServerMessage beat;
  *beat.mutable_heartbeat() = Report();
  return SendLocked(beat);
}

bool HeartbeatClient::SendLocked(const v1::VolumeServerMessage& message) {
  Stream* stream;
  {
    absl::MutexLock lock(&mu_);
    stream = stream_;
  }
  return stream != nullptr && stream->Write(message);
}

void HeartbeatClient::SendResult(uint64_t command_id,
                                 const absl::Status& status,
                                 uint64_t bytes_reclaimed) {
  v1::VolumeServerMessage message;
  v1::CommandResult* result = message.mutable_command_result();
  result->set_command_id(command_id);
  *result->mutable_status() = ToRpcStatus(status);
  result->set_bytes_reclaimed(bytes_reclaimed);
  if (!Send(message)) {
    // The master re-sends unacknowledged commands on the next stream.
    spdlog::warn("heartbeat: result of command {} not delivered", command_id);
  }
}

void HeartbeatClient::ReportThenAnswer(uint64_t command_id,
                                       const absl::Status& status,
                                       uint64_t bytes_reclaimed) {
  if (status.ok()) SendHeartbeat();
  SendResult(command_id, status, bytes_reclaimed);
}

void HeartbeatClient::Execute(const v1::MasterCommand& command) {
  const uint64_t id = command.command_id();
  switch (command.command_case()) {
    case v1::MasterCommand::kCreateVolume: {
      absl::Status status =
          store_->CreateVolume(command.create_volume().volume_id()).status();
      if (absl::IsAlreadyExists(status)) status = absl::OkStatus();  // resent
      SendResult(id, status, 0);
      if (status.ok()) {
        // The master places uploads on a volume once a heartbeat lists it:
        // send one now rather than at the next interval.
        SendHeartbeat();
      }
      return;
    }
    case v1::MasterCommand::kDeleteNeedles: {
      absl::Status first;
      for (const std::string& text : command.delete_needles().file_ids()) {
        absl::StatusOr<FileId> fid = FileId::Parse(text);
        absl::StatusOr<std::shared_ptr<Volume>> volume =
            fid.ok() ? store_->GetVolume(fid->volume_id) : fid.status();
        absl::Status status =
            volume.ok() ? (*volume)->Delete(fid->needle_id, fid->cookie)
                        : volume.status();
        // Already gone is what the master wants.
        if (!status.ok() && !absl::IsNotFound(status)) first.Update(status);
      }
      SendResult(id, first, 0);
      return;
    }
    case v1::MasterCommand::kCompactVolume: {
      const uint32_t volume_id = command.compact_volume().volume_id();
      CompactionOptions options;
      options.bytes_per_second = command.compact_volume().bytes_per_second();
      absl::MutexLock lock(&mu_);
      for (auto it = workers_.begin(); it != workers_.end();) {
        if (*it->done) {
          it->thread.join();
          it = workers_.erase(it);
        } else {
          ++it;
        }
      }
      auto done = std::make_shared<std::atomic<bool>>(false);
      std::thread thread([this, id, volume_id, options, done] {
        absl::StatusOr<CompactionResult> result =
            store_->Compact(volume_id, options);
        // The volume's new size first: once the result is in, the master
        // may judge its garbage again (automatic compaction).
        ReportThenAnswer(id, result.status(),
                         result.ok() ? result->bytes_reclaimed : 0);
        *done = true;
      });
      workers_.push_back(Worker{std::move(thread), std::move(done)});
      return;
    }
    case v1::MasterCommand::kSetReadOnly: {
      const v1::SetReadOnlyCommand& set = command.set_read_only();
      auto volume = store_->GetVolume(set.volume_id());
      const absl::Status status =
          volume.ok() ? (*volume)->SetReadOnly(set.read_only())
                      : volume.status();
      // The master answers its caller on the result: its view of the
      // volume must show the change by then.
      ReportThenAnswer(id, status, 0);
      return;
    }
    case v1::MasterCommand::kDropVolume: {
      const absl::Status status =
          store_->DropVolume(command.drop_volume().volume_id());
      // The master learns from the heartbeat that the volume is gone.
      ReportThenAnswer(id, status, 0);
      return;
    }
    case v1::MasterCommand::COMMAND_NOT_SET:
      SendResult(id,
                 absl::InvalidArgumentError(absl::StrCat(
                     "command ", id, ": unknown or empty command")),
                 0);
      return;
  }
}

absl::StatusOr<std::string> LoadOrCreateServerId(FileSystem* fs,
                                                 const std::string& dir) {
  const std::string path = dir + "/server.id";
  ASSIGN_OR_RETURN(bool exists, fs->Exists(path));
  if (exists) {
    ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                     fs->Open(path, OpenMode::kReadWrite));
    char buf[64];
    ASSIGN_OR_RETURN(size_t n, file->ReadAt(0, buf, sizeof(buf)));
    std::string id(buf, n);
    while (!id.empty() && (id.back() == '\n' || id.back() == ' '))
      id.pop_back();
    if (id.empty()) {
      return absl::DataLossError(path + ": empty; delete it to get a new id");
    }
    return id;
  }
  ASSIGN_OR_RETURN(std::string random, RandomBytes(8));
  std::string id = HexEncode(random);
  ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                   fs->Open(path, OpenMode::kCreateExclusive));
  RETURN_IF_ERROR(file->WriteAt(0, id + "\n"));
  RETURN_IF_ERROR(file->Sync());
  RETURN_IF_ERROR(fs->SyncDir(dir));
  return id;
}

}  // namespace warehouse::volume
