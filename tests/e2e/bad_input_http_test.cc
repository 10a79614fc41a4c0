// Bad requests to the volume server's HTTP data path and the master's HTTP
// port, sent as raw bytes over a plain socket so that a malformed request
// really is malformed: signatures missing, garbled, expired, for another
// method or needle; malformed file ids and ranges; Content-Length missing,
// wrong, doubled or not a number; bodies cut short or running long;
// oversized headers, unknown methods, path traversal; and clients that
// stall or trickle. Each row expects the status docs/volume_server.md,
// docs/signed_urls.md and docs/http.md document (0: the server closes
// without an answer); after the table, the stored data must be exactly as
// stored and every connection must have been let go.
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "common/file_id.h"
#include "common/key_ring.h"
#include "common/signed_url.h"
#include "tests/e2e/bad_input_fixture.h"
#include "tests/e2e/raw_http.h"

namespace warehouse::testing {
namespace {

enum class Port { kVolume, kMaster };

struct HttpRow {
  std::string name;
  Port port = Port::kVolume;
  // Builds what to send (signed URLs are fetched when the row runs).
  std::function<RawSend(BadInputFixture&)> send;
  bool head = false;
  // The first response's status; 0 means the server closes without one.
  int status = 0;
  // Must appear in the first response's body (error bodies are JSON with
  // the status message and code name).
  std::string fragment;
  // The server must close the connection (within the row's deadline).
  bool closes = false;
  // Further responses expected on the same connection, in order.
  std::vector<int> then = {};
  std::string group = "";
};

// "METHOD target HTTP/1.1", Host, the extra header lines, a blank line and
// the body.
std::string Request(const std::string& method, const std::string& target,
                    const std::vector<std::string>& headers = {},
                    const std::string& body = "") {
  std::string request =
      absl::StrCat(method, " ", target, " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  for (const std::string& header : headers) {
    absl::StrAppend(&request, header, "\r\n");
  }
  absl::StrAppend(&request, "\r\n", body);
  return request;
}

RawSend Once(std::string bytes) {
  RawSend send;
  send.pieces = {std::move(bytes)};
  send.deadline = kRowTimeout;
  return send;
}

// The value of query parameter `name` in "/path?a=1&b=2".
std::string Param(const std::string& url, const std::string& name) {
  const std::string query = url.substr(url.find('?') + 1);
  for (absl::string_view pair : absl::StrSplit(query, '&')) {
    if (absl::ConsumePrefix(&pair, name + "=")) return std::string(pair);
  }
  return "";
}

// `url` with parameter `name`'s value replaced (or, with `drop`, removed).
std::string WithParam(const std::string& url, const std::string& name,
                      const std::string& value, bool drop = false) {
  const size_t q = url.find('?');
  std::vector<std::string> kept;
  for (absl::string_view pair : absl::StrSplit(url.substr(q + 1), '&')) {
    if (absl::StartsWith(pair, name + "=")) {
      if (!drop) kept.push_back(absl::StrCat(name, "=", value));
    } else {
      kept.emplace_back(pair);
    }
  }
  return absl::StrCat(url.substr(0, q), "?", absl::StrJoin(kept, "&"));
}

std::string PathOf(const std::string& url) {
  return url.substr(0, url.find('?'));
}
std::string QueryOf(const std::string& url) {
  return url.substr(url.find('?'));
}

// A URL for `grant` signed by `keys` (or the cluster's own ring).
std::string Sign(const UrlGrant& grant, const KeyRing& keys) {
  absl::StatusOr<std::string> url = SignUrl(grant, keys);
  if (!url.ok()) FAIL(url.status());
  return *url;
}

FileId ParsedFileId(const std::string& text) {
  absl::StatusOr<FileId> id = FileId::Parse(text);
  if (!id.ok()) FAIL(id.status());
  return *id;
}

KeyRing RingOf(const std::string& id) {
  absl::StatusOr<KeyRing::Key> key = GenerateKey(id);
  if (!key.ok()) FAIL(key.status());
  absl::StatusOr<KeyRing> ring = KeyRing::Create({*key});
  if (!ring.ok()) FAIL(ring.status());
  return *std::move(ring);
}

// A read grant for the needle of alpha/a.txt, valid for a minute.
UrlGrant ReadGrant(BadInputFixture& fx) {
  UrlGrant grant;
  grant.access = UrlAccess::kRead;
  grant.file_id = ParsedFileId(fx.FileIdOf("alpha", "a.txt"));
  grant.expires_unix_seconds = absl::ToUnixSeconds(absl::Now()) + 60;
  return grant;
}

// The stored a.txt is "hello, world\n"; a bad PUT sends other bytes of the
// same length, so a PUT that wrongly went through would show in the data.
constexpr char kOtherBody[] = "HELLO, WORLD\n";
constexpr size_t kBodySize = 13;

std::string AlphaPutUrl(BadInputFixture& fx) {
  return fx.PutUrl("alpha", "a.txt", kBodySize, "text/plain");
}

std::vector<HttpRow> VolumeRows() {
  using Fx = BadInputFixture;
  auto get_a = [](Fx& fx) { return fx.GetUrl("alpha", "a.txt"); };
  auto get_b = [](Fx& fx) { return fx.GetUrl("alpha", "dir/b.bin"); };
  auto put = [](const std::string& url, std::vector<std::string> headers,
                const std::string& body) {
    return Once(Request("PUT", url, std::move(headers), body));
  };
  auto cl = [](size_t n) { return absl::StrCat("Content-Length: ", n); };
  auto range_row = [&](std::string name, std::string range, int status,
                       std::string fragment) {
    return HttpRow{
        std::move(name),
        Port::kVolume,
        [get_b, range](Fx& fx) {
          return Once(Request("GET", get_b(fx), {"Range: " + range}));
        },
        false,
        status,
        std::move(fragment)};
  };
  auto fid_row = [&](std::string name, std::string path, int status) {
    // A well-signed query on a path that is not a file id.
    return HttpRow{std::move(name),
                   Port::kVolume,
                   [get_a, path](Fx& fx) {
                     return Once(Request("GET", path + QueryOf(get_a(fx))));
                   },
                   false,
                   status,
                   "INVALID_ARGUMENT"};
  };

  std::vector<HttpRow> rows;
  // Signatures (docs/signed_urls.md, "Verifying a request").
  AddGroup(
      rows, "signed urls",
      {
          {"GET of a file id with no query", Port::kVolume,
           [get_a](Fx& fx) { return Once(Request("GET", PathOf(get_a(fx)))); },
           false, 401, "UNAUTHENTICATED"},
          {"GET with the sig parameter removed", Port::kVolume,
           [get_a](Fx& fx) {
             return Once(Request("GET", WithParam(get_a(fx), "sig", "", true)));
           },
           false, 401, "UNAUTHENTICATED"},
          {"GET with a sig that is not hex", Port::kVolume,
           [get_a](Fx& fx) {
             return Once(Request(
                 "GET", WithParam(get_a(fx), "sig", std::string(64, 'z'))));
           },
           false, 400, "INVALID_ARGUMENT"},
          {"GET with a sig cut to half its length", Port::kVolume,
           [get_a](Fx& fx) {
             const std::string url = get_a(fx);
             return Once(Request(
                 "GET",
                 WithParam(url, "sig", Param(url, "sig").substr(0, 32))));
           },
           false, 400, "INVALID_ARGUMENT"},
          {"GET with one digit of the sig changed", Port::kVolume,
           [get_a](Fx& fx) {
             const std::string url = get_a(fx);
             std::string sig = Param(url, "sig");
             sig[10] = sig[10] == '0' ? '1' : '0';
             return Once(Request("GET", WithParam(url, "sig", sig)));
           },
           false, 403, "PERMISSION_DENIED"},
          {"GET with expires moved a second later", Port::kVolume,
           [get_a](Fx& fx) {
             const std::string url = get_a(fx);
             int64_t expires = 0;
             CHECK(absl::SimpleAtoi(Param(url, "expires"), &expires));
             return Once(Request(
                 "GET", WithParam(url, "expires", absl::StrCat(expires + 1))));
           },
           false, 403, "PERMISSION_DENIED"},
          {"GET of a URL that expired a minute ago", Port::kVolume,
           [](Fx& fx) {
             UrlGrant grant = ReadGrant(fx);
             grant.expires_unix_seconds = absl::ToUnixSeconds(absl::Now()) - 60;
             return Once(Request("GET", Sign(grant, fx.cluster_keys())));
           },
           false, 403, "expired"},
          {"GET signed by a key id the server does not have", Port::kVolume,
           [](Fx& fx) {
             return Once(Request("GET", Sign(ReadGrant(fx), RingOf("k9"))));
           },
           false, 403, "PERMISSION_DENIED"},
          {"GET signed with the right key id and a wrong secret", Port::kVolume,
           [](Fx& fx) {
             return Once(Request("GET", Sign(ReadGrant(fx), RingOf("k1"))));
           },
           false, 403, "PERMISSION_DENIED"},
          {"GET URL of one needle used for another", Port::kVolume,
           [get_a](Fx& fx) {
             const std::string other = fx.FileIdOf("alpha", "dir/b.bin");
             return Once(Request("GET", "/" + other + QueryOf(get_a(fx))));
           },
           false, 403, "PERMISSION_DENIED"},
          {"GET URL with the cookie changed", Port::kVolume,
           [get_a](Fx& fx) {
             FileId id = ParsedFileId(fx.FileIdOf("alpha", "a.txt"));
             id.cookie ^= 1;
             return Once(
                 Request("GET", "/" + id.ToString() + QueryOf(get_a(fx))));
           },
           false, 403, "PERMISSION_DENIED"},
          {"GET URL with the volume id changed", Port::kVolume,
           [get_a](Fx& fx) {
             FileId id = ParsedFileId(fx.FileIdOf("alpha", "a.txt"));
             id.volume_id += 1;
             return Once(
                 Request("GET", "/" + id.ToString() + QueryOf(get_a(fx))));
           },
           false, 403, "PERMISSION_DENIED"},
          {"GET URL with a parameter repeated", Port::kVolume,
           [get_a](Fx& fx) {
             const std::string url = get_a(fx);
             return Once(Request("GET", url + "&key=" + Param(url, "key")));
           },
           false, 400, "INVALID_ARGUMENT"},
          {"GET URL with an unknown parameter", Port::kVolume,
           [get_a](Fx& fx) {
             return Once(Request("GET", get_a(fx) + "&debug=1"));
           },
           false, 400, "INVALID_ARGUMENT"},
          {"GET URL with expires written with a leading zero", Port::kVolume,
           [get_a](Fx& fx) {
             const std::string url = get_a(fx);
             return Once(Request(
                 "GET",
                 WithParam(url, "expires", "0" + Param(url, "expires"))));
           },
           false, 400, "INVALID_ARGUMENT"},
          {"GET URL with expires not a number", Port::kVolume,
           [get_a](Fx& fx) {
             return Once(
                 Request("GET", WithParam(get_a(fx), "expires", "soon")));
           },
           false, 400, "INVALID_ARGUMENT"},
          {"GET URL with a bad percent escape in the query", Port::kVolume,
           [get_a](Fx& fx) {
             return Once(Request("GET", WithParam(get_a(fx), "key", "k%zz")));
           },
           false, 400, "INVALID_ARGUMENT"},
          {"GET URL used for a PUT", Port::kVolume,
           [get_a, put, cl](Fx& fx) {
             return put(get_a(fx), {cl(kBodySize)}, kOtherBody);
           },
           false, 403, "PERMISSION_DENIED"},
          {"GET URL used for a DELETE", Port::kVolume,
           [get_a](Fx& fx) { return Once(Request("DELETE", get_a(fx))); },
           false, 403, "PERMISSION_DENIED"},
          {"PUT URL used for a GET", Port::kVolume,
           [](Fx& fx) { return Once(Request("GET", AlphaPutUrl(fx))); }, false,
           403, "PERMISSION_DENIED"},
          {"DELETE URL used for a GET", Port::kVolume,
           [](Fx& fx) {
             UrlGrant grant = ReadGrant(fx);
             grant.access = UrlAccess::kDelete;
             return Once(Request("GET", Sign(grant, fx.cluster_keys())));
           },
           false, 403, "PERMISSION_DENIED"},
          {"a well-signed HEAD of a needle that does not exist",
           Port::kVolume,
           [](Fx& fx) {
             UrlGrant grant = ReadGrant(fx);
             grant.file_id.needle_id += 1000000;
             return Once(Request("HEAD", Sign(grant, fx.cluster_keys())));
           },
           true, 404, ""},
          {"HEAD with a changed signature", Port::kVolume,
           [get_a](Fx& fx) {
             const std::string url = get_a(fx);
             std::string sig = Param(url, "sig");
             sig[0] = sig[0] == 'a' ? 'b' : 'a';
             return Once(Request("HEAD", WithParam(url, "sig", sig)));
           },
           true, 403, ""},
          {"a well-signed GET of a needle that does not exist", Port::kVolume,
           [](Fx& fx) {
             UrlGrant grant = ReadGrant(fx);
             grant.file_id.needle_id += 1000000;
             return Once(Request("GET", Sign(grant, fx.cluster_keys())));
           },
           false, 404, "NOT_FOUND"},
          {"a well-signed GET with the wrong cookie", Port::kVolume,
           [](Fx& fx) {
             UrlGrant grant = ReadGrant(fx);
             grant.file_id.cookie ^= 0x80000000u;
             return Once(Request("GET", Sign(grant, fx.cluster_keys())));
           },
           false, 404, "NOT_FOUND"},
          {"a well-signed GET on a volume the server does not hold",
           Port::kVolume,
           [](Fx& fx) {
             UrlGrant grant = ReadGrant(fx);
             grant.file_id.volume_id = 999;
             return Once(Request("GET", Sign(grant, fx.cluster_keys())));
           },
           false, 404, "NOT_FOUND"},

      });
  // File ids (docs/rpc.md, "File ids").
  AddGroup(
      rows, "file ids",
      {
          fid_row("a path that is not a file id", "/abc", 400),
          fid_row("a file id on volume 0", "/0,1f9a3b4c5d", 400),
          fid_row("a file id in uppercase hex", "/1,1F9A3B4C5D", 400),
          fid_row("a file id with a leading zero volume", "/01,1f9a3b4c5d",
                  400),
          fid_row("a file id with two commas", "/1,1f,9a3b4c5d", 400),
          fid_row("a file id too short for its cookie", "/1,9a3b4c5", 400),
          fid_row("a file id of 36 characters", "/1," + std::string(33, 'a'),
                  400),
          fid_row("a file id with a trailing slash", "/1,1f9a3b4c5d/", 400),
          fid_row("a path traversal", "/../../etc/passwd", 400),
          fid_row("a percent-encoded path traversal",
                  "/%2e%2e/%2e%2e/etc/passwd", 400),
          fid_row("a volume id over 32 bits", "/4294967296,1f9a3b4c5d", 400),

      });
  // Ranges (docs/volume_server.md; dir/b.bin holds 4096 bytes).
  AddGroup(
      rows, "ranges",
      {
          range_row("a range starting at the object's end", "bytes=4096-4100",
                    416, "OUT_OF_RANGE"),
          range_row("an open range starting past the end", "bytes=5000-", 416,
                    "OUT_OF_RANGE"),
          range_row("two ranges", "bytes=0-1,5-6", 416, "OUT_OF_RANGE"),
          range_row("an empty suffix range", "bytes=-0", 416, "OUT_OF_RANGE"),
          range_row("a range that ends before it starts", "bytes=5-2", 400,
                    "INVALID_ARGUMENT"),
          range_row("a range of letters", "bytes=abc", 400, "INVALID_ARGUMENT"),
          // RFC 9110: a unit the server does not know is ignored.
          range_row("a range in another unit, ignored", "items=0-5", 200, ""),
          range_row("an empty byte range", "bytes=", 400, "INVALID_ARGUMENT"),
          range_row("a range with a negative start", "bytes=-5-10", 400,
                    "INVALID_ARGUMENT"),
          range_row("a range starting past 2^64", "bytes=99999999999999999999-",
                    416, "OUT_OF_RANGE"),
          range_row("a range ending past 2^64, clipped",
                    "bytes=4000-99999999999999999999", 206, ""),
          {"a Range header outside the signed range", Port::kVolume,
           [](Fx& fx) {
             return Once(Request(
                 "GET", fx.GetUrl("alpha", "dir/b.bin", ByteRange{0, 99}),
                 {"Range: bytes=200-300"}));
           },
           false, 403, "outside the signed range"},

      });
  // PUT framing (docs/volume_server.md, docs/http.md "Limits and
  // framing"). Every URL is signed for 13 bytes of text/plain.
  AddGroup(
      rows, "put framing",
      {
          {"PUT without Content-Length", Port::kVolume,
           [put](Fx& fx) { return put(AlphaPutUrl(fx), {}, ""); }, false, 411,
           "Content-Length required"},
          {"PUT with a Content-Length smaller than signed", Port::kVolume,
           [put, cl](Fx& fx) {
             return put(AlphaPutUrl(fx), {cl(kBodySize - 1)},
                        std::string(kOtherBody, kBodySize - 1));
           },
           false, 400, "signed for 13"},
          {"PUT with a Content-Length larger than signed", Port::kVolume,
           [put, cl](Fx& fx) {
             return put(AlphaPutUrl(fx), {cl(kBodySize + 1)},
                        std::string(kOtherBody) + "!");
           },
           false, 413, "larger than the 13 bytes signed"},
          {"PUT with a Content-Length of 2^64", Port::kVolume,
           [put](Fx& fx) {
             return put(AlphaPutUrl(fx),
                        {"Content-Length: 18446744073709551616"}, kOtherBody);
           },
           false, 400, "", true},
          {"PUT with a Content-Length that is not a number", Port::kVolume,
           [put](Fx& fx) {
             return put(AlphaPutUrl(fx), {"Content-Length: thirteen"},
                        kOtherBody);
           },
           false, 400, "", true},
          {"PUT with a negative Content-Length", Port::kVolume,
           [put](Fx& fx) {
             return put(AlphaPutUrl(fx), {"Content-Length: -13"}, kOtherBody);
           },
           false, 400, "", true},
          {"PUT with two different Content-Lengths", Port::kVolume,
           [put, cl](Fx& fx) {
             return put(AlphaPutUrl(fx), {cl(kBodySize), cl(kBodySize - 1)},
                        kOtherBody);
           },
           false, 400, "", true},
          {"PUT with both Content-Length and chunked", Port::kVolume,
           [put, cl](Fx& fx) {
             return put(AlphaPutUrl(fx),
                        {cl(kBodySize), "Transfer-Encoding: chunked"},
                        absl::StrCat("d\r\n", kOtherBody, "\r\n0\r\n\r\n"));
           },
           false, 400, "", true},
          {"PUT chunked instead of with a Content-Length", Port::kVolume,
           [put](Fx& fx) {
             return put(AlphaPutUrl(fx), {"Transfer-Encoding: chunked"},
                        absl::StrCat("d\r\n", kOtherBody, "\r\n0\r\n\r\n"));
           },
           false, 411, "Content-Length required"},
          {"PUT with a gzip transfer coding", Port::kVolume,
           [put](Fx& fx) {
             return put(AlphaPutUrl(fx), {"Transfer-Encoding: gzip"},
                        kOtherBody);
           },
           false, 400, "", true},
          {"PUT with a Content-Type other than signed", Port::kVolume,
           [put, cl](Fx& fx) {
             return put(AlphaPutUrl(fx),
                        {cl(kBodySize), "Content-Type: text/html"}, kOtherBody);
           },
           false, 400, "differs from the signed"},
          {"PUT with the signed Content-Type in other case", Port::kVolume,
           [put, cl](Fx& fx) {
             return put(AlphaPutUrl(fx),
                        {cl(kBodySize), "Content-Type: Text/Plain"},
                        kOtherBody);
           },
           false, 400, "differs from the signed"},
          {"PUT whose body ends early, then the client closes", Port::kVolume,
           [put, cl](Fx& fx) {
             return put(AlphaPutUrl(fx), {cl(kBodySize)}, "HELLO");
           },
           false, 400, "closed the connection early"},
          {"PUT of an expired URL", Port::kVolume,
           [put, cl](Fx& fx) {
             const std::string url = AlphaPutUrl(fx);
             UrlGrant grant;
             grant.access = UrlAccess::kWrite;
             grant.file_id = ParsedFileId(PathOf(url).substr(1));
             grant.expires_unix_seconds = absl::ToUnixSeconds(absl::Now()) - 1;
             grant.content_length = kBodySize;
             grant.upload_id = Param(url, "upload");
             grant.content_type = "text/plain";
             return put(Sign(grant, fx.cluster_keys()), {cl(kBodySize)},
                        kOtherBody);
           },
           false, 403, "expired"},
          {"PUT of a URL for an upload the master never began", Port::kVolume,
           [put, cl](Fx& fx) {
             UrlGrant grant;
             grant.access = UrlAccess::kWrite;
             grant.file_id = ParsedFileId(fx.FileIdOf("alpha", "a.txt"));
             grant.file_id.needle_id += 5000000;
             grant.expires_unix_seconds = absl::ToUnixSeconds(absl::Now()) + 60;
             grant.content_length = kBodySize;
             // Well formed (number, volume, cookie: master/upload_id.h), but
             // never issued.
             grant.upload_id =
                 absl::StrFormat("%016x%08x%08x", 0x7777777,
                                 grant.file_id.volume_id, grant.file_id.cookie);
             grant.content_type = "text/plain";
             return put(Sign(grant, fx.cluster_keys()), {cl(kBodySize)},
                        kOtherBody);
           },
           false, 404, "NOT_FOUND"},
          {"PUT URL with its length parameter changed", Port::kVolume,
           [put, cl](Fx& fx) {
             return put(WithParam(AlphaPutUrl(fx), "length", "14"),
                        {cl(kBodySize + 1)}, std::string(kOtherBody) + "!");
           },
           false, 403, "PERMISSION_DENIED"},
          {"PUT URL with a range added", Port::kVolume,
           [put, cl](Fx& fx) {
             return put(AlphaPutUrl(fx) + "&range=0-1", {cl(kBodySize)},
                        kOtherBody);
           },
           false, 400, "INVALID_ARGUMENT"},
          {"PUT with Expect: 100-continue and a bad signature", Port::kVolume,
           [put, cl](Fx& fx) {
             return put(WithParam(AlphaPutUrl(fx), "sig", std::string(64, '0')),
                        {cl(kBodySize), "Expect: 100-continue"}, "");
           },
           false, 403, "PERMISSION_DENIED", true},
          {"PUT with the signed Content-Length given twice", Port::kVolume,
           // Two equal values are one (RFC 9110, 8.6; docs/http.md). The
           // body is the object's own bytes, so the upload changes nothing.
           [put, cl](Fx& fx) {
             return put(AlphaPutUrl(fx), {cl(kBodySize), cl(kBodySize)},
                        "hello, world\n");
           },
           false, 200, "77bb1986"},
          {"a PUT URL used again after its upload succeeded", Port::kVolume,
           // Both PUTs carry the object's own bytes; the second finds its
           // needle written.
           [cl](Fx& fx) {
             const std::string url = AlphaPutUrl(fx);
             const std::string once =
                 Request("PUT", url, {cl(kBodySize)}, "hello, world\n");
             return Once(once + once);
           },
           false, 200, "", false, {200}},
          {"PUT whose body runs past its Content-Length",
           Port::kVolume,
           // The declared 13 bytes are the object's own; what follows is parsed
           // as a next request and refused.
           [put, cl](Fx& fx) {
             return put(
                 AlphaPutUrl(fx), {cl(kBodySize)},
                 "hello, world\nEXTRA BYTES THAT ARE NO REQUEST\r\n\r\n");
           },
           false,
           200,
           "",
           true,
           {400}},
          {"a PUT URL replayed with other bytes after its upload succeeded",
           Port::kVolume,
           // The first PUT stores the object's own bytes again; the replay
           // must not change them.
           [cl](Fx& fx) {
             const std::string url = AlphaPutUrl(fx);
             return Once(
                 Request("PUT", url, {cl(kBodySize)}, "hello, world\n") +
                 Request("PUT", url, {cl(kBodySize)}, kOtherBody));
           },
           false, 200, "", false, {409}},

      });
  // The request itself (docs/http.md).
  AddGroup(
      rows, "requests",
      {
          {"an Expect other than 100-continue", Port::kVolume,
           [get_a](Fx& fx) {
             return Once(Request("GET", get_a(fx), {"Expect: tea"}));
           },
           false, 417, "", true},
          {"a header of 20 KiB", Port::kVolume,
           [get_a](Fx& fx) {
             return Once(Request("GET", get_a(fx),
                                 {"X-Padding: " + std::string(20 << 10, 'p')}));
           },
           false, 431, "", true},
          {"a request target of 20 KiB", Port::kVolume,
           [get_a](Fx& fx) {
             return Once(Request(
                 "GET", get_a(fx) + "&pad=" + std::string(20 << 10, 'p')));
           },
           false, 431, "", true},
          {"an unknown method on a file id", Port::kVolume,
           [get_a](Fx& fx) { return Once(Request("FROB", get_a(fx))); }, false,
           405, ""},
          {"POST to a file id", Port::kVolume,
           [get_a, cl](Fx& fx) {
             return Once(
                 Request("POST", get_a(fx), {cl(kBodySize)}, kOtherBody));
           },
           false, 405, ""},
          {"a request line that is not HTTP", Port::kVolume,
           [](Fx&) { return Once("HELLO THERE\r\n\r\n"); }, false, 400, "",
           true},
          {"HTTP/2.0 in the request line", Port::kVolume,
           [](Fx&) { return Once("GET /healthz HTTP/2.0\r\n\r\n"); }, false,
           400, "", true},
          {"a header line without a colon", Port::kVolume,
           [](Fx&) {
             return Once(Request("GET", "/healthz", {"NoColonHere"}));
           },
           false, 400, "", true},
          {"an absolute-form target", Port::kVolume,
           [get_a](Fx& fx) {
             return Once(Request("GET", "http://127.0.0.1" + get_a(fx)));
           },
           false, 400, "", true},
          {"a NUL in the path", Port::kVolume,
           [get_a](Fx& fx) {
             return Once(
                 Request("GET", "/1,1f%009a3b4c5d" + QueryOf(get_a(fx))));
           },
           false, 400, "", true},
          {"a bad percent escape in the path", Port::kVolume,
           [get_a](Fx& fx) {
             return Once(Request("GET", "/1,1f%zz" + QueryOf(get_a(fx))));
           },
           false, 400, "", true},

      });
  // Slow clients (docs/http.md, "Timeouts"; the test cluster's idle
  // timeout is 1 s).
  AddGroup(
      rows, "slow clients",
      {
          {"a PUT that sends its headers and then nothing", Port::kVolume,
           [cl](Fx& fx) {
             RawSend send =
                 Once(Request("PUT", AlphaPutUrl(fx), {cl(kBodySize)}));
             send.half_close = false;
             send.deadline = kBadInputIdleTimeout * 8;
             return send;
           },
           false, 504, "DEADLINE_EXCEEDED", true},
          {"a PUT whose body arrives a byte every 2 s", Port::kVolume,
           [cl](Fx& fx) {
             RawSend send;
             send.pieces = {Request("PUT", AlphaPutUrl(fx), {cl(kBodySize)}),
                            "H",
                            "E",
                            "L",
                            "L",
                            "O"};
             send.piece_interval = kBadInputIdleTimeout * 2;
             send.half_close = false;
             send.deadline = kBadInputIdleTimeout * 12;
             return send;
           },
           false, 504, "DEADLINE_EXCEEDED", true},
          {"a header trickled a line every 300 ms (slowloris)", Port::kVolume,
           [](Fx&) {
             RawSend send;
             send.pieces = {"GET /healthz HTTP/1.1\r\n"};
             for (int i = 0; i < 30; ++i) {
               send.pieces.push_back(absl::StrCat("X-Drip-", i, ": 1\r\n"));
             }
             send.piece_interval = absl::Milliseconds(300);
             send.half_close = false;
             send.deadline = kBadInputIdleTimeout * 8;
             return send;
           },
           false, 408, "", true},
          {"half a request line, then nothing", Port::kVolume,
           [](Fx&) {
             RawSend send = Once("GET /heal");
             send.half_close = false;
             send.deadline = kBadInputIdleTimeout * 8;
             return send;
           },
           false, 408, "", true},
          {"a connection that sends nothing", Port::kVolume,
           [](Fx&) {
             RawSend send;
             send.half_close = false;
             send.deadline = kBadInputIdleTimeout * 8;
             return send;
           },
           false, 0, "", true},
      });
  return rows;
}

std::vector<HttpRow> MasterRows() {
  using Fx = BadInputFixture;
  auto slow = [](RawSend send) {
    send.half_close = false;
    send.deadline = kBadInputIdleTimeout * 8;
    return send;
  };
  return {
      {"master: an unknown path", Port::kMaster,
       [](Fx&) { return Once(Request("GET", "/no/such/path")); }, false, 404,
       "NOT_FOUND"},
      {"master: POST to /healthz", Port::kMaster,
       [](Fx&) {
         return Once(Request("POST", "/healthz", {"Content-Length: 0"}));
       },
       false, 405, ""},
      {"master: an unknown method", Port::kMaster,
       [](Fx&) { return Once(Request("FROB", "/metrics")); }, false, 405, ""},
      {"master: a header of 20 KiB", Port::kMaster,
       [](Fx&) {
         return Once(Request("GET", "/healthz",
                             {"X-Padding: " + std::string(20 << 10, 'p')}));
       },
       false, 431, "", true},
      {"master: a request line that is not HTTP", Port::kMaster,
       [](Fx&) { return Once("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"); },
       false, 400, "", true},
      {"master: a bad percent escape in the path", Port::kMaster,
       [](Fx&) { return Once(Request("GET", "/healthz%zz")); }, false, 400, "",
       true},
      {"master: two different Content-Lengths", Port::kMaster,
       [](Fx&) {
         return Once(Request("POST", "/healthz",
                             {"Content-Length: 1", "Content-Length: 2"}, "xx"));
       },
       false, 400, "", true},
      {"master: a header trickled a line every 300 ms (slowloris)",
       Port::kMaster,
       [slow](Fx&) {
         RawSend send;
         send.pieces = {"GET /healthz HTTP/1.1\r\n"};
         for (int i = 0; i < 30; ++i) {
           send.pieces.push_back(absl::StrCat("X-Drip-", i, ": 1\r\n"));
         }
         send.piece_interval = absl::Milliseconds(300);
         return slow(send);
       },
       false, 408, "", true},
      {"master: a connection that sends nothing", Port::kMaster,
       [slow](Fx&) { return slow(RawSend{}); }, false, 0, "", true},
  };
}

std::vector<HttpRow> HttpRows() {
  std::vector<HttpRow> rows = VolumeRows();
  AddGroup(rows, "master port", MasterRows());
  return rows;
}

// The value of an unlabelled sample in Prometheus text.
std::optional<double> Sample(const std::string& metrics,
                             const std::string& name) {
  for (absl::string_view line : absl::StrSplit(metrics, '\n')) {
    if (absl::ConsumePrefix(&line, name + " ")) {
      double value = 0;
      if (absl::SimpleAtod(line, &value)) return value;
    }
  }
  return std::nullopt;
}

// "200, 400 {...}": the status of every response on the connection, with
// the bodies of those after the first.
std::string Statuses(const RawExchange& exchange) {
  std::string text;
  for (size_t i = 0; i < exchange.responses.size(); ++i) {
    const RawResponse& response = exchange.responses[i];
    absl::StrAppend(&text, i == 0 ? "" : ", ", response.status);
    if (i > 0) absl::StrAppend(&text, " ", response.body.substr(0, 200));
  }
  return text;
}

}  // namespace

std::string HttpRowGroups(size_t* count) {
  const std::vector<HttpRow> rows = HttpRows();
  *count = rows.size();
  return GroupCounts(rows);
}

TEST_CASE(
    "every bad HTTP request gets its documented answer and changes nothing",
    "[e2e][bad_input][http]") {
  absl::StatusOr<BadInputFixture*> started = BadInputFixture::Get();
  INFO(started.status().ToString());
  REQUIRE(started.ok());
  BadInputFixture& fx = **started;
  const std::vector<HttpRow> rows = HttpRows();
  const absl::Time start = absl::Now();
  size_t passed = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const HttpRow& row = rows[i];
    const std::string address = row.port == Port::kVolume
                                    ? fx.volume_address()
                                    : fx.cluster().master_http_address();
    const RawSend send = row.send(fx);
    absl::StatusOr<RawExchange> exchange = RawHttp(address, send, row.head);
    INFO("row: " << row.name);
    REQUIRE(exchange.ok());
    const std::string body =
        exchange->responses.empty() ? "" : exchange->responses[0].body;
    INFO("  got " << exchange->status() << " " << body << "  after "
                  << absl::FormatDuration(exchange->elapsed)
                  << (exchange->closed_by_server ? ", closed by the server"
                                                 : ", left open")
                  << " (responses: " << Statuses(*exchange) << ")"
                  << "\n  expected " << row.status << " containing \""
                  << row.fragment << "\"" << (row.closes ? ", closed" : ""));
    bool ok = exchange->status() == row.status &&
              absl::StrContains(body, row.fragment) &&
              (!row.closes || exchange->closed_by_server);
    for (size_t i = 0; i < row.then.size(); ++i) {
      ok = ok && exchange->responses.size() > i + 1 &&
           exchange->responses[i + 1].status == row.then[i];
    }
    CHECK(ok);
    passed += ok;
    if (EndsGroup(rows, i)) {
      INFO("stored data after the " << row.group << " rows");
      CHECK(fx.CheckStoredData() == "");
    }
  }
  std::printf(
      "HTTP bad inputs: %zu rows (%s), %zu answered as documented, %.1f s\n",
      rows.size(), GroupCounts(rows).c_str(), passed,
      absl::ToDoubleSeconds(absl::Now() - start));

  // Every connection of the table was let go: once the stored-data check's
  // own keep-alive connections have idled out, the volume server's only
  // open connection is the one asking.
  std::string text;
  const absl::Time deadline = absl::Now() + kBadInputIdleTimeout * 5;
  do {
    absl::StatusOr<RawExchange> metrics =
        RawHttp(fx.volume_address(),
                Once(Request("GET", "/metrics", {"Connection: close"})));
    REQUIRE(metrics.ok());
    text = metrics->responses.empty() ? "" : metrics->responses[0].body;
    if (Sample(text, "warehouse_http_open_connections") == 1.0) break;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < deadline);
  INFO(text);
  CHECK(Sample(text, "warehouse_http_open_connections") == 1.0);
  CHECK(Sample(text, "warehouse_http_idle_timeouts_total").value_or(0) >= 3);
}

}  // namespace warehouse::testing
