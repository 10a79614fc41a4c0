// ObjectLister: walks a bucket's listing one page at a time.
//
//   warehouse::ObjectLister lister = client->NewLister("photos", {"2024/"});
//   while (lister.HasNext()) {
//     absl::StatusOr<warehouse::ListPage> page = lister.Next();
//     if (!page.ok()) return page.status();
//     for (const warehouse::ObjectInfo& object : page->objects) { ... }
//   }
#ifndef WAREHOUSE_SDK_INCLUDE_WAREHOUSE_OBJECT_LISTER_H_
#define WAREHOUSE_SDK_INCLUDE_WAREHOUSE_OBJECT_LISTER_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "warehouse/types.h"

namespace warehouse {

class Client;

// A cursor over the pages of one listing. Not thread-safe; borrows the
// Client that made it, which must outlive it. Copyable: a copy continues
// from the same page independently.
class ObjectLister {
 public:
  // Whether a page remains: true until the last page has been returned.
  bool HasNext() const { return !done_; }

  // Fetches the next page. After an error the cursor stays where it was,
  // so calling again retries the same page. Errors: OutOfRange when no
  // page remains; those of Client::ListObjects.
  absl::StatusOr<ListPage> Next();

 private:
  friend class Client;
  ObjectLister(Client* client, std::string bucket, ListOptions options)
      : client_(client), bucket_(std::move(bucket)), options_(std::move(options)) {}

  Client* client_;
  std::string bucket_;
  ListOptions options_;
  std::string continuation_token_;
  bool done_ = false;
};

}  // namespace warehouse

#endif  // WAREHOUSE_SDK_INCLUDE_WAREHOUSE_OBJECT_LISTER_H_
