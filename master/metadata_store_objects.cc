// MetadataStore: reading, deleting and listing objects.
#include <algorithm>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "master/continuation_token.h"
#include "master/metadata_store.h"
#include "master/names.h"

namespace warehouse::master {
namespace {

// The smallest string greater than every string that starts with `prefix`,
// or nullopt when there is none (the prefix is all 0xff bytes, which valid
// UTF-8 never contains).
std::optional<std::string> PrefixSuccessor(absl::string_view prefix) {
  std::string next(prefix);
  while (!next.empty() && static_cast<unsigned char>(next.back()) == 0xff) {
    next.pop_back();
  }
  if (next.empty()) return std::nullopt;
  next.back() = static_cast<char>(static_cast<unsigned char>(next.back()) + 1);
  return next;
}

// The smallest string greater than `key`: the next page starts there.
std::string KeySuccessor(absl::string_view key) {
  std::string next(key);
  next.push_back('\0');
  return next;
}

}  // namespace

absl::StatusOr<ObjectRecord> MetadataStore::GetObject(absl::string_view bucket,
                                                      absl::string_view key) {
  RETURN_IF_ERROR(ValidateObjectKey(key));
  ReadPool::Lease lease = readers_->Acquire();
  Database& db = lease.db();
  ASSIGN_OR_RETURN(
      Statement select,
      db.Prepare(
          "SELECT o.key, o.size, o.etag, o.content_type, o.volume_id, "
          "o.needle_id, o.cookie, o.created_at_us, o.updated_at_us, "
          "o.state FROM buckets b JOIN objects o "
          "ON o.bucket_id = b.bucket_id WHERE b.name = ? AND o.key = ?"));
  RETURN_IF_ERROR(select.BindAll(bucket, key));
  ASSIGN_OR_RETURN(bool found, select.Step());
  if (found) return ReadObject(db, select, std::string(bucket));
  // Tell a missing bucket from a missing key.
  RETURN_IF_ERROR(FindBucketId(db, bucket).status());
  return absl::NotFoundError(
      absl::StrCat("object ", bucket, "/", key, " does not exist"));
}

absl::Status MetadataStore::DeleteObject(absl::string_view bucket,
                                         absl::string_view key) {
  RETURN_IF_ERROR(ValidateObjectKey(key));
  const absl::Time now = Now();
  return Write([&](Database& db) -> absl::Status {
    ASSIGN_OR_RETURN(const int64_t bucket_id, FindBucketId(db, bucket));
    ASSIGN_OR_RETURN(
        Statement select,
        db.Prepare("SELECT volume_id, needle_id, cookie, size "
                   "FROM objects WHERE bucket_id = ? AND key = ?"));
    RETURN_IF_ERROR(select.BindAll(bucket_id, key));
    ASSIGN_OR_RETURN(bool found, select.Step());
    if (!found) {
      return absl::NotFoundError(
          absl::StrCat("object ", bucket, "/", key, " does not exist"));
    }
    const NeedleRef needle{static_cast<uint32_t>(select.ColumnInt64(0)),
                           static_cast<uint64_t>(select.ColumnInt64(1)),
                           static_cast<uint32_t>(select.ColumnInt64(2))};
    const int64_t size = select.ColumnInt64(3);
    ASSIGN_OR_RETURN(
        Statement remove,
        db.Prepare("DELETE FROM objects WHERE bucket_id = ? AND key = ?"));
    RETURN_IF_ERROR(remove.BindAll(bucket_id, key));
    RETURN_IF_ERROR(remove.Run());
    RETURN_IF_ERROR(EnqueueDelete(db, needle, "deleted", now));
    ASSIGN_OR_RETURN(Statement counters,
                     db.Prepare("UPDATE buckets SET object_count = "
                                "object_count - 1, total_bytes = total_bytes "
                                "- ? WHERE bucket_id = ?"));
    RETURN_IF_ERROR(counters.BindAll(size, bucket_id));
    return counters.Run();
  });
}

absl::StatusOr<ListObjectsResult> MetadataStore::ListObjects(
    const ListObjectsRequest& request) {
  if (request.max_keys < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("listing ", request.bucket, ": max keys ",
                     request.max_keys, " is less than 1"));
  }
  RETURN_IF_ERROR(ValidateKeyFragment("prefix", request.prefix));
  RETURN_IF_ERROR(ValidateKeyFragment("delimiter", request.delimiter));
  const size_t max_items =
      static_cast<size_t>(std::min(request.max_keys, kMaxListKeys));
  const absl::string_view prefix = request.prefix;
  const absl::string_view delimiter = request.delimiter;
  const ListingScope scope{request.bucket, prefix, delimiter};

  // `resume` is the smallest key the page may return.
  std::string resume(prefix);
  if (!request.continuation_token.empty()) {
    ASSIGN_OR_RETURN(
        resume, DecodeContinuationToken(scope, request.continuation_token));
  }

  ReadPool::Lease lease = readers_->Acquire();
  Database& db = lease.db();
  // One snapshot for the whole page.
  ASSIGN_OR_RETURN(Transaction snapshot,
                   Transaction::Begin(db, Transaction::Mode::kDeferred));
  ASSIGN_OR_RETURN(const int64_t bucket_id, FindBucketId(db, request.bucket));
  // Walks the (bucket_id, key) primary key from `resume` on; each common
  // prefix found costs one seek past all the keys inside it.
  ASSIGN_OR_RETURN(
      Statement scan,
      db.Prepare("SELECT key, size, etag, content_type, volume_id, needle_id, "
                 "cookie, created_at_us, updated_at_us, state FROM objects "
                 "WHERE bucket_id = ? AND key >= ? ORDER BY key"));
  RETURN_IF_ERROR(scan.BindAll(bucket_id, resume));

  ListObjectsResult result;
  size_t items = 0;
  for (;;) {
    ASSIGN_OR_RETURN(bool has_row, scan.Step());
    if (!has_row) break;
    std::string key = scan.ColumnText(0);
    if (!absl::StartsWith(key, prefix)) break;  // past the prefix's keys
    if (items == max_items) {
      // Another item exists after the page: it is a key or a common prefix
      // not yet returned, since the scan already skipped the last one.
      result.truncated = true;
      result.next_continuation_token = EncodeContinuationToken(scope, resume);
      break;
    }
    ++items;
    const size_t found =
        delimiter.empty()
            ? std::string::npos
            : key.find(delimiter.data(), prefix.size(), delimiter.size());
    if (found == std::string::npos) {
      ASSIGN_OR_RETURN(ObjectRecord object,
                       ReadObject(db, scan, request.bucket));
      result.objects.push_back(std::move(object));
      resume = KeySuccessor(key);
      continue;
    }
    key.resize(found + delimiter.size());
    std::optional<std::string> after = PrefixSuccessor(key);
    result.common_prefixes.push_back(std::move(key));
    if (!after.has_value()) break;  // no key can sort after this prefix
    resume = std::move(*after);
    scan.Reset();
    RETURN_IF_ERROR(scan.BindText(2, resume));
  }
  RETURN_IF_ERROR(snapshot.Commit());
  return result;
}

absl::StatusOr<int64_t> MetadataStore::MarkVolumeLost(uint32_t volume_id) {
  int64_t changed = 0;
  absl::Status status = Write([&](Database& db) -> absl::Status {
    ASSIGN_OR_RETURN(Statement update,
                     db.Prepare("UPDATE objects SET state = ? "
                                "WHERE volume_id = ? AND state != ?"));
    const absl::string_view lost = ObjectStateName(ObjectState::kLost);
    RETURN_IF_ERROR(update.BindAll(lost, volume_id, lost));
    RETURN_IF_ERROR(update.Run());
    changed = db.changes();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return changed;
}

}  // namespace warehouse::master
