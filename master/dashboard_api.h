// The web dashboard on the master's HTTP port (docs/dashboard.md): its
// pages, embedded in the binary, and the JSON API under /api/ they use.
//
//   GET    /login, /assets/login.js, /assets/style.css   without a session
//   POST   /api/login                  key id + secret -> session cookie
//   POST   /api/logout
//   GET    /api/session                the session's key and CSRF token
//   GET    /api/overview               servers, buckets, objects, capacity
//   GET    /api/servers
//   GET    /api/volumes                with each volume's latest compaction
//   POST   /api/volumes/<id>/compact
//   GET    /api/buckets                POST to create one
//   DELETE /api/buckets/<bucket>
//   GET    /api/buckets/<bucket>/objects   ?prefix, delimiter, page_size,
//                                           continuation_token
//   GET    /api/buckets/<bucket>/object?key=        DELETE to delete it
//   GET    /api/buckets/<bucket>/download-url?key=  a signed GET url
//   POST   /api/buckets/<bucket>/uploads            a signed PUT url
//   GET    /, /assets/app.js                        the dashboard itself
//
// Everything but the login page, its assets and POST /api/login needs a
// session of an admin key: without one the API answers 401 and a page
// redirects to /login. Requests that change something (POST, DELETE)
// must carry the session's CSRF token in X-CSRF-Token and an Origin
// header naming this host. Request bodies are form-encoded; answers are
// JSON, errors as in common/http_status.h.
//
// A thin adapter like MasterService: the work is done by the same domain
// objects, with the same checks (CheckRight, CheckBucketAccess).
#ifndef WAREHOUSE_MASTER_DASHBOARD_API_H_
#define WAREHOUSE_MASTER_DASHBOARD_API_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/http_router.h"
#include "common/http_server.h"
#include "master/access_keys.h"
#include "master/compaction_scheduler.h"
#include "master/dashboard_sessions.h"
#include "master/metadata_store.h"
#include "master/read_only_switch.h"
#include "master/topology.h"
#include "master/url_issuer.h"
#include "master/volume_verifier.h"

namespace warehouse::master {

// The name of the session cookie.
inline constexpr char kSessionCookie[] = "warehouse_session";
// The header that must carry the session's CSRF token.
inline constexpr char kCsrfHeader[] = "X-CSRF-Token";

// The value of cookie `name` in a Cookie header, if present.
std::optional<std::string> CookieValue(absl::string_view cookie_header,
                                       absl::string_view name);

// Checks that a request that changes something comes from the dashboard's
// own page: its Origin header is present and names the host the request
// was sent to (its Host header), over http or https. Errors:
// PermissionDenied, naming the origin.
absl::Status CheckSameOrigin(const http::Request& request);

// Thread-safe. The borrowed objects must outlive it and the server that
// serves its routes.
class DashboardApi {
 public:
  DashboardApi(AccessKeys* keys, MetadataStore* store, Topology* topology,
               UrlIssuer* urls, CompactionScheduler* compactions,
               const VolumeVerifier* verifier, ReadOnlySwitch* read_only,
               DashboardSessions* sessions);
  DashboardApi(const DashboardApi&) = delete;
  DashboardApi& operator=(const DashboardApi&) = delete;

  // Adds every route to `router`.
  void Register(http::Router& router);

 private:
  // The session a request belongs to, with the caller its key makes.
  struct Authorized {
    DashboardSession session;
    Caller caller;
  };
  // What a handler does once the request is authorized; returns the JSON
  // body of a 200 answer, or the error to send.
  using ApiHandler = std::function<absl::StatusOr<std::string>(
      const http::Request& request, const Authorized& auth)>;

  // Finds the request's session, checks its key is still an active admin
  // key, and for a request that changes something, its origin and CSRF
  // token. Errors: Unauthenticated (no session, expired, key revoked);
  // PermissionDenied (not admin any more, foreign origin, missing or wrong
  // CSRF token); Unavailable (the database).
  absl::StatusOr<Authorized> Authorize(const http::Request& request);

  // Routes `method` `path` (a prefix when `prefix`) to `handler` behind
  // Authorize, sending its result as JSON.
  void Api(http::Router& router, const char* method, const char* path,
           bool prefix, ApiHandler handler);

  // Login and pages.
  void Login(http::Request& request, http::ResponseWriter& response);
  void Logout(http::Request& request, http::ResponseWriter& response);
  void Page(http::Request& request, http::ResponseWriter& response,
            absl::string_view asset, bool needs_session);

  // Cluster (dashboard_api.cc).
  absl::StatusOr<std::string> Overview();
  std::string Servers();
  std::string Volumes();
  // POST /api/volumes/<id>/compact and /api/volumes/<id>/read-only.
  absl::StatusOr<std::string> VolumePost(const http::Request& request);
  // POST /api/servers/<id>/draining.
  absl::StatusOr<std::string> ServerPost(const http::Request& request);

  // Buckets and objects (dashboard_api_objects.cc). `rest` is the path
  // after /api/buckets/.
  absl::StatusOr<std::string> ListBuckets();
  absl::StatusOr<std::string> CreateBucket(const http::Request& request,
                                           const Caller& caller);
  absl::StatusOr<std::string> BucketGet(const http::Request& request,
                                        const Caller& caller);
  absl::StatusOr<std::string> BucketPost(const http::Request& request,
                                         const Caller& caller);
  absl::StatusOr<std::string> BucketDelete(const http::Request& request,
                                           const Caller& caller);

  // Immutable after construction.
  AccessKeys* const keys_;
  MetadataStore* const store_;
  Topology* const topology_;
  UrlIssuer* const urls_;
  CompactionScheduler* const compactions_;
  const VolumeVerifier* const verifier_;
  ReadOnlySwitch* const read_only_;
  DashboardSessions* const sessions_;
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_DASHBOARD_API_H_
