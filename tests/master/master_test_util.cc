#include "tests/master/master_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "common/status_mapping.h"

namespace warehouse::master::testing {

bool Eventually(const std::function<bool()>& condition, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  for (;;) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
}

KeyRing MakeClusterKeys() {
  absl::StatusOr<KeyRing::Key> key = GenerateKey("k1");
  REQUIRE(key.ok());
  absl::StatusOr<KeyRing> ring = KeyRing::Create({*std::move(key)});
  REQUIRE(ring.ok());
  return *std::move(ring);
}

MasterServer::Options TestOptions(const std::string& db_path) {
  MasterServer::Options options;
  options.listen = "127.0.0.1:0";
  options.http_listen = "127.0.0.1:0";
  options.db_path = db_path;
  options.apply_schema = true;
  options.heartbeat_interval = absl::Seconds(20);  // offline after 60 s
  options.shutdown_grace = absl::Seconds(2);
  options.placement.min_writable_volumes = 1;
  options.placement.growth_probe_bytes = 1;
  options.placement.growth_timeout = kWaitLimit;
  options.deletion.interval = absl::Milliseconds(20);
  return options;
}

TestMaster::TestMaster(
    const std::function<void(MasterServer::Options&)>& adjust)
    : keys_(MakeClusterKeys()) {
  MasterServer::Options options = TestOptions(dir_.Join("meta.db"));
  if (adjust) adjust(options);
  absl::StatusOr<KeyRing> keys = KeyRing::Create(keys_.keys());
  REQUIRE(keys.ok());
  absl::StatusOr<std::unique_ptr<MasterServer>> server =
      MasterServer::Start(std::move(options), *std::move(keys));
  INFO(server.status().ToString());
  REQUIRE(server.ok());
  server_ = *std::move(server);
  admin_ = CreateKey(Role::kAdmin);
  channel_ = grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
  master_ = v1::Master::NewStub(channel_);
  cluster_ = v1::Cluster::NewStub(channel_);
}

TestMaster::~TestMaster() { server_->Shutdown(); }

std::string TestMaster::address() const {
  return absl::StrCat("127.0.0.1:", server_->grpc_port());
}

Credentials TestMaster::CreateKey(Role role, std::vector<std::string> buckets) {
  absl::StatusOr<NewAccessKey> created =
      server_->access_keys().Create(role, std::move(buckets), "test key");
  INFO(created.status().ToString());
  REQUIRE(created.ok());
  return Credentials{created->key.access_key_id, created->secret};
}

grpc::Status TestMaster::Prepare(grpc::ClientContext* context,
                                 absl::string_view method,
                                 const Credentials* credentials) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + kWaitLimit));
  if (credentials == nullptr) return grpc::Status::OK;
  absl::Status signed_call = AttachAuthorization(
      context, FullMethodName(v1::Master::service_full_name(), method),
      credentials->id, credentials->secret, absl::Now());
  if (!signed_call.ok()) {
    return grpc::Status(
        grpc::StatusCode::INTERNAL,
        absl::StrCat("signing the test call: ", signed_call.ToString()));
  }
  return grpc::Status::OK;
}

grpc::Status TestMaster::ReportUploads(
    const std::string& server_id, const std::vector<v1::UploadReport>& uploads,
    v1::ReportUploadsResponse* response) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kWaitLimit));
  const KeyRing::Key& key = keys_.primary();
  REQUIRE(AttachAuthorization(
              &context,
              FullMethodName(v1::Cluster::service_full_name(), "ReportUploads"),
              key.id, key.secret, absl::Now())
              .ok());
  v1::ReportUploadsRequest request;
  request.set_server_id(server_id);
  for (const v1::UploadReport& upload : uploads) {
    *request.add_uploads() = upload;
  }
  return cluster_->ReportUploads(&context, request, response);
}

HttpResponse HttpGet(int port, const std::string& path) {
  HttpResponse response;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  timeval timeout{static_cast<time_t>(absl::ToInt64Seconds(kWaitLimit)), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string raw;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address),
                sizeof(address)) == 0) {
    const std::string request =
        absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                     "Connection: close\r\n\r\n");
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buf[4096];
      for (;;) {
        const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) break;
        raw.append(buf, static_cast<size_t>(n));
      }
    }
  }
  ::close(fd);
  const size_t header_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || header_end == std::string::npos) {
    return response;
  }
  if (!absl::SimpleAtoi(raw.substr(9, 3), &response.status)) {
    response.status = 0;
  }
  response.body = raw.substr(header_end + 4);
  return response;
}

v1::VolumeStatus Volume(uint32_t volume_id, uint64_t size_bytes,
                        uint64_t max_size_bytes) {
  v1::VolumeStatus status;
  status.set_volume_id(volume_id);
  status.set_size_bytes(size_bytes);
  status.set_live_bytes(size_bytes);
  status.set_max_size_bytes(max_size_bytes);
  return status;
}

ScriptedVolumeServer::ScriptedVolumeServer(
    std::shared_ptr<grpc::Channel> channel, const KeyRing* keys,
    std::string server_id, std::string public_address)
    : stub_(v1::Cluster::NewStub(std::move(channel))),
      keys_(keys),
      server_id_(std::move(server_id)),
      public_address_(std::move(public_address)) {}

ScriptedVolumeServer::~ScriptedVolumeServer() {
  if (context_ != nullptr) context_->TryCancel();
  JoinReader();
}

void ScriptedVolumeServer::JoinReader() {
  if (reader_.joinable()) reader_.join();
}

bool ScriptedVolumeServer::Connect(const std::vector<v1::VolumeStatus>& volumes,
                                   uint32_t max_volumes,
                                   const v1::VolumeServerMessage* first,
                                   const KeyRing::Key* key) {
  if (context_ != nullptr) context_->TryCancel();
  JoinReader();
  {
    absl::MutexLock lock(&mu_);
    commands_.clear();
    ended_.reset();
  }
  context_ = std::make_unique<grpc::ClientContext>();
  const KeyRing::Key& signing = key != nullptr ? *key : keys_->primary();
  REQUIRE(AttachAuthorization(
              context_.get(),
              FullMethodName(v1::Cluster::service_full_name(), "Heartbeat"),
              signing.id, signing.secret, absl::Now())
              .ok());
  stream_ = stub_->Heartbeat(context_.get());
  {
    absl::MutexLock write_lock(&write_mu_);
    writes_closed_ = false;
  }
  reader_ = std::thread([this] {
    v1::MasterCommand command;
    while (stream_->Read(&command)) {
      absl::MutexLock lock(&mu_);
      commands_.push_back(command);
    }
    grpc::Status status;
    {
      absl::MutexLock write_lock(&write_mu_);
      writes_closed_ = true;
      status = stream_->Finish();
    }
    absl::MutexLock lock(&mu_);
    ended_ = status;
  });
  v1::VolumeServerMessage registration;
  if (first != nullptr) {
    registration = *first;
  } else {
    v1::Registration* r = registration.mutable_registration();
    r->set_server_id(server_id_);
    r->set_public_address(public_address_);
    for (const v1::VolumeStatus& volume : volumes) *r->add_volumes() = volume;
    r->set_max_volumes(max_volumes);
    r->set_disk_free_bytes(uint64_t{100} << 30);
  }
  return Write(registration);
}

void ScriptedVolumeServer::ConnectAndAwaitOnline(
    TestMaster& master, const std::vector<v1::VolumeStatus>& volumes,
    uint32_t max_volumes) {
  REQUIRE(Connect(volumes, max_volumes));
  REQUIRE(Eventually(
      [&] { return master.server().topology().IsOnline(server_id_); }));
}

bool ScriptedVolumeServer::Heartbeat(
    const std::vector<v1::VolumeStatus>& volumes) {
  v1::VolumeServerMessage message;
  v1::HeartbeatReport* report = message.mutable_heartbeat();
  for (const v1::VolumeStatus& volume : volumes)
    *report->add_volumes() = volume;
  report->set_disk_free_bytes(uint64_t{100} << 30);
  return Write(message);
}

bool ScriptedVolumeServer::SendResult(uint64_t command_id,
                                      const absl::Status& status,
                                      uint64_t bytes_reclaimed) {
  v1::VolumeServerMessage message;
  v1::CommandResult* result = message.mutable_command_result();
  result->set_command_id(command_id);
  *result->mutable_status() = ToRpcStatus(status);
  result->set_bytes_reclaimed(bytes_reclaimed);
  return Write(message);
}

bool ScriptedVolumeServer::Write(const v1::VolumeServerMessage& message) {
  absl::MutexLock write_lock(&write_mu_);
  return !writes_closed_ && stream_->Write(message);
}

std::optional<v1::MasterCommand> ScriptedVolumeServer::NextCommand(
    absl::Duration limit) {
  absl::MutexLock lock(&mu_);
  auto has_command = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !commands_.empty();
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&has_command), limit)) {
    return std::nullopt;
  }
  v1::MasterCommand command = std::move(commands_.front());
  commands_.pop_front();
  return command;
}

grpc::Status ScriptedVolumeServer::Close() {
  {
    absl::MutexLock write_lock(&write_mu_);
    if (!writes_closed_) stream_->WritesDone();
  }
  std::optional<grpc::Status> status = AwaitEnd();
  REQUIRE(status.has_value());
  JoinReader();
  context_.reset();
  return *status;
}

std::optional<grpc::Status> ScriptedVolumeServer::AwaitEnd(
    absl::Duration limit) {
  absl::MutexLock lock(&mu_);
  auto ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return ended_.has_value();
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&ended), limit)) {
    return std::nullopt;
  }
  return ended_;
}

}  // namespace warehouse::master::testing
