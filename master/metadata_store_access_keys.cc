// MetadataStore: access keys.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "master/metadata_store.h"
#include "master/names.h"

namespace warehouse::master {
namespace {

constexpr char kAllBuckets[] = "*";

// Stored comma-separated: bucket names cannot contain a comma.
absl::Status ValidateAllowedBuckets(const AccessKey& key) {
  for (const std::string& bucket : key.allowed_buckets) {
    if (bucket == kAllBuckets) {
      if (key.allowed_buckets.size() != 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "access key ", key.access_key_id,
            ": \"*\" (every bucket) must be the only allowed bucket"));
      }
      continue;
    }
    absl::Status valid = ValidateBucketName(bucket);
    if (!valid.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "access key ", key.access_key_id, ": ", valid.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateDescription(const AccessKey& key) {
  if (key.description.size() > kMaxAccessKeyDescriptionBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("access key ", key.access_key_id, ": the description is ",
                     key.description.size(), " bytes, more than the ",
                     kMaxAccessKeyDescriptionBytes, " allowed"));
  }
  const size_t bad = FindInvalidUtf8(key.description);
  if (bad != key.description.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("access key ", key.access_key_id,
                     ": the description is not valid UTF-8 at byte ", bad));
  }
  if (key.description.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "access key ", key.access_key_id, ": the description contains NUL"));
  }
  return absl::OkStatus();
}

// Reads access_key_id, sealed_secret, role, allowed_buckets, created_at_us,
// revoked_at_us, description.
absl::StatusOr<AccessKey> ReadAccessKey(const Database& db,
                                        const Statement& row) {
  AccessKey key;
  key.access_key_id = row.ColumnText(0);
  key.sealed_secret = row.ColumnBlob(1);
  auto role = ParseAccessRole(row.ColumnText(2));
  if (!role.ok()) {
    return absl::DataLossError(absl::StrCat("database ", db.path(),
                                            ": access key ", key.access_key_id,
                                            ": ", role.status().message()));
  }
  key.role = *role;
  const std::string buckets = row.ColumnText(3);
  if (!buckets.empty()) {
    key.allowed_buckets = absl::StrSplit(buckets, ',');
  }
  key.created = absl::FromUnixMicros(row.ColumnInt64(4));
  if (!row.ColumnIsNull(5)) {
    key.revoked = absl::FromUnixMicros(row.ColumnInt64(5));
  }
  key.description = row.ColumnText(6);
  return key;
}

constexpr char kSelectAccessKeys[] =
    "SELECT access_key_id, sealed_secret, role, allowed_buckets, "
    "created_at_us, revoked_at_us, description FROM access_keys";

}  // namespace

absl::Status MetadataStore::InsertAccessKey(const AccessKey& key) {
  RETURN_IF_ERROR(ValidateIdentifier("access key id", key.access_key_id));
  if (key.sealed_secret.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "access key ", key.access_key_id, ": the sealed secret is empty"));
  }
  RETURN_IF_ERROR(ValidateAllowedBuckets(key));
  RETURN_IF_ERROR(ValidateDescription(key));
  if (key.revoked.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "access key ", key.access_key_id, ": a new key cannot be revoked"));
  }
  const int64_t now_us = absl::ToUnixMicros(Now());
  return Write([&](Database& db) -> absl::Status {
    ASSIGN_OR_RETURN(
        Statement insert,
        db.Prepare("INSERT INTO access_keys (access_key_id, sealed_secret, "
                   "role, allowed_buckets, created_at_us, revoked_at_us, "
                   "description) VALUES (?, ?, ?, ?, ?, NULL, ?)"));
    RETURN_IF_ERROR(insert.BindAll(
        key.access_key_id, Blob{key.sealed_secret}, AccessRoleName(key.role),
        absl::StrJoin(key.allowed_buckets, ","), now_us, key.description));
    absl::Status inserted = insert.Run();
    if (absl::IsAlreadyExists(inserted)) {
      return absl::AlreadyExistsError(
          absl::StrCat("access key ", key.access_key_id, " already exists"));
    }
    return inserted;
  });
}

absl::StatusOr<AccessKey> MetadataStore::GetAccessKey(
    absl::string_view access_key_id) {
  ReadPool::Lease lease = readers_->Acquire();
  ASSIGN_OR_RETURN(Statement select,
                   lease.db().Prepare(absl::StrCat(
                       kSelectAccessKeys, " WHERE access_key_id = ?")));
  RETURN_IF_ERROR(select.BindAll(access_key_id));
  ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("access key ", access_key_id, " does not exist"));
  }
  return ReadAccessKey(lease.db(), select);
}

absl::StatusOr<std::vector<AccessKey>> MetadataStore::ListAccessKeys() {
  ReadPool::Lease lease = readers_->Acquire();
  ASSIGN_OR_RETURN(Statement select,
                   lease.db().Prepare(absl::StrCat(kSelectAccessKeys,
                                                   " ORDER BY access_key_id")));
  std::vector<AccessKey> keys;
  for (;;) {
    ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) break;
    ASSIGN_OR_RETURN(AccessKey key, ReadAccessKey(lease.db(), select));
    keys.push_back(std::move(key));
  }
  return keys;
}

absl::Status MetadataStore::RevokeAccessKey(absl::string_view access_key_id) {
  const int64_t now_us = absl::ToUnixMicros(Now());
  return Write([&](Database& db) -> absl::Status {
    ASSIGN_OR_RETURN(Statement find,
                     db.Prepare("SELECT role, revoked_at_us IS NULL FROM "
                                "access_keys WHERE access_key_id = ?"));
    RETURN_IF_ERROR(find.BindAll(access_key_id));
    ASSIGN_OR_RETURN(bool found, find.Step());
    if (!found) {
      return absl::NotFoundError(
          absl::StrCat("access key ", access_key_id, " does not exist"));
    }
    const bool live_admin =
        find.ColumnText(0) == AccessRoleName(AccessRole::kAdmin) &&
        find.ColumnInt64(1) != 0;
    if (live_admin) {
      ASSIGN_OR_RETURN(Statement admins,
                       db.Prepare("SELECT count(*) FROM access_keys WHERE "
                                  "role = ? AND revoked_at_us IS NULL"));
      RETURN_IF_ERROR(admins.BindAll(AccessRoleName(AccessRole::kAdmin)));
      ASSIGN_OR_RETURN(bool counted, admins.Step());
      if (counted && admins.ColumnInt64(0) <= 1) {
        return absl::FailedPreconditionError(
            absl::StrCat("access key ", access_key_id,
                         " is the last admin key: revoking it would lock every "
                         "administrator out; create another admin key first"));
      }
    }
    ASSIGN_OR_RETURN(
        Statement update,
        db.Prepare("UPDATE access_keys SET revoked_at_us = "
                   "coalesce(revoked_at_us, ?) WHERE access_key_id = ?"));
    RETURN_IF_ERROR(update.BindAll(now_us, access_key_id));
    RETURN_IF_ERROR(update.Run());
    if (db.changes() == 0) {
      return absl::NotFoundError(
          absl::StrCat("access key ", access_key_id, " does not exist"));
    }
    return absl::OkStatus();
  });
}

}  // namespace warehouse::master
