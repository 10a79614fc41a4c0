#include "common/http_router.h"

#include <cstdlib>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "spdlog/spdlog.h"

namespace warehouse::http {

void Router::Add(Methods& methods, std::string method, const std::string& at,
                 Handler handler) {
  if (!handler || method.empty() || !methods.emplace(method, handler).second) {
    // A route table is fixed at startup; a clash is a bug to fix there.
    spdlog::critical("http router: route {} {} registered twice or empty",
                     method, at);
    std::abort();
  }
}

void Router::Handle(std::string method, std::string path, Handler handler) {
  Add(exact_[path], std::move(method), path, std::move(handler));
}

void Router::HandlePrefix(std::string method, std::string prefix,
                          Handler handler) {
  Add(prefixes_[prefix], std::move(method), prefix + "*", std::move(handler));
}

void Router::Serve(Request& request, ResponseWriter& response) const {
  // Candidates, most specific first: the exact route, then the prefixes
  // from longest to shortest.
  std::vector<const Methods*> matches;
  auto exact = exact_.find(request.path);
  if (exact != exact_.end()) matches.push_back(&exact->second);
  for (auto it = prefixes_.rbegin(); it != prefixes_.rend(); ++it) {
    // Reverse order visits a prefix before any shorter prefix of it.
    if (absl::StartsWith(request.path, it->first)) {
      matches.push_back(&it->second);
    }
  }
  for (const Methods* methods : matches) {
    auto handler = methods->find(request.method);
    if (handler != methods->end()) return handler->second(request, response);
  }
  if (request.method == "HEAD") {
    for (const Methods* methods : matches) {
      auto handler = methods->find("GET");
      if (handler != methods->end()) {
        return handler->second(request, response);
      }
    }
  }
  if (matches.empty()) {
    SendError(response, absl::NotFoundError(
                            absl::StrCat("no route for ", request.path)))
        .IgnoreError();
    return;
  }
  std::set<std::string> allowed;
  for (const Methods* methods : matches) {
    for (const auto& [method, handler] : *methods) {
      allowed.insert(method);
      if (method == "GET") allowed.insert("HEAD");
    }
  }
  response.SetHeader("Allow", absl::StrJoin(allowed, ", "));
  SendError(response,
            absl::InvalidArgumentError(absl::StrCat(
                request.method, " ", request.path, ": method not allowed")),
            405)
      .IgnoreError();
}

Handler Router::AsHandler() const {
  return [this](Request& request, ResponseWriter& response) {
    Serve(request, response);
  };
}

}  // namespace warehouse::http
