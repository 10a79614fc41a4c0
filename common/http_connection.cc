#include "common/http_connection.h"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/asio/error.hpp"
#include "boost/beast/core/error.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/core/string.hpp"
#include "boost/beast/http/error.hpp"
#include "boost/beast/http/fields.hpp"
#include "boost/beast/http/read.hpp"
#include "common/http_exchange.h"
#include "common/http_status.h"
#include "common/http_target.h"
#include "spdlog/spdlog.h"

namespace warehouse::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

// The connection's read buffer, for headers and chunked bodies.
constexpr size_t kReadBufferBytes = 16 << 10;
// Beast's header_limit bounds only the request header: a chunk-size line
// with its extensions, or the trailer, must be whole in the read buffer
// before the parser takes it, and would grow the buffer without end. So the
// buffer holds at most a header's worth more than one read, and Beast fails
// the read with buffer_overflow beyond that.
size_t MaxReadBufferBytes(size_t header_limit) {
  return header_limit + kReadBufferBytes;
}
// How long a closing connection keeps reading what the client still sends
// after the response, so the close does not become a reset that destroys
// the response in the client's receive buffer.
constexpr absl::Duration kMaxLinger = absl::Seconds(1);

std::string ToString(beast::string_view s) {
  return std::string(s.data(), s.size());
}

// Stops sending and reads (and discards) what the client still sends, until
// it closes or kMaxLinger passes.
void LingeringClose(SocketStream& stream) {
  stream.ShutdownWrite();
  stream.set_deadline(absl::Now() + kMaxLinger);
  char scratch[16 << 10];
  error_code ec;
  while (!ec) stream.ReadSome(scratch, sizeof(scratch), ec);
}

// Answers a request the server could not parse, and closes.
void AnswerAndClose(SocketStream& stream, int status,
                    const absl::Status& error) {
  bhttp::fields fields;
  fields.set(bhttp::field::content_type, "application/json");
  std::string body = ErrorBody(error);
  std::string response =
      ResponseHead(status, fields, body.size(), /*keep_alive=*/false,
                   /*http10=*/false) +
      body;
  error_code ec;
  stream.WriteAll(response.data(), response.size(), ec);
  if (!ec) LingeringClose(stream);
}

// Runs the handler on one parsed request header. Returns whether the
// connection may carry another request.
bool ServeRequest(SocketStream& stream, beast::flat_buffer& buffer,
                  RequestParser& parser, const std::string& remote,
                  const Handler& handler, ConnectionHost& host,
                  const ServerMetrics* metrics, RequestCounters& counters) {
  const absl::Time start = absl::Now();
  Counter* timeouts = metrics != nullptr ? metrics->idle_timeouts : nullptr;
  const auto& message = parser.get();

  Request request;
  request.method = ToString(message.method_string());
  request.raw_target = ToString(message.target());
  request.remote_address = remote;
  for (const auto& field : message) {
    request.headers.emplace_back(ToString(field.name_string()),
                                 ToString(field.value()));
  }

  // Requests the server answers itself, without the handler.
  absl::Status refused;
  int refused_code = 0;
  bool expect_continue = false;
  if (message.count(bhttp::field::transfer_encoding) > 0 && !parser.chunked()) {
    refused = absl::InvalidArgumentError(absl::StrCat(
        remote, ": Transfer-Encoding other than chunked is not supported"));
  }
  beast::string_view expect = message[bhttp::field::expect];
  if (refused.ok() && !expect.empty() && message.version() >= 11) {
    if (beast::iequals(expect, "100-continue")) {
      expect_continue = true;
    } else {
      refused = absl::InvalidArgumentError(
          absl::StrCat(remote, ": unsupported Expect: ", ToString(expect)));
      refused_code = 417;
    }
  }
  if (refused.ok()) {
    refused = ParseTarget(request.raw_target, &request.path, &request.query);
  }

  SocketBodyReader body(stream, buffer, parser, expect_continue, remote,
                        timeouts);
  request.body = &body;
  SocketResponseWriter writer(stream, body, host, parser.keep_alive(),
                message.version() == 10, message.method() == bhttp::verb::head,
                remote, timeouts);
  if (!refused.ok()) {
    writer.ForceClose();
    SendError(writer, refused, refused_code).IgnoreError();
  } else {
    handler(request, writer);
  }
  if (!writer.responded()) {
    spdlog::error("{}: {} {}: the handler returned without a response", remote,
                  request.method, request.raw_target);
    writer.ClearHeaders();
    SendError(writer, absl::InternalError("the handler returned no response"))
        .IgnoreError();
  }
  counters.Count(request.method, writer.status(), absl::Now() - start);

  // A response cut short tells the client so by closing: the body is
  // shorter than its Content-Length.
  if (!writer.complete()) return false;
  if (!writer.keep_alive()) {
    if (!body.done() || buffer.size() > 0) LingeringClose(stream);
    return false;
  }
  return body.done() || body.Drain().ok();
}

}  // namespace

void RequestCounters::Count(absl::string_view method, int code,
                            absl::Duration elapsed) {
  if (metrics_ == nullptr) return;
  metrics_->request_seconds->Observe(absl::ToDoubleSeconds(elapsed));
  // Only known methods become label values, so a client cannot grow the
  // number of series without bound.
  static constexpr absl::string_view kMethods[] = {
      "GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH"};
  absl::string_view label = "OTHER";
  for (absl::string_view known : kMethods) {
    if (method == known) label = known;
  }
  for (const Cached& c : cache_) {
    if (c.code == code && c.method == label) {
      c.counter->Increment();
      return;
    }
  }
  Counter* counter = metrics_->requests->WithLabels(
      {std::string(label), std::to_string(code)});
  cache_.push_back({label, code, counter});
  counter->Increment();
}

WorkerState::WorkerState(const ServerMetrics* metrics) : counters(metrics) {
  // Beast sizes each socket read by the buffer's free capacity.
  buffer.reserve(kReadBufferBytes);
}

ServerMetrics::ServerMetrics(MetricsRegistry& registry)
    : open_connections(registry.AddGauge("warehouse_http_open_connections",
                                         "HTTP connections being served.")),
      rejected_connections(registry.AddCounter(
          "warehouse_http_rejected_connections_total",
          "HTTP connections answered 503 because max_connections were open.")),
      idle_timeouts(registry.AddCounter(
          "warehouse_http_idle_timeouts_total",
          "HTTP requests abandoned because the client made no progress "
          "within the idle timeout.")),
      requests(registry.AddCounterFamily(
          "warehouse_http_requests_total",
          "HTTP requests answered, by method and status code.",
          {"method", "code"})),
      request_seconds(registry.AddHistogram(
          "warehouse_http_request_duration_seconds",
          "Time from an HTTP request's header to the end of its response.",
          LatencyBuckets())) {}

namespace {

AfterServing ServeRequests(uint64_t id, SocketStream& stream,
                           const std::string& remote_address,
                           const ServerOptions& options, const Handler& handler,
                           ConnectionHost& host, const ServerMetrics* metrics,
                           WorkerState& worker) {
  const uint32_t header_limit = static_cast<uint32_t>(std::min<size_t>(
      options.max_header_bytes, std::numeric_limits<uint32_t>::max()));
  // Persists across requests: it may hold the start of the next,
  // pipelined request.
  beast::flat_buffer& buffer = worker.buffer;
  buffer.clear();
  buffer.max_size(MaxReadBufferBytes(header_limit));
  bool answered = false;
  for (;;) {
    if (buffer.size() == 0) {
      // Between requests: serve the next only if it has begun to arrive.
      error_code ec;
      auto space = buffer.prepare(kReadBufferBytes);
      const size_t got =
          stream.ReadNow(static_cast<char*>(space.data()), space.size(), ec);
      if (ec == boost::asio::error::would_block) {
        return answered ? AfterServing::kAwaitRequest
                        : AfterServing::kAwaitMore;
      }
      if (stream.plaintext_peer()) {
        AnswerAndClose(stream, 400,
                       absl::InvalidArgumentError(absl::StrCat(
                           remote_address,
                           ": a plaintext request on a port that speaks "
                           "only TLS; use https://")));
        return AfterServing::kClose;
      }
      if (ec) return AfterServing::kClose;  // closed, or a socket error
      buffer.commit(got);
    }
    RequestParser parser;
    parser.header_limit(header_limit);
    // Handlers decide how much body they take. Not boost::none: Boost 1.74
    // compares the length against the optional itself, and every length
    // exceeds an empty one.
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    error_code ec;
    // The rest of the header must arrive within one idle timeout.
    stream.set_deadline(absl::Now() + options.idle_timeout);
    bhttp::read_header(stream, buffer, parser, ec);
    stream.set_deadline(absl::InfiniteFuture());
    if (ec) {
      if (ec == beast::error::timeout) {
        if (metrics != nullptr) metrics->idle_timeouts->Increment();
        AnswerAndClose(stream, 408,
                       absl::DeadlineExceededError(absl::StrCat(
                           remote_address,
                           ": request header incomplete after the idle "
                           "timeout")));
      } else if (ec == bhttp::error::header_limit) {
        AnswerAndClose(stream, 431,
                       absl::InvalidArgumentError(absl::StrCat(
                           remote_address, ": request header larger than ",
                           options.max_header_bytes, " bytes")));
      } else if (IsHttpError(ec) && ec != bhttp::error::end_of_stream &&
                 ec != bhttp::error::partial_message) {
        AnswerAndClose(stream, 400,
                       absl::InvalidArgumentError(absl::StrCat(
                           remote_address, ": bad request: ", ec.message())));
      }
      return AfterServing::kClose;  // also: closed mid-header, socket error
    }
    // A GET or HEAD without a body is served from memory or one disk read;
    // anything else may wait on its client, a flush or an RPC.
    const bhttp::verb method = parser.get().method();
    const bool may_block =
        !((method == bhttp::verb::get || method == bhttp::verb::head) &&
          parser.is_done());
    if (!host.BeginRequest(id, may_block)) return AfterServing::kClose;
    const bool reuse =
        ServeRequest(stream, buffer, parser, remote_address, handler, host,
                     metrics, worker.counters);
    if (!host.EndRequest(id) || !reuse) return AfterServing::kClose;
    answered = true;
  }
}

}  // namespace

AfterServing ServeConnection(uint64_t id, SocketStream& stream,
                             const std::string& remote_address,
                             const ServerOptions& options,
                             const Handler& handler, ConnectionHost& host,
                             const ServerMetrics* metrics,
                             WorkerState& worker) {
  const AfterServing after = ServeRequests(id, stream, remote_address, options,
                                           handler, host, metrics, worker);
  // A long chunk line or trailer may have grown the buffer up to its
  // limit; the worker keeps only the usual size between connections.
  if (worker.buffer.capacity() > kReadBufferBytes) {
    worker.buffer.clear();
    worker.buffer.shrink_to_fit();
    worker.buffer.reserve(kReadBufferBytes);
  }
  return after;
}

}  // namespace warehouse::http
