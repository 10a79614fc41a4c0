#include "master/dashboard_assets.h"

namespace warehouse::master {

const EmbeddedFile* FindDashboardAsset(absl::string_view name) {
  for (const EmbeddedFile& file : DashboardAssets()) {
    if (name == file.name) return &file;
  }
  return nullptr;
}

}  // namespace warehouse::master
