#include "master/consistency_check.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/file_id.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {
namespace {

std::string FileIdOf(uint32_t volume_id, uint64_t needle_id, uint32_t cookie) {
  return FileId{volume_id, needle_id, cookie}.ToString();
}

}  // namespace

VolumeComparison::VolumeComparison(VolumeSnapshot snapshot)
    : snapshot_(std::move(snapshot)) {}

bool VolumeComparison::InFlight(uint64_t needle_id) const {
  return needle_id >= snapshot_.next_needle_id ||
         std::binary_search(snapshot_.pending_needle_ids.begin(),
                            snapshot_.pending_needle_ids.end(), needle_id) ||
         std::binary_search(snapshot_.deleting_needle_ids.begin(),
                            snapshot_.deleting_needle_ids.end(), needle_id);
}

void VolumeComparison::AddMissing(const ObjectNeedle& object,
                                  std::string detail) {
  Finding& finding = missing_.emplace_back();
  finding.kind = FindingKind::kMissing;
  finding.needle = {snapshot_.volume_id, object.needle_id, object.cookie};
  finding.bucket = object.bucket;
  finding.key = object.key;
  finding.detail = std::move(detail);
}

void VolumeComparison::Add(const ListedNeedle& needle) {
  ++needles_checked_;
  const std::vector<ObjectNeedle>& objects = snapshot_.objects;
  while (next_object_ < objects.size() &&
         objects[next_object_].needle_id < needle.needle_id) {
    const ObjectNeedle& object = objects[next_object_++];
    if (!object.lost) AddMissing(object, "needle absent from its volume");
  }
  bool named = false;
  while (next_object_ < objects.size() &&
         objects[next_object_].needle_id == needle.needle_id) {
    const ObjectNeedle& object = objects[next_object_++];
    named = true;
    if (object.lost) continue;
    if (object.cookie != needle.cookie) {
      AddMissing(object, absl::StrFormat(
                             "the volume holds needle %#x with cookie %08x",
                             needle.needle_id, needle.cookie));
    } else if (static_cast<uint64_t>(object.size) != needle.size) {
      AddMissing(object,
                 absl::StrCat("the object has ", object.size,
                              " bytes, its needle ", needle.size));
    }
  }
  if (named) return;
  if (InFlight(needle.needle_id)) {
    ++in_flight_;
    return;
  }
  Finding& finding = orphans_.emplace_back();
  finding.kind = FindingKind::kOrphan;
  finding.needle = {snapshot_.volume_id, needle.needle_id, needle.cookie};
  finding.detail =
      absl::StrCat("no object, pending upload or queued delete names it (",
                   needle.size, " bytes)");
}

void VolumeComparison::Finish() {
  while (next_object_ < snapshot_.objects.size()) {
    const ObjectNeedle& object = snapshot_.objects[next_object_++];
    if (!object.lost) AddMissing(object, "needle absent from its volume");
  }
}

absl::StatusOr<ConsistencyReport> ConsistencyChecker::Check(
    const Options& options) {
  ConsistencyReport report;
  std::vector<Finding> missing;
  std::vector<Finding> unchecked;
  std::vector<Finding> orphans;
  auto keep = [&](std::vector<Finding>& list, Finding finding) {
    if (list.size() < options.max_findings) {
      list.push_back(std::move(finding));
    } else {
      report.findings_truncated = true;
    }
  };
  auto skip_volume = [&](uint32_t volume_id, std::string detail) {
    ++report.volumes_unchecked;
    Finding finding;
    finding.kind = FindingKind::kUncheckedVolume;
    finding.needle.volume_id = volume_id;
    finding.detail = std::move(detail);
    keep(unchecked, std::move(finding));
  };

  ASSIGN_OR_RETURN(const std::vector<VolumeRecord> volumes,
                   store_->ListVolumes());
  std::map<std::string, ServerView> servers;
  for (ServerView& server : topology_->Servers()) {
    servers.emplace(server.server_id, std::move(server));
  }
  for (const VolumeRecord& volume : volumes) {
    auto server = servers.find(volume.server_id);
    if (server == servers.end() || !server->second.online) {
      skip_volume(volume.volume_id,
                  absl::StrCat("volume server ", volume.server_id,
                               " is offline"));
      continue;
    }
    if (server->second.admin_address.empty()) {
      skip_volume(volume.volume_id,
                  absl::StrCat("volume server ", volume.server_id,
                               " did not register an admin address"));
      continue;
    }
    // The master's view first, then the server's: anything that changes in
    // between is either named by the snapshot's pending uploads and queued
    // deletes, allocated past its next needle id, or gone from the
    // database by the time a missing object is confirmed.
    ASSIGN_OR_RETURN(VolumeSnapshot snapshot,
                     store_->SnapshotVolume(volume.volume_id));
    VolumeComparison comparison(std::move(snapshot));
    absl::Status listed = lister_->ListNeedles(
        server->second.admin_address, volume.volume_id,
        [&comparison](absl::Span<const ListedNeedle> page) {
          for (const ListedNeedle& needle : page) comparison.Add(needle);
        });
    // A server that does not hold the volume (never created, or it failed
    // to open) holds none of its needles: its objects are missing.
    const bool absent = absl::IsNotFound(listed);
    if (!listed.ok() && !absent) {
      skip_volume(volume.volume_id,
                  absl::StrCat("listing its needles on volume server ",
                               volume.server_id, " failed: ",
                               listed.ToString()));
      continue;
    }
    comparison.Finish();
    ++report.volumes_checked;
    report.objects_checked += comparison.objects_checked();
    report.needles_checked += comparison.needles_checked();
    report.needles_in_flight += comparison.in_flight();
    for (Finding candidate : comparison.missing_candidates()) {
      if (absent) {
        candidate.detail = absl::StrCat("volume server ", volume.server_id,
                                        " does not hold the volume: ",
                                        listed.message());
      }
      ASSIGN_OR_RETURN(bool still_named,
                       store_->ObjectHasNeedle(candidate.needle));
      if (!still_named) {
        // Deleted or replaced while the check ran.
        ++report.needles_in_flight;
        continue;
      }
      ++report.missing;
      spdlog::warn("consistency check: {}/{} ({}): missing: {}",
                   candidate.bucket, candidate.key,
                   FileIdOf(candidate.needle.volume_id,
                            candidate.needle.needle_id,
                            candidate.needle.cookie),
                   candidate.detail);
      keep(missing, candidate);
    }
    std::vector<NeedleRef> confirmed;
    for (const Finding& orphan : comparison.orphans()) {
      // A second look, as for the missing: an upload that took its needle
      // id just before the snapshot may have become pending just after it.
      ASSIGN_OR_RETURN(bool named, store_->NeedleNamed(orphan.needle));
      if (named) {
        ++report.needles_in_flight;
        continue;
      }
      ++report.orphans;
      keep(orphans, orphan);
      confirmed.push_back(orphan.needle);
    }
    if (options.repair_orphans && !confirmed.empty()) {
      ASSIGN_OR_RETURN(const int64_t queued, store_->QueueOrphans(confirmed));
      report.orphans_queued += static_cast<uint64_t>(queued);
    }
  }
  for (std::vector<Finding>* list : {&missing, &unchecked, &orphans}) {
    for (Finding& finding : *list) {
      if (report.findings.size() < options.max_findings) {
        report.findings.push_back(std::move(finding));
      } else {
        report.findings_truncated = true;
      }
    }
  }
  return report;
}

}  // namespace warehouse::master
