#include "sdk/proto_convert.h"

namespace warehouse {

BucketInfo FromProto(const v1::BucketInfo& bucket) {
  BucketInfo out;
  out.name = bucket.name();
  out.created = absl::FromUnixSeconds(bucket.created_unix_seconds());
  out.object_count = bucket.object_count();
  out.total_bytes = bucket.total_bytes();
  return out;
}

ObjectInfo FromProto(const v1::ObjectInfo& object) {
  ObjectInfo out;
  out.key = object.key();
  out.size_bytes = object.size_bytes();
  out.etag = object.etag();
  out.content_type = object.content_type();
  out.created = absl::FromUnixSeconds(object.created_unix_seconds());
  out.file_id = object.file_id();
  return out;
}

ServerInfo FromProto(const v1::ServerInfo& server) {
  ServerInfo out;
  out.server_id = server.server_id();
  out.public_address = server.public_address();
  out.http_tls = server.http_tls();
  out.online = server.status() == v1::SERVER_STATUS_ONLINE;
  out.draining = server.draining();
  out.last_heartbeat = absl::FromUnixMillis(server.last_heartbeat_unix_ms());
  out.volume_count = server.volume_count();
  out.max_volumes = server.max_volumes();
  out.disk_free_bytes = server.disk_free_bytes();
  return out;
}

VolumeInfo FromProto(const v1::VolumeInfo& volume) {
  VolumeInfo out;
  const v1::VolumeStatus& status = volume.status();
  out.volume_id = status.volume_id();
  out.server_id = volume.server_id();
  out.server_address = volume.server_address();
  out.server_online = volume.server_status() == v1::SERVER_STATUS_ONLINE;
  out.moving_to_server_id = volume.moving_to_server_id();
  out.size_bytes = status.size_bytes();
  out.max_size_bytes = status.max_size_bytes();
  out.live_bytes = status.live_bytes();
  out.garbage_bytes = status.garbage_bytes();
  out.needle_count = status.needle_count();
  out.read_only = status.read_only();
  out.compacting = status.compacting();
  out.compaction_copied_bytes = status.compaction_copied_bytes();
  out.compaction_total_bytes = status.compaction_total_bytes();
  if (volume.has_last_compaction()) {
    const v1::CompactionRecord& record = volume.last_compaction();
    CompactionInfo& compaction = out.last_compaction.emplace();
    switch (record.state()) {
      case v1::COMPACTION_STATE_SUCCEEDED:
        compaction.state = CompactionInfo::State::kSucceeded;
        break;
      case v1::COMPACTION_STATE_FAILED:
        compaction.state = CompactionInfo::State::kFailed;
        break;
      default:
        compaction.state = CompactionInfo::State::kRunning;
        break;
    }
    compaction.started = absl::FromUnixMillis(record.started_unix_ms());
    compaction.finished = record.finished_unix_ms() == 0
                              ? absl::InfinitePast()
                              : absl::FromUnixMillis(record.finished_unix_ms());
    compaction.bytes_reclaimed = record.bytes_reclaimed();
    compaction.error = record.error();
  }
  if (volume.has_last_verification()) {
    const v1::VerificationRecord& record = volume.last_verification();
    VerificationInfo& verification = out.last_verification.emplace();
    verification.started = absl::FromUnixMillis(record.started_unix_ms());
    verification.finished = absl::FromUnixMillis(record.finished_unix_ms());
    verification.needles_checked = record.needles_checked();
    verification.bytes_checked = record.bytes_checked();
    verification.corrupt_count = record.corrupt_count();
  }
  return out;
}

AccessKeyInfo FromProto(const v1::AccessKeyInfo& key) {
  AccessKeyInfo out;
  out.access_key_id = key.access_key_id();
  out.role = key.role() == v1::ROLE_ADMIN ? AccessKeyRole::kAdmin
                                          : AccessKeyRole::kReadWrite;
  out.buckets.assign(key.buckets().begin(), key.buckets().end());
  out.description = key.description();
  out.created = absl::FromUnixSeconds(key.created_unix_seconds());
  return out;
}

v1::Role ToProto(AccessKeyRole role) {
  switch (role) {
    case AccessKeyRole::kAdmin:
      return v1::ROLE_ADMIN;
    case AccessKeyRole::kReadWrite:
      return v1::ROLE_READ_WRITE;
  }
  return v1::ROLE_UNSPECIFIED;
}

}  // namespace warehouse
