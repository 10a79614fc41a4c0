#include "master/dashboard_sessions.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "common/crypto.h"
#include "common/status_macros.h"

namespace warehouse::master {
namespace {

// Random bytes in a session id and in a CSRF token.
constexpr size_t kTokenBytes = 32;

absl::StatusOr<std::string> RandomToken() {
  ASSIGN_OR_RETURN(const std::string bytes, RandomBytes(kTokenBytes));
  return HexEncode(bytes);
}

}  // namespace

DashboardSessions::DashboardSessions(Options options)
    : options_(std::move(options)) {}

absl::Time DashboardSessions::Now() const {
  return options_.clock ? options_.clock() : absl::Now();
}

bool DashboardSessions::Expired(const DashboardSession& session,
                                absl::Time now) const {
  return now - session.last_used >= options_.idle_timeout ||
         now - session.created >= options_.max_lifetime;
}

absl::StatusOr<DashboardSession> DashboardSessions::Create(
    absl::string_view access_key_id) {
  DashboardSession session;
  ASSIGN_OR_RETURN(session.id, RandomToken());
  ASSIGN_OR_RETURN(session.csrf_token, RandomToken());
  session.access_key_id = std::string(access_key_id);
  session.created = session.last_used = Now();
  absl::MutexLock lock(&mu_);
  MakeRoom(session.created);
  sessions_[session.id] = session;
  return session;
}

absl::StatusOr<DashboardSession> DashboardSessions::Touch(
    absl::string_view id) {
  const absl::Time now = Now();
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    return absl::UnauthenticatedError(
        "no dashboard session: log in with an admin access key");
  }
  if (Expired(it->second, now)) {
    sessions_.erase(it);
    return absl::UnauthenticatedError(
        "the dashboard session expired: log in again");
  }
  it->second.last_used = now;
  return it->second;
}

void DashboardSessions::End(absl::string_view id) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it != sessions_.end()) sessions_.erase(it);
}

int DashboardSessions::EndAllOf(absl::string_view access_key_id) {
  absl::MutexLock lock(&mu_);
  int ended = 0;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second.access_key_id == access_key_id) {
      it = sessions_.erase(it);
      ++ended;
    } else {
      ++it;
    }
  }
  return ended;
}

size_t DashboardSessions::size() const {
  absl::MutexLock lock(&mu_);
  return sessions_.size();
}

void DashboardSessions::MakeRoom(absl::Time now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = Expired(it->second, now) ? sessions_.erase(it) : std::next(it);
  }
  while (!sessions_.empty() && sessions_.size() >= options_.max_sessions) {
    auto oldest = std::min_element(
        sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
          return a.second.last_used < b.second.last_used;
        });
    sessions_.erase(oldest);
  }
}

}  // namespace warehouse::master
