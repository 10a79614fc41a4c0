// MetadataStore: beginning, committing and expiring uploads.
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/status_macros.h"
#include "master/metadata_store.h"
#include "master/names.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {
namespace {

NeedleRef ReadNeedle(const Statement& row, int first) {
  return NeedleRef{static_cast<uint32_t>(row.ColumnInt64(first)),
                   static_cast<uint64_t>(row.ColumnInt64(first + 1)),
                   static_cast<uint32_t>(row.ColumnInt64(first + 2))};
}

}  // namespace

absl::StatusOr<Upload> MetadataStore::BeginUpload(
    const BeginUploadRequest& request) {
  RETURN_IF_ERROR(ValidateObjectKey(request.key));
  RETURN_IF_ERROR(ValidateContentType(request.content_type));
  if (request.size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("upload of ", request.bucket, "/", request.key, ": size ",
                     request.size, " is negative"));
  }
  // Checked before a needle id is taken, so that a refused begin uses none.
  // Concurrent begins may overshoot the bound by their number.
  if (const size_t waiting = unwritten_.size();
      waiting >= options_.max_unwritten_uploads) {
    return absl::UnavailableError(absl::StrCat(
        "upload of ", request.bucket, "/", request.key, ": ", waiting,
        " uploads begun are waiting for their rows to be written; the "
        "metadata database is not keeping up, try again later"));
  }
  const absl::Time now = Now();
  if (request.expires <= now) {
    return absl::InvalidArgumentError(absl::StrCat(
        "upload of ", request.bucket, "/", request.key, ": expiry ",
        absl::FormatTime(request.expires), " is not in the future"));
  }
  int64_t bucket_id = 0;
  {
    ReadPool::Lease lease = readers_->Acquire();
    Database& db = lease.db();
    ASSIGN_OR_RETURN(bucket_id, FindBucketId(db, request.bucket));
    ASSIGN_OR_RETURN(Statement volume,
                     db.Prepare("SELECT read_only FROM volumes "
                                "WHERE volume_id = ?"));
    RETURN_IF_ERROR(volume.BindAll(request.volume_id));
    ASSIGN_OR_RETURN(bool found, volume.Step());
    if (!found) {
      return absl::NotFoundError(
          absl::StrCat("volume ", request.volume_id, " does not exist"));
    }
    if (volume.ColumnInt64(0) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("volume ", request.volume_id, " is read-only"));
    }
  }
  ASSIGN_OR_RETURN(const uint64_t needle_id, TakeNeedleId(request.volume_id));
  if (options_.after_needle_id_taken_for_testing) {
    options_.after_needle_id_taken_for_testing();
  }
  Upload upload;
  upload.upload_id = static_cast<int64_t>(needle_id);
  upload.bucket = request.bucket;
  upload.key = request.key;
  upload.size = request.size;
  upload.content_type = request.content_type;
  upload.needle = {request.volume_id, needle_id, request.cookie};
  upload.created = now;
  upload.expires = request.expires;

  if (options_.pending_row_delay == absl::ZeroDuration()) {
    // Written before the answer, so that a killed process forgets no
    // upload it answered (a power loss may still take the unsynced row).
    RETURN_IF_ERROR(
        WriteRows({{bucket_id, upload}}, WriteBatcher::Sync::kWithNext));
    return upload;
  }
  // No write here: the commit usually comes before the row falls due, and
  // then the row is never written (UnwrittenUploads).
  unwritten_.Add({bucket_id, upload});
  return upload;
}

void MetadataStore::WriteDueRows() {
  // The failure last logged; empty while writes succeed. A failing database
  // (a full disk) is retried as rows fall due, and logged once per error.
  std::string failing;
  while (!unwritten_.WaitForDue()) {
    absl::Status written = WriteRows({}, WriteBatcher::Sync::kWithNext);
    if (!written.ok() && written.ToString() != failing) {
      failing = written.ToString();
      spdlog::warn(
          "database: writing the rows of pending uploads failed, trying "
          "again as they fall due: {}",
          failing);
    } else if (written.ok() && !failing.empty()) {
      failing.clear();
      spdlog::info("database: the rows of pending uploads are written again");
    }
  }
}

absl::Status MetadataStore::WriteRows(std::vector<UnwrittenUploads::Row> rows,
                                      WriteBatcher::Sync sync) {
  const absl::Time now = Now();
  absl::Status written = Write(
      [&](Database& db) -> absl::Status {
        // Claimed inside the transaction that inserts them, settled after
        // it (UnwrittenUploads).
        std::vector<UnwrittenUploads::Row> due =
            unwritten_.ClaimDue(absl::Now());
        rows.insert(rows.end(), std::make_move_iterator(due.begin()),
                    std::make_move_iterator(due.end()));
        ASSIGN_OR_RETURN(
            Statement insert,
            db.Prepare("INSERT INTO pending_uploads (volume_id, needle_id, "
                       "cookie, bucket_id, key, size, content_type, "
                       "created_at_us, expires_at_us) "
                       "SELECT ?, ?, ?, bucket_id, ?, ?, ?, ?, ? FROM buckets "
                       "WHERE bucket_id = ?"));
        for (const UnwrittenUploads::Row& row : rows) {
          const Upload& upload = row.upload;
          insert.Reset();
          RETURN_IF_ERROR(insert.BindAll(
              upload.needle.volume_id, upload.needle.needle_id,
              upload.needle.cookie, upload.key, upload.size,
              upload.content_type, absl::ToUnixMicros(upload.created),
              absl::ToUnixMicros(upload.expires), row.bucket_id));
          RETURN_IF_ERROR(insert.Run());
          // No row: the bucket was deleted after the upload began, so the
          // upload is cancelled as DeleteBucket cancels the others.
          if (db.changes() == 0) {
            RETURN_IF_ERROR(
                EnqueueDelete(db, upload.needle, "bucket deleted", now));
          }
        }
        return absl::OkStatus();
      },
      sync);
  unwritten_.Settle(rows, written.ok());
  return written;
}

absl::StatusOr<uint64_t> MetadataStore::TakeNeedleId(uint32_t volume_id) {
  if (std::optional<uint64_t> id = needle_ids_.Take(volume_id)) return *id;
  // One reservation at a time, so that concurrent callers share its range
  // rather than each reserving one and skipping the others' ids. The lock
  // is held across the synced write on purpose: the callers it holds back
  // are waiting for those ids.
  absl::MutexLock lock(&reserve_mu_);
  for (;;) {
    if (std::optional<uint64_t> id = needle_ids_.Take(volume_id)) return *id;
    // Reserve the next ids durably (a synced write) before handing out any.
    uint64_t limit = 0;
    RETURN_IF_ERROR(Write([&](Database& db) -> absl::Status {
      ASSIGN_OR_RETURN(
          Statement reserve,
          db.Prepare("UPDATE volumes SET next_needle_id = next_needle_id + ? "
                     "WHERE volume_id = ? RETURNING next_needle_id"));
      RETURN_IF_ERROR(reserve.BindAll(
          static_cast<int64_t>(NeedleIdRanges::kReservation), volume_id));
      ASSIGN_OR_RETURN(bool found, reserve.Step());
      if (!found) {
        return absl::NotFoundError(
            absl::StrCat("volume ", volume_id, " does not exist"));
      }
      limit = static_cast<uint64_t>(reserve.ColumnInt64(0));
      return reserve.Run();  // steps to the end of the statement
    }));
    needle_ids_.Grant(volume_id, limit - NeedleIdRanges::kReservation, limit);
  }
}

absl::StatusOr<ObjectRecord> MetadataStore::CommitUpload(
    const CommitUploadRequest& report) {
  return std::move(CommitUploads(absl::MakeConstSpan(&report, 1)).front());
}

std::vector<absl::StatusOr<ObjectRecord>> MetadataStore::CommitUploads(
    absl::Span<const CommitUploadRequest> reports) {
  const absl::Time now = Now();
  std::vector<absl::Status> statuses(reports.size());
  std::vector<ObjectRecord> objects(reports.size());
  // The rows claimed from memory for uploads whose rows are not written.
  std::vector<std::optional<UnwrittenUploads::Row>> claimed(reports.size());
  // The closures of the valid reports. RunEach takes FunctionRefs, so the
  // lambdas live in `commits` until it returns.
  std::vector<std::function<absl::Status(Database&)>> commits;
  std::vector<size_t> submitted;  // the index of each closure's report
  commits.reserve(reports.size());
  submitted.reserve(reports.size());
  for (size_t i = 0; i < reports.size(); ++i) {
    statuses[i] = ValidateIdentifier("etag", reports[i].etag);
    if (!statuses[i].ok()) continue;
    commits.push_back([&, i](Database& db) {
      absl::Status status =
          CommitUploadIn(db, reports[i], now, &objects[i], &claimed[i]);
      // A report refused leaves its upload pending, as the rolled-back
      // delete of a written row does.
      if (!status.ok() && claimed[i].has_value()) {
        unwritten_.Settle({*claimed[i]}, /*committed=*/false);
        claimed[i].reset();
      }
      return status;
    });
    submitted.push_back(i);
  }
  std::vector<WriteBatcher::Work> works(commits.begin(), commits.end());
  std::vector<absl::Status> results(works.size());
  writer_->RunEach(works, absl::MakeSpan(results));
  for (size_t j = 0; j < submitted.size(); ++j) {
    statuses[submitted[j]] = std::move(results[j]);
  }

  std::vector<absl::StatusOr<ObjectRecord>> committed;
  committed.reserve(reports.size());
  for (size_t i = 0; i < reports.size(); ++i) {
    if (claimed[i].has_value()) {
      unwritten_.Settle({*claimed[i]}, statuses[i].ok());
    }
    if (statuses[i].ok()) {
      committed.push_back(std::move(objects[i]));
    } else {
      committed.push_back(std::move(statuses[i]));
    }
  }
  return committed;
}

absl::Status MetadataStore::CommitUploadIn(
    Database& db, const CommitUploadRequest& report, absl::Time now,
    ObjectRecord* object, std::optional<UnwrittenUploads::Row>* claimed) {
  const int64_t now_us = absl::ToUnixMicros(now);
  // The pending upload, from memory if its row is not written yet
  // (UnwrittenUploads), else from its row. An upload's number is the id of
  // the needle it was given.
  *claimed = unwritten_.Claim(report.needle.volume_id,
                              static_cast<uint64_t>(report.upload_id));
  std::optional<UnwrittenUploads::Row> written_row;
  if (claimed->has_value()) {
    ASSIGN_OR_RETURN(Statement bucket,
                     db.Prepare("SELECT 1 FROM buckets WHERE bucket_id = ?"));
    RETURN_IF_ERROR(bucket.BindAll((*claimed)->bucket_id));
    ASSIGN_OR_RETURN(bool bucket_exists, bucket.Step());
    if (!bucket_exists) {
      // Begun while its bucket was being deleted: cancelled, as
      // DeleteBucket cancels the others.
      unwritten_.Settle({**claimed}, /*committed=*/true);
      claimed->reset();
      return absl::NotFoundError(absl::StrCat("upload ", report.upload_id,
                                              " does not exist: its bucket was "
                                              "deleted"));
    }
  } else {
    ASSIGN_OR_RETURN(
        Statement pending,
        db.Prepare("SELECT p.bucket_id, b.name, p.key, p.size, "
                   "p.content_type, p.volume_id, p.needle_id, p.cookie, "
                   "p.expires_at_us FROM pending_uploads p "
                   "JOIN buckets b ON b.bucket_id = p.bucket_id "
                   "WHERE p.volume_id = ? AND p.needle_id = ?"));
    RETURN_IF_ERROR(pending.BindAll(report.needle.volume_id, report.upload_id));
    ASSIGN_OR_RETURN(bool found, pending.Step());
    if (found) {
      UnwrittenUploads::Row& row = written_row.emplace();
      row.bucket_id = pending.ColumnInt64(0);
      row.upload.bucket = pending.ColumnText(1);
      row.upload.key = pending.ColumnText(2);
      row.upload.size = pending.ColumnInt64(3);
      row.upload.content_type = pending.ColumnText(4);
      row.upload.needle = ReadNeedle(pending, 5);
      row.upload.expires = absl::FromUnixMicros(pending.ColumnInt64(8));
    }
  }
  const UnwrittenUploads::Row* pending =
      claimed->has_value()
          ? &**claimed
          : (written_row.has_value() ? &*written_row : nullptr);
  if (pending == nullptr ||
      absl::ToUnixMicros(pending->upload.expires) <= now_us) {
    // Committed already? Then, unless it was replaced or deleted since,
    // the reported needle is still its key's object (needle ids are never
    // reused) and this report is a repeat.
    ASSIGN_OR_RETURN(
        Statement committed,
        db.Prepare("SELECT o.key, o.size, o.etag, o.content_type, "
                   "o.volume_id, o.needle_id, o.cookie, o.created_at_us, "
                   "o.updated_at_us, o.state, b.name FROM objects o "
                   "JOIN buckets b ON b.bucket_id = o.bucket_id "
                   "WHERE o.volume_id = ? AND o.needle_id = ? "
                   "AND o.cookie = ?"));
    RETURN_IF_ERROR(committed.BindAll(report.needle.volume_id,
                                      report.needle.needle_id,
                                      report.needle.cookie));
    ASSIGN_OR_RETURN(bool was_committed, committed.Step());
    if (pending == nullptr && was_committed) {
      ASSIGN_OR_RETURN(*object,
                       ReadObject(db, committed, committed.ColumnText(10)));
      if (object->size != report.size || object->etag != report.etag ||
          (report.content_type.has_value() &&
           *report.content_type != object->content_type)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "upload ", report.upload_id, ": ", DescribeNeedle(report.needle),
            " already committed as ", object->bucket, "/", object->key,
            " with size ", object->size, ", etag ", object->etag,
            " and content type \"", object->content_type,
            "\", but this report says size ", report.size, ", etag ",
            report.etag, " and content type \"",
            report.content_type.value_or(object->content_type), "\""));
      }
      return absl::OkStatus();
    }
    return absl::NotFoundError(absl::StrCat(
        "upload ", report.upload_id,
        pending != nullptr
            ? " expired"
            : " does not exist: it expired, its bucket was deleted, it "
              "was never begun (or begun just before the master stopped "
              "abruptly), or it committed and was since replaced"));
  }
  const int64_t bucket_id = pending->bucket_id;
  object->bucket = pending->upload.bucket;
  object->key = pending->upload.key;
  const int64_t declared_size = pending->upload.size;
  object->content_type = pending->upload.content_type;
  object->needle = pending->upload.needle;
  if (report.needle != object->needle) {
    return absl::InvalidArgumentError(absl::StrCat(
        "upload ", report.upload_id, ": reported ",
        DescribeNeedle(report.needle), " but the upload was assigned ",
        DescribeNeedle(object->needle)));
  }
  if (report.size != declared_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "upload ", report.upload_id, ": reported size ", report.size, " but ",
        declared_size, " bytes were declared when it began"));
  }
  if (report.content_type.has_value() &&
      *report.content_type != object->content_type) {
    return absl::InvalidArgumentError(absl::StrCat(
        "upload ", report.upload_id, ": reported content type \"",
        *report.content_type, "\" but the upload was begun with \"",
        object->content_type, "\""));
  }
  object->size = declared_size;
  object->etag = report.etag;
  object->created = now;
  object->updated = now;
  object->state = ObjectState::kLive;

  ASSIGN_OR_RETURN(Statement previous,
                   db.Prepare("SELECT volume_id, needle_id, cookie, size, "
                              "created_at_us FROM objects "
                              "WHERE bucket_id = ? AND key = ?"));
  RETURN_IF_ERROR(previous.BindAll(bucket_id, object->key));
  ASSIGN_OR_RETURN(bool replaces, previous.Step());
  int64_t count_delta = 1;
  int64_t bytes_delta = object->size;
  if (replaces) {
    RETURN_IF_ERROR(
        EnqueueDelete(db, ReadNeedle(previous, 0), "overwritten", now));
    count_delta = 0;
    bytes_delta -= previous.ColumnInt64(3);
    object->created = absl::FromUnixMicros(previous.ColumnInt64(4));
  }
  ASSIGN_OR_RETURN(
      Statement upsert,
      db.Prepare("INSERT INTO objects (bucket_id, key, size, etag, "
                 "content_type, volume_id, needle_id, cookie, "
                 "created_at_us, updated_at_us, state) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                 "ON CONFLICT (bucket_id, key) DO UPDATE SET "
                 "size = excluded.size, etag = excluded.etag, "
                 "content_type = excluded.content_type, "
                 "volume_id = excluded.volume_id, "
                 "needle_id = excluded.needle_id, "
                 "cookie = excluded.cookie, "
                 "updated_at_us = excluded.updated_at_us, "
                 "state = excluded.state"));
  RETURN_IF_ERROR(upsert.BindAll(
      bucket_id, object->key, object->size, object->etag, object->content_type,
      object->needle.volume_id, object->needle.needle_id, object->needle.cookie,
      absl::ToUnixMicros(object->created), now_us,
      ObjectStateName(object->state)));
  RETURN_IF_ERROR(upsert.Run());

  ASSIGN_OR_RETURN(Statement counters,
                   db.Prepare("UPDATE buckets SET object_count = "
                              "object_count + ?, total_bytes = total_bytes "
                              "+ ? WHERE bucket_id = ?"));
  RETURN_IF_ERROR(counters.BindAll(count_delta, bytes_delta, bucket_id));
  RETURN_IF_ERROR(counters.Run());

  if (!written_row.has_value()) return absl::OkStatus();
  ASSIGN_OR_RETURN(Statement remove,
                   db.Prepare("DELETE FROM pending_uploads WHERE volume_id = ? "
                              "AND needle_id = ?"));
  RETURN_IF_ERROR(
      remove.BindAll(object->needle.volume_id, object->needle.needle_id));
  return remove.Run();
}

absl::StatusOr<int64_t> MetadataStore::ExpireUploads(absl::Time now) {
  const int64_t now_us = absl::ToUnixMicros(now);
  int64_t expired = 0;
  std::vector<UnwrittenUploads::Row> claimed;
  absl::Status status = Write([&](Database& db) -> absl::Status {
    // Claimed inside this transaction, settled after it (UnwrittenUploads).
    claimed = unwritten_.ClaimIf([now_us](const UnwrittenUploads::Row& row) {
      return absl::ToUnixMicros(row.upload.expires) <= now_us;
    });
    for (const UnwrittenUploads::Row& row : claimed) {
      RETURN_IF_ERROR(EnqueueDelete(db, row.upload.needle, "expired", now));
    }
    expired = static_cast<int64_t>(claimed.size());
    ASSIGN_OR_RETURN(Statement select,
                     db.Prepare("SELECT volume_id, needle_id, cookie FROM "
                                "pending_uploads WHERE expires_at_us <= ?"));
    RETURN_IF_ERROR(select.BindAll(now_us));
    for (;;) {
      ASSIGN_OR_RETURN(bool has_row, select.Step());
      if (!has_row) break;
      RETURN_IF_ERROR(EnqueueDelete(db, ReadNeedle(select, 0), "expired", now));
      ++expired;
    }
    ASSIGN_OR_RETURN(
        Statement remove,
        db.Prepare("DELETE FROM pending_uploads WHERE expires_at_us <= ?"));
    RETURN_IF_ERROR(remove.BindAll(now_us));
    return remove.Run();
  });
  unwritten_.Settle(claimed, status.ok());
  if (!status.ok()) return status;
  return expired;
}

}  // namespace warehouse::master
