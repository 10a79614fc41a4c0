// A fresh directory under the system temp dir, removed with its contents
// when the TempDir goes out of scope.
#ifndef WAREHOUSE_TESTS_SUPPORT_TEMP_DIR_H_
#define WAREHOUSE_TESTS_SUPPORT_TEMP_DIR_H_

#include <string>

namespace warehouse::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace warehouse::testing

#endif  // WAREHOUSE_TESTS_SUPPORT_TEMP_DIR_H_
