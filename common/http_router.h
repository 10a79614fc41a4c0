// Routes requests to handlers by method and path.
#ifndef WAREHOUSE_COMMON_HTTP_ROUTER_H_
#define WAREHOUSE_COMMON_HTTP_ROUTER_H_

#include <map>
#include <string>
#include <vector>

#include "common/http_server.h"
#include "common/http_status.h"

namespace warehouse::http {

// Maps (method, path) to handlers. A path matches an exact route
// ("/metrics") or a prefix route ("/" catches everything); the most
// specific match whose method fits wins: the exact route, then the longest
// prefix. A path that matches with no fitting method gets 405 with an
// Allow header listing the methods that would fit; no match at all gets
// 404. A HEAD request goes to the GET handler when no HEAD route fits (the
// server sends no body for HEAD). Error bodies are those of SendError.
//
// Registering the same method and path twice is a programmer error and
// aborts. Not thread-safe while routes are added; Serve may be called from
// many threads at once after that.
class Router {
 public:
  Router() = default;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Routes `method` requests for exactly `path`.
  void Handle(std::string method, std::string path, Handler handler);
  // Routes `method` requests for every path starting with `prefix`.
  void HandlePrefix(std::string method, std::string prefix, Handler handler);

  void Serve(Request& request, ResponseWriter& response) const;

  // A Handler for Server::Start that calls Serve. The router must outlive
  // the server.
  Handler AsHandler() const;

 private:
  // Handlers of one path or prefix, by method.
  using Methods = std::map<std::string, Handler>;

  static void Add(Methods& methods, std::string method, const std::string& at,
                  Handler handler);

  std::map<std::string, Methods> exact_;
  std::map<std::string, Methods> prefixes_;
};

}  // namespace warehouse::http

#endif  // WAREHOUSE_COMMON_HTTP_ROUTER_H_
