#include "master/master_http.h"

#include <sys/stat.h>

#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace warehouse::master {
namespace {

// Splits "host:port" or "[v6 host]:port".
absl::Status ParseListenAddress(const std::string& listen,
                                http::ServerOptions* options) {
  const size_t colon = listen.rfind(':');
  uint32_t port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("HTTP listen address \"", listen, "\" is not host:port"));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  options->address = host;
  options->port = static_cast<uint16_t>(port);
  return absl::OkStatus();
}

double FileBytes(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<double>(st.st_size);
}

}  // namespace

absl::StatusOr<std::unique_ptr<MasterHttp>> MasterHttp::Start(
    const std::string& listen, absl::Duration idle_timeout,
    std::shared_ptr<http::ServerCertificate> tls, MetricsRegistry* registry,
    const Topology* topology, const CommandQueue* commands,
    const std::string& db_path, DashboardApi* dashboard) {
  http::ServerOptions options;
  RETURN_IF_ERROR(ParseListenAddress(listen, &options));
  options.idle_timeout = idle_timeout;
  options.tls = std::move(tls);
  options.metrics = registry;

  registry->AddGaugeCallback(
      "warehouse_master_volume_servers",
      "Volume servers the master knows, by status.", {"status"}, [topology] {
        const Topology::Counts counts = topology->counts();
        return std::vector<LabeledValue>{
            {{"online"}, static_cast<double>(counts.online)},
            {{"offline"}, static_cast<double>(counts.offline)}};
      });
  registry->AddGaugeCallback(
      "warehouse_master_volume_servers_draining",
      "Volume servers an operator drained: no uploads or new volumes.",
      [topology] {
        double draining = 0;
        for (const ServerView& server : topology->Servers()) {
          draining += server.draining;
        }
        return draining;
      });
  registry->AddGaugeCallback(
      "warehouse_master_volumes",
      "Volumes the master knows, writable or read-only (marked, or after an "
      "I/O error).",
      {"state"}, [topology] {
        double writable = 0, read_only = 0;
        for (const VolumeLocation& location : topology->Volumes()) {
          (location.volume.read_only ? read_only : writable) += 1;
        }
        return std::vector<LabeledValue>{{{"writable"}, writable},
                                         {{"read_only"}, read_only}};
      });
  registry->AddGaugeCallback("warehouse_master_db_file_bytes",
                             "Size of the SQLite metadata database's files.",
                             {"file"}, [db_path] {
                               return std::vector<LabeledValue>{
                                   {{"main"}, FileBytes(db_path)},
                                   {{"wal"}, FileBytes(db_path + "-wal")}};
                             });
  registry->AddGaugeCallback(
      "warehouse_master_commands_outstanding",
      "Commands sent to volume servers and not yet answered.",
      [commands] { return static_cast<double>(commands->outstanding()); });

  std::unique_ptr<MasterHttp> http(new MasterHttp());
  http->router_.Handle("GET", "/healthz",
                       [](http::Request&, http::ResponseWriter& response) {
                         response.SetHeader("Content-Type", "text/plain");
                         response.Send(200, "ok").IgnoreError();
                       });
  http->router_.Handle(
      "GET", "/metrics",
      [registry](http::Request&, http::ResponseWriter& response) {
        response.SetHeader("Content-Type", MetricsRegistry::kContentType);
        response.Send(200, registry->Render()).IgnoreError();
      });
  if (dashboard != nullptr) dashboard->Register(http->router_);
  ASSIGN_OR_RETURN(http->server_,
                   http::Server::Start(options, http->router_.AsHandler()));
  return http;
}

MasterHttp::~MasterHttp() { Shutdown(absl::ZeroDuration()); }

void MasterHttp::Shutdown(absl::Duration grace) {
  if (server_ != nullptr) server_->Shutdown(grace);
}

}  // namespace warehouse::master
