#include "common/server_certificate.h"

#include <sys/stat.h>

#include <utility>

#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace warehouse::http {
namespace {

int64_t ModifiedNanos(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
         st.st_mtim.tv_nsec;
}

}  // namespace

bool ServerCertificate::Stamp::operator==(const Stamp& other) const {
  return device == other.device && inode == other.inode &&
         size == other.size && modified_ns == other.modified_ns;
}

ServerCertificate::Stamps ServerCertificate::StampFiles(
    const std::string& cert_file, const std::string& key_file) {
  auto stamp = [](const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return Stamp();
    return Stamp{st.st_dev, st.st_ino, st.st_size, ModifiedNanos(st)};
  };
  return Stamps{stamp(cert_file), stamp(key_file)};
}

absl::StatusOr<std::shared_ptr<ServerCertificate>> ServerCertificate::Open(
    const std::string& cert_file, const std::string& key_file,
    absl::Duration check_every) {
  // Stamped before reading, so that a change while they are read is seen
  // at the next check.
  const Stamps stamps = StampFiles(cert_file, key_file);
  ASSIGN_OR_RETURN(std::shared_ptr<const TlsContext> context,
                   TlsContext::ForServer(cert_file, key_file));
  return std::shared_ptr<ServerCertificate>(
      new ServerCertificate(cert_file, key_file, check_every,
                            std::move(context), stamps));
}

ServerCertificate::ServerCertificate(std::string cert_file,
                                     std::string key_file,
                                     absl::Duration check_every,
                                     std::shared_ptr<const TlsContext> context,
                                     Stamps stamps)
    : cert_file_(std::move(cert_file)),
      key_file_(std::move(key_file)),
      check_every_(check_every),
      context_(std::move(context)),
      stamps_(stamps),
      next_check_(absl::Now() + check_every) {}

std::shared_ptr<const TlsContext> ServerCertificate::Current() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  if (now < next_check_) return context_;
  next_check_ = now + check_every_;
  const Stamps stamps = StampFiles(cert_file_, key_file_);
  if (stamps == stamps_) return context_;
  stamps_ = stamps;
  // Rare (a renewal), so done here, under the lock: connections accepted
  // meanwhile wait for the new pair rather than get the old one.
  absl::StatusOr<std::shared_ptr<const TlsContext>> loaded =
      TlsContext::ForServer(cert_file_, key_file_);
  if (!loaded.ok()) {
    spdlog::warn("a changed TLS certificate or key was not loaded; the "
                 "pair loaded before is served meanwhile: {}",
                 std::string(loaded.status().message()));
    return context_;
  }
  context_ = *std::move(loaded);
  ++reloads_;
  spdlog::info("TLS certificate {} and key {} loaded again", cert_file_,
               key_file_);
  return context_;
}

int ServerCertificate::reloads() const {
  absl::MutexLock lock(&mu_);
  return reloads_;
}

}  // namespace warehouse::http
