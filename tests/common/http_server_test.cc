#include "common/http_server.h"

#include <poll.h>

#include <atomic>
#include <chrono>
#include <future>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/http/read.hpp"
#include "boost/beast/http/string_body.hpp"
#include "catch2/catch.hpp"
#include "common/crc32c.h"
#include "common/http_router.h"
#include "common/metrics.h"
#include "common/socket_stream.h"
#include "tests/support/pattern.h"

namespace warehouse::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using testing::Pattern;

// Every wait in these tests gives up after this long, so a broken server
// fails a test instead of hanging it.
constexpr absl::Duration kWait = absl::Seconds(10);

using ClientResponse = bhttp::response<bhttp::string_body>;

template <typename Field>
std::string Header(const ClientResponse& response, Field field) {
  auto value = response[field];
  return std::string(value.data(), value.size());
}

// A blocking HTTP client on one connection, reading responses with Beast.
class Client {
 public:
  explicit Client(uint16_t port) {
    auto stream = SocketStream::Connect("127.0.0.1", port, kWait);
    REQUIRE(stream.ok());
    stream_ = std::move(*stream);
    stream_->set_timeout(kWait);
  }

  void Send(absl::string_view bytes) {
    boost::system::error_code ec;
    stream_->WriteAll(bytes.data(), bytes.size(), ec);
    REQUIRE_FALSE(ec);
  }

  // Reads one response (a 1xx one too); `ec` says why not.
  ClientResponse Read(boost::system::error_code& ec, bool head = false) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    parser.skip(head);
    bhttp::read(*stream_, buffer_, parser, ec);
    last_body_size_ = parser.get().body().size();
    return parser.release();
  }

  ClientResponse Read(bool head = false) {
    boost::system::error_code ec;
    ClientResponse response = Read(ec, head);
    INFO(ec.message());
    REQUIRE_FALSE(ec);
    return response;
  }

  ClientResponse Get(const std::string& target,
                     const std::string& extra_headers = "") {
    Send(absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: test\r\n",
                      extra_headers, "\r\n"));
    return Read();
  }

  // Whether the server closes the connection (rather than sending more)
  // within the client's timeout.
  bool ServerCloses() {
    if (buffer_.size() > 0) return false;
    char c;
    boost::system::error_code ec;
    size_t n = stream_->ReadSome(&c, 1, ec);
    return n == 0 && (ec == boost::asio::error::eof ||
                      ec == boost::asio::error::connection_reset);
  }

  size_t last_body_size() const { return last_body_size_; }
  SocketStream& stream() { return *stream_; }

 private:
  std::unique_ptr<SocketStream> stream_;
  beast::flat_buffer buffer_;
  size_t last_body_size_ = 0;
};

std::unique_ptr<Server> StartServer(Handler handler,
                                    ServerOptions options = ServerOptions()) {
  auto server = Server::Start(options, std::move(handler));
  INFO(server.status().ToString());
  REQUIRE(server.ok());
  return std::move(*server);
}

TEST_CASE("a server answers several requests on one kept-alive connection",
          "[common][http]") {
  auto server = StartServer([](Request& request, ResponseWriter& response) {
    response.SetHeader("Content-Type", "text/plain");
    (void)response.Send(200, request.path + " from " + request.remote_address);
  });
  Client client(server->port());
  std::string first_remote;
  for (int i = 0; i < 3; ++i) {
    ClientResponse response = client.Get(absl::StrCat("/r", i));
    CHECK(response.result_int() == 200);
    CHECK(response.keep_alive());
    CHECK(Header(response, bhttp::field::content_type) == "text/plain");
    std::string expected_prefix = absl::StrCat("/r", i, " from 127.0.0.1:");
    CHECK(absl::StartsWith(response.body(), expected_prefix));
    std::string remote =
        response.body().substr(response.body().find(" from ") + 6);
    if (i == 0) first_remote = remote;
    CHECK(remote == first_remote);  // the same client port: one connection
  }
  ClientResponse last = client.Get("/last", "Connection: close\r\n");
  CHECK(last.result_int() == 200);
  CHECK_FALSE(last.keep_alive());
  CHECK(client.ServerCloses());
}

TEST_CASE("a server answers pipelined requests in order", "[common][http]") {
  auto server = StartServer([](Request& request, ResponseWriter& response) {
    absl::StatusOr<std::string> body = ReadFullBody(*request.body, 100);
    (void)response.Send(200, request.path + (body.ok() ? *body : "?"));
  });
  Client client(server->port());
  client.Send(
      "GET /one HTTP/1.1\r\nHost: t\r\n\r\n"
      "PUT /two HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n+body"
      "PUT /three HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\n+ch\r\n0\r\n\r\n"
      "GET /four HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(client.Read().body() == "/one");
  CHECK(client.Read().body() == "/two+body");
  CHECK(client.Read().body() == "/three+ch");
  CHECK(client.Read().body() == "/four");
}

TEST_CASE("many kept-alive connections take turns on the workers",
          "[common][http]") {
  auto server = StartServer([](Request& request, ResponseWriter& response) {
    (void)response.Send(200, request.path);
  });
  // Far more connections than workers, each idle between its requests.
  constexpr int kClients = 40;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<Client>(server->port()));
  }
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < kClients; ++i) {
      const std::string target = absl::StrCat("/c", i, "/r", round);
      ClientResponse response = clients[i]->Get(target);
      CHECK(response.result_int() == 200);
      CHECK(response.body() == target);
      CHECK(response.keep_alive());
    }
  }
  // Half of them send at once; every answer reaches its own connection.
  for (int i = 0; i < kClients; i += 2) {
    clients[i]->Send(absl::StrCat("GET /burst", i, " HTTP/1.1\r\nHost: t\r\n\r\n"));
  }
  for (int i = 0; i < kClients; i += 2) {
    CHECK(clients[i]->Read().body() == absl::StrCat("/burst", i));
  }
}

TEST_CASE("handlers that block do not hold up other connections",
          "[common][http]") {
  absl::Notification release;
  std::atomic<int> blocked{0};
  auto server = StartServer([&](Request& request, ResponseWriter& response) {
    if (absl::StartsWith(request.path, "/block")) {
      ++blocked;
      release.WaitForNotificationWithTimeout(kWait);
    }
    (void)response.Send(200, request.path);
  });
  // More blocked GETs (which start no worker of their own) and PUTs (which
  // do) than the server has workers at the start, one per core.
  const int kEach = static_cast<int>(std::thread::hardware_concurrency()) + 2;
  std::vector<std::unique_ptr<Client>> waiting;
  for (int i = 0; i < kEach; ++i) {
    waiting.push_back(std::make_unique<Client>(server->port()));
    waiting.back()->Send(
        absl::StrCat("GET /block-get", i, " HTTP/1.1\r\nHost: t\r\n\r\n"));
    waiting.push_back(std::make_unique<Client>(server->port()));
    waiting.back()->Send(absl::StrCat("PUT /block-put", i,
                                      " HTTP/1.1\r\nHost: t\r\n"
                                      "Content-Length: 0\r\n\r\n"));
  }
  const absl::Time give_up = absl::Now() + kWait;
  while (blocked.load() < 2 * kEach && absl::Now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(blocked.load() == 2 * kEach);  // every one reached its handler
  Client quick(server->port());
  CHECK(quick.Get("/quick").body() == "/quick");
  release.Notify();
  for (size_t i = 0; i < waiting.size(); ++i) {
    ClientResponse response = waiting[i]->Read();
    CHECK(response.result_int() == 200);
    CHECK(absl::StartsWith(response.body(), "/block-"));
  }
}

TEST_CASE("a kept-alive connection idle past the timeout is closed",
          "[common][http]") {
  ServerOptions options;
  options.idle_timeout = absl::Milliseconds(300);
  auto server = StartServer(
      [](Request& request, ResponseWriter& response) {
        (void)response.Send(200, request.path);
      },
      options);
  Client idle(server->port());
  Client active(server->port());
  CHECK(idle.Get("/once").body() == "/once");
  // The other connection stays open as long as requests keep coming.
  for (int i = 0; i < 8; ++i) {
    CHECK(active.Get(absl::StrCat("/", i)).body() == absl::StrCat("/", i));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(idle.ServerCloses());  // 800 ms of silence: closed
  CHECK(active.Get("/still").body() == "/still");
}

TEST_CASE("a server closes an HTTP/1.0 connection after its response",
          "[common][http]") {
  auto server = StartServer([](Request&, ResponseWriter& response) {
    (void)response.Send(200, "old");
  });
  Client client(server->port());
  client.Send("GET / HTTP/1.0\r\n\r\n");
  ClientResponse response = client.Read();
  CHECK(response.body() == "old");
  CHECK(client.ServerCloses());
}

TEST_CASE("requests carry the decoded path, query and headers",
          "[common][http]") {
  absl::Mutex mu;
  Request seen;
  auto server = StartServer([&](Request& request, ResponseWriter& response) {
    {
      absl::MutexLock lock(&mu);
      seen.method = request.method;
      seen.path = request.path;
      seen.raw_target = request.raw_target;
      seen.query = request.query;
      seen.headers = request.headers;
    }
    (void)response.Send(204, "");
  });
  Client client(server->port());
  ClientResponse response =
      client.Get("/a%20b/c%2Fd+e?x=1&y=hello+world&&x=2&flag&z=%C3%A9",
                 "x-Multi: one\r\nX-MULTI: two\r\n");
  CHECK(response.result_int() == 204);
  absl::MutexLock lock(&mu);
  CHECK(seen.method == "GET");
  CHECK(seen.path == "/a b/c/d+e");
  CHECK(seen.raw_target ==
        "/a%20b/c%2Fd+e?x=1&y=hello+world&&x=2&flag&z=%C3%A9");
  CHECK(seen.QueryParam("x") == "1");
  CHECK(seen.query.count("x") == 2);
  CHECK(seen.QueryParam("y") == "hello world");
  CHECK(seen.QueryParam("flag") == "");
  CHECK(seen.QueryParam("z") == "\xC3\xA9");
  CHECK_FALSE(seen.QueryParam("missing").has_value());
  CHECK(seen.Header("X-Multi") == "one, two");
  CHECK(seen.Header("host") == "test");
  CHECK_FALSE(seen.Header("Absent").has_value());
}

TEST_CASE("a malformed request target is answered 400 with a JSON error",
          "[common][http]") {
  std::atomic<int> calls{0};
  auto server = StartServer([&](Request&, ResponseWriter& response) {
    ++calls;
    (void)response.Send(200, "");
  });
  Client client(server->port());
  ClientResponse response = client.Get("/bad%zzescape");
  CHECK(response.result_int() == 400);
  CHECK(Header(response, bhttp::field::content_type) == "application/json");
  CHECK(absl::StrContains(response.body(), "\"code\":\"INVALID_ARGUMENT\""));
  CHECK(absl::StrContains(response.body(), "bad percent escape"));
  CHECK(client.ServerCloses());
  CHECK(calls == 0);
}

TEST_CASE("a large upload reaches the handler in chunks while it is sent",
          "[common][http]") {
  constexpr size_t kSize = 64 << 20;
  constexpr size_t kReadBuffer = 1 << 20;
  const std::string data = Pattern(kSize, 1);
  absl::Notification first_bytes_seen;
  std::atomic<size_t> reads{0};
  std::atomic<size_t> largest_read{0};
  std::atomic<uint64_t> declared{0};
  auto server = StartServer([&](Request& request, ResponseWriter& response) {
    declared = request.body->content_length().value_or(0);
    std::vector<char> buf(kReadBuffer);
    uint64_t total = 0;
    uint32_t crc = 0;
    for (;;) {
      absl::StatusOr<size_t> got = request.body->Read(buf.data(), buf.size());
      if (!got.ok()) {
        (void)SendError(response, got.status());
        return;
      }
      if (*got == 0) break;
      ++reads;
      if (*got > largest_read) largest_read = *got;
      crc = crc32c::Extend(crc, buf.data(), *got);
      total += *got;
      if (total >= (1 << 20) && !first_bytes_seen.HasBeenNotified()) {
        first_bytes_seen.Notify();
      }
    }
    (void)response.Send(200, absl::StrCat(total, " ", crc));
  });
  Client client(server->port());
  client.Send(absl::StrCat("PUT /blob HTTP/1.1\r\nHost: t\r\nContent-Length: ",
                           kSize, "\r\n\r\n"));
  // The handler must see the start of the body before the client has sent
  // the rest: the server streams, it does not buffer the body.
  constexpr size_t kFirstPart = 8 << 20;
  client.Send(absl::string_view(data).substr(0, kFirstPart));
  REQUIRE(first_bytes_seen.WaitForNotificationWithTimeout(kWait));
  client.Send(absl::string_view(data).substr(kFirstPart));
  ClientResponse response = client.Read();
  CHECK(response.result_int() == 200);
  CHECK(response.body() == absl::StrCat(kSize, " ", crc32c::Value(data)));
  CHECK(declared == kSize);
  CHECK(reads > 1);
  CHECK(largest_read <= kReadBuffer);
  // The connection survives for the next request.
  client.Send("PUT /empty HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  CHECK(client.Read().body() == absl::StrCat(0, " ", 0));
}

TEST_CASE("a chunked upload has no content length and reads whole",
          "[common][http]") {
  std::atomic<bool> had_length{true};
  auto server = StartServer([&](Request& request, ResponseWriter& response) {
    had_length = request.body->content_length().has_value();
    absl::StatusOr<std::string> body = ReadFullBody(*request.body, 1 << 20);
    if (!body.ok()) {
      (void)SendError(response, body.status(), 413);
      return;
    }
    (void)response.Send(200, *body);
  });
  Client client(server->port());
  client.Send(
      "PUT /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n");
  ClientResponse response = client.Read();
  CHECK(response.result_int() == 200);
  CHECK(response.body() == "hello, world");
  CHECK_FALSE(had_length);
}

TEST_CASE("an endless chunk line or trailer is refused, not buffered",
          "[common][http]") {
  // Beast bounds only the header; a chunk-size line with its extensions and
  // the trailer must fit in the connection's read buffer, max_header_bytes
  // plus 16 KiB. Without that bound the server buffered them until memory
  // ran out, and here until the idle timeout.
  ServerOptions options;
  options.idle_timeout = absl::Seconds(3);
  auto server = StartServer(
      [&](Request& request, ResponseWriter& response) {
        absl::StatusOr<std::string> body = ReadFullBody(*request.body, 1 << 20);
        if (!body.ok()) {
          (void)SendError(response, body.status());
          return;
        }
        (void)response.Send(200, *body);
      },
      options);
  for (const char* start : {"1;", "1;ext=", "5\r\nhello\r\n0\r\nX-Long: "}) {
    INFO(start);
    Client client(server->port());
    client.Send(absl::StrCat(
        "PUT /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
        start));
    // Up to 4 MiB more of the same line, until the server answers.
    const std::string more(64 << 10, 'a');
    bool answered = false;
    for (int i = 0; i < 64 && !answered; ++i) {
      struct pollfd p = {client.stream().fd(), POLLIN, 0};
      answered = poll(&p, 1, 0) > 0;
      if (answered) break;
      boost::system::error_code ec;
      client.stream().WriteAll(more.data(), more.size(), ec);
      if (ec) break;
    }
    ClientResponse response = client.Read();
    CHECK(response.result_int() == 400);
    CHECK(absl::StrContains(response.body(), "does not fit"));
    CHECK(Header(response, bhttp::field::connection) == "close");
  }
}

TEST_CASE("ReadFullBody refuses a body larger than its limit",
          "[common][http]") {
  auto server = StartServer([&](Request& request, ResponseWriter& response) {
    absl::StatusOr<std::string> body = ReadFullBody(*request.body, 10);
    if (!body.ok()) {
      (void)SendError(response, body.status(), 413);
      return;
    }
    (void)response.Send(200, *body);
  });
  Client client(server->port());
  client.Send("PUT /c HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n");
  client.Send("01234567890");
  ClientResponse declared = client.Read();
  CHECK(declared.result_int() == 413);
  CHECK(absl::StrContains(declared.body(), "OUT_OF_RANGE"));
  client.Send(
      "PUT /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "6\r\n012345\r\n6\r\n678901\r\n0\r\n\r\n");
  CHECK(client.Read().result_int() == 413);
}

TEST_CASE("a client that closes mid-body makes the handler's read fail",
          "[common][http]") {
  std::promise<absl::Status> outcome;
  auto server = StartServer([&](Request& request, ResponseWriter& response) {
    char buf[4096];
    absl::Status status;
    uint64_t total = 0;
    for (;;) {
      absl::StatusOr<size_t> got = request.body->Read(buf, sizeof(buf));
      if (!got.ok()) {
        status = got.status();
        break;
      }
      if (*got == 0) break;
      total += *got;
    }
    // The client sent 100 KiB before closing: the handler never sees more.
    if (total > (100 << 10)) {
      status = absl::InternalError(absl::StrCat("read ", total, " bytes"));
    }
    // A second read returns the same error.
    if (!status.ok()) {
      absl::StatusOr<size_t> again = request.body->Read(buf, sizeof(buf));
      if (again.ok() || again.status().code() != status.code()) {
        status = absl::InternalError("the error was not sticky");
      }
    }
    outcome.set_value(status);
    (void)SendError(response, status);
  });
  {
    Client client(server->port());
    client.Send(
        "PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: 1048576\r\n\r\n");
    client.Send(std::string(100 << 10, 'x'));
  }  // closes
  std::future<absl::Status> future = outcome.get_future();
  REQUIRE(future.wait_for(std::chrono::seconds(10)) ==
          std::future_status::ready);
  absl::Status status = future.get();
  INFO(status.ToString());
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a HEAD response has the Content-Length of the body but no body",
          "[common][http]") {
  Router router;
  router.Handle("GET", "/send", [](Request&, ResponseWriter& response) {
    (void)response.Send(200, "hello world");
  });
  router.Handle("GET", "/stream", [](Request&, ResponseWriter& response) {
    if (!response.BeginStream(200, 10).ok()) return;
    if (!response.Write("hello").ok()) return;
    if (!response.Write("world").ok()) return;
    (void)response.Finish();
  });
  auto server = StartServer(router.AsHandler());
  Client client(server->port());
  for (const char* path : {"/send", "/stream"}) {
    client.Send(absl::StrCat("HEAD ", path, " HTTP/1.1\r\nHost: t\r\n\r\n"));
    ClientResponse head = client.Read(/*head=*/true);
    CHECK(head.result_int() == 200);
    CHECK(Header(head, bhttp::field::content_length) ==
          (std::string(path) == "/send" ? "11" : "10"));
    // Had a body been sent, this GET's response would not parse.
    ClientResponse get = client.Get(path);
    CHECK(get.body() == (std::string(path) == "/send" ? "hello world"
                                                      : "helloworld"));
  }
}

TEST_CASE("Expect: 100-continue is answered when the handler reads the body",
          "[common][http]") {
  std::atomic<int> late_read{-1};
  auto server = StartServer([&](Request& request, ResponseWriter& response) {
    if (request.path == "/refuse") {
      (void)SendError(response, absl::PermissionDeniedError("no"));
      // Too late: the client will not send the body now.
      char c;
      late_read = static_cast<int>(request.body->Read(&c, 1).status().code());
      return;
    }
    absl::StatusOr<std::string> body = ReadFullBody(*request.body, 1 << 20);
    (void)response.Send(200, absl::StrCat(body.ok() ? body->size() : 0));
  });
  const std::string body(5000, 'b');
  {
    Client client(server->port());
    client.Send(
        "PUT /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n"
        "Expect: 100-continue\r\n\r\n");
    ClientResponse interim = client.Read();
    CHECK(interim.result_int() == 100);
    client.Send(body);
    ClientResponse final_response = client.Read();
    CHECK(final_response.result_int() == 200);
    CHECK(final_response.body() == "5000");
    CHECK(final_response.keep_alive());
  }
  {
    // Refused before reading: no 100 Continue, so the client never sends
    // the body, and the server closes rather than wait for it.
    Client client(server->port());
    client.Send(
        "PUT /refuse HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n"
        "Expect: 100-continue\r\n\r\n");
    ClientResponse response = client.Read();
    CHECK(response.result_int() == 403);
    CHECK_FALSE(response.keep_alive());
    CHECK(client.ServerCloses());  // the handler has returned
    CHECK(late_read ==
          static_cast<int>(absl::StatusCode::kFailedPrecondition));
  }
}

TEST_CASE("an unknown Expect is answered 417", "[common][http]") {
  std::atomic<int> calls{0};
  auto server = StartServer([&](Request&, ResponseWriter& response) {
    ++calls;
    (void)response.Send(200, "");
  });
  Client client(server->port());
  client.Send(
      "PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
      "Expect: something-else\r\n\r\n");
  CHECK(client.Read().result_int() == 417);
  CHECK(calls == 0);
}

TEST_CASE("a small unread body is drained and a large one closes",
          "[common][http]") {
  auto server = StartServer([](Request&, ResponseWriter& response) {
    (void)response.Send(200, "ignored your body");
  });
  Client client(server->port());
  client.Send("PUT /a HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n");
  client.Send(std::string(1000, 'a'));
  ClientResponse small = client.Read();
  CHECK(small.keep_alive());
  CHECK(client.Get("/next").result_int() == 200);  // the body was skipped

  client.Send("PUT /b HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n");
  ClientResponse large = client.Read();
  CHECK(large.result_int() == 200);
  CHECK_FALSE(large.keep_alive());
}

TEST_CASE("routing answers 404 and 405 with Allow", "[common][http]") {
  Router router;
  auto ok = [](Request& request, ResponseWriter& response) {
    (void)response.Send(200, request.method + " " + request.path);
  };
  router.Handle("GET", "/metrics", ok);
  router.Handle("PUT", "/objects/special", ok);
  router.HandlePrefix("GET", "/objects/", ok);
  router.HandlePrefix("DELETE", "/objects/", ok);
  auto server = StartServer(router.AsHandler());
  Client client(server->port());

  CHECK(client.Get("/metrics").body() == "GET /metrics");
  CHECK(client.Get("/objects/special").body() == "GET /objects/special");

  ClientResponse missing = client.Get("/nothing");
  CHECK(missing.result_int() == 404);
  CHECK(absl::StrContains(missing.body(), "\"code\":\"NOT_FOUND\""));

  client.Send("DELETE /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
  ClientResponse wrong = client.Read();
  CHECK(wrong.result_int() == 405);
  CHECK(Header(wrong, bhttp::field::allow) == "GET, HEAD");

  client.Send("POST /objects/special HTTP/1.1\r\nHost: t\r\n\r\n");
  ClientResponse wrong_prefix = client.Read();
  CHECK(wrong_prefix.result_int() == 405);
  CHECK(Header(wrong_prefix, bhttp::field::allow) == "DELETE, GET, HEAD, PUT");
}

TEST_CASE("a handler that does not respond gets a 500 for its client",
          "[common][http]") {
  auto server = StartServer([](Request& request, ResponseWriter& response) {
    if (request.path == "/ok") (void)response.Send(200, "fine");
    // Headers set before giving up are not sent with the 500.
    response.SetHeader("X-Partial", "yes");
  });
  Client client(server->port());
  ClientResponse response = client.Get("/forgot");
  CHECK(response.result_int() == 500);
  CHECK(Header(response, bhttp::field::content_type) == "application/json");
  CHECK(Header(response, "X-Partial").empty());
  CHECK(absl::StrContains(response.body(), "\"code\":\"INTERNAL\""));
  CHECK(client.Get("/ok").body() == "fine");  // the connection lives on
}

TEST_CASE("a response header with CR or LF is refused", "[common][http]") {
  std::atomic<int> code{0};
  auto server = StartServer([&](Request&, ResponseWriter& response) {
    response.SetHeader("X-Name", "a\r\nInjected: 1");
    code = static_cast<int>(response.Send(200, "x").code());
  });
  Client client(server->port());
  ClientResponse response = client.Get("/");
  CHECK(code == static_cast<int>(absl::StatusCode::kInvalidArgument));
  CHECK(response.result_int() == 500);
  CHECK(Header(response, "Injected").empty());
}

TEST_CASE("a 16 MiB streamed response arrives intact", "[common][http]") {
  constexpr size_t kSize = 16 << 20;
  const std::string data = Pattern(kSize, 2);
  std::atomic<bool> finished{false};
  absl::Notification returned;
  auto server = StartServer([&](Request&, ResponseWriter& response) {
    if (!response.BeginStream(200, kSize).ok()) return;
    for (size_t at = 0; at < kSize; at += 100000) {
      if (!response.Write(absl::string_view(data).substr(at, 100000)).ok()) {
        return;
      }
    }
    finished = response.Finish().ok();
    returned.Notify();
  });
  Client client(server->port());
  ClientResponse response = client.Get("/big");
  CHECK(response.result_int() == 200);
  REQUIRE(response.body().size() == kSize);
  CHECK(response.body() == data);
  REQUIRE(returned.WaitForNotificationWithTimeout(kWait));
  CHECK(finished);
  CHECK(response.keep_alive());
}

TEST_CASE("a handler failing mid-stream leaves the client a truncated body",
          "[common][http]") {
  absl::Mutex mu;
  absl::Status too_much;
  absl::Status too_early;
  auto server = StartServer([&](Request& request, ResponseWriter& response) {
    if (!response.BeginStream(200, 1 << 20).ok()) return;
    if (!response.Write(std::string(64 << 10, 'a')).ok()) return;
    if (request.path == "/overflow") {
      absl::Status s = response.Write(std::string(1 << 20, 'b'));
      absl::MutexLock lock(&mu);
      too_much = s;
    } else if (request.path == "/early") {
      absl::Status s = response.Finish();
      absl::MutexLock lock(&mu);
      too_early = s;
    }
    // Otherwise: return mid-stream, as a failed disk read would.
  });
  for (const char* path : {"/abandon", "/overflow", "/early"}) {
    INFO(path);
    Client client(server->port());
    client.Send(absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: t\r\n\r\n"));
    boost::system::error_code ec;
    ClientResponse response = client.Read(ec);
    CHECK(ec == bhttp::error::partial_message);
    CHECK(response.result_int() == 200);
    CHECK(Header(response, bhttp::field::content_length) == "1048576");
    CHECK(client.last_body_size() == (64 << 10));
  }
  absl::MutexLock lock(&mu);
  CHECK(too_much.code() == absl::StatusCode::kInvalidArgument);
  CHECK(too_early.code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a response writer refuses calls out of order", "[common][http]") {
  absl::Mutex mu;
  std::vector<absl::StatusCode> codes;
  absl::Notification recorded;
  auto server = StartServer([&](Request&, ResponseWriter& response) {
    std::vector<absl::StatusCode> got;
    got.push_back(response.Write("x").code());   // before BeginStream
    got.push_back(response.Finish().code());     // before BeginStream
    got.push_back(response.Send(99, "").code()); // not a final status
    got.push_back(response.Send(200, "once").code());
    got.push_back(response.Send(200, "twice").code());
    got.push_back(response.BeginStream(200, 1).code());
    absl::MutexLock lock(&mu);
    codes = got;
    recorded.Notify();
  });
  Client client(server->port());
  CHECK(client.Get("/").body() == "once");
  REQUIRE(recorded.WaitForNotificationWithTimeout(kWait));
  absl::MutexLock lock(&mu);
  CHECK(codes == std::vector<absl::StatusCode>{
                     absl::StatusCode::kFailedPrecondition,
                     absl::StatusCode::kFailedPrecondition,
                     absl::StatusCode::kInvalidArgument,
                     absl::StatusCode::kOk,
                     absl::StatusCode::kFailedPrecondition,
                     absl::StatusCode::kFailedPrecondition,
                 });
}

TEST_CASE("a client that stalls mid-header is dropped after the idle timeout",
          "[common][http]") {
  std::atomic<int> calls{0};
  MetricsRegistry metrics;
  ServerOptions options;
  options.idle_timeout = absl::Milliseconds(300);
  options.metrics = &metrics;
  auto server = StartServer(
      [&](Request&, ResponseWriter& response) {
        ++calls;
        (void)response.Send(200, "");
      },
      options);
  {
    Client client(server->port());
    client.Send("GET /slow HTTP/1.1\r\nHost: t\r\n");  // never finished
    ClientResponse response = client.Read();
    CHECK(response.result_int() == 408);
    CHECK(client.ServerCloses());
  }
  {
    // Dribbling the header a byte at a time does not keep it open either:
    // the whole header must arrive within the idle timeout.
    Client client(server->port());
    const std::string header = "GET /drip HTTP/1.1\r\nHost: t\r\n" +
                               std::string(200, 'x');
    bool closed = false;
    for (size_t i = 0; i < header.size() && !closed; ++i) {
      boost::system::error_code ec;
      client.stream().WriteAll(&header[i], 1, ec);
      closed = static_cast<bool>(ec);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      struct pollfd p = {client.stream().fd(), POLLIN, 0};
      if (poll(&p, 1, 0) > 0) closed = true;  // the 408 or the close
    }
    CHECK(closed);
  }
  {
    // An idle connection that never sends a byte is closed silently.
    Client client(server->port());
    CHECK(client.ServerCloses());
  }
  CHECK(calls == 0);
  CHECK(absl::StrContains(metrics.Render(),
                          "warehouse_http_idle_timeouts_total 2\n"));
}

TEST_CASE("a handler whose client stops reading gets DeadlineExceeded",
          "[common][http]") {
  std::promise<absl::Status> outcome;
  ServerOptions options;
  options.idle_timeout = absl::Milliseconds(300);
  auto server = StartServer(
      [&](Request&, ResponseWriter& response) {
        absl::Status status = response.BeginStream(200, uint64_t{1} << 30);
        const std::string chunk(1 << 20, 'z');
        // The socket buffers fill within a few MiB; bounded regardless.
        for (int i = 0; i < 1024 && status.ok(); ++i) {
          status = response.Write(chunk);
        }
        outcome.set_value(status);
      },
      options);
  Client client(server->port());
  client.Send("GET /huge HTTP/1.1\r\nHost: t\r\n\r\n");  // and never read
  std::future<absl::Status> future = outcome.get_future();
  REQUIRE(future.wait_for(std::chrono::seconds(30)) ==
          std::future_status::ready);
  CHECK(future.get().code() == absl::StatusCode::kDeadlineExceeded);
}

TEST_CASE("connections beyond max_connections are answered 503",
          "[common][http]") {
  MetricsRegistry metrics;
  ServerOptions options;
  options.max_connections = 1;
  options.metrics = &metrics;
  auto server = StartServer(
      [](Request&, ResponseWriter& response) {
        (void)response.Send(200, "served");
      },
      options);
  auto first = std::make_unique<Client>(server->port());
  CHECK(first->Get("/").body() == "served");  // holds the one slot

  Client second(server->port());
  second.Send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  ClientResponse busy = second.Read();
  CHECK(busy.result_int() == 503);
  CHECK_FALSE(busy.keep_alive());
  CHECK(absl::StrContains(busy.body(), "\"code\":\"UNAVAILABLE\""));
  CHECK(second.ServerCloses());

  first.reset();  // frees the slot once the server sees the close
  bool served = false;
  for (int attempt = 0; attempt < 200 && !served; ++attempt) {
    Client next(server->port());
    served = next.Get("/").result_int() == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  CHECK(served);
  CHECK(absl::StrContains(metrics.Render(),
                          "warehouse_http_rejected_connections_total"));
}

TEST_CASE("requests with conflicting or oversized headers are refused",
          "[common][http]") {
  std::atomic<int> calls{0};
  auto server = StartServer([&](Request&, ResponseWriter& response) {
    ++calls;
    (void)response.Send(200, "");
  });
  struct Case {
    std::string request;
    unsigned status;
  };
  const std::vector<Case> cases = {
      {"PUT / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
       "Transfer-Encoding: chunked\r\n\r\nhello",
       400},
      {"PUT / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
       "Content-Length: 5\r\n\r\nhello",
       400},
      {"PUT / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n"
       "Content-Length: 5\r\n\r\nhello",
       400},
      {"PUT / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
       "Content-Length: 6\r\n\r\nhello",
       400},
      {"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(20 << 10, 'x') +
           "\r\n\r\n",
       431},
      {"NOT HTTP AT ALL\r\n\r\n", 400},
      {"GET http://elsewhere/ HTTP/1.1\r\nHost: t\r\n\r\n", 400},
  };
  for (const Case& c : cases) {
    INFO(c.request.substr(0, 80));
    Client client(server->port());
    client.Send(c.request);
    ClientResponse response = client.Read();
    CHECK(response.result_int() == c.status);
    CHECK_FALSE(response.keep_alive());
  }
  CHECK(calls == 0);
}

TEST_CASE("Shutdown lets a request in flight finish and closes idle ones",
          "[common][http]") {
  absl::Notification entered;
  absl::Notification release;
  auto server = StartServer([&](Request& request, ResponseWriter& response) {
    if (request.path == "/slow") {
      entered.Notify();
      release.WaitForNotificationWithTimeout(kWait);
    }
    (void)response.Send(200, "done " + request.path);
  });
  const uint16_t port = server->port();
  Client idle(port);
  CHECK(idle.Get("/quick").body() == "done /quick");
  Client busy(port);
  busy.Send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(entered.WaitForNotificationWithTimeout(kWait));

  std::thread stopper([&] { server->Shutdown(kWait); });
  // New connections are refused once Shutdown has begun.
  bool refused = false;
  for (int attempt = 0; attempt < 400 && !refused; ++attempt) {
    refused = !SocketStream::Connect("127.0.0.1", port, kWait).ok();
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(refused);
  CHECK(idle.ServerCloses());  // while the slow request still runs

  release.Notify();
  ClientResponse response = busy.Read();
  CHECK(response.result_int() == 200);
  CHECK(response.body() == "done /slow");
  CHECK_FALSE(response.keep_alive());
  stopper.join();
}

TEST_CASE("Shutdown past its grace closes connections under a handler",
          "[common][http]") {
  std::promise<absl::Status> outcome;
  absl::Notification entered;
  auto server = StartServer([&](Request& request, ResponseWriter& response) {
    entered.Notify();
    char buf[100];
    absl::StatusOr<size_t> got = request.body->Read(buf, sizeof(buf));
    outcome.set_value(got.status());
    (void)SendError(response, got.status());
  });
  Client client(server->port());
  // Promises a body it never sends: the handler blocks reading it.
  client.Send("PUT / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n");
  REQUIRE(entered.WaitForNotificationWithTimeout(kWait));
  server->Shutdown(absl::Milliseconds(50));
  std::future<absl::Status> future = outcome.get_future();
  REQUIRE(future.wait_for(std::chrono::seconds(0)) ==
          std::future_status::ready);  // Shutdown joined the handler
  CHECK_FALSE(future.get().ok());
  CHECK(client.ServerCloses());
}

TEST_CASE("a server counts requests in its metrics registry",
          "[common][http]") {
  MetricsRegistry metrics;
  ServerOptions options;
  options.metrics = &metrics;
  Router router;
  router.Handle("GET", "/metrics", [&](Request&, ResponseWriter& response) {
    response.SetHeader("Content-Type", MetricsRegistry::kContentType);
    (void)response.Send(200, metrics.Render());
  });
  auto server = StartServer(router.AsHandler(), options);
  Client client(server->port());
  CHECK(client.Get("/missing").result_int() == 404);
  CHECK(client.Get("/metrics").result_int() == 200);
  ClientResponse scrape = client.Get("/metrics");
  CHECK(Header(scrape, bhttp::field::content_type) ==
        "text/plain; version=0.0.4");
  CHECK(absl::StrContains(
      scrape.body(), "warehouse_http_requests_total{method=\"GET\",code=\"404\"} 1\n"));
  CHECK(absl::StrContains(
      scrape.body(), "warehouse_http_requests_total{method=\"GET\",code=\"200\"} 1\n"));
  CHECK(absl::StrContains(scrape.body(), "warehouse_http_open_connections 1\n"));
  CHECK(absl::StrContains(scrape.body(),
                          "warehouse_http_request_duration_seconds_count 2\n"));
}

TEST_CASE("a server refuses bad options and a taken port", "[common][http]") {
  auto handler = [](Request&, ResponseWriter& response) {
    (void)response.Send(200, "");
  };
  ServerOptions bad_address;
  bad_address.address = "not-an-address";
  CHECK(Server::Start(bad_address, handler).status().code() ==
        absl::StatusCode::kInvalidArgument);
  ServerOptions no_connections;
  no_connections.max_connections = 0;
  CHECK(Server::Start(no_connections, handler).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(Server::Start(ServerOptions(), nullptr).status().code() ==
        absl::StatusCode::kInvalidArgument);

  auto first = StartServer(handler);
  ServerOptions same_port;
  same_port.port = first->port();
  CHECK(Server::Start(same_port, handler).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace warehouse::http
