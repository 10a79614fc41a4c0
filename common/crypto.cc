#include "common/crypto.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <climits>
#include <memory>

#include "absl/strings/str_cat.h"

namespace warehouse {
namespace {

// The reason OpenSSL gave for its last failure, for an Internal message.
std::string OpenSslError() {
  unsigned long code = ERR_get_error();  // NOLINT(runtime/int): OpenSSL API
  if (code == 0) return "no OpenSSL error queued";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

absl::Status RandomFill(void* buf, size_t n) {
  auto* p = static_cast<unsigned char*>(buf);
  while (n > 0) {
    const size_t piece = n > INT_MAX ? INT_MAX : n;
    if (RAND_bytes(p, static_cast<int>(piece)) != 1) {
      return absl::InternalError(
          absl::StrCat("RAND_bytes failed: ", OpenSslError()));
    }
    p += piece;
    n -= piece;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  absl::Status status = RandomFill(out.data(), out.size());
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<std::string> HmacSha256(absl::string_view key,
                                       absl::string_view data) {
  // OpenSSL 3's one-shot HMAC() looks the algorithm up in the providers on
  // every call, which cost more than the hash itself for a signed url. The
  // algorithm is fetched once; each call only makes a context.
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) {
    return absl::InternalError(
        absl::StrCat("HMAC-SHA256 unavailable: ", OpenSslError()));
  }
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> context(
      EVP_MAC_CTX_new(mac), &EVP_MAC_CTX_free);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string("digest", digest, 0),
      OSSL_PARAM_construct_end()};
  // OpenSSL wants a non-null key pointer even for an empty key.
  static const unsigned char kEmpty = 0;
  const auto* key_data = key.empty()
                             ? &kEmpty
                             : reinterpret_cast<const unsigned char*>(key.data());
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t out_len = 0;
  if (context == nullptr ||
      EVP_MAC_init(context.get(), key_data, key.size(), params) != 1 ||
      EVP_MAC_update(context.get(),
                     reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1 ||
      EVP_MAC_final(context.get(), out, &out_len, sizeof(out)) != 1 ||
      out_len != kHmacSha256Size) {
    return absl::InternalError(
        absl::StrCat("HMAC-SHA256 failed: ", OpenSslError()));
  }
  return std::string(reinterpret_cast<const char*>(out), out_len);
}

absl::StatusOr<std::unique_ptr<Sha256>> Sha256::Create() {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  if (context == nullptr ||
      EVP_DigestInit_ex(context, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(context);
    return absl::InternalError("SHA-256: OpenSSL could not start a digest");
  }
  return std::unique_ptr<Sha256>(new Sha256(context));
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context_)); }

void Sha256::Update(absl::string_view data) {
  if (EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(context_), data.data(),
                       data.size()) != 1) {
    failed_ = true;
  }
}

absl::StatusOr<std::string> Sha256::Finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  if (failed_ ||
      EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(context_), out, &out_len) !=
          1 ||
      out_len != 32) {
    return absl::InternalError("SHA-256: OpenSSL failed to digest");
  }
  return std::string(reinterpret_cast<char*>(out), out_len);
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string HexEncode(absl::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

absl::StatusOr<std::string> HexDecode(absl::string_view hex) {
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("hex string has odd length ", hex.size()));
  }
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexValue(hex[i]);
    const int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "hex string has a character other than 0-9 and a-f at offset ",
          hi < 0 ? i : i + 1));
    }
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

void WipeString(std::string* secret) {
  if (!secret->empty()) OPENSSL_cleanse(secret->data(), secret->size());
  secret->clear();
}

}  // namespace warehouse
