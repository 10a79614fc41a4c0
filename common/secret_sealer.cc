#include "common/secret_sealer.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <memory>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/status_macros.h"

namespace warehouse {
namespace {

constexpr unsigned char kVersion = 1;
constexpr size_t kAesKeySize = 32;
constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;
constexpr char kSalt[] = "warehouse";
constexpr char kInfo[] = "warehouse access key sealing v1";
constexpr char kAadPrefix[] = "WAREHOUSE-SEAL-V1\n";

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

struct KdfCtxDeleter {
  void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};

absl::Status OpenSslFailed(absl::string_view what) {
  return absl::InternalError(absl::StrCat("OpenSSL ", what, " failed"));
}

absl::StatusOr<std::string> DeriveSealKey(absl::string_view cluster_secret) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) return OpenSslFailed("HKDF fetch");
  std::unique_ptr<EVP_KDF_CTX, KdfCtxDeleter> ctx(EVP_KDF_CTX_new(kdf));
  EVP_KDF_free(kdf);
  if (ctx == nullptr) return OpenSslFailed("HKDF context");
  // OSSL_PARAM takes non-const pointers but only reads through them here.
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_KEY, const_cast<char*>(cluster_secret.data()),
          cluster_secret.size()),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_SALT, const_cast<char*>(kSalt), sizeof(kSalt) - 1),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_INFO, const_cast<char*>(kInfo), sizeof(kInfo) - 1),
      OSSL_PARAM_construct_end(),
  };
  std::string key(kAesKeySize, '\0');
  if (EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(key.data()),
                     key.size(), params) != 1) {
    return OpenSslFailed("HKDF derive");
  }
  return key;
}

// The sealed form's header: version, id length, key id.
std::string Header(absl::string_view key_id) {
  std::string header;
  header.push_back(static_cast<char>(kVersion));
  header.push_back(static_cast<char>(key_id.size()));
  header.append(key_id.data(), key_id.size());
  return header;
}

std::string Aad(absl::string_view header, absl::string_view context) {
  return absl::StrCat(kAadPrefix, header, context);
}

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

absl::StatusOr<SecretSealer> SecretSealer::Create(const KeyRing& keys) {
  std::vector<DerivedKey> derived;
  for (const KeyRing::Key& key : keys.keys()) {
    absl::StatusOr<std::string> aes_key = DeriveSealKey(key.secret);
    if (!aes_key.ok()) {
      for (DerivedKey& d : derived) WipeString(&d.aes_key);
      return aes_key.status();
    }
    derived.push_back(DerivedKey{key.id, std::move(*aes_key)});
  }
  return SecretSealer(std::move(derived));
}

SecretSealer& SecretSealer::operator=(SecretSealer&& other) {
  if (this != &other) {
    Wipe();
    keys_ = std::move(other.keys_);
  }
  return *this;
}

SecretSealer::~SecretSealer() { Wipe(); }

void SecretSealer::Wipe() {
  for (DerivedKey& key : keys_) WipeString(&key.aes_key);
}

absl::StatusOr<std::string> SecretSealer::Seal(
    absl::string_view secret, absl::string_view context) const {
  if (secret.size() > kMaxSecretSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "secret of ", secret.size(), " bytes is longer than ", kMaxSecretSize));
  }
  const DerivedKey& key = keys_.front();
  const std::string header = Header(key.key_id);
  const std::string aad = Aad(header, context);
  ASSIGN_OR_RETURN(std::string nonce, RandomBytes(kNonceSize));

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return OpenSslFailed("cipher context");
  std::string ciphertext(secret.size() + 1, '\0');  // +1: never empty
  auto* out = reinterpret_cast<unsigned char*>(ciphertext.data());
  int len = 0;
  int total = 0;
  unsigned char tag[kTagSize];
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr,
                         nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize,
                          nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key.aes_key),
                         Bytes(nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(aad),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out, &len, Bytes(secret),
                        static_cast<int>(secret.size())) != 1) {
    return OpenSslFailed("AES-256-GCM encryption");
  }
  total = len;
  if (EVP_EncryptFinal_ex(ctx.get(), out + total, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, tag) !=
          1) {
    return OpenSslFailed("AES-256-GCM encryption");
  }
  total += len;
  ciphertext.resize(static_cast<size_t>(total));
  return absl::StrCat(
      header, nonce, ciphertext,
      absl::string_view(reinterpret_cast<char*>(tag), kTagSize));
}

absl::StatusOr<std::string> SecretSealer::Unseal(
    absl::string_view sealed, absl::string_view context) const {
  if (sealed.size() < 2) {
    return absl::DataLossError(
        absl::StrCat("sealed secret for ", context, ": truncated"));
  }
  if (static_cast<unsigned char>(sealed[0]) != kVersion) {
    return absl::DataLossError(absl::StrCat(
        "sealed secret for ", context, ": unknown version ",
        static_cast<unsigned>(static_cast<unsigned char>(sealed[0]))));
  }
  const size_t id_length = static_cast<unsigned char>(sealed[1]);
  if (id_length == 0 || id_length > KeyRing::kMaxKeyIdLength ||
      sealed.size() < 2 + id_length + kNonceSize + kTagSize) {
    return absl::DataLossError(
        absl::StrCat("sealed secret for ", context, ": truncated"));
  }
  const absl::string_view header = sealed.substr(0, 2 + id_length);
  const absl::string_view key_id = header.substr(2);
  const absl::string_view nonce = sealed.substr(header.size(), kNonceSize);
  const absl::string_view ciphertext =
      sealed.substr(header.size() + kNonceSize,
                    sealed.size() - header.size() - kNonceSize - kTagSize);
  const absl::string_view tag = sealed.substr(sealed.size() - kTagSize);
  if (ciphertext.size() > kMaxSecretSize) {
    return absl::DataLossError(absl::StrCat("sealed secret for ", context,
                                            ": longer than any secret sealed"));
  }

  const DerivedKey* key = nullptr;
  for (const DerivedKey& k : keys_) {
    if (k.key_id == key_id) key = &k;
  }
  if (key == nullptr) {
    // Key ids are printable, but this one came from storage: escape it.
    return absl::FailedPreconditionError(absl::StrCat(
        "sealed secret for ", context, ": sealed with cluster key \"",
        absl::CEscape(key_id),
        "\", which is not in the key ring; add it back as a non-primary "
        "key"));
  }

  const std::string aad = Aad(header, context);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return OpenSslFailed("cipher context");
  std::string plaintext(ciphertext.size() + 1, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  int len = 0;
  int total = 0;
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr,
                         nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize,
                          nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key->aes_key),
                         Bytes(nonce)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(aad),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out, &len, Bytes(ciphertext),
                        static_cast<int>(ciphertext.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize,
                          const_cast<char*>(tag.data())) != 1) {
    WipeString(&plaintext);
    return OpenSslFailed("AES-256-GCM decryption");
  }
  total = len;
  if (EVP_DecryptFinal_ex(ctx.get(), out + total, &len) != 1) {
    WipeString(&plaintext);
    return absl::DataLossError(absl::StrCat(
        "sealed secret for ", context,
        ": failed authentication (altered, or sealed for another key)"));
  }
  total += len;
  plaintext.resize(static_cast<size_t>(total));
  return plaintext;
}

}  // namespace warehouse
