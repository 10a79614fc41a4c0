#include "tests/support/cluster.h"

#include <sys/stat.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/grpc_auth.h"
#include "common/key_ring.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "common/tls_credentials.h"
#include "grpcpp/grpcpp.h"
#include "proto/warehouse/master.grpc.pb.h"

namespace warehouse::testing {
namespace {

// The "host:port" that follows `marker` in `line`, up to a ',' or the end.
std::string AddressAfter(absl::string_view line, absl::string_view marker) {
  size_t at = line.find(marker);
  if (at == absl::string_view::npos) return "";
  absl::string_view rest = line.substr(at + marker.size());
  return std::string(rest.substr(0, rest.find_first_of(", \n")));
}

std::string FormatSeconds(absl::Duration d) {
  return absl::StrCat(absl::ToDoubleMilliseconds(d), "ms");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Cluster>> Cluster::Start(ClusterOptions options) {
  std::unique_ptr<Cluster> cluster(new Cluster(std::move(options)));
  ASSIGN_OR_RETURN(KeyRing::Key key, GenerateKey("k1"));
  cluster->cluster_key_ = FormatKeyRingEntry(key);
  RETURN_IF_ERROR(cluster->CreateAdminKey());
  // The master keeps its port across restarts: volume servers and clients
  // know it only by address.
  ASSIGN_OR_RETURN(cluster->master_port_, HeldPort::Reserve());
  RETURN_IF_ERROR(cluster->StartMaster(
      absl::StrCat("127.0.0.1:", cluster->master_port_.port())));
  for (int i = 0; i < cluster->options_.volume_servers; ++i) {
    VolumeServer server;
    server.data_dir = cluster->dir_.Join(absl::StrCat("volume", i));
    server.log_path = cluster->dir_.Join(absl::StrCat("volume", i, ".log"));
    cluster->volumes_.push_back(std::move(server));
  }
  for (VolumeServer& server : cluster->volumes_) {
    RETURN_IF_ERROR(cluster->StartVolumeServer(server));
  }
  RETURN_IF_ERROR(cluster->WaitForOnlineServers(cluster->volumes_.size(),
                                                cluster->options_.start_timeout));
  return cluster;
}

Cluster::~Cluster() {
  // Volume servers first, so none reconnects to a master being torn down.
  for (VolumeServer& server : volumes_) server.process.reset();
  master_.reset();
}

absl::Status Cluster::CreateAdminKey() {
  ASSIGN_OR_RETURN(
      CommandResult created,
      RunCommand({options_.master_bin, "key", "create", "--role", "admin",
                  "--description", "test cluster admin", "--db", db_path(),
                  "--schema", "--log-level", options_.log_level},
                 env(), options_.start_timeout));
  if (created.exit_code != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "warehouse-master key create exited with ", created.exit_code, ": ",
        created.output));
  }
  for (absl::string_view line : absl::StrSplit(created.output, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "access_key_id:")) {
      access_key_id_ = std::string(absl::StripAsciiWhitespace(line));
    } else if (absl::ConsumePrefix(&line, "secret_access_key:")) {
      secret_ = std::string(absl::StripAsciiWhitespace(line));
    }
  }
  if (access_key_id_.empty() || secret_.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "warehouse-master key create printed no key: ", created.output));
  }
  return absl::OkStatus();
}

absl::Status Cluster::StartMaster(const std::string& listen,
                                  const Env& extra_env) {
  std::vector<std::string> argv = {
      options_.master_bin,   "--listen",
      listen,                "--http-listen",
      "127.0.0.1:0",         "--db",
      db_path(),             "--schema",
      "--heartbeat-interval", FormatSeconds(options_.heartbeat_interval),
      "--log-level",         options_.log_level};
  argv.insert(argv.end(), options_.master_args.begin(),
              options_.master_args.end());
  Env process_env = env();
  process_env.insert(process_env.end(), extra_env.begin(), extra_env.end());
  ASSIGN_OR_RETURN(master_,
                   Process::Start(argv, process_env, master_log_path()));
  ASSIGN_OR_RETURN(std::string line,
                   master_->WaitForLine("serving gRPC on ",
                                        options_.start_timeout));
  master_address_ = AddressAfter(line, "serving gRPC on ");
  master_http_address_ = AddressAfter(line, "HTTP on ");
  if (master_address_.empty() || master_http_address_.empty()) {
    return absl::InternalError(absl::StrCat("no address in \"", line, "\""));
  }
  return absl::OkStatus();
}

absl::Status Cluster::StartVolumeServer(VolumeServer& server,
                                        const Env& extra_env) {
  std::vector<std::string> argv = {
      options_.volume_bin,
      "--master",
      master_address_,
      "--dir",
      server.data_dir,
      "--port",
      "0",
      "--admin-listen",
      "127.0.0.1:0",
      "--volume-size",
      options_.volume_size,
      "--heartbeat-interval",
      absl::StrCat(absl::ToDoubleSeconds(options_.heartbeat_interval)),
      "--log-level",
      options_.log_level};
  argv.insert(argv.end(), options_.volume_args.begin(),
              options_.volume_args.end());
  Env process_env = env();
  process_env.insert(process_env.end(), extra_env.begin(), extra_env.end());
  ASSIGN_OR_RETURN(server.process,
                   Process::Start(argv, process_env, server.log_path));
  ASSIGN_OR_RETURN(std::string line,
                   server.process->WaitForLine("serving HTTP on ",
                                               options_.start_timeout));
  server.address = AddressAfter(line, "serving HTTP on ");
  if (server.address.empty()) {
    return absl::InternalError(absl::StrCat("no address in \"", line, "\""));
  }
  return absl::OkStatus();
}

void Cluster::KillVolumeServer(size_t i) { volumes_[i].process->Kill(); }

absl::Status Cluster::RestartVolumeServer(size_t i) {
  volumes_[i].process->Kill();
  RETURN_IF_ERROR(StartVolumeServer(volumes_[i]));
  size_t running = 0;
  for (VolumeServer& server : volumes_) running += server.process->running();
  return WaitForOnlineServers(running, options_.start_timeout);
}

absl::Status Cluster::RestartMaster() {
  return RestartMaster([] { return absl::OkStatus(); });
}

absl::Status Cluster::RestartMaster(
    const std::function<absl::Status()>& while_stopped) {
  master_->Kill();
  RETURN_IF_ERROR(while_stopped());
  RETURN_IF_ERROR(StartMaster(master_address_));
  size_t running = 0;
  for (VolumeServer& server : volumes_) running += server.process->running();
  return WaitForOnlineServers(running, options_.start_timeout);
}

absl::Status Cluster::RestartMasterWithEnv(const Env& extra_env) {
  master_->Kill();
  return StartMaster(master_address_, extra_env);
}

absl::Status Cluster::RestartVolumeServerWithEnv(size_t i,
                                                 const Env& extra_env) {
  volumes_[i].process->Kill();
  return StartVolumeServer(volumes_[i], extra_env);
}

absl::Status Cluster::WaitForOnlineServers(size_t online,
                                           absl::Duration timeout) {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> credentials,
                   MakeChannelCredentials(options_.tls_ca_file));
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(master_address_, credentials);
  std::unique_ptr<v1::Master::Stub> stub = v1::Master::NewStub(channel);
  const absl::Time deadline = absl::Now() + timeout;
  std::string last = "no answer yet";
  while (absl::Now() < deadline) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    RETURN_IF_ERROR(AttachAuthorization(
        &context, FullMethodName(v1::Master::service_full_name(), "ListServers"),
        access_key_id_, secret_, absl::Now()));
    v1::ListServersResponse response;
    absl::Status status = FromGrpcStatus(
        stub->ListServers(&context, v1::ListServersRequest(), &response));
    if (status.ok()) {
      size_t count = 0;
      for (const v1::ServerInfo& server : response.servers()) {
        count += server.status() == v1::SERVER_STATUS_ONLINE;
      }
      if (count == online) return absl::OkStatus();
      last = absl::StrCat(count, " online of ", response.servers_size());
    } else {
      last = status.ToString();
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "waiting for ", online, " volume servers online: ", last, "; master log:\n",
      master_ ? master_->Log() : ""));
}

}  // namespace warehouse::testing
