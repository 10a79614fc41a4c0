#include "common/signed_url.h"

#include <limits>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto.h"
#include "common/percent_encoding.h"
#include "common/status_macros.h"

namespace warehouse {
namespace {

// The first line of every canonical string; a new signing scheme gets a
// new first line, so no signature can be valid under two schemes.
constexpr char kSchemeLine[] = "WAREHOUSE-URL-V1";
constexpr size_t kMaxQueryLength = 4096;
constexpr size_t kMaxUint64Digits = 20;

constexpr char kExpires[] = "expires";
constexpr char kKey[] = "key";
constexpr char kLength[] = "length";
constexpr char kUpload[] = "upload";
constexpr char kType[] = "type";
constexpr char kRange[] = "range";
constexpr char kSig[] = "sig";
// Present (as op=delete) only on a delete url.
constexpr char kOp[] = "op";
constexpr char kOpDelete[] = "delete";

// Parses a decimal without sign or leading zeros ("0" itself is fine).
bool ParseCanonicalDecimal(absl::string_view text, uint64_t* value) {
  if (text.empty() || text.size() > kMaxUint64Digits) return false;
  if (text.size() > 1 && text[0] == '0') return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return absl::SimpleAtoi(text, value);
}

std::string RangeText(const ByteRange& range) {
  return absl::StrCat(range.first, "-", range.last);
}

absl::Status ValidateUploadId(absl::string_view id) {
  bool ok = !id.empty() && id.size() <= UrlGrant::kMaxUploadIdLength;
  for (char c : id) {
    ok = ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                (c >= '0' && c <= '9') || c == '_' || c == '-');
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        "upload id must be 1 to 64 characters of letters, digits, '_' and "
        "'-'");
  }
  return absl::OkStatus();
}

absl::Status ValidateContentType(absl::string_view type) {
  bool ok = !type.empty() && type.size() <= UrlGrant::kMaxContentTypeLength;
  for (char c : type) ok = ok && c >= 0x20 && c <= 0x7e;
  if (!ok) {
    return absl::InvalidArgumentError(
        "content type must be 1 to 255 characters of printable ASCII");
  }
  return absl::OkStatus();
}

// The method a grant's canonical string names.
const char* AccessMethod(UrlAccess access) {
  switch (access) {
    case UrlAccess::kRead:
      return "GET";
    case UrlAccess::kWrite:
      return "PUT";
    case UrlAccess::kDelete:
      return "DELETE";
  }
  return "?";
}

absl::Status ValidateGrant(const UrlGrant& grant) {
  if (grant.file_id.volume_id == 0) {
    return absl::InvalidArgumentError("volume id 0 is reserved");
  }
  if (grant.expires_unix_seconds <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expiry ", grant.expires_unix_seconds, " is not a positive time"));
  }
  if (grant.access == UrlAccess::kDelete &&
      (grant.content_length != 0 || !grant.upload_id.empty() ||
       !grant.content_type.empty() || grant.range.has_value())) {
    return absl::InvalidArgumentError(
        "a delete grant cannot have a length, upload id, content type or "
        "range");
  }
  if (grant.access == UrlAccess::kWrite) {
    RETURN_IF_ERROR(ValidateUploadId(grant.upload_id));
    RETURN_IF_ERROR(ValidateContentType(grant.content_type));
    if (grant.range.has_value()) {
      return absl::InvalidArgumentError("a write grant cannot have a range");
    }
  } else {
    if (grant.content_length != 0 || !grant.upload_id.empty() ||
        !grant.content_type.empty()) {
      return absl::InvalidArgumentError(
          "a read grant cannot have a length, upload id or content type");
    }
    if (grant.range.has_value() && grant.range->first > grant.range->last) {
      return absl::InvalidArgumentError(absl::StrCat(
          "range ", RangeText(*grant.range), " ends before it starts"));
    }
  }
  return absl::OkStatus();
}

absl::Status WithFileId(absl::string_view file_id, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat("signed url for ", file_id,
                                                  ": ", status.message()));
}

// The query's parameters after percent-decoding, by name.
using QueryParams = std::map<std::string, std::string, std::less<>>;

absl::StatusOr<QueryParams> ParseQuery(absl::string_view query) {
  if (query.size() > kMaxQueryLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("query longer than ", kMaxQueryLength, " bytes"));
  }
  QueryParams params;
  if (query.empty()) return params;
  for (absl::string_view part : absl::StrSplit(query, '&')) {
    const size_t eq = part.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("query part \"", absl::CHexEscape(part.substr(0, 32)),
                       "\" is not name=value"));
    }
    const absl::string_view name = part.substr(0, eq);
    if (name != kExpires && name != kKey && name != kLength &&
        name != kUpload && name != kType && name != kRange && name != kSig &&
        name != kOp) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown query parameter \"",
                       absl::CHexEscape(name.substr(0, 32)), "\""));
    }
    ASSIGN_OR_RETURN(std::string value, PercentDecode(part.substr(eq + 1)));
    if (!params.emplace(std::string(name), std::move(value)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("query parameter ", name, " appears twice"));
    }
  }
  return params;
}

const std::string* FindParam(const QueryParams& params,
                             absl::string_view name) {
  auto it = params.find(name);
  return it == params.end() ? nullptr : &it->second;
}

absl::StatusOr<std::string> ComputeSignature(const UrlGrant& grant,
                                             const KeyRing::Key& key) {
  return HmacSha256(key.secret, CanonicalUrlString(grant, key.id));
}

}  // namespace

std::string CanonicalUrlString(const UrlGrant& grant,
                               absl::string_view key_id) {
  const bool write = grant.access == UrlAccess::kWrite;
  return absl::StrCat(
      kSchemeLine, "\n", AccessMethod(grant.access), "\n",
      grant.file_id.ToString(),
      "\n", grant.expires_unix_seconds, "\n", key_id, "\n",
      write ? absl::StrCat(grant.content_length) : "", "\n",
      write ? grant.upload_id : "", "\n", write ? grant.content_type : "", "\n",
      grant.range.has_value() ? RangeText(*grant.range) : "");
}

absl::StatusOr<std::string> SignUrl(const UrlGrant& grant,
                                    const KeyRing& keys) {
  const std::string file_id = grant.file_id.ToString();
  absl::Status valid = ValidateGrant(grant);
  if (!valid.ok()) return WithFileId(file_id, valid);
  const KeyRing::Key& key = keys.primary();
  ASSIGN_OR_RETURN(std::string signature, ComputeSignature(grant, key));

  std::string url =
      absl::StrCat("/", file_id, "?", kExpires, "=", grant.expires_unix_seconds,
                   "&", kKey, "=", PercentEncode(key.id));
  if (grant.access == UrlAccess::kWrite) {
    absl::StrAppend(&url, "&", kLength, "=", grant.content_length, "&", kUpload,
                    "=", PercentEncode(grant.upload_id), "&", kType, "=",
                    PercentEncode(grant.content_type));
  }
  if (grant.range.has_value()) {
    absl::StrAppend(&url, "&", kRange, "=", RangeText(*grant.range));
  }
  if (grant.access == UrlAccess::kDelete) {
    absl::StrAppend(&url, "&", kOp, "=", kOpDelete);
  }
  absl::StrAppend(&url, "&", kSig, "=", HexEncode(signature));
  return url;
}

absl::StatusOr<UrlGrant> VerifySignedRequest(absl::string_view method,
                                             absl::string_view path,
                                             absl::string_view query,
                                             absl::Time now,
                                             const KeyRing& keys) {
  UrlAccess requested;
  if (method == "GET" || method == "HEAD") {
    requested = UrlAccess::kRead;
  } else if (method == "PUT") {
    requested = UrlAccess::kWrite;
  } else if (method == "DELETE") {
    requested = UrlAccess::kDelete;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "signed url: method ", absl::CHexEscape(method.substr(0, 16)),
        " cannot use a signed url; use GET, HEAD, PUT or DELETE"));
  }
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError(
        "signed url: path does not start with '/'");
  }
  absl::StatusOr<FileId> parsed_id = FileId::Parse(path.substr(1));
  if (!parsed_id.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "signed url: path is not /<file id>: ", parsed_id.status().message()));
  }
  UrlGrant grant;
  grant.file_id = *parsed_id;
  const std::string file_id = grant.file_id.ToString();
  auto fail = [&file_id](absl::Status status) {
    return WithFileId(file_id, status);
  };

  absl::StatusOr<QueryParams> params_or = ParseQuery(query);
  if (!params_or.ok()) return fail(params_or.status());
  const QueryParams& params = *params_or;
  const std::string* sig = FindParam(params, kSig);
  if (sig == nullptr) {
    return fail(absl::UnauthenticatedError("not signed: no sig parameter"));
  }
  const std::string* expires = FindParam(params, kExpires);
  const std::string* key_id = FindParam(params, kKey);
  if (expires == nullptr || key_id == nullptr) {
    return fail(absl::InvalidArgumentError(absl::StrCat(
        "missing the ", expires == nullptr ? kExpires : kKey, " parameter")));
  }
  uint64_t expires_value = 0;
  if (!ParseCanonicalDecimal(*expires, &expires_value) || expires_value == 0 ||
      expires_value >
          static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return fail(absl::InvalidArgumentError(
        "expires is not a positive decimal without leading zeros"));
  }
  grant.expires_unix_seconds = static_cast<int64_t>(expires_value);
  absl::Status key_valid = ValidateKeyId(*key_id);
  if (!key_valid.ok()) return fail(key_valid);
  grant.key_id = *key_id;
  if (sig->size() != 2 * kHmacSha256Size) {
    return fail(absl::InvalidArgumentError(
        absl::StrCat("sig is not ", 2 * kHmacSha256Size, " hex digits")));
  }
  absl::StatusOr<std::string> signature = HexDecode(*sig);
  if (!signature.ok()) {
    return fail(absl::InvalidArgumentError(
        absl::StrCat("sig: ", signature.status().message())));
  }

  const std::string* length = FindParam(params, kLength);
  const std::string* upload = FindParam(params, kUpload);
  const std::string* type = FindParam(params, kType);
  const std::string* range = FindParam(params, kRange);
  const int write_params =
      (length != nullptr) + (upload != nullptr) + (type != nullptr);
  if (write_params != 0 && write_params != 3) {
    return fail(absl::InvalidArgumentError(
        "a write url needs all of length, upload and type"));
  }
  const std::string* op = FindParam(params, kOp);
  if (op != nullptr && *op != kOpDelete) {
    return fail(absl::InvalidArgumentError("op must be delete"));
  }
  const UrlAccess granted = op != nullptr       ? UrlAccess::kDelete
                            : write_params == 3 ? UrlAccess::kWrite
                                                : UrlAccess::kRead;
  if (granted != UrlAccess::kRead && range != nullptr) {
    return fail(absl::InvalidArgumentError(
        "only a read url can have a range parameter"));
  }
  if (granted == UrlAccess::kDelete && write_params != 0) {
    return fail(absl::InvalidArgumentError(
        "a delete url cannot have length, upload or type"));
  }
  if (granted != requested) {
    const char* allowed = granted == UrlAccess::kWrite    ? "PUT"
                          : granted == UrlAccess::kDelete ? "DELETE"
                                                          : "GET and HEAD";
    return fail(absl::PermissionDeniedError(absl::StrCat(
        "the url grants ", allowed, ", not ", absl::CHexEscape(method))));
  }
  grant.access = granted;
  if (granted == UrlAccess::kWrite) {
    if (!ParseCanonicalDecimal(*length, &grant.content_length)) {
      return fail(absl::InvalidArgumentError(
          "length is not a decimal without leading zeros"));
    }
    grant.upload_id = *upload;
    grant.content_type = *type;
  }
  if (range != nullptr) {
    const size_t dash = range->find('-');
    ByteRange parsed;
    if (dash == std::string::npos ||
        !ParseCanonicalDecimal(absl::string_view(*range).substr(0, dash),
                               &parsed.first) ||
        !ParseCanonicalDecimal(absl::string_view(*range).substr(dash + 1),
                               &parsed.last)) {
      return fail(absl::InvalidArgumentError(
          "range is not <first>-<last> in decimal without leading zeros"));
    }
    grant.range = parsed;
  }
  absl::Status valid = ValidateGrant(grant);
  if (!valid.ok()) return fail(valid);

  const KeyRing::Key* key = keys.Find(grant.key_id);
  if (key == nullptr) {
    return fail(absl::PermissionDeniedError(
        absl::StrCat("key ", grant.key_id, " is not in the key ring")));
  }
  absl::StatusOr<std::string> expected = ComputeSignature(grant, *key);
  if (!expected.ok()) return fail(expected.status());
  if (!ConstantTimeEquals(*expected, *signature)) {
    return fail(absl::PermissionDeniedError(
        absl::StrCat("signature does not match (key ", grant.key_id, ")")));
  }
  if (now > absl::FromUnixSeconds(grant.expires_unix_seconds)) {
    return fail(absl::PermissionDeniedError(
        absl::StrCat("expired at unix time ", grant.expires_unix_seconds,
                     "; request began at ", absl::ToUnixSeconds(now))));
  }
  return grant;
}

}  // namespace warehouse
