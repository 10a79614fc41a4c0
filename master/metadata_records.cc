#include "master/metadata_records.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace warehouse::master {

std::string DescribeNeedle(const NeedleRef& needle) {
  return absl::StrFormat("volume %u needle 0x%x cookie 0x%08x",
                         needle.volume_id, needle.needle_id, needle.cookie);
}

absl::string_view ObjectStateName(ObjectState state) {
  switch (state) {
    case ObjectState::kLive:
      return "live";
    case ObjectState::kLost:
      return "lost";
  }
  return "unknown";
}

absl::string_view ServerStatusName(ServerStatus status) {
  switch (status) {
    case ServerStatus::kAlive:
      return "alive";
    case ServerStatus::kDown:
      return "down";
    case ServerStatus::kDraining:
      return "draining";
  }
  return "unknown";
}

absl::string_view AccessRoleName(AccessRole role) {
  switch (role) {
    case AccessRole::kAdmin:
      return "admin";
    case AccessRole::kReadWrite:
      return "read-write";
    case AccessRole::kReadOnly:
      return "read-only";
  }
  return "unknown";
}

absl::string_view CompactionStateName(CompactionRecord::State state) {
  switch (state) {
    case CompactionRecord::State::kRunning:
      return "running";
    case CompactionRecord::State::kSucceeded:
      return "succeeded";
    case CompactionRecord::State::kFailed:
      return "failed";
  }
  return "unknown";
}

absl::StatusOr<ObjectState> ParseObjectState(absl::string_view name) {
  for (ObjectState state : {ObjectState::kLive, ObjectState::kLost}) {
    if (name == ObjectStateName(state)) return state;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown object state \"", name, "\""));
}

absl::StatusOr<ServerStatus> ParseServerStatus(absl::string_view name) {
  for (ServerStatus status :
       {ServerStatus::kAlive, ServerStatus::kDown, ServerStatus::kDraining}) {
    if (name == ServerStatusName(status)) return status;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown server status \"", name, "\""));
}

absl::StatusOr<AccessRole> ParseAccessRole(absl::string_view name) {
  for (AccessRole role :
       {AccessRole::kAdmin, AccessRole::kReadWrite, AccessRole::kReadOnly}) {
    if (name == AccessRoleName(role)) return role;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown access role \"", name, "\""));
}

absl::StatusOr<CompactionRecord::State> ParseCompactionState(
    absl::string_view name) {
  for (CompactionRecord::State state :
       {CompactionRecord::State::kRunning, CompactionRecord::State::kSucceeded,
        CompactionRecord::State::kFailed}) {
    if (name == CompactionStateName(state)) return state;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown compaction state \"", name, "\""));
}

int ListPageSize(uint64_t page_size) {
  if (page_size == 0 || page_size > static_cast<uint64_t>(kMaxListKeys)) {
    return kMaxListKeys;
  }
  return static_cast<int>(page_size);
}

}  // namespace warehouse::master
