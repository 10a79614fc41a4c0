#include "common/grpc_auth.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace warehouse {

std::string FullMethodName(absl::string_view service_full_name,
                           absl::string_view method) {
  return absl::StrCat("/", service_full_name, "/", method);
}

absl::Status AttachAuthorization(grpc::ClientContext* context,
                                 absl::string_view full_method,
                                 absl::string_view key_id,
                                 absl::string_view secret, absl::Time now) {
  ASSIGN_OR_RETURN(std::string value,
                   BuildAuthorization(key_id, secret, full_method, now));
  context->AddMetadata(kAuthorizationMetadataKey, value);
  return absl::OkStatus();
}

absl::StatusOr<std::string> AuthenticateCall(
    const grpc::ServerContextBase& context, absl::string_view full_method,
    absl::Time now, const SecretLookup& lookup, absl::Duration max_skew) {
  const auto& metadata = context.client_metadata();
  auto [begin, end] = metadata.equal_range(kAuthorizationMetadataKey);
  if (begin == end) {
    return absl::UnauthenticatedError(
        absl::StrCat(full_method,
                     ": no authorization metadata; sign every "
                     "call"));
  }
  if (std::next(begin) != end) {
    return absl::UnauthenticatedError(absl::StrCat(
        full_method, ": more than one authorization metadata entry"));
  }
  const absl::string_view value(begin->second.data(), begin->second.size());
  return VerifyAuthorization(value, full_method, now, max_skew, lookup);
}

}  // namespace warehouse
