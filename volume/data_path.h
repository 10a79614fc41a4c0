// The volume server's HTTP data path (docs/volume_server.md):
//
//   PUT    /<file id>?<signed>   stream a needle in; answer once durable and
//                                recorded by the master
//   GET    /<file id>?<signed>   one pread for a small needle, bounded chunks
//   HEAD   /<file id>?<signed>   for a large one; single byte ranges
//   DELETE /<file id>?<signed>   append a tombstone
//   OPTIONS /<anything>           CORS preflight
//   GET    /healthz /readyz /usage /metrics
//
// The object routes answer cross-origin requests (CORS, any origin, no
// credentials), so a browser page elsewhere can use signed URLs.
//
// Handlers are thin: verify the signed url, call the volume, map the status.
// Thread-safe; the HTTP server calls it from one thread per connection.
#ifndef WAREHOUSE_VOLUME_DATA_PATH_H_
#define WAREHOUSE_VOLUME_DATA_PATH_H_

#include <functional>

#include "common/http_router.h"
#include "common/http_server.h"
#include "common/key_ring.h"
#include "common/metrics.h"
#include "common/signed_url.h"
#include "volume/store.h"
#include "volume/upload_reporter.h"
#include "volume/volume.h"

namespace warehouse::volume {

class DataPath {
 public:
  // Everything borrowed must outlive the DataPath. `ready` says whether the
  // server can take writes (it is connected to the master); /readyz
  // answers from it. `checksum_failures` counts GETs that find a needle
  // failing its checks.
  DataPath(Store* store, const KeyRing* keys, UploadReporter* reporter,
           MetricsRegistry* metrics, Counter* checksum_failures,
           std::function<bool()> ready);
  DataPath(const DataPath&) = delete;
  DataPath& operator=(const DataPath&) = delete;

  // Adds every route to `router`.
  void Register(http::Router& router);

 private:
  void Put(http::Request& request, http::ResponseWriter& response);
  // A PUT of a needle `volume` already holds: its signed url used again,
  // to retry after a 503 or as a replay. Writes nothing. A body with the
  // stored bytes is reported again, so a retry completes the upload, and
  // the needle is deleted if the master no longer knows the upload; other
  // bytes are answered 409.
  void PutAgain(http::Request& request, http::ResponseWriter& response,
                const UrlGrant& grant, Volume* volume, uint64_t length);
  // Reports a durable needle to the master and answers the PUT: 200 once
  // recorded; the master's error when it refuses (after calling
  // `on_refused` with it); 503 when it did not answer.
  void Record(http::ResponseWriter& response, const UrlGrant& grant,
              uint64_t length, uint32_t crc32c,
              const std::function<void(const absl::Status&)>& on_refused);
  void Get(http::Request& request, http::ResponseWriter& response);
  void Delete(http::Request& request, http::ResponseWriter& response);
  void Usage(http::Request& request, http::ResponseWriter& response);

  Store* const store_;
  const KeyRing* const keys_;
  UploadReporter* const reporter_;
  MetricsRegistry* const metrics_;
  const std::function<bool()> ready_;
  Counter* bytes_in_;
  Counter* bytes_out_;
  Counter* const checksum_failures_;
};

}  // namespace warehouse::volume

#endif  // WAREHOUSE_VOLUME_DATA_PATH_H_
