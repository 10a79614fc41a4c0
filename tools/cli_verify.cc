// warehouse verify: has a volume's server read back and check every live
// needle, and lists the objects whose bytes on disk fail.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "common/units.h"
#include "tools/cli_context.h"
#include "tools/cli_output.h"

namespace warehouse::cli {
namespace {

struct VerifyFlags {
  uint32_t volume_id = 0;
  bool all = false;
  std::string bandwidth = "0";
  std::string timeout = "1h";
};

void AppendReportJson(JsonWriter& json, uint32_t volume_id,
                      const VerificationReport& report) {
  json.BeginObject()
      .Key("volume_id").Number(uint64_t{volume_id})
      .Key("needles_checked").Number(report.needles_checked)
      .Key("bytes_checked").Number(report.bytes_checked)
      .Key("corrupt_count").Number(report.corrupt_count)
      .Key("corrupt").BeginArray();
  for (const CorruptNeedleInfo& needle : report.corrupt) {
    json.BeginObject()
        .Key("needle_id").Number(needle.needle_id)
        .Key("offset").Number(needle.offset)
        .Key("bucket").String(needle.bucket)
        .Key("key").String(needle.key)
        .Key("error").String(needle.error)
        .EndObject();
  }
  json.EndArray().EndObject();
}

// The corrupt needles, if any, then a line of counts.
void PrintReport(uint32_t volume_id, const VerificationReport& report) {
  if (!report.corrupt.empty()) {
    Table table({"NEEDLE", "OFFSET", "OBJECT", "ERROR"}, {1});
    for (const CorruptNeedleInfo& needle : report.corrupt) {
      table.AddRow({absl::StrFormat("%#x", needle.needle_id),
                    absl::StrCat(needle.offset),
                    needle.bucket.empty()
                        ? std::string("(none)")
                        : absl::StrCat(needle.bucket, "/", needle.key),
                    needle.error});
    }
    CliContext::Out(table.Render());
    if (report.corrupt.size() < report.corrupt_count) {
      CliContext::Out("(more corrupt needles not listed; see the count)\n");
    }
  }
  CliContext::Out(absl::StrCat(
      "volume ", volume_id, ": ", report.needles_checked, " needles (",
      FormatBytes(report.bytes_checked), ") read back, ",
      report.corrupt_count == 0 ? std::string("none")
                                : absl::StrCat(report.corrupt_count),
      " corrupt\n"));
}

// Verifies one volume, drawing its progress on a terminal.
absl::StatusOr<VerificationReport> VerifyOne(CliContext& context,
                                             Client* client,
                                             uint32_t volume_id,
                                             uint64_t bandwidth,
                                             absl::Duration timeout) {
  ProgressBar bar(absl::StrCat("verify volume ", volume_id));
  return client->VerifyVolume(
      volume_id, bandwidth,
      [&bar, &context](uint64_t done, uint64_t total) {
        if (!context.json) bar.Update(done, total);
      },
      timeout);
}

// Prints the report of each volume; fails with DataLoss when a needle is
// corrupt, so the exit status is nonzero. With --all, a volume that could
// not be verified (its server offline) is printed and does not fail the
// command, as fsck does with the volumes it could not check.
absl::Status Verify(CliContext& context, const VerifyFlags& flags) {
  if (flags.all == (flags.volume_id != 0)) {
    return absl::InvalidArgumentError("give either a VOLUME_ID or --all");
  }
  ASSIGN_OR_RETURN(const uint64_t bandwidth,
                   ParseBandwidthFlag(flags.bandwidth));
  ASSIGN_OR_RETURN(const absl::Duration timeout,
                   ParseTimeoutFlag(flags.timeout));
  ASSIGN_OR_RETURN(Client * client, context.client());
  if (!flags.all) {
    ASSIGN_OR_RETURN(const VerificationReport report,
                     VerifyOne(context, client, flags.volume_id, bandwidth,
                               timeout));
    if (context.json) {
      JsonWriter json;
      AppendReportJson(json, flags.volume_id, report);
      CliContext::Out(json.str() + "\n");
    } else {
      PrintReport(flags.volume_id, report);
    }
    if (report.corrupt_count > 0) {
      return absl::DataLossError(absl::StrCat(
          "volume ", flags.volume_id, ": ", report.corrupt_count,
          report.corrupt_count == 1 ? " needle fails" : " needles fail",
          " its checks; the objects listed have lost data"));
    }
    return absl::OkStatus();
  }

  ASSIGN_OR_RETURN(std::vector<VolumeInfo> volumes, client->ListVolumes());
  std::sort(volumes.begin(), volumes.end(),
            [](const VolumeInfo& a, const VolumeInfo& b) {
              return a.volume_id < b.volume_id;
            });
  JsonWriter json;
  json.BeginArray();
  std::vector<uint32_t> with_loss;
  size_t unverified = 0;
  for (const VolumeInfo& volume : volumes) {
    absl::StatusOr<VerificationReport> report =
        volume.server_online
            ? VerifyOne(context, client, volume.volume_id, bandwidth, timeout)
            : absl::UnavailableError(absl::StrCat(
                  "volume server ", volume.server_id, " is offline"));
    if (!report.ok()) {
      ++unverified;
      if (context.json) {
        json.BeginObject()
            .Key("volume_id").Number(uint64_t{volume.volume_id})
            .Key("not_verified").String(std::string(report.status().message()))
            .EndObject();
      } else {
        CliContext::Out(absl::StrCat("volume ", volume.volume_id,
                                     ": not verified: ",
                                     report.status().message(), "\n"));
      }
      continue;
    }
    if (report->corrupt_count > 0) with_loss.push_back(volume.volume_id);
    if (context.json) {
      AppendReportJson(json, volume.volume_id, *report);
    } else {
      PrintReport(volume.volume_id, *report);
    }
  }
  json.EndArray();
  if (context.json) {
    CliContext::Out(json.str() + "\n");
  } else if (unverified > 0) {
    CliContext::Out(absl::StrCat(
        unverified, " of ", volumes.size(),
        " volumes not verified; run again once their servers are back\n"));
  }
  if (!with_loss.empty()) {
    return absl::DataLossError(absl::StrCat(
        "volumes ", absl::StrJoin(with_loss, ", "),
        ": needles fail their checks; the objects listed have lost data"));
  }
  return absl::OkStatus();
}

}  // namespace

void AddVerifyCommand(CLI::App& app, CliContext& context,
                      CommandRunners& runners) {
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* verify = app.add_subcommand(
      "verify",
      "Read back every object of a volume (or of all) on its server and "
      "check it; exit 1 when one has lost data (admin)");
  verify->add_option("VOLUME_ID", flags->volume_id, "The volume")
      ->check(CLI::Range(1u, 0xFFFFFFFFu));
  verify->add_flag("--all", flags->all,
                   "Every volume, one after another");
  verify->add_option("--bandwidth", flags->bandwidth,
                     "Bytes a second to read at most (e.g. 64M), to leave "
                     "the disk to serving; 0: no limit")
      ->capture_default_str();
  verify->add_option("--timeout", flags->timeout,
                     "How long the whole verification may take")
      ->capture_default_str();
  runners.emplace_back(verify,
                       [&context, flags] { return Verify(context, *flags); });
}

}  // namespace warehouse::cli
