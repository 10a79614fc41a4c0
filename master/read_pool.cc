#include "master/read_pool.h"

#include <utility>

#include "common/status_macros.h"

namespace warehouse::master {

ReadPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), db_(std::move(other.db_)) {}

ReadPool::Lease::~Lease() {
  if (pool_ != nullptr && db_ != nullptr) pool_->Release(std::move(db_));
}

absl::StatusOr<std::unique_ptr<ReadPool>> ReadPool::Open(
    const std::string& path, int connections) {
  std::unique_ptr<ReadPool> pool(new ReadPool());
  Database::Options options;
  options.create_if_missing = false;
  options.quick_check = false;  // the write connection checked the file
  options.query_only = true;
  std::vector<std::unique_ptr<Database>> opened;
  for (int i = 0; i < (connections < 1 ? 1 : connections); ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<Database> db,
                     Database::Open(path, options));
    opened.push_back(std::move(db));
  }
  absl::MutexLock lock(&pool->mu_);
  pool->free_ = std::move(opened);
  return pool;
}

ReadPool::Lease ReadPool::Acquire() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](std::vector<std::unique_ptr<Database>>* free) {
        return !free->empty();
      },
      &free_));
  std::unique_ptr<Database> db = std::move(free_.back());
  free_.pop_back();
  return Lease(this, std::move(db));
}

void ReadPool::Release(std::unique_ptr<Database> db) {
  absl::MutexLock lock(&mu_);
  free_.push_back(std::move(db));
}

}  // namespace warehouse::master
