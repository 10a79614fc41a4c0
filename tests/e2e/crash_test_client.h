// The SDK client the crash tests drive a cluster with: one attempt per
// call, so that every outcome they check is the server's, not a retry's.
#ifndef WAREHOUSE_TESTS_E2E_CRASH_TEST_CLIENT_H_
#define WAREHOUSE_TESTS_E2E_CRASH_TEST_CLIENT_H_

#include <memory>
#include <utility>

#include "absl/time/time.h"
#include "catch2/catch.hpp"
#include "tests/support/cluster.h"
#include "warehouse/client.h"

namespace warehouse::testing {

inline std::unique_ptr<Client> ConnectWithoutRetries(const Cluster& cluster) {
  ClientOptions options;
  options.master_address = cluster.master_address();
  options.access_key_id = cluster.access_key_id();
  options.secret_access_key = cluster.secret_access_key();
  options.max_attempts = 1;
  options.call_timeout = absl::Seconds(5);
  options.transfer_timeout = absl::Seconds(5);
  options.read_url_cache_ttl = absl::ZeroDuration();
  auto client = Client::Create(options);
  REQUIRE(client.ok());
  return *std::move(client);
}

}  // namespace warehouse::testing

#endif  // WAREHOUSE_TESTS_E2E_CRASH_TEST_CLIENT_H_
