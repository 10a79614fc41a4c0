#include "master/proto_conversions.h"

#include <string>

#include "common/file_id.h"

namespace warehouse::master {
namespace {

// The Master API has no spelling of "every bucket" but an empty list.
constexpr char kAllBuckets[] = "*";

}  // namespace

VolumeView FromProto(const v1::VolumeStatus& status) {
  VolumeView volume;
  volume.volume_id = status.volume_id();
  volume.size_bytes = status.size_bytes();
  volume.live_bytes = status.live_bytes();
  volume.garbage_bytes = status.garbage_bytes();
  volume.needle_count = status.needle_count();
  volume.max_size_bytes = status.max_size_bytes();
  volume.max_needle_id = status.max_needle_id();
  volume.read_only = status.read_only();
  volume.compacting = status.compacting();
  volume.compaction_copied_bytes = status.compaction_copied_bytes();
  volume.compaction_total_bytes = status.compaction_total_bytes();
  return volume;
}

ServerReport FromProto(const v1::HeartbeatReport& report) {
  ServerReport converted;
  for (const v1::VolumeStatus& status : report.volumes()) {
    converted.volumes.push_back(FromProto(status));
  }
  converted.disk_free_bytes = report.disk_free_bytes();
  return converted;
}

ServerRegistration FromProto(const v1::Registration& registration) {
  ServerRegistration converted;
  converted.server_id = registration.server_id();
  converted.public_address = registration.public_address();
  converted.admin_address = registration.admin_address();
  converted.http_tls = registration.http_tls();
  converted.max_volumes = registration.max_volumes();
  converted.heartbeat_interval =
      absl::Milliseconds(registration.heartbeat_interval_ms());
  for (const v1::VolumeStatus& status : registration.volumes()) {
    converted.report.volumes.push_back(FromProto(status));
  }
  converted.report.disk_free_bytes = registration.disk_free_bytes();
  return converted;
}

v1::VolumeStatus ToProto(const VolumeView& volume) {
  v1::VolumeStatus status;
  status.set_volume_id(volume.volume_id);
  status.set_size_bytes(volume.size_bytes);
  status.set_live_bytes(volume.live_bytes);
  status.set_garbage_bytes(volume.garbage_bytes);
  status.set_needle_count(volume.needle_count);
  status.set_read_only(volume.read_only);
  status.set_compacting(volume.compacting);
  status.set_max_size_bytes(volume.max_size_bytes);
  status.set_max_needle_id(volume.max_needle_id);
  status.set_compaction_copied_bytes(volume.compaction_copied_bytes);
  status.set_compaction_total_bytes(volume.compaction_total_bytes);
  return status;
}

v1::ServerInfo ToProto(const ServerView& server) {
  v1::ServerInfo info;
  info.set_server_id(server.server_id);
  info.set_public_address(server.public_address);
  info.set_http_tls(server.http_tls);
  info.set_draining(server.draining);
  info.set_status(server.online ? v1::SERVER_STATUS_ONLINE
                                : v1::SERVER_STATUS_OFFLINE);
  if (server.last_heartbeat != absl::InfinitePast()) {
    info.set_last_heartbeat_unix_ms(absl::ToUnixMillis(server.last_heartbeat));
  }
  info.set_volume_count(static_cast<uint32_t>(server.volumes.size()));
  info.set_max_volumes(server.max_volumes);
  info.set_disk_free_bytes(server.disk_free_bytes);
  return info;
}

v1::CompactionRecord ToProto(
    const CompactionScheduler::VolumeCompaction& compaction) {
  using State = CompactionScheduler::VolumeCompaction::State;
  v1::CompactionRecord record;
  switch (compaction.state) {
    case State::kRunning:
      record.set_state(v1::COMPACTION_STATE_RUNNING);
      break;
    case State::kSucceeded:
      record.set_state(v1::COMPACTION_STATE_SUCCEEDED);
      record.set_bytes_reclaimed(compaction.bytes_reclaimed);
      break;
    case State::kFailed:
      record.set_state(v1::COMPACTION_STATE_FAILED);
      record.set_error(compaction.error);
      break;
  }
  record.set_started_unix_ms(absl::ToUnixMillis(compaction.started));
  if (compaction.finished != absl::InfinitePast()) {
    record.set_finished_unix_ms(absl::ToUnixMillis(compaction.finished));
  }
  return record;
}

v1::VerificationRecord ToProto(const VerificationRecord& verification) {
  v1::VerificationRecord record;
  record.set_started_unix_ms(absl::ToUnixMillis(verification.started));
  record.set_finished_unix_ms(absl::ToUnixMillis(verification.finished));
  record.set_needles_checked(verification.needles_checked);
  record.set_bytes_checked(verification.bytes_checked);
  record.set_corrupt_count(verification.corrupt_count);
  return record;
}

v1::BucketInfo ToProto(const BucketInfo& bucket) {
  v1::BucketInfo info;
  info.set_name(bucket.name);
  info.set_created_unix_seconds(absl::ToUnixSeconds(bucket.created));
  info.set_object_count(static_cast<uint64_t>(bucket.object_count));
  info.set_total_bytes(static_cast<uint64_t>(bucket.total_bytes));
  return info;
}

v1::ObjectInfo ToProto(const ObjectRecord& object) {
  v1::ObjectInfo info;
  info.set_key(object.key);
  info.set_size_bytes(static_cast<uint64_t>(object.size));
  info.set_etag(object.etag);
  info.set_content_type(object.content_type);
  info.set_created_unix_seconds(absl::ToUnixSeconds(object.updated));
  info.set_file_id(FileId{object.needle.volume_id, object.needle.needle_id,
                          object.needle.cookie}
                       .ToString());
  return info;
}

v1::Role ToProto(AccessRole role) {
  switch (role) {
    case AccessRole::kAdmin:
      return v1::ROLE_ADMIN;
    case AccessRole::kReadWrite:
      return v1::ROLE_READ_WRITE;
    case AccessRole::kReadOnly:
      return v1::ROLE_UNSPECIFIED;
  }
  return v1::ROLE_UNSPECIFIED;
}

v1::AccessKeyInfo ToProto(const AccessKey& key) {
  v1::AccessKeyInfo info;
  info.set_access_key_id(key.access_key_id);
  info.set_role(ToProto(key.role));
  for (const std::string& bucket : key.allowed_buckets) {
    if (bucket != kAllBuckets) info.add_buckets(bucket);
  }
  info.set_description(key.description);
  info.set_created_unix_seconds(absl::ToUnixSeconds(key.created));
  return info;
}

v1::CheckConsistencyResponse ToProto(const ConsistencyReport& report) {
  v1::CheckConsistencyResponse response;
  response.set_volumes_checked(report.volumes_checked);
  response.set_volumes_unchecked(report.volumes_unchecked);
  response.set_objects_checked(report.objects_checked);
  response.set_needles_checked(report.needles_checked);
  response.set_needles_in_flight(report.needles_in_flight);
  response.set_orphans(report.orphans);
  response.set_missing(report.missing);
  response.set_orphans_queued(report.orphans_queued);
  response.set_findings_truncated(report.findings_truncated);
  for (const Finding& finding : report.findings) {
    v1::ConsistencyFinding* out = response.add_findings();
    switch (finding.kind) {
      case FindingKind::kOrphan:
        out->set_kind(v1::FINDING_KIND_ORPHAN);
        break;
      case FindingKind::kMissing:
        out->set_kind(v1::FINDING_KIND_MISSING);
        break;
      case FindingKind::kUncheckedVolume:
        out->set_kind(v1::FINDING_KIND_UNCHECKED_VOLUME);
        break;
    }
    out->set_volume_id(finding.needle.volume_id);
    if (finding.kind != FindingKind::kUncheckedVolume) {
      out->set_file_id(FileId{finding.needle.volume_id,
                              finding.needle.needle_id, finding.needle.cookie}
                           .ToString());
    }
    out->set_bucket(finding.bucket);
    out->set_key(finding.key);
    out->set_detail(finding.detail);
  }
  return response;
}

}  // namespace warehouse::master
