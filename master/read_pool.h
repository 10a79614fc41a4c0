// A fixed set of query-only connections to the metadata database.
//
// In WAL mode readers never block the writer nor each other: each read
// transaction sees the database as of its first statement, including every
// write committed before it began. The pool lends each connection to one
// thread at a time.
#ifndef WAREHOUSE_MASTER_READ_POOL_H_
#define WAREHOUSE_MASTER_READ_POOL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "master/sqlite.h"

namespace warehouse::master {

// Owns the read connections. Thread-safe.
class ReadPool {
 public:
  // A connection on loan; returns it to the pool when destroyed. Must not
  // outlive the pool.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    Database& db() const { return *db_; }

   private:
    friend class ReadPool;
    Lease(ReadPool* pool, std::unique_ptr<Database> db)
        : pool_(pool), db_(std::move(db)) {}

    ReadPool* pool_;
    std::unique_ptr<Database> db_;
  };

  // Opens `connections` (at least 1) query-only connections to an existing
  // database at `path`. Errors: those of Database::Open.
  static absl::StatusOr<std::unique_ptr<ReadPool>> Open(const std::string& path,
                                                        int connections);

  ReadPool(const ReadPool&) = delete;
  ReadPool& operator=(const ReadPool&) = delete;

  // Waits until a connection is free and lends it.
  Lease Acquire() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  ReadPool() = default;

  void Release(std::unique_ptr<Database> db) ABSL_LOCKS_EXCLUDED(mu_);

  absl::Mutex mu_;
  std::vector<std::unique_ptr<Database>> free_ ABSL_GUARDED_BY(mu_);
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_READ_POOL_H_
