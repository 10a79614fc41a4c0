// The dashboard's JSON API on the master's HTTP port: login, sessions,
// CSRF and origin checks, refusals, and the shapes of the answers.
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "common/http_client.h"
#include "tests/master/master_test_util.h"

namespace warehouse::master::testing {
namespace {

// A browser-like client of one master's HTTP port.
class DashboardClient {
 public:
  explicit DashboardClient(int port)
      : host_(absl::StrCat("127.0.0.1:", port)),
        origin_(absl::StrCat("http://", host_)) {}

  // Sends a request with the session cookie (once logged in), the
  // dashboard's Origin and the CSRF token, each unless told otherwise.
  http::ClientResponse Send(const std::string& method,
                            const std::string& target,
                            const std::string& form = "",
                            bool with_token = true,
                            std::optional<std::string> origin = {}) {
    http::ClientRequest request;
    request.method = method;
    request.target = target;
    if (!cookie_.empty()) request.headers.emplace_back("Cookie", cookie_);
    if (method != "GET") {
      request.headers.emplace_back("Origin", origin.value_or(origin_));
      if (with_token && !csrf_.empty()) {
        request.headers.emplace_back("X-CSRF-Token", csrf_);
      }
    }
    if (!form.empty() || method == "POST") {
      request.headers.emplace_back("Content-Type",
                                   "application/x-www-form-urlencoded");
      request.body = form;
    }
    absl::StatusOr<std::unique_ptr<http::Connection>> connection =
        http::Connection::Connect({host_, false}, kWaitLimit);
    REQUIRE(connection.ok());
    absl::StatusOr<http::ClientResponse> response =
        (*connection)->Send(request);
    REQUIRE(response.ok());
    return *std::move(response);
  }

  // Logs in and keeps the cookie and token. Returns the login response.
  http::ClientResponse LogIn(const Credentials& key) {
    http::ClientResponse response =
        Send("POST", "/api/login",
             absl::StrCat("access_key_id=", key.id,
                          "&secret_access_key=", key.secret));
    if (response.status == 200) {
      const std::string set_cookie = response.Header("Set-Cookie").value_or("");
      cookie_ = set_cookie.substr(0, set_cookie.find(';'));
      const size_t at = response.body.find("\"csrf_token\":\"");
      REQUIRE(at != std::string::npos);
      csrf_ = response.body.substr(at + 14, 64);
    }
    return response;
  }

  const std::string& csrf() const { return csrf_; }
  void set_cookie(std::string cookie) { cookie_ = std::move(cookie); }

 private:
  const std::string host_;
  const std::string origin_;
  std::string cookie_;
  std::string csrf_;
};

TEST_CASE("without a session only the login page and health are served",
          "[master][dashboard]") {
  TestMaster m;
  DashboardClient client(m.server().http_port());
  for (const std::string path :
       {"/api/session", "/api/overview", "/api/servers", "/api/volumes",
        "/api/buckets", "/api/buckets/photos/objects", "/assets/app.js"}) {
    INFO(path);
    const http::ClientResponse response = client.Send("GET", path);
    CHECK(response.status == 401);
    CHECK_THAT(response.body, Catch::Contains("\"code\":\"UNAUTHENTICATED\""));
  }
  const http::ClientResponse page = client.Send("GET", "/");
  CHECK(page.status == 302);
  CHECK(page.Header("Location") == "/login");
  const http::ClientResponse post =
      client.Send("POST", "/api/buckets", "name=photos");
  CHECK(post.status == 401);

  const http::ClientResponse login = client.Send("GET", "/login");
  CHECK(login.status == 200);
  CHECK_THAT(login.Header("Content-Type").value_or(""),
             Catch::StartsWith("text/html"));
  CHECK_THAT(login.body, Catch::Contains("/assets/login.js"));
  CHECK_THAT(login.Header("Content-Security-Policy").value_or(""),
             Catch::Contains("script-src 'self'"));
  CHECK(client.Send("GET", "/assets/login.js").status == 200);
  CHECK(client.Send("GET", "/assets/style.css").status == 200);
  CHECK(client.Send("GET", "/healthz").status == 200);
}

TEST_CASE("logging in needs an admin key and its secret",
          "[master][dashboard]") {
  TestMaster m;
  DashboardClient client(m.server().http_port());
  Credentials wrong = m.admin();
  wrong.secret[0] = wrong.secret[0] == 'a' ? 'b' : 'a';
  http::ClientResponse refused = client.LogIn(wrong);
  CHECK(refused.status == 401);
  CHECK_THAT(refused.body, Catch::Contains("unknown key or wrong secret"));
  CHECK(!refused.Header("Set-Cookie").has_value());

  Credentials unknown = m.admin();
  unknown.id = "WH000000000000000000";
  CHECK(client.LogIn(unknown).status == 401);
  CHECK(client.LogIn({"not-a-key", "x"}).status == 401);

  const Credentials read_write = m.CreateKey(Role::kReadWrite);
  http::ClientResponse not_admin = client.LogIn(read_write);
  CHECK(not_admin.status == 403);
  CHECK_THAT(
      not_admin.body,
      Catch::Contains("is read-write: the dashboard needs an admin key"));
  CHECK(!not_admin.Header("Set-Cookie").has_value());

  // A login posted from another site's page (login CSRF) is refused.
  http::ClientResponse foreign =
      client.Send("POST", "/api/login",
                  absl::StrCat("access_key_id=", m.admin().id,
                               "&secret_access_key=", m.admin().secret),
                  true, "http://evil.example");
  CHECK(foreign.status == 403);
  CHECK(!foreign.Header("Set-Cookie").has_value());

  http::ClientResponse ok = client.LogIn(m.admin());
  REQUIRE(ok.status == 200);
  const std::string cookie = ok.Header("Set-Cookie").value_or("");
  CHECK_THAT(cookie, Catch::StartsWith("warehouse_session="));
  CHECK_THAT(cookie, Catch::Contains("; HttpOnly"));
  CHECK_THAT(cookie, Catch::Contains("; Secure"));
  CHECK_THAT(cookie, Catch::Contains("; SameSite=Strict"));
  CHECK_THAT(cookie, Catch::Contains("; Path=/"));
  CHECK(m.server().dashboard_sessions().size() == 1);

  const http::ClientResponse session = client.Send("GET", "/api/session");
  CHECK(session.status == 200);
  CHECK(session.body == absl::StrCat("{\"access_key_id\":\"", m.admin().id,
                                     "\",\"csrf_token\":\"", client.csrf(),
                                     "\"}\n"));
  CHECK(session.Header("Cache-Control") == "no-store");
  CHECK(client.Send("GET", "/").status == 200);
  CHECK(client.Send("GET", "/assets/app.js").status == 200);
}

TEST_CASE("changes need the session's CSRF token and the dashboard's origin",
          "[master][dashboard]") {
  TestMaster m;
  DashboardClient client(m.server().http_port());
  REQUIRE(client.LogIn(m.admin()).status == 200);

  http::ClientResponse no_token =
      client.Send("POST", "/api/buckets", "name=photos", false);
  CHECK(no_token.status == 403);
  CHECK_THAT(no_token.body, Catch::Contains("no X-CSRF-Token header"));

  DashboardClient forged(m.server().http_port());
  http::ClientResponse other = forged.LogIn(m.admin());
  REQUIRE(other.status == 200);
  // The cookie of one session with the token of another.
  REQUIRE(forged.csrf() != client.csrf());
  const std::string cookie =
      other.Header("Set-Cookie")
          ->substr(0, other.Header("Set-Cookie")->find(';'));
  DashboardClient mixed(m.server().http_port());
  REQUIRE(mixed.LogIn(m.admin()).status == 200);
  mixed.set_cookie(cookie);
  http::ClientResponse wrong_token =
      mixed.Send("POST", "/api/buckets", "name=photos");
  CHECK(wrong_token.status == 403);
  CHECK_THAT(wrong_token.body, Catch::Contains("wrong X-CSRF-Token header"));

  http::ClientResponse foreign = client.Send(
      "POST", "/api/buckets", "name=photos", true, "http://evil.example");
  CHECK(foreign.status == 403);
  CHECK_THAT(foreign.body, Catch::Contains("origin http://evil.example"));

  // None of them did anything.
  CHECK(client.Send("GET", "/api/buckets").body == "{\"buckets\":[]}\n");

  http::ClientResponse created =
      client.Send("POST", "/api/buckets", "name=photos");
  CHECK(created.status == 200);
  CHECK_THAT(created.body, Catch::StartsWith("{\"name\":\"photos\","
                                             "\"created_unix_ms\":"));
  CHECK_THAT(created.body,
             Catch::EndsWith(",\"object_count\":0,\"total_bytes\":0}\n"));
  CHECK(client.Send("POST", "/api/buckets", "name=photos").status == 409);
  CHECK(client.Send("POST", "/api/buckets", "name=Bad_Name").status == 400);
  CHECK(client.Send("DELETE", "/api/buckets/photos").status == 200);
  CHECK(client.Send("GET", "/api/buckets/photos").status == 404);
}

TEST_CASE("logging out or revoking the key ends the session",
          "[master][dashboard]") {
  TestMaster m;
  DashboardClient client(m.server().http_port());
  REQUIRE(client.LogIn(m.admin()).status == 200);
  http::ClientResponse out = client.Send("POST", "/api/logout");
  CHECK(out.status == 200);
  CHECK_THAT(out.Header("Set-Cookie").value_or(""),
             Catch::Contains("Max-Age=0"));
  CHECK(client.Send("GET", "/api/overview").status == 401);

  const Credentials second = m.CreateKey(Role::kAdmin);
  DashboardClient other(m.server().http_port());
  REQUIRE(other.LogIn(second).status == 200);
  REQUIRE(other.Send("GET", "/api/overview").status == 200);
  REQUIRE(m.server().access_keys().Revoke(second.id).ok());
  http::ClientResponse revoked = other.Send("GET", "/api/overview");
  CHECK(revoked.status == 401);
  CHECK_THAT(revoked.body, Catch::Contains("revoked"));
  CHECK(other.LogIn(second).status == 401);
}

TEST_CASE("the overview, servers and volumes describe the cluster",
          "[master][dashboard]") {
  TestMaster m;
  ScriptedVolumeServer vs(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  v1::VolumeStatus volume = Volume(1, 4096);
  volume.set_live_bytes(1024);
  volume.set_garbage_bytes(3000);
  volume.set_needle_count(5);
  vs.ConnectAndAwaitOnline(m, {volume});
  DashboardClient client(m.server().http_port());
  REQUIRE(client.LogIn(m.admin()).status == 200);
  REQUIRE(client.Send("POST", "/api/buckets", "name=photos").status == 200);

  const http::ClientResponse overview = client.Send("GET", "/api/overview");
  REQUIRE(overview.status == 200);
  CHECK(overview.Header("Content-Type") == "application/json");
  CHECK_THAT(overview.body,
             Catch::StartsWith("{\"servers\":{\"online\":1,\"offline\":0,"
                               "\"status\":\"all-online\"},\"buckets\":1,"
                               "\"objects\":0,\"bytes\":0,\"capacity\":{"
                               "\"used_bytes\":4096,\"free_bytes\":"));

  const http::ClientResponse servers = client.Send("GET", "/api/servers");
  CHECK_THAT(servers.body,
             Catch::StartsWith("{\"servers\":[{\"server_id\":\"vs1\","
                               "\"address\":\"127.0.0.1:8081\","
                               "\"tls\":false,"
                               "\"online\":true,\"draining\":false,"
                               "\"last_heartbeat_unix_ms\":"));
  CHECK_THAT(servers.body,
             Catch::Contains("\"volume_count\":1,\"max_volumes\":8,"
                             "\"used_bytes\":4096,\"live_bytes\":1024,"
                             "\"garbage_bytes\":3000,"));

  const http::ClientResponse volumes = client.Send("GET", "/api/volumes");
  CHECK_THAT(
      volumes.body,
      Catch::StartsWith("{\"volumes\":[{\"volume_id\":1,\"server_id\":\"vs1\","
                        "\"server_address\":\"127.0.0.1:8081\","
                        "\"server_online\":true,\"size_bytes\":4096,"
                        "\"max_size_bytes\":1073741824,\"live_bytes\":1024,"
                        "\"garbage_bytes\":3000,\"needle_count\":5,"
                        "\"read_only\":false,\"compacting\":false,"
                        "\"moving_to_server_id\":\"\","
                        "\"compaction\":null,\"verification\":null}]}"));

  // Compact: the command reaches the server, and its answer shows.
  const http::ClientResponse started =
      client.Send("POST", "/api/volumes/1/compact");
  CHECK(started.status == 200);
  CHECK(started.body == "{\"volume_id\":1,\"state\":\"running\"}\n");
  CHECK_THAT(client.Send("GET", "/api/volumes").body,
             Catch::Contains("\"compaction\":{\"state\":\"running\","));
  CHECK(client.Send("POST", "/api/volumes/1/compact").status == 409);
  CHECK(client.Send("POST", "/api/volumes/9/compact").status == 404);
  CHECK(client.Send("POST", "/api/volumes/x/compact").status == 404);
  std::optional<v1::MasterCommand> command = vs.NextCommand();
  REQUIRE(command.has_value());
  REQUIRE(command->compact_volume().volume_id() == 1);
  REQUIRE(vs.SendResult(command->command_id(), absl::OkStatus(), 3000));
  REQUIRE(Eventually([&] {
    return absl::StrContains(client.Send("GET", "/api/volumes").body,
                             "\"compaction\":{\"state\":\"succeeded\",");
  }));
  CHECK_THAT(client.Send("GET", "/api/volumes").body,
             Catch::Contains("\"bytes_reclaimed\":3000,\"error\":\"\"}"));

  REQUIRE(vs.Close().ok());
  REQUIRE(Eventually([&] {
    return absl::StrContains(client.Send("GET", "/api/overview").body,
                             "\"status\":\"all-offline\"");
  }));
}

TEST_CASE("the dashboard marks volumes read-only and drains servers",
          "[master][dashboard]") {
  TestMaster m;
  ScriptedVolumeServer vs(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  vs.ConnectAndAwaitOnline(m, {Volume(1, 4096)});
  DashboardClient client(m.server().http_port());
  REQUIRE(client.LogIn(m.admin()).status == 200);

  // The server answers as warehouse-volume does, on a thread of its own
  // while the request waits for it.
  bool answered = false;
  std::thread server([&] {
    std::optional<v1::MasterCommand> command = vs.NextCommand();
    if (!command.has_value() || !command->has_set_read_only() ||
        command->set_read_only().volume_id() != 1) {
      return;
    }
    v1::VolumeStatus marked = Volume(1, 4096);
    marked.set_read_only(command->set_read_only().read_only());
    answered = vs.Heartbeat({marked}) &&
               vs.SendResult(command->command_id(), absl::OkStatus());
  });
  const http::ClientResponse marked =
      client.Send("POST", "/api/volumes/1/read-only", "read_only=true");
  server.join();
  CHECK(answered);
  CHECK(marked.status == 200);
  CHECK(marked.body == "{\"volume_id\":1,\"read_only\":true}\n");
  CHECK_THAT(client.Send("GET", "/api/volumes").body,
             Catch::Contains("\"read_only\":true,"));
  CHECK(client.Send("POST", "/api/volumes/1/read-only", "read_only=maybe")
            .status == 400);
  CHECK(client.Send("POST", "/api/volumes/1/read-only").status == 400);
  CHECK(client.Send("POST", "/api/volumes/9/read-only", "read_only=true")
            .status == 404);
  CHECK(client.Send("POST", "/api/volumes/1/sideways").status == 404);
  // A change without the CSRF token is refused.
  CHECK(client.Send("POST", "/api/volumes/1/read-only", "read_only=false",
                    /*with_token=*/false)
            .status == 403);

  const http::ClientResponse drained =
      client.Send("POST", "/api/servers/vs1/draining", "draining=true");
  CHECK(drained.status == 200);
  CHECK(drained.body == "{\"server_id\":\"vs1\",\"draining\":true}\n");
  CHECK_THAT(client.Send("GET", "/api/servers").body,
             Catch::Contains("\"online\":true,\"draining\":true,"));
  CHECK(client.Send("POST", "/api/servers/vs1/draining", "draining=false")
            .body == "{\"server_id\":\"vs1\",\"draining\":false}\n");
  CHECK(client.Send("POST", "/api/servers/vs9/draining", "draining=true")
            .status == 404);
  CHECK(client.Send("POST", "/api/servers/vs1/draining", "draining=1")
            .status == 400);
  CHECK(client.Send("POST", "/api/servers/vs1", "draining=true").status ==
        404);
}

TEST_CASE("the dashboard lists objects by folder and signs upload urls",
          "[master][dashboard]") {
  TestMaster m;
  ScriptedVolumeServer vs(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  vs.ConnectAndAwaitOnline(m, {Volume(1)});
  DashboardClient client(m.server().http_port());
  REQUIRE(client.LogIn(m.admin()).status == 200);
  REQUIRE(client.Send("POST", "/api/buckets", "name=docs").status == 200);

  const http::ClientResponse upload =
      client.Send("POST", "/api/buckets/docs/uploads",
                  "key=notes%2Fa+b.txt&size=5&content_type=text%2Fplain");
  REQUIRE(upload.status == 200);
  CHECK_THAT(upload.body,
             Catch::Contains("\"put_url\":\"http://127.0.0.1:8081/"));
  CHECK_THAT(upload.body, Catch::Contains("\"content_type\":\"text/plain\""));
  const size_t id_at = upload.body.find("\"upload_id\":\"") + 13;
  const std::string upload_id =
      upload.body.substr(id_at, upload.body.find('"', id_at) - id_at);
  const size_t fid_at = upload.body.find("\"file_id\":\"") + 11;
  const std::string file_id =
      upload.body.substr(fid_at, upload.body.find('"', fid_at) - fid_at);
  // The volume server reports the needle, as after a PUT.
  v1::UploadReport report;
  report.set_upload_id(upload_id);
  report.set_file_id(file_id);
  report.set_size_bytes(5);
  report.set_crc32c(0x1234abcd);
  report.set_content_type("text/plain");
  v1::ReportUploadsResponse reported;
  REQUIRE(m.ReportUploads("vs1", {report}, &reported).ok());

  CHECK(client.Send("POST", "/api/buckets/docs/uploads", "key=x&size=many")
            .status == 400);
  CHECK(client.Send("POST", "/api/buckets/docs/uploads", "size=1").status ==
        400);

  const http::ClientResponse root =
      client.Send("GET", "/api/buckets/docs/objects?delimiter=%2F");
  CHECK(root.body ==
        "{\"objects\":[],\"prefixes\":[\"notes/\"],"
        "\"next_continuation_token\":\"\"}\n");
  const http::ClientResponse folder = client.Send(
      "GET", "/api/buckets/docs/objects?delimiter=%2F&prefix=notes%2F");
  CHECK_THAT(folder.body,
             Catch::StartsWith("{\"objects\":[{\"key\":\"notes/a b.txt\","
                               "\"size\":5,\"etag\":\"1234abcd\","
                               "\"content_type\":\"text/plain\","));
  const http::ClientResponse stat =
      client.Send("GET", "/api/buckets/docs/object?key=notes%2Fa%20b.txt");
  CHECK_THAT(stat.body, Catch::StartsWith("{\"key\":\"notes/a b.txt\""));
  const http::ClientResponse url = client.Send(
      "GET", "/api/buckets/docs/download-url?key=notes%2Fa%20b.txt");
  CHECK_THAT(url.body,
             Catch::StartsWith("{\"get_url\":\"http://127.0.0.1:8081/"));
  CHECK(client.Send("GET", "/api/buckets/docs/object").status == 400);
  CHECK(client.Send("GET", "/api/buckets/docs/nothing").status == 404);
  CHECK(client.Send("DELETE", "/api/buckets/docs").status == 409);
  CHECK(client.Send("DELETE", "/api/buckets/docs/object?key=notes%2Fa%20b.txt")
            .status == 200);
  CHECK(client.Send("GET", "/api/buckets/docs/object?key=notes%2Fa%20b.txt")
            .status == 404);
}

}  // namespace
}  // namespace warehouse::master::testing
