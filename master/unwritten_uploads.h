// Pending uploads whose rows the store has not written yet.
//
// BeginUpload keeps a new upload's pending row here instead of writing it
// at once. When the upload's commit comes within the write delay, as a
// small object's usually does, the commit takes the row from here and
// writes only its object: the pending row is never inserted nor deleted.
// Rows still here after the delay are written to `pending_uploads` by the
// store's row writer.
//
// Every write transaction that replaces a row (the commit, the row writer,
// an expiry, a bucket's deletion) claims it from inside the transaction
// and settles the claim once the transaction has committed or failed. A
// claimed row is no longer handed out, but it still counts as pending here
// (Contains, NeedleIds) until it is settled, so that a reader who looks
// here and then in the database finds every pending upload in one place
// or the other, whatever commits between its two looks. A transaction that
// fails gives its rows back. docs/metadata_schema.md ("Durability") says
// what a crash may lose.
#ifndef WAREHOUSE_MASTER_UNWRITTEN_UPLOADS_H_
#define WAREHOUSE_MASTER_UNWRITTEN_UPLOADS_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "master/metadata_records.h"

namespace warehouse::master {

// Thread-safe.
class UnwrittenUploads {
 public:
  // A pending upload as its row would hold it.
  struct Row {
    int64_t bucket_id = 0;
    Upload upload;
  };

  // Rows fall due for writing `delay` after they are added.
  explicit UnwrittenUploads(absl::Duration delay) : delay_(delay) {}
  UnwrittenUploads(const UnwrittenUploads&) = delete;
  UnwrittenUploads& operator=(const UnwrittenUploads&) = delete;

  // Keeps `row` until a claim on it is settled as committed.
  void Add(Row row) ABSL_LOCKS_EXCLUDED(mu_);

  // Claims the row of the upload of needle `needle_id` on volume
  // `volume_id` and returns a copy; nullopt when it is not here or already
  // claimed.
  std::optional<Row> Claim(uint32_t volume_id, uint64_t needle_id)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Claims every unclaimed row due at or before `now`.
  std::vector<Row> ClaimDue(absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);
  // Claims every unclaimed row for which `claim` is true.
  std::vector<Row> ClaimIf(absl::FunctionRef<bool(const Row&)> claim)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Ends the claims on `rows`: once the transaction that claimed them has
  // committed, they are gone from here; if it failed, they are unclaimed
  // and fall due `delay` from now.
  void Settle(absl::Span<const Row> rows, bool committed)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Whether the upload is here, claimed or not.
  bool Contains(uint32_t volume_id, uint64_t needle_id) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // The needle ids of the volume's rows, claimed or not, in no order.
  std::vector<uint64_t> NeedleIds(uint32_t volume_id) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Rows here, claimed or not.
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

  // Blocks until an unclaimed row falls due or Wake is called; returns at
  // once if one is due. Returns whether Wake was called.
  bool WaitForDue() ABSL_LOCKS_EXCLUDED(mu_);
  // Makes every WaitForDue return now and from now on.
  void Wake() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  using Key = std::pair<uint32_t, uint64_t>;  // volume id, needle id
  struct Entry {
    Row row;
    absl::Time write_at;
    bool claimed = false;
  };

  // Queues `key`, unclaimed, to fall due `delay_` from now.
  void Schedule(const Key& key, Entry& entry)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The due time at the front of `due_` of an unclaimed row, dropping the
  // entries of rows claimed or added again since; InfiniteFuture when there
  // is none.
  absl::Time FirstDue() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const absl::Duration delay_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<Key, Entry> rows_ ABSL_GUARDED_BY(mu_);
  // Each scheduling's key and due time, in the order of the calls, hence of
  // due times, every row being scheduled the same delay ahead. Entries of
  // rows claimed by key stay until they reach the front.
  std::deque<std::pair<Key, absl::Time>> due_ ABSL_GUARDED_BY(mu_);
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  // Signalled when `due_` turns non-empty, and by Wake.
  absl::CondVar cv_;
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_UNWRITTEN_UPLOADS_H_
