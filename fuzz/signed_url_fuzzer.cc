// Fuzzes signed URLs (common/signed_url.h): the verifier on requests built
// from fuzz input, and SignUrl followed by VerifySignedRequest on grants
// built from fuzz input. The key rings are fixed (fuzz/fuzz_keys.h).
//
// Input: byte 0 picks the mode.
//   even: verify. The rest is "<method>\n<path>\n<query>" (missing parts
//         are empty), verified at FuzzNow() against FuzzKeyRing().
//   odd:  round trip. The rest is read by FuzzedDataProvider into a grant:
//         access, file id, expiry, length, upload id, content type, range,
//         which key ring signs, and whether to clear the fields the access
//         does not take (so that most grants are valid).
//
// Invariants of verify: a request is refused only as Unauthenticated,
// InvalidArgument or PermissionDenied, with a message of bounded length;
// a grant that verifies names the path's file id, a key of the ring, an
// expiry not before now and an access the method uses, and signing it
// again gives a URL that verifies to the same grant; nothing verifies
// under a ring with other secrets.
//
// Invariants of the round trip: SignUrl refuses (with InvalidArgument)
// exactly the grants the header documents as invalid; a URL it signs
// verifies, for each method its access allows, to the grant signed, at
// its expiry; not a second after, not for any other method, not under other
// secrets, and not with its expiry changed.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/signed_url.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_keys.h"

namespace warehouse::fuzz {
namespace {

constexpr size_t kMaxMessageSize = 512;
constexpr const char* kMethods[] = {"GET", "HEAD", "PUT", "DELETE", "POST"};

bool MethodAllowed(UrlAccess access, absl::string_view method) {
  switch (access) {
    case UrlAccess::kRead:
      return method == "GET" || method == "HEAD";
    case UrlAccess::kWrite:
      return method == "PUT";
    case UrlAccess::kDelete:
      return method == "DELETE";
  }
  return false;
}

bool SameGrant(const UrlGrant& a, const UrlGrant& b) {
  return a.access == b.access && a.file_id == b.file_id &&
         a.expires_unix_seconds == b.expires_unix_seconds &&
         a.content_length == b.content_length && a.upload_id == b.upload_id &&
         a.content_type == b.content_type && a.range == b.range &&
         a.key_id == b.key_id;
}

// The ring whose primary key is `key_id`.
const KeyRing& RingSigningWith(absl::string_view key_id) {
  return key_id == FuzzKeyRing().primary().id ? FuzzKeyRing()
                                              : FuzzOldKeyRing();
}

struct Url {
  std::string path;
  std::string query;
};

Url SplitUrl(absl::string_view url) {
  const size_t question = url.find('?');
  FUZZ_CHECK(question != absl::string_view::npos);
  return {std::string(url.substr(0, question)),
          std::string(url.substr(question + 1))};
}

// A grant as common/signed_url.h documents the grants SignUrl accepts.
bool DocumentedValid(const UrlGrant& grant) {
  if (grant.file_id.volume_id == 0 || grant.expires_unix_seconds <= 0) {
    return false;
  }
  const bool has_write_fields = grant.content_length != 0 ||
                                !grant.upload_id.empty() ||
                                !grant.content_type.empty();
  switch (grant.access) {
    case UrlAccess::kRead:
      return !has_write_fields && (!grant.range.has_value() ||
                                   grant.range->first <= grant.range->last);
    case UrlAccess::kDelete:
      return !has_write_fields && !grant.range.has_value();
    case UrlAccess::kWrite: {
      if (grant.range.has_value()) return false;
      if (grant.upload_id.empty() ||
          grant.upload_id.size() > UrlGrant::kMaxUploadIdLength) {
        return false;
      }
      for (char c : grant.upload_id) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) return false;
      }
      if (grant.content_type.empty() ||
          grant.content_type.size() > UrlGrant::kMaxContentTypeLength) {
        return false;
      }
      for (char c : grant.content_type) {
        if (c < 0x20 || c > 0x7e) return false;
      }
      return true;
    }
  }
  return false;
}

void Verify(absl::string_view input) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(input, absl::MaxSplits('\n', 2));
  parts.resize(3);
  const absl::string_view method = parts[0];
  const absl::string_view path = parts[1];
  const absl::string_view query = parts[2];

  absl::StatusOr<UrlGrant> grant =
      VerifySignedRequest(method, path, query, FuzzNow(), FuzzKeyRing());
  if (!grant.ok()) {
    FUZZ_CHECK(absl::IsUnauthenticated(grant.status()) ||
               absl::IsInvalidArgument(grant.status()) ||
               absl::IsPermissionDenied(grant.status()));
    FUZZ_CHECK(grant.status().message().size() < kMaxMessageSize);
    return;
  }
  FUZZ_CHECK(MethodAllowed(grant->access, method));
  FUZZ_CHECK(path == absl::StrCat("/", grant->file_id.ToString()));
  FUZZ_CHECK(FuzzKeyRing().Find(grant->key_id) != nullptr);
  FUZZ_CHECK(absl::FromUnixSeconds(grant->expires_unix_seconds) >= FuzzNow());

  absl::StatusOr<std::string> signed_url =
      SignUrl(*grant, RingSigningWith(grant->key_id));
  FUZZ_CHECK_OK(signed_url.status());
  const Url url = SplitUrl(*signed_url);
  FUZZ_CHECK(url.path == path);
  absl::StatusOr<UrlGrant> again = VerifySignedRequest(
      method, url.path, url.query, FuzzNow(), FuzzKeyRing());
  FUZZ_CHECK_OK(again.status());
  FUZZ_CHECK(SameGrant(*again, *grant));

  FUZZ_CHECK(absl::IsPermissionDenied(
      VerifySignedRequest(method, path, query, FuzzNow(), FuzzForgedKeyRing())
          .status()));
}

UrlGrant ConsumeGrant(FuzzedDataProvider& fdp) {
  UrlGrant grant;
  grant.access = static_cast<UrlAccess>(fdp.ConsumeIntegralInRange(0, 2));
  grant.file_id.volume_id = fdp.ConsumeIntegral<uint32_t>();
  grant.file_id.needle_id = fdp.ConsumeIntegral<uint64_t>();
  grant.file_id.cookie = fdp.ConsumeIntegral<uint32_t>();
  grant.expires_unix_seconds = fdp.ConsumeIntegral<int64_t>();
  grant.content_length = fdp.ConsumeIntegral<uint64_t>();
  if (fdp.ConsumeBool()) {
    grant.range = ByteRange{fdp.ConsumeIntegral<uint64_t>(),
                            fdp.ConsumeIntegral<uint64_t>()};
  }
  // Ignored by SignUrl, which signs with the ring's primary key.
  grant.key_id = fdp.ConsumeRandomLengthString(40);
  grant.upload_id = fdp.ConsumeRandomLengthString(80);
  grant.content_type = fdp.ConsumeRandomLengthString(300);
  return grant;
}

void RoundTrip(absl::string_view input) {
  FuzzedDataProvider fdp(reinterpret_cast<const uint8_t*>(input.data()),
                         input.size());
  const KeyRing& ring = fdp.ConsumeBool() ? FuzzKeyRing() : FuzzOldKeyRing();
  const bool keep_all_fields = fdp.ConsumeBool();
  UrlGrant grant = ConsumeGrant(fdp);
  if (!keep_all_fields) {
    if (grant.access != UrlAccess::kWrite) {
      grant.content_length = 0;
      grant.upload_id.clear();
      grant.content_type.clear();
    }
    if (grant.access != UrlAccess::kRead) grant.range.reset();
  }

  absl::StatusOr<std::string> signed_url = SignUrl(grant, ring);
  FUZZ_CHECK(signed_url.ok() == DocumentedValid(grant));
  if (!signed_url.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(signed_url.status()));
    return;
  }
  const Url url = SplitUrl(*signed_url);
  FUZZ_CHECK(url.path == absl::StrCat("/", grant.file_id.ToString()));
  UrlGrant expected = grant;
  expected.key_id = ring.primary().id;
  const absl::Time expiry = absl::FromUnixSeconds(grant.expires_unix_seconds);

  for (const char* method : kMethods) {
    absl::StatusOr<UrlGrant> verified =
        VerifySignedRequest(method, url.path, url.query, expiry, FuzzKeyRing());
    if (!MethodAllowed(grant.access, method)) {
      FUZZ_CHECK(!verified.ok());
      continue;
    }
    FUZZ_CHECK_OK(verified.status());
    FUZZ_CHECK(SameGrant(*verified, expected));
    FUZZ_CHECK(absl::IsPermissionDenied(VerifySignedRequest(method, url.path,
                                                            url.query, expiry,
                                                            FuzzForgedKeyRing())
                                            .status()));
    if (grant.expires_unix_seconds < std::numeric_limits<int64_t>::max()) {
      FUZZ_CHECK(absl::IsPermissionDenied(
          VerifySignedRequest(method, url.path, url.query,
                              expiry + absl::Seconds(1), FuzzKeyRing())
              .status()));
      // The signature covers the expiry: a later one does not verify.
      const std::string expires =
          absl::StrCat("expires=", grant.expires_unix_seconds, "&");
      FUZZ_CHECK(absl::StartsWith(url.query, expires));
      const std::string extended =
          absl::StrCat("expires=", grant.expires_unix_seconds + 1, "&",
                       absl::string_view(url.query).substr(expires.size()));
      FUZZ_CHECK(absl::IsPermissionDenied(
          VerifySignedRequest(method, url.path, extended, expiry, FuzzKeyRing())
              .status()));
    }
  }
}

void FuzzOneInput(absl::string_view input) {
  if (input.empty()) return;
  if (static_cast<uint8_t>(input[0]) % 2 == 0) {
    Verify(input.substr(1));
  } else {
    RoundTrip(input.substr(1));
  }
}

}  // namespace
}  // namespace warehouse::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  warehouse::fuzz::FuzzOneInput(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
