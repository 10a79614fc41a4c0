#include "sdk/read_url_cache.h"

#include "catch2/catch.hpp"

namespace warehouse {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

CachedRead Read(const std::string& url, absl::Time expires) {
  CachedRead read;
  read.url = url;
  read.expires = expires;
  read.object.key = url;
  return read;
}

TEST_CASE("a cached read url is found until its ttl or expiry margin",
          "[sdk]") {
  ReadUrlCache cache(10, absl::Seconds(30), absl::Seconds(10));
  cache.Insert("b", "k", Read("u1", kNow + absl::Minutes(15)),
               cache.generation(), kNow);
  REQUIRE(cache.Find("b", "k", kNow + absl::Seconds(29)));
  CHECK(cache.Find("b", "k", kNow + absl::Seconds(29))->url == "u1");
  CHECK_FALSE(cache.Find("b", "k", kNow + absl::Seconds(30)));

  // A url close to expiry lives only until expiry - margin.
  cache.Insert("b", "k2", Read("u2", kNow + absl::Seconds(15)),
               cache.generation(), kNow);
  CHECK(cache.Find("b", "k2", kNow + absl::Seconds(4)));
  CHECK_FALSE(cache.Find("b", "k2", kNow + absl::Seconds(5)));
  // One already inside the margin is not kept at all.
  cache.Insert("b", "k3", Read("u3", kNow + absl::Seconds(10)),
               cache.generation(), kNow);
  CHECK_FALSE(cache.Find("b", "k3", kNow));
}

TEST_CASE("invalidation drops the entry and any lookup that raced it",
          "[sdk]") {
  ReadUrlCache cache(10, absl::Minutes(1));
  cache.Insert("b", "k", Read("old", kNow + absl::Minutes(15)),
               cache.generation(), kNow);
  const uint64_t before_lookup = cache.generation();
  cache.Invalidate("b", "k");  // a Put of b/k while the lookup was out
  CHECK_FALSE(cache.Find("b", "k", kNow));
  cache.Insert("b", "k", Read("stale", kNow + absl::Minutes(15)),
               before_lookup, kNow);
  CHECK_FALSE(cache.Find("b", "k", kNow));
  cache.Insert("b", "k", Read("fresh", kNow + absl::Minutes(15)),
               cache.generation(), kNow);
  CHECK(cache.Find("b", "k", kNow)->url == "fresh");
}

TEST_CASE("the least recently used entry goes when the cache is full",
          "[sdk]") {
  ReadUrlCache cache(2, absl::Minutes(1));
  const absl::Time expires = kNow + absl::Minutes(15);
  cache.Insert("b", "1", Read("1", expires), cache.generation(), kNow);
  cache.Insert("b", "2", Read("2", expires), cache.generation(), kNow);
  REQUIRE(cache.Find("b", "1", kNow));  // 2 is now the least recent
  cache.Insert("b", "3", Read("3", expires), cache.generation(), kNow);
  CHECK(cache.size() == 2);
  CHECK(cache.Find("b", "1", kNow));
  CHECK_FALSE(cache.Find("b", "2", kNow));
  CHECK(cache.Find("b", "3", kNow));
}

TEST_CASE("bucket and key are kept apart in the cache", "[sdk]") {
  ReadUrlCache cache(10, absl::Minutes(1));
  const absl::Time expires = kNow + absl::Minutes(15);
  cache.Insert("ab", "c", Read("ab/c", expires), cache.generation(), kNow);
  cache.Insert("a", "b/c", Read("a/b/c", expires), cache.generation(), kNow);
  // Bucket names never hold '/', so "ab"+"c" and "a"+"b/c" differ.
  CHECK(cache.Find("ab", "c", kNow)->url == "ab/c");
  CHECK(cache.Find("a", "b/c", kNow)->url == "a/b/c");
}

TEST_CASE("a zero ttl disables the cache", "[sdk]") {
  ReadUrlCache cache(10, absl::ZeroDuration());
  cache.Insert("b", "k", Read("u", kNow + absl::Minutes(15)),
               cache.generation(), kNow);
  CHECK_FALSE(cache.Find("b", "k", kNow));
  CHECK(cache.size() == 0);
}

}  // namespace
}  // namespace warehouse
