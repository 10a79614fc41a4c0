// The client's side of the master's gRPC API: every call signed with the
// access key, given a deadline, and retried with backoff when it is safe to
// repeat and the master is Unavailable.
#ifndef WAREHOUSE_SDK_MASTER_RPC_H_
#define WAREHOUSE_SDK_MASTER_RPC_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/grpc_auth.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "grpcpp/grpcpp.h"
#include "proto/warehouse/master.grpc.pb.h"
#include "sdk/retry_policy.h"

namespace warehouse {

// Whether repeating a call can do harm.
enum class Idempotence {
  kSafe,    // reads, and calls whose repetition leaves nothing visible
  kUnsafe,  // mutations: one attempt only
};

// Immutable after construction; thread-safe (gRPC stubs are).
class MasterRpc {
 public:
  // `channel` leads to the master at `address` (named in errors).
  MasterRpc(const std::shared_ptr<grpc::Channel>& channel, std::string address,
            std::string access_key_id, std::string secret,
            absl::Duration call_timeout, RetryPolicy retry)
      : stub_(v1::Master::NewStub(channel)),
        address_(std::move(address)),
        access_key_id_(std::move(access_key_id)),
        secret_(std::move(secret)),
        call_timeout_(call_timeout),
        retry_(retry) {}

  // Calls `method` (named `name`, e.g. "ListBuckets"), attempting up to
  // retry.max_attempts times when `idempotence` is kSafe and the status
  // IsRetryable, else once. Returns the last attempt's status as CallOnce
  // does, an Unavailable after several attempts saying how many. Each
  // attempt may take `timeout`, or the client's call timeout when zero.
  template <typename Request, typename Response>
  absl::Status Call(grpc::Status (v1::Master::Stub::*method)(
                        grpc::ClientContext*, const Request&, Response*),
                    absl::string_view name, const Request& request,
                    Response* response, Idempotence idempotence,
                    absl::Duration timeout = absl::ZeroDuration()) const {
    const int attempts =
        idempotence == Idempotence::kSafe ? retry_.max_attempts : 1;
    absl::Status status;
    for (int attempt = 0; attempt < attempts; ++attempt) {
      if (attempt > 0) absl::SleepFor(retry_.BackoffBefore(attempt));
      status = CallOnce(method, name, request, response, timeout);
      if (!IsRetryable(status)) return status;
    }
    if (attempts == 1) return status;
    return absl::Status(status.code(), absl::StrCat(status.message(), " (",
                                                    attempts, " attempts)"));
  }

  // One attempt of Call. Returns the master's status (FromGrpcStatus); the
  // message of an Unavailable or DeadlineExceeded, whose words from gRPC
  // name no peer, is prefixed with "master <address>: <name>: ".
  template <typename Request, typename Response>
  absl::Status CallOnce(grpc::Status (v1::Master::Stub::*method)(
                            grpc::ClientContext*, const Request&, Response*),
                        absl::string_view name, const Request& request,
                        Response* response,
                        absl::Duration timeout = absl::ZeroDuration()) const {
    grpc::ClientContext context;
    RETURN_IF_ERROR(Prepare(&context, name, timeout));
    return Named(
        name, FromGrpcStatus(((*stub_).*method)(&context, request, response)));
  }

  // A call that answers with a stream, made once: `each` receives every
  // message as it arrives; its first error cancels the call and is
  // returned. Errors as CallOnce.
  template <typename Request, typename Response>
  absl::Status Stream(
      std::unique_ptr<grpc::ClientReader<Response>> (v1::Master::Stub::*method)(
          grpc::ClientContext*, const Request&),
      absl::string_view name, const Request& request,
      const std::function<absl::Status(const Response&)>& each,
      absl::Duration timeout = absl::ZeroDuration()) const {
    grpc::ClientContext context;
    RETURN_IF_ERROR(Prepare(&context, name, timeout));
    std::unique_ptr<grpc::ClientReader<Response>> reader =
        ((*stub_).*method)(&context, request);
    Response message;
    absl::Status handled;
    while (handled.ok() && reader->Read(&message)) handled = each(message);
    if (!handled.ok()) {
      context.TryCancel();
      while (reader->Read(&message)) {
      }
      reader->Finish();
      return handled;
    }
    return Named(name, FromGrpcStatus(reader->Finish()));
  }

  const RetryPolicy& retry() const { return retry_; }

 private:
  // Sets the deadline (`timeout`, or the call timeout when zero) and signs
  // the call to `name`.
  absl::Status Prepare(grpc::ClientContext* context, absl::string_view name,
                       absl::Duration timeout) const {
    context->set_deadline(absl::ToChronoTime(
        absl::Now() +
        (timeout > absl::ZeroDuration() ? timeout : call_timeout_)));
    return AttachAuthorization(
        context, FullMethodName(v1::Master::service_full_name(), name),
        access_key_id_, secret_, absl::Now());
  }

  // gRPC's words for Unavailable and DeadlineExceeded name no peer: the
  // master and the call are put first.
  absl::Status Named(absl::string_view name, const absl::Status& status) const {
    if (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status)) {
      return absl::Status(status.code(),
                          absl::StrCat("master ", address_, ": ", name, ": ",
                                       status.message()));
    }
    return status;
  }

  const std::unique_ptr<v1::Master::Stub> stub_;
  const std::string address_;
  const std::string access_key_id_;
  const std::string secret_;
  const absl::Duration call_timeout_;
  const RetryPolicy retry_;
};

}  // namespace warehouse

#endif  // WAREHOUSE_SDK_MASTER_RPC_H_
