// The warehouse binary against a real cluster (tests/support/cluster.h):
// what a user types, what they see, and the exit codes scripts rely on.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "common/http_client.h"
#include "common/status_macros.h"
#include "tests/support/cluster.h"
#include "tests/support/temp_dir.h"
#include "tests/tools/cli_runner.h"

namespace warehouse {
namespace {

using testing::CliInvocation;
using testing::CliRun;
using testing::Cluster;
using testing::TempDir;

std::string Payload(uint64_t seed, size_t size) {
  std::mt19937_64 rng(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

// Every entry below `dir`, recursively, as paths relative to it.
std::vector<std::string> Tree(const std::string& dir) {
  std::vector<std::string> entries;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(dir)) {
    entries.push_back(
        std::filesystem::relative(entry.path(), dir).string());
  }
  std::sort(entries.begin(), entries.end());
  return entries;
}

class CliTest {
 public:
  explicit CliTest(std::vector<std::string> master_args = {},
                   int volume_servers = 1) {
    testing::ClusterOptions options;
    options.master_bin = WAREHOUSE_MASTER_BIN;
    options.volume_bin = WAREHOUSE_VOLUME_BIN;
    options.master_args = std::move(master_args);
    options.volume_servers = volume_servers;
    auto cluster = Cluster::Start(options);
    INFO(cluster.status().ToString());
    REQUIRE(cluster.ok());
    cluster_ = *std::move(cluster);
  }

  Cluster& cluster() { return *cluster_; }
  const std::string& home() const { return home_.path(); }

  // The environment of a user with the admin key in the environment.
  std::vector<std::pair<std::string, std::string>> Env() const {
    return {{"HOME", home_.path()},
            {"WAREHOUSE_MASTER", cluster_->master_address()},
            {"WAREHOUSE_ACCESS_KEY", cluster_->access_key_id()},
            {"WAREHOUSE_SECRET_KEY", cluster_->secret_access_key()}};
  }

  CliRun Run(std::vector<std::string> args, const std::string& cwd = "",
             const std::string& stdin_data = "") {
    return RunWithEnv(std::move(args), Env(), cwd, stdin_data);
  }

  CliRun RunWithEnv(std::vector<std::string> args,
                    std::vector<std::pair<std::string, std::string>> env,
                    const std::string& cwd = "",
                    const std::string& stdin_data = "",
                    bool stdin_pipe = false) {
    CliInvocation invocation;
    invocation.argv = {WAREHOUSE_CLI_BIN};
    invocation.argv.insert(invocation.argv.end(), args.begin(), args.end());
    invocation.env = std::move(env);
    invocation.cwd = cwd;
    invocation.stdin_data = stdin_data;
    invocation.stdin_pipe = stdin_pipe;
    absl::StatusOr<CliRun> run = testing::RunCli(invocation);
    INFO(run.status().ToString());
    REQUIRE(run.ok());
    return *std::move(run);
  }

  // Runs a command that must succeed.
  CliRun Ok(std::vector<std::string> args, const std::string& cwd = "",
            const std::string& stdin_data = "") {
    CliRun run = Run(args, cwd, stdin_data);
    INFO(absl::StrJoin(args, " ") << "\nstdout: " << run.out
                                  << "\nstderr: " << run.err);
    REQUIRE(run.exit_code == 0);
    return run;
  }

 private:
  std::unique_ptr<Cluster> cluster_;
  TempDir home_;
};

// Runs `args` with `data` piped to standard input and TMPDIR set to
// `tmpdir`.
CliRun RunPiped(CliTest& cli, std::vector<std::string> args,
                const std::string& data, const std::string& tmpdir) {
  auto env = cli.Env();
  env.emplace_back("TMPDIR", tmpdir);
  return cli.RunWithEnv(std::move(args), std::move(env), "", data,
                        /*stdin_pipe=*/true);
}

// A failure: exit status 1, nothing on stdout, one line on stderr.
void CheckFailure(const CliRun& run, absl::string_view fragment) {
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  CHECK(run.exit_code == 1);
  CHECK(run.out.empty());
  CHECK_THAT(run.err, Catch::StartsWith("warehouse: "));
  CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
  CHECK_THAT(run.err, Catch::Contains(std::string(fragment)));
}

TEST_CASE("bucket commands print tables or json and fail in one line",
          "[tools][e2e]") {
  CliTest cli;
  CHECK(cli.Ok({"bucket", "create", "photos"}).out == "created bucket photos\n");
  cli.Ok({"bucket", "create", "logs"});
  CheckFailure(cli.Run({"bucket", "create", "photos"}), "photos");
  CheckFailure(cli.Run({"bucket", "create", "Bad_Name"}), "Bad_Name");

  CliRun list = cli.Ok({"bucket", "list"});
  std::vector<std::string> lines = absl::StrSplit(list.out, '\n');
  REQUIRE(lines.size() == 4);  // header, two buckets, ""
  CHECK_THAT(lines[0], Catch::StartsWith("NAME "));
  CHECK_THAT(lines[0], Catch::Contains("OBJECTS"));
  CHECK_THAT(lines[1], Catch::StartsWith("logs "));
  CHECK_THAT(lines[2], Catch::StartsWith("photos "));
  CHECK(lines[1].find("0 B") == lines[2].find("0 B"));  // aligned

  CliRun json = cli.Ok({"--json", "bucket", "list"});
  CHECK_THAT(json.out, Catch::StartsWith(R"([{"name":"logs","objects":0,"bytes":0,)"));
  CHECK_THAT(json.out, Catch::Contains(R"({"name":"photos","objects":0,)"));
  // --json works after the command as well.
  CHECK(cli.Ok({"bucket", "list", "--json"}).out == json.out);

  CHECK(cli.Ok({"bucket", "delete", "logs"}).out == "deleted bucket logs\n");
  CheckFailure(cli.Run({"bucket", "delete", "logs"}), "logs");
}

TEST_CASE("put and get move files, standard input and standard output",
          "[tools][e2e]") {
  CliTest cli;
  TempDir work;
  cli.Ok({"bucket", "create", "files"});
  const std::string image = Payload(1, 70000);
  WriteFile(work.Join("cat.png"), image);

  CliRun put = cli.Ok({"put", work.Join("cat.png"), "files/pets/"});
  CHECK_THAT(put.out, Catch::StartsWith("uploaded " + work.Join("cat.png") +
                                        " to files/pets/cat.png ("));
  CliRun stat = cli.Ok({"--json", "stat", "files/pets/cat.png"});
  CHECK_THAT(stat.out, Catch::Contains(R"("content_type":"image/png")"));
  CHECK_THAT(stat.out, Catch::Contains(R"("size":70000)"));
  CliRun human = cli.Ok({"stat", "files/pets/cat.png"});
  CHECK_THAT(human.out, Catch::Contains("size:          70000 bytes"));

  const std::string piped = Payload(2, 12345);
  CliRun from_stdin = cli.Ok(
      {"--json", "put", "-", "files/piped.bin", "--size", "12345",
       "--content-type", "application/x-test"},
      "", piped);
  CHECK_THAT(from_stdin.out, Catch::Contains(R"("key":"piped.bin")"));
  CHECK_THAT(from_stdin.out, Catch::Contains(R"("content_type":"application/x-test")"));
  // --size must match what standard input holds, both ways.
  CheckFailure(cli.Run({"put", "-", "files/short", "--size", "20000"}, "", piped),
               "ended after 12345 bytes");
  CheckFailure(cli.Run({"put", "-", "files/long", "--size", "100"}, "", piped),
               "more than the 100 bytes");
  CheckFailure(cli.Run({"stat", "files/long"}), "long");

  // get: into the current directory, into a directory, to a named file,
  // to standard output.
  TempDir out;
  CliRun get = cli.Ok({"get", "files/pets/cat.png"}, out.path());
  CHECK(get.out == "downloaded files/pets/cat.png to cat.png (68.4 KiB)\n");
  CHECK(ReadFile(out.Join("cat.png")) == image);
  std::filesystem::create_directory(out.Join("sub"));
  cli.Ok({"get", "files/piped.bin", out.Join("sub")});
  CHECK(ReadFile(out.Join("sub/piped.bin")) == piped);
  cli.Ok({"get", "files/piped.bin", out.Join("named")});
  CHECK(ReadFile(out.Join("named")) == piped);
  CliRun to_stdout = cli.Ok({"get", "files/piped.bin", "-"});
  CHECK(to_stdout.out == piped);
  CHECK(to_stdout.err.empty());

  CliRun json_get = cli.Ok({"--json", "get", "files/piped.bin", out.Join("j")});
  CHECK(json_get.out == absl::StrCat(R"({"bucket":"files","key":"piped.bin",)",
                                     R"("path":")", out.Join("j"),
                                     R"(","size":12345,"etag":")",
                                     json_get.out.substr(json_get.out.size() - 11, 8),
                                     "\"}\n"));

  // A missing object: exit 1, one line, and no file.
  const auto before = Tree(out.path());
  CheckFailure(cli.Run({"get", "files/nope.txt"}, out.path()), "nope.txt");
  CHECK(Tree(out.path()) == before);

  // A directory that does not exist is named, not the temporary file
  // the download would have used.
  CliRun no_dir = cli.Run({"get", "files/piped.bin", out.Join("none") + "/"});
  CheckFailure(no_dir, out.Join("none/piped.bin"));
  CHECK_THAT(no_dir.err, !Catch::Contains(".part"));
  CHECK(Tree(out.path()) == before);

  CHECK(cli.Ok({"rm", "files/piped.bin"}).out == "deleted files/piped.bin\n");
  CheckFailure(cli.Run({"rm", "files/piped.bin"}), "piped.bin");
  CheckFailure(cli.Run({"put", work.Join("missing"), "files/x"}), "missing");
}

TEST_CASE("put - takes a pipe of any length, or a file redirected to it",
          "[tools][e2e]") {
  CliTest cli;
  cli.Ok({"bucket", "create", "piped"});
  TempDir tmp;

  // A pipe without --size is copied to an unnamed temporary file first:
  // larger than the pipe's buffer and the copy's chunk, it arrives whole
  // and leaves nothing in TMPDIR.
  const std::string big = Payload(3, (3 << 20) + 17);
  CliRun put = RunPiped(cli, {"put", "-", "piped/big.bin"}, big, tmp.path());
  INFO(put.err);
  REQUIRE(put.exit_code == 0);
  CHECK(put.out == "uploaded standard input to piped/big.bin (3.0 MiB, etag " +
                       put.out.substr(put.out.size() - 10));
  CHECK(cli.Ok({"get", "piped/big.bin", "-"}).out == big);
  CHECK(Tree(tmp.path()).empty());

  // An empty pipe stores an empty object.
  REQUIRE(
      RunPiped(cli, {"put", "-", "piped/empty"}, "", tmp.path()).exit_code ==
      0);
  CHECK_THAT(cli.Ok({"--json", "stat", "piped/empty"}).out,
             Catch::Contains(R"("size":0)"));

  // A pipe with --size streams, and is held to it.
  REQUIRE(RunPiped(cli, {"put", "-", "piped/sized", "--size", "5"}, "hello",
                   tmp.path())
              .exit_code == 0);
  CHECK(cli.Ok({"get", "piped/sized", "-"}).out == "hello");
  CheckFailure(RunPiped(cli, {"put", "-", "piped/long", "--size", "4"}, "hello",
                        tmp.path()),
               "more than the 4 bytes");

  // A file redirected to standard input needs no --size.
  const std::string file = Payload(4, 70001);
  CHECK_THAT(cli.Ok({"put", "-", "piped/file.bin"}, "", file).out,
             Catch::StartsWith(
                 "uploaded standard input to piped/file.bin (68.4 KiB, "));
  CHECK(cli.Ok({"get", "piped/file.bin", "-"}).out == file);

  // A temporary directory that cannot hold the copy: a clear error that
  // says how to do without it, and nothing stored.
  CliRun no_tmp =
      RunPiped(cli, {"put", "-", "piped/lost"}, "hello", tmp.Join("none"));
  CheckFailure(no_tmp, tmp.Join("none"));
  CHECK_THAT(no_tmp.err, Catch::Contains("--size"));
  CheckFailure(cli.Run({"stat", "piped/lost"}), "lost");
}

TEST_CASE(
    "put -r uploads a directory's files, get -r downloads a folder and rm -r "
    "empties one",
    "[tools][e2e]") {
  CliTest cli;
  cli.Ok({"bucket", "create", "trees"});
  TempDir work;
  const std::string tree = work.Join("tree");
  std::filesystem::create_directories(tree + "/a/b");
  std::filesystem::create_directories(tree + "/empty");
  WriteFile(tree + "/one.txt", "one");
  WriteFile(tree + "/a/two.json", "{}");
  WriteFile(tree + "/a/b/three.bin", Payload(6, 5000));
  // A link to a file is uploaded under its own name; a link to a
  // directory is not followed.
  std::filesystem::create_symlink("../one.txt", tree + "/a/link.txt");
  std::filesystem::create_symlink("../a", tree + "/empty/loop");

  // Without -r a directory is refused, and says how.
  CheckFailure(cli.Run({"put", tree, "trees/x/"}), "--recursive");
  CliRun put = cli.Ok({"put", "-r", tree, "trees/t"});
  // In the order of their paths, one line each.
  const std::vector<std::string> lines = absl::StrSplit(put.out, '\n');
  REQUIRE(lines.size() == 5);
  CHECK_THAT(lines[0], Catch::StartsWith("uploaded " + tree +
                                         "/a/b/three.bin to "
                                         "trees/t/a/b/three.bin (4.9 KiB, "));
  CHECK_THAT(lines[1], Catch::StartsWith("uploaded " + tree +
                                         "/a/link.txt to trees/t/a/link.txt "));
  CHECK_THAT(lines[2], Catch::StartsWith("uploaded " + tree +
                                         "/a/two.json to trees/t/a/two.json "));
  CHECK_THAT(lines[3], Catch::StartsWith("uploaded " + tree +
                                         "/one.txt to trees/t/one.txt "));
  CHECK(cli.Ok({"ls", "-r", "trees"}).out.find("empty") == std::string::npos);
  CHECK(cli.Ok({"get", "trees/t/a/b/three.bin", "-"}).out == Payload(6, 5000));
  CHECK(cli.Ok({"get", "trees/t/a/link.txt", "-"}).out == "one");
  CHECK_THAT(cli.Ok({"--json", "stat", "trees/t/a/two.json"}).out,
             Catch::Contains(R"("content_type":"application/json")"));
  CHECK(cli.Ok({"put", "-r", tree + "/empty", "trees/e"}).out ==
        "no files under " + tree + "/empty\n");
  CliRun json = cli.Ok({"--json", "put", "-r", tree + "/a/b", "trees/j/"});
  CHECK_THAT(json.out, Catch::StartsWith(
                           R"([{"bucket":"trees","key":"j/three.bin","size":5000,)"));
  CHECK_THAT(json.out, Catch::EndsWith("}]\n"));
  CheckFailure(cli.Run({"put", "-r", tree + "/one.txt", "trees/x/"}),
               "not a directory");
  CheckFailure(cli.Run({"put", "-r", "-", "trees/x/"}), "--recursive");

  // get -r: the folder's objects as files, in subdirectories, into a
  // directory or the current one.
  TempDir down;
  CliRun get = cli.Ok({"get", "-r", "trees/t/a", down.Join("into")});
  CHECK_THAT(get.out, Catch::StartsWith("downloaded trees/t/a/b/three.bin to " +
                                        down.Join("into/b/three.bin") +
                                        " (4.9 KiB)\n"));
  CHECK(Tree(down.Join("into")) ==
        std::vector<std::string>{"b", "b/three.bin", "link.txt", "two.json"});
  CHECK(ReadFile(down.Join("into/b/three.bin")) == Payload(6, 5000));
  CHECK(ReadFile(down.Join("into/link.txt")) == "one");
  cli.Ok({"get", "-r", "trees/t"}, down.Join("into"));
  CHECK(ReadFile(down.Join("into/one.txt")) == "one");
  CHECK(ReadFile(down.Join("into/a/two.json")) == "{}");
  CHECK(cli.Ok({"get", "-r", "trees/none", down.path()}).out ==
        "no object under trees/none/\n");
  CheckFailure(cli.Run({"get", "-r", "trees/t", "-"}), "standard output");
  // A key that would climb out of the directory stops the download before
  // anything is written ("." sorts before letters), and says how to get it.
  cli.Ok({"put", tree + "/one.txt", "trees/t/../../escaped"});
  TempDir guarded;
  const std::string inside = guarded.Join("in");
  std::filesystem::create_directory(inside);
  CliRun escape = cli.Run({"get", "-r", "trees/t", inside});
  CheckFailure(escape, "trees/t/../../escaped");
  CHECK_THAT(escape.err, Catch::Contains("warehouse get BUCKET/KEY FILE"));
  CHECK(Tree(guarded.path()) == std::vector<std::string>{"in"});
  cli.Ok({"rm", "trees/t/../../escaped"});

  // rm -r takes a folder, with or without its '/': "t" is not a prefix of
  // "t-kept" here.
  WriteFile(work.Join("kept"), "kept");
  cli.Ok({"put", work.Join("kept"), "trees/t-kept"});
  cli.Ok({"put", work.Join("kept"), "trees/t"});
  CliRun rm = cli.Ok({"rm", "-r", "trees/t/a"});
  CHECK(rm.out ==
        "deleted trees/t/a/b/three.bin\ndeleted trees/t/a/link.txt\n"
        "deleted trees/t/a/two.json\n");
  CHECK(cli.Ok({"--json", "rm", "-r", "trees/t"}).out ==
        R"({"deleted":[{"bucket":"trees","key":"t/one.txt"}]})"
        "\n");
  CHECK(cli.Ok({"ls", "trees"}).out.find("t/") == std::string::npos);
  CHECK(cli.Ok({"get", "trees/t-kept", "-"}).out == "kept");
  CHECK(cli.Ok({"get", "trees/t", "-"}).out == "kept");
  CHECK(cli.Ok({"rm", "-r", "trees/t"}).out == "no object under trees/t/\n");
  // Without a folder: every object of the bucket, which can then go.
  cli.Ok({"rm", "-r", "trees"});
  CHECK(cli.Ok({"ls", "-r", "trees"}).out.empty());
  cli.Ok({"bucket", "delete", "trees"});
  CheckFailure(cli.Run({"rm", "-r", "trees/x"}), "trees");
}

TEST_CASE("get never writes outside the directory it was given",
          "[tools][e2e]") {
  CliTest cli;
  cli.Ok({"bucket", "create", "evil"});
  TempDir work;
  WriteFile(work.Join("payload"), "owned");
  cli.Ok({"put", work.Join("payload"), "evil/../../etc/x"});
  cli.Ok({"put", work.Join("payload"), "evil/a/.."});

  // The target is a directory two levels down, so "../../etc" would
  // resolve inside `root` if the key were followed.
  TempDir root;
  const std::string target = root.Join("one/two");
  std::filesystem::create_directories(target);
  cli.Ok({"get", "evil/../../etc/x"}, target);
  cli.Ok({"get", "evil/../../etc/x", root.Join("one") + "/"});
  CHECK(Tree(root.path()) ==
        std::vector<std::string>{"one", "one/two", "one/two/x", "one/x"});
  CHECK(ReadFile(target + "/x") == "owned");

  // A key whose last segment is no file name is refused, and writes nothing.
  CheckFailure(cli.Run({"get", "evil/a/.."}, target), "does not end in a file name");
  CHECK(Tree(root.path()).size() == 4);
  // ... unless the user names the file.
  cli.Ok({"get", "evil/a/..", target + "/chosen"});
  CHECK(ReadFile(target + "/chosen") == "owned");
}

TEST_CASE("ls shows folders, and every key with --recursive", "[tools][e2e]") {
  CliTest cli;
  cli.Ok({"bucket", "create", "tree"});
  TempDir work;
  WriteFile(work.Join("f"), "12345");
  for (const char* key : {"a/1", "a/2", "b/c/d", "top"}) {
    cli.Ok({"put", work.Join("f"), std::string("tree/") + key});
  }
  CliRun root = cli.Ok({"ls", "tree"});
  std::vector<std::string> lines = absl::StrSplit(root.out, '\n', absl::SkipEmpty());
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == std::string(27, ' ') + "PRE a/");
  CHECK(lines[1] == std::string(27, ' ') + "PRE b/");
  CHECK_THAT(lines[2], Catch::EndsWith("        5 B top"));

  CliRun inside = cli.Ok({"ls", "tree/a/"});
  lines = absl::StrSplit(inside.out, '\n', absl::SkipEmpty());
  REQUIRE(lines.size() == 2);
  CHECK_THAT(lines[0], Catch::EndsWith(" 1"));
  CHECK_THAT(lines[1], Catch::EndsWith(" 2"));

  CliRun all = cli.Ok({"ls", "--recursive", "tree"});
  lines = absl::StrSplit(all.out, '\n', absl::SkipEmpty());
  REQUIRE(lines.size() == 4);
  CHECK_THAT(lines[2], Catch::EndsWith(" b/c/d"));

  CliRun json = cli.Ok({"--json", "ls", "tree/b/"});
  CHECK(json.out == "[{\"type\":\"prefix\",\"prefix\":\"b/c/\"}]\n");
  CHECK_THAT(cli.Ok({"ls"}).out, Catch::EndsWith("  tree\n"));
  CheckFailure(cli.Run({"ls", "nosuchbucket"}), "nosuchbucket");
}

TEST_CASE("url prints a download url, and an upload url curl can use",
          "[tools][e2e]") {
  CliTest cli;
  TempDir work;
  cli.Ok({"bucket", "create", "links"});
  const std::string data = Payload(3, 3000);
  WriteFile(work.Join("doc.txt"), data);
  cli.Ok({"put", work.Join("doc.txt"), "links/doc.txt"});

  CliRun url = cli.Ok({"url", "links/doc.txt", "--expires", "5m"});
  CHECK_THAT(url.out, Catch::StartsWith("http://"));
  CHECK_THAT(url.err, Catch::StartsWith("valid until "));
  auto split = http::SplitUrl(absl::StripAsciiWhitespace(url.out));
  REQUIRE(split.ok());
  http::ConnectionPool pool;
  http::ClientRequest request;
  request.target = split->second;
  auto response = pool.Send(split->first, request);
  REQUIRE(response.ok());
  CHECK(response->status == 200);
  CHECK(response->body == data);
  // --expires sets the lifetime, up to the master's maximum.
  const int64_t asked = absl::ToUnixSeconds(absl::Now());
  CliRun day = cli.Ok({"--json", "url", "links/doc.txt", "--expires", "24h"});
  const size_t at = day.out.find("\"expires_unix_seconds\":");
  REQUIRE(at != std::string::npos);
  const int64_t expires = std::stoll(day.out.substr(at + 23));
  CHECK(expires >= asked + 24 * 3600);
  CHECK(expires <= absl::ToUnixSeconds(absl::Now()) + 24 * 3600 + 1);
  CheckFailure(cli.Run({"url", "links/doc.txt", "--expires", "1000h"}),
               "up to 168h");

  const std::string upload = Payload(4, 4000);
  WriteFile(work.Join("up.txt"), upload);
  CliRun put_url =
      cli.Ok({"url", "--upload", "links/up.txt", "--size", "4000"});
  const std::string signed_url(absl::StripAsciiWhitespace(put_url.out));
  CHECK_THAT(signed_url, Catch::StartsWith("http://"));
  CHECK_THAT(put_url.err, Catch::Contains("upload exactly 4000 bytes (text/plain)"));
  CHECK_THAT(put_url.err, Catch::Contains("curl -T FILE '" + signed_url + "'"));
  // Follow the printed instructions with curl itself.
  REQUIRE(access("/usr/bin/curl", X_OK) == 0);
  testing::CliInvocation curl;
  curl.argv = {"/usr/bin/curl", "-sS", "--fail", "-T", work.Join("up.txt"),
               signed_url};
  absl::StatusOr<CliRun> curled = testing::RunCli(curl);
  REQUIRE(curled.ok());
  INFO(curled->out << curled->err);
  REQUIRE(curled->exit_code == 0);
  CliRun stat = cli.Ok({"--json", "stat", "links/up.txt"});
  CHECK_THAT(stat.out, Catch::Contains(R"("content_type":"text/plain")"));
  TempDir out;
  cli.Ok({"get", "links/up.txt"}, out.path());
  CHECK(ReadFile(out.Join("up.txt")) == upload);

  CliRun json = cli.Ok({"--json", "url", "links/doc.txt"});
  CHECK_THAT(json.out, Catch::StartsWith(R"({"method":"GET","url":"http://)"));
  CheckFailure(cli.Run({"url", "--upload", "links/x"}), "--size");
}

TEST_CASE("administrators see servers and volumes, compact, and manage keys",
          "[tools][e2e]") {
  CliTest cli;
  CliRun servers = cli.Ok({"servers"});
  CHECK_THAT(servers.out, Catch::StartsWith("SERVER "));
  CHECK_THAT(servers.out, Catch::Contains(cli.cluster().volume_address(0) + "  online"));

  cli.Ok({"bucket", "create", "junk"});
  TempDir work;
  WriteFile(work.Join("f"), Payload(5, 1 << 20));
  cli.Ok({"put", work.Join("f"), "junk/a"});
  cli.Ok({"put", work.Join("f"), "junk/b"});
  CliRun stat = cli.Ok({"--json", "stat", "junk/a"});
  const size_t at = stat.out.find("\"file_id\":\"") + 11;
  const std::string volume = stat.out.substr(at, stat.out.find(',', at) - at);
  cli.Ok({"rm", "junk/a"});

  CliRun volumes = cli.Ok({"volumes"});
  CHECK_THAT(volumes.out, Catch::StartsWith("VOLUME  SERVER"));
  CHECK_THAT(volumes.out, Catch::Contains("GARBAGE%"));
  CliRun volumes_json = cli.Ok({"--json", "volumes"});
  CHECK_THAT(volumes_json.out,
             Catch::Contains("{\"volume_id\":" + volume + ","));

  // Wait (bounded) until the volume server applied the delete and said so.
  bool garbage = false;
  for (int i = 0; i < 100 && !garbage; ++i) {
    CliRun v = cli.Ok({"--json", "volumes"});
    const size_t entry = v.out.find("{\"volume_id\":" + volume + ",");
    const size_t g = v.out.find("\"garbage_bytes\":", entry) + 16;
    garbage = v.out.substr(g, 1) != "0";
    if (!garbage) absl::SleepFor(absl::Milliseconds(100));
  }
  REQUIRE(garbage);
  CliRun compact =
      cli.Ok({"compact", volume, "--wait", "60s", "--bandwidth", "64M"});
  CHECK_THAT(compact.out, Catch::StartsWith("compacting volume " + volume));
  CHECK_THAT(compact.out,
             Catch::EndsWith("\nvolume " + volume + ": reclaimed 1.0 MiB\n"));

  // Again at once, before any heartbeat: what the volume server reported,
  // nothing left to reclaim.
  CliRun again = cli.Ok({"--json", "compact", volume, "--wait", "60s"});
  CHECK_THAT(again.out, Catch::StartsWith("[{\"volume_id\":" + volume + ","));
  CHECK_THAT(again.out,
             Catch::EndsWith("\"done\":true,\"reclaimed_bytes\":0}]\n"));

  // A compaction that fails (its output file's name taken by a directory
  // it cannot remove) fails the command, with the volume server's reason.
  // Unsure what the directory holds, the server takes no more writes in
  // that volume until it is restarted.
  const std::string in_the_way =
      cli.cluster().volume_dir(0) + "/" + volume + ".cpd";
  std::filesystem::create_directory(in_the_way);
  WriteFile(in_the_way + "/keep", "x");
  CliRun failed = cli.Run({"compact", volume, "--wait", "60s"});
  INFO(failed.out << failed.err);
  CHECK(failed.exit_code == 1);
  CHECK_THAT(failed.out, Catch::Contains("\nvolume " + volume + ": failed: "));
  CHECK_THAT(failed.err, Catch::StartsWith("warehouse: volume " + volume +
                                           ": compaction failed: "));
  CHECK_THAT(failed.err, Catch::Contains(".cpd"));
  // volumes --json keeps the outcome for scripts.
  CliRun after_failure = cli.Ok({"--json", "volumes"});
  CHECK_THAT(after_failure.out,
             Catch::Contains(R"("last_compaction":{"state":"failed",)"));
  CHECK_THAT(after_failure.out, Catch::Contains(".cpd"));
  std::filesystem::remove_all(in_the_way);
  REQUIRE(cli.cluster().RestartVolumeServer(0).ok());
  CHECK_THAT(cli.Ok({"compact", volume, "--wait", "60s"}).out,
             Catch::EndsWith("\nvolume " + volume + ": reclaimed 0 B\n"));
  CHECK_THAT(cli.Ok({"--json", "volumes"}).out,
             Catch::Contains(R"("last_compaction":{"state":"succeeded",)"));
  // The master keeps it in its database.
  REQUIRE(cli.cluster().RestartMaster().ok());
  CHECK_THAT(cli.Ok({"--json", "volumes"}).out,
             Catch::Contains(R"("last_compaction":{"state":"succeeded",)"));
  CheckFailure(cli.Run({"compact", "424242"}), "424242");
  CheckFailure(cli.Run({"compact"}), "--all");
  CheckFailure(cli.Run({"compact", volume, "--bandwidth", "fast"}),
               "--bandwidth fast");

  CliRun key = cli.Ok({"key", "create", "--role", "read-write", "--bucket",
                       "junk", "--description", "ci"});
  CHECK_THAT(key.out, Catch::StartsWith("access_key_id = WH"));
  CHECK_THAT(key.out, Catch::Contains("\nsecret_access_key = "));
  CHECK_THAT(key.err, Catch::Contains("shown only now"));
  const std::string id = key.out.substr(16, 20);
  CliRun keys = cli.Ok({"key", "list"});
  CHECK_THAT(keys.out, Catch::Contains(id + "  read-write  junk"));
  CHECK(cli.Ok({"key", "revoke", id}).out == "revoked " + id + "\n");
  CheckFailure(cli.Run({"key", "revoke", cli.cluster().access_key_id()}),
               cli.cluster().access_key_id());
  CheckFailure(cli.Run({"key", "create", "--role", "superuser"}), "superuser");
}

// The volume that holds `bucket_key`, from `stat --json`.
std::string VolumeOf(CliTest& cli, const std::string& bucket_key) {
  CliRun stat = cli.Ok({"--json", "stat", bucket_key});
  const size_t at = stat.out.find("\"file_id\":\"") + 11;
  return stat.out.substr(at, stat.out.find(',', at) - at);
}

// The id of the cluster's volume server `i`, from its data directory.
std::string ServerIdOf(CliTest& cli, size_t i = 0) {
  return std::string(absl::StripAsciiWhitespace(
      ReadFile(cli.cluster().volume_dir(i) + "/server.id")));
}

// Whether `volumes --json` shows `volume` read-only (`true`) or not.
bool ListedReadOnly(CliTest& cli, const std::string& volume) {
  CliRun v = cli.Ok({"--json", "volumes"});
  const size_t entry = v.out.find("{\"volume_id\":" + volume + ",");
  REQUIRE(entry != std::string::npos);
  const size_t flag = v.out.find("\"read_only\":", entry) + 12;
  return v.out.substr(flag, 4) == "true";
}

// Whether the volume server at `address` says in /usage that `volume` is
// read-only; waits (bounded) for a server just started.
bool ServedReadOnly(const std::string& address, const std::string& volume) {
  http::ConnectionPool pool;
  http::ClientRequest request;
  request.target = "/usage";
  absl::StatusOr<http::ClientResponse> response;
  for (int i = 0; i < 100; ++i) {
    response = pool.Send({address, false}, request);
    if (response.ok() && response->status == 200) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  REQUIRE(response.ok());
  const size_t entry = response->body.find("{\"volume_id\":" + volume + ",");
  REQUIRE(entry != std::string::npos);
  const size_t flag = response->body.find("\"read_only\":", entry) + 12;
  return response->body.substr(flag, 4) == "true";
}

TEST_CASE("mark turns a volume read-only across restarts, and writable again",
          "[tools][e2e]") {
  CliTest cli;
  cli.Ok({"bucket", "create", "frozen"});
  TempDir work;
  WriteFile(work.Join("f"), Payload(6, 4096));
  cli.Ok({"put", work.Join("f"), "frozen/a"});
  const std::string volume = VolumeOf(cli, "frozen/a");
  const std::string server = ServerIdOf(cli);
  const std::string marker =
      cli.cluster().volume_dir(0) + "/" + volume + ".readonly";

  CHECK(cli.Ok({"mark", volume, "read-only"}).out ==
        "volume " + volume + " on " + server + ": read-only\n");
  CHECK(std::filesystem::exists(marker));
  // At once, without waiting for a heartbeat: listed read-only, and new
  // uploads go to another volume while the old objects still read.
  CHECK(ListedReadOnly(cli, volume));
  cli.Ok({"put", work.Join("f"), "frozen/b"});
  CHECK(VolumeOf(cli, "frozen/b") != volume);
  CHECK(cli.Ok({"get", "frozen/a", "-"}).out == Payload(6, 4096));

  // The volume server keeps the mark across a restart.
  REQUIRE(cli.cluster().RestartVolumeServer(0).ok());
  CHECK(ServedReadOnly(cli.cluster().volume_address(0), volume));

  CliRun writable = cli.Ok({"--json", "mark", volume, "writable"});
  CHECK_THAT(writable.out,
             Catch::StartsWith("{\"volume_id\":" + volume + ",\"server_id\":\"" +
                               server + "\""));
  CHECK_THAT(writable.out, Catch::Contains("\"read_only\":false"));
  CHECK_FALSE(std::filesystem::exists(marker));
  CHECK_FALSE(ListedReadOnly(cli, volume));

  CheckFailure(cli.Run({"mark", "424242", "read-only"}), "424242");
  CliRun sideways = cli.Run({"mark", volume, "sideways"});
  CHECK(sideways.exit_code == 2);
  CHECK_THAT(sideways.err, Catch::Contains("sideways"));
  cli.cluster().KillVolumeServer(0);
  bool offline = false;
  for (int i = 0; i < 100 && !offline; ++i) {
    offline = absl::StrContains(cli.Ok({"servers"}).out, "  offline");
    if (!offline) absl::SleepFor(absl::Milliseconds(100));
  }
  REQUIRE(offline);
  CheckFailure(cli.Run({"mark", volume, "read-only"}), "offline");
}

// The value of the sample `series` (a name and any labels) on the
// /metrics page at `address`.
uint64_t Metric(const std::string& address, const std::string& series) {
  http::ConnectionPool pool;
  http::ClientRequest request;
  request.target = "/metrics";
  auto metrics = pool.Send(http::Origin{address, false}, request);
  REQUIRE(metrics.ok());
  const std::string line = "\n" + series + " ";
  const size_t at = metrics->body.find(line);
  INFO(series << " in\n" << metrics->body);
  REQUIRE(at != std::string::npos);
  return std::stoull(metrics->body.substr(at + line.size()));
}

// warehouse_volume_checksum_failures_total on the first volume server.
uint64_t ChecksumFailures(CliTest& cli) {
  return Metric(cli.cluster().volume_address(0),
                "warehouse_volume_checksum_failures_total");
}

// The entry of `volume` in `volumes --json`.
std::string VolumeJson(CliTest& cli, const std::string& volume) {
  const CliRun listed = cli.Ok({"--json", "volumes"});
  const size_t at = listed.out.find("{\"volume_id\":" + volume + ",");
  REQUIRE(at != std::string::npos);
  return listed.out.substr(at, listed.out.find("{\"volume_id\":", at + 1) - at);
}

// Flips one bit of the byte `offset` bytes into `data` in the volume file
// of the first volume server that holds it.
void FlipBitBehindServer(CliTest& cli, const std::string& volume,
                         const std::string& data, size_t offset) {
  const std::string data_file =
      cli.cluster().volume_dir(0) + "/" + volume + ".dat";
  const size_t at = ReadFile(data_file).find(data.substr(0, 64));
  REQUIRE(at != std::string::npos);
  std::fstream file(data_file, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(static_cast<std::streamoff>(at + offset));
  const char flipped = static_cast<char>(data[offset] ^ 0x01);
  file.write(&flipped, 1);
  REQUIRE(file.good());
}

TEST_CASE("verify reads a volume back and names the objects that lost data",
          "[tools][e2e]") {
  CliTest cli;
  cli.Ok({"bucket", "create", "checked"});
  TempDir work;
  const std::string kept = Payload(21, 5000);
  const std::string hit = Payload(22, 300 << 10);  // read in chunks
  WriteFile(work.Join("kept"), kept);
  WriteFile(work.Join("hit"), hit);
  cli.Ok({"put", work.Join("kept"), "checked/kept"});
  cli.Ok({"put", work.Join("hit"), "checked/deep/hit"});
  const std::string volume = VolumeOf(cli, "checked/deep/hit");
  REQUIRE(VolumeOf(cli, "checked/kept") == volume);

  CliRun intact = cli.Ok({"verify", volume});
  CHECK_THAT(intact.out, Catch::StartsWith("volume " + volume + ": 2 needles ("));
  CHECK_THAT(intact.out, Catch::EndsWith(") read back, none corrupt\n"));

  // The master keeps what it found.
  CHECK_THAT(VolumeJson(cli, volume),
             Catch::Contains(",\"last_verification\":{\"started_unix_ms\":") &&
                 Catch::Contains(",\"needles_checked\":2,") &&
                 Catch::Contains(",\"corrupt_count\":0}}"));

  // A byte of one object's data changes on the disk behind the server.
  FlipBitBehindServer(cli, volume, hit, 200000);
  CliRun found = cli.Run({"verify", volume, "--bandwidth", "64M"});
  INFO(found.out << found.err);
  CHECK(found.exit_code == 1);
  CHECK_THAT(found.out, Catch::StartsWith("NEEDLE"));
  CHECK_THAT(found.out, Catch::Contains("  checked/deep/hit  "));
  CHECK_THAT(found.out, Catch::Contains("data crc mismatch"));
  CHECK_THAT(found.out, Catch::EndsWith(") read back, 1 corrupt\n"));
  CHECK_THAT(found.err, Catch::StartsWith("warehouse: volume " + volume +
                                          ": 1 needle fails its checks"));
  CHECK_THAT(VolumeJson(cli, volume),
             Catch::Contains(",\"corrupt_count\":1}}"));
  CHECK(Metric(cli.cluster().master_http_address(),
               "warehouse_master_corrupt_needles") == 1);
  CHECK_THAT(cli.Ok({"volumes"}).out, Catch::Contains(", 1 corrupt"));
  // A restarted master still knows.
  REQUIRE(cli.cluster().RestartMaster().ok());
  CHECK_THAT(VolumeJson(cli, volume),
             Catch::Contains(",\"corrupt_count\":1}}"));
  CHECK(Metric(cli.cluster().master_http_address(),
               "warehouse_master_corrupt_needles") == 1);
  CliRun json = cli.Run({"--json", "verify", volume});
  CHECK(json.exit_code == 1);
  // The volume server counts what it found, for alerts.
  CHECK(ChecksumFailures(cli) == 2);
  // Every volume, one after another.
  CliRun all = cli.Run({"verify", "--all"});
  CHECK(all.exit_code == 1);
  CHECK_THAT(all.out, Catch::Contains("  checked/deep/hit  "));
  CHECK_THAT(all.out, Catch::Contains("\nvolume " + volume + ": 2 needles ("));
  CHECK_THAT(all.err, Catch::StartsWith("warehouse: volumes " + volume +
                                        ": needles fail their checks"));
  CliRun all_json = cli.Run({"--json", "verify", "--all"});
  CHECK_THAT(all_json.out, Catch::StartsWith("[{\"volume_id\":"));
  CHECK_THAT(all_json.out, Catch::Contains("\"corrupt_count\":1,"));
  CHECK_THAT(json.out, Catch::StartsWith("{\"volume_id\":" + volume +
                                         ",\"needles_checked\":2,"));
  CHECK_THAT(json.out, Catch::Contains("\"corrupt_count\":1,"));
  CHECK_THAT(json.out, Catch::Contains(
                           "\"bucket\":\"checked\",\"key\":\"deep/hit\""));
  // The other object still reads; the changed one fails its checksum, and
  // the server counts the GET that found it.
  CHECK(cli.Ok({"get", "checked/kept", "-"}).out == kept);
  CHECK(cli.Run({"get", "checked/deep/hit", work.Join("got")}).exit_code == 1);
  CHECK(ChecksumFailures(cli) > 4);

  CheckFailure(cli.Run({"verify", "424242"}), "424242");
  // A wrong volume id is not a verification that failed.
  CHECK(Metric(cli.cluster().master_http_address(),
               "warehouse_master_verifications_total{outcome=\"failed\"}") ==
        0);
  CheckFailure(cli.Run({"verify", volume, "--bandwidth", "fast"}),
               "--bandwidth fast");
  CheckFailure(cli.Run({"verify", volume, "--timeout", "soon"}),
               "--timeout soon");
  CheckFailure(cli.Run({"verify"}), "--all");
  CheckFailure(cli.Run({"verify", volume, "--all"}), "--all");
}

TEST_CASE("the master verifies volumes by itself and keeps what it found",
          "[tools][e2e]") {
  CliTest cli({"--auto-verify-every", "1s", "--auto-verify-interval", "100ms",
               "--auto-verify-bandwidth", "0"});
  cli.Ok({"bucket", "create", "scrubbed"});
  TempDir work;
  const std::string data = Payload(31, 100 << 10);
  WriteFile(work.Join("a"), data);
  cli.Ok({"put", work.Join("a"), "scrubbed/a"});
  const std::string volume = VolumeOf(cli, "scrubbed/a");
  // Bounded: each look comes 100 ms after the last, and a verification of
  // one needle takes milliseconds.
  auto found_corrupt = [&](const std::string& count) {
    for (int i = 0; i < 300; ++i) {
      const std::string listed = VolumeJson(cli, volume);
      if (absl::StrContains(listed, "\"needles_checked\":1,") &&
          absl::StrContains(listed, ",\"corrupt_count\":" + count + "}")) {
        return true;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    return false;
  };
  CHECK(found_corrupt("0"));
  CHECK(Metric(cli.cluster().master_http_address(),
               "warehouse_master_corrupt_needles") == 0);

  FlipBitBehindServer(cli, volume, data, 70000);
  CHECK(found_corrupt("1"));
  CHECK(Metric(cli.cluster().master_http_address(),
               "warehouse_master_corrupt_needles") == 1);
  CHECK(Metric(cli.cluster().master_http_address(),
               "warehouse_master_verifications_total{outcome=\"corrupt\"}") >=
        1);
  // The log names the object that lost data.
  const std::string log = ReadFile(cli.cluster().master_log_path());
  CHECK_THAT(log, Catch::Contains("(scrubbed/a): ") &&
                      Catch::Contains("data crc mismatch"));
  CHECK_THAT(log, Catch::Contains("volume " + volume +
                                  ": 1 of 1 needles fail their checks"));
}

TEST_CASE("backup copies the metadata, and a master restored from the copy "
          "serves what it named",
          "[tools][e2e]") {
  CliTest cli;
  cli.Ok({"bucket", "create", "kept"});
  TempDir work;
  const std::string before = Payload(41, 3000);
  WriteFile(work.Join("before"), before);
  cli.Ok({"put", work.Join("before"), "kept/before"});

  const std::string copy = work.Join("meta.backup");
  const CliRun backup = cli.Ok({"backup", copy});
  CHECK_THAT(backup.out,
             Catch::StartsWith("metadata backup: ") &&
                 Catch::Contains(" bytes) to " + copy + ", sha256 "));
  // The file appears whole, under its name only.
  CHECK(Tree(work.path()) == std::vector<std::string>{"before", "meta.backup"});
  CHECK(ReadFile(copy).substr(0, 16) == std::string("SQLite format 3\0", 16));
  const CliRun piped = cli.Ok({"backup", "-"});
  CHECK(piped.out.substr(0, 16) == std::string("SQLite format 3\0", 16));
  CHECK_THAT(piped.err, Catch::StartsWith("metadata backup: ") &&
                            Catch::Contains(" to standard output, sha256 "));
  const CliRun json = cli.Ok({"--json", "backup", work.Join("second")});
  CHECK_THAT(json.out, Catch::StartsWith("{\"path\":\"" + work.Join("second") +
                                         "\",\"bytes\":") &&
                           Catch::Contains(",\"sha256\":\""));
  CheckFailure(cli.Run({"backup", work.Join("no/such/dir/meta.db")}),
               "no/such/dir/meta.db");
  CheckFailure(cli.Run({"backup", copy, "--timeout", "soon"}),
               "--timeout soon");

  // An object put after the backup, which the restored master will not
  // know.
  WriteFile(work.Join("after"), Payload(42, 2000));
  cli.Ok({"put", work.Join("after"), "kept/after"});
  const std::string db = cli.cluster().db_path();
  // Refused while the master runs.
  CliInvocation restore;
  restore.argv = {WAREHOUSE_MASTER_BIN, "restore", "--db", db, copy};
  absl::StatusOr<CliRun> refused = testing::RunCli(restore);
  REQUIRE(refused.ok());
  CHECK(refused->exit_code == 1);
  CHECK_THAT(refused->err, Catch::Contains("stop the master first"));
  CliRun restored;
  REQUIRE(cli.cluster()
              .RestartMaster([&]() -> absl::Status {
                ASSIGN_OR_RETURN(restored, testing::RunCli(restore));
                return absl::OkStatus();
              })
              .ok());
  INFO(restored.out << restored.err);
  CHECK(restored.exit_code == 0);
  CHECK_THAT(restored.out,
             Catch::StartsWith(db + ": restored from " + copy) &&
                 Catch::Contains("; the database it replaced is kept as " +
                                 db + ".replaced-"));
  CHECK(cli.Ok({"get", "kept/before", "-"}).out == before);
  const std::string listed = cli.Ok({"ls", "kept"}).out;
  CHECK_THAT(listed, Catch::Contains("before"));
  CHECK_THAT(listed, !Catch::Contains("after"));
  // The needle only the newer database named is an orphan now.
  CHECK_THAT(cli.Ok({"fsck"}).out, Catch::Contains("0 missing, 1 orphans"));
}

// The volume files (`N.dat`), and copies being received, in a volume
// server's data directory.
std::vector<std::string> VolumeFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const std::string& name : Tree(dir)) {
    if (absl::EndsWith(name, ".dat") || absl::EndsWith(name, ".incoming")) {
      files.push_back(name);
    }
  }
  return files;
}

// Waits (bounded) until `dir` holds exactly the volume files `files`.
void AwaitVolumeFiles(const std::string& dir,
                      const std::vector<std::string>& files) {
  for (int i = 0; i < 100 && VolumeFiles(dir) != files; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  CHECK(VolumeFiles(dir) == files);
}

// Whether `volumes --json` lists `volume` on server `server`.
bool ListedOn(CliTest& cli, const std::string& volume,
              const std::string& server) {
  return absl::StrContains(cli.Ok({"--json", "volumes"}).out,
                           "{\"volume_id\":" + volume + ",\"server_id\":\"" +
                               server + "\",");
}

// Puts objects "<bucket>/0".. of `sizes` (Payload(i, sizes[i])) while
// every upload goes to volume server 0; returns the volume of the first.
std::string PutOnFirstServer(CliTest& cli, const std::string& bucket,
                             const std::vector<size_t>& sizes) {
  const std::string other = ServerIdOf(cli, 1);
  cli.Ok({"bucket", "create", bucket});
  cli.Ok({"drain", other});
  TempDir work;
  for (size_t i = 0; i < sizes.size(); ++i) {
    WriteFile(work.Join("f"), Payload(i, sizes[i]));
    cli.Ok({"put", work.Join("f"), bucket + "/" + std::to_string(i)});
  }
  cli.Ok({"undrain", other});
  REQUIRE(VolumeFiles(cli.cluster().volume_dir(1)).empty());
  return VolumeOf(cli, bucket + "/0");
}

TEST_CASE("move takes a server's volumes to another while objects read",
          "[tools][e2e]") {
  CliTest cli({}, /*volume_servers=*/2);
  const std::string a = ServerIdOf(cli, 0);
  const std::string b = ServerIdOf(cli, 1);
  const std::vector<size_t> sizes = {0, 1, 4096, 300000, 2 << 20};
  const std::string volume = PutOnFirstServer(cli, "moving", sizes);
  cli.Ok({"drain", b});
  cli.Ok({"rm", "moving/1"});  // its delete may still be queued

  // What cannot be done is refused, and the volume stays as it was.
  CheckFailure(cli.Run({"move", volume, "--to", b}), "draining");
  CheckFailure(cli.Run({"move", volume}), "no other volume server can take it");
  cli.Ok({"undrain", b});
  CheckFailure(cli.Run({"move", volume, "--to", a}), "already on");
  CheckFailure(cli.Run({"move", volume, "--to", "0123456789abcdef"}),
               "0123456789abcdef");
  CheckFailure(cli.Run({"move", "999", "--to", b}), "999");
  CHECK(cli.Run({"move", "--to", b}).exit_code == 1);  // which volumes?
  CHECK(cli.Run({"move", volume, "--from", a, "--to", b}).exit_code == 1);
  CHECK(ListedOn(cli, volume, a));
  CHECK_FALSE(ListedReadOnly(cli, volume));

  // Every volume of a (it made more than one to write into).
  const std::vector<std::string> volumes =
      VolumeFiles(cli.cluster().volume_dir(0));
  const CliRun moved = cli.Ok({"move", "--from", a, "--to", b});
  CHECK_THAT(moved.out, Catch::Contains("volume " + volume + ": moved from " +
                                        a + " to " + b + " ("));
  CHECK_THAT(moved.out, !Catch::Contains("read-only"));
  CHECK(static_cast<size_t>(
            std::count(moved.out.begin(), moved.out.end(), '\n')) ==
        volumes.size());
  CHECK(ListedOn(cli, volume, b));
  CHECK_FALSE(ListedReadOnly(cli, volume));
  // The copies left behind go; the volumes' files are on b alone.
  AwaitVolumeFiles(cli.cluster().volume_dir(0), {});
  CHECK(VolumeFiles(cli.cluster().volume_dir(1)) == volumes);
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (i == 1) continue;
    CHECK(cli.Ok({"get", "moving/" + std::to_string(i), "-"}).out ==
          Payload(i, sizes[i]));
  }
  CHECK(cli.Run({"get", "moving/1", "-"}).exit_code == 1);

  // It takes uploads and deletes where it is now; the deletes that waited
  // for the move reach it there: nothing missing, nothing orphaned.
  TempDir work;
  WriteFile(work.Join("f"), Payload(9, 5000));
  cli.Ok({"put", work.Join("f"), "moving/9"});
  cli.Ok({"rm", "moving/3"});
  std::string fsck;
  for (int i = 0; i < 100; ++i) {
    fsck = cli.Ok({"fsck"}).out;
    if (absl::StrContains(fsck, "0 missing, 0 orphans")) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  CHECK_THAT(fsck, Catch::Contains("0 missing, 0 orphans"));

  // A restarted master and a restarted old server agree.
  REQUIRE(cli.cluster().RestartMaster().ok());
  REQUIRE(cli.cluster().RestartVolumeServer(0).ok());
  CHECK(ListedOn(cli, volume, b));
  CHECK(cli.Ok({"get", "moving/4", "-"}).out == Payload(4, sizes[4]));

  // And back, by id, where the master picks (a, the only other server): a
  // read-only volume stays read-only.
  cli.Ok({"mark", volume, "read-only"});
  const CliRun back = cli.Ok({"--json", "move", volume});
  CHECK_THAT(back.out, Catch::StartsWith("{\"volume_id\":" + volume +
                                         ",\"from_server_id\":\"" + b +
                                         "\",\"to_server_id\":\"" + a +
                                         "\",\"bytes\":"));
  CHECK_THAT(back.out, Catch::EndsWith(",\"writable\":false}\n"));
  CHECK(ListedOn(cli, volume, a));
  CHECK(ListedReadOnly(cli, volume));
  CHECK(cli.Ok({"get", "moving/2", "-"}).out == Payload(2, sizes[2]));
  for (int i = 0; i < 100 && absl::c_linear_search(
                                 VolumeFiles(cli.cluster().volume_dir(1)),
                                 volume + ".dat");
       ++i) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  CHECK_FALSE(absl::c_linear_search(VolumeFiles(cli.cluster().volume_dir(1)),
                                    volume + ".dat"));
}

TEST_CASE("a move cut short by a killed server leaves the volume in place",
          "[tools][e2e]") {
  CliTest cli({}, /*volume_servers=*/2);
  const std::string a = ServerIdOf(cli, 0);
  const std::string b = ServerIdOf(cli, 1);
  // The server writes into two volumes: about 4 MiB each.
  const std::vector<size_t> sizes(8, 1 << 20);
  const std::string volume = PutOnFirstServer(cli, "cut", sizes);

  // At 1 MiB a second the copy takes seconds; the target dies after one.
  // Meanwhile the volume is listed as moving.
  absl::StatusOr<CliRun> listed;
  std::thread killer([&cli, &listed] {
    absl::SleepFor(absl::Milliseconds(500));
    testing::CliInvocation invocation;
    invocation.argv = {WAREHOUSE_CLI_BIN, "--json", "volumes"};
    invocation.env = cli.Env();
    listed = testing::RunCli(invocation);
    absl::SleepFor(absl::Milliseconds(500));
    cli.cluster().KillVolumeServer(1);
  });
  const CliRun cut =
      cli.Run({"move", volume, "--to", b, "--bandwidth", "1M"});
  killer.join();
  REQUIRE(listed.ok());
  CHECK_THAT(listed->out,
             Catch::Contains("\"moving_to_server_id\":\"" + b + "\""));
  INFO("stdout: " << cut.out << "\nstderr: " << cut.err);
  CHECK(cut.exit_code == 1);
  CHECK_THAT(cut.err, Catch::Contains("volume " + volume));
  CHECK(ListedOn(cli, volume, a));
  CHECK_FALSE(ListedReadOnly(cli, volume));
  for (size_t i = 0; i < sizes.size(); ++i) {
    CHECK(cli.Ok({"get", "cut/" + std::to_string(i), "-"}).out ==
          Payload(i, sizes[i]));
  }
  // The partial copy is gone once the server is back, and the move can
  // be made again.
  REQUIRE(cli.cluster().RestartVolumeServer(1).ok());
  CHECK(VolumeFiles(cli.cluster().volume_dir(1)).empty());
  CHECK_THAT(cli.Ok({"move", volume, "--to", b}).out,
             Catch::StartsWith("volume " + volume + ": moved from " + a));
  CHECK(ListedOn(cli, volume, b));
  CHECK(cli.Ok({"get", "cut/3", "-"}).out == Payload(3, sizes[3]));
  // The master counts both, and the bytes of the one that moved.
  const std::string master = cli.cluster().master_http_address();
  CHECK(Metric(master,
               "warehouse_master_volume_moves_total{outcome=\"failed\"}") ==
        1);
  CHECK(Metric(master,
               "warehouse_master_volume_moves_total{outcome=\"succeeded\"}") ==
        1);
  CHECK(Metric(master, "warehouse_master_volume_move_bytes_total") >=
        (uint64_t{1} << 20));
}

TEST_CASE("drain keeps uploads off a server across master restarts",
          "[tools][e2e]") {
  CliTest cli;
  cli.Ok({"bucket", "create", "drained"});
  TempDir work;
  WriteFile(work.Join("f"), Payload(7, 4096));
  cli.Ok({"put", work.Join("f"), "drained/a"});
  const std::string server = ServerIdOf(cli);

  CHECK(cli.Ok({"drain", server}).out ==
        "volume server " + server + ": online, draining\n");
  CHECK_THAT(cli.Ok({"servers"}).out, Catch::Contains("  online, draining  "));
  // Its only server draining, the cluster takes no upload, and says why;
  // what it holds still reads.
  CheckFailure(cli.Run({"put", work.Join("f"), "drained/b"}), "draining");
  CHECK(cli.Ok({"get", "drained/a", "-"}).out == Payload(7, 4096));

  REQUIRE(cli.cluster().RestartMaster().ok());
  CHECK_THAT(cli.Ok({"--json", "servers"}).out,
             Catch::Contains("\"online\":true,\"draining\":true"));
  CheckFailure(cli.Run({"put", work.Join("f"), "drained/b"}), "draining");

  CliRun undrained = cli.Ok({"--json", "undrain", server});
  CHECK_THAT(undrained.out,
             Catch::StartsWith("{\"server_id\":\"" + server + "\","));
  CHECK_THAT(undrained.out, Catch::Contains("\"draining\":false"));
  cli.Ok({"put", work.Join("f"), "drained/b"});
  CheckFailure(cli.Run({"drain", "0123456789abcdef"}), "0123456789abcdef");
  CHECK(cli.Run({"drain"}).exit_code == 2);
}

TEST_CASE("credentials come from a private file when not in the environment",
          "[tools][e2e]") {
  CliTest cli;
  TempDir config;
  std::filesystem::create_directories(config.Join("warehouse"));
  const std::string path = config.Join("warehouse/credentials");
  WriteFile(path, absl::StrCat("# test\naccess_key_id = ",
                               cli.cluster().access_key_id(),
                               "\nsecret_access_key = ",
                               cli.cluster().secret_access_key(), "\nmaster = ",
                               cli.cluster().master_address(), "\n"));
  const std::vector<std::pair<std::string, std::string>> env = {
      {"HOME", cli.home()}, {"XDG_CONFIG_HOME", config.path()}};

  ::chmod(path.c_str(), 0644);
  CheckFailure(cli.RunWithEnv({"bucket", "list"}, env), "chmod 600");
  ::chmod(path.c_str(), 0600);
  CliRun list = cli.RunWithEnv({"bucket", "list"}, env);
  INFO(list.err);
  CHECK(list.exit_code == 0);

  // Nothing anywhere: say where credentials go.
  CheckFailure(cli.RunWithEnv({"bucket", "list"}, {{"HOME", cli.home()}}),
               "WAREHOUSE_ACCESS_KEY");
  // A master nobody answers at: a clear error naming it.
  CliRun down = cli.RunWithEnv({"--master", "127.0.0.1:1", "bucket", "list"},
                               cli.Env());
  CheckFailure(down, "master 127.0.0.1:1");
}

TEST_CASE("usage errors exit 2 with one line, and --help exits 0",
          "[tools][e2e]") {
  CliTest cli;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{}, {"frobnicate"}, {"get"}, {"bucket"},
        {"put", "only-one"}, {"ls", "--no-such-flag"}}) {
    CliRun run = cli.Run(args);
    INFO(absl::StrJoin(args, " ") << ": " << run.err);
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Catch::StartsWith("warehouse: "));
    CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
  }
  CliRun help = cli.Run({"--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("credentials"));
  CHECK_THAT(help.out, Catch::Contains("bucket"));
}

TEST_CASE("transfers draw no progress bar when stderr is not a terminal",
          "[tools][e2e]") {
  CliTest cli;
  cli.Ok({"bucket", "create", "quiet"});
  TempDir work;
  const std::string data = Payload(6, 8 << 20);
  WriteFile(work.Join("big"), data);
  CliRun put = cli.Ok({"put", work.Join("big"), "quiet/big"});
  CHECK(put.err.empty());
  CliRun get = cli.Ok({"get", "quiet/big", work.Join("back")});
  CHECK(get.err.empty());
  CHECK(ReadFile(work.Join("back")) == data);
}

}  // namespace
}  // namespace warehouse
