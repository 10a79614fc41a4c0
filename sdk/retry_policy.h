// How the client spaces out its retries: a doubling backoff with jitter,
// bounded by a number of attempts.
#ifndef WAREHOUSE_SDK_RETRY_POLICY_H_
#define WAREHOUSE_SDK_RETRY_POLICY_H_

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace warehouse {

// Immutable after construction; thread-safe.
struct RetryPolicy {
  int max_attempts = 4;  // in all, the first included; at least 1
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);

  // How long to sleep before attempt number `attempt` (1 for the first
  // retry): initial_backoff * 2^(attempt-1), capped at max_backoff, then
  // drawn uniformly from its upper half so that clients failing together
  // do not retry together.
  absl::Duration BackoffBefore(int attempt) const;
};

// Whether a failure is worth another attempt of a call that is safe to
// repeat: the peer was unreachable or said to come back later.
bool IsRetryable(const absl::Status& status);

}  // namespace warehouse

#endif  // WAREHOUSE_SDK_RETRY_POLICY_H_
