// OpenSSL contexts for HTTP over TLS: a server's certificate and key
// (--tls-cert, --tls-key), or the roots a client checks servers against.
// SocketStream (common/socket_stream.h) runs TLS with them. docs/http.md,
// TLS.
#ifndef WAREHOUSE_COMMON_TLS_CONTEXT_H_
#define WAREHOUSE_COMMON_TLS_CONTEXT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace warehouse::http {

// One SSL_CTX, TLS 1.2 or later. Immutable once made and shared by every
// connection that uses it. Thread-safe.
class TlsContext {
 public:
  // A server's context: the PEM certificate chain in `cert_file` (the
  // server's own certificate first) and its private key in `key_file`.
  // Errors: InvalidArgument (only one of the two given, a file that is not
  // PEM, a key that does not match the certificate); NotFound,
  // PermissionDenied, Unavailable (reading a file).
  static absl::StatusOr<std::shared_ptr<const TlsContext>> ForServer(
      const std::string& cert_file, const std::string& key_file);

  // A client's context: it accepts a server only with a certificate signed
  // by one of the PEM certificates in `root_pem`, or by the system's roots
  // when `root_pem` is empty, and naming the host dialled. Errors:
  // InvalidArgument (`root_pem` holds no certificate or a broken one).
  static absl::StatusOr<std::shared_ptr<const TlsContext>> ForClient(
      const std::string& root_pem);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  bool is_server() const { return is_server_; }
  SSL_CTX* native() const { return ctx_; }

 private:
  TlsContext(SSL_CTX* ctx, bool is_server) : ctx_(ctx), is_server_(is_server) {}

  SSL_CTX* const ctx_;
  const bool is_server_;
};

// The last OpenSSL error code on this thread, 0 when none; clears the
// thread's error queue.
unsigned long TakeLastTlsErrorCode();
// The reason for the last OpenSSL error on this thread ("certificate verify
// failed"), and clears the thread's error queue; `fallback` when none.
std::string TakeTlsError(const std::string& fallback);

}  // namespace warehouse::http

#endif  // WAREHOUSE_COMMON_TLS_CONTEXT_H_
