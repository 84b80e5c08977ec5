// Products with quantized weights: the activations are quantized once per
// matmul (Q8_0 or Q8_K blocks, as the weight type expects), then the rows
// are dealt to threads in chunks and each chunk is swept over tiles of the
// batch, so that a chunk's weights are read from memory once and reused from
// cache for every token of a prompt.
#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>

#include "kernels/quant_panels.h"
#include "qwen3/error.h"

namespace qwen3::kernels {

const char* weight_type_name(WeightType t) {
  switch (t) {
    case WeightType::F32:
      return "f32";
    case WeightType::BF16:
      return "bf16";
    case WeightType::F16:
      return "f16";
    case WeightType::Q8_0:
      return "q8_0";
    case WeightType::Q4_0:
      return "q4_0";
    case WeightType::Q4_K:
      return "q4_k";
    case WeightType::Q5_K:
      return "q5_k";
    case WeightType::Q6_K:
      return "q6_k";
  }
  return "?";
}

bool is_quantized(WeightType t) { return t != WeightType::F32 && t != WeightType::BF16 && t != WeightType::F16; }

int block_elements(WeightType t) {
  switch (t) {
    case WeightType::Q8_0:
    case WeightType::Q4_0:
      return 32;
    case WeightType::Q4_K:
    case WeightType::Q5_K:
    case WeightType::Q6_K:
      return 256;
    default:
      return 1;
  }
}

int block_bytes(WeightType t) {
  switch (t) {
    case WeightType::F32:
      return 4;
    case WeightType::BF16:
    case WeightType::F16:
      return 2;
    case WeightType::Q8_0:
      return sizeof(detail::BlockQ8_0);
    case WeightType::Q4_0:
      return sizeof(detail::BlockQ4_0);
    case WeightType::Q4_K:
      return sizeof(detail::BlockQ4_K);
    case WeightType::Q5_K:
      return sizeof(detail::BlockQ5_K);
    case WeightType::Q6_K:
      return sizeof(detail::BlockQ6_K);
  }
  return 0;
}

std::int64_t row_bytes(WeightType t, std::int64_t cols) { return cols / block_elements(t) * block_bytes(t); }

namespace detail {
namespace {

// Tokens per tile of the batch: their quantized activations (a few KiB each)
// stay in L1/L2 while a chunk of rows passes over them.
constexpr int kTokenTile = 8;

const QuantKernels& kernels_for(WeightType t) {
  switch (t) {
    case WeightType::Q8_0:
      return kQuantQ8_0;
    case WeightType::Q4_0:
      return kQuantQ4_0;
    case WeightType::Q4_K:
      return kQuantQ4_K;
    case WeightType::Q5_K:
      return kQuantQ5_K;
    case WeightType::Q6_K:
      return kQuantQ6_K;
    default:
      throw Error(std::string("kernels: no quantized kernel for ") + weight_type_name(t));
  }
}

}  // namespace

void dequantize(const void* src, WeightType type, std::int64_t n, float* out) {
  switch (type) {
    case WeightType::Q8_0:
      return dequantize_q8_0(src, n, out);
    case WeightType::Q4_0:
      return dequantize_q4_0(src, n, out);
    case WeightType::Q4_K:
      return dequantize_q4_k(src, n, out);
    case WeightType::Q5_K:
      return dequantize_q5_k(src, n, out);
    case WeightType::Q6_K:
      return dequantize_q6_k(src, n, out);
    default:
      throw Error(std::string("kernels: ") + weight_type_name(type) + " is not a quantized type");
  }
}

}  // namespace detail

std::int64_t first_nonfinite_scale(const void* blocks, WeightType type, std::int64_t n_blocks) {
  using namespace detail;
  std::size_t stride = 0, first = 0, second = 0;  // second == first: one scale per block
  switch (type) {
    case WeightType::Q8_0:
      stride = sizeof(BlockQ8_0), first = second = offsetof(BlockQ8_0, d);
      break;
    case WeightType::Q4_0:
      stride = sizeof(BlockQ4_0), first = second = offsetof(BlockQ4_0, d);
      break;
    case WeightType::Q4_K:
      stride = sizeof(BlockQ4_K), first = offsetof(BlockQ4_K, d), second = offsetof(BlockQ4_K, dmin);
      break;
    case WeightType::Q5_K:
      stride = sizeof(BlockQ5_K), first = offsetof(BlockQ5_K, d), second = offsetof(BlockQ5_K, dmin);
      break;
    case WeightType::Q6_K:
      stride = sizeof(BlockQ6_K), first = second = offsetof(BlockQ6_K, d);
      break;
    default:
      return -1;
  }
  const auto* p = static_cast<const std::uint8_t*>(blocks);
  const auto nonfinite = [](const std::uint8_t* at) {
    std::uint16_t h;
    std::memcpy(&h, at, sizeof h);
    return (h & 0x7C00) == 0x7C00;  // exponent all ones: Inf or NaN
  };
  for (std::int64_t k = 0; k < n_blocks; ++k, p += stride)
    if (nonfinite(p + first) || nonfinite(p + second)) return k;
  return -1;
}

void quantize(const float* x, WeightType type, std::int64_t n, void* out) {
  const bool k_quant = type == WeightType::Q4_K || type == WeightType::Q6_K;
  const int block = k_quant ? 256 : 32;
  if (n % block != 0)
    throw Error("kernels::quantize: " + std::to_string(n) + " values are not whole blocks of " + std::to_string(block) +
                " (" + weight_type_name(type) + ")");
  switch (type) {
    case WeightType::Q8_0:
      return detail::quantize_q8_0(x, n, out);
    case WeightType::Q4_0:
      return detail::quantize_q4_0(x, n, out);
    case WeightType::Q4_K:
      return detail::quantize_q4_k(x, n, out);
    case WeightType::Q6_K:
      return detail::quantize_q6_k(x, n, out);
    default:
      throw Error(std::string("kernels::quantize: no quantizer for ") + weight_type_name(type) +
                  " (expected q8_0, q4_0, q4_k or q6_k)");
  }
}

std::int64_t packed_bytes(const Matrix& w) {
  if (w.packed || !is_quantized(w.type)) return 0;
  const auto bytes = detail::kernels_for(w.type).packed_bytes;
  return bytes != nullptr ? bytes(w) : 0;
}

Matrix repack(const Matrix& w, void* out) {
  if (packed_bytes(w) == 0)
    throw Error(std::string("kernels::repack: no packed layout for ") + weight_type_name(w.type) + " in this build");
  if (reinterpret_cast<std::uintptr_t>(out) % 64 != 0) throw Error("kernels::repack: out must be 64-byte aligned");
  detail::kernels_for(w.type).repack(w, out);
  Matrix m = w;
  m.data = out;
  m.packed = true;
  return m;
}

namespace detail {
int act_block(WeightType t) { return block_elements(t) == 32 ? 32 : 256; }

void quantized_matmul(const Matrix& w, RowSelection sel, std::int64_t n, const float* x, int batch, float* y) {
  // The caller's buffer, reused across matmuls; named by reference so that
  // the worker threads read this one (not their own thread_local).
  thread_local QuantizedActs buffer;
  QuantizedActs& acts = buffer;
  if (act_block(w.type) == 32)
    quantize_acts_q8_0(x, batch, w.cols, acts);
  else
    quantize_acts_q8_k(x, batch, w.cols, acts);
  // Large batches on panels (16 rows packed, every token over them), the
  // rest in tiles; the same bits either way. A matrix packed at load: its
  // panels for every batch.
  const QuantKernels& k = kernels_for(w.type);
  if (w.packed && (sel.list != nullptr || k.packed == nullptr))
    throw Error("kernels: a matrix packed at load is read whole (no row list), by its own kernel");
  const QuantDotFn panels = w.packed ? k.packed : batch >= kPanelTokens ? k.panels : nullptr;
  // The activations' views the kernel reads.
  if (w.type == WeightType::Q4_0) (w.packed ? prepare_q4_0_offsets : prepare_q4_0_groups)(acts, batch);
  if (panels != nullptr && act_block(w.type) == 256) prepare_k_sub_sums(acts, batch);
  if (panels != nullptr && w.type == WeightType::Q8_0) prepare_q8_0_offsets(acts, batch);
  const QuantDotFn fn = k.rows;
  const auto sweep = [&](std::int64_t r0, std::int64_t r1) {
    if (panels != nullptr) return panels(w, sel, r0, r1, acts, 0, batch, y, n);
    for (int b0 = 0; b0 < batch; b0 += kTokenTile) fn(w, sel, r0, r1, acts, b0, std::min(kTokenTile, batch - b0), y, n);
  };
  // As the dense kernels: chunks of a multiple of 16 rows (no two threads
  // write one cache line of y), several per thread, dealt dynamically.
  const int threads = static_cast<int>(std::min<std::int64_t>(num_threads(), (n + 15) / 16));
  if (threads == 1) return sweep(0, n);
  constexpr std::int64_t kChunksPerThread = 8;
  const std::int64_t chunk = std::max<std::int64_t>(16, (n / (threads * kChunksPerThread) + 15) / 16 * 16);
  const std::int64_t chunks = (n + chunk - 1) / chunk;
  parallel_for(chunks, [&](std::int64_t c, int) { sweep(c * chunk, std::min(n, (c + 1) * chunk)); });
}

}  // namespace detail
}  // namespace qwen3::kernels
