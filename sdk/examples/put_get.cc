// The SDK's quick start as a program: creates a bucket, uploads a file,
// lists the bucket, downloads the file again and compares.
//
//   export WAREHOUSE_ACCESS_KEY=WH... WAREHOUSE_SECRET_KEY=...
//   warehouse-sdk-example 127.0.0.1:9333 my-bucket ./photo.jpg
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "warehouse/client.h"

namespace {

int Fail(const char* what, const absl::Status& status) {
  std::fprintf(stderr, "put_get: %s: %s\n", what, status.ToString().c_str());
  return 1;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream data;
  data << in.rdbuf();
  return data.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s MASTER_HOST:PORT BUCKET FILE\n", argv[0]);
    return 2;
  }
  const char* key_id = std::getenv("WAREHOUSE_ACCESS_KEY");
  const char* secret = std::getenv("WAREHOUSE_SECRET_KEY");
  warehouse::ClientOptions options;
  options.master_address = argv[1];
  options.access_key_id = key_id != nullptr ? key_id : "";
  options.secret_access_key = secret != nullptr ? secret : "";
  absl::StatusOr<std::unique_ptr<warehouse::Client>> client =
      warehouse::Client::Create(options);
  if (!client.ok()) return Fail("client", client.status());

  const std::string bucket = argv[2];
  const std::string path = argv[3];
  const std::string key = "examples/" + path.substr(path.rfind('/') + 1);

  absl::Status created = (*client)->CreateBucket(bucket);
  if (!created.ok() && !absl::IsAlreadyExists(created)) {
    return Fail("create bucket", created);
  }
  absl::StatusOr<warehouse::PutResult> put =
      (*client)->PutFile(bucket, key, path);
  if (!put.ok()) return Fail("put", put.status());
  std::printf("put %s/%s: %llu bytes, etag %s\n", bucket.c_str(), key.c_str(),
              static_cast<unsigned long long>(put->size_bytes),
              put->etag.c_str());

  warehouse::ListOptions list;
  list.prefix = "examples/";
  absl::Status listed = (*client)->ListPages(
      bucket, list, [](const warehouse::ListPage& page) {
        for (const warehouse::ObjectInfo& object : page.objects) {
          std::printf("  %-40s %12llu\n", object.key.c_str(),
                      static_cast<unsigned long long>(object.size_bytes));
        }
        return true;  // next page
      });
  if (!listed.ok()) return Fail("list", listed);

  absl::StatusOr<std::string> data = (*client)->Get(bucket, key);
  if (!data.ok()) return Fail("get", data.status());
  if (*data != ReadAll(path)) {
    std::fprintf(stderr, "put_get: the bytes read back differ\n");
    return 1;
  }
  std::printf("got %s/%s back: %zu bytes, identical\n", bucket.c_str(),
              key.c_str(), data->size());
  return 0;
}
