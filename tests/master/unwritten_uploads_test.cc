#include "master/unwritten_uploads.h"

#include <algorithm>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "catch2/catch.hpp"

namespace warehouse::master {
namespace {

UnwrittenUploads::Row RowOf(uint32_t volume_id, uint64_t needle_id,
                            int64_t bucket_id = 1) {
  UnwrittenUploads::Row row;
  row.bucket_id = bucket_id;
  row.upload.upload_id = static_cast<int64_t>(needle_id);
  row.upload.key = "k" + std::to_string(needle_id);
  row.upload.needle = {volume_id, needle_id, 0xc0};
  return row;
}

std::vector<uint64_t> Sorted(std::vector<uint64_t> ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST_CASE("a claimed row is handed out once and counted until settled",
          "[master][unwritten]") {
  UnwrittenUploads rows(absl::Hours(1));
  rows.Add(RowOf(1, 7));
  rows.Add(RowOf(2, 7));
  std::optional<UnwrittenUploads::Row> claimed = rows.Claim(1, 7);
  REQUIRE(claimed.has_value());
  CHECK(claimed->upload.key == "k7");
  CHECK(claimed->upload.needle.volume_id == 1u);
  CHECK_FALSE(rows.Claim(1, 7).has_value());
  CHECK_FALSE(rows.Claim(1, 8).has_value());
  // Still pending to a reader until its transaction settles it.
  CHECK(rows.Contains(1, 7));
  CHECK(rows.NeedleIds(1) == std::vector<uint64_t>{7});
  CHECK(rows.size() == 2);

  rows.Settle({*claimed}, /*committed=*/true);
  CHECK_FALSE(rows.Contains(1, 7));
  CHECK(rows.NeedleIds(1).empty());
  CHECK(rows.Contains(2, 7));
  CHECK(rows.size() == 1);
}

TEST_CASE("a claim whose transaction failed gives the row back",
          "[master][unwritten]") {
  UnwrittenUploads rows(absl::Hours(1));
  rows.Add(RowOf(1, 3));
  std::optional<UnwrittenUploads::Row> claimed = rows.Claim(1, 3);
  REQUIRE(claimed.has_value());
  rows.Settle({*claimed}, /*committed=*/false);
  CHECK(rows.Contains(1, 3));
  CHECK(rows.Claim(1, 3).has_value());
}

TEST_CASE("rows fall due in the order they were added", "[master][unwritten]") {
  UnwrittenUploads rows(absl::Milliseconds(20));
  const absl::Time start = absl::Now();
  rows.Add(RowOf(1, 1));
  rows.Add(RowOf(1, 2));
  rows.Add(RowOf(1, 3));
  // None is due before the delay has passed.
  CHECK(rows.ClaimDue(start).empty());
  // One claimed by its commit is not handed out as due.
  REQUIRE(rows.Claim(1, 2).has_value());
  std::vector<UnwrittenUploads::Row> due =
      rows.ClaimDue(absl::Now() + absl::Seconds(1));
  REQUIRE(due.size() == 2);
  CHECK(due[0].upload.needle.needle_id == 1u);
  CHECK(due[1].upload.needle.needle_id == 3u);
  CHECK(rows.ClaimDue(absl::Now() + absl::Seconds(1)).empty());
  CHECK(rows.size() == 3);  // all claimed, none settled
  rows.Settle(due, /*committed=*/false);
  // Given back: due again a delay later.
  CHECK(rows.ClaimDue(absl::Now() + absl::Seconds(1)).size() == 2);
}

TEST_CASE("rows are claimed by what they hold", "[master][unwritten]") {
  UnwrittenUploads rows(absl::Hours(1));
  rows.Add(RowOf(1, 1, /*bucket_id=*/5));
  rows.Add(RowOf(1, 2, /*bucket_id=*/6));
  rows.Add(RowOf(3, 3, /*bucket_id=*/5));
  std::vector<UnwrittenUploads::Row> of_bucket = rows.ClaimIf(
      [](const UnwrittenUploads::Row& row) { return row.bucket_id == 5; });
  std::vector<uint64_t> ids;
  for (const UnwrittenUploads::Row& row : of_bucket) {
    ids.push_back(row.upload.needle.needle_id);
  }
  CHECK(Sorted(ids) == std::vector<uint64_t>{1, 3});
  CHECK(rows.Claim(1, 2).has_value());
  CHECK_FALSE(rows.Claim(3, 3).has_value());
}

TEST_CASE("the row writer waits for the first due row or a wake-up",
          "[master][unwritten]") {
  UnwrittenUploads rows(absl::Milliseconds(30));
  bool woken = true;
  absl::Time returned;
  std::thread waiter([&] {
    woken = rows.WaitForDue();  // nothing here yet: waits for an Add
    returned = absl::Now();
  });
  absl::SleepFor(absl::Milliseconds(10));
  const absl::Time added = absl::Now();
  rows.Add(RowOf(1, 1));
  waiter.join();
  CHECK_FALSE(woken);
  CHECK(returned >= added + absl::Milliseconds(30));
  CHECK(rows.ClaimDue(absl::Now()).size() == 1);

  // With nothing due, Wake ends the wait, and every wait after it.
  std::thread stopped([&] { woken = rows.WaitForDue(); });
  absl::SleepFor(absl::Milliseconds(10));
  rows.Wake();
  stopped.join();
  CHECK(woken);
  CHECK(rows.WaitForDue());
}

}  // namespace
}  // namespace warehouse::master
