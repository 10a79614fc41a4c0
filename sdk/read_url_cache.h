// A bounded cache of signed download URLs, so that reading an object again
// skips the master.
#ifndef WAREHOUSE_SDK_READ_URL_CACHE_H_
#define WAREHOUSE_SDK_READ_URL_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "warehouse/types.h"

namespace warehouse {

// A whole-object read URL and the object it was signed for. A whole-object
// URL also serves any range (with a Range header), so only these are kept.
struct CachedRead {
  std::string url;
  absl::Time expires;  // the URL's own expiry
  ObjectInfo object;
};

// Maps (bucket, key) to a CachedRead, least recently used first out.
//
// A lookup racing an invalidation must not put back the URL the
// invalidation removed. So every invalidation advances a generation;
// callers take generation() before asking the master, and Insert drops an
// entry when any invalidation happened since.
//
// Thread-safe.
class ReadUrlCache {
 public:
  // Keeps up to `capacity` entries, each for at most `ttl`, and hands out
  // none that expires within `margin` (so a request started with it is
  // still valid when the volume server checks it). A zero capacity or ttl
  // disables the cache.
  ReadUrlCache(size_t capacity, absl::Duration ttl,
               absl::Duration margin = absl::Seconds(10));
  ReadUrlCache(const ReadUrlCache&) = delete;
  ReadUrlCache& operator=(const ReadUrlCache&) = delete;

  // The entry for (bucket, key), if one is fresh at `now`.
  std::optional<CachedRead> Find(absl::string_view bucket,
                                 absl::string_view key, absl::Time now)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Stores `entry` at `now`, unless an invalidation happened after
  // `generation` was read or the URL expires too soon to be useful.
  void Insert(absl::string_view bucket, absl::string_view key,
              CachedRead entry, uint64_t generation, absl::Time now)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Drops the entry for (bucket, key) and advances the generation.
  void Invalidate(absl::string_view bucket, absl::string_view key)
      ABSL_LOCKS_EXCLUDED(mu_);

  uint64_t generation() const ABSL_LOCKS_EXCLUDED(mu_);
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    CachedRead read;
    absl::Time stale_at;  // min(inserted + ttl, expires - margin)
    std::list<std::string>::iterator lru;
  };

  static std::string CacheKey(absl::string_view bucket, absl::string_view key);

  // Immutable after construction.
  const size_t capacity_;
  const absl::Duration ttl_;
  const absl::Duration margin_;

  mutable absl::Mutex mu_;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  // Most recently used at the front.
  std::list<std::string> lru_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace warehouse

#endif  // WAREHOUSE_SDK_READ_URL_CACHE_H_
