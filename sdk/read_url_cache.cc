#include "sdk/read_url_cache.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace warehouse {

ReadUrlCache::ReadUrlCache(size_t capacity, absl::Duration ttl,
                           absl::Duration margin)
    : capacity_(ttl > absl::ZeroDuration() ? capacity : 0),
      ttl_(ttl),
      margin_(margin) {}

std::string ReadUrlCache::CacheKey(absl::string_view bucket,
                                   absl::string_view key) {
  // Bucket names never contain '/', so the first one splits the pair.
  return absl::StrCat(bucket, "/", key);
}

std::optional<CachedRead> ReadUrlCache::Find(absl::string_view bucket,
                                             absl::string_view key,
                                             absl::Time now) {
  if (capacity_ == 0) return std::nullopt;
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(CacheKey(bucket, key));
  if (it == entries_.end()) return std::nullopt;
  if (now >= it->second.stale_at) {
    lru_.erase(it->second.lru);
    entries_.erase(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.read;
}

void ReadUrlCache::Insert(absl::string_view bucket, absl::string_view key,
                          CachedRead entry, uint64_t generation,
                          absl::Time now) {
  if (capacity_ == 0) return;
  const absl::Time stale_at = std::min(now + ttl_, entry.expires - margin_);
  if (stale_at <= now) return;
  std::string cache_key = CacheKey(bucket, key);
  absl::MutexLock lock(&mu_);
  if (generation != generation_) return;
  auto it = entries_.find(cache_key);
  if (it != entries_.end()) {
    it->second.read = std::move(entry);
    it->second.stale_at = stale_at;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return;
  }
  while (entries_.size() >= capacity_ && !lru_.empty()) {
    entries_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(cache_key);
  entries_.emplace(std::move(cache_key),
                   Entry{std::move(entry), stale_at, lru_.begin()});
}

void ReadUrlCache::Invalidate(absl::string_view bucket, absl::string_view key) {
  if (capacity_ == 0) return;
  absl::MutexLock lock(&mu_);
  ++generation_;
  auto it = entries_.find(CacheKey(bucket, key));
  if (it == entries_.end()) return;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

uint64_t ReadUrlCache::generation() const {
  absl::MutexLock lock(&mu_);
  return generation_;
}

size_t ReadUrlCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace warehouse
