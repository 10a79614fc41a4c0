// The master's HTTP port: health and Prometheus metrics.
#include <string>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "tests/master/master_test_util.h"

namespace warehouse::master::testing {
namespace {

TEST_CASE("the master answers health checks", "[master][http]") {
  TestMaster m;
  const HttpResponse health = HttpGet(m.server().http_port(), "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok");
  CHECK(HttpGet(m.server().http_port(), "/nothing").status == 404);
}

TEST_CASE("the master's metrics count calls, servers and its database",
          "[master][http]") {
  TestMaster m;
  ScriptedVolumeServer vs(m.channel(), &m.keys(), "vs1", "127.0.0.1:8081");
  v1::VolumeStatus read_only = Volume(2);
  read_only.set_read_only(true);
  vs.ConnectAndAwaitOnline(m, {Volume(1), read_only});
  v1::SetServerDrainingRequest drain;
  drain.set_server_id("vs1");
  drain.set_draining(true);
  v1::SetServerDrainingResponse drained;
  REQUIRE(MASTER_CALL(m, SetServerDraining, drain, &drained, &m.admin()).ok());
  v1::CreateBucketRequest create;
  create.set_bucket("photos");
  v1::CreateBucketResponse created;
  REQUIRE(MASTER_CALL(m, CreateBucket, create, &created, &m.admin()).ok());
  REQUIRE(
      MASTER_CALL(m, CreateBucket, create, &created, &m.admin()).error_code() ==
      grpc::StatusCode::ALREADY_EXISTS);
  REQUIRE(
      MASTER_CALL(m, CreateBucket, create, &created, nullptr).error_code() ==
      grpc::StatusCode::UNAUTHENTICATED);

  const HttpResponse metrics = HttpGet(m.server().http_port(), "/metrics");
  REQUIRE(metrics.status == 200);
  const std::string& text = metrics.body;
  INFO(text);
  const std::string create_method = "/warehouse.v1.Master/CreateBucket";
  CHECK_THAT(text, Catch::Contains(absl::StrCat(
                       "warehouse_master_rpc_requests_total{method=\"",
                       create_method, "\",code=\"OK\"} 1\n")));
  CHECK_THAT(text, Catch::Contains(absl::StrCat(
                       "warehouse_master_rpc_requests_total{method=\"",
                       create_method, "\",code=\"ALREADY_EXISTS\"} 1\n")));
  CHECK_THAT(text, Catch::Contains(absl::StrCat(
                       "warehouse_master_rpc_requests_total{method=\"",
                       create_method, "\",code=\"UNAUTHENTICATED\"} 1\n")));
  CHECK_THAT(text, Catch::Contains(absl::StrCat(
                       "warehouse_master_rpc_duration_seconds_count{method=\"",
                       create_method, "\"} 3\n")));
  CHECK_THAT(text,
             Catch::Contains(
                 "warehouse_master_volume_servers{status=\"online\"} 1\n"));
  CHECK_THAT(text,
             Catch::Contains(
                 "warehouse_master_volume_servers{status=\"offline\"} 0\n"));
  CHECK_THAT(text,
             Catch::Contains("warehouse_master_db_file_bytes{file=\"main\"} "));
  CHECK_THAT(text, !Catch::Contains(
                       "warehouse_master_db_file_bytes{file=\"main\"} 0\n"));
  CHECK_THAT(text,
             Catch::Contains("warehouse_master_commands_outstanding 0\n"));
  CHECK_THAT(text, Catch::Contains("warehouse_master_uploads_unwritten 0\n"));
  CHECK_THAT(text,
             Catch::Contains("warehouse_master_volume_servers_draining 1\n"));
  CHECK_THAT(text, Catch::Contains(
                       "warehouse_master_volumes{state=\"read_only\"} 1\n"
                       "warehouse_master_volumes{state=\"writable\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("# TYPE warehouse_master_compactions_total "
                                   "counter\n"));
  CHECK_THAT(text, Catch::Contains(
                       "warehouse_master_compactions_total{outcome=\"started\"}"
                       " 0\n"));
  CHECK_THAT(text, Catch::Contains(
                       "warehouse_master_compaction_reclaimed_bytes_total 0\n"));
  // Heartbeat streams are counted when they end, never timed.
  CHECK_THAT(text, !Catch::Contains("Cluster/Heartbeat\"} "));

  REQUIRE(vs.Close().ok());
  REQUIRE(Eventually([&] {
    return HttpGet(m.server().http_port(), "/metrics")
               .body.find(
                   "warehouse_master_volume_servers{status=\"offline\"} "
                   "1\n") != std::string::npos;
  }));
  CHECK_THAT(HttpGet(m.server().http_port(), "/metrics").body,
             Catch::Contains("method=\"/warehouse.v1.Cluster/Heartbeat\","
                             "code=\"OK\"} 1\n"));
}

}  // namespace
}  // namespace warehouse::master::testing
