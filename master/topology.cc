#include "master/topology.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {
namespace {

constexpr size_t kMaxServerIdLength = 64;
constexpr size_t kMaxAddressLength = 255;

// 1 to 64 characters of letters, digits, '-', '_' and '.'.
absl::Status ValidateServerId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxServerIdLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("volume server id \"", id, "\" must be 1 to ",
                     kMaxServerIdLength, " characters"));
  }
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') {
      return absl::InvalidArgumentError(
          absl::StrCat("volume server id \"", id,
                       "\" may hold only letters, digits, '-', '_' and '.'"));
    }
  }
  return absl::OkStatus();
}

// host:port, where clients can reach the server's HTTP data path.
absl::Status ValidatePublicAddress(absl::string_view server_id,
                                   absl::string_view address) {
  const size_t colon = address.rfind(':');
  uint32_t port = 0;
  const bool well_formed =
      !address.empty() && address.size() <= kMaxAddressLength &&
      colon != absl::string_view::npos && colon > 0 &&
      absl::SimpleAtoi(address.substr(colon + 1), &port) && port > 0 &&
      port <= 65535 && std::all_of(address.begin(), address.end(), [](char c) {
        return absl::ascii_isgraph(c) && c != '/' && c != '?' && c != '#' &&
               c != '@';
      });
  if (!well_formed) {
    return absl::InvalidArgumentError(absl::StrCat(
        "volume server ", server_id, ": public address \"", address,
        "\" is not host:port with a port from 1 to 65535"));
  }
  return absl::OkStatus();
}

absl::Status ValidateReport(absl::string_view server_id,
                            const ServerReport& report) {
  for (const VolumeView& volume : report.volumes) {
    if (volume.volume_id == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("volume server ", server_id,
                       ": reported volume id 0, which is never allocated"));
    }
  }
  return absl::OkStatus();
}

int64_t ClampToInt64(uint64_t value) {
  return static_cast<int64_t>(
      std::min<uint64_t>(value, std::numeric_limits<int64_t>::max()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Topology>> Topology::Create(MetadataStore* store,
                                                           Options options) {
  if (options.check_interval <= absl::ZeroDuration()) {
    options.check_interval =
        std::max(options.offline_after / 10, absl::Milliseconds(10));
  }
  ASSIGN_OR_RETURN(std::vector<ServerRecord> servers, store->ListServers());
  ASSIGN_OR_RETURN(std::vector<VolumeRecord> volumes, store->ListVolumes());
  ASSIGN_OR_RETURN(auto stale, store->ListStaleCopies());
  std::unique_ptr<Topology> topology(new Topology(store, options));
  absl::MutexLock lock(&topology->mu_);
  topology->stale_ = std::move(stale);
  for (const ServerRecord& record : servers) {
    if (record.status == ServerStatus::kAlive) {
      // No stream is open to a master that just started.
      RETURN_IF_ERROR(
          store->MarkServerStatus(record.server_id, ServerStatus::kDown));
    }
    Server& server = topology->servers_[record.server_id];
    server.view.server_id = record.server_id;
    server.view.public_address = record.address;
    server.view.draining = record.status == ServerStatus::kDraining;
    server.view.last_heartbeat = record.last_heartbeat;
  }
  for (const VolumeRecord& record : volumes) {
    auto it = topology->servers_.find(record.server_id);
    if (it == topology->servers_.end()) continue;  // foreign key: never
    VolumeView& volume = it->second.volumes[record.volume_id];
    volume.volume_id = record.volume_id;
    volume.size_bytes = static_cast<uint64_t>(record.size_bytes);
    volume.live_bytes = static_cast<uint64_t>(record.live_bytes);
    volume.garbage_bytes = static_cast<uint64_t>(record.garbage_bytes);
    volume.needle_count = static_cast<uint64_t>(record.needle_count);
    volume.read_only = record.read_only;
    topology->volume_owner_[record.volume_id] = record.server_id;
  }
  return topology;
}

Topology::~Topology() { StopMonitor(); }

void Topology::StartMonitor() {
  monitor_.Start(options_.check_interval,
                 [this] { CheckDeadlines(absl::Now()); });
}

void Topology::StopMonitor() { monitor_.Stop(); }

absl::StatusOr<uint64_t> Topology::Register(
    const ServerRegistration& registration, CancelStream cancel) {
  const std::string& id = registration.server_id;
  RETURN_IF_ERROR(ValidateServerId(id));
  RETURN_IF_ERROR(ValidatePublicAddress(id, registration.public_address));
  RETURN_IF_ERROR(ValidateReport(id, registration.report));
  if (2 * registration.heartbeat_interval > options_.offline_after) {
    return absl::FailedPreconditionError(absl::StrCat(
        "volume server ", id, " heartbeats every ",
        absl::FormatDuration(registration.heartbeat_interval),
        ", but this master marks a server offline after ",
        absl::FormatDuration(options_.offline_after),
        " without one, which must span two heartbeats: give the master and "
        "its volume servers the same --heartbeat-interval, or raise the "
        "master's --offline-after"));
  }
  const absl::Time now = absl::Now();
  uint64_t session = 0;
  {
    absl::MutexLock lock(&mu_);
    auto existing = servers_.find(id);
    if (existing != servers_.end() && existing->second.session != 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("volume server ", id,
                       " already has an open heartbeat stream (last heartbeat ",
                       absl::FormatTime(existing->second.view.last_heartbeat),
                       "); the master ends it when it falls silent"));
    }
    RETURN_IF_ERROR(CheckVolumeOwners(id, registration.report));
    // Reserved, and its volumes claimed, but not online (offered to
    // placement and lookups) until the database has it.
    Server& server = servers_[id];
    // A registration lists what the server holds now.
    for (auto it = unreported_.begin(); it != unreported_.end();) {
      it = it->second == id ? unreported_.erase(it) : std::next(it);
    }
    session = ++last_session_;
    server.session = session;
    server.cancel = std::move(cancel);
    server.view.server_id = id;
    server.view.public_address = registration.public_address;
    server.view.admin_address = registration.admin_address;
    server.view.http_tls = registration.http_tls;
    server.view.online = false;
    server.view.last_heartbeat = now;
    server.view.max_volumes = registration.max_volumes;
    server.silent_since = absl::InfiniteFuture();
    ApplyReport(server, registration.report);
  }
  absl::MutexLock persist_lock(&persist_mu_);
  const absl::Status written =
      WriteReport(id, registration.public_address, now, registration.report);
  bool still_open = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = servers_.find(id);
    still_open = it != servers_.end() && it->second.session == session;
    if (still_open) EndRecording(it->second);
    if (still_open && written.ok()) {
      it->second.view.online = true;
      changed_.SignalAll();
    } else if (still_open) {
      MarkOffline(it->second);
    }
  }
  if (!written.ok() || !still_open) {
    const absl::Status offline = PersistOffline(id);
    if (!offline.ok()) {
      spdlog::warn("volume server {}: offline status not recorded: {}", id,
                   offline.ToString());
    }
  }
  if (!written.ok()) {
    return absl::UnavailableError(
        absl::StrCat("volume server ", id, ": could not record its ",
                     "registration: ", written.message()));
  }
  if (!still_open) {
    return absl::UnavailableError(absl::StrCat(
        "volume server ", id, ": its stream ended during registration"));
  }
  spdlog::info("volume server {} online at {} with {} volumes", id,
               registration.public_address, registration.report.volumes.size());
  return session;
}

absl::Status Topology::Report(absl::string_view server_id, uint64_t session,
                              const ServerReport& report) {
  RETURN_IF_ERROR(ValidateReport(server_id, report));
  const std::string id(server_id);
  const absl::Time now = absl::Now();
  std::string address;
  {
    absl::MutexLock lock(&mu_);
    auto it = servers_.find(id);
    if (it == servers_.end() || it->second.session != session) {
      return absl::FailedPreconditionError(
          absl::StrCat("volume server ", id,
                       ": this heartbeat stream was closed (the server was "
                       "marked offline); register again"));
    }
    RETURN_IF_ERROR(CheckVolumeOwners(id, report));
    address = it->second.view.public_address;
    // Heard now, however long the database takes to record it.
    it->second.view.last_heartbeat = now;
    it->second.silent_since = absl::InfiniteFuture();
  }
  // The database first, so that a volume is never offered for an upload
  // before the store knows it.
  absl::MutexLock persist_lock(&persist_mu_);
  const absl::Status written = WriteReport(id, address, now, report);
  if (!written.ok()) {
    spdlog::warn("volume server {}: heartbeat not recorded: {}", id,
                 written.ToString());
  }
  bool still_open = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = servers_.find(id);
    still_open = it != servers_.end() && it->second.session == session;
    if (still_open) {
      EndRecording(it->second);
      ApplyReport(it->second, report);
      changed_.SignalAll();
    }
  }
  if (!still_open) {
    // Marked offline while the report was being written, which made the
    // server alive again in the database.
    const absl::Status offline = PersistOffline(id);
    if (!offline.ok()) {
      spdlog::warn("volume server {}: offline status not recorded: {}", id,
                   offline.ToString());
    }
  }
  return absl::OkStatus();
}

void Topology::Disconnect(absl::string_view server_id, uint64_t session,
                          absl::string_view reason) {
  const std::string id(server_id);
  {
    absl::MutexLock lock(&mu_);
    auto it = servers_.find(id);
    if (it == servers_.end() || it->second.session != session) return;
    MarkOffline(it->second);
  }
  spdlog::warn("volume server {} offline: {}", id, std::string(reason));
  absl::MutexLock persist_lock(&persist_mu_);
  const absl::Status persisted = PersistOffline(id);
  if (!persisted.ok()) {
    spdlog::warn("volume server {}: offline status not recorded: {}", id,
                 persisted.ToString());
  }
}

int Topology::CancelAllStreams() {
  absl::MutexLock lock(&mu_);
  int cancelled = 0;
  for (auto& [id, server] : servers_) {
    if (server.session != 0 && server.cancel) {
      server.cancel();
      ++cancelled;
    }
  }
  return cancelled;
}

void Topology::CheckDeadlines(absl::Time now) {
  std::vector<std::string> silent;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, server] : servers_) {
      if (server.session == 0 ||
          now - server.silent_since <= options_.offline_after) {
        continue;
      }
      if (server.cancel) server.cancel();
      MarkOffline(server);
      silent.push_back(id);
    }
  }
  for (const std::string& id : silent) {
    spdlog::warn("volume server {} offline: no heartbeat for more than {}", id,
                 absl::FormatDuration(options_.offline_after));
    absl::MutexLock persist_lock(&persist_mu_);
    const absl::Status persisted = PersistOffline(id);
    if (!persisted.ok()) {
      spdlog::warn("volume server {}: offline status not recorded: {}", id,
                   persisted.ToString());
    }
  }
}

absl::Status Topology::CheckVolumeOwners(const std::string& server_id,
                                         const ServerReport& report) const {
  for (const VolumeView& volume : report.volumes) {
    if (IgnoresCopy(server_id, volume.volume_id)) continue;
    auto owner = volume_owner_.find(volume.volume_id);
    if (owner == volume_owner_.end() || owner->second == server_id) continue;
    auto holder = servers_.find(owner->second);
    if (holder != servers_.end() && holder->second.session != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "volume server ", server_id, ": volume ", volume.volume_id,
          " is held by online volume server ", owner->second));
    }
  }
  return absl::OkStatus();
}

void Topology::ApplyReport(Server& server, const ServerReport& report) {
  const std::string& id = server.view.server_id;
  // A volume just moved here stays even if this report lacks it: the
  // report may have been made before the server adopted it.
  std::vector<VolumeView> adopted;
  for (auto it = unreported_.begin(); it != unreported_.end();) {
    const uint32_t volume_id = it->first;
    const bool in_report = std::any_of(
        report.volumes.begin(), report.volumes.end(),
        [volume_id](const VolumeView& v) { return v.volume_id == volume_id; });
    if (it->second != id || !server.volumes.count(volume_id)) {
      ++it;
    } else if (in_report) {
      it = unreported_.erase(it);
    } else {
      adopted.push_back(server.volumes.at(volume_id));
      ++it;
    }
  }
  for (const auto& [volume_id, volume] : server.volumes) {
    auto owner = volume_owner_.find(volume_id);
    if (owner != volume_owner_.end() && owner->second == id) {
      volume_owner_.erase(owner);
    }
  }
  server.volumes.clear();
  server.stale_held.clear();
  for (const VolumeView& reported : report.volumes) {
    if (IgnoresCopy(id, reported.volume_id)) {
      if (stale_.count({reported.volume_id, id})) {
        server.stale_held.push_back(reported.volume_id);
      }
      continue;
    }
    auto owner = volume_owner_.find(reported.volume_id);
    if (owner != volume_owner_.end() && owner->second != id) {
      // It moved here from an offline server.
      auto previous = servers_.find(owner->second);
      if (previous != servers_.end()) {
        previous->second.volumes.erase(reported.volume_id);
      }
    }
    volume_owner_[reported.volume_id] = id;
    VolumeView& volume = server.volumes[reported.volume_id];
    volume = reported;
    volume.reserved_bytes = 0;
    auto move = moves_.find(reported.volume_id);
    volume.moving_to = move == moves_.end() ? "" : move->second.to;
  }
  for (const VolumeView& volume : adopted) {
    volume_owner_[volume.volume_id] = id;
    server.volumes[volume.volume_id] = volume;
  }
  server.view.disk_free_bytes = report.disk_free_bytes;
}

void Topology::MarkOffline(Server& server) {
  server.session = 0;
  server.cancel = nullptr;
  server.view.online = false;
}

void Topology::EndRecording(Server& server) {
  server.silent_since = absl::Now();
}

absl::Status Topology::WriteReport(const std::string& server_id,
                                   const std::string& address,
                                   absl::Time heartbeat,
                                   const ServerReport& report) {
  RETURN_IF_ERROR(store_->UpsertServer(server_id, address, heartbeat));
  std::vector<const VolumeView*> owned;
  {
    // Under persist_mu_, which FinishMove holds from its store write to its
    // change in memory: a copy that became stale meanwhile is seen.
    absl::MutexLock lock(&mu_);
    for (const VolumeView& volume : report.volumes) {
      if (!IgnoresCopy(server_id, volume.volume_id)) owned.push_back(&volume);
    }
  }
  std::vector<VolumeUsage> usages;
  usages.reserve(owned.size());
  for (const VolumeView* owned_volume : owned) {
    const VolumeView& volume = *owned_volume;
    VolumeUsage& usage = usages.emplace_back();
    usage.volume_id = volume.volume_id;
    usage.server_id = server_id;
    usage.size_bytes = ClampToInt64(volume.size_bytes);
    usage.live_bytes = ClampToInt64(volume.live_bytes);
    usage.garbage_bytes = ClampToInt64(volume.garbage_bytes);
    usage.needle_count = ClampToInt64(volume.needle_count);
    usage.read_only = volume.read_only;
    // Ids the master hands out fit in 63 bits; a higher one (written by
    // some other means) can never collide with them and is not passed on.
    if (volume.max_needle_id <
        static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      usage.max_needle_id = volume.max_needle_id;
    }
  }
  if (usages.empty()) return absl::OkStatus();
  return store_->UpsertVolumes(usages);
}

absl::Status Topology::PersistOffline(const std::string& server_id) {
  bool draining = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = servers_.find(server_id);
    // Back online meanwhile: that registration recorded it.
    if (it == servers_.end() || it->second.session != 0) {
      return absl::OkStatus();
    }
    draining = it->second.view.draining;
  }
  // A draining server stays draining in the database whether or not it is
  // connected.
  if (draining) return absl::OkStatus();
  absl::Status marked =
      store_->MarkServerStatus(server_id, ServerStatus::kDown);
  // A server whose registration was never recorded has no row to mark.
  if (absl::IsNotFound(marked)) return absl::OkStatus();
  return marked;
}

absl::StatusOr<ServerView> Topology::SetDraining(absl::string_view server_id,
                                                 bool draining) {
  absl::MutexLock persist_lock(&persist_mu_);
  ASSIGN_OR_RETURN(const ServerView before, GetServer(server_id));
  RETURN_IF_ERROR(store_->MarkServerStatus(
      server_id, draining        ? ServerStatus::kDraining
                 : before.online ? ServerStatus::kAlive
                                 : ServerStatus::kDown));
  {
    absl::MutexLock lock(&mu_);
    servers_.find(server_id)->second.view.draining = draining;
  }
  spdlog::info("volume server {}: {}", std::string(server_id),
               draining ? "draining: no new uploads or volumes"
                        : "no longer draining");
  return GetServer(server_id);
}

std::vector<ServerView> Topology::Servers() const {
  absl::MutexLock lock(&mu_);
  std::vector<ServerView> views;
  views.reserve(servers_.size());
  for (const auto& [id, server] : servers_) {
    ServerView& view = views.emplace_back(server.view);
    for (const auto& [volume_id, volume] : server.volumes) {
      view.volumes.push_back(volume);
    }
  }
  return views;
}

absl::StatusOr<ServerView> Topology::GetServer(
    absl::string_view server_id) const {
  absl::MutexLock lock(&mu_);
  auto it = servers_.find(server_id);
  if (it == servers_.end()) {
    return absl::NotFoundError(
        absl::StrCat("volume server ", server_id, " is not known"));
  }
  ServerView view = it->second.view;
  for (const auto& [volume_id, volume] : it->second.volumes) {
    view.volumes.push_back(volume);
  }
  return view;
}

std::vector<VolumeLocation> Topology::Volumes(
    absl::string_view server_id) const {
  std::vector<VolumeLocation> volumes;
  for (const ServerView& server : Servers()) {
    if (!server_id.empty() && server.server_id != server_id) continue;
    for (const VolumeView& volume : server.volumes) {
      volumes.push_back(VolumeLocation{server.server_id, server.public_address,
                                       server.admin_address, server.http_tls,
                                       server.online, volume});
    }
  }
  std::sort(volumes.begin(), volumes.end(),
            [](const VolumeLocation& a, const VolumeLocation& b) {
              return a.volume.volume_id < b.volume.volume_id;
            });
  return volumes;
}

bool Topology::IsOnline(absl::string_view server_id) const {
  absl::MutexLock lock(&mu_);
  auto it = servers_.find(server_id);
  return it != servers_.end() && it->second.view.online;
}

absl::StatusOr<VolumeLocation> Topology::LocateVolume(
    uint32_t volume_id) const {
  absl::MutexLock lock(&mu_);
  auto owner = volume_owner_.find(volume_id);
  if (owner == volume_owner_.end()) {
    return absl::NotFoundError(
        absl::StrCat("volume ", volume_id, " is on no known volume server"));
  }
  const Server& server = servers_.at(owner->second);
  VolumeLocation location;
  location.server_id = owner->second;
  location.public_address = server.view.public_address;
  location.admin_address = server.view.admin_address;
  location.http_tls = server.view.http_tls;
  location.online = server.view.online;
  location.volume = server.volumes.at(volume_id);
  return location;
}

void Topology::Reserve(uint32_t volume_id, uint64_t bytes) {
  absl::MutexLock lock(&mu_);
  auto owner = volume_owner_.find(volume_id);
  if (owner == volume_owner_.end()) return;
  Server& server = servers_.at(owner->second);
  auto volume = server.volumes.find(volume_id);
  if (volume != server.volumes.end()) volume->second.reserved_bytes += bytes;
}

bool Topology::AwaitVolume(uint32_t volume_id, absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  for (;;) {
    auto owner = volume_owner_.find(volume_id);
    if (owner != volume_owner_.end() &&
        servers_.at(owner->second).view.online) {
      return true;
    }
    if (changed_.WaitWithDeadline(&mu_, deadline)) {
      // Timed out; one last look.
      owner = volume_owner_.find(volume_id);
      return owner != volume_owner_.end() &&
             servers_.at(owner->second).view.online;
    }
  }
}

Topology::Counts Topology::counts() const {
  absl::MutexLock lock(&mu_);
  Counts counts;
  for (const auto& [id, server] : servers_) {
    ++(server.view.online ? counts.online : counts.offline);
  }
  return counts;
}

}  // namespace warehouse::master
