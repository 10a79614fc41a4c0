// The web dashboard's files (master/dashboard/: HTML, CSS, JavaScript),
// compiled into the master binary by cmake/embed_files.cmake, so the
// dashboard needs no files on disk and no network beyond the master.
#ifndef WAREHOUSE_MASTER_DASHBOARD_ASSETS_H_
#define WAREHOUSE_MASTER_DASHBOARD_ASSETS_H_

#include <cstddef>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace warehouse::master {

// One file, immutable for the life of the process.
struct EmbeddedFile {
  const char* name;          // its path under master/dashboard/, "app.js"
  const char* content_type;  // from its extension
  const unsigned char* data;
  size_t size;

  absl::string_view contents() const {
    return absl::string_view(reinterpret_cast<const char*>(data), size);
  }
};

// Every file of master/dashboard/ (generated at build time).
absl::Span<const EmbeddedFile> DashboardAssets();

// The file named `name`, or null.
const EmbeddedFile* FindDashboardAsset(absl::string_view name);

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_DASHBOARD_ASSETS_H_
