#pragma once
// SHA-256 (OpenSSL libcrypto) as lowercase hex: tensors.sha256.json checks.
#include <cstddef>
#include <string>

namespace qwen3::model {

std::string sha256_hex(const void* data, std::size_t size);

}  // namespace qwen3::model
