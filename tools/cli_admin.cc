// warehouse servers, volumes, compact, fsck, key create|list|revoke
#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/units.h"
#include "tools/cli_context.h"
#include "tools/cli_output.h"

namespace warehouse::cli {
namespace {

uint64_t UnixSeconds(absl::Time time) {
  return static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixSeconds(time)));
}

// ---- servers, volumes ----

// "running", "succeeded" or "failed".
std::string CompactionState(const CompactionInfo& compaction) {
  switch (compaction.state) {
    case CompactionInfo::State::kRunning:
      return "running";
    case CompactionInfo::State::kSucceeded:
      return "succeeded";
    case CompactionInfo::State::kFailed:
      return "failed";
  }
  return "running";
}

// One server as `servers --json` and `drain --json` print it.
void AppendServerJson(JsonWriter& json, const ServerInfo& server) {
  json.BeginObject()
      .Key("server_id").String(server.server_id)
      .Key("address").String(server.public_address)
      .Key("tls").Bool(server.http_tls)
      .Key("online").Bool(server.online)
      .Key("draining").Bool(server.draining)
      .Key("last_heartbeat_unix_ms")
      .Number(static_cast<uint64_t>(
          std::max<int64_t>(0, absl::ToUnixMillis(server.last_heartbeat))))
      .Key("volumes").Number(uint64_t{server.volume_count})
      .Key("max_volumes").Number(uint64_t{server.max_volumes})
      .Key("disk_free_bytes").Number(server.disk_free_bytes)
      .EndObject();
}

// "online" or "offline", and whether it is draining.
std::string ServerStatusText(const ServerInfo& server) {
  return absl::StrCat(server.online ? "online" : "offline",
                      server.draining ? ", draining" : "");
}

absl::Status Servers(CliContext& context) {
  ASSIGN_OR_RETURN(Client * client, context.client());
  ASSIGN_OR_RETURN(std::vector<ServerInfo> servers, client->ListServers());
  if (context.json) {
    JsonWriter json;
    json.BeginArray();
    for (const ServerInfo& server : servers) AppendServerJson(json, server);
    json.EndArray();
    CliContext::Out(json.str() + "\n");
    return absl::OkStatus();
  }
  Table table({"SERVER", "ADDRESS", "STATUS", "LAST HEARTBEAT", "VOLUMES",
               "DISK FREE"},
              {4, 5});
  for (const ServerInfo& server : servers) {
    // The scheme shows only where it is not plain HTTP.
    table.AddRow({server.server_id,
                  server.http_tls ? "https://" + server.public_address
                                  : server.public_address,
                  ServerStatusText(server),
                  FormatLocalTime(server.last_heartbeat),
                  absl::StrCat(server.volume_count, "/", server.max_volumes),
                  FormatBytes(server.disk_free_bytes)});
  }
  CliContext::Out(table.Render());
  return absl::OkStatus();
}

// When the volume was last read back to the end, and what was found:
// "never", "2026-12-07 10:00:00" or "2026-12-07 10:00:00, 2 corrupt".
std::string VerifiedText(const std::optional<VerificationInfo>& last) {
  if (!last.has_value()) return "never";
  if (last->corrupt_count == 0) return FormatLocalTime(last->finished);
  return absl::StrCat(FormatLocalTime(last->finished), ", ",
                      last->corrupt_count, " corrupt");
}

// One volume as `volumes --json` and `mark --json` print it.
void AppendVolumeJson(JsonWriter& json, const VolumeInfo& volume) {
  json.BeginObject()
      .Key("volume_id").Number(uint64_t{volume.volume_id})
      .Key("server_id").String(volume.server_id)
      .Key("server_address").String(volume.server_address)
      .Key("server_online").Bool(volume.server_online)
      .Key("size_bytes").Number(volume.size_bytes)
      .Key("max_size_bytes").Number(volume.max_size_bytes)
      .Key("live_bytes").Number(volume.live_bytes)
      .Key("garbage_bytes").Number(volume.garbage_bytes)
      .Key("garbage_ratio")
      .Number(volume.size_bytes == 0
                  ? 0.0
                  : static_cast<double>(volume.garbage_bytes) /
                        static_cast<double>(volume.size_bytes))
      .Key("needles").Number(volume.needle_count)
      .Key("read_only").Bool(volume.read_only)
      .Key("compacting").Bool(volume.compacting);
  if (volume.compacting) {
    json.Key("compaction_copied_bytes").Number(volume.compaction_copied_bytes)
        .Key("compaction_total_bytes").Number(volume.compaction_total_bytes);
  }
  if (!volume.moving_to_server_id.empty()) {
    json.Key("moving_to_server_id").String(volume.moving_to_server_id);
  }
  if (const std::optional<CompactionInfo>& last = volume.last_compaction) {
    json.Key("last_compaction").BeginObject()
        .Key("state").String(CompactionState(*last))
        .Key("started_unix_ms")
        .Number(static_cast<uint64_t>(absl::ToUnixMillis(last->started)));
    if (last->state != CompactionInfo::State::kRunning) {
      json.Key("finished_unix_ms")
          .Number(static_cast<uint64_t>(absl::ToUnixMillis(last->finished)));
    }
    if (last->state == CompactionInfo::State::kSucceeded) {
      json.Key("bytes_reclaimed").Number(last->bytes_reclaimed);
    }
    if (last->state == CompactionInfo::State::kFailed) {
      json.Key("error").String(last->error);
    }
    json.EndObject();
  }
  if (const std::optional<VerificationInfo>& last = volume.last_verification) {
    json.Key("last_verification").BeginObject()
        .Key("started_unix_ms")
        .Number(static_cast<uint64_t>(absl::ToUnixMillis(last->started)))
        .Key("finished_unix_ms")
        .Number(static_cast<uint64_t>(absl::ToUnixMillis(last->finished)))
        .Key("needles_checked").Number(last->needles_checked)
        .Key("bytes_checked").Number(last->bytes_checked)
        .Key("corrupt_count").Number(last->corrupt_count)
        .EndObject();
  }
  json.EndObject();
}

absl::Status Volumes(CliContext& context) {
  ASSIGN_OR_RETURN(Client * client, context.client());
  ASSIGN_OR_RETURN(std::vector<VolumeInfo> volumes, client->ListVolumes());
  if (context.json) {
    JsonWriter json;
    json.BeginArray();
    for (const VolumeInfo& volume : volumes) AppendVolumeJson(json, volume);
    json.EndArray();
    CliContext::Out(json.str() + "\n");
    return absl::OkStatus();
  }
  Table table({"VOLUME", "SERVER", "SIZE", "LIVE", "GARBAGE", "GARBAGE%",
               "NEEDLES", "READ-ONLY", "COMPACTING", "VERIFIED"},
              {0, 2, 3, 4, 5, 6});
  for (const VolumeInfo& volume : volumes) {
    table.AddRow({absl::StrCat(volume.volume_id),
                  volume.server_id +
                      (volume.server_online ? "" : " (offline)") +
                      (volume.moving_to_server_id.empty()
                           ? ""
                           : " (moving to " + volume.moving_to_server_id +
                                 ")"),
                  FormatBytes(volume.size_bytes), FormatBytes(volume.live_bytes),
                  FormatBytes(volume.garbage_bytes),
                  FormatPercent(volume.garbage_bytes, volume.size_bytes),
                  absl::StrCat(volume.needle_count),
                  volume.read_only ? "yes" : "no",
                  FormatCompacting(volume.compacting,
                                   volume.compaction_copied_bytes,
                                   volume.compaction_total_bytes),
                  VerifiedText(volume.last_verification)});
  }
  CliContext::Out(table.Render());
  return absl::OkStatus();
}

// ---- drain ----

absl::Status Drain(CliContext& context, const std::string& server_id,
                   bool draining) {
  ASSIGN_OR_RETURN(Client * client, context.client());
  ASSIGN_OR_RETURN(const ServerInfo server,
                   client->SetServerDraining(server_id, draining));
  if (context.json) {
    JsonWriter json;
    AppendServerJson(json, server);
    CliContext::Out(json.str() + "\n");
    return absl::OkStatus();
  }
  CliContext::Out(absl::StrCat("volume server ", server.server_id, ": ",
                               ServerStatusText(server), "\n"));
  return absl::OkStatus();
}

// ---- mark ----

struct MarkFlags {
  uint32_t volume_id = 0;
  std::string mode;  // "read-only" or "writable"
};

absl::Status Mark(CliContext& context, const MarkFlags& flags) {
  ASSIGN_OR_RETURN(Client * client, context.client());
  ASSIGN_OR_RETURN(
      const VolumeInfo volume,
      client->SetVolumeReadOnly(flags.volume_id, flags.mode == "read-only"));
  if (context.json) {
    JsonWriter json;
    AppendVolumeJson(json, volume);
    CliContext::Out(json.str() + "\n");
    return absl::OkStatus();
  }
  // A volume may be read-only for another reason too (an I/O error).
  CliContext::Out(absl::StrCat("volume ", volume.volume_id, " on ",
                               volume.server_id, ": ",
                               volume.read_only ? "read-only" : "writable",
                               "\n"));
  return absl::OkStatus();
}

// ---- compact ----

struct CompactFlags {
  uint32_t volume_id = 0;
  bool all = false;
  double min_garbage = 0.3;
  std::string wait = "10m";
  bool no_wait = false;
  std::string bandwidth = "0";
};

// What the waiting knows about one volume being compacted.
struct Compaction {
  // As listed before the compaction was asked for; its last_compaction is
  // the previous one, and the one asked for here is the next.
  VolumeInfo before;
  std::optional<CompactionInfo> outcome;  // once it has ended
  // How far its copy has come, as the volume server's heartbeats said.
  uint64_t copied_bytes = 0;
  uint64_t total_bytes = 0;
};

// Polls ListVolumes until every compaction in `compactions` has ended, as
// the master's record of it says (the outcome the volume server
// reported), or until `wait` passes, drawing the copy's progress on a
// terminal. Errors: DeadlineExceeded naming the volumes still running;
// Unavailable when the master no longer follows a compaction (it
// restarted).
absl::Status WaitForCompactions(CliContext& context, Client* client,
                                std::map<uint32_t, Compaction>& compactions,
                                absl::Duration wait) {
  const absl::Time deadline = absl::Now() + wait;
  ProgressBar bar(
      compactions.size() == 1
          ? absl::StrCat("compact volume ", compactions.begin()->first)
          : absl::StrCat("compact ", compactions.size(), " volumes"));
  while (true) {
    ASSIGN_OR_RETURN(std::vector<VolumeInfo> volumes, client->ListVolumes());
    size_t running = 0;
    for (auto& [id, c] : compactions) {
      if (c.outcome) continue;
      auto volume = std::find_if(
          volumes.begin(), volumes.end(),
          [id = id](const VolumeInfo& v) { return v.volume_id == id; });
      if (volume == volumes.end()) {
        return absl::NotFoundError(
            absl::StrCat("volume ", id, ": no longer listed by the master"));
      }
      const std::optional<CompactionInfo>& latest = volume->last_compaction;
      const std::optional<CompactionInfo>& previous =
          c.before.last_compaction;
      if (!latest || (previous && latest->started == previous->started)) {
        return absl::UnavailableError(absl::StrCat(
            "volume ", id,
            ": the master no longer follows its compaction "
            "(it restarted); the compaction may go on: follow it with "
            "warehouse volumes"));
      }
      if (latest->state == CompactionInfo::State::kRunning) {
        if (volume->compacting) {
          c.total_bytes = volume->compaction_total_bytes;
          c.copied_bytes =
              std::min(volume->compaction_copied_bytes, c.total_bytes);
        }
        ++running;
        continue;
      }
      c.outcome = *latest;
      c.copied_bytes = c.total_bytes;
      if (context.json) continue;
      bar.Finish();
      if (latest->state == CompactionInfo::State::kSucceeded) {
        CliContext::Out(absl::StrCat("volume ", id, ": reclaimed ",
                                     FormatBytes(latest->bytes_reclaimed),
                                     "\n"));
      } else {
        CliContext::Out(
            absl::StrCat("volume ", id, ": failed: ", latest->error, "\n"));
      }
    }
    if (running == 0) return absl::OkStatus();
    uint64_t copied = 0;
    uint64_t total = 0;
    for (const auto& [id, c] : compactions) {
      copied += c.copied_bytes;
      total += c.total_bytes;
    }
    if (!context.json) bar.Update(copied, total);
    if (absl::Now() >= deadline) {
      bar.Finish();
      std::vector<uint32_t> left;
      for (const auto& [id, c] : compactions) {
        if (!c.outcome) left.push_back(id);
      }
      return absl::DeadlineExceededError(absl::StrCat(
          "volumes ", absl::StrJoin(left, ", "), ": compaction not finished "
          "after ", absl::FormatDuration(wait),
          "; it goes on: follow it with warehouse volumes"));
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
}

absl::Status Compact(CliContext& context, const CompactFlags& flags) {
  if (flags.all == (flags.volume_id != 0)) {
    return absl::InvalidArgumentError(
        "give either a VOLUME_ID or --all (with --min-garbage)");
  }
  absl::Duration wait;
  if (!absl::ParseDuration(flags.wait, &wait) || wait < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--wait ", flags.wait, ": not a duration such as 10m"));
  }
  ASSIGN_OR_RETURN(const uint64_t bandwidth,
                   ParseBandwidthFlag(flags.bandwidth));
  ASSIGN_OR_RETURN(Client * client, context.client());
  ASSIGN_OR_RETURN(std::vector<VolumeInfo> before, client->ListVolumes());
  std::vector<uint32_t> ids;
  if (flags.all) {
    ASSIGN_OR_RETURN(ids, client->CompactVolumes(flags.min_garbage, bandwidth));
  } else {
    RETURN_IF_ERROR(client->CompactVolume(flags.volume_id, bandwidth));
    ids.push_back(flags.volume_id);
  }
  std::map<uint32_t, Compaction> compactions;
  for (uint32_t id : ids) {
    Compaction& c = compactions[id];
    c.before.volume_id = id;
    for (const VolumeInfo& volume : before) {
      if (volume.volume_id == id) c.before = volume;
    }
    if (!context.json) {
      CliContext::Out(absl::StrCat(
          "compacting volume ", id, " on ", c.before.server_id, " (",
          FormatBytes(c.before.size_bytes), ", ",
          FormatPercent(c.before.garbage_bytes, c.before.size_bytes), " garbage)\n"));
    }
  }
  if (ids.empty() && !context.json) {
    CliContext::Out(absl::StrFormat(
        "no volume has at least %.0f%% garbage\n", flags.min_garbage * 100));
  }
  absl::Status waited = absl::OkStatus();
  if (!flags.no_wait && !ids.empty()) {
    waited = WaitForCompactions(context, client, compactions, wait);
  }
  std::vector<uint32_t> failed;
  for (const auto& [id, c] : compactions) {
    if (c.outcome && c.outcome->state == CompactionInfo::State::kFailed) {
      failed.push_back(id);
    }
  }
  if (context.json) {
    JsonWriter json;
    json.BeginArray();
    for (const auto& [id, c] : compactions) {
      json.BeginObject()
          .Key("volume_id").Number(uint64_t{id})
          .Key("size_before").Number(c.before.size_bytes)
          .Key("done").Bool(c.outcome.has_value());
      if (c.outcome && c.outcome->state == CompactionInfo::State::kSucceeded) {
        json.Key("reclaimed_bytes").Number(c.outcome->bytes_reclaimed);
      } else if (c.outcome) {
        json.Key("error").String(c.outcome->error);
      }
      json.EndObject();
    }
    json.EndArray();
    CliContext::Out(json.str() + "\n");
  }
  if (waited.ok() && failed.size() == 1) {
    return absl::AbortedError(absl::StrCat(
        "volume ", failed[0],
        ": compaction failed: ", compactions[failed[0]].outcome->error));
  }
  if (waited.ok() && failed.size() > 1) {
    return absl::AbortedError(absl::StrCat(
        "volumes ", absl::StrJoin(failed, ", "), ": compaction failed"));
  }
  return waited;
}

// ---- fsck ----

struct FsckFlags {
  bool repair = false;
  uint32_t max_findings = 1000;
  std::string timeout = "1h";
};

const char* KindName(ConsistencyFinding::Kind kind) {
  switch (kind) {
    case ConsistencyFinding::Kind::kOrphan:
      return "orphan";
    case ConsistencyFinding::Kind::kMissing:
      return "missing";
    case ConsistencyFinding::Kind::kUncheckedVolume:
      return "unchecked";
  }
  return "unknown";
}

// Prints the report; fails with DataLoss when an object is missing, so the
// exit status is nonzero. Orphans and unchecked volumes are printed but do
// not fail the command: nothing is lost by them.
absl::Status Fsck(CliContext& context, const FsckFlags& flags) {
  ASSIGN_OR_RETURN(const absl::Duration timeout,
                   ParseTimeoutFlag(flags.timeout));
  ASSIGN_OR_RETURN(Client * client, context.client());
  ASSIGN_OR_RETURN(ConsistencyReport report,
                   client->CheckConsistency(flags.repair, flags.max_findings,
                                            timeout));
  if (context.json) {
    JsonWriter json;
    json.BeginObject()
        .Key("volumes_checked").Number(report.volumes_checked)
        .Key("volumes_unchecked").Number(report.volumes_unchecked)
        .Key("objects_checked").Number(report.objects_checked)
        .Key("needles_checked").Number(report.needles_checked)
        .Key("needles_in_flight").Number(report.needles_in_flight)
        .Key("orphans").Number(report.orphans)
        .Key("missing").Number(report.missing)
        .Key("orphans_queued").Number(report.orphans_queued)
        .Key("findings_truncated").Bool(report.findings_truncated)
        .Key("findings").BeginArray();
    for (const ConsistencyFinding& finding : report.findings) {
      json.BeginObject()
          .Key("kind").String(KindName(finding.kind))
          .Key("volume_id").Number(uint64_t{finding.volume_id})
          .Key("file_id").String(finding.file_id)
          .Key("bucket").String(finding.bucket)
          .Key("key").String(finding.key)
          .Key("detail").String(finding.detail)
          .EndObject();
    }
    json.EndArray().EndObject();
    CliContext::Out(json.str() + "\n");
  } else {
    if (!report.findings.empty()) {
      Table table({"KIND", "VOLUME", "FILE ID", "OBJECT", "DETAIL"}, {1});
      for (const ConsistencyFinding& finding : report.findings) {
        table.AddRow({KindName(finding.kind),
                      absl::StrCat(finding.volume_id), finding.file_id,
                      finding.bucket.empty()
                          ? std::string()
                          : absl::StrCat(finding.bucket, "/", finding.key),
                      finding.detail});
      }
      CliContext::Out(table.Render());
      if (report.findings_truncated) {
        CliContext::Out("(more findings not listed; see the counts below)\n");
      }
    }
    CliContext::Out(absl::StrCat(
        report.volumes_checked, " volumes checked (", report.volumes_unchecked,
        " unchecked), ", report.objects_checked, " objects, ",
        report.needles_checked, " needles, ", report.needles_in_flight,
        " in flight\n", report.missing, " missing, ", report.orphans,
        " orphans (reclaimable)",
        flags.repair ? absl::StrCat(", ", report.orphans_queued,
                                    " queued for deletion")
                     : std::string(report.orphans > 0
                                       ? "; warehouse fsck --repair reclaims "
                                         "them"
                                       : ""),
        "\n"));
  }
  if (report.missing > 0) {
    return absl::DataLossError(absl::StrCat(
        report.missing, " objects have lost their data; see the report"));
  }
  return absl::OkStatus();
}

// ---- key ----

std::string RoleName(AccessKeyRole role) {
  return role == AccessKeyRole::kAdmin ? "admin" : "read-write";
}

struct KeyCreateFlags {
  std::string role;
  std::vector<std::string> buckets;
  std::string description;
};

absl::Status KeyCreate(CliContext& context, const KeyCreateFlags& flags) {
  AccessKeyRole role;
  if (flags.role == "admin") {
    role = AccessKeyRole::kAdmin;
  } else if (flags.role == "read-write") {
    role = AccessKeyRole::kReadWrite;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--role ", flags.role, ": expected admin or read-write"));
  }
  ASSIGN_OR_RETURN(Client * client, context.client());
  ASSIGN_OR_RETURN(NewAccessKey key, client->CreateAccessKey(
                                         role, flags.buckets, flags.description));
  if (context.json) {
    JsonWriter json;
    json.BeginObject()
        .Key("access_key_id").String(key.key.access_key_id)
        .Key("secret_access_key").String(key.secret_access_key)
        .Key("role").String(RoleName(key.key.role))
        .Key("buckets").BeginArray();
    for (const std::string& bucket : key.key.buckets) json.String(bucket);
    json.EndArray().EndObject();
    CliContext::Out(json.str() + "\n");
    return absl::OkStatus();
  }
  // In the credentials file's own syntax, ready to paste.
  CliContext::Out(absl::StrCat("access_key_id = ", key.key.access_key_id,
                               "\nsecret_access_key = ", key.secret_access_key,
                               "\n"));
  CliContext::Note(
      "The secret is shown only now. Keep it in "
      "~/.config/warehouse/credentials (chmod 600).\n");
  return absl::OkStatus();
}

absl::Status KeyList(CliContext& context) {
  ASSIGN_OR_RETURN(Client * client, context.client());
  ASSIGN_OR_RETURN(std::vector<AccessKeyInfo> keys, client->ListAccessKeys());
  if (context.json) {
    JsonWriter json;
    json.BeginArray();
    for (const AccessKeyInfo& key : keys) {
      json.BeginObject()
          .Key("access_key_id").String(key.access_key_id)
          .Key("role").String(RoleName(key.role))
          .Key("buckets").BeginArray();
      for (const std::string& bucket : key.buckets) json.String(bucket);
      json.EndArray()
          .Key("description").String(key.description)
          .Key("created_unix_seconds").Number(UnixSeconds(key.created))
          .EndObject();
    }
    json.EndArray();
    CliContext::Out(json.str() + "\n");
    return absl::OkStatus();
  }
  Table table({"ACCESS KEY", "ROLE", "BUCKETS", "CREATED", "DESCRIPTION"});
  for (const AccessKeyInfo& key : keys) {
    table.AddRow({key.access_key_id, RoleName(key.role),
                  key.buckets.empty() ? "*" : absl::StrJoin(key.buckets, ","),
                  FormatLocalTime(key.created), key.description});
  }
  CliContext::Out(table.Render());
  return absl::OkStatus();
}

absl::Status KeyRevoke(CliContext& context, const std::string& id) {
  ASSIGN_OR_RETURN(Client * client, context.client());
  RETURN_IF_ERROR(client->RevokeAccessKey(id));
  if (context.json) {
    JsonWriter json;
    json.BeginObject().Key("revoked").String(id).EndObject();
    CliContext::Out(json.str() + "\n");
  } else {
    CliContext::Out(absl::StrCat("revoked ", id, "\n"));
  }
  return absl::OkStatus();
}

}  // namespace

void AddAdminCommands(CLI::App& app, CliContext& context,
                      CommandRunners& runners) {
  CLI::App* servers = app.add_subcommand(
      "servers", "List volume servers (admin)");
  runners.emplace_back(servers, [&context] { return Servers(context); });

  CLI::App* volumes = app.add_subcommand(
      "volumes", "List volumes with their usage and garbage (admin)");
  runners.emplace_back(volumes, [&context] { return Volumes(context); });

  auto compact_flags = std::make_shared<CompactFlags>();
  CLI::App* compact = app.add_subcommand(
      "compact",
      "Compact a volume, or all with enough garbage, and report the bytes "
      "reclaimed (admin)");
  compact->add_option("VOLUME_ID", compact_flags->volume_id, "The volume")
      ->check(CLI::Range(1u, 0xFFFFFFFFu));
  compact->add_flag("--all", compact_flags->all,
                    "Every volume with at least --min-garbage garbage");
  compact->add_option("--min-garbage", compact_flags->min_garbage,
                      "With --all: the least garbage ratio, in (0, 1]")
      ->capture_default_str();
  compact->add_option("--wait", compact_flags->wait,
                      "How long to wait for the compactions to finish")
      ->capture_default_str();
  compact->add_flag("--no-wait", compact_flags->no_wait,
                    "Return once the compactions are queued");
  compact->add_option("--bandwidth", compact_flags->bandwidth,
                      "Bytes a second each compaction copies at most (e.g. "
                      "64M), to leave the disk and CPU to serving; 0: no "
                      "limit")
      ->capture_default_str();
  runners.emplace_back(compact, [&context, compact_flags] {
    return Compact(context, *compact_flags);
  });

  auto drain_id = std::make_shared<std::string>();
  CLI::App* drain = app.add_subcommand(
      "drain",
      "Stop placing uploads and new volumes on a volume server; its objects "
      "still read, delete and compact (admin)");
  drain->add_option("SERVER_ID", *drain_id, "The server, as servers lists it")
      ->required();
  runners.emplace_back(drain, [&context, drain_id] {
    return Drain(context, *drain_id, true);
  });
  auto undrain_id = std::make_shared<std::string>();
  CLI::App* undrain = app.add_subcommand(
      "undrain", "Place uploads and new volumes on a drained server again "
                 "(admin)");
  undrain->add_option("SERVER_ID", *undrain_id, "The server")->required();
  runners.emplace_back(undrain, [&context, undrain_id] {
    return Drain(context, *undrain_id, false);
  });

  auto mark_flags = std::make_shared<MarkFlags>();
  CLI::App* mark = app.add_subcommand(
      "mark",
      "Mark a volume read-only (it takes no more uploads) or writable again; "
      "its server keeps the choice across restarts (admin)");
  mark->add_option("VOLUME_ID", mark_flags->volume_id, "The volume")
      ->required()
      ->check(CLI::Range(1u, 0xFFFFFFFFu));
  mark->add_option("MODE", mark_flags->mode, "read-only or writable")
      ->required()
      ->check(CLI::IsMember({"read-only", "writable"}));
  runners.emplace_back(mark, [&context, mark_flags] {
    return Mark(context, *mark_flags);
  });

  auto fsck_flags = std::make_shared<FsckFlags>();
  CLI::App* fsck = app.add_subcommand(
      "fsck",
      "Compare the master's metadata with the volume servers' needles; exit "
      "1 when an object's data is missing (admin)");
  fsck->add_flag("--repair", fsck_flags->repair,
                 "Queue orphan needles for deletion (missing objects are only "
                 "reported)");
  fsck->add_option("--max-findings", fsck_flags->max_findings,
                   "Most findings to list")
      ->capture_default_str();
  fsck->add_option("--timeout", fsck_flags->timeout,
                   "How long the whole check may take")
      ->capture_default_str();
  runners.emplace_back(fsck, [&context, fsck_flags] {
    return Fsck(context, *fsck_flags);
  });

  CLI::App* key = app.add_subcommand("key", "Manage access keys (admin)");
  key->require_subcommand(1);
  auto create_flags = std::make_shared<KeyCreateFlags>();
  CLI::App* create = key->add_subcommand(
      "create", "Create an access key and print its id and secret");
  create->add_option("--role", create_flags->role, "admin or read-write")
      ->required();
  create->add_option("--bucket", create_flags->buckets,
                     "Restrict a read-write key to this bucket (repeat for "
                     "more)");
  create->add_option("--description", create_flags->description,
                     "A note for operators");
  runners.emplace_back(create, [&context, create_flags] {
    return KeyCreate(context, *create_flags);
  });
  CLI::App* list = key->add_subcommand("list", "List access keys");
  runners.emplace_back(list, [&context] { return KeyList(context); });
  auto revoke_id = std::make_shared<std::string>();
  CLI::App* revoke = key->add_subcommand("revoke", "Revoke an access key");
  revoke->add_option("ID", *revoke_id, "The access key id")->required();
  runners.emplace_back(revoke, [&context, revoke_id] {
    return KeyRevoke(context, *revoke_id);
  });
}

}  // namespace warehouse::cli
