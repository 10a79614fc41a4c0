// Object listings: prefixes, delimiters, pagination and tokens.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "catch2/catch.hpp"
#include "master/continuation_token.h"
#include "master/metadata_store.h"
#include "tests/master/store_test_util.h"

namespace warehouse::master {
namespace {

using testing::StoreFixture;

void PutAll(StoreFixture& f, const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    INFO(key);
    REQUIRE(f.Put("photos", key, 1).ok());
  }
}

ListObjectsResult List(StoreFixture& f, const std::string& prefix,
                       const std::string& delimiter, int max_keys = 1000,
                       const std::string& token = "") {
  ListObjectsRequest request;
  request.bucket = "photos";
  request.prefix = prefix;
  request.delimiter = delimiter;
  request.max_keys = max_keys;
  request.continuation_token = token;
  auto result = f.store().ListObjects(request);
  REQUIRE(result.ok());
  return *result;
}

std::vector<std::string> Keys(const ListObjectsResult& result) {
  std::vector<std::string> keys;
  for (const ObjectRecord& object : result.objects) keys.push_back(object.key);
  return keys;
}

// Every item of the listing, page by page of `page_size`: keys as they are,
// common prefixes marked with a trailing '*'. Bounded by the page count.
std::vector<std::string> WalkPages(StoreFixture& f, const std::string& prefix,
                                   const std::string& delimiter, int page_size,
                                   int* pages) {
  std::vector<std::string> items;
  std::string token;
  *pages = 0;
  for (int guard = 0; guard < 1000; ++guard) {
    ListObjectsResult page = List(f, prefix, delimiter, page_size, token);
    ++*pages;
    REQUIRE(page.objects.size() + page.common_prefixes.size() <=
            static_cast<size_t>(page_size));
    // Merge the page's keys and prefixes back into byte order.
    std::vector<std::string> merged = Keys(page);
    for (const std::string& p : page.common_prefixes) merged.push_back(p + "*");
    std::sort(merged.begin(), merged.end());
    items.insert(items.end(), merged.begin(), merged.end());
    if (!page.truncated) {
      CHECK(page.next_continuation_token.empty());
      return items;
    }
    REQUIRE(!page.next_continuation_token.empty());
    token = page.next_continuation_token;
  }
  FAIL("listing did not end");
  return items;
}

TEST_CASE("a listing returns the keys under a prefix in byte order",
          "[master][list]") {
  StoreFixture f;
  PutAll(f, {"b", "a0", "a", "B", std::string("a\x01", 2), "\xc3\xa9t\xc3\xa9",
             "ab/c", "z"});
  CHECK(Keys(List(f, "", "")) ==
        std::vector<std::string>{"B", "a", std::string("a\x01", 2), "a0",
                                 "ab/c", "b", "z", "\xc3\xa9t\xc3\xa9"});
  CHECK(Keys(List(f, "a", "")) ==
        std::vector<std::string>{"a", std::string("a\x01", 2), "a0", "ab/c"});
  CHECK(Keys(List(f, "ab/", "")) == std::vector<std::string>{"ab/c"});
  CHECK(List(f, "nothing", "").objects.empty());
  ListObjectsResult all = List(f, "", "");
  CHECK_FALSE(all.truncated);
  CHECK(all.objects[0].bucket == "photos");
  CHECK(all.objects[0].size == 1);
}

TEST_CASE("a delimiter rolls keys up into common prefixes", "[master][list]") {
  StoreFixture f;
  PutAll(f, {"a.txt", "docs/1", "docs/2", "docs/sub/3", "docs/sub/4", "img/x",
             "img/y", "z", "docs/"});

  ListObjectsResult top = List(f, "", "/");
  CHECK(Keys(top) == std::vector<std::string>{"a.txt", "z"});
  CHECK(top.common_prefixes == std::vector<std::string>{"docs/", "img/"});

  ListObjectsResult docs = List(f, "docs/", "/");
  CHECK(Keys(docs) == std::vector<std::string>{"docs/", "docs/1", "docs/2"});
  CHECK(docs.common_prefixes == std::vector<std::string>{"docs/sub/"});

  // The delimiter is matched only after the prefix.
  ListObjectsResult partial = List(f, "do", "/");
  CHECK(partial.objects.empty());
  CHECK(partial.common_prefixes == std::vector<std::string>{"docs/"});

  // A delimiter of several bytes.
  PutAll(f, {"x--1--a", "x--1--b", "x--2"});
  ListObjectsResult dashes = List(f, "x--", "--");
  CHECK(Keys(dashes) == std::vector<std::string>{"x--2"});
  CHECK(dashes.common_prefixes == std::vector<std::string>{"x--1--"});
}

TEST_CASE("pages continue across common prefixes without repeating them",
          "[master][list]") {
  StoreFixture f;
  std::vector<std::string> keys = {"a", "c/1", "c/2", "d", "e/1", "f"};
  // A common prefix holding many keys is one item, skipped in one seek.
  for (int i = 0; i < 300; ++i) keys.push_back("big/" + std::to_string(i));
  PutAll(f, keys);

  const std::vector<std::string> expected = {"a", "big/*", "c/*",
                                             "d", "e/*",   "f"};
  for (int page_size : {1, 2, 3, 5, 1000}) {
    INFO("page size " << page_size);
    int pages = 0;
    CHECK(WalkPages(f, "", "/", page_size, &pages) == expected);
    CHECK(pages ==
          (static_cast<int>(expected.size()) + page_size - 1) / page_size);
  }
  // Without a delimiter every key comes back once, in order.
  int pages = 0;
  std::vector<std::string> flat = WalkPages(f, "", "", 7, &pages);
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  CHECK(flat == sorted);
  CHECK(pages == (static_cast<int>(keys.size()) + 6) / 7);
}

TEST_CASE("a full last page is not reported truncated", "[master][list]") {
  StoreFixture f;
  PutAll(f, {"a", "b", "c/1", "c/2"});
  ListObjectsResult page = List(f, "", "/", 3);
  CHECK(Keys(page) == std::vector<std::string>{"a", "b"});
  CHECK(page.common_prefixes == std::vector<std::string>{"c/"});
  CHECK_FALSE(page.truncated);
  CHECK(page.next_continuation_token.empty());
}

TEST_CASE("a page holds at most 1000 keys", "[master][list]") {
  StoreFixture f;
  std::vector<std::string> keys;
  for (int i = 0; i < 1001; ++i)
    keys.push_back("k" + std::to_string(10000 + i));
  PutAll(f, keys);
  ListObjectsResult first = List(f, "", "", 5000);
  CHECK(first.objects.size() == 1000);
  CHECK(first.truncated);
  ListObjectsResult rest = List(f, "", "", 5000, first.next_continuation_token);
  CHECK(Keys(rest) == std::vector<std::string>{"k11000"});
  CHECK_FALSE(rest.truncated);
}

TEST_CASE("a tampered or foreign continuation token is refused",
          "[master][list]") {
  StoreFixture f;
  PutAll(f, {"a/1", "a/2", "a/3", "b/1"});
  ListObjectsResult page = List(f, "a/", "", 1);
  REQUIRE(page.truncated);
  const std::string token = page.next_continuation_token;

  auto refuse = [&](const std::string& prefix, const std::string& delimiter,
                    const std::string& bad_token) {
    ListObjectsRequest request;
    request.bucket = "photos";
    request.prefix = prefix;
    request.delimiter = delimiter;
    request.max_keys = 10;
    request.continuation_token = bad_token;
    auto result = f.store().ListObjects(request);
    CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(result.status().message()),
               Catch::Contains("continuation token"));
  };

  // Every single-byte change of the decoded token is caught.
  std::string raw;
  REQUIRE(absl::WebSafeBase64Unescape(token, &raw));
  for (size_t i = 0; i < raw.size(); ++i) {
    std::string altered = raw;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    INFO("byte " << i);
    refuse("a/", "", absl::WebSafeBase64Escape(altered));
  }
  // A resume key forged to jump elsewhere, with a matching layout.
  refuse("a/", "", EncodeContinuationToken({"photos", "", ""}, "b/"));
  refuse("a/", "", "!!!not base64!!!");
  refuse("a/", "", "AA");
  // The token of one listing does not fit another.
  refuse("", "", token);
  refuse("a/", "/", token);
  // The genuine token still works.
  CHECK(Keys(List(f, "a/", "", 10, token)) ==
        std::vector<std::string>{"a/2", "a/3"});
}

TEST_CASE("a listing refuses bad parameters and a missing bucket",
          "[master][list]") {
  StoreFixture f;
  ListObjectsRequest request;
  request.bucket = "photos";
  request.max_keys = 0;
  CHECK(f.store().ListObjects(request).status().code() ==
        absl::StatusCode::kInvalidArgument);
  request.max_keys = 10;
  request.prefix = "\xff";
  CHECK(f.store().ListObjects(request).status().code() ==
        absl::StatusCode::kInvalidArgument);
  request.prefix = "";
  request.delimiter = std::string("\0", 1);
  CHECK(f.store().ListObjects(request).status().code() ==
        absl::StatusCode::kInvalidArgument);
  request.delimiter = "/";
  request.bucket = "nope";
  CHECK(f.store().ListObjects(request).status().code() ==
        absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace warehouse::master
