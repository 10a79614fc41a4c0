#include "sdk/upload_body.h"

#include <fstream>
#include <sstream>

#include "catch2/catch.hpp"
#include "tests/support/temp_dir.h"

namespace warehouse {
namespace {

std::string ReadAll(UploadBody& body, size_t chunk = 3) {
  std::string out;
  std::string buf(chunk, '\0');
  for (int i = 0; i < 1000; ++i) {
    absl::StatusOr<size_t> n = body.Read(buf.data(), buf.size());
    REQUIRE(n.ok());
    if (*n == 0) break;
    out.append(buf.data(), *n);
  }
  return out;
}

TEST_CASE("a string body reads in pieces and rewinds", "[sdk]") {
  std::unique_ptr<UploadBody> body = StringUploadBody("hello world");
  CHECK(ReadAll(*body) == "hello world");
  REQUIRE(body->Rewind().ok());
  CHECK(ReadAll(*body, 100) == "hello world");
  CHECK(body->rewindable());
}

TEST_CASE("a file body reports its size and notices a file that changed",
          "[sdk]") {
  testing::TempDir dir;
  const std::string path = dir.Join("f");
  std::ofstream(path) << "0123456789";
  uint64_t size = 0;
  absl::StatusOr<std::unique_ptr<UploadBody>> body = FileUploadBody(path, &size);
  REQUIRE(body.ok());
  CHECK(size == 10);
  char buf[10];
  REQUIRE(*(*body)->Read(buf, 4) == 4);
  std::ofstream(path, std::ios::app) << "more";
  // The last piece notices the growth (a shrink shows as an early end).
  absl::StatusOr<size_t> last = (*body)->Read(buf, 6);
  CHECK(last.status().code() == absl::StatusCode::kFailedPrecondition);

  std::ofstream(path, std::ios::trunc) << "01";
  REQUIRE((*body)->Rewind().ok());
  REQUIRE(*(*body)->Read(buf, 10) == 2);
  CHECK((*body)->Read(buf, 8).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("a file body refuses what it cannot upload", "[sdk]") {
  testing::TempDir dir;
  uint64_t size = 0;
  CHECK(FileUploadBody(dir.Join("missing"), &size).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(FileUploadBody(dir.path(), &size).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a source body rewinds only before it was read", "[sdk]") {
  int calls = 0;
  std::unique_ptr<UploadBody> body =
      SourceUploadBody([&calls](char* buf, size_t) -> absl::StatusOr<size_t> {
        buf[0] = 'x';
        return ++calls <= 2 ? 1 : 0;
      });
  CHECK(body->Rewind().ok());
  CHECK_FALSE(body->rewindable());
  CHECK(ReadAll(*body) == "xx");
  CHECK(body->Rewind().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("a seekable stream body rewinds to where it started", "[sdk]") {
  std::istringstream in("skip:payload");
  in.seekg(5);
  std::unique_ptr<UploadBody> body = StreamUploadBody(in);
  CHECK(body->rewindable());
  CHECK(ReadAll(*body) == "payload");
  REQUIRE(body->Rewind().ok());
  CHECK(ReadAll(*body, 2) == "payload");
}

}  // namespace
}  // namespace warehouse
