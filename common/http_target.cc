#include "common/http_target.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/percent_encoding.h"

namespace warehouse::http {

absl::Status ParseTarget(absl::string_view target, std::string* path,
                         std::multimap<std::string, std::string>* query) {
  if (target.empty() || target[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "request target '", target, "': must be a path starting with '/'"));
  }
  absl::string_view raw_path = target;
  absl::string_view raw_query;
  size_t question = target.find('?');
  if (question != absl::string_view::npos) {
    raw_path = target.substr(0, question);
    raw_query = target.substr(question + 1);
  }
  absl::StatusOr<std::string> decoded = PercentDecode(raw_path);
  if (!decoded.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "request target '", target, "': path: ", decoded.status().message()));
  }
  *path = *std::move(decoded);
  if (path->find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("request target '", target, "': NUL byte in the path"));
  }
  return ParseQuery(raw_query, query);
}

absl::Status ParseQuery(absl::string_view raw_query,
                        std::multimap<std::string, std::string>* query) {
  query->clear();
  for (absl::string_view param : absl::StrSplit(raw_query, '&')) {
    if (param.empty()) continue;
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(param, absl::MaxSplits('=', 1));
    absl::StatusOr<std::string> name =
        PercentDecode(kv.first, /*plus_is_space=*/true);
    absl::StatusOr<std::string> value =
        PercentDecode(kv.second, /*plus_is_space=*/true);
    if (!name.ok() || !value.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "query parameter '", kv.first, "': ",
          (name.ok() ? value : name).status().message()));
    }
    query->emplace(*std::move(name), *std::move(value));
  }
  return absl::OkStatus();
}

}  // namespace warehouse::http
