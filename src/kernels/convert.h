#pragma once
// Scalar conversions of the stored weight dtypes to f32. bf16 is the upper
// half of an f32, so widening is a shift; f16 needs exponent rebiasing.
#include <cstdint>
#include <cstring>

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>
#endif

namespace qwen3::kernels::detail {

inline float bf16_to_f32(std::uint16_t h) {
  const std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Round-to-nearest-even; NaN stays NaN (quiet).
inline std::uint16_t f32_to_bf16(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<std::uint16_t>(bits >> 16);
}

// out[k] = f32_to_bf16(in[k]) for k < n, 16 at a time where AVX-512 allows
// (the same integer arithmetic, so the same bits). (GCC 12's intrinsics pass
// an undefined vector as the unused merge source, which -Wuninitialized
// reports once inlined.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
inline void f32_to_bf16_row(const float* in, std::int64_t n, std::uint16_t* out) {
  std::int64_t k = 0;
#if defined(__AVX512F__) && defined(__AVX512BW__)
  const __m512i abs_mask = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000);
  const __m512i half = _mm512_set1_epi32(0x7fff), one = _mm512_set1_epi32(1), quiet = _mm512_set1_epi32(0x400000);
  for (; k + 16 <= n; k += 16) {
    const __m512i b = _mm512_loadu_si512(in + k);
    const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(b, abs_mask), inf);
    __m512i r = _mm512_add_epi32(b, _mm512_add_epi32(half, _mm512_and_si512(_mm512_srli_epi32(b, 16), one)));
    r = _mm512_mask_mov_epi32(r, nan, _mm512_or_si512(b, quiet));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + k), _mm512_cvtepi32_epi16(_mm512_srli_epi32(r, 16)));
  }
#endif
  for (; k < n; ++k) out[k] = f32_to_bf16(in[k]);
}
#pragma GCC diagnostic pop

inline float f16_to_f32(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exp = (h >> 10) & 0x1fu;
  std::uint32_t mant = h & 0x3ffu;
  std::uint32_t bits;
  if (exp == 0x1fu) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf / NaN
  } else if (exp != 0) {
    bits = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;  // signed zero
  } else {
    // Subnormal: normalise the mantissa.
    exp = 113u;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --exp;
    }
    bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// f32 -> IEEE half, round-to-nearest-even (overflow to inf, NaN kept): the
// scalar algorithm ggml uses (GGML_FP32_TO_FP16), so quantized activation
// scales round exactly as llama.cpp's do.
inline std::uint16_t f32_to_f16(float f) {
  const auto bits = [](float v) {
    std::uint32_t u;
    std::memcpy(&u, &v, sizeof u);
    return u;
  };
  const auto from_bits = [](std::uint32_t u) {
    float v;
    std::memcpy(&v, &u, sizeof v);
    return v;
  };
  const float scale_to_inf = from_bits(0x77800000u);   // 2^112
  const float scale_to_zero = from_bits(0x08800000u);  // 2^-110
  const float a = f < 0 ? -f : f;
  float base = (a * scale_to_inf) * scale_to_zero;
  const std::uint32_t w = bits(f);
  const std::uint32_t shl1_w = w + w;
  const std::uint32_t sign = w & 0x80000000u;
  std::uint32_t bias = shl1_w & 0xFF000000u;
  if (bias < 0x71000000u) bias = 0x71000000u;
  base = from_bits((bias >> 1) + 0x07800000u) + base;
  const std::uint32_t b = bits(base);
  const std::uint32_t exp_bits = (b >> 13) & 0x00007C00u;
  const std::uint32_t mantissa_bits = b & 0x00000FFFu;
  const std::uint32_t nonsign = exp_bits + mantissa_bits;
  return static_cast<std::uint16_t>((sign >> 16) | (shl1_w > 0xFF000000u ? 0x7E00u : nonsign));
}

}  // namespace qwen3::kernels::detail
