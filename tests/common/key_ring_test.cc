#include "common/key_ring.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "catch2/catch.hpp"
#include "common/crypto.h"
#include "tests/support/temp_dir.h"

namespace warehouse {
namespace {

using testing::TempDir;

const std::string kSecretA(64, 'a');  // 32 bytes of 0xaa in hex
const std::string kSecretB = std::string(62, '0') + "01";

void WriteFile(const std::string& path, const std::string& text, int mode) {
  std::ofstream out(path);
  out << text;
  out.close();
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

// Restores an environment variable when the test ends.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (value == nullptr) {
      ::unsetenv(name);
    } else {
      ::setenv(name, value, 1);
    }
  }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

TEST_CASE("key ring text lists keys with the primary first",
          "[common][key_ring]") {
  absl::StatusOr<KeyRing> ring = KeyRing::Parse(
      "# rotation in progress\n"
      "k2:" +
      kSecretB +
      "   # new primary\n"
      "\n"
      "  k1:" +
      kSecretA + "\n");
  REQUIRE(ring.ok());
  CHECK(ring->primary().id == "k2");
  CHECK(ring->keys().size() == 2);
  const KeyRing::Key* k1 = ring->Find("k1");
  REQUIRE(k1 != nullptr);
  CHECK(k1->secret == std::string(32, '\xaa'));
  CHECK(ring->Find("k3") == nullptr);

  // Commas separate entries too, for an environment variable.
  absl::StatusOr<KeyRing> env_form =
      KeyRing::Parse("k1:" + kSecretA + ",k2:" + kSecretB);
  REQUIRE(env_form.ok());
  CHECK(env_form->primary().id == "k1");
  CHECK(env_form->keys().size() == 2);
}

TEST_CASE("malformed key ring text is refused without echoing secrets",
          "[common][key_ring]") {
  struct Case {
    std::string text;
    std::string reason;
  };
  const Case cases[] = {
      {"", "no \"<key id>:<hex secret>\" entry"},
      {"# only a comment\n", "no \"<key id>:<hex secret>\" entry"},
      {kSecretA, "entry 1: no ':'"},
      {":" + kSecretA, "entry 1: key id must be"},
      {"bad/id:" + kSecretA, "entry 1: key id must be"},
      {std::string(33, 'k') + ":" + kSecretA, "entry 1: key id must be"},
      {"k1:" + std::string(63, 'a') + "Z", "entry 1 (key k1): secret is not"},
      {"k1:" + kSecretA + " k2:" + std::string(62, 'a'),
       "entry 2 (key k2): secret is 31 bytes"},
      {"k1:" + std::string(130, 'a'), "entry 1 (key k1): secret is 65 bytes"},
      {"k1:" + kSecretA + "\nk1:" + kSecretB,
       "entry 2 (key k1): the key id "
       "appears twice"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<KeyRing> ring = KeyRing::Parse(c.text);
    REQUIRE_FALSE(ring.ok());
    CHECK(ring.status().code() == absl::StatusCode::kInvalidArgument);
    const std::string message(ring.status().message());
    INFO(message);
    CHECK_THAT(message, Catch::Contains(c.reason));
    CHECK_THAT(message, !Catch::Contains(kSecretA.substr(0, 16)));
  }
}

TEST_CASE("a new key file is private, loads, and is never overwritten",
          "[common][key_ring]") {
  TempDir dir;
  const std::string path = dir.Join("cluster.key");
  REQUIRE(WriteNewKeyFile(path, "k1").ok());
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  absl::StatusOr<KeyRing> ring = KeyRing::LoadFile(path);
  REQUIRE(ring.ok());
  CHECK(ring->primary().id == "k1");
  CHECK(ring->primary().secret.size() == 32);

  CHECK(WriteNewKeyFile(path, "k2").code() == absl::StatusCode::kAlreadyExists);
  absl::StatusOr<KeyRing> again = KeyRing::LoadFile(path);
  REQUIRE(again.ok());
  CHECK(again->primary().secret == ring->primary().secret);

  const std::string other = dir.Join("other.key");
  REQUIRE(WriteNewKeyFile(other, "k1").ok());
  absl::StatusOr<KeyRing> other_ring = KeyRing::LoadFile(other);
  REQUIRE(other_ring.ok());
  CHECK(other_ring->primary().secret != ring->primary().secret);

  CHECK(WriteNewKeyFile(dir.Join("bad.key"), "no spaces").code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(WriteNewKeyFile(dir.Join("missing/dir.key"), "k1").code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("key files others can read or that are not key files are refused",
          "[common][key_ring]") {
  TempDir dir;
  const std::string path = dir.Join("cluster.key");
  WriteFile(path, "k1:" + kSecretA + "\n", 0644);
  absl::StatusOr<KeyRing> ring = KeyRing::LoadFile(path);
  CHECK(ring.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(ring.status().message()),
             Catch::Contains("chmod 600"));

  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  CHECK(KeyRing::LoadFile(path).ok());
  REQUIRE(::chmod(path.c_str(), 0620) == 0);
  CHECK(KeyRing::LoadFile(path).status().code() ==
        absl::StatusCode::kFailedPrecondition);

  CHECK(KeyRing::LoadFile(dir.Join("missing")).status().code() ==
        absl::StatusCode::kNotFound);

  const std::string big = dir.Join("big");
  WriteFile(big, std::string(70 * 1024, '#'), 0600);
  CHECK(KeyRing::LoadFile(big).status().code() ==
        absl::StatusCode::kInvalidArgument);

  const std::string garbage = dir.Join("garbage");
  WriteFile(garbage, "k1=" + kSecretA, 0600);
  absl::StatusOr<KeyRing> bad = KeyRing::LoadFile(garbage);
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(bad.status().message()),
             Catch::StartsWith("key file " + garbage));
}

TEST_CASE("a server's key ring comes from exactly one of file and environment",
          "[common][key_ring]") {
  TempDir dir;
  const std::string path = dir.Join("cluster.key");
  REQUIRE(WriteNewKeyFile(path, "from-file").ok());
  const std::string env_text = "from-env:" + kSecretA;
  {
    ScopedEnv env(kClusterKeyEnvVar, nullptr);
    CHECK(KeyRing::LoadFileOrEnv("").status().code() ==
          absl::StatusCode::kFailedPrecondition);
    absl::StatusOr<KeyRing> ring = KeyRing::LoadFileOrEnv(path);
    REQUIRE(ring.ok());
    CHECK(ring->primary().id == "from-file");
  }
  {
    ScopedEnv env(kClusterKeyEnvVar, env_text.c_str());
    absl::StatusOr<KeyRing> ring = KeyRing::LoadFileOrEnv("");
    REQUIRE(ring.ok());
    CHECK(ring->primary().id == "from-env");
    CHECK(KeyRing::LoadFileOrEnv(path).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
  {
    ScopedEnv env(kClusterKeyEnvVar, "from-env:nothex");
    absl::StatusOr<KeyRing> ring = KeyRing::LoadFileOrEnv("");
    CHECK(ring.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(ring.status().message()),
               Catch::StartsWith(kClusterKeyEnvVar));
  }
}

TEST_CASE("key rings are built from keys and check them",
          "[common][key_ring]") {
  CHECK(KeyRing::Create({}).status().code() ==
        absl::StatusCode::kInvalidArgument);
  absl::StatusOr<KeyRing::Key> key = GenerateKey("k1");
  REQUIRE(key.ok());
  CHECK(FormatKeyRingEntry(*key) == "k1:" + HexEncode(key->secret));
  absl::StatusOr<KeyRing> round_trip = KeyRing::Parse(FormatKeyRingEntry(*key));
  REQUIRE(round_trip.ok());
  CHECK(round_trip->primary().secret == key->secret);
  CHECK(GenerateKey("").status().code() == absl::StatusCode::kInvalidArgument);

  absl::StatusOr<KeyRing> moved_from = KeyRing::Create({*key});
  REQUIRE(moved_from.ok());
  KeyRing ring = std::move(*moved_from);
  CHECK(ring.Find("k1") != nullptr);
}

}  // namespace
}  // namespace warehouse
