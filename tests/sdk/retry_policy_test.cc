#include "sdk/retry_policy.h"

#include "catch2/catch.hpp"

namespace warehouse {
namespace {

TEST_CASE("backoff doubles from the initial value up to the cap, jittered",
          "[sdk]") {
  RetryPolicy policy{5, absl::Milliseconds(100), absl::Milliseconds(350)};
  for (int round = 0; round < 50; ++round) {
    const absl::Duration first = policy.BackoffBefore(1);
    CHECK(first >= absl::Milliseconds(50));
    CHECK(first <= absl::Milliseconds(100));
    const absl::Duration second = policy.BackoffBefore(2);
    CHECK(second >= absl::Milliseconds(100));
    CHECK(second <= absl::Milliseconds(200));
    const absl::Duration capped = policy.BackoffBefore(30);
    CHECK(capped >= absl::Milliseconds(175));
    CHECK(capped <= absl::Milliseconds(350));
  }
}

TEST_CASE("only Unavailable is worth retrying", "[sdk]") {
  CHECK(IsRetryable(absl::UnavailableError("down")));
  CHECK_FALSE(IsRetryable(absl::OkStatus()));
  CHECK_FALSE(IsRetryable(absl::NotFoundError("gone")));
  CHECK_FALSE(IsRetryable(absl::DeadlineExceededError("slow")));
  CHECK_FALSE(IsRetryable(absl::PermissionDeniedError("no")));
}

}  // namespace
}  // namespace warehouse
