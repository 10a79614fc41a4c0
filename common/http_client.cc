#include "common/http_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <limits>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace warehouse::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

constexpr size_t kChunk = 256 << 10;
// What the connection's read buffer holds. Beast sizes each socket read by
// the buffer's free capacity, at least 512 bytes: an empty buffer read a
// 1 MiB body in 2,048 recv calls.
constexpr size_t kReadBufferBytes = 64 << 10;

absl::Status NetError(absl::string_view what, const std::string& host_port,
                      const beast::error_code& ec) {
  if (ec == asio::error::timed_out || ec == asio::error::would_block ||
      ec == asio::error::try_again) {
    return absl::DeadlineExceededError(
        absl::StrCat(host_port, ": ", what, ": timed out"));
  }
  return absl::UnavailableError(
      absl::StrCat(host_port, ": ", what, ": ", ec.message()));
}

void SetTimeouts(int fd, absl::Duration timeout) {
  timeval tv = absl::ToTimeval(timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

}  // namespace

std::optional<std::string> ClientResponse::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

class Connection::Impl {
 public:
  Impl() { buffer.reserve(kReadBufferBytes); }

  asio::io_context io;
  asio::ip::tcp::socket socket{io};
  beast::flat_buffer buffer;
  // Response bodies are read into it, kChunk at a time. Kept for the
  // connection's life: a new one per response meant fresh pages, faulted
  // in and zeroed, on every request.
  std::string body_chunk;
};

Connection::Connection(std::unique_ptr<Impl> impl, std::string host_port)
    : impl_(std::move(impl)), host_port_(std::move(host_port)) {}

Connection::~Connection() {
  beast::error_code ignored;
  impl_->socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Connect(
    const std::string& host_port, absl::Duration timeout) {
  const size_t colon = host_port.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", host_port, "\" is not host:port"));
  }
  std::string host = host_port.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto impl = std::make_unique<Impl>();
  asio::ip::tcp::resolver resolver(impl->io);
  beast::error_code ec;
  auto endpoints = resolver.resolve(host, host_port.substr(colon + 1), ec);
  if (ec) return NetError("resolve", host_port, ec);
  asio::connect(impl->socket, endpoints, ec);
  if (ec) return NetError("connect", host_port, ec);
  SetTimeouts(impl->socket.native_handle(), timeout);
  return std::unique_ptr<Connection>(new Connection(std::move(impl), host_port));
}

absl::StatusOr<ClientResponse> Connection::Send(ClientRequest& request) {
  reusable_ = false;  // until the exchange completes cleanly
  auto& socket = impl_->socket;
  beast::error_code ec;
  bhttp::request<bhttp::buffer_body> req;
  req.method_string(request.method);
  req.target(request.target);
  req.version(11);
  req.set(bhttp::field::host, host_port_);
  for (const auto& [name, value] : request.headers) req.set(name, value);
  const bool streamed = static_cast<bool>(request.body_source);
  const uint64_t length =
      streamed ? request.body_length.value_or(0) : request.body.size();
  if (length > 0 || request.method == "PUT" || request.method == "POST") {
    req.content_length(length);
  }
  req.body().data = nullptr;
  req.body().more = length > 0;
  bhttp::request_serializer<bhttp::buffer_body> serializer(req);
  bhttp::write_header(socket, serializer, ec);
  if (ec) return NetError("send", host_port_, ec);
  std::string chunk;
  for (uint64_t sent = 0; sent < length;) {
    size_t n;
    if (streamed) {
      chunk.resize(std::min<uint64_t>(kChunk, length - sent));
      absl::StatusOr<size_t> got = request.body_source(chunk.data(), chunk.size());
      if (!got.ok()) return got.status();
      if (*got == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "request body ended after ", sent, " of ", length, " bytes"));
      }
      n = *got;
      req.body().data = chunk.data();
    } else {
      n = static_cast<size_t>(std::min<uint64_t>(kChunk, length - sent));
      req.body().data = request.body.data() + sent;
    }
    req.body().size = n;
    req.body().more = sent + n < length;
    bhttp::write(socket, serializer, ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) return NetError("send body", host_port_, ec);
    sent += n;
  }
  if (!serializer.is_done()) {
    req.body().data = nullptr;
    req.body().size = 0;
    req.body().more = false;
    bhttp::write(socket, serializer, ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) return NetError("send body", host_port_, ec);
  }

  bhttp::response_parser<bhttp::buffer_body> parser;
  // (Boost 1.74's body_limit(boost::none) refuses every body.)
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  if (request.method == "HEAD") parser.skip(true);
  bhttp::read_header(socket, impl_->buffer, parser, ec);
  if (ec) return NetError("read response", host_port_, ec);
  ClientResponse response;
  response.status = parser.get().result_int();
  for (const auto& field : parser.get()) {
    response.headers.emplace_back(std::string(field.name_string()),
                                  std::string(field.value()));
  }
  std::string& buf = impl_->body_chunk;
  if (buf.size() != kChunk) buf.resize(kChunk);
  while (!parser.is_done()) {
    parser.get().body().data = buf.data();
    parser.get().body().size = buf.size();
    bhttp::read(socket, impl_->buffer, parser, ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) {
      return absl::DataLossError(absl::StrCat(
          host_port_, ": response body cut short: ", ec.message()));
    }
    const size_t n = buf.size() - parser.get().body().size;
    if (n == 0) continue;
    absl::string_view piece(buf.data(), n);
    if (request.body_sink) {
      absl::Status sunk = request.body_sink(piece);
      if (!sunk.ok()) return sunk;
    } else {
      response.body.append(piece.data(), piece.size());
    }
  }
  reusable_ = parser.get().keep_alive();
  return response;
}

ConnectionPool::ConnectionPool(absl::Duration connect_timeout,
                               size_t max_idle_per_host)
    : connect_timeout_(connect_timeout), max_idle_per_host_(max_idle_per_host) {}

std::unique_ptr<Connection> ConnectionPool::Take(const std::string& host_port) {
  absl::MutexLock lock(&mu_);
  auto it = idle_.find(host_port);
  if (it == idle_.end() || it->second.empty()) return nullptr;
  std::unique_ptr<Connection> connection = std::move(it->second.back());
  it->second.pop_back();
  return connection;
}

void ConnectionPool::Give(std::unique_ptr<Connection> connection) {
  if (!connection->reusable()) return;
  absl::MutexLock lock(&mu_);
  auto& idle = idle_[connection->host_port()];
  if (idle.size() < max_idle_per_host_) idle.push_back(std::move(connection));
}

absl::StatusOr<ClientResponse> ConnectionPool::Send(
    const std::string& host_port, ClientRequest& request) {
  std::unique_ptr<Connection> connection = Take(host_port);
  const bool reused = connection != nullptr;
  if (!reused) {
    absl::StatusOr<std::unique_ptr<Connection>> fresh =
        Connection::Connect(host_port, connect_timeout_);
    if (!fresh.ok()) return fresh.status();
    connection = *std::move(fresh);
  }
  absl::StatusOr<ClientResponse> response = connection->Send(request);
  const bool idempotent = request.method == "GET" || request.method == "HEAD" ||
                          request.method == "DELETE";
  if (!response.ok() && reused && absl::IsUnavailable(response.status()) &&
      idempotent && !request.body_source) {
    // The server may have closed an idle connection: try once on a new one.
    absl::StatusOr<std::unique_ptr<Connection>> fresh =
        Connection::Connect(host_port, connect_timeout_);
    if (!fresh.ok()) return fresh.status();
    connection = *std::move(fresh);
    response = connection->Send(request);
  }
  if (response.ok()) Give(std::move(connection));
  return response;
}

absl::StatusOr<std::pair<std::string, std::string>> SplitUrl(
    absl::string_view url) {
  constexpr absl::string_view kScheme = "http://";
  if (!absl::StartsWith(url, kScheme)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", url, "\" is not an http:// url"));
  }
  url.remove_prefix(kScheme.size());
  const size_t slash = url.find('/');
  std::string host_port(url.substr(0, slash));
  if (host_port.find(':') == std::string::npos) host_port += ":80";
  std::string target(slash == absl::string_view::npos ? "/" : url.substr(slash));
  if (host_port.empty()) {
    return absl::InvalidArgumentError("url has no host");
  }
  return std::make_pair(std::move(host_port), std::move(target));
}

}  // namespace warehouse::http
