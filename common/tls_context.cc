#include "common/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/tls_credentials.h"

namespace warehouse::http {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

struct CtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxFree>;

// What a client's session reads from its socket at once.
constexpr size_t kClientReadBufferBytes = 64 << 10;

BioPtr MemoryBio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// A context with what servers and clients share: TLS 1.2 or later, no
// renegotiation, and a peer that closes without close_notify read as end of
// stream (HTTP bodies carry their own length, so a cut is still seen).
absl::StatusOr<CtxPtr> NewContext(const SSL_METHOD* method) {
  CtxPtr ctx(SSL_CTX_new(method));
  if (ctx == nullptr) {
    return absl::InternalError(
        TakeTlsError("TLS: cannot make an OpenSSL context"));
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(),
                      SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  // SocketStream retries a write that would block from wherever its
  // caller's bytes are, and may send part of them.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE |
                                  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                  SSL_MODE_RELEASE_BUFFERS);
  return ctx;
}

}  // namespace

unsigned long TakeLastTlsErrorCode() {
  unsigned long last = 0;
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) last = e;
  return last;
}

std::string TakeTlsError(const std::string& fallback) {
  const unsigned long last = TakeLastTlsErrorCode();
  if (last == 0) return fallback;
  const char* reason = ERR_reason_error_string(last);
  return reason != nullptr ? std::string(reason) : fallback;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

absl::StatusOr<std::shared_ptr<const TlsContext>> TlsContext::ForServer(
    const std::string& cert_file, const std::string& key_file) {
  if (cert_file.empty() || key_file.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs both --tls-cert and --tls-key");
  }
  ASSIGN_OR_RETURN(const std::string cert_pem,
                   ReadPemFile("TLS certificate", cert_file));
  ASSIGN_OR_RETURN(const std::string key_pem, ReadPemFile("TLS key", key_file));
  ASSIGN_OR_RETURN(CtxPtr ctx, NewContext(TLS_server_method()));

  ERR_clear_error();
  BioPtr certs = MemoryBio(cert_pem);
  X509* leaf = PEM_read_bio_X509_AUX(certs.get(), nullptr, nullptr, nullptr);
  if (leaf == nullptr || SSL_CTX_use_certificate(ctx.get(), leaf) != 1) {
    X509_free(leaf);
    return absl::InvalidArgumentError(absl::StrCat(
        "TLS certificate ", cert_file, ": ", TakeTlsError("unreadable")));
  }
  X509_free(leaf);
  // The rest of the file is the chain up to (not always including) a root.
  for (;;) {
    X509* link = PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr);
    if (link == nullptr) break;
    if (SSL_CTX_add0_chain_cert(ctx.get(), link) != 1) {
      X509_free(link);
      return absl::InvalidArgumentError(absl::StrCat(
          "TLS certificate ", cert_file, ": ", TakeTlsError("bad chain")));
    }
  }
  ERR_clear_error();  // the end of the file reads as "no start line"

  BioPtr key_bio = MemoryBio(key_pem);
  EVP_PKEY* key =
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TLS key ", key_file, ": ", TakeTlsError("unreadable")));
  }
  const int used = SSL_CTX_use_PrivateKey(ctx.get(), key);
  EVP_PKEY_free(key);
  if (used != 1 || SSL_CTX_check_private_key(ctx.get()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("TLS key ", key_file, " does not match certificate ",
                     cert_file, ": ", TakeTlsError("mismatch")));
  }
  return std::shared_ptr<const TlsContext>(
      new TlsContext(ctx.release(), /*is_server=*/true));
}

absl::StatusOr<std::shared_ptr<const TlsContext>> TlsContext::ForClient(
    const std::string& root_pem) {
  ASSIGN_OR_RETURN(CtxPtr ctx, NewContext(TLS_client_method()));
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  // A client waits in poll on its own socket, never in an epoll set, so
  // OpenSSL may read ahead of the record it decrypts: a response body
  // arrives in a few large reads instead of two per 16 KiB record.
  SSL_CTX_set_read_ahead(ctx.get(), 1);
  SSL_CTX_set_default_read_buffer_len(ctx.get(), kClientReadBufferBytes);
  ERR_clear_error();
  if (root_pem.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
      return absl::InternalError(absl::StrCat(
          "TLS: cannot load the system's roots: ", TakeTlsError("unknown")));
    }
  } else {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
    BioPtr bio = MemoryBio(root_pem);
    int count = 0;
    for (;;) {
      X509* root = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
      if (root == nullptr) break;
      const int added = X509_STORE_add_cert(store, root);
      X509_free(root);
      if (added != 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "TLS roots: certificate ", count + 1, ": ",
            TakeTlsError("not added")));
      }
      ++count;
    }
    ERR_clear_error();
    if (count == 0) {
      return absl::InvalidArgumentError(
          "TLS roots: no PEM certificate in the text given");
    }
  }
  return std::shared_ptr<const TlsContext>(
      new TlsContext(ctx.release(), /*is_server=*/false));
}

}  // namespace warehouse::http
