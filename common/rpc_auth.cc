#include "common/rpc_auth.h"

#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/crypto.h"
#include "common/status_macros.h"

namespace warehouse {
namespace {

constexpr size_t kMaxKeyIdLength = 64;
constexpr size_t kMaxTimestampDigits = 19;

absl::Status ValidateCredential(absl::string_view key_id) {
  bool ok = !key_id.empty() && key_id.size() <= kMaxKeyIdLength;
  for (char c : key_id) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-');
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        "credential must be 1 to 64 characters of letters, digits, '.', '_' "
        "and '-'");
  }
  return absl::OkStatus();
}

absl::Status ValidateMethod(absl::string_view full_method) {
  // "/<service>/<method>": two non-empty printable parts.
  bool ok = full_method.size() >= 4 && full_method[0] == '/';
  size_t slashes = 0;
  for (char c : full_method) {
    ok = ok && c > 0x20 && c < 0x7f;
    if (c == '/') ++slashes;
  }
  ok = ok && slashes == 2 && full_method[1] != '/' && full_method.back() != '/';
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("method \"", absl::CHexEscape(full_method.substr(0, 128)),
                     "\" is not /<service>/<method>"));
  }
  return absl::OkStatus();
}

std::string StringToSign(absl::string_view full_method, int64_t timestamp,
                         absl::string_view key_id) {
  return absl::StrCat(kRpcAuthScheme, "\n", full_method, "\n", timestamp, "\n",
                      key_id);
}

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("authorization: ", why));
}

// Removes "<name>=" from the front of `*part`; false if it is not there.
bool ConsumeField(absl::string_view* part, absl::string_view name) {
  return absl::ConsumePrefix(part, name) && absl::ConsumePrefix(part, "=");
}

}  // namespace

absl::StatusOr<std::string> BuildAuthorization(absl::string_view key_id,
                                               absl::string_view secret,
                                               absl::string_view full_method,
                                               absl::Time now) {
  RETURN_IF_ERROR(ValidateCredential(key_id));
  RETURN_IF_ERROR(ValidateMethod(full_method));
  const int64_t timestamp = absl::ToUnixSeconds(now);
  ASSIGN_OR_RETURN(
      std::string mac,
      HmacSha256(secret, StringToSign(full_method, timestamp, key_id)));
  return absl::StrCat(kRpcAuthScheme, " Credential=", key_id,
                      ", Timestamp=", timestamp,
                      ", Signature=", HexEncode(mac));
}

absl::StatusOr<std::string> VerifyAuthorization(absl::string_view header,
                                                absl::string_view full_method,
                                                absl::Time now,
                                                absl::Duration max_skew,
                                                const SecretLookup& lookup) {
  if (header.empty()) return Unauthenticated("missing; sign every call");
  if (!ValidateMethod(full_method).ok()) {
    return absl::InternalError(
        absl::StrCat("authorization: server passed a malformed method name \"",
                     absl::CHexEscape(full_method.substr(0, 128)), "\""));
  }
  absl::string_view rest = header;
  if (!absl::ConsumePrefix(&rest, kRpcAuthScheme) ||
      !absl::ConsumePrefix(&rest, " ")) {
    return Unauthenticated(absl::StrCat("scheme is not ", kRpcAuthScheme));
  }
  const size_t comma1 = rest.find(", ");
  const size_t comma2 = comma1 == absl::string_view::npos
                            ? absl::string_view::npos
                            : rest.find(", ", comma1 + 2);
  if (comma2 == absl::string_view::npos) {
    return Unauthenticated(
        "not \"Credential=<id>, Timestamp=<unix>, Signature=<hex>\"");
  }
  absl::string_view credential = rest.substr(0, comma1);
  absl::string_view timestamp_text =
      rest.substr(comma1 + 2, comma2 - comma1 - 2);
  absl::string_view signature_hex = rest.substr(comma2 + 2);
  if (!ConsumeField(&credential, "Credential") ||
      !ConsumeField(&timestamp_text, "Timestamp") ||
      !ConsumeField(&signature_hex, "Signature")) {
    return Unauthenticated(
        "not \"Credential=<id>, Timestamp=<unix>, Signature=<hex>\"");
  }
  if (!ValidateCredential(credential).ok()) {
    return Unauthenticated("credential is not a key id");
  }
  int64_t timestamp = 0;
  bool timestamp_ok = !timestamp_text.empty() &&
                      timestamp_text.size() <= kMaxTimestampDigits &&
                      (timestamp_text.size() == 1 || timestamp_text[0] != '0');
  for (char c : timestamp_text)
    timestamp_ok = timestamp_ok && c >= '0' && c <= '9';
  if (!timestamp_ok || !absl::SimpleAtoi(timestamp_text, &timestamp)) {
    return Unauthenticated(absl::StrCat(
        "key ", credential, ": timestamp is not unix seconds in decimal"));
  }
  if (signature_hex.size() != 2 * kHmacSha256Size) {
    return Unauthenticated(absl::StrCat("key ", credential,
                                        ": signature is not ",
                                        2 * kHmacSha256Size, " hex digits"));
  }
  absl::StatusOr<std::string> signature = HexDecode(signature_hex);
  if (!signature.ok()) {
    return Unauthenticated(
        absl::StrCat("key ", credential, ": signature is not lowercase hex"));
  }

  absl::StatusOr<std::string> secret = lookup(credential);
  if (absl::IsNotFound(secret.status())) {
    return Unauthenticated(absl::StrCat("unknown key ", credential));
  }
  if (!secret.ok()) return secret.status();
  absl::StatusOr<std::string> expected =
      HmacSha256(*secret, StringToSign(full_method, timestamp, credential));
  WipeString(&*secret);
  if (!expected.ok()) return expected.status();
  if (!ConstantTimeEquals(*expected, *signature)) {
    return Unauthenticated(absl::StrCat(
        "key ", credential, ": signature does not match ", full_method,
        " (wrong secret, or signed for another method)"));
  }
  const absl::Duration skew = now - absl::FromUnixSeconds(timestamp);
  if (skew > max_skew || -skew > max_skew) {
    return Unauthenticated(
        absl::StrCat("key ", credential, ": timestamp ", timestamp, " is ",
                     absl::FormatDuration(absl::AbsDuration(skew)),
                     " from the server's clock (unix ",
                     absl::ToUnixSeconds(now), "); the limit is ",
                     absl::FormatDuration(max_skew), ": check the clocks"));
  }
  return std::string(credential);
}

SecretLookup KeyRingLookup(const KeyRing& keys) {
  return [&keys](absl::string_view key_id) -> absl::StatusOr<std::string> {
    const KeyRing::Key* key = keys.Find(key_id);
    if (key == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("key ", key_id, " is not in the cluster key ring"));
    }
    return key->secret;
  };
}

}  // namespace warehouse
