// A TLS server's certificate and key, followed on disk, so that a renewed
// certificate is served without a restart. docs/http.md, TLS.
#ifndef WAREHOUSE_COMMON_SERVER_CERTIFICATE_H_
#define WAREHOUSE_COMMON_SERVER_CERTIFICATE_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/tls_context.h"

namespace warehouse::http {

// Current() answers the context made from the certificate and key files as
// they were at the last check. A check, due at most every `check_every`,
// looks at both files' identity, size and modification time, and when
// either changed loads them again: a pair that loads and matches replaces
// the context (new connections get it; open ones keep theirs); one that
// does not is logged and the previous context kept, so a certificate half
// written, or a key not yet replaced, never stops the server. Thread-safe.
class ServerCertificate {
 public:
  // Loads the pair now. Errors: those of TlsContext::ForServer.
  static absl::StatusOr<std::shared_ptr<ServerCertificate>> Open(
      const std::string& cert_file, const std::string& key_file,
      absl::Duration check_every);

  ServerCertificate(const ServerCertificate&) = delete;
  ServerCertificate& operator=(const ServerCertificate&) = delete;

  // The context to accept a new connection with; checks the files first
  // when a check is due.
  std::shared_ptr<const TlsContext> Current() ABSL_LOCKS_EXCLUDED(mu_);

  // How many times the files were loaded again and replaced the context.
  int reloads() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // What tells one version of a file from the next.
  struct Stamp {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    int64_t modified_ns = 0;
    bool operator==(const Stamp& other) const;
  };
  // Both files' stamps; stat failures stamp a file as missing (all zero).
  struct Stamps {
    Stamp cert;
    Stamp key;
    bool operator==(const Stamps& other) const {
      return cert == other.cert && key == other.key;
    }
  };
  static Stamps StampFiles(const std::string& cert_file,
                           const std::string& key_file);

  ServerCertificate(std::string cert_file, std::string key_file,
                    absl::Duration check_every,
                    std::shared_ptr<const TlsContext> context, Stamps stamps);

  // Immutable after Open().
  const std::string cert_file_;
  const std::string key_file_;
  const absl::Duration check_every_;

  mutable absl::Mutex mu_;
  std::shared_ptr<const TlsContext> context_ ABSL_GUARDED_BY(mu_);
  // The files' stamps when last loaded or last found unusable.
  Stamps stamps_ ABSL_GUARDED_BY(mu_);
  absl::Time next_check_ ABSL_GUARDED_BY(mu_);
  int reloads_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace warehouse::http

#endif  // WAREHOUSE_COMMON_SERVER_CERTIFICATE_H_
