// Dtype conversion of whole vectors: embedding rows and norm weights.
#include "kernels/convert.h"

#include <string>

#include "kernels/kernels.h"
#include "kernels/quant.h"
#include "qwen3/error.h"

namespace qwen3::kernels {

void to_f32(const void* src, WeightType type, std::int64_t n, float* out) {
  if (n < 0) throw Error("kernels::to_f32: n must be >= 0, got " + std::to_string(n));
  if (n > 0 && (src == nullptr || out == nullptr)) throw Error("kernels::to_f32: null input or output");
  switch (type) {
    case WeightType::F32: {
      const float* s = static_cast<const float*>(src);
      for (std::int64_t i = 0; i < n; ++i) out[i] = s[i];
      return;
    }
    case WeightType::BF16: {
      const auto* s = static_cast<const std::uint16_t*>(src);
      for (std::int64_t i = 0; i < n; ++i) out[i] = detail::bf16_to_f32(s[i]);
      return;
    }
    case WeightType::F16: {
      const auto* s = static_cast<const std::uint16_t*>(src);
      for (std::int64_t i = 0; i < n; ++i) out[i] = detail::f16_to_f32(s[i]);
      return;
    }
    default:
      break;
  }
  if (is_quantized(type)) {
    if (n % block_elements(type) != 0)
      throw Error(std::string("kernels::to_f32: ") + std::to_string(n) + " " + weight_type_name(type) +
                  " values are not whole blocks");
    return detail::dequantize(src, type, n, out);
  }
  throw Error("kernels::to_f32: unsupported weight type " + std::to_string(static_cast<int>(type)));
}

void embedding_row(const Matrix& table, std::int64_t row, float* out) {
  if (table.data == nullptr) throw Error("kernels::embedding_row: embedding table has no data");
  if (row < 0 || row >= table.rows)
    throw Error("kernels::embedding_row: row " + std::to_string(row) + " is outside [0, " + std::to_string(table.rows) +
                ")");
  const auto* base = static_cast<const unsigned char*>(table.data);
  to_f32(base + row * row_bytes(table.type, table.cols), table.type, table.cols, out);
}

}  // namespace qwen3::kernels
