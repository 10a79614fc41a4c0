#include "master/unwritten_uploads.h"

#include <utility>

#include "absl/time/clock.h"

namespace warehouse::master {

void UnwrittenUploads::Add(Row row) {
  const Key key(row.upload.needle.volume_id, row.upload.needle.needle_id);
  absl::MutexLock lock(&mu_);
  Entry& entry = rows_[key];
  entry.row = std::move(row);
  Schedule(key, entry);
}

std::optional<UnwrittenUploads::Row> UnwrittenUploads::Claim(
    uint32_t volume_id, uint64_t needle_id) {
  absl::MutexLock lock(&mu_);
  auto it = rows_.find(Key(volume_id, needle_id));
  if (it == rows_.end() || it->second.claimed) return std::nullopt;
  it->second.claimed = true;
  return it->second.row;
}

std::vector<UnwrittenUploads::Row> UnwrittenUploads::ClaimDue(absl::Time now) {
  std::vector<Row> claimed;
  absl::MutexLock lock(&mu_);
  while (FirstDue() <= now) {
    Entry& entry = rows_.find(due_.front().first)->second;
    entry.claimed = true;
    claimed.push_back(entry.row);
    due_.pop_front();
  }
  return claimed;
}

std::vector<UnwrittenUploads::Row> UnwrittenUploads::ClaimIf(
    absl::FunctionRef<bool(const Row&)> claim) {
  std::vector<Row> claimed;
  absl::MutexLock lock(&mu_);
  for (auto& [key, entry] : rows_) {
    if (!entry.claimed && claim(entry.row)) {
      entry.claimed = true;
      claimed.push_back(entry.row);
    }
  }
  return claimed;
}

void UnwrittenUploads::Settle(absl::Span<const Row> rows, bool committed) {
  absl::MutexLock lock(&mu_);
  for (const Row& row : rows) {
    const Key key(row.upload.needle.volume_id, row.upload.needle.needle_id);
    auto it = rows_.find(key);
    if (it == rows_.end()) continue;
    if (committed) {
      rows_.erase(it);
    } else {
      Schedule(key, it->second);
    }
  }
}

bool UnwrittenUploads::Contains(uint32_t volume_id, uint64_t needle_id) const {
  absl::MutexLock lock(&mu_);
  return rows_.contains(Key(volume_id, needle_id));
}

std::vector<uint64_t> UnwrittenUploads::NeedleIds(uint32_t volume_id) const {
  std::vector<uint64_t> ids;
  absl::MutexLock lock(&mu_);
  for (const auto& [key, entry] : rows_) {
    if (key.first == volume_id) ids.push_back(key.second);
  }
  return ids;
}

size_t UnwrittenUploads::size() const {
  absl::MutexLock lock(&mu_);
  return rows_.size();
}

bool UnwrittenUploads::WaitForDue() {
  absl::MutexLock lock(&mu_);
  for (;;) {
    if (woken_) return true;
    const absl::Time first_due = FirstDue();
    if (first_due <= absl::Now()) return false;
    // A row scheduled meanwhile falls due after `first_due`; with none
    // scheduled, Schedule signals.
    if (first_due == absl::InfiniteFuture()) {
      cv_.Wait(&mu_);
    } else {
      cv_.WaitWithDeadline(&mu_, first_due);
    }
  }
}

void UnwrittenUploads::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
  cv_.Signal();
}

void UnwrittenUploads::Schedule(const Key& key, Entry& entry) {
  entry.claimed = false;
  entry.write_at = absl::Now() + delay_;
  if (due_.empty()) cv_.Signal();
  due_.emplace_back(key, entry.write_at);
}

absl::Time UnwrittenUploads::FirstDue() {
  while (!due_.empty()) {
    const auto& [key, write_at] = due_.front();
    auto it = rows_.find(key);
    if (it != rows_.end() && !it->second.claimed &&
        it->second.write_at == write_at) {
      return write_at;
    }
    due_.pop_front();  // claimed, or scheduled again for a later time
  }
  return absl::InfiniteFuture();
}

}  // namespace warehouse::master
