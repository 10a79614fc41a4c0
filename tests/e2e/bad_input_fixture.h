// The shared ground of the bad-input tables (tests/e2e/bad_input_*_test.cc):
// one real cluster per test process (a warehouse-master and a
// warehouse-volume on 127.0.0.1, with a short HTTP idle timeout so slow
// clients are timed out quickly), a known set of buckets and objects, access
// keys of every kind, and a check that the stored data is exactly what was
// stored.
#ifndef WAREHOUSE_TESTS_E2E_BAD_INPUT_FIXTURE_H_
#define WAREHOUSE_TESTS_E2E_BAD_INPUT_FIXTURE_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/byte_range.h"
#include "common/key_ring.h"
#include "proto/warehouse/master.grpc.pb.h"
#include "tests/support/cluster.h"
#include "tests/support/temp_dir.h"
#include "warehouse/client.h"

namespace warehouse::testing {

// The idle timeout of both HTTP servers in the test cluster.
inline constexpr absl::Duration kBadInputIdleTimeout = absl::Seconds(1);

struct StoredObject {
  std::string bucket;
  std::string key;
  std::string content_type;
  std::string data;
};

struct AccessKeyPair {
  std::string id;
  std::string secret;
};

// Not thread-safe: the test thread drives it.
class BadInputFixture {
 public:
  // The process's fixture, started (cluster, data, keys) on first use.
  // Errors: whatever kept the cluster from starting or the data from being
  // stored.
  static absl::StatusOr<BadInputFixture*> Get();

  Cluster& cluster() { return *cluster_; }
  v1::Master::Stub& master() { return *stub_; }
  const std::string& volume_address() { return cluster_->volume_address(0); }

  // Keys: admin; read-write on every bucket; read-write on "scoped" only;
  // a read-write key that was revoked.
  AccessKeyPair admin() const;
  const AccessKeyPair& read_write() const { return read_write_; }
  const AccessKeyPair& scoped() const { return scoped_; }
  const AccessKeyPair& revoked() const { return revoked_; }
  // The cluster key ring (its primary signs the master's URLs).
  const KeyRing& cluster_keys() const { return *cluster_keys_; }

  // The file id the master holds for `key` (in bucket "alpha" or "beta").
  std::string FileIdOf(const std::string& bucket, const std::string& key);

  // The path and query of a GET URL the master signs for an object (with
  // an optional range), and of a PUT URL from BeginUpload. Failures fail
  // the calling test.
  std::string GetUrl(const std::string& bucket, const std::string& key,
                     std::optional<ByteRange> range = std::nullopt);
  std::string PutUrl(const std::string& bucket, const std::string& key,
                     uint64_t size, const std::string& content_type);

  // "" when every bucket and object is exactly as stored (names, counts,
  // sizes, listings with nothing extra, every object's bytes, etag and
  // type), no volume is read-only and both servers still run; otherwise
  // every difference, one per line.
  std::string CheckStoredData();

  // A scratch directory for the CLI's home and files.
  const TempDir& scratch() const { return scratch_; }

 private:
  BadInputFixture() = default;
  absl::Status Start();

  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<v1::Master::Stub> stub_;
  std::unique_ptr<Client> client_;
  std::optional<KeyRing> cluster_keys_;
  AccessKeyPair read_write_;
  AccessKeyPair scoped_;
  AccessKeyPair revoked_;
  std::vector<StoredObject> objects_;
  std::vector<std::string> buckets_;
  TempDir scratch_;
};

// A row's deadline: every table row gets this long to be answered.
inline constexpr absl::Duration kRowTimeout = absl::Seconds(5);

// Appends the rows of one group to a table, each marked with the group.
template <typename Row>
void AddGroup(std::vector<Row>& rows, const std::string& group,
              std::vector<Row> group_rows) {
  for (Row& row : group_rows) {
    row.group = group;
    rows.push_back(std::move(row));
  }
}

// Whether rows[i] is the last row of its group.
template <typename Row>
bool EndsGroup(const std::vector<Row>& rows, size_t i) {
  return i + 1 == rows.size() || rows[i + 1].group != rows[i].group;
}

// "credentials 14, roles 14, ...": the rows per group, in table order.
template <typename Row>
std::string GroupCounts(const std::vector<Row>& rows) {
  std::string text;
  size_t count = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    ++count;
    if (i + 1 == rows.size() || rows[i + 1].group != rows[i].group) {
      if (!text.empty()) text += ", ";
      text += rows[i].group + " " + std::to_string(count);
      count = 0;
    }
  }
  return text;
}

// Each table's rows per group, for the count test.
std::string GrpcRowGroups(size_t* rows);
std::string HttpRowGroups(size_t* rows);
std::string CliRowGroups(size_t* rows);

}  // namespace warehouse::testing

#endif  // WAREHOUSE_TESTS_E2E_BAD_INPUT_FIXTURE_H_
