#include "tools/cli_paths.h"

#include <fstream>

#include "catch2/catch.hpp"
#include "tests/support/temp_dir.h"

namespace warehouse::cli {
namespace {

TEST_CASE("object paths split at the first slash", "[tools]") {
  absl::StatusOr<ObjectPath> path = ParseObjectPath("photos/2024/a.jpg", true);
  REQUIRE(path.ok());
  CHECK(path->bucket == "photos");
  CHECK(path->key == "2024/a.jpg");
  path = ParseObjectPath("photos", false);
  REQUIRE(path.ok());
  CHECK(path->key.empty());
  CHECK(ParseObjectPath("photos", true).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(ParseObjectPath("photos/", true).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(ParseObjectPath("/key", false).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(ParseObjectPath("", false).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a download never leaves the directory it was given", "[tools]") {
  testing::TempDir dir;
  // Whatever the key, only its last segment names the file.
  CHECK(*DownloadPath("../../etc/x", "") == "x");
  CHECK(*DownloadPath("../../etc/x", dir.path()) == dir.Join("x"));
  CHECK(*DownloadPath("a/b/c.txt", dir.path() + "/") == dir.Join("c.txt"));
  CHECK(*DownloadPath("plain", "") == "plain");
  for (const char* key : {"..", "a/..", ".", "a/.", "dir/", "/"}) {
    INFO(key);
    CHECK(DownloadPath(key, dir.path()).status().code() ==
          absl::StatusCode::kInvalidArgument);
    CHECK(DownloadPath(key, "").status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
  // A file name the user gives is taken as it is, whatever the key.
  CHECK(*DownloadPath("dir/", dir.Join("chosen")) == dir.Join("chosen"));
  CHECK(*DownloadPath("../../x", dir.Join("chosen")) == dir.Join("chosen"));
}

TEST_CASE("a folder is named with or without its slash", "[tools]") {
  CHECK(AsFolder("") == "");
  CHECK(AsFolder("2024") == "2024/");
  CHECK(AsFolder("2024/") == "2024/");
  CHECK(AsFolder("a/b") == "a/b/");
}

TEST_CASE("a tree's download stays inside its directory", "[tools]") {
  CHECK(*TreeDownloadPath("a/b/c.txt", "out") == "out/a/b/c.txt");
  CHECK(*TreeDownloadPath("c.txt", "out/") == "out/c.txt");
  CHECK(*TreeDownloadPath("a/c.txt", "") == "a/c.txt");
  CHECK(*TreeDownloadPath("..a/b..", ".") == "./..a/b..");
  for (const char* key : {"", "..", "../x", "a/../../x", ".", "a/./b", "a//b",
                          "a/", "/a"}) {
    INFO(key);
    CHECK(TreeDownloadPath(key, "out").status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("media types are guessed from extensions", "[tools]") {
  CHECK(GuessContentType("cat.JPG") == "image/jpeg");
  CHECK(GuessContentType("dir.d/page.html") == "text/html");
  CHECK(GuessContentType("notes.txt") == "text/plain");
  CHECK(GuessContentType("data.json") == "application/json");
  CHECK(GuessContentType("archive.tar.gz") == "application/gzip");
  CHECK(GuessContentType("Makefile") == "application/octet-stream");
  CHECK(GuessContentType(".bashrc") == "application/octet-stream");
  CHECK(GuessContentType("dir.d/noext") == "application/octet-stream");
  CHECK(GuessContentType("odd.unknownext") == "application/octet-stream");
}

}  // namespace
}  // namespace warehouse::cli
