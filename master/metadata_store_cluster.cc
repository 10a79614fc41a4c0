// MetadataStore: volume servers, volumes, their latest compactions and the
// needle delete queue.
#include <algorithm>
#include <limits>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "master/metadata_store.h"
#include "master/names.h"

namespace warehouse::master {
namespace {

constexpr int kMaxDeletesPerTake = 10000;
constexpr absl::Duration kMaxDeleteRetryDelay = absl::Hours(1);

absl::Status RequireServer(Database& db, absl::string_view server_id) {
  ASSIGN_OR_RETURN(
      Statement find,
      db.Prepare("SELECT 1 FROM volume_servers WHERE server_id = ?"));
  RETURN_IF_ERROR(find.BindAll(server_id));
  ASSIGN_OR_RETURN(bool found, find.Step());
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("volume server ", server_id, " does not exist"));
  }
  return absl::OkStatus();
}

// Reads volume_id, server_id, size_bytes, live_bytes, garbage_bytes,
// needle_count, read_only, next_needle_id, created_at_us, updated_at_us.
constexpr char kSelectVolumes[] =
    "SELECT volume_id, server_id, size_bytes, live_bytes, garbage_bytes, "
    "needle_count, read_only, next_needle_id, created_at_us, updated_at_us "
    "FROM volumes";

VolumeRecord ReadVolume(const Statement& row) {
  VolumeRecord volume;
  volume.volume_id = static_cast<uint32_t>(row.ColumnInt64(0));
  volume.server_id = row.ColumnText(1);
  volume.size_bytes = row.ColumnInt64(2);
  volume.live_bytes = row.ColumnInt64(3);
  volume.garbage_bytes = row.ColumnInt64(4);
  volume.needle_count = row.ColumnInt64(5);
  volume.read_only = row.ColumnInt64(6) != 0;
  volume.next_needle_id = static_cast<uint64_t>(row.ColumnInt64(7));
  volume.created = absl::FromUnixMicros(row.ColumnInt64(8));
  volume.updated = absl::FromUnixMicros(row.ColumnInt64(9));
  return volume;
}

absl::Status ValidateUsage(const VolumeUsage& usage) {
  if (usage.volume_id == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("volume server ", usage.server_id,
                     ": reported volume id 0, which is never allocated"));
  }
  if (usage.size_bytes < 0 || usage.live_bytes < 0 || usage.garbage_bytes < 0 ||
      usage.needle_count < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "volume ", usage.volume_id, ": reported negative usage (size ",
        usage.size_bytes, ", live ", usage.live_bytes, ", garbage ",
        usage.garbage_bytes, ", needles ", usage.needle_count, ")"));
  }
  if (usage.max_needle_id >=
      static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat("volume ", usage.volume_id, ": reported needle id ",
                     usage.max_needle_id, " is out of range"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status MetadataStore::UpsertServer(absl::string_view server_id,
                                         absl::string_view address,
                                         absl::Time heartbeat) {
  RETURN_IF_ERROR(ValidateIdentifier("server id", server_id));
  RETURN_IF_ERROR(ValidateIdentifier("server address", address));
  return Write([&](Database& db) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement upsert,
        db.Prepare("INSERT INTO volume_servers (server_id, address, "
                   "last_heartbeat_us, status) VALUES (?1, ?2, ?3, ?4) "
                   "ON CONFLICT (server_id) DO UPDATE SET "
                   "address = excluded.address, "
                   "last_heartbeat_us = max(last_heartbeat_us, "
                   "excluded.last_heartbeat_us), "
                   "status = CASE WHEN status = ?5 THEN ?4 ELSE status END"));
    RETURN_IF_ERROR(upsert.BindAll(server_id, address,
                                   absl::ToUnixMicros(heartbeat),
                                   ServerStatusName(ServerStatus::kAlive),
                                   ServerStatusName(ServerStatus::kDown)));
    return upsert.Run();
  });
}

absl::Status MetadataStore::MarkServerStatus(absl::string_view server_id,
                                             ServerStatus status) {
  return Write([&](Database& db) -> absl::Status {
    ASSIGN_OR_RETURN(Statement update,
                     db.Prepare("UPDATE volume_servers SET status = ? "
                                "WHERE server_id = ?"));
    RETURN_IF_ERROR(update.BindAll(ServerStatusName(status), server_id));
    RETURN_IF_ERROR(update.Run());
    if (db.changes() == 0) {
      return absl::NotFoundError(
          absl::StrCat("volume server ", server_id, " does not exist"));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<ServerRecord>> MetadataStore::ListServers() {
  ReadPool::Lease lease = readers_->Acquire();
  ASSIGN_OR_RETURN(
      Statement select,
      lease.db().Prepare("SELECT server_id, address, last_heartbeat_us, status "
                         "FROM volume_servers ORDER BY server_id"));
  std::vector<ServerRecord> servers;
  for (;;) {
    ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) break;
    ServerRecord& server = servers.emplace_back();
    server.server_id = select.ColumnText(0);
    server.address = select.ColumnText(1);
    server.last_heartbeat = absl::FromUnixMicros(select.ColumnInt64(2));
    auto status = ParseServerStatus(select.ColumnText(3));
    if (!status.ok()) {
      return absl::DataLossError(
          absl::StrCat("database ", lease.db().path(), ": volume server ",
                       server.server_id, ": ", status.status().message()));
    }
    server.status = *status;
  }
  return servers;
}

absl::StatusOr<VolumeRecord> MetadataStore::CreateVolumeRecord(
    absl::string_view server_id) {
  const int64_t now_us = absl::ToUnixMicros(Now());
  VolumeRecord volume;
  absl::Status status = Write([&](Database& db) -> absl::Status {
    RETURN_IF_ERROR(RequireServer(db, server_id));
    // AUTOINCREMENT: an id once used, even by a volume since removed, is
    // never handed out again.
    ASSIGN_OR_RETURN(Statement insert,
                     db.Prepare("INSERT INTO volumes (server_id, "
                                "created_at_us, updated_at_us) "
                                "VALUES (?, ?, ?)"));
    RETURN_IF_ERROR(insert.BindAll(server_id, now_us, now_us));
    RETURN_IF_ERROR(insert.Run());
    const int64_t volume_id = db.last_insert_rowid();
    if (volume_id > std::numeric_limits<uint32_t>::max()) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "volume server ", server_id, ": volume ids are exhausted (next ",
          volume_id, " does not fit in 32 bits)"));
    }
    volume.volume_id = static_cast<uint32_t>(volume_id);
    volume.server_id = std::string(server_id);
    volume.created = absl::FromUnixMicros(now_us);
    volume.updated = volume.created;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return volume;
}

absl::Status MetadataStore::UpsertVolumes(
    absl::Span<const VolumeUsage> usages) {
  for (const VolumeUsage& usage : usages) {
    RETURN_IF_ERROR(ValidateUsage(usage));
  }
  // Before the write, so that no id handed out meanwhile is one the volume
  // server already holds (skipping ids is always safe).
  for (const VolumeUsage& usage : usages) {
    if (usage.max_needle_id > 0) {
      needle_ids_.SkipThrough(usage.volume_id, usage.max_needle_id);
    }
  }
  const int64_t now_us = absl::ToUnixMicros(Now());
  return Write([&](Database& db) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement upsert,
        db.Prepare("INSERT INTO volumes (volume_id, server_id, size_bytes, "
                   "live_bytes, garbage_bytes, needle_count, read_only, "
                   "next_needle_id, created_at_us, updated_at_us) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) "
                   "ON CONFLICT (volume_id) DO UPDATE SET "
                   "server_id = excluded.server_id, "
                   "size_bytes = excluded.size_bytes, "
                   "live_bytes = excluded.live_bytes, "
                   "garbage_bytes = excluded.garbage_bytes, "
                   "needle_count = excluded.needle_count, "
                   "read_only = excluded.read_only, "
                   "next_needle_id = max(next_needle_id, "
                   "excluded.next_needle_id), "
                   "updated_at_us = excluded.updated_at_us"));
    for (const VolumeUsage& usage : usages) {
      RETURN_IF_ERROR(RequireServer(db, usage.server_id));
      RETURN_IF_ERROR(upsert.BindAll(
          usage.volume_id, usage.server_id, usage.size_bytes, usage.live_bytes,
          usage.garbage_bytes, usage.needle_count, usage.read_only,
          static_cast<int64_t>(usage.max_needle_id) + 1, now_us));
      RETURN_IF_ERROR(upsert.Run());
      upsert.Reset();
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<VolumeRecord>> MetadataStore::ListVolumes() {
  ReadPool::Lease lease = readers_->Acquire();
  ASSIGN_OR_RETURN(
      Statement select,
      lease.db().Prepare(absl::StrCat(kSelectVolumes, " ORDER BY volume_id")));
  std::vector<VolumeRecord> volumes;
  for (;;) {
    ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) break;
    volumes.push_back(ReadVolume(select));
  }
  return volumes;
}

absl::StatusOr<VolumeRecord> MetadataStore::GetVolume(uint32_t volume_id) {
  ReadPool::Lease lease = readers_->Acquire();
  ASSIGN_OR_RETURN(
      Statement select,
      lease.db().Prepare(absl::StrCat(kSelectVolumes, " WHERE volume_id = ?")));
  RETURN_IF_ERROR(select.BindAll(volume_id));
  ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("volume ", volume_id, " does not exist"));
  }
  return ReadVolume(select);
}

absl::Status MetadataStore::PutCompaction(uint32_t volume_id,
                                          const CompactionRecord& compaction) {
  std::optional<int64_t> finished_us;
  if (compaction.finished != absl::InfinitePast()) {
    finished_us = absl::ToUnixMicros(compaction.finished);
  }
  return Write([&](Database& db) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement upsert,
        db.Prepare("INSERT OR REPLACE INTO volume_compactions (volume_id, "
                   "state, started_at_us, finished_at_us, bytes_reclaimed, "
                   "error, failures_in_a_row) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    RETURN_IF_ERROR(upsert.BindAll(
        volume_id, CompactionStateName(compaction.state),
        absl::ToUnixMicros(compaction.started), finished_us,
        static_cast<int64_t>(compaction.bytes_reclaimed), compaction.error,
        compaction.failures_in_a_row));
    return upsert.Run();
  });
}

absl::StatusOr<std::map<uint32_t, CompactionRecord>>
MetadataStore::ListCompactions() {
  ReadPool::Lease lease = readers_->Acquire();
  ASSIGN_OR_RETURN(
      Statement select,
      lease.db().Prepare("SELECT volume_id, state, started_at_us, "
                         "finished_at_us, bytes_reclaimed, error, "
                         "failures_in_a_row FROM volume_compactions"));
  std::map<uint32_t, CompactionRecord> compactions;
  for (;;) {
    ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) break;
    const int64_t volume_id = select.ColumnInt64(0);
    absl::StatusOr<CompactionRecord::State> state =
        ParseCompactionState(select.ColumnText(1));
    if (!state.ok()) {
      return absl::DataLossError(
          absl::StrCat("volume ", volume_id,
                       ": compaction record: ", state.status().message()));
    }
    CompactionRecord& compaction =
        compactions[static_cast<uint32_t>(volume_id)];
    compaction.state = *state;
    compaction.started = absl::FromUnixMicros(select.ColumnInt64(2));
    if (!select.ColumnIsNull(3)) {
      compaction.finished = absl::FromUnixMicros(select.ColumnInt64(3));
    }
    compaction.bytes_reclaimed = static_cast<uint64_t>(select.ColumnInt64(4));
    compaction.error = select.ColumnText(5);
    compaction.failures_in_a_row = static_cast<int>(select.ColumnInt64(6));
  }
  return compactions;
}

absl::Status MetadataStore::PutVerification(
    uint32_t volume_id, const VerificationRecord& verification) {
  return Write([&](Database& db) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement upsert,
        db.Prepare("INSERT OR REPLACE INTO volume_verifications (volume_id, "
                   "started_at_us, finished_at_us, needles_checked, "
                   "bytes_checked, corrupt_count) VALUES (?, ?, ?, ?, ?, ?)"));
    RETURN_IF_ERROR(upsert.BindAll(
        volume_id, absl::ToUnixMicros(verification.started),
        absl::ToUnixMicros(verification.finished),
        static_cast<int64_t>(verification.needles_checked),
        static_cast<int64_t>(verification.bytes_checked),
        static_cast<int64_t>(verification.corrupt_count)));
    return upsert.Run();
  });
}

absl::StatusOr<std::map<uint32_t, VerificationRecord>>
MetadataStore::ListVerifications() {
  ReadPool::Lease lease = readers_->Acquire();
  ASSIGN_OR_RETURN(
      Statement select,
      lease.db().Prepare("SELECT volume_id, started_at_us, finished_at_us, "
                         "needles_checked, bytes_checked, corrupt_count "
                         "FROM volume_verifications"));
  std::map<uint32_t, VerificationRecord> verifications;
  for (;;) {
    ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) break;
    VerificationRecord& verification =
        verifications[static_cast<uint32_t>(select.ColumnInt64(0))];
    verification.started = absl::FromUnixMicros(select.ColumnInt64(1));
    verification.finished = absl::FromUnixMicros(select.ColumnInt64(2));
    verification.needles_checked = static_cast<uint64_t>(select.ColumnInt64(3));
    verification.bytes_checked = static_cast<uint64_t>(select.ColumnInt64(4));
    verification.corrupt_count = static_cast<uint64_t>(select.ColumnInt64(5));
  }
  return verifications;
}

namespace {

absl::Status InsertStaleCopy(Database& db, uint32_t volume_id,
                             absl::string_view server_id) {
  ASSIGN_OR_RETURN(Statement insert,
                   db.Prepare("INSERT OR REPLACE INTO stale_volume_copies "
                              "(volume_id, server_id, recorded_at_us) "
                              "VALUES (?, ?, ?)"));
  RETURN_IF_ERROR(insert.BindAll(volume_id, server_id,
                                 absl::ToUnixMicros(absl::Now())));
  return insert.Run();
}

absl::Status DeleteStaleCopy(Database& db, uint32_t volume_id,
                             absl::string_view server_id) {
  ASSIGN_OR_RETURN(Statement remove,
                   db.Prepare("DELETE FROM stale_volume_copies WHERE "
                              "volume_id = ? AND server_id = ?"));
  RETURN_IF_ERROR(remove.BindAll(volume_id, server_id));
  return remove.Run();
}

}  // namespace

absl::Status MetadataStore::MoveVolume(uint32_t volume_id,
                                       absl::string_view from_server,
                                       absl::string_view to_server) {
  return Write([&](Database& db) -> absl::Status {
    RETURN_IF_ERROR(RequireServer(db, to_server));
    ASSIGN_OR_RETURN(Statement update,
                     db.Prepare("UPDATE volumes SET server_id = ?, "
                                "updated_at_us = ? WHERE volume_id = ?"));
    RETURN_IF_ERROR(update.BindAll(
        to_server, absl::ToUnixMicros(absl::Now()), volume_id));
    RETURN_IF_ERROR(update.Run());
    if (db.changes() == 0) {
      return absl::NotFoundError(
          absl::StrCat("volume ", volume_id, " does not exist"));
    }
    RETURN_IF_ERROR(DeleteStaleCopy(db, volume_id, to_server));
    return InsertStaleCopy(db, volume_id, from_server);
  });
}

absl::Status MetadataStore::AddStaleCopy(uint32_t volume_id,
                                         absl::string_view server_id) {
  return Write([&](Database& db) {
    return InsertStaleCopy(db, volume_id, server_id);
  });
}

absl::Status MetadataStore::RemoveStaleCopy(uint32_t volume_id,
                                            absl::string_view server_id) {
  return Write([&](Database& db) {
    return DeleteStaleCopy(db, volume_id, server_id);
  });
}

absl::Status MetadataStore::PutVolumeMove(const VolumeMoveRecord& move) {
  return Write([&](Database& db) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement insert,
        db.Prepare("INSERT OR REPLACE INTO volume_moves (volume_id, "
                   "from_server, to_server, writable_after, started_at_us) "
                   "VALUES (?, ?, ?, ?, ?)"));
    RETURN_IF_ERROR(insert.BindAll(move.volume_id, move.from_server,
                                   move.to_server,
                                   int64_t{move.writable_after ? 1 : 0},
                                   absl::ToUnixMicros(move.started)));
    return insert.Run();
  });
}

absl::Status MetadataStore::RemoveVolumeMove(uint32_t volume_id) {
  return Write([&](Database& db) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement remove,
        db.Prepare("DELETE FROM volume_moves WHERE volume_id = ?"));
    RETURN_IF_ERROR(remove.BindAll(volume_id));
    return remove.Run();
  });
}

absl::StatusOr<std::vector<VolumeMoveRecord>>
MetadataStore::ListVolumeMoves() {
  ReadPool::Lease lease = readers_->Acquire();
  ASSIGN_OR_RETURN(
      Statement select,
      lease.db().Prepare("SELECT volume_id, from_server, to_server, "
                         "writable_after, started_at_us FROM volume_moves"));
  std::vector<VolumeMoveRecord> moves;
  for (;;) {
    ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) break;
    VolumeMoveRecord& move = moves.emplace_back();
    move.volume_id = static_cast<uint32_t>(select.ColumnInt64(0));
    move.from_server = select.ColumnText(1);
    move.to_server = select.ColumnText(2);
    move.writable_after = select.ColumnInt64(3) != 0;
    move.started = absl::FromUnixMicros(select.ColumnInt64(4));
  }
  return moves;
}

absl::StatusOr<std::set<std::pair<uint32_t, std::string>>>
MetadataStore::ListStaleCopies() {
  ReadPool::Lease lease = readers_->Acquire();
  ASSIGN_OR_RETURN(Statement select,
                   lease.db().Prepare("SELECT volume_id, server_id FROM "
                                      "stale_volume_copies"));
  std::set<std::pair<uint32_t, std::string>> copies;
  for (;;) {
    ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) break;
    copies.emplace(static_cast<uint32_t>(select.ColumnInt64(0)),
                   select.ColumnText(1));
  }
  return copies;
}

absl::StatusOr<std::vector<NeedleDelete>> MetadataStore::TakeDueDeletes(
    absl::string_view server_id, absl::Time now, int limit) {
  if (limit < 1) {
    return absl::InvalidArgumentError(absl::StrCat("volume server ", server_id,
                                                   ": delete limit ", limit,
                                                   " is less than 1"));
  }
  limit = std::min(limit, kMaxDeletesPerTake);
  const int64_t lease_until_us =
      absl::ToUnixMicros(now + options_.delete_lease);
  std::vector<NeedleDelete> deletes;
  absl::Status status = Write([&](Database& db) -> absl::Status {
    deletes.clear();
    // The volume's current server is looked up now, so the deletes of a
    // volume that moved go to the server that holds it today.
    ASSIGN_OR_RETURN(
        Statement select,
        db.Prepare("SELECT d.delete_id, d.volume_id, d.needle_id, d.cookie, "
                   "d.reason, d.attempts, d.next_attempt_us, "
                   "d.enqueued_at_us FROM volumes v JOIN needle_deletes d "
                   "ON d.volume_id = v.volume_id WHERE v.server_id = ? "
                   "AND d.next_attempt_us <= ? "
                   "ORDER BY d.next_attempt_us, d.delete_id LIMIT ?"));
    RETURN_IF_ERROR(select.BindAll(server_id, absl::ToUnixMicros(now), limit));
    for (;;) {
      ASSIGN_OR_RETURN(bool has_row, select.Step());
      if (!has_row) break;
      NeedleDelete& item = deletes.emplace_back();
      item.delete_id = select.ColumnInt64(0);
      item.needle = {static_cast<uint32_t>(select.ColumnInt64(1)),
                     static_cast<uint64_t>(select.ColumnInt64(2)),
                     static_cast<uint32_t>(select.ColumnInt64(3))};
      item.reason = select.ColumnText(4);
      item.attempts = static_cast<int>(select.ColumnInt64(5));
      item.next_attempt = absl::FromUnixMicros(select.ColumnInt64(6));
      item.enqueued = absl::FromUnixMicros(select.ColumnInt64(7));
    }
    ASSIGN_OR_RETURN(Statement lease,
                     db.Prepare("UPDATE needle_deletes SET next_attempt_us = ? "
                                "WHERE delete_id = ?"));
    for (const NeedleDelete& item : deletes) {
      RETURN_IF_ERROR(lease.BindAll(lease_until_us, item.delete_id));
      RETURN_IF_ERROR(lease.Run());
      lease.Reset();
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return deletes;
}

absl::Status MetadataStore::MarkDeleted(absl::Span<const int64_t> delete_ids) {
  if (delete_ids.empty()) return absl::OkStatus();
  return Write([&](Database& db) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement remove,
        db.Prepare("DELETE FROM needle_deletes WHERE delete_id = ?"));
    for (int64_t id : delete_ids) {
      RETURN_IF_ERROR(remove.BindAll(id));
      RETURN_IF_ERROR(remove.Run());
      remove.Reset();
    }
    return absl::OkStatus();
  });
}

absl::Duration MetadataStore::DeleteRetryDelay(int attempts) {
  if (attempts < 1) return absl::ZeroDuration();
  // 2^12 s already exceeds the cap; stop before the shift can overflow.
  if (attempts > 13) return kMaxDeleteRetryDelay;
  return std::min(absl::Seconds(int64_t{1} << (attempts - 1)),
                  kMaxDeleteRetryDelay);
}

absl::Status MetadataStore::DeletesDueNow(uint32_t volume_id, absl::Time now) {
  const int64_t now_us = absl::ToUnixMicros(now);
  return Write([&](Database& db) -> absl::Status {
    ASSIGN_OR_RETURN(Statement update,
                     db.Prepare("UPDATE needle_deletes SET next_attempt_us = ? "
                                "WHERE volume_id = ? AND next_attempt_us > ?"));
    RETURN_IF_ERROR(update.BindAll(now_us, volume_id, now_us));
    return update.Run();
  });
}

absl::Status MetadataStore::RetryLater(absl::Span<const int64_t> delete_ids,
                                       absl::Time now) {
  if (delete_ids.empty()) return absl::OkStatus();
  return Write([&](Database& db) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement select,
        db.Prepare("SELECT attempts FROM needle_deletes WHERE delete_id = ?"));
    ASSIGN_OR_RETURN(Statement update,
                     db.Prepare("UPDATE needle_deletes SET attempts = ?, "
                                "next_attempt_us = ? WHERE delete_id = ?"));
    for (int64_t id : delete_ids) {
      RETURN_IF_ERROR(select.BindAll(id));
      ASSIGN_OR_RETURN(bool found, select.Step());
      const int64_t attempts = found ? select.ColumnInt64(0) + 1 : 0;
      select.Reset();
      if (!found) continue;
      const absl::Time next =
          now + DeleteRetryDelay(static_cast<int>(std::min<int64_t>(
                    attempts, std::numeric_limits<int>::max())));
      RETURN_IF_ERROR(update.BindAll(attempts, absl::ToUnixMicros(next), id));
      RETURN_IF_ERROR(update.Run());
      update.Reset();
    }
    return absl::OkStatus();
  });
}

}  // namespace warehouse::master
