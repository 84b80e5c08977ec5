// Activations quantized as llama.cpp's CPU backend quantizes them before a
// product with quantized weights (the same scales and the same rounding), so
// that the integer sums, and hence the logits, agree with its own.
#include <omp.h>

#include <algorithm>
#include <limits>
#include <cmath>

#include "kernels/convert.h"
#include "kernels/quant.h"

namespace qwen3::kernels::detail {
namespace {

// Vectors of a batch are quantized in parallel once there are enough of them.
constexpr int kParallelBatch = 4;

void size_acts(int block, int batch, std::int64_t cols, QuantizedActs& out) {
  out.block = block;
  out.blocks = cols / block;
  const std::size_t n = static_cast<std::size_t>(batch) * out.blocks;
  out.qs.resize(n * block);
  out.d.resize(n);
  out.sums.resize(block == 256 ? n * 16 : 0);
}

// static_cast<int> as x86's conversion (cvttss2si) gives it, which ggml's
// packing relies on, without the undefined behaviour: NaN and values beyond
// int's range become INT_MIN. NaN and Inf activations come from a hostile
// checkpoint (Inf block scales; UBSan found it in the hostile-file tests),
// which the first non-finite logit then reports.
inline int to_int_as_x86(float r) {
  return r >= -2147483648.f && r < 2147483648.f ? static_cast<int>(r) : std::numeric_limits<int>::min();
}

// ggml's x86 quantize_row_q8_0: d = amax / 127 stored as f16, the values
// multiplied by 127 / amax and rounded to nearest, ties to even.
void q8_0_vector(const float* x, std::int64_t blocks, std::int8_t* qs, float* d) {
  for (std::int64_t k = 0; k < blocks; ++k) {
    const float* xb = x + k * 32;
    float amax = 0.f;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(xb[j]));
    d[k] = f16_to_f32(f32_to_f16(amax / 127.f));
    const float id = amax != 0.f ? 127.f / amax : 0.f;
    for (int j = 0; j < 32; ++j) {
      const int v = to_int_as_x86(std::nearbyint(xb[j] * id));
      qs[k * 32 + j] = static_cast<std::int8_t>(std::clamp(v, -128, 127));
    }
  }
}

// ggml's quantize_row_q8_K (the reference one, which x86 uses too): the
// scale from the signed value of largest magnitude, -127 / max, d = 1 / that.
void q8_k_vector(const float* x, std::int64_t blocks, std::int8_t* qs, float* d, std::int32_t* bsums) {
  for (std::int64_t k = 0; k < blocks; ++k) {
    const float* xb = x + k * 256;
    std::int8_t* q = qs + k * 256;
    float max = 0.f, amax = 0.f;
    for (int j = 0; j < 256; ++j) {
      const float ax = std::fabs(xb[j]);
      if (ax > amax) {
        amax = ax;
        max = xb[j];
      }
    }
    if (amax == 0.f) {
      d[k] = 0.f;
      std::fill(q, q + 256, 0);
      std::fill(bsums + k * 16, bsums + k * 16 + 16, 0);
      continue;
    }
    const float iscale = -127.f / max;
    for (int j = 0; j < 256; ++j) {
      const int v = to_int_as_x86(std::nearbyint(iscale * xb[j]));
      q[j] = static_cast<std::int8_t>(std::min(127, v));
    }
    for (int g = 0; g < 16; ++g) {
      std::int32_t s = 0;
      for (int j = 0; j < 16; ++j) s += q[g * 16 + j];
      bsums[k * 16 + g] = s;
    }
    d[k] = 1 / iscale;
  }
}

template <class Fn>
void for_each_vector(int batch, Fn fn) {
  if (batch < kParallelBatch) {
    for (int b = 0; b < batch; ++b) fn(b);
    return;
  }
  parallel_for(batch, [&](std::int64_t b, int) { fn(static_cast<int>(b)); });
}

}  // namespace

void quantize_acts_q8_0(const float* x, int batch, std::int64_t cols, QuantizedActs& out) {
  size_acts(32, batch, cols, out);
  for_each_vector(batch, [&](int b) {
    q8_0_vector(x + b * cols, out.blocks, out.qs.data() + b * cols, out.d.data() + b * out.blocks);
  });
}

void quantize_acts_q8_k(const float* x, int batch, std::int64_t cols, QuantizedActs& out) {
  size_acts(256, batch, cols, out);
  for_each_vector(batch, [&](int b) {
    q8_k_vector(x + b * cols, out.blocks, out.qs.data() + b * cols, out.d.data() + b * out.blocks,
                out.sums.data() + b * out.blocks * 16);
  });
}

void prepare_k_sub_sums(QuantizedActs& a, int batch) {
  constexpr int kWords = QuantizedActs::kSubSumWords;
  a.sub_sums.resize(static_cast<std::size_t>(batch * a.blocks * kWords));
  // Each sum at most 32 x 128 in magnitude: an int16.
  for (int b = 0; b < batch; ++b) {
    const std::int32_t* bsums = a.sum(b);
    std::int32_t* out = a.sub_sums.data() + static_cast<std::int64_t>(b) * a.blocks * kWords;
    for (std::int64_t k = 0; k < a.blocks; ++k, bsums += 16, out += kWords) {
      for (int i = 0; i < 4; ++i)
        out[i] = int16_pair(bsums[4 * i] + bsums[4 * i + 1], bsums[4 * i + 2] + bsums[4 * i + 3]);
      for (int i = 0; i < 8; ++i) out[4 + i] = int16_pair(bsums[2 * i], bsums[2 * i + 1]);
    }
  }
}

void prepare_q8_0_offsets(QuantizedActs& a, int batch) {
  a.lane_offsets.resize(static_cast<std::size_t>(batch * a.blocks * 8));
  for (int b = 0; b < batch; ++b) {
    const std::int8_t* q = a.q(b);
    std::int32_t* out = a.lane_offsets.data() + static_cast<std::int64_t>(b) * a.blocks * 8;
    for (std::int64_t l = 0; l < a.blocks * 8; ++l, q += 4) out[l] = -128 * (q[0] + q[1] + q[2] + q[3]);
  }
}

void prepare_q4_0_offsets(QuantizedActs& a, int batch) {
  a.block_offsets.resize(static_cast<std::size_t>(batch * a.blocks));
  for (int b = 0; b < batch; ++b) {
    const std::int8_t* q = a.q(b);
    std::int32_t* out = a.block_offsets.data() + static_cast<std::int64_t>(b) * a.blocks;
    for (std::int64_t k = 0; k < a.blocks; ++k, q += 32) {
      std::int32_t sum = 0;
      for (int j = 0; j < 32; ++j) sum += q[j];
      out[k] = -8 * sum;
    }
  }
}

}  // namespace qwen3::kernels::detail
