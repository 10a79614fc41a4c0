#include "master/access_keys.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/grpc_auth.h"
#include "common/status_macros.h"
#include "master/names.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {
namespace {

// The store's spelling of "every bucket".
constexpr char kAllBuckets[] = "*";

constexpr int kIdAttempts = 3;

Caller CallerOf(const AccessKey& key) {
  Caller caller;
  caller.access_key_id = key.access_key_id;
  caller.role = key.role;
  for (const std::string& bucket : key.allowed_buckets) {
    if (bucket == kAllBuckets) {
      caller.buckets.clear();
      break;
    }
    caller.buckets.push_back(bucket);
  }
  return caller;
}

}  // namespace

bool Caller::MayUseBucket(absl::string_view bucket) const {
  if (role == AccessRole::kAdmin || buckets.empty()) return true;
  return std::find(buckets.begin(), buckets.end(), bucket) != buckets.end();
}

absl::Status CheckRight(const Caller& caller, absl::string_view action,
                        Right right) {
  const bool allowed = right == Right::kRead    ? true
                       : right == Right::kWrite ? caller.MayWrite()
                                                : caller.IsAdmin();
  if (allowed) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "access key ", caller.access_key_id, " (", AccessRoleName(caller.role),
      ") may not call ", action,
      right == Right::kAdmin ? ": it needs an admin key"
                             : ": it needs an admin or read-write key"));
}

absl::Status CheckBucketAccess(const Caller& caller, absl::string_view bucket) {
  RETURN_IF_ERROR(ValidateBucketName(bucket));
  if (!caller.MayUseBucket(bucket)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "access key ", caller.access_key_id, " may not use bucket ", bucket));
  }
  return absl::OkStatus();
}

AccessRole ToAccessRole(Role role) {
  switch (role) {
    case Role::kAdmin:
      return AccessRole::kAdmin;
    case Role::kReadWrite:
      return AccessRole::kReadWrite;
  }
  return AccessRole::kReadOnly;  // unreachable: every Role is handled
}

AccessKeys::AccessKeys(MetadataStore* store, const SecretSealer* sealer,
                       Options options)
    : store_(store), sealer_(sealer), options_(options) {}

absl::StatusOr<NewAccessKey> AccessKeys::Create(
    Role role, std::vector<std::string> buckets, std::string description) {
  AccessPolicy policy;
  policy.role = role;
  policy.buckets = buckets;
  RETURN_IF_ERROR(policy.Validate());
  NewAccessKey created;
  created.key.role = ToAccessRole(role);
  created.key.allowed_buckets = buckets.empty()
                                    ? std::vector<std::string>{kAllBuckets}
                                    : std::move(buckets);
  created.key.description = std::move(description);
  // An id is 18 random characters: a collision is next to impossible, but
  // one must not fail the call.
  absl::Status inserted;
  for (int attempt = 0; attempt < kIdAttempts; ++attempt) {
    ASSIGN_OR_RETURN(AccessKeyCredentials credentials, GenerateAccessKey());
    ASSIGN_OR_RETURN(created.key.sealed_secret,
                     sealer_->Seal(credentials.secret, credentials.id));
    created.key.access_key_id = credentials.id;
    created.secret = std::move(credentials.secret);
    inserted = store_->InsertAccessKey(created.key);
    if (!absl::IsAlreadyExists(inserted)) break;
  }
  RETURN_IF_ERROR(inserted);
  ASSIGN_OR_RETURN(AccessKey stored,
                   store_->GetAccessKey(created.key.access_key_id));
  created.key = std::move(stored);
  spdlog::info("access key {} created ({})", created.key.access_key_id,
               std::string(AccessRoleName(created.key.role)));
  return created;
}

absl::StatusOr<std::vector<AccessKey>> AccessKeys::ListActive() {
  ASSIGN_OR_RETURN(std::vector<AccessKey> keys, store_->ListAccessKeys());
  keys.erase(std::remove_if(
                 keys.begin(), keys.end(),
                 [](const AccessKey& key) { return key.revoked.has_value(); }),
             keys.end());
  return keys;
}

absl::Status AccessKeys::Revoke(absl::string_view access_key_id) {
  RETURN_IF_ERROR(store_->RevokeAccessKey(access_key_id));
  {
    absl::MutexLock lock(&mu_);
    ++revocations_;
    auto it = cache_.find(access_key_id);
    if (it != cache_.end()) cache_.erase(it);
  }
  spdlog::info("access key {} revoked", std::string(access_key_id));
  return absl::OkStatus();
}

absl::StatusOr<AccessKeys::CachedKey> AccessKeys::Lookup(
    absl::string_view access_key_id) {
  const absl::Time now = absl::Now();
  uint64_t revocations_before = 0;
  std::function<void()> after_read;
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(access_key_id);
    if (it != cache_.end() && now - it->second.fetched < options_.cache_ttl) {
      return it->second;
    }
    revocations_before = revocations_;
    after_read = after_read_;
  }
  ASSIGN_OR_RETURN(AccessKey key, store_->GetAccessKey(access_key_id));
  if (after_read) after_read();
  if (key.revoked.has_value()) {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(access_key_id);
    if (it != cache_.end()) cache_.erase(it);
    // Unauthenticated, not NotFound, so that the caller learns why.
    return absl::UnauthenticatedError(
        absl::StrCat("access key ", access_key_id, " is revoked"));
  }
  CachedKey entry;
  ASSIGN_OR_RETURN(entry.secret,
                   sealer_->Unseal(key.sealed_secret, key.access_key_id));
  entry.caller = CallerOf(key);
  entry.fetched = now;
  absl::MutexLock lock(&mu_);
  // A key revoked since the read began was perhaps read before its
  // revocation committed: this call may pass, as one a moment earlier
  // would have, but caching it would let the key in after Revoke returned.
  if (revocations_ == revocations_before) cache_[key.access_key_id] = entry;
  return entry;
}

void AccessKeys::SetAfterReadForTesting(std::function<void()> hook) {
  absl::MutexLock lock(&mu_);
  after_read_ = std::move(hook);
}

absl::StatusOr<Caller> AccessKeys::Authenticate(
    const grpc::ServerContextBase& context, absl::string_view full_method) {
  Caller caller;
  const SecretLookup lookup =
      [this, &caller](absl::string_view id) -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(CachedKey entry, Lookup(id));
    caller = std::move(entry.caller);
    return std::move(entry.secret);
  };
  ASSIGN_OR_RETURN(const std::string key_id,
                   AuthenticateCall(context, full_method, absl::Now(), lookup));
  if (key_id != caller.access_key_id) {
    return absl::InternalError(
        absl::StrCat("access key ", key_id, ": authenticated as another key"));
  }
  return caller;
}

absl::StatusOr<Caller> AccessKeys::AuthenticateSecret(
    absl::string_view access_key_id, absl::string_view secret) {
  const absl::Status refused = absl::UnauthenticatedError(absl::StrCat(
      "access key ", access_key_id, ": unknown key or wrong secret"));
  if (!ValidateAccessKeyId(access_key_id).ok() ||
      !ValidateAccessKeySecret(secret).ok()) {
    return refused;
  }
  absl::StatusOr<CachedKey> entry = Lookup(access_key_id);
  if (absl::IsNotFound(entry.status())) return refused;
  if (!entry.ok()) return entry.status();
  if (!ConstantTimeEquals(entry->secret, secret)) return refused;
  return entry->caller;
}

absl::StatusOr<Caller> AccessKeys::Active(absl::string_view access_key_id) {
  absl::StatusOr<CachedKey> entry = Lookup(access_key_id);
  if (absl::IsNotFound(entry.status())) {
    return absl::UnauthenticatedError(
        absl::StrCat("access key ", access_key_id, " no longer exists"));
  }
  if (!entry.ok()) return entry.status();
  return entry->caller;
}

}  // namespace warehouse::master
