// The real warehouse-volume binary on loopback, driven over HTTP with urls
// this test signs, reporting to an in-process fake master.
#include <signal.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "common/crc32c.h"
#include "common/file_id.h"
#include "common/http_client.h"
#include "common/key_ring.h"
#include "common/signed_url.h"
#include "tests/e2e/fake_master.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace warehouse {
namespace {

using testing::FakeMaster;
using testing::Process;
using testing::TempDir;

std::string Payload(uint64_t seed, size_t size) {
  std::mt19937_64 rng(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

// A cluster of one volume server (the real binary) and a fake master.
class Cluster {
 public:
  explicit Cluster(std::vector<std::string> extra_args = {})
      : extra_args_(std::move(extra_args)) {
    auto key = GenerateKey("k1");
    REQUIRE(key.ok());
    key_env_ = FormatKeyRingEntry(*key);
    auto ring = KeyRing::Parse(key_env_);
    REQUIRE(ring.ok());
    keys_ = std::make_unique<KeyRing>(*std::move(ring));
    Start();
    v1::MasterCommand create;
    create.mutable_create_volume()->set_volume_id(1);
    REQUIRE(master_.RunCommand(create, absl::Seconds(10)).ok());
  }

  // Starts the volume server and, unless told otherwise, waits for its
  // registration.
  void Start(bool await_registration = true) {
    std::vector<std::string> argv = {WAREHOUSE_VOLUME_BIN,
                                     "--master",
                                     master_.address(),
                                     "--dir",
                                     dir_.Join("data"),
                                     "--port",
                                     "0",
                                     "--admin-listen",
                                     "127.0.0.1:0",
                                     "--heartbeat-interval",
                                     "0.2",
                                     "--log-level",
                                     "warn"};
    argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
    auto process = Process::Start(argv, {{"WAREHOUSE_CLUSTER_KEY", key_env_}},
                                  dir_.Join("volume.log"));
    REQUIRE(process.ok());
    process_ = *std::move(process);
    auto line = process_->WaitForLine("serving HTTP on ", absl::Seconds(20));
    INFO(line.status().ToString());
    REQUIRE(line.ok());
    size_t at = line->find("serving HTTP on ") + 16;
    http_ = line->substr(at, line->find(',', at) - at);
    if (await_registration) {
      REQUIRE(master_.WaitForRegistration(absl::Seconds(10)));
    }
  }

  std::string PutUrl(const FileId& fid, uint64_t length,
                     const std::string& upload = "u1",
                     const std::string& type = "application/octet-stream",
                     absl::Duration ttl = absl::Minutes(5)) {
    UrlGrant grant;
    grant.access = UrlAccess::kWrite;
    grant.file_id = fid;
    grant.expires_unix_seconds = absl::ToUnixSeconds(absl::Now() + ttl);
    grant.content_length = length;
    grant.upload_id = upload;
    grant.content_type = type;
    return Sign(grant);
  }
  std::string GetUrl(const FileId& fid, std::optional<ByteRange> range = {},
                     absl::Duration ttl = absl::Minutes(5)) {
    UrlGrant grant;
    grant.file_id = fid;
    grant.expires_unix_seconds = absl::ToUnixSeconds(absl::Now() + ttl);
    grant.range = range;
    return Sign(grant);
  }
  std::string DeleteUrl(const FileId& fid) {
    UrlGrant grant;
    grant.access = UrlAccess::kDelete;
    grant.file_id = fid;
    grant.expires_unix_seconds =
        absl::ToUnixSeconds(absl::Now() + absl::Minutes(5));
    return Sign(grant);
  }

  http::ClientResponse Send(
      const std::string& method, const std::string& target,
      std::string body = "",
      std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::ClientRequest request;
    request.method = method;
    request.target = target;
    request.body = std::move(body);
    request.headers = std::move(headers);
    auto response = pool_.Send({http_, false}, request);
    INFO(response.status().ToString());
    REQUIRE(response.ok());
    return *std::move(response);
  }

  absl::StatusOr<http::ClientResponse> TrySend(http::ClientRequest& request) {
    http::ConnectionPool pool;
    return pool.Send({http_, false}, request);
  }

  FakeMaster& master() { return master_; }
  Process& process() { return *process_; }
  const std::string& http() const { return http_; }

 private:
  // Upload threads sign too, and Catch's assertions are for the test's
  // own thread: only a failure reaches Catch.
  std::string Sign(const UrlGrant& grant) {
    auto url = SignUrl(grant, *keys_);
    if (!url.ok()) FAIL("signing a URL: " << url.status().ToString());
    return *url;
  }

  TempDir dir_;
  FakeMaster master_;
  std::vector<std::string> extra_args_;
  std::string key_env_;
  std::unique_ptr<KeyRing> keys_;
  std::unique_ptr<Process> process_;
  std::string http_;
  http::ConnectionPool pool_;
};

FileId Fid(uint64_t needle, uint32_t cookie = 0x9a3b4c5d) {
  return FileId{1, needle, cookie};
}

TEST_CASE("objects upload, download, refuse a second body and delete over http",
          "[e2e][volume]") {
  Cluster cluster;
  const std::string data = Payload(1, 5000);
  auto put = cluster.Send("PUT", cluster.PutUrl(Fid(1), data.size(), "up1"),
                          data, {{"Content-Type", "application/octet-stream"}});
  REQUIRE(put.status == 200);
  const std::string etag = absl::StrFormat("\"%08x\"", crc32c::Value(data));
  CHECK(put.Header("ETag") == etag);
  auto recorded = cluster.master().recorded();
  REQUIRE(recorded.count("up1") == 1);
  CHECK(recorded["up1"].file_id() == Fid(1).ToString());
  CHECK(recorded["up1"].crc32c() == crc32c::Value(data));

  auto get = cluster.Send("GET", cluster.GetUrl(Fid(1)));
  CHECK(get.status == 200);
  CHECK(get.body == data);
  CHECK(get.Header("ETag") == etag);
  CHECK(get.Header("Content-Type") == "application/octet-stream");
  CHECK(get.Header("Last-Modified").has_value());

  auto head = cluster.Send("HEAD", cluster.GetUrl(Fid(1)));
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.Header("Content-Length") == "5000");

  // A needle is written once: the same needle again with new bytes is
  // refused, even under another upload, and the first bytes stay.
  const std::string second = Payload(2, 70000);
  CHECK(
      cluster.Send("PUT", cluster.PutUrl(Fid(1), second.size(), "up2"), second)
          .status == 409);
  CHECK(cluster.Send("GET", cluster.GetUrl(Fid(1))).body == data);
  // The same bytes again (a retry) are answered as the first PUT was.
  auto again =
      cluster.Send("PUT", cluster.PutUrl(Fid(1), data.size(), "up1"), data);
  CHECK(again.status == 200);
  CHECK(again.Header("ETag") == etag);

  CHECK(cluster.Send("DELETE", cluster.DeleteUrl(Fid(1))).status == 204);
  CHECK(cluster.Send("GET", cluster.GetUrl(Fid(1))).status == 404);
  CHECK(cluster.Send("DELETE", cluster.DeleteUrl(Fid(1))).status == 404);
}

TEST_CASE("a page on another origin may use signed urls (CORS)",
          "[e2e][volume]") {
  Cluster cluster;
  const std::vector<std::pair<std::string, std::string>> from_dashboard = {
      {"Origin", "http://127.0.0.1:9334"}};
  // The preflight a browser sends before a PUT with a Content-Type.
  auto preflight =
      cluster.Send("OPTIONS", cluster.PutUrl(Fid(1), 5), "",
                   {{"Origin", "http://127.0.0.1:9334"},
                    {"Access-Control-Request-Method", "PUT"},
                    {"Access-Control-Request-Headers", "content-type"}});
  CHECK(preflight.status == 204);
  CHECK(preflight.Header("Access-Control-Allow-Origin") == "*");
  CHECK_THAT(preflight.Header("Access-Control-Allow-Methods").value_or(""),
             Catch::Contains("PUT"));
  CHECK_THAT(preflight.Header("Access-Control-Allow-Methods").value_or(""),
             Catch::Contains("GET"));
  CHECK_THAT(preflight.Header("Access-Control-Allow-Headers").value_or(""),
             Catch::Contains("Content-Type"));
  // The signed url is the credential: cookies are never asked for.
  CHECK(!preflight.Header("Access-Control-Allow-Credentials").has_value());

  std::vector<std::pair<std::string, std::string>> put_headers = from_dashboard;
  put_headers.emplace_back("Content-Type", "text/plain");
  auto put = cluster.Send("PUT", cluster.PutUrl(Fid(1), 5, "up1", "text/plain"),
                          "hello", put_headers);
  REQUIRE(put.status == 200);
  CHECK(put.Header("Access-Control-Allow-Origin") == "*");
  CHECK_THAT(put.Header("Access-Control-Expose-Headers").value_or(""),
             Catch::Contains("ETag"));

  auto get = cluster.Send("GET", cluster.GetUrl(Fid(1)), "", from_dashboard);
  CHECK(get.status == 200);
  CHECK(get.body == "hello");
  CHECK(get.Header("Access-Control-Allow-Origin") == "*");
  // Errors carry the header too, so the page can read the message.
  auto missing =
      cluster.Send("GET", cluster.GetUrl(Fid(2)), "", from_dashboard);
  CHECK(missing.status == 404);
  CHECK(missing.Header("Access-Control-Allow-Origin") == "*");
  auto deleted =
      cluster.Send("DELETE", cluster.DeleteUrl(Fid(1)), "", from_dashboard);
  CHECK(deleted.status == 204);
  CHECK(deleted.Header("Access-Control-Allow-Origin") == "*");
}

TEST_CASE("byte ranges answer 206, 416 and honour the signed range",
          "[e2e][volume]") {
  Cluster cluster;
  const std::string data = Payload(3, 1 << 20);
  REQUIRE(
      cluster.Send("PUT", cluster.PutUrl(Fid(2), data.size()), data).status ==
      200);
  auto part = cluster.Send("GET", cluster.GetUrl(Fid(2)), "",
                           {{"Range", "bytes=100-199"}});
  CHECK(part.status == 206);
  CHECK(part.body == data.substr(100, 100));
  CHECK(part.Header("Content-Range") == "bytes 100-199/1048576");
  auto tail =
      cluster.Send("GET", cluster.GetUrl(Fid(2)), "", {{"Range", "bytes=-10"}});
  CHECK(tail.status == 206);
  CHECK(tail.body == data.substr(data.size() - 10));
  // A 416 names the object's size.
  auto past_end = cluster.Send("GET", cluster.GetUrl(Fid(2)), "",
                               {{"Range", "bytes=2000000-"}});
  CHECK(past_end.status == 416);
  CHECK(past_end.Header("Content-Range") == "bytes */1048576");
  auto several = cluster.Send("GET", cluster.GetUrl(Fid(2)), "",
                              {{"Range", "bytes=0-1,5-6"}});
  CHECK(several.status == 416);
  CHECK(several.Header("Content-Range") == "bytes */1048576");
  CHECK(cluster.Send("GET", cluster.GetUrl(Fid(2)), "", {{"Range", "bytes=x"}})
            .status == 400);
  // A last position past 64 bits still means the end.
  auto huge = cluster.Send("GET", cluster.GetUrl(Fid(2)), "",
                           {{"Range", "bytes=1048570-18446744073709551616"}});
  CHECK(huge.status == 206);
  CHECK(huge.body == data.substr(1048570));
  CHECK(huge.Header("Content-Range") == "bytes 1048570-1048575/1048576");
  // A unit other than bytes is ignored: the whole object.
  auto items =
      cluster.Send("GET", cluster.GetUrl(Fid(2)), "", {{"Range", "items=0-1"}});
  CHECK(items.status == 200);
  CHECK(items.body == data);
  CHECK_FALSE(items.Header("Content-Range").has_value());
  // A url signed for a range serves that range, and nothing outside it.
  const std::string ranged = cluster.GetUrl(Fid(2), ByteRange{10, 19});
  auto signed_part = cluster.Send("GET", ranged);
  CHECK(signed_part.status == 206);
  CHECK(signed_part.body == data.substr(10, 10));
  CHECK(cluster.Send("GET", ranged, "", {{"Range", "bytes=12-15"}}).body ==
        data.substr(12, 4));
  CHECK(cluster.Send("GET", ranged, "", {{"Range", "bytes=0-15"}}).status ==
        403);
  auto ranged_items = cluster.Send("GET", ranged, "", {{"Range", "items=0-1"}});
  CHECK(ranged_items.status == 206);
  CHECK(ranged_items.body == data.substr(10, 10));
  // A small object is served from the buffer it was read into.
  const std::string small = Payload(4, 3000);
  REQUIRE(
      cluster.Send("PUT", cluster.PutUrl(Fid(3), small.size()), small).status ==
      200);
  auto small_part = cluster.Send("GET", cluster.GetUrl(Fid(3)), "",
                                 {{"Range", "bytes=1000-1099"}});
  CHECK(small_part.status == 206);
  CHECK(small_part.body == small.substr(1000, 100));
  CHECK(small_part.Header("Content-Range") == "bytes 1000-1099/3000");
  CHECK(cluster.Send("GET", cluster.GetUrl(Fid(3))).body == small);
}

TEST_CASE("conditional GETs answer 304 and 412, and If-Range guards a range",
          "[e2e][volume]") {
  Cluster cluster;
  const std::string data = Payload(5, 100000);
  REQUIRE(
      cluster.Send("PUT", cluster.PutUrl(Fid(4), data.size()), data).status ==
      200);
  auto get = cluster.Send("GET", cluster.GetUrl(Fid(4)));
  REQUIRE(get.status == 200);
  const std::string etag = *get.Header("ETag");
  const std::string modified = *get.Header("Last-Modified");

  // A cache holding this copy is told so, with no body and no length
  // other than the object's; the connection goes on serving.
  for (const auto& condition :
       std::vector<std::pair<std::string, std::string>>{
           {"If-None-Match", etag},
           {"If-None-Match", "\"other\", W/" + etag},
           {"If-Modified-Since", modified}}) {
    INFO(condition.first << ": " << condition.second);
    for (const char* method : {"GET", "HEAD"}) {
      auto cached =
          cluster.Send(method, cluster.GetUrl(Fid(4)), "", {condition});
      CHECK(cached.status == 304);
      CHECK(cached.body.empty());
      CHECK_FALSE(cached.Header("Content-Length").has_value());
      CHECK(cached.Header("ETag") == etag);
      CHECK(cached.Header("Last-Modified") == modified);
    }
  }
  CHECK(cluster.Send("GET", cluster.GetUrl(Fid(4)), "",
                     {{"If-None-Match", "\"other\""}})
            .body == data);
  CHECK(cluster.Send("GET", cluster.GetUrl(Fid(4)), "",
                     {{"If-Modified-Since", "Thu, 01 Jan 2015 00:00:00 GMT"}})
            .body == data);

  // If-Match names the copy a writer expects: another one fails.
  CHECK(cluster.Send("GET", cluster.GetUrl(Fid(4)), "", {{"If-Match", etag}})
            .body == data);
  auto mismatch = cluster.Send("GET", cluster.GetUrl(Fid(4)), "",
                               {{"If-Match", "\"other\""}});
  CHECK(mismatch.status == 412);
  CHECK_THAT(mismatch.body, Catch::Contains("If-Match"));
  CHECK(cluster.Send("GET", cluster.GetUrl(Fid(4)), "",
                     {{"If-Unmodified-Since", "Thu, 01 Jan 2015 00:00:00 GMT"}})
            .status == 412);

  // A resumed download: the range only for the same object, else all of it.
  auto resumed = cluster.Send("GET", cluster.GetUrl(Fid(4)), "",
                              {{"Range", "bytes=100-"}, {"If-Range", etag}});
  CHECK(resumed.status == 206);
  CHECK(resumed.body == data.substr(100));
  auto changed =
      cluster.Send("GET", cluster.GetUrl(Fid(4)), "",
                   {{"Range", "bytes=100-"}, {"If-Range", "\"other\""}});
  CHECK(changed.status == 200);
  CHECK(changed.body == data);
  CHECK_FALSE(changed.Header("Content-Range").has_value());
  CHECK(cluster.Send("GET", cluster.GetUrl(Fid(4)), "",
                     {{"Range", "bytes=100-"}, {"If-Range", modified}})
            .status == 206);

  // A 204 carries no Content-Length either.
  auto deleted = cluster.Send("DELETE", cluster.DeleteUrl(Fid(4)));
  CHECK(deleted.status == 204);
  CHECK_FALSE(deleted.Header("Content-Length").has_value());
  CHECK(cluster.Send("GET", cluster.GetUrl(Fid(4))).status == 404);
}

TEST_CASE("every way a url can be wrong is refused", "[e2e][volume]") {
  Cluster cluster;
  const std::string data = Payload(4, 100);
  REQUIRE(
      cluster.Send("PUT", cluster.PutUrl(Fid(3), data.size()), data).status ==
      200);
  const std::string good = cluster.GetUrl(Fid(3));
  REQUIRE(cluster.Send("GET", good).status == 200);
  auto code_of = [&](const std::string& method, const std::string& target,
                     std::string body = "") {
    return cluster.Send(method, target, std::move(body)).status;
  };
  const std::string fid = Fid(3).ToString();
  // Tampered file id (needle), cookie, expiry, key id, signature.
  CHECK(code_of("GET", absl::StrReplaceAll(good, {{fid, Fid(4).ToString()}})) ==
        403);
  CHECK(code_of("GET", absl::StrReplaceAll(
                           good, {{fid, Fid(3, 0x9a3b4c5e).ToString()}})) ==
        403);
  std::string later = good;
  size_t e = later.find("expires=") + 8;
  later[e + 2] = later[e + 2] == '9' ? '8' : '9';
  CHECK(code_of("GET", later) == 403);
  CHECK(code_of("GET", absl::StrReplaceAll(good, {{"key=k1", "key=k2"}})) ==
        403);
  std::string bad_sig = good;
  bad_sig[bad_sig.size() - 1] = bad_sig.back() == '0' ? '1' : '0';
  CHECK(code_of("GET", bad_sig) == 403);
  // Unsigned, malformed, wrong method.
  CHECK(code_of("GET", "/" + fid) == 401);
  CHECK(code_of("GET", "/not-a-fid?x") == 400);
  CHECK(code_of("PUT", good, data) == 403);
  CHECK(code_of("DELETE", good) == 403);
  CHECK(code_of("GET", cluster.DeleteUrl(Fid(3))) == 403);
  // Expired.
  CHECK(code_of("GET", cluster.GetUrl(Fid(3), {}, absl::Seconds(-5))) == 403);
  // A put url's length is bound: tampering or sending other lengths fails.
  const std::string put = cluster.PutUrl(Fid(5), 10);
  CHECK(code_of("PUT", absl::StrReplaceAll(put, {{"length=10", "length=11"}}),
                std::string(11, 'x')) == 403);
  CHECK(code_of("PUT", put, std::string(11, 'x')) == 413);
  CHECK(code_of("PUT", put, std::string(9, 'x')) == 400);
  CHECK(cluster
            .Send("PUT", put, std::string(10, 'x'),
                  {{"Content-Type", "text/html"}})
            .status == 400);
  // None of it stored anything, or harmed what was stored.
  CHECK(code_of("GET", cluster.GetUrl(Fid(5))) == 404);
  CHECK(cluster.Send("GET", good).body == data);
}

TEST_CASE("an upload the master refuses is answered with its error and removed",
          "[e2e][volume]") {
  Cluster cluster;
  cluster.master().SetVerdict([](const v1::UploadReport& report) {
    return report.upload_id() == "expired"
               ? absl::NotFoundError("upload expired: unknown upload")
               : absl::OkStatus();
  });
  const std::string data = Payload(5, 300);
  auto refused =
      cluster.Send("PUT", cluster.PutUrl(Fid(6), data.size(), "expired"), data);
  CHECK(refused.status == 404);
  CHECK(refused.body.find("unknown upload") != std::string::npos);
  CHECK(cluster.Send("GET", cluster.GetUrl(Fid(6))).status == 404);
}

TEST_CASE("a retry of an unconfirmed upload completes it or removes it",
          "[e2e][volume]") {
  Cluster cluster;
  // The master first does not answer, then knows "kept" and has forgotten
  // "forgotten" (as when it stopped abruptly before writing it down).
  std::atomic<bool> master_back{false};
  cluster.master().SetVerdict([&](const v1::UploadReport& report) {
    if (!master_back) return absl::UnavailableError("master unreachable");
    return report.upload_id() == "forgotten"
               ? absl::NotFoundError("upload forgotten: unknown upload")
               : absl::OkStatus();
  });
  const std::string kept = Payload(8, 3000);
  const std::string forgotten = Payload(9, 4000);
  const std::string kept_url = cluster.PutUrl(Fid(8), kept.size(), "kept");
  const std::string forgotten_url =
      cluster.PutUrl(Fid(9), forgotten.size(), "forgotten");
  CHECK(cluster.Send("PUT", kept_url, kept).status == 503);
  CHECK(cluster.Send("PUT", forgotten_url, forgotten).status == 503);
  // Unconfirmed needles stay, for a retry to report.
  CHECK(cluster.Send("GET", cluster.GetUrl(Fid(9))).body == forgotten);

  master_back = true;
  CHECK(cluster.Send("PUT", kept_url, kept).status == 200);
  CHECK(cluster.master().recorded().count("kept") == 1);
  CHECK(cluster.Send("GET", cluster.GetUrl(Fid(8))).body == kept);
  auto refused = cluster.Send("PUT", forgotten_url, forgotten);
  CHECK(refused.status == 404);
  CHECK(refused.body.find("unknown upload") != std::string::npos);
  // No upload will ever name the needle: it is gone, not left an orphan.
  CHECK(cluster.Send("GET", cluster.GetUrl(Fid(9))).status == 404);
  CHECK(cluster.master().recorded().count("forgotten") == 0);
}

TEST_CASE("a body that ends early leaves nothing readable", "[e2e][volume]") {
  Cluster cluster;
  // Announce 1 MiB, send 1000 bytes, hang up.
  http::ClientRequest request;
  request.method = "PUT";
  request.target = cluster.PutUrl(Fid(7), 1 << 20);
  request.body_length = 1 << 20;
  int calls = 0;
  request.body_source = [&calls](char* buf,
                                 size_t n) -> absl::StatusOr<size_t> {
    if (calls++ > 0) return absl::CancelledError("client gives up");
    size_t k = std::min<size_t>(n, 1000);
    std::fill(buf, buf + k, 'x');
    return k;
  };
  CHECK_FALSE(cluster.TrySend(request).ok());
  CHECK(cluster.Send("GET", cluster.GetUrl(Fid(7))).status == 404);
  CHECK(cluster.master().recorded().empty());
}

TEST_CASE("concurrent uploads survive a SIGKILL of the volume server",
          "[e2e][volume][crash]") {
  Cluster cluster;
  std::atomic<bool> stop{false};
  absl::Mutex mu;
  std::map<uint64_t, size_t> acknowledged;  // needle -> size
  std::vector<uint64_t> refused;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      http::ConnectionPool pool;
      for (uint64_t i = 0; i < 400 && !stop; ++i) {
        const uint64_t needle = 1000 + t * 1000 + i;
        const size_t size = 100 + (needle * 37) % 70000;
        http::ClientRequest request;
        request.method = "PUT";
        request.target =
            cluster.PutUrl(Fid(needle), size, absl::StrCat("u", needle));
        request.body = Payload(needle, size);
        auto response = pool.Send({cluster.http(), false}, request);
        if (!response.ok()) continue;  // outcome unknown: connection cut
        absl::MutexLock lock(&mu);
        if (response->status == 200) {
          acknowledged[needle] = size;
        } else {
          refused.push_back(needle);
        }
      }
    });
  }
  // Kill once some uploads are acknowledged.
  for (int i = 0; i < 500; ++i) {
    {
      absl::MutexLock lock(&mu);
      if (acknowledged.size() >= 50) break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  cluster.process().Signal(SIGKILL);
  stop = true;
  for (auto& thread : threads) thread.join();
  REQUIRE(cluster.process().Wait(absl::Seconds(10)).ok());
  REQUIRE(acknowledged.size() >= 50);

  cluster.Start();
  for (const auto& [needle, size] : acknowledged) {
    auto get = cluster.Send("GET", cluster.GetUrl(Fid(needle)));
    INFO("needle " << needle);
    REQUIRE(get.status == 200);
    CHECK(get.body == Payload(needle, size));
  }
  for (uint64_t needle : refused) {
    CHECK(cluster.Send("GET", cluster.GetUrl(Fid(needle))).status == 404);
  }
}

TEST_CASE("a registration the master refuses is logged with its reason",
          "[e2e][volume]") {
  Cluster cluster;
  // The master learns how often heartbeats come (the test's 0.2 s).
  CHECK(cluster.master().registration().heartbeat_interval_ms() == 200);
  cluster.master().RefuseRegistrations(grpc::Status(
      grpc::StatusCode::FAILED_PRECONDITION, "refused by the test's master"));
  cluster.process().Signal(SIGTERM);
  REQUIRE(cluster.process().Wait(absl::Seconds(20)).ok());
  cluster.Start(/*await_registration=*/false);
  auto line = cluster.process().WaitForLine("refused by the test's master",
                                            absl::Seconds(10));
  INFO(line.status().ToString());
  REQUIRE(line.ok());
  CHECK_THAT(*line, Catch::Contains("FAILED_PRECONDITION"));
}

TEST_CASE(
    "SIGTERM stops the volume server cleanly and it restarts with its data",
    "[e2e][volume]") {
  Cluster cluster;
  const std::string data = Payload(9, 12345);
  REQUIRE(
      cluster.Send("PUT", cluster.PutUrl(Fid(9), data.size()), data).status ==
      200);
  cluster.process().Signal(SIGTERM);
  auto code = cluster.process().Wait(absl::Seconds(20));
  REQUIRE(code.ok());
  CHECK(*code == 0);
  cluster.Start();
  CHECK(cluster.Send("GET", cluster.GetUrl(Fid(9))).body == data);
  // The usage endpoint shows the volume and its needle.
  auto usage = cluster.Send("GET", "/usage");
  CHECK(usage.status == 200);
  CHECK(usage.body.find("\"volume_id\":1") != std::string::npos);
  CHECK(usage.body.find("\"needles\":1") != std::string::npos);
}

TEST_CASE("a full volume answers 507 and keeps serving what it holds",
          "[e2e][volume]") {
  Cluster cluster({"--volume-size", "256K"});
  const std::string data = Payload(10, 100000);
  REQUIRE(
      cluster.Send("PUT", cluster.PutUrl(Fid(10), data.size()), data).status ==
      200);
  REQUIRE(
      cluster.Send("PUT", cluster.PutUrl(Fid(11), data.size()), data).status ==
      200);
  CHECK(
      cluster.Send("PUT", cluster.PutUrl(Fid(12), data.size()), data).status ==
      507);
  CHECK(cluster.Send("GET", cluster.GetUrl(Fid(10))).body == data);
  CHECK(cluster.Send("GET", cluster.GetUrl(Fid(11))).body == data);
}

}  // namespace
}  // namespace warehouse
