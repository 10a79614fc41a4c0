// The HTTP data path in process, over a store whose disk fails on request,
// reporting uploads to a master that records every one.
#include "volume/data_path.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "common/file_id.h"
#include "common/http_client.h"
#include "common/http_router.h"
#include "common/http_server.h"
#include "common/key_ring.h"
#include "common/metrics.h"
#include "common/signed_url.h"
#include "tests/support/fault_injection_file_system.h"
#include "tests/support/temp_dir.h"
#include "volume/store.h"
#include "volume/upload_reporter.h"

namespace warehouse::volume {
namespace {

using warehouse::testing::FaultInjectionFileSystem;
using warehouse::testing::TempDir;

// One store with volume 1 behind a DataPath on a loopback port.
class Server {
 public:
  Server()
      : reporter_([](const std::vector<v1::UploadReport>& batch) {
          return std::vector<absl::Status>(batch.size(), absl::OkStatus());
        }) {
    auto key = GenerateKey("k1");
    REQUIRE(key.ok());
    auto ring = KeyRing::Parse(FormatKeyRingEntry(*key));
    REQUIRE(ring.ok());
    keys_ = std::make_unique<KeyRing>(*std::move(ring));
    StoreOptions options;
    options.volume.fs = &fs_;
    options.sync_interval = absl::ZeroDuration();
    auto store = Store::Open(dir_.path(), options);
    REQUIRE(store.ok());
    store_ = *std::move(store);
    REQUIRE(store_->CreateVolume(1).ok());
    data_path_ = std::make_unique<DataPath>(
        store_.get(), keys_.get(), &reporter_, &metrics_, &checksum_failures_,
        [] { return true; });
    data_path_->Register(router_);
    auto server = http::Server::Start({}, router_.AsHandler());
    REQUIRE(server.ok());
    server_ = *std::move(server);
  }

  FaultInjectionFileSystem& fs() { return fs_; }

  int Put(uint64_t needle, const std::string& body) {
    UrlGrant grant;
    grant.access = UrlAccess::kWrite;
    grant.file_id = FileId{1, needle, kCookie};
    grant.expires_unix_seconds =
        absl::ToUnixSeconds(absl::Now() + absl::Minutes(5));
    grant.content_length = body.size();
    grant.upload_id = absl::StrCat("u", needle);
    grant.content_type = "application/octet-stream";
    return Send("PUT", grant, body);
  }

  int Delete(uint64_t needle) {
    UrlGrant grant;
    grant.access = UrlAccess::kDelete;
    grant.file_id = FileId{1, needle, kCookie};
    grant.expires_unix_seconds =
        absl::ToUnixSeconds(absl::Now() + absl::Minutes(5));
    return Send("DELETE", grant, "");
  }

 private:
  static constexpr uint32_t kCookie = 0x9a3b4c5d;

  int Send(const std::string& method, const UrlGrant& grant, std::string body) {
    auto url = SignUrl(grant, *keys_);
    REQUIRE(url.ok());
    http::ClientRequest request;
    request.method = method;
    request.target = *url;
    request.body = std::move(body);
    auto response = pool_.Send(
        {absl::StrCat("127.0.0.1:", server_->port()), false}, request);
    INFO(response.status().ToString());
    REQUIRE(response.ok());
    INFO(response->body);
    return response->status;
  }

  TempDir dir_;
  FaultInjectionFileSystem fs_;
  std::unique_ptr<KeyRing> keys_;
  std::unique_ptr<Store> store_;
  UploadReporter reporter_;
  MetricsRegistry metrics_;
  Counter checksum_failures_;
  std::unique_ptr<DataPath> data_path_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  http::ConnectionPool pool_;
};

// A volume an I/O error made read-only takes no write, deletes included,
// until it is reopened: a client should retry elsewhere or later, as it
// does for a PUT.
TEST_CASE(
    "a volume made read-only by an I/O error answers puts and deletes 503",
    "[volume][http]") {
  Server server;
  REQUIRE(server.Put(1, "kept") == 200);
  REQUIRE(server.Put(2, "doomed") == 200);
  server.fs().SetSyncFails(true);
  CHECK(server.Put(3, "never") == 503);
  server.fs().SetSyncFails(false);
  CHECK(server.Put(4, "after") == 503);
  CHECK(server.Delete(2) == 503);
}

}  // namespace
}  // namespace warehouse::volume
