// The SDK against a real cluster: warehouse-master and warehouse-volume
// processes on 127.0.0.1 (tests/support/cluster.h).
#include "warehouse/client.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "common/crc32c.h"
#include "common/http_client.h"
#include "tests/support/cluster.h"
#include "tests/support/corrupting_forwarder.h"
#include "tests/support/temp_dir.h"

namespace warehouse {
namespace {

using testing::Cluster;
using testing::ClusterOptions;

std::unique_ptr<Cluster> StartCluster(
    int volume_servers = 1, std::vector<std::string> master_args = {}) {
  ClusterOptions options;
  options.master_bin = WAREHOUSE_MASTER_BIN;
  options.volume_bin = WAREHOUSE_VOLUME_BIN;
  options.volume_servers = volume_servers;
  options.master_args = std::move(master_args);
  absl::StatusOr<std::unique_ptr<Cluster>> cluster = Cluster::Start(options);
  INFO(cluster.status().ToString());
  REQUIRE(cluster.ok());
  return *std::move(cluster);
}

ClientOptions OptionsFor(const Cluster& cluster) {
  ClientOptions options;
  options.master_address = cluster.master_address();
  options.access_key_id = cluster.access_key_id();
  options.secret_access_key = cluster.secret_access_key();
  options.initial_backoff = absl::Milliseconds(50);
  options.max_backoff = absl::Milliseconds(400);
  return options;
}

std::unique_ptr<Client> MakeClient(const ClientOptions& options) {
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
  INFO(client.status().ToString());
  REQUIRE(client.ok());
  return *std::move(client);
}

std::unique_ptr<Client> MakeClient(const Cluster& cluster) {
  return MakeClient(OptionsFor(cluster));
}

std::string Payload(uint64_t seed, size_t size) {
  std::mt19937_64 rng(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

std::string Etag(absl::string_view data) {
  return absl::StrFormat("%08x", crc32c::Value(data));
}

#define REQUIRE_OK(expr)                      \
  do {                                        \
    const absl::Status status_ = (expr);      \
    INFO(status_.ToString());                 \
    REQUIRE(status_.ok());                    \
  } while (0)

TEST_CASE("buckets are created, listed with their usage, and deleted",
          "[sdk][e2e]") {
  auto cluster = StartCluster();
  auto client = MakeClient(*cluster);
  REQUIRE_OK(client->CreateBucket("photos"));
  REQUIRE_OK(client->CreateBucket("logs"));
  CHECK(client->CreateBucket("photos").code() ==
        absl::StatusCode::kAlreadyExists);
  CHECK(client->CreateBucket("Not_Valid").code() ==
        absl::StatusCode::kInvalidArgument);

  REQUIRE(client->Put("photos", "a.jpg", std::string(1000, 'a')).ok());
  REQUIRE(client->Put("photos", "b.jpg", std::string(234, 'b')).ok());
  absl::StatusOr<std::vector<BucketInfo>> buckets = client->ListBuckets();
  REQUIRE(buckets.ok());
  REQUIRE(buckets->size() == 2);
  CHECK((*buckets)[0].name == "logs");  // by name
  CHECK((*buckets)[0].object_count == 0);
  CHECK((*buckets)[1].name == "photos");
  CHECK((*buckets)[1].object_count == 2);
  CHECK((*buckets)[1].total_bytes == 1234);
  CHECK(absl::Now() - (*buckets)[1].created < absl::Minutes(5));

  CHECK(client->DeleteBucket("photos").code() ==
        absl::StatusCode::kFailedPrecondition);
  REQUIRE_OK(client->Delete("photos", "a.jpg"));
  REQUIRE_OK(client->Delete("photos", "b.jpg"));
  REQUIRE_OK(client->DeleteBucket("photos"));
  CHECK(client->DeleteBucket("photos").code() == absl::StatusCode::kNotFound);
  buckets = client->ListBuckets();
  REQUIRE(buckets.ok());
  CHECK(buckets->size() == 1);
}

TEST_CASE("an object goes through put, get, stat, overwrite and delete",
          "[sdk][e2e]") {
  auto cluster = StartCluster();
  auto client = MakeClient(*cluster);
  REQUIRE_OK(client->CreateBucket("bucket1"));
  const std::string data = Payload(1, 100000);
  PutOptions options;
  options.content_type = "image/png; name=\"x y\"";
  absl::StatusOr<PutResult> put = client->Put("bucket1", "dir/x.png", data, options);
  INFO(put.status().ToString());
  REQUIRE(put.ok());
  CHECK(put->etag == Etag(data));
  CHECK(put->size_bytes == data.size());
  CHECK_FALSE(put->file_id.empty());

  absl::StatusOr<std::string> got = client->Get("bucket1", "dir/x.png");
  REQUIRE(got.ok());
  CHECK(*got == data);

  absl::StatusOr<ObjectInfo> stat = client->Stat("bucket1", "dir/x.png");
  REQUIRE(stat.ok());
  CHECK(stat->key == "dir/x.png");
  CHECK(stat->size_bytes == data.size());
  CHECK(stat->etag == Etag(data));
  CHECK(stat->content_type == "image/png; name=\"x y\"");
  CHECK(stat->file_id == put->file_id);

  // An overwrite is seen at once by the client that made it, although the
  // old url is still cached and still valid.
  const std::string second = Payload(2, 777);
  REQUIRE(client->Put("bucket1", "dir/x.png", second).ok());
  got = client->Get("bucket1", "dir/x.png");
  REQUIRE(got.ok());
  CHECK(*got == second);
  stat = client->Stat("bucket1", "dir/x.png");
  REQUIRE(stat.ok());
  CHECK(stat->content_type == "application/octet-stream");

  // Empty objects are objects too.
  REQUIRE(client->Put("bucket1", "empty", "").ok());
  got = client->Get("bucket1", "empty");
  REQUIRE(got.ok());
  CHECK(got->empty());

  REQUIRE_OK(client->Delete("bucket1", "dir/x.png"));
  CHECK(client->Get("bucket1", "dir/x.png").status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(client->Stat("bucket1", "dir/x.png").status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(client->Delete("bucket1", "dir/x.png").code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("uploads come from files and streams, downloads go to files and "
          "streams",
          "[sdk][e2e]") {
  auto cluster = StartCluster();
  auto client = MakeClient(*cluster);
  testing::TempDir dir;
  REQUIRE_OK(client->CreateBucket("files"));
  const std::string data = Payload(3, 300000);
  std::ofstream(dir.Join("in.bin"), std::ios::binary) << data;

  REQUIRE(client->PutFile("files", "from-file", dir.Join("in.bin")).ok());
  size_t offset = 0;
  REQUIRE(client
              ->PutStream("files", "from-source", data.size(),
                          [&](char* buf, size_t n) -> absl::StatusOr<size_t> {
                            n = std::min(n, data.size() - offset);
                            std::memcpy(buf, data.data() + offset, n);
                            offset += n;
                            return n;
                          })
              .ok());
  std::istringstream in(data);
  REQUIRE(client->PutStream("files", "from-istream", data.size(), in).ok());

  for (const char* key : {"from-file", "from-source", "from-istream"}) {
    INFO(key);
    const std::string path = dir.Join(std::string(key) + ".out");
    absl::StatusOr<ObjectInfo> object = client->GetFile("files", key, path);
    REQUIRE(object.ok());
    CHECK(object->size_bytes == data.size());
    std::ifstream file(path, std::ios::binary);
    std::stringstream read;
    read << file.rdbuf();
    CHECK(read.str() == data);
  }
  std::ostringstream out;
  REQUIRE(client->GetStream("files", "from-file", out).ok());
  CHECK(out.str() == data);
  std::string pieces;
  REQUIRE(client
              ->GetStream("files", "from-source",
                          [&pieces](absl::string_view piece) {
                            pieces.append(piece.data(), piece.size());
                            return absl::OkStatus();
                          })
              .ok());
  CHECK(pieces == data);

  // A source that ends early fails the upload and stores nothing.
  int calls = 0;
  auto short_source = [&calls](char* buf, size_t n) -> absl::StatusOr<size_t> {
    if (++calls > 1) return 0;
    n = std::min<size_t>(n, 10);
    std::memset(buf, 'x', n);
    return n;
  };
  CHECK(client->PutStream("files", "short", 100, short_source).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(client->Stat("files", "short").status().code() ==
        absl::StatusCode::kNotFound);

  // A sink's error ends the download and comes back as it is.
  CHECK(client
            ->GetStream("files", "from-file",
                        [](absl::string_view) {
                          return absl::CancelledError("enough");
                        })
            .status()
            .code() == absl::StatusCode::kCancelled);

  // A failed download creates no file, not even a partial one.
  testing::TempDir empty;
  CHECK(client->GetFile("files", "missing", empty.Join("missing.out"))
            .status()
            .code() == absl::StatusCode::kNotFound);
  CHECK(std::filesystem::is_empty(empty.path()));
  CHECK(client->GetFile("files", "from-file", dir.Join("no/such/dir/x"))
            .status()
            .code() == absl::StatusCode::kNotFound);
  CHECK(client->PutFile("files", "x", dir.Join("nope")).status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("a range reads exactly the bytes asked for", "[sdk][e2e]") {
  auto cluster = StartCluster();
  auto client = MakeClient(*cluster);
  REQUIRE_OK(client->CreateBucket("ranges"));
  const std::string data = Payload(4, 200000);  // streamed, past 64 KiB
  REQUIRE(client->Put("ranges", "r", data).ok());
  struct Case {
    uint64_t offset;
    std::optional<uint64_t> length;
    std::string expected;
  };
  for (const Case& c : {Case{0, 1, data.substr(0, 1)},
                        Case{10, 20, data.substr(10, 20)},
                        Case{70000, 100000, data.substr(70000, 100000)},
                        Case{199999, std::nullopt, data.substr(199999)},
                        Case{150000, 999999, data.substr(150000)},
                        Case{5, std::nullopt, data.substr(5)},
                        Case{0, data.size(), data}}) {
    INFO(c.offset << " " << (c.length ? *c.length : 0));
    GetOptions options;
    options.offset = c.offset;
    options.length = c.length;
    absl::StatusOr<std::string> got = client->Get("ranges", "r", options);
    INFO(got.status().ToString());
    REQUIRE(got.ok());
    CHECK(*got == c.expected);
  }
  GetOptions past;
  past.offset = data.size();
  CHECK(client->Get("ranges", "r", past).status().code() ==
        absl::StatusCode::kOutOfRange);
  GetOptions zero;
  zero.length = 0;
  CHECK(client->Get("ranges", "r", zero).status().code() ==
        absl::StatusCode::kInvalidArgument);

  // A signed url for a range grants that range only.
  GetOptions middle;
  middle.offset = 100;
  middle.length = 50;
  absl::StatusOr<SignedUrl> url = client->PresignGet("ranges", "r", middle);
  REQUIRE(url.ok());
  CHECK(url->size_bytes == 50);
  auto split = http::SplitUrl(url->url);
  REQUIRE(split.ok());
  http::ConnectionPool pool;
  http::ClientRequest request;
  request.target = split->second;
  auto response = pool.Send(split->first, request);
  REQUIRE(response.ok());
  CHECK(response->status == 206);
  CHECK(response->body == data.substr(100, 50));
}

TEST_CASE("listings page through prefixes and roll up folders", "[sdk][e2e]") {
  auto cluster = StartCluster();
  auto client = MakeClient(*cluster);
  REQUIRE_OK(client->CreateBucket("tree"));
  for (const char* key : {"a/1", "a/2", "a/sub/3", "b/1", "c", "d"}) {
    REQUIRE(client->Put("tree", key, key).ok());
  }
  ListOptions folders;
  folders.delimiter = "/";
  absl::StatusOr<ListPage> page = client->ListObjects("tree", folders, "");
  REQUIRE(page.ok());
  CHECK(page->common_prefixes == std::vector<std::string>{"a/", "b/"});
  REQUIRE(page->objects.size() == 2);
  CHECK(page->objects[0].key == "c");
  CHECK(page->objects[1].key == "d");
  CHECK(page->next_continuation_token.empty());

  ListOptions inside;
  inside.prefix = "a/";
  inside.delimiter = "/";
  page = client->ListObjects("tree", inside, "");
  REQUIRE(page.ok());
  CHECK(page->common_prefixes == std::vector<std::string>{"a/sub/"});
  CHECK(page->objects.size() == 2);

  // Two at a time: three pages, every key once, in order.
  ListOptions small;
  small.page_size = 2;
  ObjectLister lister = client->NewLister("tree", small);
  std::vector<std::string> keys;
  int pages = 0;
  while (lister.HasNext() && pages < 10) {
    absl::StatusOr<ListPage> next = lister.Next();
    REQUIRE(next.ok());
    CHECK(next->objects.size() <= 2);
    for (const ObjectInfo& object : next->objects) keys.push_back(object.key);
    ++pages;
  }
  CHECK(pages == 3);
  CHECK(keys == std::vector<std::string>{"a/1", "a/2", "a/sub/3", "b/1", "c",
                                         "d"});
  CHECK(lister.Next().status().code() == absl::StatusCode::kOutOfRange);

  // ListPages stops when asked.
  int seen = 0;
  REQUIRE_OK(client->ListPages("tree", small, [&seen](const ListPage&) {
    ++seen;
    return false;
  }));
  CHECK(seen == 1);

  CHECK(client->ListObjects("tree", small, "not-a-token").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(client->ListObjects("nosuchbucket", small, "").status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("a 64 MiB object streams up and down intact", "[sdk][e2e]") {
  auto cluster = StartCluster();
  auto client = MakeClient(*cluster);
  REQUIRE_OK(client->CreateBucket("large"));
  constexpr uint64_t kSize = uint64_t{64} << 20;
  // Generated and checked piece by piece: the test holds no copy either.
  std::mt19937_64 rng(5);
  uint64_t produced = 0;
  uint32_t sent_crc = 0;
  absl::StatusOr<PutResult> put = client->PutStream(
      "large", "big", kSize, [&](char* buf, size_t n) -> absl::StatusOr<size_t> {
        n = std::min<uint64_t>(n, kSize - produced);
        for (size_t i = 0; i < n; ++i) buf[i] = static_cast<char>(rng());
        sent_crc = crc32c::Extend(sent_crc, buf, n);
        produced += n;
        return n;
      });
  INFO(put.status().ToString());
  REQUIRE(put.ok());
  CHECK(put->etag == absl::StrFormat("%08x", sent_crc));

  uint64_t received = 0;
  uint32_t received_crc = 0;
  uint64_t last_progress = 0;
  GetOptions options;
  options.progress = [&](uint64_t done, uint64_t total) {
    CHECK(total == kSize);
    CHECK(done >= last_progress);
    last_progress = done;
  };
  absl::StatusOr<ObjectInfo> object = client->GetStream(
      "large", "big",
      [&](absl::string_view piece) {
        received += piece.size();
        received_crc = crc32c::Extend(received_crc, piece.data(), piece.size());
        return absl::OkStatus();
      },
      options);
  INFO(object.status().ToString());
  REQUIRE(object.ok());
  CHECK(received == kSize);
  CHECK(received_crc == sent_crc);
  CHECK(last_progress == kSize);
}

TEST_CASE("sixteen threads share one client", "[sdk][e2e]") {
  auto cluster = StartCluster();
  auto client = MakeClient(*cluster);
  REQUIRE_OK(client->CreateBucket("shared"));
  constexpr int kThreads = 16;
  constexpr int kObjects = 20;
  std::atomic<int> failures{0};
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kObjects; ++i) {
        const std::string key = absl::StrCat("t", t, "/", i);
        const std::string data = Payload(t * 1000 + i, 1000 + 997 * i);
        absl::StatusOr<PutResult> put = client->Put("shared", key, data);
        absl::StatusOr<std::string> got =
            put.ok() ? client->Get("shared", key) : put.status();
        // A second read comes from the url cache.
        absl::StatusOr<std::string> again =
            got.ok() ? client->Get("shared", key) : got.status();
        if (!again.ok() || *got != data || *again != data) {
          ++failures;
          errors[t] = again.ok() ? key + ": wrong bytes"
                                 : again.status().ToString();
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::string& error : errors) {
    if (!error.empty()) FAIL_CHECK(error);
  }
  CHECK(failures == 0);
  absl::StatusOr<std::vector<BucketInfo>> buckets = client->ListBuckets();
  REQUIRE(buckets.ok());
  CHECK(buckets->at(0).object_count == kThreads * kObjects);
}

TEST_CASE("a volume server killed mid-download fails with Unavailable naming "
          "it, leaving no partial file",
          "[sdk][e2e]") {
  auto cluster = StartCluster();
  ClientOptions options = OptionsFor(*cluster);
  options.max_attempts = 3;
  auto client = MakeClient(options);
  REQUIRE_OK(client->CreateBucket("fragile"));
  const std::string data = Payload(6, 32 << 20);
  REQUIRE(client->Put("fragile", "big", data).ok());
  testing::TempDir dir;
  bool killed = false;
  uint64_t received = 0;
  GetOptions get;
  get.progress = [&](uint64_t done, uint64_t) {
    received = done;
    if (!killed) {
      cluster->KillVolumeServer(0);
      killed = true;
    }
  };
  absl::StatusOr<ObjectInfo> object =
      client->GetFile("fragile", "big", dir.Join("big"), get);
  REQUIRE(killed);
  CHECK(received < data.size());
  INFO(object.status().ToString());
  CHECK(object.status().code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(object.status().message()),
             Catch::Contains(cluster->volume_address(0)));
  CHECK_THAT(std::string(object.status().message()),
             Catch::Contains("fragile/big"));
  CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("a download resumes where it stopped when the volume server comes "
          "back",
          "[sdk][e2e]") {
  auto cluster = StartCluster();
  auto client = MakeClient(*cluster);
  REQUIRE_OK(client->CreateBucket("resume"));
  const std::string data = Payload(7, 32 << 20);
  REQUIRE(client->Put("resume", "big", data).ok());
  const std::string old_address = cluster->volume_address(0);
  bool restarted = false;
  std::string received;
  absl::StatusOr<ObjectInfo> object = client->GetStream(
      "resume", "big", [&](absl::string_view piece) {
        received.append(piece.data(), piece.size());
        if (!restarted) {
          restarted = true;
          absl::Status back = cluster->RestartVolumeServer(0);
          if (!back.ok()) return back;
        }
        return absl::OkStatus();
      });
  REQUIRE(restarted);
  INFO(object.status().ToString());
  REQUIRE(object.ok());
  CHECK(cluster->volume_address(0) != old_address);  // a new port
  CHECK(received.size() == data.size());
  CHECK(received == data);
}

TEST_CASE("an upload cut off by a volume server restart starts over with a "
          "new upload",
          "[sdk][e2e]") {
  auto cluster = StartCluster();
  auto client = MakeClient(*cluster);
  REQUIRE_OK(client->CreateBucket("retry"));
  const std::string data = Payload(10, 32 << 20);
  bool restarted = false;
  PutOptions options;
  options.progress = [&](uint64_t, uint64_t) {
    if (!restarted) {
      restarted = true;
      REQUIRE_OK(cluster->RestartVolumeServer(0));
    }
  };
  absl::StatusOr<PutResult> put = client->Put("retry", "big", data, options);
  REQUIRE(restarted);
  INFO(put.status().ToString());
  REQUIRE(put.ok());
  CHECK(put->etag == Etag(data));
  absl::StatusOr<std::string> got = client->Get("retry", "big");
  REQUIRE(got.ok());
  CHECK(*got == data);

  // A source that was read cannot be replayed: the error says so.
  restarted = false;
  uint64_t offset = 0;
  absl::StatusOr<PutResult> streamed = client->PutStream(
      "retry", "streamed", data.size(),
      [&](char* buf, size_t n) -> absl::StatusOr<size_t> {
        n = std::min<size_t>(n, data.size() - offset);
        std::memcpy(buf, data.data() + offset, n);
        offset += n;
        return n;
      },
      options);
  REQUIRE(restarted);
  INFO(streamed.status().ToString());
  CHECK(streamed.status().code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(streamed.status().message()),
             Catch::Contains("cannot be read again"));
}

TEST_CASE(
    "an upload the master forgot in a restart starts over with a new "
    "upload",
    "[sdk][e2e]") {
  auto cluster = StartCluster();
  auto client = MakeClient(*cluster);
  REQUIRE_OK(client->CreateBucket("forgot"));
  const std::string data = Payload(11, 8 << 20);
  // Killed while the bytes stream, the master loses the upload it had just
  // begun (its pending row was still in memory); the volume server reports
  // the stored needle to the master that came back, which refuses it.
  bool restarted = false;
  PutOptions options;
  options.progress = [&](uint64_t, uint64_t) {
    if (!restarted) {
      restarted = true;
      REQUIRE_OK(cluster->RestartMaster());
    }
  };
  absl::StatusOr<PutResult> put = client->Put("forgot", "big", data, options);
  REQUIRE(restarted);
  INFO(put.status().ToString());
  REQUIRE(put.ok());
  CHECK(put->etag == Etag(data));
  absl::StatusOr<std::string> got = client->Get("forgot", "big");
  REQUIRE(got.ok());
  CHECK(*got == data);
}

// A one-server cluster whose master hands out, as the volume server's
// address, a forwarder to it that damages the uploads and answers it is
// told to; and a client of it, with bucket `bucket` created.
struct ForwardedCluster {
  std::unique_ptr<testing::CorruptingForwarder> forwarder;
  std::unique_ptr<Cluster> cluster;
  std::unique_ptr<Client> client;
};

ForwardedCluster StartForwardedCluster(const std::string& bucket) {
  absl::StatusOr<std::unique_ptr<testing::CorruptingForwarder>> forwarder =
      testing::CorruptingForwarder::Listen();
  INFO(forwarder.status().ToString());
  REQUIRE(forwarder.ok());
  ClusterOptions options;
  options.master_bin = WAREHOUSE_MASTER_BIN;
  options.volume_bin = WAREHOUSE_VOLUME_BIN;
  options.volume_args = {"--public-url", (*forwarder)->address()};
  absl::StatusOr<std::unique_ptr<Cluster>> cluster = Cluster::Start(options);
  INFO(cluster.status().ToString());
  REQUIRE(cluster.ok());
  REQUIRE_OK((*forwarder)->Start((*cluster)->volume_address(0)));
  std::unique_ptr<Client> client = MakeClient(**cluster);
  REQUIRE_OK(client->CreateBucket(bucket));
  return {*std::move(forwarder), *std::move(cluster), std::move(client)};
}

TEST_CASE(
    "an upload changed on the way to the volume server is sent again "
    "and stored intact",
    "[sdk][e2e]") {
  ForwardedCluster forwarded = StartForwardedCluster("flips");
  testing::CorruptingForwarder& forwarder = *forwarded.forwarder;
  Client* client = forwarded.client.get();
  const std::string data = Payload(12, 1 << 20);

  forwarder.CorruptPuts(1);
  absl::StatusOr<PutResult> put = client->Put("flips", "memory", data);
  INFO(put.status().ToString());
  REQUIRE(put.ok());
  CHECK(forwarder.corrupted() == 1);
  CHECK(forwarder.puts() == 2);
  CHECK(put->etag == Etag(data));
  absl::StatusOr<std::string> got = client->Get("flips", "memory");
  REQUIRE(got.ok());
  CHECK(*got == data);

  // A seekable stream is rewound and sent again as well.
  forwarder.CorruptPuts(1);
  std::istringstream in(data);
  put = client->PutStream("flips", "istream", data.size(), in);
  INFO(put.status().ToString());
  REQUIRE(put.ok());
  CHECK(forwarder.corrupted() == 2);
  got = client->Get("flips", "istream");
  REQUIRE(got.ok());
  CHECK(*got == data);
}

TEST_CASE(
    "an upload changed on the way on every attempt fails with DataLoss "
    "naming the key",
    "[sdk][e2e]") {
  ForwardedCluster forwarded = StartForwardedCluster("flips");
  testing::CorruptingForwarder& forwarder = *forwarded.forwarder;
  Client* client = forwarded.client.get();
  const std::string data = Payload(13, 100000);

  forwarder.CorruptPuts(1000);
  absl::StatusOr<PutResult> put = client->Put("flips", "always", data);
  INFO(put.status().ToString());
  REQUIRE(put.status().code() == absl::StatusCode::kDataLoss);
  const std::string message(put.status().message());
  CHECK_THAT(message, Catch::StartsWith("flips/always: "));
  CHECK_THAT(message, Catch::Contains(Etag(data)));  // the bytes sent
  CHECK_THAT(message, Catch::Contains("wrong bytes"));
  CHECK_THAT(message, Catch::Contains("(4 attempts)"));
  CHECK(forwarder.corrupted() == 4);
  // As the message says, the object is the last damaged body.
  forwarder.CorruptPuts(0);
  absl::StatusOr<std::string> got = client->Get("flips", "always");
  REQUIRE(got.ok());
  CHECK(got->size() == data.size());
  CHECK(*got != data);
}

TEST_CASE(
    "an upload from a source that cannot be read again, changed on "
    "the way, fails with DataLoss",
    "[sdk][e2e]") {
  ForwardedCluster forwarded = StartForwardedCluster("flips");
  testing::CorruptingForwarder& forwarder = *forwarded.forwarder;
  Client* client = forwarded.client.get();
  const std::string data = Payload(14, 300000);

  forwarder.CorruptPuts(1);
  uint64_t offset = 0;
  absl::StatusOr<PutResult> put =
      client->PutStream("flips", "source", data.size(),
                        [&](char* buf, size_t n) -> absl::StatusOr<size_t> {
                          n = std::min<size_t>(n, data.size() - offset);
                          std::memcpy(buf, data.data() + offset, n);
                          offset += n;
                          return n;
                        });
  INFO(put.status().ToString());
  REQUIRE(put.status().code() == absl::StatusCode::kDataLoss);
  const std::string message(put.status().message());
  CHECK_THAT(message, Catch::StartsWith("flips/source: "));
  CHECK_THAT(message, Catch::Contains("cannot be read again"));
  CHECK(forwarder.corrupted() == 1);
  CHECK(forwarder.puts() == 1);
}

TEST_CASE(
    "a PUT answered without a well-formed ETag fails with DataLoss, "
    "not retried",
    "[sdk][e2e]") {
  ForwardedCluster forwarded = StartForwardedCluster("etags");
  testing::CorruptingForwarder& forwarder = *forwarded.forwarder;
  Client* client = forwarded.client.get();
  const std::string data = Payload(15, 5000);
  struct Case {
    testing::CorruptingForwarder::EtagDamage damage;
    std::string key;
    std::string says;
  };
  const std::vector<Case> cases = {
      {testing::CorruptingForwarder::EtagDamage::kRemove, "missing",
       "answered HTTP 200 without an ETag"},
      {testing::CorruptingForwarder::EtagDamage::kGarble, "garbled",
       "answered HTTP 200 with a malformed ETag \"z"},
  };
  int puts = 0;
  for (const Case& c : cases) {
    INFO(c.key);
    forwarder.DamageEtags(c.damage, 1);
    absl::StatusOr<PutResult> put = client->Put("etags", c.key, data);
    INFO(put.status().ToString());
    REQUIRE(put.status().code() == absl::StatusCode::kDataLoss);
    const std::string message(put.status().message());
    CHECK_THAT(message, Catch::StartsWith("etags/" + c.key + ": "));
    CHECK_THAT(message, Catch::Contains(c.says));
    CHECK_THAT(message, Catch::Contains("cannot be checked"));
    CHECK(forwarder.etags_damaged() == ++puts);
    CHECK(forwarder.puts() == puts);  // not sent again
    // Only the proof was missing: the volume server answered once the
    // master had recorded the object.
    absl::StatusOr<std::string> got = client->Get("etags", c.key);
    REQUIRE(got.ok());
    CHECK(*got == data);
  }
}

TEST_CASE("a client keeps working across a master restart", "[sdk][e2e]") {
  auto cluster = StartCluster();
  auto client = MakeClient(*cluster);
  REQUIRE_OK(client->CreateBucket("durable"));
  REQUIRE(client->Put("durable", "before", "1").ok());
  REQUIRE_OK(cluster->RestartMaster());
  absl::StatusOr<std::vector<BucketInfo>> buckets = client->ListBuckets();
  INFO(buckets.status().ToString());
  REQUIRE(buckets.ok());
  CHECK(buckets->at(0).object_count == 1);
  CHECK(*client->Get("durable", "before") == "1");
  REQUIRE(client->Put("durable", "after", "2").ok());
  CHECK(*client->Get("durable", "after") == "2");
}

// Copies the master's database files (the database, its WAL and shared
// memory, those that exist) from `from` to `to`, removing at `to` the ones
// `from` lacks: what restoring a copy taken while the master was stopped
// does.
absl::Status CopyDatabase(const std::string& from, const std::string& to) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::filesystem::path source = from + suffix;
    const std::filesystem::path target = to + suffix;
    std::error_code error;
    if (std::filesystem::exists(source)) {
      std::filesystem::copy_file(
          source, target, std::filesystem::copy_options::overwrite_existing,
          error);
    } else {
      std::filesystem::remove(target, error);
    }
    if (error) {
      return absl::InternalError(
          absl::StrCat("copying ", source.string(), ": ", error.message()));
    }
  }
  return absl::OkStatus();
}

TEST_CASE("a master restored from an old copy of its database keeps working",
          "[sdk][e2e]") {
  // One volume, so that every upload before and after goes to it.
  ClusterOptions options;
  options.master_bin = WAREHOUSE_MASTER_BIN;
  options.volume_bin = WAREHOUSE_VOLUME_BIN;
  options.volume_args = {"--max-volumes", "1"};
  absl::StatusOr<std::unique_ptr<Cluster>> cluster = Cluster::Start(options);
  INFO(cluster.status().ToString());
  REQUIRE(cluster.ok());
  auto client = MakeClient(**cluster);
  REQUIRE_OK(client->CreateBucket("restored"));
  // A copy taken before any upload: it knows no volume and no needle id.
  const std::string copy = absl::StrCat((*cluster)->dir(), "/copy.db");
  REQUIRE_OK((*cluster)->RestartMaster(
      [&] { return CopyDatabase((*cluster)->db_path(), copy); }));
  for (int i = 0; i < 3; ++i) {
    REQUIRE(client->Put("restored", absl::StrCat("lost", i), "old").ok());
  }
  REQUIRE_OK((*cluster)->RestartMaster(
      [&] { return CopyDatabase(copy, (*cluster)->db_path()); }));
  // The objects put since the copy are gone from the metadata, but new
  // uploads are given needle ids past the ones the volume holds, so they
  // neither collide with nor replace the old needles.
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<PutResult> put =
        client->Put("restored", absl::StrCat("new", i), "new");
    INFO(put.status().ToString());
    REQUIRE(put.ok());
    CHECK(*client->Get("restored", absl::StrCat("new", i)) == "new");
  }
}

TEST_CASE("bad input gets the status that says what is wrong", "[sdk][e2e]") {
  auto cluster = StartCluster();
  auto client = MakeClient(*cluster);
  REQUIRE_OK(client->CreateBucket("input"));
  const std::string long_key(1025, 'k');
  const std::string longest_key(1024, 'k');
  CHECK(client->Put("input", long_key, "x").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(client->Get("input", long_key).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(client->Stat("input", long_key).status().code() ==
        absl::StatusCode::kInvalidArgument);
  REQUIRE(client->Put("input", longest_key, "x").ok());
  CHECK(*client->Get("input", longest_key) == "x");
  CHECK(client->Put("input", "", "x").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(client->Put("input", std::string("nul\0key", 7), "x").status().code() ==
        absl::StatusCode::kInvalidArgument);

  CHECK(client->Put("no-such-bucket", "k", "x").status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(client->Get("no-such-bucket", "k").status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(client->Get("input", "missing").status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(client->Put("Bad_Name", "k", "x").status().code() ==
        absl::StatusCode::kInvalidArgument);
  PutOptions bad_type;
  bad_type.content_type = "text/plain\n";
  CHECK(client->Put("input", "k", "x", bad_type).status().code() ==
        absl::StatusCode::kInvalidArgument);

  // Credentials: a wrong secret, a key restricted to another bucket, a
  // read-write key calling an admin RPC.
  ClientOptions wrong = OptionsFor(*cluster);
  wrong.secret_access_key = std::string(40, 'A');
  CHECK(MakeClient(wrong)->ListBuckets().status().code() ==
        absl::StatusCode::kUnauthenticated);
  absl::StatusOr<NewAccessKey> limited =
      client->CreateAccessKey(AccessKeyRole::kReadWrite, {"other"}, "test");
  REQUIRE(limited.ok());
  ClientOptions limited_options = OptionsFor(*cluster);
  limited_options.access_key_id = limited->key.access_key_id;
  limited_options.secret_access_key = limited->secret_access_key;
  auto limited_client = MakeClient(limited_options);
  CHECK(limited_client->Put("input", "k", "x").status().code() ==
        absl::StatusCode::kPermissionDenied);
  CHECK(limited_client->ListServers().status().code() ==
        absl::StatusCode::kPermissionDenied);
  REQUIRE_OK(limited_client->CreateBucket("other"));
  REQUIRE(limited_client->Put("other", "k", "mine").ok());
  CHECK(*limited_client->Get("other", "k") == "mine");

  // Options the client refuses before any call.
  ClientOptions options = OptionsFor(*cluster);
  options.access_key_id = "not-a-key";
  CHECK(Client::Create(options).status().code() ==
        absl::StatusCode::kInvalidArgument);
  options = OptionsFor(*cluster);
  options.max_attempts = 0;
  CHECK(Client::Create(options).status().code() ==
        absl::StatusCode::kInvalidArgument);
  options = OptionsFor(*cluster);
  options.master_address = "";
  CHECK(Client::Create(options).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

// A loopback port nobody listens on (bound, then closed).
std::string ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
}

TEST_CASE("an unreachable master is Unavailable, named, after the retries",
          "[sdk]") {
  ClientOptions options;
  options.master_address = ClosedPort();
  options.access_key_id = "WHEXAMPLEKEY0000AAAA";
  options.secret_access_key = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12";
  options.max_attempts = 2;
  options.initial_backoff = absl::Milliseconds(10);
  options.call_timeout = absl::Seconds(5);
  auto client = MakeClient(options);
  absl::StatusOr<std::vector<BucketInfo>> buckets = client->ListBuckets();
  INFO(buckets.status().ToString());
  CHECK(buckets.status().code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(buckets.status().message()),
             Catch::Contains("master " + options.master_address));
  CHECK_THAT(std::string(buckets.status().message()),
             Catch::Contains("2 attempts"));
  // A mutation is tried once.
  absl::Status created = client->CreateBucket("b");
  CHECK(created.code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(created.message()),
             !Catch::Contains("attempts"));
}

TEST_CASE("signed urls work without credentials", "[sdk][e2e]") {
  auto cluster = StartCluster();
  auto client = MakeClient(*cluster);
  REQUIRE_OK(client->CreateBucket("shared"));
  const std::string data = Payload(8, 5000);
  absl::StatusOr<SignedUrl> put =
      client->PresignPut("shared", "via-url.txt", data.size(), "text/plain");
  REQUIRE(put.ok());
  CHECK(put->method == "PUT");
  CHECK(put->content_type == "text/plain");
  CHECK(put->expires > absl::Now());

  // Without a Content-Type header, the signed type is used.
  auto split = http::SplitUrl(put->url);
  REQUIRE(split.ok());
  http::ConnectionPool pool;
  http::ClientRequest request;
  request.method = "PUT";
  request.target = split->second;
  request.body = data;
  auto response = pool.Send(split->first, request);
  REQUIRE(response.ok());
  INFO(response->body);
  CHECK(response->status == 200);
  absl::StatusOr<ObjectInfo> stat = client->Stat("shared", "via-url.txt");
  REQUIRE(stat.ok());
  CHECK(stat->content_type == "text/plain");

  absl::StatusOr<SignedUrl> get = client->PresignGet("shared", "via-url.txt");
  REQUIRE(get.ok());
  REQUIRE(get->object);
  CHECK(get->object->size_bytes == data.size());
  split = http::SplitUrl(get->url);
  REQUIRE(split.ok());
  http::ClientRequest read;
  read.target = split->second;
  response = pool.Send(split->first, read);
  REQUIRE(response.ok());
  CHECK(response->status == 200);
  CHECK(response->body == data);

  // The lifetime asked for, up to the master's maximum (7 days).
  const absl::Time asked = absl::Now();
  absl::StatusOr<SignedUrl> day = client->PresignGet(
      "shared", "via-url.txt", {}, absl::Hours(24) + absl::Milliseconds(1));
  REQUIRE(day.ok());
  CHECK(day->expires >= asked + absl::Hours(24));
  CHECK(day->expires <= absl::Now() + absl::Hours(24) + absl::Seconds(2));
  CHECK(get->expires < asked + absl::Minutes(16));  // the default
  absl::StatusOr<SignedUrl> upload = client->PresignPut(
      "shared", "later.txt", 3, "text/plain", absl::Hours(48));
  REQUIRE(upload.ok());
  CHECK(upload->expires >= asked + absl::Hours(48));
  CHECK(client->PresignGet("shared", "via-url.txt", {}, absl::Hours(169))
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
  CHECK(client->PresignPut("shared", "x", 3, "", -absl::Seconds(1))
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("cached read urls spare the master and are dropped when stale",
          "[sdk][e2e]") {
  auto cluster = StartCluster();
  auto reader = MakeClient(*cluster);
  ClientOptions no_cache = OptionsFor(*cluster);
  no_cache.read_url_cache_ttl = absl::ZeroDuration();
  auto writer = MakeClient(no_cache);
  REQUIRE_OK(writer->CreateBucket("cache"));
  REQUIRE(writer->Put("cache", "k", "first").ok());
  CHECK(*reader->Get("cache", "k") == "first");

  // With the master stopped, the cached url still reads.
  cluster->master().Signal(SIGSTOP);
  absl::StatusOr<std::string> cached = reader->Get("cache", "k");
  cluster->master().Signal(SIGCONT);
  INFO(cached.status().ToString());
  REQUIRE(cached.ok());
  CHECK(*cached == "first");

  // Another client replaces the object. Once the volume server has deleted
  // the old needle, the reader's cached url answers 404, and the reader
  // asks the master again rather than failing.
  absl::StatusOr<SignedUrl> old_url = writer->PresignGet("cache", "k");
  REQUIRE(old_url.ok());
  REQUIRE(writer->Put("cache", "k", "second").ok());
  auto split = http::SplitUrl(old_url->url);
  REQUIRE(split.ok());
  http::ConnectionPool pool;
  int status = 0;
  for (int i = 0; i < 200 && status != 404; ++i) {
    http::ClientRequest request;
    request.target = split->second;
    auto response = pool.Send(split->first, request);
    REQUIRE(response.ok());
    status = response->status;
    if (status != 404) absl::SleepFor(absl::Milliseconds(50));
  }
  REQUIRE(status == 404);
  absl::StatusOr<std::string> fresh = reader->Get("cache", "k");
  INFO(fresh.status().ToString());
  REQUIRE(fresh.ok());
  CHECK(*fresh == "second");
}

TEST_CASE("the master compacts a volume with enough garbage by itself",
          "[sdk][e2e]") {
  auto cluster = StartCluster(1, {"--auto-compact-interval", "300ms"});
  auto client = MakeClient(*cluster);
  REQUIRE_OK(client->CreateBucket("churn"));
  for (int i = 0; i < 4; ++i) {
    REQUIRE(client->Put("churn", absl::StrCat("k", i), Payload(i, 1 << 20)).ok());
  }
  auto volume_of = [&](const std::string& key) {
    absl::StatusOr<ObjectInfo> stat = client->Stat("churn", key);
    REQUIRE(stat.ok());
    return static_cast<uint32_t>(
        std::stoul(stat->file_id.substr(0, stat->file_id.find(','))));
  };
  // Four objects on at most three volumes (one, and two more grown ahead):
  // one volume holds two or more. Keep the last of them; the others are
  // its garbage.
  std::map<uint32_t, std::vector<std::string>> keys_by_volume;
  for (int i = 0; i < 4; ++i) {
    const std::string key = absl::StrCat("k", i);
    keys_by_volume[volume_of(key)].push_back(key);
  }
  uint32_t volume_id = 0;
  for (const auto& [id, keys] : keys_by_volume) {
    if (keys.size() >= 2) volume_id = id;
  }
  REQUIRE(volume_id != 0);
  const std::string kept = keys_by_volume[volume_id].back();
  for (int i = 0; i < 4; ++i) {
    const std::string key = absl::StrCat("k", i);
    if (key != kept) REQUIRE_OK(client->Delete("churn", key));
  }

  // No one asks: the deletes reach the volume server, its heartbeat shows
  // the garbage, and the master's looks compact it (bounded wait) until
  // only the kept object is left: from two MiB or more to under two. (A
  // look between two deletes may compact it with part of the garbage
  // first.)
  std::optional<VolumeInfo> compacted;
  for (int i = 0; i < 300 && !compacted; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    absl::StatusOr<std::vector<VolumeInfo>> volumes = client->ListVolumes();
    REQUIRE(volumes.ok());
    for (const VolumeInfo& volume : *volumes) {
      if (volume.volume_id == volume_id && volume.last_compaction &&
          volume.last_compaction->state ==
              CompactionInfo::State::kSucceeded &&
          volume.size_bytes < (2 << 20)) {
        compacted = volume;
      }
    }
  }
  REQUIRE(compacted.has_value());
  CHECK(compacted->last_compaction->bytes_reclaimed > 0);
  CHECK(compacted->garbage_bytes == 0);
  absl::StatusOr<std::string> data = client->Get("churn", kept);
  REQUIRE(data.ok());
  CHECK(*data == Payload(kept.back() - '0', 1 << 20));
}

TEST_CASE("administrators list servers and volumes, compact, and manage keys",
          "[sdk][e2e]") {
  auto cluster = StartCluster();
  auto client = MakeClient(*cluster);
  REQUIRE_OK(client->CreateBucket("admin"));
  REQUIRE(client->Put("admin", "k", Payload(9, 100000)).ok());

  absl::StatusOr<std::vector<ServerInfo>> servers = client->ListServers();
  REQUIRE(servers.ok());
  REQUIRE(servers->size() == 1);
  CHECK(servers->at(0).online);
  CHECK(servers->at(0).public_address == cluster->volume_address(0));
  CHECK(servers->at(0).volume_count >= 1);

  absl::StatusOr<ObjectInfo> stat = client->Stat("admin", "k");
  REQUIRE(stat.ok());
  const uint32_t volume_id =
      static_cast<uint32_t>(std::stoul(stat->file_id.substr(0, stat->file_id.find(','))));
  absl::StatusOr<std::vector<VolumeInfo>> volumes = client->ListVolumes();
  REQUIRE(volumes.ok());
  bool found = false;
  for (const VolumeInfo& volume : *volumes) {
    if (volume.volume_id == volume_id) {
      found = true;
      CHECK(volume.server_id == servers->at(0).server_id);
      CHECK(volume.server_online);
    }
  }
  CHECK(found);
  const absl::Time asked = absl::Now();
  REQUIRE_OK(client->CompactVolume(volume_id));
  // The master's record of it, running until the server reports (bounded).
  std::optional<CompactionInfo> compaction;
  for (int i = 0; i < 300; ++i) {
    volumes = client->ListVolumes();
    REQUIRE(volumes.ok());
    for (const VolumeInfo& volume : *volumes) {
      if (volume.volume_id == volume_id) compaction = volume.last_compaction;
    }
    REQUIRE(compaction.has_value());
    if (compaction->state != CompactionInfo::State::kRunning) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  CHECK(compaction->state == CompactionInfo::State::kSucceeded);
  CHECK(compaction->started >= absl::FromUnixMillis(absl::ToUnixMillis(asked)));
  CHECK(compaction->finished >= compaction->started);
  CHECK(compaction->error.empty());
  CHECK(client->CompactVolume(999999).code() == absl::StatusCode::kNotFound);
  CHECK(client->CompactVolumes(1.5).status().code() ==
        absl::StatusCode::kInvalidArgument);

  uint64_t progress_calls = 0;
  uint64_t last_total = 0;
  absl::StatusOr<VerificationReport> verified = client->VerifyVolume(
      volume_id, 0, [&](uint64_t done, uint64_t total) {
        ++progress_calls;
        CHECK(done <= total);
        last_total = total;
      });
  REQUIRE(verified.ok());
  CHECK(verified->needles_checked == 1);
  CHECK(verified->bytes_checked > 100000);
  CHECK(verified->corrupt_count == 0);
  CHECK(verified->corrupt.empty());
  CHECK(progress_calls >= 1);  // the first needle's, at least
  CHECK(last_total == verified->bytes_checked);
  CHECK(client->VerifyVolume(999999).status().code() ==
        absl::StatusCode::kNotFound);

  absl::StatusOr<VolumeInfo> marked = client->SetVolumeReadOnly(volume_id, true);
  REQUIRE(marked.ok());
  CHECK(marked->volume_id == volume_id);
  CHECK(marked->read_only);
  absl::StatusOr<PutResult> elsewhere = client->Put("admin", "k2", "v");
  REQUIRE(elsewhere.ok());
  CHECK(elsewhere->file_id.substr(0, elsewhere->file_id.find(',')) !=
        absl::StrCat(volume_id));
  marked = client->SetVolumeReadOnly(volume_id, false);
  REQUIRE(marked.ok());
  CHECK_FALSE(marked->read_only);
  CHECK(client->SetVolumeReadOnly(999999, true).status().code() ==
        absl::StatusCode::kNotFound);

  absl::StatusOr<ServerInfo> drained =
      client->SetServerDraining(servers->at(0).server_id, true);
  REQUIRE(drained.ok());
  CHECK(drained->draining);
  CHECK(drained->online);
  CHECK(client->Put("admin", "k3", "v").status().code() ==
        absl::StatusCode::kResourceExhausted);
  drained = client->SetServerDraining(servers->at(0).server_id, false);
  REQUIRE(drained.ok());
  CHECK_FALSE(drained->draining);
  CHECK(client->Put("admin", "k3", "v").ok());
  CHECK(client->SetServerDraining("nosuch", true).status().code() ==
        absl::StatusCode::kNotFound);

  absl::StatusOr<NewAccessKey> key =
      client->CreateAccessKey(AccessKeyRole::kReadWrite, {"admin"}, "app");
  REQUIRE(key.ok());
  CHECK(key->secret_access_key.size() == 40);
  CHECK(key->key.buckets == std::vector<std::string>{"admin"});
  CHECK(client->CreateAccessKey(AccessKeyRole::kAdmin, {"admin"}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::vector<AccessKeyInfo>> keys = client->ListAccessKeys();
  REQUIRE(keys.ok());
  CHECK(keys->size() == 2);
  ClientOptions app = OptionsFor(*cluster);
  app.access_key_id = key->key.access_key_id;
  app.secret_access_key = key->secret_access_key;
  auto app_client = MakeClient(app);
  REQUIRE(app_client->Stat("admin", "k").ok());
  REQUIRE_OK(client->RevokeAccessKey(key->key.access_key_id));
  CHECK(app_client->Stat("admin", "k").status().code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(client->RevokeAccessKey(cluster->access_key_id()).code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(client->RevokeAccessKey("WHNOSUCHKEY000000000").code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("a metadata backup ends when its sink fails, and the next is whole",
          "[sdk][e2e]") {
  auto cluster = StartCluster();
  auto client = MakeClient(*cluster);
  REQUIRE_OK(client->CreateBucket("backed"));
  int pieces = 0;
  absl::StatusOr<MetadataBackupInfo> failed =
      client->BackupMetadata([&](absl::string_view) {
        ++pieces;
        return absl::ResourceExhaustedError("the backup disk is full");
      });
  CHECK(failed.status().code() == absl::StatusCode::kResourceExhausted);
  CHECK(pieces == 1);

  std::string copy;
  absl::StatusOr<MetadataBackupInfo> whole =
      client->BackupMetadata([&](absl::string_view piece) {
        copy.append(piece.data(), piece.size());
        return absl::OkStatus();
      });
  REQUIRE(whole.ok());
  CHECK(whole->bytes == copy.size());
  CHECK(whole->sha256_hex.size() == 64);
  CHECK(copy.substr(0, 16) == std::string("SQLite format 3\0", 16));
  // The master's scratch copies are gone (bounded: it removes each as its
  // stream ends).
  auto leftovers = [&] {
    int found = 0;
    for (const auto& entry : std::filesystem::directory_iterator(
             std::filesystem::path(cluster->db_path()).parent_path())) {
      found += entry.path().filename().string().find(".backup-") !=
               std::string::npos;
    }
    return found;
  };
  for (int i = 0; i < 100 && leftovers() > 0; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  CHECK(leftovers() == 0);
}

}  // namespace
}  // namespace warehouse
