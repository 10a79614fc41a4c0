// Sessions of the web dashboard (docs/dashboard.md): who logged in with
// which admin access key, kept in the master's memory only. A session is
// named by a random id (32 bytes from OpenSSL's RAND_bytes, hex) that the
// browser holds in an HttpOnly cookie, and carries a second random value,
// the CSRF token, which the page must send back in a header with every
// request that changes something. A session ends at logout, after
// `idle_timeout` without a request, or `max_lifetime` after login; a
// restart of the master ends them all.
#ifndef WAREHOUSE_MASTER_DASHBOARD_SESSIONS_H_
#define WAREHOUSE_MASTER_DASHBOARD_SESSIONS_H_

#include <cstddef>
#include <functional>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace warehouse::master {

// One logged-in browser.
struct DashboardSession {
  std::string id;          // the cookie's value; 64 lowercase hex digits
  std::string csrf_token;  // 64 lowercase hex digits
  std::string access_key_id;
  absl::Time created;
  absl::Time last_used;
};

// Thread-safe.
class DashboardSessions {
 public:
  struct Options {
    absl::Duration idle_timeout = absl::Minutes(30);
    absl::Duration max_lifetime = absl::Hours(12);
    // Sessions held at once; a login beyond it first drops expired
    // sessions, then the least recently used one.
    size_t max_sessions = 1000;
    // The time source; absl::Now when empty.
    std::function<absl::Time()> clock;
  };

  explicit DashboardSessions(Options options);
  DashboardSessions(const DashboardSessions&) = delete;
  DashboardSessions& operator=(const DashboardSessions&) = delete;

  // Starts a session for `access_key_id` (already authenticated by the
  // caller). Errors: Internal (the random generator failed).
  absl::StatusOr<DashboardSession> Create(absl::string_view access_key_id)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The live session named `id`, marking it used now. Errors:
  // Unauthenticated (no such session, or it expired; an expired one is
  // dropped).
  absl::StatusOr<DashboardSession> Touch(absl::string_view id)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Ends the session named `id`; unknown ids are ignored.
  void End(absl::string_view id) ABSL_LOCKS_EXCLUDED(mu_);

  // Ends every session of `access_key_id` (the key was revoked). Returns
  // how many ended.
  int EndAllOf(absl::string_view access_key_id) ABSL_LOCKS_EXCLUDED(mu_);

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);
  const Options& options() const { return options_; }

 private:
  absl::Time Now() const;
  bool Expired(const DashboardSession& session, absl::Time now) const;
  // Drops expired sessions, then the least recently used ones, until there
  // is room for one more.
  void MakeRoom(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Immutable after construction.
  const Options options_;

  mutable absl::Mutex mu_;
  std::map<std::string, DashboardSession, std::less<>> sessions_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_DASHBOARD_SESSIONS_H_
