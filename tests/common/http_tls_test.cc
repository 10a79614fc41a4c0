// The HTTP server and client over TLS: SocketStream's handshake, reads and
// writes under the worker pool, the client's certificate checks, and what
// each side says when the other speaks no TLS.
#include <poll.h>
#include <sys/socket.h>

#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/error.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/http/read.hpp"
#include "boost/beast/http/string_body.hpp"
#include "catch2/catch.hpp"
#include "common/http_client.h"
#include "common/http_server.h"
#include "common/server_certificate.h"
#include "common/socket_stream.h"
#include "common/tls_context.h"
#include "common/tls_credentials.h"
#include "tests/support/certificate.h"
#include "tests/support/pattern.h"
#include "tests/support/temp_dir.h"

namespace warehouse::http {
namespace {

namespace bhttp = boost::beast::http;
using testing::Pattern;

constexpr absl::Duration kWait = absl::Seconds(10);

// GET /bytes?n=N streams N bytes of Pattern in 100 KiB writes; PUT echoes
// the body it read.
void Serve(Request& request, ResponseWriter& response) {
  if (request.method == "PUT") {
    absl::StatusOr<std::string> body = ReadFullBody(*request.body, 64 << 20);
    if (!body.ok()) {
      response.Send(400, body.status().ToString()).IgnoreError();
      return;
    }
    response.Send(200, *body).IgnoreError();
    return;
  }
  size_t n = 0;
  if (!absl::SimpleAtoi(request.QueryParam("n").value_or("0"), &n)) {
    response.Send(400, "n: not a number").IgnoreError();
    return;
  }
  const std::string bytes = Pattern(n, 1);
  if (!response.BeginStream(200, n).ok()) return;
  for (size_t at = 0; at < n; at += 100 << 10) {
    const size_t take = std::min<size_t>(100 << 10, n - at);
    if (!response.Write(absl::string_view(bytes).substr(at, take)).ok()) return;
  }
  response.Finish().IgnoreError();
}

// A server with its own certificate, and the client roots that trust it.
struct TlsFixture {
  explicit TlsFixture(absl::Duration idle_timeout = absl::Seconds(2),
                      size_t max_connections = ServerOptions().max_connections) {
    absl::StatusOr<testing::Certificate> made =
        testing::MakeCertificate(dir, "server");
    INFO(made.status().ToString());
    REQUIRE(made.ok());
    cert = *made;
    absl::StatusOr<std::shared_ptr<ServerCertificate>> server_context =
        ServerCertificate::Open(cert.cert, cert.key, absl::Hours(1));
    INFO(server_context.status().ToString());
    REQUIRE(server_context.ok());
    absl::StatusOr<std::string> pem = ReadPemFile("roots", cert.cert);
    REQUIRE(pem.ok());
    absl::StatusOr<std::shared_ptr<const TlsContext>> client_context =
        TlsContext::ForClient(*pem);
    REQUIRE(client_context.ok());
    roots = *client_context;
    ServerOptions options;
    options.tls = *server_context;
    options.idle_timeout = idle_timeout;
    options.max_connections = max_connections;
    absl::StatusOr<std::unique_ptr<Server>> started =
        Server::Start(options, Serve);
    INFO(started.status().ToString());
    REQUIRE(started.ok());
    server = *std::move(started);
    origin = Origin{absl::StrCat("127.0.0.1:", server->port()), true};
  }

  testing::TempDir dir;
  testing::Certificate cert;
  std::shared_ptr<const TlsContext> roots;
  std::unique_ptr<Server> server;
  Origin origin;
};

TEST_CASE("a TLS server streams bodies both ways on kept-alive connections",
          "[http][tls]") {
  TlsFixture f;
  ConnectionPool pool(kWait, 4, f.roots);
  // Sizes around a TLS record (16 KiB) and well past the client's chunk.
  for (size_t n : {0, 1, 16383, 16384, 16385, 3 << 20}) {
    INFO(n);
    ClientRequest get;
    get.target = absl::StrCat("/bytes?n=", n);
    absl::StatusOr<ClientResponse> got = pool.Send(f.origin, get);
    INFO(got.status().ToString());
    REQUIRE(got.ok());
    CHECK(got->status == 200);
    CHECK(got->body == Pattern(n, 1));

    ClientRequest put;
    put.method = "PUT";
    put.target = "/echo";
    put.body = Pattern(n, 1);
    absl::StatusOr<ClientResponse> echoed = pool.Send(f.origin, put);
    INFO(echoed.status().ToString());
    REQUIRE(echoed.ok());
    CHECK(echoed->status == 200);
    CHECK(echoed->body == put.body);
  }
}

TEST_CASE("pipelined requests over TLS are all answered", "[http][tls]") {
  TlsFixture f;
  absl::StatusOr<std::unique_ptr<SocketStream>> stream =
      SocketStream::Connect("127.0.0.1", f.server->port(), kWait);
  REQUIRE(stream.ok());
  (*stream)->set_timeout(kWait);
  REQUIRE((*stream)->ConnectTls(*f.roots, "127.0.0.1").ok());
  // Three requests in one write: after the first is answered, the other
  // two are already decrypted or still in the socket, and neither may be
  // left waiting for an epoll wake-up that never comes.
  std::string requests;
  for (int n : {5, 70000, 7}) {
    absl::StrAppend(&requests, "GET /bytes?n=", n,
                    " HTTP/1.1\r\nHost: test\r\n\r\n");
  }
  boost::system::error_code ec;
  (*stream)->WriteAll(requests.data(), requests.size(), ec);
  REQUIRE_FALSE(ec);
  boost::beast::flat_buffer buffer;
  for (size_t n : {5, 70000, 7}) {
    bhttp::response<bhttp::string_body> response;
    bhttp::read(**stream, buffer, response, ec);
    INFO(ec.message());
    REQUIRE_FALSE(ec);
    CHECK(response.result_int() == 200);
    CHECK(response.body() == Pattern(n, 1));
  }
}

TEST_CASE("a client that does not trust the server's certificate is refused",
          "[http][tls]") {
  TlsFixture f;
  testing::TempDir other_dir;
  absl::StatusOr<testing::Certificate> other =
      testing::MakeCertificate(other_dir, "other");
  REQUIRE(other.ok());
  absl::StatusOr<std::string> other_pem = ReadPemFile("roots", other->cert);
  REQUIRE(other_pem.ok());
  absl::StatusOr<std::shared_ptr<const TlsContext>> wrong =
      TlsContext::ForClient(*other_pem);
  REQUIRE(wrong.ok());

  ConnectionPool pool(kWait, 4, *wrong);
  ClientRequest get;
  get.target = "/bytes?n=1";
  absl::StatusOr<ClientResponse> refused = pool.Send(f.origin, get);
  INFO(refused.status().ToString());
  CHECK(absl::IsFailedPrecondition(refused.status()));
  CHECK_THAT(std::string(refused.status().message()),
             Catch::Contains("certificate is refused"));

  // No roots at all: an https origin cannot be checked.
  ConnectionPool no_roots(kWait, 4, nullptr);
  absl::StatusOr<ClientResponse> unchecked = no_roots.Send(f.origin, get);
  CHECK(absl::IsFailedPrecondition(unchecked.status()));

  // The server still serves a client that trusts it.
  ConnectionPool right(kWait, 4, f.roots);
  absl::StatusOr<ClientResponse> ok = right.Send(f.origin, get);
  REQUIRE(ok.ok());
  CHECK(ok->body == Pattern(1, 1));
}

TEST_CASE("plaintext and TLS peers that meet fail and block no one",
          "[http][tls]") {
  TlsFixture f;
  // A plaintext client on the TLS port: its request is no hello, and the
  // server answers it in plaintext, 400 and why, without running the
  // handler.
  ConnectionPool plain(kWait, 4, nullptr);
  ClientRequest get;
  get.target = "/bytes?n=3";
  absl::StatusOr<ClientResponse> garbled =
      plain.Send(Origin{f.origin.host_port, false}, get);
  INFO(garbled.status().ToString());
  REQUIRE(garbled.ok());
  CHECK(garbled->status == 400);
  CHECK_THAT(garbled->body, Catch::Contains("speaks only TLS; use https://"));
  CHECK(garbled->Header("Connection").value_or("") == "close");

  // A client that connects and sends nothing holds no worker: the
  // handshake waits in the epoll set like an idle connection, and the idle
  // timeout closes it.
  absl::StatusOr<std::unique_ptr<SocketStream>> silent =
      SocketStream::Connect("127.0.0.1", f.server->port(), kWait);
  REQUIRE(silent.ok());
  std::vector<std::unique_ptr<SocketStream>> more_silent;
  for (int i = 0; i < 8; ++i) {
    auto s = SocketStream::Connect("127.0.0.1", f.server->port(), kWait);
    REQUIRE(s.ok());
    more_silent.push_back(*std::move(s));
  }
  ConnectionPool tls(kWait, 4, f.roots);
  absl::StatusOr<ClientResponse> served = tls.Send(f.origin, get);
  INFO(served.status().ToString());
  REQUIRE(served.ok());
  CHECK(served->body == Pattern(3, 1));
  (*silent)->set_timeout(kWait);
  char c;
  boost::system::error_code ec;
  CHECK((*silent)->ReadSome(&c, 1, ec) == 0);
  CHECK((ec == boost::asio::error::eof ||
         ec == boost::asio::error::connection_reset));

  // A TLS client on a plaintext port: the handshake fails, named.
  absl::StatusOr<std::unique_ptr<Server>> plain_server =
      Server::Start(ServerOptions(), Serve);
  REQUIRE(plain_server.ok());
  absl::StatusOr<ClientResponse> no_tls = tls.Send(
      Origin{absl::StrCat("127.0.0.1:", (*plain_server)->port()), true}, get);
  INFO(no_tls.status().ToString());
  CHECK(absl::IsUnavailable(no_tls.status()));
  CHECK_THAT(std::string(no_tls.status().message()),
             Catch::Contains("does the server speak TLS?"));
}

TEST_CASE("a TLS connection beyond max_connections is answered 503",
          "[http][tls]") {
  TlsFixture f(absl::Seconds(5), 1);
  ClientRequest get;
  get.target = "/bytes?n=3";
  ConnectionPool first(kWait, 4, f.roots);
  absl::StatusOr<ClientResponse> served = first.Send(f.origin, get);
  INFO(served.status().ToString());
  REQUIRE(served.ok());
  CHECK(served->status == 200);  // its connection, kept alive, holds the slot

  // One over the limit that never says hello holds up no other answer.
  absl::StatusOr<std::unique_ptr<SocketStream>> silent =
      SocketStream::Connect("127.0.0.1", f.server->port(), kWait);
  REQUIRE(silent.ok());
  for (int i = 0; i < 3; ++i) {
    ConnectionPool other(kWait, 4, f.roots);
    absl::StatusOr<ClientResponse> busy = other.Send(f.origin, get);
    INFO(busy.status().ToString());
    REQUIRE(busy.ok());
    CHECK(busy->status == 503);
    CHECK_THAT(busy->body, Catch::Contains("\"code\":\"UNAVAILABLE\""));
    CHECK(busy->Header("Connection").value_or("") == "close");
    CHECK(busy->Header("Retry-After").value_or("") == "1");
  }
  // The slot's own connection still serves.
  absl::StatusOr<ClientResponse> again = first.Send(f.origin, get);
  REQUIRE(again.ok());
  CHECK(again->body == Pattern(3, 1));
}

TEST_CASE("a TLS client sending a byte now and then is dropped on time",
          "[http][tls]") {
  // Part of a handshake or record hands the connection back to the epoll
  // set without a request: that must not restart its idle timeout, or a
  // byte every so often would hold the connection forever.
  TlsFixture f(absl::Milliseconds(500));
  for (const bool handshake_done : {false, true}) {
    INFO("handshake done: " << handshake_done);
    absl::StatusOr<std::unique_ptr<SocketStream>> stream =
        SocketStream::Connect("127.0.0.1", f.server->port(), kWait);
    REQUIRE(stream.ok());
    (*stream)->set_timeout(kWait);
    // The header of a 512-byte record: a hello, or application data.
    std::string record =
        handshake_done ? "\x17\x03\x03\x02\x00" : "\x16\x03\x01\x02\x00";
    if (handshake_done) {
      REQUIRE((*stream)->ConnectTls(*f.roots, "127.0.0.1").ok());
    }
    const int fd = (*stream)->fd();
    const absl::Time start = absl::Now();
    bool closed = false;
    // A byte every 150 ms, for up to 4.5 s: nine idle timeouts. What the
    // server sends meanwhile (session tickets, a close_notify) is read;
    // the end of the stream is what counts.
    for (size_t i = 0; i < 30 && !closed; ++i) {
      const char byte = i < record.size() ? record[i] : '\0';
      if (send(fd, &byte, 1, MSG_NOSIGNAL) != 1) closed = true;
      const absl::Time until = absl::Now() + absl::Milliseconds(150);
      while (!closed && absl::Now() < until) {
        struct pollfd p = {fd, POLLIN, 0};
        const int left = static_cast<int>(absl::ToInt64Milliseconds(
            absl::Ceil(until - absl::Now(), absl::Milliseconds(1))));
        if (poll(&p, 1, left) <= 0) break;
        char buf[4096];
        if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0) closed = true;
      }
    }
    CHECK(closed);
    CHECK(absl::Now() - start < absl::Seconds(2));
  }
}

TEST_CASE("TLS contexts refuse files they cannot use, named", "[http][tls]") {
  testing::TempDir dir;
  absl::StatusOr<testing::Certificate> a = testing::MakeCertificate(dir, "a");
  absl::StatusOr<testing::Certificate> b = testing::MakeCertificate(dir, "b");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  absl::StatusOr<std::shared_ptr<const TlsContext>> mismatched =
      TlsContext::ForServer(a->cert, b->key);
  CHECK(absl::IsInvalidArgument(mismatched.status()));
  CHECK_THAT(std::string(mismatched.status().message()),
             Catch::Contains("does not match"));
  CHECK(absl::IsInvalidArgument(
      TlsContext::ForServer(a->cert, "").status()));
  CHECK(absl::IsNotFound(
      TlsContext::ForServer(dir.Join("none.pem"), a->key).status()));
  // A key where the certificate belongs.
  CHECK(absl::IsInvalidArgument(TlsContext::ForServer(a->key, a->key).status()));
  CHECK(absl::IsInvalidArgument(
      TlsContext::ForClient("no certificate here").status()));
  CHECK(TlsContext::ForClient("").ok());  // the system's roots
}

// A client context trusting only the self-signed certificate `cert_file`.
std::shared_ptr<const TlsContext> Trusting(const std::string& cert_file) {
  absl::StatusOr<std::string> pem = ReadPemFile("roots", cert_file);
  REQUIRE(pem.ok());
  absl::StatusOr<std::shared_ptr<const TlsContext>> context =
      TlsContext::ForClient(*pem);
  REQUIRE(context.ok());
  return *context;
}

TEST_CASE("a renewed certificate is served without a restart",
          "[http][tls]") {
  testing::TempDir dir;
  absl::StatusOr<testing::Certificate> served =
      testing::MakeCertificate(dir, "served");
  absl::StatusOr<testing::Certificate> renewed =
      testing::MakeCertificate(dir, "renewed");
  REQUIRE(served.ok());
  REQUIRE(renewed.ok());
  const std::shared_ptr<const TlsContext> old_roots = Trusting(served->cert);
  const std::shared_ptr<const TlsContext> new_roots = Trusting(renewed->cert);
  // Kept before the files change: the old pair, to trust afterwards.
  const testing::Certificate old{dir.Join("old-cert.pem"),
                                 dir.Join("old-key.pem")};
  REQUIRE(testing::CopyCertificate(*served, old).ok());

  // Checked on every new connection, so that the test needs no waiting.
  absl::StatusOr<std::shared_ptr<ServerCertificate>> certificate =
      ServerCertificate::Open(served->cert, served->key, absl::ZeroDuration());
  REQUIRE(certificate.ok());
  ServerOptions options;
  options.tls = *certificate;
  options.idle_timeout = absl::Seconds(5);
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(options, Serve);
  REQUIRE(server.ok());
  const Origin origin{absl::StrCat("127.0.0.1:", (*server)->port()), true};
  ClientRequest get;
  get.target = "/bytes?n=5";

  ConnectionPool kept(kWait, 1, old_roots);
  REQUIRE(kept.Send(origin, get).ok());  // a connection that stays open
  ConnectionPool early(kWait, 1, new_roots);
  CHECK(absl::IsFailedPrecondition(early.Send(origin, get).status()));

  // The renewal: key and certificate replaced in place.
  REQUIRE(testing::CopyCertificate(*renewed, *served).ok());
  ConnectionPool late(kWait, 1, new_roots);
  absl::StatusOr<ClientResponse> fresh = late.Send(origin, get);
  INFO(fresh.status().ToString());
  REQUIRE(fresh.ok());
  CHECK(fresh->body == Pattern(5, 1));
  CHECK((*certificate)->reloads() == 1);
  ConnectionPool stale(kWait, 1, Trusting(old.cert));
  CHECK(absl::IsFailedPrecondition(stale.Send(origin, get).status()));
  // The connection made before keeps its session.
  absl::StatusOr<ClientResponse> again = kept.Send(origin, get);
  REQUIRE(again.ok());
  CHECK(again->body == Pattern(5, 1));

  // A certificate file broken mid-renewal is not loaded: the last good pair
  // is served meanwhile.
  {
    std::ofstream broken(served->cert, std::ios::trunc);
    broken << "-----BEGIN CERTIFICATE-----\nnot base64\n";
  }
  ConnectionPool during(kWait, 1, new_roots);
  absl::StatusOr<ClientResponse> still = during.Send(origin, get);
  INFO(still.status().ToString());
  REQUIRE(still.ok());
  CHECK((*certificate)->reloads() == 1);
}

TEST_CASE("urls name their scheme", "[http][tls]") {
  auto https = SplitUrl("https://example.test/a?b=c");
  REQUIRE(https.ok());
  CHECK(https->first.tls);
  CHECK(https->first.host_port == "example.test:443");
  CHECK(https->second == "/a?b=c");
  auto http = SplitUrl("http://127.0.0.1:8080");
  REQUIRE(http.ok());
  CHECK_FALSE(http->first.tls);
  CHECK(http->first.host_port == "127.0.0.1:8080");
  CHECK(http->first.ToString() == "http://127.0.0.1:8080");
  CHECK(http->second == "/");
  CHECK(absl::IsInvalidArgument(SplitUrl("ftp://x/").status()));
  CHECK(absl::IsInvalidArgument(SplitUrl("https:///path").status()));
}

}  // namespace
}  // namespace warehouse::http
