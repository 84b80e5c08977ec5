#pragma once
// SHA-256 (OpenSSL libcrypto) as lowercase hex: the chat template's
// recognition by content and the dummy weights' tensors.sha256.json checks.
#include <cstddef>
#include <string>

namespace qwen3 {

// The digest of size bytes at data, as 64 lowercase hex digits. Throws
// qwen3::Error if OpenSSL fails.
std::string sha256_hex(const void* data, std::size_t size);

}  // namespace qwen3
