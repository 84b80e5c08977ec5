#include "common/sha256.h"

#include <openssl/evp.h>

#include "qwen3/error.h"

namespace qwen3 {

namespace {
std::string to_hex(const unsigned char* digest, unsigned int len) {
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned int i = 0; i < len; ++i) {
    s += hex[digest[i] >> 4];
    s += hex[digest[i] & 15];
  }
  return s;
}
EVP_MD_CTX* context(void* ctx) { return static_cast<EVP_MD_CTX*>(ctx); }
}  // namespace

std::string sha256_hex(const void* data, std::size_t size) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data, size, digest, &len, EVP_sha256(), nullptr) != 1) throw Error("sha256: OpenSSL failed");
  return to_hex(digest, len);
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(context(ctx_), EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(context(ctx_));
    throw Error("sha256: OpenSSL failed");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(context(ctx_)); }

void Sha256::update(const void* data, std::size_t size) {
  if (EVP_DigestUpdate(context(ctx_), data, size) != 1) throw Error("sha256: OpenSSL failed");
}

std::string Sha256::hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(context(ctx_), digest, &len) != 1 ||
      EVP_DigestInit_ex(context(ctx_), EVP_sha256(), nullptr) != 1)
    throw Error("sha256: OpenSSL failed");
  return to_hex(digest, len);
}

}  // namespace qwen3
