#pragma once
// Test-side weight matrices in every stored dtype, with their values decoded
// independently of the kernels (by ldexp, not bit tricks), and a float64
// reference matmul to judge the kernels against.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/kernels.h"

namespace qwen3::kernels::test {

struct TestMatrix {
  WeightType type;
  std::int64_t rows, cols;
  std::vector<std::uint8_t> storage;  // the bytes the kernels read
  std::vector<double> values;         // what those bytes mean
  Matrix view() const { return Matrix{storage.data(), type, rows, cols}; }
};

// An IEEE-style binary16 layout with `mant_bits` mantissa bits and the rest
// (after the sign) exponent: f16 is (5, 10), bf16 is (8, 7).
inline double decode_half_bits(std::uint16_t h, int exp_bits, int mant_bits) {
  const int bias = (1 << (exp_bits - 1)) - 1, max_exp = (1 << exp_bits) - 1;
  const int sign = h >> 15, exp = (h >> mant_bits) & max_exp, mant = h & ((1 << mant_bits) - 1);
  const double s = sign ? -1.0 : 1.0;
  if (exp == max_exp) return mant ? NAN : s * INFINITY;
  if (exp == 0) return s * std::ldexp(mant, 1 - bias - mant_bits);
  return s * std::ldexp((1 << mant_bits) + mant, exp - bias - mant_bits);
}
inline double decode_f16_bits(std::uint16_t h) { return decode_half_bits(h, 5, 10); }
inline double decode_bf16_bits(std::uint16_t h) { return decode_half_bits(h, 8, 7); }

// Values in about [-2, 2], the range of trained weights and activations.
inline TestMatrix random_matrix(WeightType type, std::int64_t rows, std::int64_t cols, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-2.f, 2.f);
  TestMatrix m{type, rows, cols, {}, {}};
  const std::int64_t n = rows * cols;
  m.values.resize(n);
  if (type == WeightType::F32) {
    m.storage.resize(n * 4);
    for (std::int64_t i = 0; i < n; ++i) {
      const float v = dist(rng);
      std::memcpy(&m.storage[i * 4], &v, 4);
      m.values[i] = v;
    }
    return m;
  }
  m.storage.resize(n * 2);
  std::uniform_int_distribution<int> sign(0, 1), mant16(0, 1023), mant8(0, 127), e16(9, 15), e8(121, 127);
  for (std::int64_t i = 0; i < n; ++i) {
    std::uint16_t h;
    if (type == WeightType::BF16)
      h = static_cast<std::uint16_t>((sign(rng) << 15) | (e8(rng) << 7) | mant8(rng));
    else
      h = static_cast<std::uint16_t>((sign(rng) << 15) | (e16(rng) << 10) | mant16(rng));
    std::memcpy(&m.storage[i * 2], &h, 2);
    m.values[i] = type == WeightType::BF16 ? decode_bf16_bits(h) : decode_f16_bits(h);
  }
  return m;
}

inline std::vector<float> random_vector(std::int64_t n, std::uint32_t seed, float lo = -2.f, float hi = 2.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// ref[b][i] = W[rows[i]] . x[b] in float64, and the magnitude sum |W||x| that
// bounds the float32 rounding error.
struct Reference {
  std::vector<double> y, magnitude;
};

inline Reference reference_matmul(const TestMatrix& w, const std::vector<std::int32_t>& rows,
                                  const std::vector<float>& x, int batch) {
  Reference ref;
  const std::size_t n = rows.size();
  ref.y.resize(n * batch);
  ref.magnitude.resize(n * batch);
  for (int b = 0; b < batch; ++b)
    for (std::size_t i = 0; i < n; ++i) {
      double acc = 0, mag = 0;
      for (std::int64_t c = 0; c < w.cols; ++c) {
        const double p = w.values[rows[i] * w.cols + c] * static_cast<double>(x[b * w.cols + c]);
        acc += p;
        mag += std::fabs(p);
      }
      ref.y[b * n + i] = acc;
      ref.magnitude[b * n + i] = mag;
    }
  return ref;
}

}  // namespace qwen3::kernels::test
