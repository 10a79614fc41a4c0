// How warehouse-http-bench addresses objects on each server it measures:
// the volume server through signed urls, nginx through plain paths. Both
// build the request heads the load client sends, before any timing starts.
#ifndef WAREHOUSE_TOOLS_HTTP_BENCH_TARGETS_H_
#define WAREHOUSE_TOOLS_HTTP_BENCH_TARGETS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/access_key.h"
#include "common/file_id.h"
#include "common/key_ring.h"
#include "grpcpp/grpcpp.h"
#include "tools/http_bench_client.h"

namespace warehouse::bench {

// One object of the benchmark: its bytes are Payload object `seed`.
struct BenchObject {
  uint64_t seed = 0;
  uint64_t size = 0;
  uint32_t crc = 0;   // CRC-32C of the bytes
  FileId file_id;     // where the volume server keeps it
  std::string path;   // where nginx keeps it ("/o/...")
};

// Builds the requests for one server. Not thread-safe.
class Target {
 public:
  virtual ~Target() = default;
  virtual std::string name() const = 0;
  // The PUTs that store `objects`, in order. Errors: as signing fails, or
  // the master's error when it hands out the urls.
  virtual absl::StatusOr<std::vector<Op>> Puts(
      const std::vector<BenchObject>& objects) = 0;
  // A GET that reads `object` back whole and checks its bytes. REQUIRES:
  // Puts() covered `object`.
  virtual absl::StatusOr<Op> Get(const BenchObject& object) = 0;
  // Whether Puts() asks a master for each url (and so is worth timing).
  virtual bool asks_master() const { return false; }
};

// The volume server at `host_port`, with urls signed by the primary key
// of `*keys` (which must outlive the target), valid for `ttl`.
std::unique_ptr<Target> MakeWarehouseTarget(std::string host_port,
                                            const KeyRing* keys,
                                            absl::Duration ttl);

// The volume server at `volume_host_port` behind a real master at the
// other end of `master`: each PUT url comes from Master.BeginUpload into
// `bucket` (called from `threads` threads at once, as `key`), and GET urls
// are signed with the primary key of `*keys`, which must outlive the
// target. Upload keys are "<prefix><seed>".
std::unique_ptr<Target> MakeMasterWarehouseTarget(
    std::string volume_host_port, std::shared_ptr<grpc::Channel> master,
    AccessKeyCredentials key, std::string bucket, std::string prefix,
    int threads, const KeyRing* keys, absl::Duration ttl);

// Creates `bucket` on the master unless it exists. Errors: the master's.
absl::Status EnsureBucket(std::shared_ptr<grpc::Channel> master,
                          const AccessKeyCredentials& key,
                          const std::string& bucket);

// nginx at `host_port`, with WebDAV PUT enabled.
std::unique_ptr<Target> MakeNginxTarget(std::string host_port);

}  // namespace warehouse::bench

#endif  // WAREHOUSE_TOOLS_HTTP_BENCH_TARGETS_H_
