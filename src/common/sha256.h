#pragma once
// SHA-256 (OpenSSL libcrypto) as lowercase hex: the chat template's
// recognition by content, the dummy weights' tensors.sha256.json checks and
// the hub downloads' checks against their ETag.
#include <cstddef>
#include <string>

namespace qwen3 {

// The digest of size bytes at data, as 64 lowercase hex digits. Throws
// qwen3::Error if OpenSSL fails.
std::string sha256_hex(const void* data, std::size_t size);

// The same digest over data given in pieces (a download as it arrives).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, std::size_t size);
  // The digest of everything given so far; the object then starts again.
  std::string hex();

 private:
  void* ctx_;  // EVP_MD_CTX
};

}  // namespace qwen3
