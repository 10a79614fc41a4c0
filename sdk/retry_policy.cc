#include "sdk/retry_policy.h"

#include <algorithm>

#include "absl/random/random.h"

namespace warehouse {

absl::Duration RetryPolicy::BackoffBefore(int attempt) const {
  absl::Duration backoff = initial_backoff;
  for (int i = 1; i < attempt && backoff < max_backoff; ++i) backoff *= 2;
  backoff = std::min(backoff, max_backoff);
  thread_local absl::BitGen random;
  return backoff / 2 + absl::Uniform(random, 0.0, 1.0) * (backoff / 2);
}

bool IsRetryable(const absl::Status& status) {
  return absl::IsUnavailable(status);
}

}  // namespace warehouse
