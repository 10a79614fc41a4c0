#include "common/signed_url.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "catch2/catch.hpp"

namespace warehouse {
namespace {

constexpr int64_t kExpires = 1700000000;
const absl::Time kBeforeExpiry = absl::FromUnixSeconds(kExpires - 60);
const FileId kFileId{7, 0x1f, 0x9a3b4c5d};
constexpr char kUploadId[] = "4b1d0c5e8f2a47d39e6b1c0a5f7d2e93";

// Secret bytes 0x00, 0x01, ..., 0x1f: the example key of
// docs/signed_urls.md.
std::string ExampleSecret() {
  std::string secret;
  for (int i = 0; i < 32; ++i) secret.push_back(static_cast<char>(i));
  return secret;
}

KeyRing MakeRing(std::vector<KeyRing::Key> keys) {
  absl::StatusOr<KeyRing> ring = KeyRing::Create(std::move(keys));
  REQUIRE(ring.ok());
  return std::move(*ring);
}

KeyRing ExampleRing() { return MakeRing({{"k1", ExampleSecret()}}); }

UrlGrant ReadGrant() {
  UrlGrant grant;
  grant.access = UrlAccess::kRead;
  grant.file_id = kFileId;
  grant.expires_unix_seconds = kExpires;
  return grant;
}

UrlGrant RangedReadGrant() {
  UrlGrant grant = ReadGrant();
  grant.range = ByteRange{0, 99};
  return grant;
}

UrlGrant WriteGrant() {
  UrlGrant grant;
  grant.access = UrlAccess::kWrite;
  grant.file_id = kFileId;
  grant.expires_unix_seconds = kExpires;
  grant.content_length = 1048576;
  grant.upload_id = kUploadId;
  grant.content_type = "image/svg+xml";
  return grant;
}

struct Url {
  std::string path;
  std::string query;
};

Url Sign(const UrlGrant& grant, const KeyRing& ring) {
  absl::StatusOr<std::string> url = SignUrl(grant, ring);
  REQUIRE(url.ok());
  const size_t q = url->find('?');
  REQUIRE(q != std::string::npos);
  return Url{url->substr(0, q), url->substr(q + 1)};
}

absl::StatusOr<UrlGrant> Verify(absl::string_view method, const Url& url,
                                const KeyRing& ring,
                                absl::Time now = kBeforeExpiry) {
  return VerifySignedRequest(method, url.path, url.query, now, ring);
}

// `query` with the value of parameter `name` replaced.
std::string WithParam(const std::string& query, const std::string& name,
                      const std::string& value) {
  const size_t start = query.find(name + "=");
  REQUIRE(start != std::string::npos);
  const size_t value_start = start + name.size() + 1;
  size_t end = query.find('&', value_start);
  if (end == std::string::npos) end = query.size();
  return query.substr(0, value_start) + value + query.substr(end);
}

void CheckDenied(const absl::StatusOr<UrlGrant>& result,
                 const std::string& reason) {
  REQUIRE_FALSE(result.ok());
  INFO(result.status().message());
  CHECK(result.status().code() == absl::StatusCode::kPermissionDenied);
  CHECK_THAT(std::string(result.status().message()), Catch::Contains(reason));
}

void CheckMalformed(const absl::StatusOr<UrlGrant>& result,
                    const std::string& reason) {
  REQUIRE_FALSE(result.ok());
  INFO(result.status().message());
  CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(result.status().message()), Catch::Contains(reason));
}

TEST_CASE("signed urls match the documented examples byte for byte",
          "[common][signed_url]") {
  const KeyRing ring = ExampleRing();
  CHECK(CanonicalUrlString(RangedReadGrant(), "k1") ==
        "WAREHOUSE-URL-V1\nGET\n7,1f9a3b4c5d\n1700000000\nk1\n\n\n\n0-99");
  CHECK(*SignUrl(RangedReadGrant(), ring) ==
        "/7,1f9a3b4c5d?expires=1700000000&key=k1&range=0-99&sig="
        "c76827d1765c629b84add8d6b00a82f91d096faad3f18966e90031365ff3769f");
  CHECK(CanonicalUrlString(WriteGrant(), "k1") ==
        "WAREHOUSE-URL-V1\nPUT\n7,1f9a3b4c5d\n1700000000\nk1\n1048576\n"
        "4b1d0c5e8f2a47d39e6b1c0a5f7d2e93\nimage/svg+xml\n");
  CHECK(*SignUrl(WriteGrant(), ring) ==
        "/7,1f9a3b4c5d?expires=1700000000&key=k1&length=1048576"
        "&upload=4b1d0c5e8f2a47d39e6b1c0a5f7d2e93&type=image%2Fsvg%2Bxml&sig="
        "b88f0abb487ad040dea02d29b4df668c0d05a22ba5d6059a8dd09f7db47cd8b8");
}

TEST_CASE("a read url verifies for GET and HEAD and returns its grant",
          "[common][signed_url]") {
  const KeyRing ring = ExampleRing();
  for (const UrlGrant& grant : {ReadGrant(), RangedReadGrant()}) {
    const Url url = Sign(grant, ring);
    for (const char* method : {"GET", "HEAD"}) {
      absl::StatusOr<UrlGrant> verified = Verify(method, url, ring);
      REQUIRE(verified.ok());
      CHECK(verified->access == UrlAccess::kRead);
      CHECK(verified->file_id == kFileId);
      CHECK(verified->expires_unix_seconds == kExpires);
      CHECK(verified->key_id == "k1");
      CHECK(verified->range == grant.range);
      CHECK(verified->upload_id.empty());
    }
    CheckDenied(Verify("PUT", url, ring), "grants GET and HEAD, not PUT");
  }
}

TEST_CASE("a write url verifies for PUT only and returns its grant",
          "[common][signed_url]") {
  const KeyRing ring = ExampleRing();
  UrlGrant grant = WriteGrant();
  grant.content_type = "text/plain; charset=utf-8";  // spaces, ';', '='
  const Url url = Sign(grant, ring);
  absl::StatusOr<UrlGrant> verified = Verify("PUT", url, ring);
  REQUIRE(verified.ok());
  CHECK(verified->access == UrlAccess::kWrite);
  CHECK(verified->file_id == kFileId);
  CHECK(verified->content_length == 1048576);
  CHECK(verified->upload_id == kUploadId);
  CHECK(verified->content_type == "text/plain; charset=utf-8");
  CHECK_FALSE(verified->range.has_value());
  CheckDenied(Verify("GET", url, ring), "grants PUT, not GET");
  CheckDenied(Verify("HEAD", url, ring), "grants PUT, not HEAD");

  grant.content_length = 0;  // empty objects are fine
  CHECK(Verify("PUT", Sign(grant, ring), ring).ok());
}

TEST_CASE("a delete url verifies for DELETE only", "[common][signed_url]") {
  const KeyRing ring = ExampleRing();
  UrlGrant grant = ReadGrant();
  grant.access = UrlAccess::kDelete;
  const Url url = Sign(grant, ring);
  CHECK(url.query.find("op=delete") != std::string::npos);
  absl::StatusOr<UrlGrant> verified = Verify("DELETE", url, ring);
  REQUIRE(verified.ok());
  CHECK(verified->access == UrlAccess::kDelete);
  CHECK(verified->file_id == kFileId);
  CheckDenied(Verify("GET", url, ring), "grants DELETE, not GET");
  CheckDenied(Verify("PUT", url, ring), "grants DELETE, not PUT");
  // A read url cannot be turned into a delete url, with or without op.
  const Url read = Sign(ReadGrant(), ring);
  CheckDenied(Verify("DELETE", read, ring), "grants GET and HEAD, not DELETE");
  Url forged = read;
  forged.query = absl::StrReplaceAll(forged.query, {{"&sig=", "&op=delete&sig="}});
  CHECK(Verify("DELETE", forged, ring).status().code() ==
        absl::StatusCode::kPermissionDenied);
  grant.range = ByteRange{0, 1};
  CHECK(SignUrl(grant, ring).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a signed url is valid through its expiry second and not after",
          "[common][signed_url]") {
  const KeyRing ring = ExampleRing();
  const Url url = Sign(ReadGrant(), ring);
  CHECK(Verify("GET", url, ring, absl::FromUnixSeconds(kExpires)).ok());
  CheckDenied(Verify("GET", url, ring,
                     absl::FromUnixSeconds(kExpires) + absl::Milliseconds(1)),
              "expired at unix time 1700000000");
  CheckDenied(Verify("GET", url, ring, absl::FromUnixSeconds(kExpires + 3600)),
              "expired");
}

TEST_CASE("changing any signed field of a url voids it",
          "[common][signed_url]") {
  const KeyRing ring =
      MakeRing({{"k1", ExampleSecret()}, {"k0", std::string(32, '\x55')}});
  const Url read = Sign(RangedReadGrant(), ring);
  const Url write = Sign(WriteGrant(), ring);
  const std::string mismatch = "signature does not match";

  SECTION("file id: another needle, cookie or volume") {
    for (const char* path :
         {"/7,209a3b4c5d", "/7,1f9a3b4c5e", "/8,1f9a3b4c5d", "/7,1f00000000"}) {
      INFO(path);
      CheckDenied(Verify("GET", Url{path, read.query}, ring), mismatch);
      CheckDenied(Verify("PUT", Url{path, write.query}, ring), mismatch);
    }
  }
  SECTION("expiry") {
    CheckDenied(
        Verify("GET",
               Url{read.path, WithParam(read.query, "expires", "1700003600")},
               ring),
        mismatch);
  }
  SECTION("length") {
    CheckDenied(
        Verify("PUT",
               Url{write.path, WithParam(write.query, "length", "1048577")},
               ring),
        mismatch);
  }
  SECTION("upload id") {
    CheckDenied(
        Verify("PUT",
               Url{write.path, WithParam(write.query, "upload",
                                         "4b1d0c5e8f2a47d39e6b1c0a5f7d2e94")},
               ring),
        mismatch);
  }
  SECTION("content type") {
    CheckDenied(
        Verify("PUT",
               Url{write.path, WithParam(write.query, "type", "text%2Fhtml")},
               ring),
        mismatch);
  }
  SECTION("range, widened or dropped") {
    CheckDenied(
        Verify("GET", Url{read.path, WithParam(read.query, "range", "0-999")},
               ring),
        mismatch);
    const std::string dropped =
        absl::StrReplaceAll(read.query, {{"&range=0-99", ""}});
    REQUIRE(dropped != read.query);
    CheckDenied(Verify("GET", Url{read.path, dropped}, ring), mismatch);
  }
  SECTION("key id: another key of the ring, or an unknown one") {
    CheckDenied(
        Verify("GET", Url{read.path, WithParam(read.query, "key", "k0")}, ring),
        mismatch);
    CheckDenied(
        Verify("GET", Url{read.path, WithParam(read.query, "key", "k9")}, ring),
        "key k9 is not in the key ring");
  }
  SECTION("signature, one digit at a time") {
    const size_t start = read.query.find("sig=") + 4;
    for (size_t i = start; i < read.query.size(); ++i) {
      std::string query = read.query;
      query[i] = query[i] == '0' ? '1' : '0';
      CheckDenied(Verify("GET", Url{read.path, query}, ring), mismatch);
    }
  }
  SECTION("method: a write url cannot read, a read url cannot write") {
    CheckDenied(Verify("GET", write, ring), "grants PUT");
    CheckDenied(Verify("PUT", read, ring), "grants GET and HEAD");
  }
}

TEST_CASE("a url signed with another secret of the same key id is refused",
          "[common][signed_url]") {
  const Url url = Sign(ReadGrant(), ExampleRing());
  const KeyRing impostor = MakeRing({{"k1", std::string(32, '\x01')}});
  CheckDenied(Verify("GET", url, impostor), "signature does not match");
}

TEST_CASE("urls signed before a key rotation verify while the old key stays",
          "[common][signed_url]") {
  const std::string old_secret = ExampleSecret();
  const std::string new_secret(32, '\x42');
  const KeyRing before = MakeRing({{"k1", old_secret}});
  const KeyRing during = MakeRing({{"k2", new_secret}, {"k1", old_secret}});
  const KeyRing after = MakeRing({{"k2", new_secret}});

  const Url old_url = Sign(ReadGrant(), before);
  const Url new_url = Sign(ReadGrant(), during);
  CHECK_THAT(new_url.query, Catch::Contains("key=k2"));
  CHECK(Verify("GET", old_url, during).ok());
  CHECK(Verify("GET", new_url, during).ok());
  CHECK(Verify("GET", new_url, after).ok());
  CheckDenied(Verify("GET", old_url, after), "key k1 is not in the key ring");
}

TEST_CASE("malformed signed requests are refused as malformed",
          "[common][signed_url]") {
  const KeyRing ring = ExampleRing();
  const Url read = Sign(RangedReadGrant(), ring);
  const Url write = Sign(WriteGrant(), ring);

  CheckMalformed(Verify("POST", read, ring), "method POST cannot use");
  CheckMalformed(Verify("POST", write, ring), "method POST cannot use");
  CheckMalformed(Verify("GET", Url{"7,1f9a3b4c5d", read.query}, ring),
                 "does not start with '/'");
  CheckMalformed(Verify("GET", Url{"/7,1F9A3B4C5D", read.query}, ring),
                 "uppercase");
  CheckMalformed(Verify("GET", Url{"/7,1f9a3b4c5d/x", read.query}, ring),
                 "path is not /<file id>");
  CheckMalformed(Verify("GET", Url{"/", read.query}, ring),
                 "path is not /<file id>");
  CheckMalformed(Verify("GET", Url{read.path, read.query + "&x=1"}, ring),
                 "unknown query parameter \"x\"");
  CheckMalformed(Verify("GET", Url{read.path, read.query + "&key=k1"}, ring),
                 "key appears twice");
  CheckMalformed(Verify("GET", Url{read.path, read.query + "&"}, ring),
                 "is not name=value");
  CheckMalformed(
      Verify("GET", Url{read.path, WithParam(read.query, "expires", "01")},
             ring),
      "expires is not");
  CheckMalformed(
      Verify("GET", Url{read.path, WithParam(read.query, "expires", "0")},
             ring),
      "expires is not");
  CheckMalformed(
      Verify("GET", Url{read.path, WithParam(read.query, "expires", "-5")},
             ring),
      "expires is not");
  CheckMalformed(
      Verify("GET", Url{read.path, WithParam(read.query, "key", "a%2Fb")},
             ring),
      "key id must be");
  CheckMalformed(
      Verify("GET", Url{read.path, WithParam(read.query, "range", "99-0")},
             ring),
      "ends before it starts");
  CheckMalformed(
      Verify("GET", Url{read.path, WithParam(read.query, "range", "5")}, ring),
      "range is not");
  CheckMalformed(
      Verify("GET", Url{read.path, WithParam(read.query, "range", "-5")}, ring),
      "range is not");
  CheckMalformed(
      Verify("GET", Url{read.path, WithParam(read.query, "sig", "abc")}, ring),
      "sig is not 64 hex digits");
  CheckMalformed(
      Verify("GET",
             Url{read.path, WithParam(read.query, "sig", std::string(64, 'A'))},
             ring),
      "sig:");
  CheckMalformed(
      Verify("PUT", Url{write.path, WithParam(write.query, "length", "1e6")},
             ring),
      "length is not");
  CheckMalformed(
      Verify("PUT", Url{write.path, WithParam(write.query, "type", "%zz")},
             ring),
      "not followed by two hex digits");
  CheckMalformed(
      Verify("PUT", Url{write.path, WithParam(write.query, "type", "a%0Ab")},
             ring),
      "printable ASCII");
  CheckMalformed(
      Verify("PUT", Url{write.path, WithParam(write.query, "upload", "a.b")},
             ring),
      "upload id must be");
  CheckMalformed(
      Verify("PUT",
             Url{write.path,
                 absl::StrReplaceAll(write.query, {{"&length=1048576", ""}})},
             ring),
      "needs all of length, upload and type");
  CheckMalformed(
      Verify("PUT", Url{write.path, write.query + "&range=0-1"}, ring),
      "only a read url can have a range");
  CheckMalformed(
      Verify("GET",
             Url{read.path, absl::StrReplaceAll(read.query,
                                                {{"expires=1700000000&", ""}})},
             ring),
      "missing the expires parameter");
  CheckMalformed(Verify("GET", Url{read.path, std::string(5000, 'a')}, ring),
                 "query longer than");
}

TEST_CASE("a request without a signature is unauthenticated",
          "[common][signed_url]") {
  const KeyRing ring = ExampleRing();
  for (const char* query : {"", "expires=1700000000&key=k1"}) {
    absl::StatusOr<UrlGrant> result =
        VerifySignedRequest("GET", "/7,1f9a3b4c5d", query, kBeforeExpiry, ring);
    CHECK(result.status().code() == absl::StatusCode::kUnauthenticated);
  }
}

TEST_CASE("grants that could never verify are not signed",
          "[common][signed_url]") {
  const KeyRing ring = ExampleRing();
  auto check = [&ring](const UrlGrant& grant, const std::string& reason) {
    absl::StatusOr<std::string> url = SignUrl(grant, ring);
    REQUIRE_FALSE(url.ok());
    CHECK(url.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(url.status().message()), Catch::Contains(reason));
  };
  UrlGrant grant = ReadGrant();
  grant.file_id.volume_id = 0;
  check(grant, "volume id 0");
  grant = ReadGrant();
  grant.expires_unix_seconds = 0;
  check(grant, "not a positive time");
  grant = RangedReadGrant();
  grant.range = ByteRange{10, 9};
  check(grant, "ends before it starts");
  grant = ReadGrant();
  grant.upload_id = kUploadId;
  check(grant, "a read grant cannot have");
  grant = WriteGrant();
  grant.range = ByteRange{0, 1};
  check(grant, "a write grant cannot have a range");
  grant = WriteGrant();
  grant.upload_id = "";
  check(grant, "upload id must be");
  grant.upload_id = std::string(65, 'a');
  check(grant, "upload id must be");
  grant = WriteGrant();
  grant.content_type = "text/plain\nX-Injected: 1";
  check(grant, "printable ASCII");
  grant.content_type = "";
  check(grant, "printable ASCII");
  grant.content_type = std::string(256, 'a');
  check(grant, "printable ASCII");
}

}  // namespace
}  // namespace warehouse
