#include "common/http_client.h"

#include <algorithm>
#include <limits>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/socket_stream.h"
#include "common/status_macros.h"

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

absl::Status NetError(absl::string_view what, const std::string& origin,
                      const beast::error_code& ec) {
  if (ec == beast::error::timeout) {
    return absl::DeadlineExceededError(
        absl::StrCat(origin, ": ", what, ": timed out"));
  }
  return absl::UnavailableError(
      absl::StrCat(origin, ": ", what, ": ", ec.message()));
}

}  // namespace

std::string Origin::ToString() const {
  return absl::StrCat(tls ? "https://" : "http://", host_port);
}

std::optional<std::string> ClientResponse::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

class Connection::Impl {
 public:
  explicit Impl(std::unique_ptr<SocketStream> s) : stream(std::move(s)) {
    buffer.reserve(kReadBufferBytes);
  }

  const std::unique_ptr<SocketStream> stream;
  beast::flat_buffer buffer;
  // Response bodies are read into it, kChunk at a time. Kept for the
  // connection's life: a new one per response meant fresh pages, faulted
  // in and zeroed, on every request.
  std::string body_chunk;
};

Connection::Connection(std::unique_ptr<Impl> impl, Origin origin)
    : impl_(std::move(impl)),
      origin_(std::move(origin)),
      name_(origin_.ToString()) {}

Connection::~Connection() = default;

absl::StatusOr<std::unique_ptr<Connection>> Connection::Connect(
    const Origin& origin, absl::Duration timeout, const TlsContext* tls) {
  const std::string& host_port = origin.host_port;
  const size_t colon = host_port.rfind(':');
  uint32_t port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(host_port.substr(colon + 1), &port) || port == 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", host_port, "\" is not host:port"));
  }
  std::string host = host_port.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (origin.tls && (tls == nullptr || tls->is_server())) {
    return absl::FailedPreconditionError(absl::StrCat(
        origin.ToString(), ": TLS asked for but no client roots configured"));
  }
  absl::StatusOr<std::unique_ptr<SocketStream>> connected =
      SocketStream::Connect(host, static_cast<uint16_t>(port), timeout);
  if (absl::IsInvalidArgument(connected.status())) {
    // A name that does not resolve now may resolve on a retry.
    return absl::UnavailableError(connected.status().message());
  }
  if (!connected.ok()) return connected.status();
  std::unique_ptr<SocketStream> stream = *std::move(connected);
  stream->set_timeout(timeout);
  if (origin.tls) {
    absl::Status shaken = stream->ConnectTls(*tls, host);
    if (!shaken.ok()) {
      return absl::Status(shaken.code(), absl::StrCat(origin.ToString(), ": ",
                                                      shaken.message()));
    }
  }
  return std::unique_ptr<Connection>(
      new Connection(std::make_unique<Impl>(std::move(stream)), origin));
}

absl::StatusOr<ClientResponse> Connection::Send(ClientRequest& request) {
  reusable_ = false;  // until the exchange completes cleanly
  response_started_ = false;
  SocketStream& socket = *impl_->stream;
  const std::string& where = name_;
  beast::error_code ec;
  bhttp::request<bhttp::buffer_body> req;
  req.method_string(request.method);
  req.target(request.target);
  req.version(11);
  req.set(bhttp::field::host, origin_.host_port);
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
  if (ec) return NetError("send", where, ec);
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
    if (ec) return NetError("send body", where, ec);
    sent += n;
  }
  if (!serializer.is_done()) {
    req.body().data = nullptr;
    req.body().size = 0;
    req.body().more = false;
    bhttp::write(socket, serializer, ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) return NetError("send body", where, ec);
  }

  bhttp::response_parser<bhttp::buffer_body> parser;
  // (Boost 1.74's body_limit(boost::none) refuses every body.)
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  if (request.method == "HEAD") parser.skip(true);
  bhttp::read_header(socket, impl_->buffer, parser, ec);
  response_started_ = !ec || parser.got_some() || impl_->buffer.size() > 0;
  if (ec) return NetError("read response", where, ec);
  ClientResponse response;
  response.status = parser.get().result_int();
  for (const auto& field : parser.get()) {
    response.headers.emplace_back(std::string(field.name_string()),
                                  std::string(field.value()));
  }
  std::string& buf = impl_->body_chunk;
  if (buf.size() != kChunk) buf.resize(kChunk);
  // With a sink, only a success's body goes there: an error's is the
  // server's message, never the object's bytes.
  const bool to_sink =
      request.body_sink && response.status >= 200 && response.status < 300;
  while (!parser.is_done()) {
    parser.get().body().data = buf.data();
    parser.get().body().size = buf.size();
    bhttp::read(socket, impl_->buffer, parser, ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) {
      return absl::DataLossError(absl::StrCat(
          where, ": response body cut short: ", ec.message()));
    }
    const size_t n = buf.size() - parser.get().body().size;
    if (n == 0) continue;
    absl::string_view piece(buf.data(), n);
    if (to_sink) {
      absl::Status sunk = request.body_sink(piece);
      if (!sunk.ok()) return sunk;
    } else if (request.body_sink) {
      // An error's message: its start is enough. The rest is not read (it
      // could take as long as the server likes), so the connection, which
      // still holds it, is not reused (reusable_ is still false).
      response.body.append(piece.data(),
                           std::min(piece.size(), kMaxCollectedErrorBody -
                                                      response.body.size()));
      if (response.body.size() == kMaxCollectedErrorBody && !parser.is_done()) {
        return response;
      }
    } else {
      response.body.append(piece.data(), piece.size());
    }
  }
  // Another request may follow only when the response's own framing ended
  // it (a body without Content-Length or chunking ends with the
  // connection, which the parser knows and the message does not), and
  // nothing past it is buffered: those bytes would be read as the next
  // request's response.
  reusable_ = parser.keep_alive() && impl_->buffer.size() == 0;
  return response;
}

ConnectionPool::ConnectionPool(absl::Duration connect_timeout,
                               size_t max_idle_per_host,
                               std::shared_ptr<const TlsContext> tls)
    : connect_timeout_(connect_timeout),
      max_idle_per_host_(max_idle_per_host),
      tls_(std::move(tls)) {}

absl::StatusOr<std::unique_ptr<Connection>> ConnectionPool::Connect(
    const Origin& origin) const {
  return Connection::Connect(origin, connect_timeout_, tls_.get());
}

std::unique_ptr<Connection> ConnectionPool::Take(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = idle_.find(key);
  if (it == idle_.end() || it->second.empty()) return nullptr;
  std::unique_ptr<Connection> connection = std::move(it->second.back());
  it->second.pop_back();
  return connection;
}

void ConnectionPool::Give(std::unique_ptr<Connection> connection) {
  if (!connection->reusable()) return;
  absl::MutexLock lock(&mu_);
  auto& idle = idle_[connection->name()];
  if (idle.size() < max_idle_per_host_) idle.push_back(std::move(connection));
}

absl::StatusOr<ClientResponse> ConnectionPool::Send(const Origin& origin,
                                                    ClientRequest& request) {
  std::unique_ptr<Connection> connection = Take(origin.ToString());
  const bool reused = connection != nullptr;
  if (!reused) {
    ASSIGN_OR_RETURN(connection, Connect(origin));
  }
  absl::StatusOr<ClientResponse> response = connection->Send(request);
  const bool idempotent = request.method == "GET" || request.method == "HEAD" ||
                          request.method == "DELETE";
  // The server may have closed an idle connection: try once on a new one,
  // but only while nothing of the response has come. After that the server
  // did act, and the Unavailable may be the body sink's own (a failed
  // write), which has taken bytes a second response would give it again.
  if (!response.ok() && reused && !connection->response_started() &&
      absl::IsUnavailable(response.status()) && idempotent &&
      !request.body_source) {
    ASSIGN_OR_RETURN(connection, Connect(origin));
    response = connection->Send(request);
  }
  if (response.ok()) Give(std::move(connection));
  return response;
}

absl::StatusOr<std::pair<Origin, std::string>> SplitUrl(absl::string_view url) {
  Origin origin;
  if (absl::StartsWith(url, "https://")) {
    origin.tls = true;
    url.remove_prefix(8);
  } else if (absl::StartsWith(url, "http://")) {
    url.remove_prefix(7);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", url, "\" is not an http:// or https:// url"));
  }
  const size_t slash = url.find('/');
  origin.host_port = std::string(url.substr(0, slash));
  if (origin.host_port.empty()) {
    return absl::InvalidArgumentError("url has no host");
  }
  if (origin.host_port.find(':') == std::string::npos ||
      origin.host_port.back() == ']') {
    origin.host_port += origin.tls ? ":443" : ":80";
  }
  std::string target(slash == absl::string_view::npos ? "/" : url.substr(slash));
  return std::make_pair(std::move(origin), std::move(target));
}

}  // namespace warehouse::http
