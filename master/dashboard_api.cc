// DashboardApi: sessions, pages, and the cluster's servers and volumes.
#include "master/dashboard_api.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/crypto.h"
#include "common/http_status.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "master/dashboard_api_util.h"
#include "master/dashboard_assets.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {
namespace {

// What the pages may load: their own files, and object previews from the
// volume servers (signed URLs on other origins). No inline script, no
// framing.
constexpr char kContentSecurityPolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' blob: data: http: https:; "
    "media-src 'self' blob: http: https:; "
    "connect-src 'self' http: https:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

// The dashboard's files anyone may fetch: the login page and what it uses.
bool IsPublicAsset(absl::string_view name) {
  return name == "login.html" || name == "login.js" || name == "style.css";
}

std::string SessionCookie(absl::string_view value, absl::Duration max_age) {
  // Secure: browsers send it only over https, or to a loopback address
  // (docs/dashboard.md); HttpOnly: scripts cannot read it; SameSite=Strict:
  // other sites' pages cannot make the browser send it.
  return absl::StrCat(kSessionCookie, "=", value,
                      "; Path=/; Max-Age=", absl::ToInt64Seconds(max_age),
                      "; HttpOnly; Secure; SameSite=Strict");
}

bool ChangesState(absl::string_view method) {
  return method != "GET" && method != "HEAD";
}

int64_t UnixMillis(absl::Time t) {
  return t == absl::InfinitePast() ? 0 : absl::ToUnixMillis(t);
}

}  // namespace

std::optional<std::string> CookieValue(absl::string_view cookie_header,
                                       absl::string_view name) {
  // Several Cookie fields arrive joined with ", " (Request::Header).
  for (absl::string_view pair :
       absl::StrSplit(cookie_header, absl::ByAnyChar(";,"))) {
    pair = absl::StripAsciiWhitespace(pair);
    const size_t eq = pair.find('=');
    if (eq == absl::string_view::npos) continue;
    if (pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
  }
  return std::nullopt;
}

absl::Status CheckSameOrigin(const http::Request& request) {
  const std::optional<std::string> origin = request.Header("Origin");
  const std::optional<std::string> host = request.Header("Host");
  if (!origin.has_value()) {
    return absl::PermissionDeniedError(absl::StrCat(
        request.method, " ", request.path,
        ": no Origin header; the dashboard API takes changes only from "
        "its own page (send Origin: http://<this host>)"));
  }
  if (host.has_value() && !host->empty() &&
      (*origin == absl::StrCat("http://", *host) ||
       *origin == absl::StrCat("https://", *host))) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      request.method, " ", request.path, ": origin ", *origin,
      " is not this dashboard's (", host.value_or("no Host header"), ")"));
}

DashboardApi::DashboardApi(AccessKeys* keys, MetadataStore* store,
                           Topology* topology, UrlIssuer* urls,
                           CompactionScheduler* compactions,
                           const VolumeVerifier* verifier,
                           ReadOnlySwitch* read_only,
                           DashboardSessions* sessions)
    : keys_(keys),
      store_(store),
      topology_(topology),
      urls_(urls),
      compactions_(compactions),
      verifier_(verifier),
      read_only_(read_only),
      sessions_(sessions) {}

void DashboardApi::Register(http::Router& router) {
  router.Handle("GET", "/",
                [this](http::Request& request, http::ResponseWriter& response) {
                  Page(request, response, "index.html", true);
                });
  router.Handle("GET", "/login",
                [this](http::Request& request, http::ResponseWriter& response) {
                  Page(request, response, "login.html", false);
                });
  router.HandlePrefix(
      "GET", "/assets/",
      [this](http::Request& request, http::ResponseWriter& response) {
        const std::string name(absl::StripPrefix(request.path, "/assets/"));
        Page(request, response, name, !IsPublicAsset(name));
      });
  router.Handle("POST", "/api/login",
                [this](http::Request& request, http::ResponseWriter& response) {
                  Login(request, response);
                });
  router.Handle("POST", "/api/logout",
                [this](http::Request& request, http::ResponseWriter& response) {
                  Logout(request, response);
                });
  Api(router, "GET", "/api/session", false,
      [](const http::Request&,
         const Authorized& auth) -> absl::StatusOr<std::string> {
        return JsonObject()
            .Add("access_key_id", auth.session.access_key_id)
            .Add("csrf_token", auth.session.csrf_token)
            .Close();
      });
  Api(router, "GET", "/api/overview", false,
      [this](const http::Request&, const Authorized&) { return Overview(); });
  Api(router, "GET", "/api/servers", false,
      [this](const http::Request&, const Authorized&)
          -> absl::StatusOr<std::string> { return Servers(); });
  Api(router, "GET", "/api/volumes", false,
      [this](const http::Request&, const Authorized&)
          -> absl::StatusOr<std::string> { return Volumes(); });
  Api(router, "POST", "/api/volumes/", true,
      [this](const http::Request& request, const Authorized&) {
        return VolumePost(request);
      });
  Api(router, "POST", "/api/servers/", true,
      [this](const http::Request& request, const Authorized&) {
        return ServerPost(request);
      });
  Api(router, "GET", "/api/buckets", false,
      [this](const http::Request&, const Authorized&) {
        return ListBuckets();
      });
  Api(router, "POST", "/api/buckets", false,
      [this](const http::Request& request, const Authorized& auth) {
        return CreateBucket(request, auth.caller);
      });
  Api(router, "GET", "/api/buckets/", true,
      [this](const http::Request& request, const Authorized& auth) {
        return BucketGet(request, auth.caller);
      });
  Api(router, "POST", "/api/buckets/", true,
      [this](const http::Request& request, const Authorized& auth) {
        return BucketPost(request, auth.caller);
      });
  Api(router, "DELETE", "/api/buckets/", true,
      [this](const http::Request& request, const Authorized& auth) {
        return BucketDelete(request, auth.caller);
      });
}

void DashboardApi::Api(http::Router& router, const char* method,
                       const char* path, bool prefix, ApiHandler handler) {
  http::Handler wrapped = [this, handler = std::move(handler)](
                              http::Request& request,
                              http::ResponseWriter& response) {
    response.SetHeader("Cache-Control", "no-store");
    absl::StatusOr<Authorized> auth = Authorize(request);
    if (!auth.ok()) {
      http::SendError(response, auth.status()).IgnoreError();
      return;
    }
    absl::StatusOr<std::string> body = handler(request, *auth);
    if (!body.ok()) {
      http::SendError(response, body.status()).IgnoreError();
      return;
    }
    SendJson(response, *body);
  };
  if (prefix) {
    router.HandlePrefix(method, path, std::move(wrapped));
  } else {
    router.Handle(method, path, std::move(wrapped));
  }
}

absl::StatusOr<DashboardApi::Authorized> DashboardApi::Authorize(
    const http::Request& request) {
  const std::optional<std::string> id =
      CookieValue(request.Header("Cookie").value_or(""), kSessionCookie);
  if (!id.has_value()) {
    return absl::UnauthenticatedError(
        "no dashboard session: log in with an admin access key");
  }
  Authorized auth;
  ASSIGN_OR_RETURN(auth.session, sessions_->Touch(*id));
  absl::StatusOr<Caller> caller = keys_->Active(auth.session.access_key_id);
  if (absl::IsUnauthenticated(caller.status())) {
    // The key was revoked or removed: so is every session opened with it.
    sessions_->EndAllOf(auth.session.access_key_id);
  }
  if (!caller.ok()) return caller.status();
  auth.caller = *std::move(caller);
  RETURN_IF_ERROR(CheckRight(auth.caller, "the dashboard API", Right::kAdmin));
  if (ChangesState(request.method)) {
    RETURN_IF_ERROR(CheckSameOrigin(request));
    const std::optional<std::string> token = request.Header(kCsrfHeader);
    if (!token.has_value() ||
        !ConstantTimeEquals(*token, auth.session.csrf_token)) {
      return absl::PermissionDeniedError(
          absl::StrCat(request.method, " ", request.path, ": ",
                       token.has_value() ? "wrong" : "no", " ", kCsrfHeader,
                       " header; take the token from GET /api/session"));
    }
  }
  return auth;
}

void DashboardApi::Login(http::Request& request,
                         http::ResponseWriter& response) {
  response.SetHeader("Cache-Control", "no-store");
  absl::Status status = [&]() -> absl::Status {
    RETURN_IF_ERROR(CheckSameOrigin(request));
    ASSIGN_OR_RETURN(const FormFields form, ReadForm(request));
    ASSIGN_OR_RETURN(const std::string id,
                     RequiredField(form, "access_key_id"));
    ASSIGN_OR_RETURN(const std::string secret,
                     RequiredField(form, "secret_access_key"));
    ASSIGN_OR_RETURN(const Caller caller,
                     keys_->AuthenticateSecret(id, secret));
    if (!caller.IsAdmin()) {
      return absl::PermissionDeniedError(
          absl::StrCat("access key ", id, " is ", AccessRoleName(caller.role),
                       ": the dashboard needs an admin key"));
    }
    ASSIGN_OR_RETURN(const DashboardSession session, sessions_->Create(id));
    spdlog::info("dashboard: access key {} logged in from {}", id,
                 request.remote_address);
    response.SetHeader(
        "Set-Cookie",
        SessionCookie(session.id, sessions_->options().max_lifetime));
    SendJson(response, JsonObject()
                           .Add("access_key_id", session.access_key_id)
                           .Add("csrf_token", session.csrf_token)
                           .Close());
    return absl::OkStatus();
  }();
  if (!status.ok()) http::SendError(response, status).IgnoreError();
}

void DashboardApi::Logout(http::Request& request,
                          http::ResponseWriter& response) {
  response.SetHeader("Cache-Control", "no-store");
  absl::StatusOr<Authorized> auth = Authorize(request);
  if (!auth.ok()) {
    http::SendError(response, auth.status()).IgnoreError();
    return;
  }
  sessions_->End(auth->session.id);
  response.SetHeader("Set-Cookie", SessionCookie("", absl::ZeroDuration()));
  SendJson(response, "{}");
}

void DashboardApi::Page(http::Request& request, http::ResponseWriter& response,
                        absl::string_view asset, bool needs_session) {
  const EmbeddedFile* file = FindDashboardAsset(asset);
  if (file == nullptr) {
    http::SendError(response, absl::NotFoundError(absl::StrCat(
                                  "no dashboard file ", request.path)))
        .IgnoreError();
    return;
  }
  if (needs_session) {
    absl::StatusOr<Authorized> auth = Authorize(request);
    if (!auth.ok()) {
      if (absl::EndsWith(asset, ".html")) {
        response.SetHeader("Location", "/login");
        response.SetHeader("Cache-Control", "no-store");
        response.Send(302, "").IgnoreError();
      } else {
        http::SendError(response, auth.status()).IgnoreError();
      }
      return;
    }
  }
  response.SetHeader("Content-Type", file->content_type);
  response.SetHeader("Content-Security-Policy", kContentSecurityPolicy);
  response.SetHeader("X-Content-Type-Options", "nosniff");
  response.SetHeader("X-Frame-Options", "DENY");
  response.SetHeader("Referrer-Policy", "no-referrer");
  response.SetHeader("Cache-Control", "no-cache");
  response.Send(200, file->contents()).IgnoreError();
}

absl::StatusOr<std::string> DashboardApi::Overview() {
  const std::vector<ServerView> servers = topology_->Servers();
  int online = 0;
  uint64_t used = 0, free = 0;
  for (const ServerView& server : servers) {
    if (server.online) {
      ++online;
      free += server.disk_free_bytes;
    }
    for (const VolumeView& volume : server.volumes) used += volume.size_bytes;
  }
  const int offline = static_cast<int>(servers.size()) - online;
  ASSIGN_OR_RETURN(const std::vector<BucketInfo> buckets,
                   store_->ListBuckets());
  int64_t objects = 0, bytes = 0;
  for (const BucketInfo& bucket : buckets) {
    objects += bucket.object_count;
    bytes += bucket.total_bytes;
  }
  const char* status = servers.empty() ? "none"
                       : offline == 0  ? "all-online"
                       : online == 0   ? "all-offline"
                                       : "some-offline";
  return JsonObject()
      .AddRaw("servers", JsonObject()
                             .Add("online", online)
                             .Add("offline", offline)
                             .Add("status", status)
                             .Close())
      .Add("buckets", static_cast<int64_t>(buckets.size()))
      .Add("objects", objects)
      .Add("bytes", bytes)
      .AddRaw(
          "capacity",
          JsonObject().Add("used_bytes", used).Add("free_bytes", free).Close())
      .Close();
}

std::string DashboardApi::Servers() {
  std::vector<std::string> items;
  for (const ServerView& server : topology_->Servers()) {
    uint64_t used = 0, live = 0, garbage = 0;
    for (const VolumeView& volume : server.volumes) {
      used += volume.size_bytes;
      live += volume.live_bytes;
      garbage += volume.garbage_bytes;
    }
    items.push_back(
        JsonObject()
            .Add("server_id", server.server_id)
            .Add("address", server.public_address)
            .Add("tls", server.http_tls)
            .Add("online", server.online)
            .Add("draining", server.draining)
            .Add("last_heartbeat_unix_ms", UnixMillis(server.last_heartbeat))
            .Add("volume_count", static_cast<uint64_t>(server.volumes.size()))
            .Add("max_volumes", server.max_volumes)
            .Add("used_bytes", used)
            .Add("live_bytes", live)
            .Add("garbage_bytes", garbage)
            .Add("disk_free_bytes", server.disk_free_bytes)
            .Close());
  }
  return JsonObject().AddRaw("servers", JsonArray(items)).Close();
}

std::string DashboardApi::Volumes() {
  const std::map<uint32_t, CompactionScheduler::VolumeCompaction> compactions =
      compactions_->Latest();
  const std::map<uint32_t, VerificationRecord> verifications =
      verifier_->Latest();
  std::vector<std::string> items;
  for (const VolumeLocation& location : topology_->Volumes()) {
    const VolumeView& volume = location.volume;
    std::string verification = "null";
    if (auto found = verifications.find(volume.volume_id);
        found != verifications.end()) {
      verification =
          JsonObject()
              .Add("finished_unix_ms", UnixMillis(found->second.finished))
              .Add("needles_checked", found->second.needles_checked)
              .Add("corrupt_count", found->second.corrupt_count)
              .Close();
    }
    std::string compaction = "null";
    auto it = compactions.find(volume.volume_id);
    if (it != compactions.end()) {
      compaction = JsonObject()
                       .Add("state", CompactionStateName(it->second.state))
                       .Add("started_unix_ms", UnixMillis(it->second.started))
                       .Add("finished_unix_ms", UnixMillis(it->second.finished))
                       .Add("bytes_reclaimed", it->second.bytes_reclaimed)
                       .Add("error", it->second.error)
                       .Close();
    }
    items.push_back(JsonObject()
                        .Add("volume_id", volume.volume_id)
                        .Add("server_id", location.server_id)
                        .Add("server_address", location.public_address)
                        .Add("server_online", location.online)
                        .Add("size_bytes", volume.size_bytes)
                        .Add("max_size_bytes", volume.max_size_bytes)
                        .Add("live_bytes", volume.live_bytes)
                        .Add("garbage_bytes", volume.garbage_bytes)
                        .Add("needle_count", volume.needle_count)
                        .Add("read_only", volume.read_only)
                        .Add("compacting", volume.compacting)
                        .Add("moving_to_server_id", volume.moving_to)
                        .AddRaw("compaction", compaction)
                        .AddRaw("verification", verification)
                        .Close());
  }
  return JsonObject().AddRaw("volumes", JsonArray(items)).Close();
}

absl::StatusOr<std::string> DashboardApi::VolumePost(
    const http::Request& request) {
  // /api/volumes/<id>/<action>
  const std::vector<absl::string_view> parts =
      absl::StrSplit(absl::StripPrefix(request.path, "/api/volumes/"), '/');
  uint32_t volume_id = 0;
  if (parts.size() == 2 && absl::SimpleAtoi(parts[0], &volume_id) &&
      volume_id != 0) {
    if (parts[1] == "compact") {
      RETURN_IF_ERROR(compactions_->CompactVolume(volume_id));
      return JsonObject()
          .Add("volume_id", volume_id)
          .Add("state", "running")
          .Close();
    }
    if (parts[1] == "read-only") {
      ASSIGN_OR_RETURN(const FormFields form, ReadForm(request));
      ASSIGN_OR_RETURN(const bool read_only, RequiredBool(form, "read_only"));
      ASSIGN_OR_RETURN(const VolumeLocation location,
                       read_only_->Set(volume_id, read_only));
      return JsonObject()
          .Add("volume_id", volume_id)
          .Add("read_only", location.volume.read_only)
          .Close();
    }
  }
  return absl::NotFoundError(absl::StrCat(
      "no route for POST ", request.path,
      "; POST /api/volumes/<id>/compact or /api/volumes/<id>/read-only"));
}

absl::StatusOr<std::string> DashboardApi::ServerPost(
    const http::Request& request) {
  // /api/servers/<id>/draining
  const std::vector<absl::string_view> parts =
      absl::StrSplit(absl::StripPrefix(request.path, "/api/servers/"), '/');
  if (parts.size() != 2 || parts[0].empty() || parts[1] != "draining") {
    return absl::NotFoundError(
        absl::StrCat("no route for POST ", request.path,
                     "; POST /api/servers/<id>/draining"));
  }
  ASSIGN_OR_RETURN(const FormFields form, ReadForm(request));
  ASSIGN_OR_RETURN(const bool draining, RequiredBool(form, "draining"));
  ASSIGN_OR_RETURN(const ServerView server,
                   topology_->SetDraining(parts[0], draining));
  return JsonObject()
      .Add("server_id", server.server_id)
      .Add("draining", server.draining)
      .Close();
}

}  // namespace warehouse::master
