// warehouse verify: has a volume's server read back and check every live
// needle, and lists the objects whose bytes on disk fail.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "common/units.h"
#include "tools/cli_context.h"
#include "tools/cli_output.h"

namespace warehouse::cli {
namespace {

struct VerifyFlags {
  uint32_t volume_id = 0;
  std::string bandwidth = "0";
  std::string timeout = "1h";
};

// Prints the report; fails with DataLoss when a needle is corrupt, so the
// exit status is nonzero.
absl::Status Verify(CliContext& context, const VerifyFlags& flags) {
  ASSIGN_OR_RETURN(const uint64_t bandwidth,
                   ParseBandwidthFlag(flags.bandwidth));
  ASSIGN_OR_RETURN(const absl::Duration timeout,
                   ParseTimeoutFlag(flags.timeout));
  ASSIGN_OR_RETURN(Client * client, context.client());
  VerificationReport report;
  {
    ProgressBar bar(absl::StrCat("verify volume ", flags.volume_id));
    ASSIGN_OR_RETURN(
        report,
        client->VerifyVolume(
            flags.volume_id, bandwidth,
            [&bar, &context](uint64_t done, uint64_t total) {
              if (!context.json) bar.Update(done, total);
            },
            timeout));
  }
  if (context.json) {
    JsonWriter json;
    json.BeginObject()
        .Key("volume_id").Number(uint64_t{flags.volume_id})
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
    CliContext::Out(json.str() + "\n");
  } else {
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
        "volume ", flags.volume_id, ": ", report.needles_checked,
        " needles (", FormatBytes(report.bytes_checked), ") read back, ",
        report.corrupt_count == 0 ? std::string("none")
                                  : absl::StrCat(report.corrupt_count),
        " corrupt\n"));
  }
  if (report.corrupt_count > 0) {
    return absl::DataLossError(absl::StrCat(
        "volume ", flags.volume_id, ": ", report.corrupt_count,
        report.corrupt_count == 1 ? " needle fails" : " needles fail",
        " its checks; the objects listed have lost data"));
  }
  return absl::OkStatus();
}

}  // namespace

void AddVerifyCommand(CLI::App& app, CliContext& context,
                      CommandRunners& runners) {
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* verify = app.add_subcommand(
      "verify",
      "Read back every object of a volume on its server and check it; exit "
      "1 when one has lost data (admin)");
  verify->add_option("VOLUME_ID", flags->volume_id, "The volume")
      ->required()
      ->check(CLI::Range(1u, 0xFFFFFFFFu));
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
