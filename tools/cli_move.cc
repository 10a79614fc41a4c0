// warehouse move: moves a volume, or every volume of a server, to another
// volume server (named, or picked by the master) while the objects keep
// reading.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "common/units.h"
#include "tools/cli_context.h"
#include "tools/cli_output.h"

namespace warehouse::cli {
namespace {

struct MoveFlags {
  uint32_t volume_id = 0;
  std::string from;
  std::string to;
  std::string bandwidth = "0";
  std::string timeout = "1h";
};

void AppendMoveJson(JsonWriter& json, uint32_t volume_id,
                    const VolumeMoveInfo& move) {
  json.BeginObject()
      .Key("volume_id").Number(uint64_t{volume_id})
      .Key("from_server_id").String(move.from_server_id)
      .Key("to_server_id").String(move.to_server_id)
      .Key("bytes").Number(move.bytes)
      .Key("writable").Bool(move.writable)
      .EndObject();
}

std::string DescribeMove(uint32_t volume_id, const VolumeMoveInfo& move) {
  return absl::StrCat("volume ", volume_id, ": moved from ",
                      move.from_server_id, " to ", move.to_server_id, " (",
                      FormatBytes(move.bytes), ")",
                      move.writable ? "" : ", read-only", "\n");
}

// Moves one volume, drawing its progress on a terminal.
absl::StatusOr<VolumeMoveInfo> MoveOne(CliContext& context, Client* client,
                                       uint32_t volume_id,
                                       const MoveFlags& flags,
                                       uint64_t bandwidth,
                                       absl::Duration timeout) {
  ProgressBar bar(absl::StrCat("move volume ", volume_id));
  return client->MoveVolume(
      volume_id, flags.to, bandwidth,
      [&bar, &context](uint64_t done, uint64_t total) {
        if (!context.json) bar.Update(done, total);
      },
      timeout);
}

// One volume, or with --from every volume of that server, one after
// another; the first that fails stops the command (what moved stays
// moved).
absl::Status Move(CliContext& context, const MoveFlags& flags) {
  if (flags.from.empty() == (flags.volume_id == 0)) {
    return absl::InvalidArgumentError("give either a VOLUME_ID or --from");
  }
  ASSIGN_OR_RETURN(const uint64_t bandwidth,
                   ParseBandwidthFlag(flags.bandwidth));
  ASSIGN_OR_RETURN(const absl::Duration timeout,
                   ParseTimeoutFlag(flags.timeout));
  ASSIGN_OR_RETURN(Client * client, context.client());
  if (flags.volume_id != 0) {
    ASSIGN_OR_RETURN(const VolumeMoveInfo moved,
                     MoveOne(context, client, flags.volume_id, flags,
                             bandwidth, timeout));
    if (context.json) {
      JsonWriter json;
      AppendMoveJson(json, flags.volume_id, moved);
      CliContext::Out(json.str() + "\n");
    } else {
      CliContext::Out(DescribeMove(flags.volume_id, moved));
    }
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::vector<VolumeInfo> volumes, client->ListVolumes());
  std::vector<uint32_t> volume_ids;
  for (const VolumeInfo& volume : volumes) {
    if (volume.server_id == flags.from) volume_ids.push_back(volume.volume_id);
  }
  std::sort(volume_ids.begin(), volume_ids.end());
  if (volume_ids.empty() && !context.json) {
    CliContext::Out(
        absl::StrCat("volume server ", flags.from, " holds no volumes\n"));
  }
  // What moved is printed, also when a later volume fails.
  JsonWriter json;
  json.BeginArray();
  absl::Status failed;
  for (uint32_t volume_id : volume_ids) {
    absl::StatusOr<VolumeMoveInfo> moved =
        MoveOne(context, client, volume_id, flags, bandwidth, timeout);
    if (!moved.ok()) {
      failed = moved.status();
      break;
    }
    if (context.json) {
      AppendMoveJson(json, volume_id, *moved);
    } else {
      CliContext::Out(DescribeMove(volume_id, *moved));
    }
  }
  json.EndArray();
  if (context.json) CliContext::Out(json.str() + "\n");
  return failed;
}

}  // namespace

void AddMoveCommand(CLI::App& app, CliContext& context,
                    CommandRunners& runners) {
  auto flags = std::make_shared<MoveFlags>();
  CLI::App* move = app.add_subcommand(
      "move",
      "Move a volume (or every volume of a server) to another volume "
      "server; its objects keep reading meanwhile (admin)");
  move->add_option("VOLUME_ID", flags->volume_id, "The volume")
      ->check(CLI::Range(1u, 0xFFFFFFFFu));
  move->add_option("--from", flags->from,
                   "Every volume of this server, one after another");
  move->add_option("--to", flags->to,
                   "The server to move to; without it the master picks one "
                   "for each volume: online, not draining, with room, and "
                   "the most disk free");
  move->add_option("--bandwidth", flags->bandwidth,
                   "Bytes a second to copy at most (e.g. 64M), to leave the "
                   "disks to serving; 0: no limit")
      ->capture_default_str();
  move->add_option("--timeout", flags->timeout,
                   "How long each volume's move may take")
      ->capture_default_str();
  runners.emplace_back(move,
                       [&context, flags] { return Move(context, *flags); });
}

}  // namespace warehouse::cli
