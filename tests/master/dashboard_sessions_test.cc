// Dashboard sessions, the session cookie and the origin check.
#include "master/dashboard_sessions.h"

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "catch2/catch.hpp"
#include "common/http_server.h"
#include "master/dashboard_api.h"

namespace warehouse::master {
namespace {

struct FakeClock {
  absl::Time now = absl::FromUnixSeconds(1'700'000'000);
};

DashboardSessions::Options OptionsWith(FakeClock* clock) {
  DashboardSessions::Options options;
  options.idle_timeout = absl::Minutes(30);
  options.max_lifetime = absl::Hours(12);
  options.clock = [clock] { return clock->now; };
  return options;
}

bool IsLowerHex(const std::string& s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

TEST_CASE("a dashboard session gets random ids of 32 bytes each",
          "[master][dashboard]") {
  FakeClock clock;
  DashboardSessions sessions(OptionsWith(&clock));
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    absl::StatusOr<DashboardSession> session = sessions.Create("WHKEY");
    REQUIRE(session.ok());
    CHECK(session->id.size() == 64);
    CHECK(session->csrf_token.size() == 64);
    CHECK(IsLowerHex(session->id));
    CHECK(IsLowerHex(session->csrf_token));
    CHECK(session->id != session->csrf_token);
    CHECK(seen.insert(session->id).second);
    CHECK(seen.insert(session->csrf_token).second);
  }
  CHECK(sessions.size() == 50);
}

TEST_CASE("a dashboard session ends after it is idle too long",
          "[master][dashboard]") {
  FakeClock clock;
  DashboardSessions sessions(OptionsWith(&clock));
  absl::StatusOr<DashboardSession> session = sessions.Create("WHKEY");
  REQUIRE(session.ok());
  clock.now += absl::Minutes(29);
  absl::StatusOr<DashboardSession> touched = sessions.Touch(session->id);
  REQUIRE(touched.ok());
  CHECK(touched->access_key_id == "WHKEY");
  CHECK(touched->csrf_token == session->csrf_token);
  // Idle time counts from the last use, not from the login.
  clock.now += absl::Minutes(29);
  CHECK(sessions.Touch(session->id).ok());
  clock.now += absl::Minutes(30);
  absl::StatusOr<DashboardSession> expired = sessions.Touch(session->id);
  CHECK(absl::IsUnauthenticated(expired.status()));
  CHECK(sessions.size() == 0);
}

TEST_CASE("a dashboard session ends at its maximum lifetime even when used",
          "[master][dashboard]") {
  FakeClock clock;
  DashboardSessions sessions(OptionsWith(&clock));
  absl::StatusOr<DashboardSession> session = sessions.Create("WHKEY");
  REQUIRE(session.ok());
  for (int i = 0; i < 24; ++i) {  // 11 h 36 min
    clock.now += absl::Minutes(29);
    REQUIRE(sessions.Touch(session->id).ok());
  }
  clock.now += absl::Minutes(29);  // 12 h 5 min after login
  CHECK(absl::IsUnauthenticated(sessions.Touch(session->id).status()));
}

TEST_CASE("logging out and revoking a key end dashboard sessions",
          "[master][dashboard]") {
  FakeClock clock;
  DashboardSessions sessions(OptionsWith(&clock));
  absl::StatusOr<DashboardSession> a = sessions.Create("WHA");
  absl::StatusOr<DashboardSession> b1 = sessions.Create("WHB");
  absl::StatusOr<DashboardSession> b2 = sessions.Create("WHB");
  REQUIRE((a.ok() && b1.ok() && b2.ok()));
  sessions.End(a->id);
  CHECK(absl::IsUnauthenticated(sessions.Touch(a->id).status()));
  sessions.End("no-such-session");
  CHECK(sessions.EndAllOf("WHB") == 2);
  CHECK(absl::IsUnauthenticated(sessions.Touch(b1->id).status()));
  CHECK(absl::IsUnauthenticated(sessions.Touch(b2->id).status()));
  CHECK(absl::IsUnauthenticated(sessions.Touch("").status()));
}

TEST_CASE("a full session table drops the least recently used session",
          "[master][dashboard]") {
  FakeClock clock;
  DashboardSessions::Options options = OptionsWith(&clock);
  options.max_sessions = 2;
  DashboardSessions sessions(options);
  absl::StatusOr<DashboardSession> first = sessions.Create("WHA");
  clock.now += absl::Seconds(1);
  absl::StatusOr<DashboardSession> second = sessions.Create("WHA");
  clock.now += absl::Seconds(1);
  REQUIRE(sessions.Touch(first->id).ok());  // second is now the stalest
  absl::StatusOr<DashboardSession> third = sessions.Create("WHA");
  REQUIRE(third.ok());
  CHECK(sessions.size() == 2);
  CHECK(sessions.Touch(first->id).ok());
  CHECK(absl::IsUnauthenticated(sessions.Touch(second->id).status()));
  CHECK(sessions.Touch(third->id).ok());
}

TEST_CASE("the session cookie is found among other cookies",
          "[master][dashboard]") {
  CHECK(CookieValue("warehouse_session=abc", kSessionCookie) == "abc");
  CHECK(CookieValue("a=1; warehouse_session=abc; b=2", kSessionCookie) ==
        "abc");
  CHECK(CookieValue("a=1, warehouse_session=abc", kSessionCookie) == "abc");
  CHECK(CookieValue("xwarehouse_session=abc", kSessionCookie) == std::nullopt);
  CHECK(CookieValue("", kSessionCookie) == std::nullopt);
  CHECK(CookieValue("warehouse_session", kSessionCookie) == std::nullopt);
}

http::Request RequestWith(std::optional<std::string> origin,
                          std::optional<std::string> host) {
  http::Request request;
  request.method = "POST";
  request.path = "/api/buckets";
  if (origin) request.headers.emplace_back("Origin", *origin);
  if (host) request.headers.emplace_back("Host", *host);
  return request;
}

TEST_CASE("changes are taken only from the dashboard's own origin",
          "[master][dashboard]") {
  CHECK(CheckSameOrigin(RequestWith("http://127.0.0.1:9334", "127.0.0.1:9334"))
            .ok());
  CHECK(CheckSameOrigin(
            RequestWith("https://master.example:443", "master.example:443"))
            .ok());
  for (const auto& [origin, host] : std::vector<
           std::pair<std::optional<std::string>, std::optional<std::string>>>{
           {std::nullopt, "127.0.0.1:9334"},
           {"http://evil.example", "127.0.0.1:9334"},
           {"http://127.0.0.1:9999", "127.0.0.1:9334"},
           {"null", "127.0.0.1:9334"},
           {"http://127.0.0.1:9334", std::nullopt},
           {"http://", ""},
       }) {
    INFO(origin.value_or("(no origin)")
         << " -> " << host.value_or("(no host)"));
    CHECK(absl::IsPermissionDenied(CheckSameOrigin(RequestWith(origin, host))));
  }
}

}  // namespace
}  // namespace warehouse::master
