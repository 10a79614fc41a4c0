#include "tests/master/store_test_util.h"

#include "catch2/catch.hpp"
#include "common/status_macros.h"

namespace warehouse::master::testing {

absl::Time FakeClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

void FakeClock::Advance(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  now_ += d;
}

MetadataStore::Options OptionsWithClock(FakeClock* clock) {
  MetadataStore::Options options;
  options.apply_migrations = true;
  options.clock = [clock] { return clock->Now(); };
  return options;
}

StoreFixture::StoreFixture(absl::Duration pending_row_delay,
                           size_t max_unwritten_uploads)
    : pending_row_delay_(pending_row_delay),
      max_unwritten_uploads_(max_unwritten_uploads),
      path_(dir_.Join("meta.db")) {
  Reopen();
  REQUIRE(store_->CreateBucket("photos").ok());
  REQUIRE(store_->UpsertServer("vs1", "127.0.0.1:8080", clock_.Now()).ok());
  auto volume = store_->CreateVolumeRecord("vs1");
  REQUIRE(volume.ok());
  REQUIRE(volume->volume_id == 1);
}

void StoreFixture::Reopen() {
  store_.reset();
  MetadataStore::Options options = OptionsWithClock(&clock_);
  options.pending_row_delay = pending_row_delay_;
  options.max_unwritten_uploads = max_unwritten_uploads_;
  options.after_needle_id_taken_for_testing = after_needle_id_taken;
  auto store = MetadataStore::Open(path_, std::move(options));
  REQUIRE(store.ok());
  store_ = std::move(*store);
}

absl::StatusOr<ObjectRecord> StoreFixture::Put(const std::string& bucket,
                                               const std::string& key,
                                               int64_t size,
                                               uint32_t volume_id) {
  BeginUploadRequest begin;
  begin.bucket = bucket;
  begin.key = key;
  begin.size = size;
  begin.content_type = "application/octet-stream";
  begin.volume_id = volume_id;
  begin.cookie = 0x5eed;
  begin.expires = clock_.Now() + absl::Hours(1);
  ASSIGN_OR_RETURN(Upload upload, store_->BeginUpload(begin));
  CommitUploadRequest commit;
  commit.upload_id = upload.upload_id;
  commit.needle = upload.needle;
  commit.size = size;
  commit.etag = "etag-" + key.substr(0, 16);
  for (char& c : commit.etag) {
    if (static_cast<unsigned char>(c) <= 0x20 ||
        static_cast<unsigned char>(c) >= 0x7f) {
      c = '_';
    }
  }
  return store_->CommitUpload(commit);
}

}  // namespace warehouse::master::testing
