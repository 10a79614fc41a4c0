// The consistency check: compares what the master's database says each
// volume holds with the needles its volume server actually holds.
//
// For each volume the check reads the master's view first (one read
// transaction: live objects, pending uploads, queued deletes and the next
// needle id), then lists the volume's needles on its server, in id order,
// and merges the two:
//
//   - a live object whose needle is absent, or has another cookie or size, is
//     missing (data loss), unless a second read finds its row gone: it was
//     deleted or replaced while the check ran;
//   - a needle no object names is in flight if a pending upload or a
//     queued delete names it or its id was allocated after the snapshot
//     (at or above the next needle id), else an orphan (reclaimable),
//     unless a second look finds it named: its upload took its id just
//     before the snapshot and became pending just after;
//   - a volume whose server is offline, never said where its admin service
//     is, or failed to list it is reported unchecked; one its server does
//     not hold (NotFound) has no needles, so its objects are missing.
//
// docs/reliability.md ("Consistency check") explains why this order leaves
// no false report.
#ifndef WAREHOUSE_MASTER_CONSISTENCY_CHECK_H_
#define WAREHOUSE_MASTER_CONSISTENCY_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "master/metadata_records.h"
#include "master/metadata_store.h"
#include "master/topology.h"

namespace warehouse::master {

// A needle as its volume server lists it.
struct ListedNeedle {
  uint64_t needle_id = 0;
  uint32_t cookie = 0;
  uint64_t size = 0;
};

// Lists the needles of a volume on the server that holds it.
class NeedleLister {
 public:
  // Receives one page of needles, in increasing id order across pages.
  using PageSink = std::function<void(absl::Span<const ListedNeedle>)>;

  virtual ~NeedleLister() = default;
  // Lists volume `volume_id` on the server whose VolumeAdmin service is at
  // `admin_address`. Errors: whatever the server or the connection
  // returns (the volume is then reported unchecked).
  virtual absl::Status ListNeedles(const std::string& admin_address,
                                   uint32_t volume_id,
                                   const PageSink& page) = 0;
};

enum class FindingKind { kOrphan, kMissing, kUncheckedVolume };

struct Finding {
  FindingKind kind = FindingKind::kOrphan;
  NeedleRef needle;    // volume_id always; needle id and cookie if a needle
  std::string bucket;  // kMissing
  std::string key;     // kMissing
  std::string detail;
};

// The merge of one volume's snapshot with its listing. Not thread-safe.
class VolumeComparison {
 public:
  explicit VolumeComparison(VolumeSnapshot snapshot);

  // Takes the next listed needle. REQUIRES: ids increase across calls.
  void Add(const ListedNeedle& needle);
  // Ends the listing: every object not yet matched is missing.
  void Finish();

  // Objects whose needle is absent or differs, to be confirmed by a second
  // read (the row may have gone since the snapshot).
  const std::vector<Finding>& missing_candidates() const { return missing_; }
  const std::vector<Finding>& orphans() const { return orphans_; }
  uint64_t in_flight() const { return in_flight_; }
  uint64_t needles_checked() const { return needles_checked_; }
  uint64_t objects_checked() const { return snapshot_.objects.size(); }

 private:
  bool InFlight(uint64_t needle_id) const;
  void AddMissing(const ObjectNeedle& object, std::string detail);

  const VolumeSnapshot snapshot_;
  size_t next_object_ = 0;
  std::vector<Finding> missing_;
  std::vector<Finding> orphans_;
  uint64_t in_flight_ = 0;
  uint64_t needles_checked_ = 0;
};

struct ConsistencyReport {
  uint64_t volumes_checked = 0;
  uint64_t volumes_unchecked = 0;
  uint64_t objects_checked = 0;
  uint64_t needles_checked = 0;
  uint64_t needles_in_flight = 0;
  uint64_t orphans = 0;
  uint64_t missing = 0;
  uint64_t orphans_queued = 0;
  // Missing first, then unchecked volumes, then orphans; at most
  // max_findings of them.
  std::vector<Finding> findings;
  bool findings_truncated = false;
};

// Runs the check over every volume the database knows. Thread-safe (each
// Check works on its own state); `*store`, `*topology` and `*lister` must
// outlive it.
class ConsistencyChecker {
 public:
  struct Options {
    // Queue orphans for deletion (MetadataStore::QueueOrphans).
    bool repair_orphans = false;
    size_t max_findings = 1000;
  };

  ConsistencyChecker(MetadataStore* store, Topology* topology,
                     NeedleLister* lister)
      : store_(store), topology_(topology), lister_(lister) {}

  // Errors: those of the store (the check stops; nothing was repaired on
  // the volumes not yet reached).
  absl::StatusOr<ConsistencyReport> Check(const Options& options);

 private:
  MetadataStore* const store_;
  Topology* const topology_;
  NeedleLister* const lister_;
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_CONSISTENCY_CHECK_H_
