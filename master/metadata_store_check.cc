// MetadataStore: what the consistency check reads and repairs.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "master/metadata_store.h"

namespace warehouse::master {
namespace {

// A row when an object (live or lost), a pending upload's row or a queued
// delete names volume ?1, needle ?2.
constexpr char kNeedleNamedQuery[] =
    "SELECT 1 FROM objects WHERE volume_id = ?1 AND needle_id = ?2 "
    "UNION ALL "
    "SELECT 1 FROM pending_uploads WHERE volume_id = ?1 AND needle_id = ?2 "
    "UNION ALL "
    "SELECT 1 FROM needle_deletes WHERE volume_id = ?1 AND needle_id = ?2 "
    "LIMIT 1";

// Every needle id the query (bound to the volume id) returns, sorted.
absl::StatusOr<std::vector<uint64_t>> ReadNeedleIds(Database& db,
                                                    absl::string_view sql,
                                                    uint32_t volume_id) {
  ASSIGN_OR_RETURN(Statement query, db.Prepare(sql));
  RETURN_IF_ERROR(query.BindAll(volume_id));
  std::vector<uint64_t> ids;
  for (;;) {
    ASSIGN_OR_RETURN(bool has_row, query.Step());
    if (!has_row) break;
    ids.push_back(static_cast<uint64_t>(query.ColumnInt64(0)));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

absl::StatusOr<VolumeSnapshot> MetadataStore::SnapshotVolume(
    uint32_t volume_id) {
  // Needles the volume holds with ids at or above this are of uploads begun
  // after the snapshot. Those begun before it are pending in memory, read
  // next, or in the database, read after: a row leaves memory only once
  // the transaction that wrote it or its object has committed
  // (UnwrittenUploads).
  const std::optional<uint64_t> next_unused = needle_ids_.NextUnused(volume_id);
  std::vector<uint64_t> unwritten_ids = unwritten_.NeedleIds(volume_id);
  ReadPool::Lease lease = readers_->Acquire();
  Database& db = lease.db();
  // One snapshot: an upload moves from pending_uploads to objects, and a
  // needle from objects to needle_deletes, in one transaction, so nothing
  // falls between the three reads.
  ASSIGN_OR_RETURN(Transaction snapshot,
                   Transaction::Begin(db, Transaction::Mode::kDeferred));
  VolumeSnapshot result;
  result.volume_id = volume_id;
  {
    ASSIGN_OR_RETURN(Statement volume,
                     db.Prepare("SELECT next_needle_id FROM volumes "
                                "WHERE volume_id = ?"));
    RETURN_IF_ERROR(volume.BindAll(volume_id));
    ASSIGN_OR_RETURN(bool found, volume.Step());
    if (!found) {
      return absl::NotFoundError(
          absl::StrCat("volume ", volume_id, " does not exist"));
    }
    // With no id handed out since the store opened, the volume's bound.
    result.next_needle_id =
        next_unused.value_or(static_cast<uint64_t>(volume.ColumnInt64(0)));
  }
  {
    ASSIGN_OR_RETURN(
        Statement objects,
        db.Prepare("SELECT o.needle_id, o.cookie, o.size, b.name, o.key, "
                   "o.state FROM objects o JOIN buckets b USING (bucket_id) "
                   "WHERE o.volume_id = ? ORDER BY o.needle_id"));
    RETURN_IF_ERROR(objects.BindAll(volume_id));
    for (;;) {
      ASSIGN_OR_RETURN(bool has_row, objects.Step());
      if (!has_row) break;
      ObjectNeedle& object = result.objects.emplace_back();
      object.needle_id = static_cast<uint64_t>(objects.ColumnInt64(0));
      object.cookie = static_cast<uint32_t>(objects.ColumnInt64(1));
      object.size = objects.ColumnInt64(2);
      object.bucket = objects.ColumnText(3);
      object.key = objects.ColumnText(4);
      object.lost = objects.ColumnText(5) != "live";
    }
  }
  ASSIGN_OR_RETURN(
      result.pending_needle_ids,
      ReadNeedleIds(db, "SELECT needle_id FROM pending_uploads "
                        "WHERE volume_id = ?", volume_id));
  // A row written between the two reads is in both.
  std::vector<uint64_t>& pending = result.pending_needle_ids;
  pending.insert(pending.end(), unwritten_ids.begin(), unwritten_ids.end());
  std::sort(pending.begin(), pending.end());
  pending.erase(std::unique(pending.begin(), pending.end()), pending.end());
  ASSIGN_OR_RETURN(
      result.deleting_needle_ids,
      ReadNeedleIds(db, "SELECT needle_id FROM needle_deletes "
                        "WHERE volume_id = ?", volume_id));
  return result;
}

absl::StatusOr<bool> MetadataStore::ObjectHasNeedle(const NeedleRef& needle) {
  ReadPool::Lease lease = readers_->Acquire();
  Database& db = lease.db();
  ASSIGN_OR_RETURN(
      Statement query,
      db.Prepare("SELECT 1 FROM objects WHERE volume_id = ? AND "
                 "needle_id = ? AND cookie = ? AND state = 'live'"));
  RETURN_IF_ERROR(query.BindAll(needle.volume_id, needle.needle_id,
                                needle.cookie));
  return query.Step();
}

absl::StatusOr<std::optional<std::pair<std::string, std::string>>>
MetadataStore::ObjectOfNeedle(uint32_t volume_id, uint64_t needle_id) {
  ReadPool::Lease lease = readers_->Acquire();
  ASSIGN_OR_RETURN(
      Statement query,
      lease.db().Prepare("SELECT buckets.name, objects.key FROM objects "
                         "JOIN buckets USING (bucket_id) "
                         "WHERE objects.volume_id = ? AND objects.needle_id = ? "
                         "AND objects.state = 'live'"));
  RETURN_IF_ERROR(query.BindAll(volume_id, needle_id));
  ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return std::nullopt;
  return std::make_pair(query.ColumnText(0), query.ColumnText(1));
}

absl::StatusOr<bool> MetadataStore::NeedleNamed(const NeedleRef& needle) {
  // Memory first, then the database: an upload whose row is written
  // meanwhile is found in one or the other (UnwrittenUploads).
  if (unwritten_.Contains(needle.volume_id, needle.needle_id)) return true;
  ReadPool::Lease lease = readers_->Acquire();
  Database& db = lease.db();
  ASSIGN_OR_RETURN(Statement named, db.Prepare(kNeedleNamedQuery));
  RETURN_IF_ERROR(named.BindAll(needle.volume_id, needle.needle_id));
  return named.Step();
}

absl::StatusOr<int64_t> MetadataStore::QueueOrphans(
    absl::Span<const NeedleRef> needles) {
  int64_t queued = 0;
  const absl::Time now = Now();
  absl::Status status = Write([&](Database& db) -> absl::Status {
    queued = 0;
    ASSIGN_OR_RETURN(Statement named, db.Prepare(kNeedleNamedQuery));
    for (const NeedleRef& needle : needles) {
      // Pending in memory: checked inside this transaction, so the upload
      // cannot move to the database unseen meanwhile (UnwrittenUploads).
      if (unwritten_.Contains(needle.volume_id, needle.needle_id)) continue;
      named.Reset();
      RETURN_IF_ERROR(named.BindAll(needle.volume_id, needle.needle_id));
      ASSIGN_OR_RETURN(bool is_named, named.Step());
      if (is_named) continue;
      RETURN_IF_ERROR(EnqueueDelete(db, needle, "orphan", now));
      ++queued;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return queued;
}

}  // namespace warehouse::master
