#include "common/http_exchange.h"

#include <sys/uio.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "boost/asio/buffer.hpp"
#include "boost/asio/error.hpp"
#include "boost/beast/core/error.hpp"
#include "boost/beast/http/error.hpp"
#include "boost/beast/http/read.hpp"
#include "boost/beast/http/status.hpp"
#include "common/status_macros.h"

namespace warehouse::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

absl::string_view ToView(beast::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// The status for a failed socket read or write of `what`.
absl::Status IoError(const error_code& ec, const std::string& remote,
                     absl::string_view what, Counter* timeouts) {
  if (ec == beast::error::timeout) {
    if (timeouts != nullptr) timeouts->Increment();
    return absl::DeadlineExceededError(absl::StrCat(
        remote, ": ", what, ": no progress within the idle timeout"));
  }
  if (ec == bhttp::error::partial_message ||
      ec == bhttp::error::end_of_stream || ec == boost::asio::error::eof) {
    return absl::InvalidArgumentError(absl::StrCat(
        remote, ": ", what, ": the client closed the connection early"));
  }
  if (IsHttpError(ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat(remote, ": ", what, ": ", ec.message()));
  }
  return absl::UnavailableError(
      absl::StrCat(remote, ": ", what, ": ", ec.message()));
}

// RFC 9110 token characters, the only ones allowed in a field name.
bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) continue;
    if (absl::string_view("!#$%&'*+-.^_`|~").find(c) ==
        absl::string_view::npos) {
      return false;
    }
  }
  return true;
}

// A field value may not carry control characters other than tab: a CR or
// LF would let a value smuggle in header fields of its own.
bool IsFieldValue(absl::string_view s) {
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if ((b < 0x20 && b != '\t') || b == 0x7F) return false;
  }
  return true;
}

}  // namespace

bool IsHttpError(const error_code& ec) {
  return ec.category() ==
         bhttp::make_error_code(bhttp::error::bad_method).category();
}

std::string ResponseHead(int status, const bhttp::fields& fields,
                         uint64_t content_length, bool keep_alive,
                         bool http10) {
  bhttp::status known = bhttp::int_to_status(static_cast<unsigned>(status));
  absl::string_view reason = known == bhttp::status::unknown
                                 ? absl::string_view("Unknown")
                                 : ToView(bhttp::obsolete_reason(known));
  std::string head = absl::StrCat("HTTP/1.1 ", status, " ", reason, "\r\n");
  for (const auto& field : fields) {
    absl::StrAppend(&head, ToView(field.name_string()), ": ",
                    ToView(field.value()), "\r\n");
  }
  // A 204 never carries the field, and a 304 may not carry a length other
  // than the 200's (RFC 9110, section 8.6): neither has a body.
  if (status != 204 && status != 304) {
    absl::StrAppend(&head, "Content-Length: ", content_length, "\r\n");
  }
  if (!keep_alive) {
    head += "Connection: close\r\n";
  } else if (http10) {
    head += "Connection: keep-alive\r\n";
  }
  head += "\r\n";
  return head;
}

SocketBodyReader::SocketBodyReader(SocketStream& stream,
                                   beast::flat_buffer& buffer,
                                   RequestParser& parser, bool expect_continue,
                                   const std::string& remote, Counter* timeouts)
    : stream_(stream),
      buffer_(buffer),
      parser_(parser),
      chunked_(parser.chunked()),
      remaining_(parser.content_length().value_or(0)),
      continue_pending_(expect_continue && !done()),
      remote_(remote),
      timeouts_(timeouts) {}

std::optional<uint64_t> SocketBodyReader::content_length() const {
  boost::optional<uint64_t> length = parser_.content_length();
  if (!length) return std::nullopt;
  return *length;
}

absl::StatusOr<size_t> SocketBodyReader::Read(char* buf, size_t n) {
  if (!status_.ok()) return status_;
  if (n == 0 || done()) return 0;
  if (continue_pending_) {
    continue_pending_ = false;
    static constexpr absl::string_view kContinue =
        "HTTP/1.1 100 Continue\r\n\r\n";
    error_code ec;
    stream_.WriteAll(kContinue.data(), kContinue.size(), ec);
    if (ec) {
      status_ = IoError(ec, remote_, "sending 100 Continue", timeouts_);
      return status_;
    }
  }
  return chunked_ ? ReadChunked(buf, n) : ReadFixed(buf, n);
}

bool SocketBodyReader::done() const {
  return chunked_ ? parser_.is_done() : remaining_ == 0;
}

void SocketBodyReader::OnResponseStarted() {
  if (!continue_pending_) return;
  continue_pending_ = false;
  status_ = absl::FailedPreconditionError(absl::StrCat(
      remote_, ": request body read after the response started; the "
               "client awaits 100 Continue and will not send it"));
}

bool SocketBodyReader::CanDrain() const {
  if (!status_.ok()) return false;
  if (done()) return true;
  return !continue_pending_ && !chunked_ && remaining_ <= kMaxDrainBytes;
}

absl::Status SocketBodyReader::Drain() {
  char scratch[16 << 10];
  uint64_t drained = 0;
  while (!done()) {
    ASSIGN_OR_RETURN(size_t got, Read(scratch, sizeof(scratch)));
    if (got == 0) break;
    drained += got;
    if (drained > kMaxDrainBytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat(remote_, ": unread request body too large to drain"));
    }
  }
  return absl::OkStatus();
}

// Content-Length framing: the next `remaining_` bytes are the body; bytes
// beyond them (a pipelined request) stay in `buffer_`.
absl::StatusOr<size_t> SocketBodyReader::ReadFixed(char* buf, size_t n) {
  n = static_cast<size_t>(std::min<uint64_t>(n, remaining_));
  size_t got;
  if (buffer_.size() > 0) {
    got = boost::asio::buffer_copy(boost::asio::buffer(buf, n),
                                   buffer_.data());
    buffer_.consume(got);
  } else {
    error_code ec;
    got = stream_.ReadSome(buf, n, ec);
    if (ec) {
      status_ = IoError(ec, remote_,
                        absl::StrCat("reading the request body with ",
                                     remaining_, " bytes to go"),
                        timeouts_);
      return status_;
    }
  }
  remaining_ -= got;
  return got;
}

absl::StatusOr<size_t> SocketBodyReader::ReadChunked(char* buf, size_t n) {
  // Each pass reads from the socket, so the loop ends with bytes, the end
  // of the body, or an error (at worst the idle timeout).
  for (;;) {
    bhttp::buffer_body::value_type& body = parser_.get().body();
    body.data = buf;
    body.size = n;
    error_code ec;
    bhttp::read_some(stream_, buffer_, parser_, ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    const size_t got = n - body.size;
    body.data = nullptr;  // never parse into the caller's buffer again
    body.size = 0;
    if (ec == bhttp::error::buffer_overflow) {
      // A chunk-size line, its extensions or the trailer outgrew the read
      // buffer (common/http_connection.cc bounds it).
      status_ = absl::InvalidArgumentError(
          absl::StrCat(remote_,
                       ": reading the chunked request body: a chunk-size line "
                       "or trailer does not fit in the ",
                       buffer_.max_size(), "-byte read buffer"));
    } else if (ec) {
      status_ =
          IoError(ec, remote_, "reading the chunked request body", timeouts_);
    }
    if (ec) {
      if (got > 0) return got;  // the error comes with the next call
      return status_;
    }
    if (got > 0 || parser_.is_done()) return got;
  }
}

SocketResponseWriter::SocketResponseWriter(
    SocketStream& stream, SocketBodyReader& body, const ConnectionHost& host,
    bool client_keep_alive, bool http10, bool head, const std::string& remote,
    Counter* timeouts)
    : stream_(stream),
      body_(body),
      host_(host),
      client_keep_alive_(client_keep_alive),
      http10_(http10),
      head_(head),
      remote_(remote),
      timeouts_(timeouts) {}

void SocketResponseWriter::SetHeader(absl::string_view name,
                                     absl::string_view value) {
  if (state_ != State::kNone) return;
  if (!IsToken(name) || !IsFieldValue(value)) {
    header_error_ = absl::InvalidArgumentError(absl::StrCat(
        "response header '", absl::CEscape(name), "': bad name or value '",
        absl::CEscape(value), "'"));
    return;
  }
  if (absl::EqualsIgnoreCase(name, "Content-Length") ||
      absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
    header_error_ = absl::InvalidArgumentError(
        absl::StrCat("response header '", name, "' is set by the server"));
    return;
  }
  if (absl::EqualsIgnoreCase(name, "Connection")) {
    for (absl::string_view token : absl::StrSplit(value, ',')) {
      if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(token), "close")) {
        close_requested_ = true;
      }
    }
    return;
  }
  fields_.set(beast::string_view(name.data(), name.size()),
              beast::string_view(value.data(), value.size()));
}

absl::Status SocketResponseWriter::Send(int status, absl::string_view body) {
  RETURN_IF_ERROR(CheckStart(status, body.size()));
  std::string head = Head(status, body.size());
  state_ = State::kDone;
  return Transmit(head, head_ ? absl::string_view() : body);
}

absl::Status SocketResponseWriter::BeginStream(int status,
                                               uint64_t content_length) {
  RETURN_IF_ERROR(CheckStart(status, content_length));
  pending_head_ = Head(status, content_length);
  state_ = State::kStreaming;
  declared_ = content_length;
  if (head_ || content_length == 0) {
    // No body will follow to carry the header.
    std::string head = std::move(pending_head_);
    pending_head_.clear();
    return Transmit(head, absl::string_view());
  }
  return absl::OkStatus();
}

absl::Status SocketResponseWriter::Write(absl::string_view chunk) {
  if (state_ != State::kStreaming) {
    return absl::FailedPreconditionError(
        state_ == State::kNone ? "response Write before BeginStream"
                               : "response Write after Finish");
  }
  if (!error_.ok()) return error_;
  if (chunk.size() > declared_ - written_) {
    error_ = absl::InvalidArgumentError(
        absl::StrCat(remote_, ": response body: ", written_ + chunk.size(),
                     " bytes written, ", declared_, " declared"));
    return error_;
  }
  written_ += chunk.size();
  if (head_ || chunk.empty()) return absl::OkStatus();
  std::string head = std::move(pending_head_);
  pending_head_.clear();
  return Transmit(head, chunk);
}

absl::Status SocketResponseWriter::Finish() {
  if (state_ != State::kStreaming) {
    return absl::FailedPreconditionError(
        state_ == State::kNone ? "response Finish before BeginStream"
                               : "response finished twice");
  }
  state_ = State::kDone;
  if (!error_.ok()) return error_;
  if (!head_ && written_ != declared_) {
    error_ = absl::InvalidArgumentError(
        absl::StrCat(remote_, ": response body: finished after ", written_,
                     " of ", declared_, " bytes"));
    return error_;
  }
  if (!pending_head_.empty()) {
    std::string head = std::move(pending_head_);
    pending_head_.clear();
    return Transmit(head, absl::string_view());
  }
  return absl::OkStatus();
}

void SocketResponseWriter::ClearHeaders() {
  fields_.clear();
  header_error_ = absl::OkStatus();
}

absl::Status SocketResponseWriter::CheckStart(int status,
                                              uint64_t content_length) {
  if (state_ != State::kNone) {
    return absl::FailedPreconditionError(
        absl::StrCat(remote_, ": response already started"));
  }
  if (status < 200 || status > 599) {
    return absl::InvalidArgumentError(
        absl::StrCat("response status ", status, ": not in 200..599"));
  }
  if ((status == 204 || status == 304) && content_length != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("response status ", status, " has no body"));
  }
  return header_error_;
}

std::string SocketResponseWriter::Head(int status, uint64_t content_length) {
  status_ = status;
  keep_alive_ = client_keep_alive_ && !close_requested_ && !host_.stopping() &&
                body_.CanDrain();
  body_.OnResponseStarted();
  return ResponseHead(status, fields_, content_length, keep_alive_, http10_);
}

absl::Status SocketResponseWriter::Transmit(absl::string_view a,
                                            absl::string_view b) {
  struct iovec iov[2] = {{const_cast<char*>(a.data()), a.size()},
                         {const_cast<char*>(b.data()), b.size()}};
  struct iovec* next = iov;
  size_t count = 2;
  while (count > 0) {
    if (next->iov_len == 0) {
      ++next;
      --count;
      continue;
    }
    error_code ec;
    size_t sent = stream_.WriteSome(next, count, ec);
    if (ec) {
      error_ = IoError(ec, remote_, "writing the response", timeouts_);
      return error_;
    }
    while (sent > 0) {
      size_t step = std::min(sent, next->iov_len);
      next->iov_base = static_cast<char*>(next->iov_base) + step;
      next->iov_len -= step;
      sent -= step;
      if (next->iov_len == 0 && count > 1) {
        ++next;
        --count;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace warehouse::http
