// Helpers shared by the metadata store tests: a store on a fresh database
// in a temp dir with a controllable clock, and one-call object writes.
#ifndef WAREHOUSE_TESTS_MASTER_STORE_TEST_UTIL_H_
#define WAREHOUSE_TESTS_MASTER_STORE_TEST_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "master/metadata_store.h"
#include "tests/support/temp_dir.h"

namespace warehouse::master::testing {

// A clock the test moves by hand. Thread-safe.
class FakeClock {
 public:
  absl::Time Now() const ABSL_LOCKS_EXCLUDED(mu_);
  void Advance(absl::Duration d) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::FromUnixSeconds(1700000000);
};

// A migrated store in a fresh temp dir, on the fixture's FakeClock, with
// bucket "photos", server "vs1" and volume 1 on it.
class StoreFixture {
 public:
  StoreFixture() : StoreFixture(MetadataStore::Options().pending_row_delay) {}
  // With begun uploads' rows written `pending_row_delay` after they begin,
  // and at most `max_unwritten_uploads` of them waiting at once.
  explicit StoreFixture(absl::Duration pending_row_delay,
                        size_t max_unwritten_uploads =
                            MetadataStore::Options().max_unwritten_uploads);

  MetadataStore& store() { return *store_; }
  FakeClock& clock() { return clock_; }
  const std::string& path() const { return path_; }
  // Closes the store (tests that reopen the file).
  void Close() { store_.reset(); }
  // Opens it again with the same options.
  void Reopen();
  // MetadataStore::Options::after_needle_id_taken_for_testing, from the
  // next Reopen on.
  std::function<void()> after_needle_id_taken;

  // Begins and commits `key` in `bucket` on `volume_id` with `size` bytes.
  absl::StatusOr<ObjectRecord> Put(const std::string& bucket,
                                   const std::string& key, int64_t size,
                                   uint32_t volume_id = 1);

 private:
  warehouse::testing::TempDir dir_;
  FakeClock clock_;
  absl::Duration pending_row_delay_;
  size_t max_unwritten_uploads_;
  std::string path_;
  std::unique_ptr<MetadataStore> store_;
};

MetadataStore::Options OptionsWithClock(FakeClock* clock);

}  // namespace warehouse::master::testing

#endif  // WAREHOUSE_TESTS_MASTER_STORE_TEST_UTIL_H_
