// The master verifying volumes by itself (master/auto_verifier.h): which
// volume is due, and what a verification that cannot reach its server
// leaves behind. tests/tools/warehouse_cli_test.cc runs it against real
// volume servers.
#include <map>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "master/auto_verifier.h"
#include "tests/master/master_test_util.h"
#include "tests/support/held_port.h"

namespace warehouse::master::testing {
namespace {

VolumeView WithNeedles(uint32_t volume_id, uint64_t needles) {
  VolumeView volume;
  volume.volume_id = volume_id;
  volume.size_bytes = needles * 4096;
  volume.live_bytes = volume.size_bytes;
  volume.needle_count = needles;
  return volume;
}

VerificationRecord FinishedAt(absl::Time finished) {
  VerificationRecord verification;
  verification.started = finished - absl::Minutes(5);
  verification.finished = finished;
  verification.needles_checked = 10;
  return verification;
}

TEST_CASE("the volume due is the one verified longest ago, never verified "
          "first",
          "[master][verification]") {
  AutoVerifier::Options options;
  options.every = absl::Hours(24);
  const absl::Time now = absl::FromUnixSeconds(1800000000);
  ServerView server;
  server.volumes = {WithNeedles(1, 5), WithNeedles(2, 5), WithNeedles(3, 5)};
  std::map<uint32_t, VerificationRecord> latest = {
      {1, FinishedAt(now - absl::Hours(30))},
      {2, FinishedAt(now - absl::Hours(2))}};
  const std::map<uint32_t, absl::Time> no_retries;

  // 3 was never verified.
  CHECK(AutoVerifier::Due(server, latest, no_retries, now, options) == 3);
  latest[3] = FinishedAt(now - absl::Hours(25));
  CHECK(AutoVerifier::Due(server, latest, no_retries, now, options) == 1);
  // Nothing is due before its latest verification is `every` old.
  latest[1] = FinishedAt(now - absl::Hours(1));
  latest[3] = FinishedAt(now - absl::Hours(23));
  CHECK_FALSE(
      AutoVerifier::Due(server, latest, no_retries, now, options).has_value());
  CHECK(AutoVerifier::Due(server, latest, no_retries, now + absl::Hours(1),
                          options) == 3);

  // A volume being compacted, or without needles, waits; so does one whose
  // verification failed, until its retry time.
  latest.clear();
  server.volumes[0].compacting = true;
  server.volumes[1].needle_count = 0;
  const std::map<uint32_t, absl::Time> retry = {{3, now + absl::Minutes(10)}};
  CHECK_FALSE(
      AutoVerifier::Due(server, latest, retry, now, options).has_value());
  CHECK(AutoVerifier::Due(server, latest, retry, now + absl::Minutes(10),
                          options) == 3);
}

TEST_CASE("a verification that cannot reach its server is tried again "
          "after the retry delay",
          "[master][verification]") {
  TestMaster m([](MasterServer::Options& options) {
    options.auto_verification.every = absl::ZeroDuration();  // off
  });
  // A port nobody listens on: the volume server's admin service is down.
  absl::StatusOr<warehouse::testing::HeldPort> port =
      warehouse::testing::HeldPort::Reserve();
  REQUIRE(port.ok());
  ScriptedVolumeServer down(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  v1::VolumeServerMessage registration;
  v1::Registration* r = registration.mutable_registration();
  r->set_server_id("vs1");
  r->set_public_address("127.0.0.1:8081");
  r->set_admin_address(absl::StrCat("127.0.0.1:", port->port()));
  r->set_max_volumes(8);
  v1::VolumeStatus volume = Volume(1, 4096);
  volume.set_needle_count(1);
  *r->add_volumes() = volume;
  REQUIRE(down.Connect({}, 8, &registration));
  // Its neighbour registered no admin address: nothing can be asked of it.
  ScriptedVolumeServer silent(m.channel(), &m.keys(), "vs2", "127.0.0.1:8082");
  v1::VolumeStatus other = Volume(2, 4096);
  other.set_needle_count(1);
  silent.ConnectAndAwaitOnline(m, {other});
  REQUIRE(Eventually([&] { return m.server().topology().IsOnline("vs1"); }));

  AutoVerifier::Options options;
  options.every = absl::Hours(24);
  options.retry_delay = absl::Hours(1);
  AutoVerifier verifier(&m.server().topology(), &m.server().verifier(),
                        options);
  const absl::Time now = absl::Now();
  CHECK(verifier.RunOnce(now) == std::vector<uint32_t>{1});
  verifier.WaitIdleForTesting();
  CHECK(m.server().verifier().stats().failed == 1);
  CHECK(m.server().verifier().Latest().empty());
  CHECK(verifier.RunOnce(now + absl::Minutes(59)).empty());
  CHECK(verifier.RunOnce(now + absl::Minutes(61)) == std::vector<uint32_t>{1});
  verifier.WaitIdleForTesting();
  CHECK(m.server().verifier().stats().failed == 2);
}

}  // namespace
}  // namespace warehouse::master::testing
