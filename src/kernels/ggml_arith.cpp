// ggml's CPU arithmetic, operation by operation (see ggml_arith.h). Every
// multiply-add that ggml fuses is a std::fma here and every one it rounds
// twice is two operations (this file is compiled without FMA contraction);
// sums follow ggml's lane layout: 16 lanes (one AVX-512 register) reduced by
// the fixed tree of GCC's _mm512_reduce_add_ps.
#include "kernels/ggml_arith.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/convert.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace qwen3::kernels::ggml {
namespace {

constexpr int kLanes = 16;     // one AVX-512 register of f32
constexpr int kKeyBlock = 32;  // the cache's key block (kKvBlock)

// _mm512_reduce_add_ps: halves of 8, of 4, then pairs (0+2, 1+3), then the two.
inline float reduce16(const float* a) {
  float t3[8], t6[4];
  for (int i = 0; i < 8; ++i) t3[i] = a[8 + i] + a[i];
  for (int i = 0; i < 4; ++i) t6[i] = t3[4 + i] + t3[i];
  return (t6[0] + t6[2]) + (t6[1] + t6[3]);
}

// e^x for 16 values at a time, as ggml_vec_soft_max_f32 / ggml_v_silu do:
// ggml::expf lane by lane, in one AVX-512 register where there is one (the
// same operations, so the same bits: GgmlArith tests compare the two).
void expf16(const float* x, float* y) {
#if defined(__AVX512F__)
  const __m512 v = _mm512_loadu_ps(x);
  const __m512 shift = _mm512_set1_ps(0x1.8p23f);
  const __m512 z = _mm512_fmadd_ps(v, _mm512_set1_ps(0x1.715476p+0f), shift);
  const __m512 n = _mm512_sub_ps(z, shift);
  const __m512 b =
      _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.7f7d1cp-20f), _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.62e4p-1f), v));
  const __m512 u = _mm512_mul_ps(b, b);
  const __m512 hi = _mm512_fmadd_ps(_mm512_set1_ps(0x1.0e4020p-7f), b, _mm512_set1_ps(0x1.573e2ep-5f));
  const __m512 mid = _mm512_fmadd_ps(_mm512_set1_ps(0x1.555e66p-3f), b, _mm512_set1_ps(0x1.fffdb6p-2f));
  const __m512 lo = _mm512_fmadd_ps(_mm512_set1_ps(0x1.ffffecp-1f), b, _mm512_set1_ps(1.0f));
  const __m512 j = _mm512_fmadd_ps(_mm512_fmadd_ps(hi, u, mid), u, lo);
  __m512 res = _mm512_scalef_ps(j, n);
  const __mmask16 out_of_range = _mm512_cmp_ps_mask(_mm512_abs_ps(n), _mm512_set1_ps(192.f), _CMP_GT_OQ);
  if (out_of_range) {
    const __mmask16 low = _mm512_cmp_ps_mask(n, _mm512_setzero_ps(), _CMP_LE_OQ);
    const __m512 ends =
        _mm512_mask_blend_ps(low, _mm512_set1_ps(std::numeric_limits<float>::infinity()), _mm512_setzero_ps());
    res = _mm512_mask_blend_ps(out_of_range, res, ends);
  }
  _mm512_storeu_ps(y, res);
#else
  for (int l = 0; l < kLanes; ++l) y[l] = ggml::expf(x[l]);
#endif
}

}  // namespace

float expf(float x) {
  if (std::isnan(x)) return x;
  // n = round(x / ln 2) by the 1.5 * 2^23 shift; b = x - n ln 2 in two parts.
  const float shift = 0x1.8p23f;
  const float z = std::fma(x, 0x1.715476p+0f, shift);
  const float n = z - shift;
  const float b = std::fma(-n, 0x1.7f7d1cp-20f, std::fma(-n, 0x1.62e4p-1f, x));
  if (std::fabs(n) > 192.f) return n <= 0.f ? 0.f : std::numeric_limits<float>::infinity();
  const float u = b * b;
  const float j =
      std::fma(std::fma(std::fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, std::fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)), u,
               std::fma(0x1.ffffecp-1f, b, 1.0f));
  // vscalefps: j * 2^n with one rounding (exact unless the result is subnormal).
  return std::ldexp(j, static_cast<int>(n));
}

void rmsnorm(float* out, const float* x, const float* w, int n, int batch, float eps) {
  const auto one = [&](std::int64_t b) {
    const float* xb = x + b * n;
    float* ob = out + b * n;
    double sum = 0.0;
    for (int i = 0; i < n; ++i) sum += static_cast<double>(xb[i] * xb[i]);
    const float mean = static_cast<float>(sum / n);
    const float scale = 1.0f / std::sqrt(mean + eps);
    for (int i = 0; i < n; ++i) ob[i] = xb[i] * scale * w[i];
  };
  if (static_cast<std::int64_t>(batch) * n < (1 << 16)) {
    for (int b = 0; b < batch; ++b) one(b);
    return;
  }
  parallel_for(batch, [&](std::int64_t b, int) { one(b); });
}

void swiglu(float* out, const float* gate, const float* up, std::int64_t rows, std::int64_t cols) {
  const auto row = [&](std::int64_t r) {
    const float* g = gate + r * cols;
    const float* u = up + r * cols;
    float* o = out + r * cols;
    std::int64_t i = 0;
    float neg[kLanes], e[kLanes];
    for (; i + kLanes <= cols; i += kLanes) {
      for (int l = 0; l < kLanes; ++l) neg[l] = 0.0f - g[i + l];
      expf16(neg, e);
      for (int l = 0; l < kLanes; ++l) o[i + l] = (g[i + l] / (1.0f + e[l])) * u[i + l];
    }
    // ggml_silu_f32 with libm's expf for the tail.
    for (; i < cols; ++i) o[i] = (g[i] / (1.0f + std::exp(-g[i]))) * u[i];
  };
  if (rows * cols < (1 << 16)) {
    for (std::int64_t r = 0; r < rows; ++r) row(r);
    return;
  }
  parallel_for(rows, [&](std::int64_t r, int) { row(r); });
}

void rope_cos_sin(float base, int head_dim, int pos, float* cos_sin) {
  const int half = head_dim / 2;
  const float theta_scale = std::pow(base, -2.0f / static_cast<float>(head_dim));
  float theta = static_cast<float>(pos);
  for (int i = 0; i < half; ++i) {
    cos_sin[i] = std::cos(theta);
    cos_sin[half + i] = std::sin(theta);
    theta *= theta_scale;
  }
}

void rope(float* x, int head_dim, const float* cos_sin) {
  const int half = head_dim / 2;
  for (int i = 0; i < half; ++i) {
    const float c = cos_sin[i], s = cos_sin[half + i];
    const float x0 = x[i], x1 = x[half + i];
    x[i] = std::fma(x0, c, -(x1 * s));
    x[half + i] = std::fma(x0, s, x1 * c);
  }
}

void attention(const KvLayer& kv, const float* q, int n_heads, int first_pos, int T, float* out) {
  const int D = kv.head_dim;
  const int group = n_heads / kv.kv_heads;
  const bool f32 = kv.type == KvType::F32;
  const int Dp = static_cast<int>((D + 31) / 32 * 32);
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  const int steps = D / 64, tail0 = steps * 64;
  // One item: a query position and the query heads of one key/value head,
  // so that each key and value is loaded once for all of them; each head's
  // arithmetic is its own, as ggml computes it head by head.
  parallel_for(static_cast<std::int64_t>(kv.kv_heads) * T, [&](std::int64_t item, int) {
    const int kvh = static_cast<int>(item / T), t = static_cast<int>(item % T);
    const int n = first_pos + t + 1;  // keys this query sees
    const int padded = (n + kLanes - 1) / kLanes * kLanes;
    const std::size_t head = static_cast<std::size_t>(kvh) * kv.head_stride;
    const auto query = [&](int g) { return q + (static_cast<std::size_t>(t) * n_heads + kvh * group + g) * D; };
    thread_local std::vector<float> scores, block, acc, vrow, s4;
    scores.assign(static_cast<std::size_t>(group) * padded, 0.0f);
    block.resize(static_cast<std::size_t>(kKeyBlock) * std::max(D, 64));
    s4.resize(static_cast<std::size_t>(4) * kLanes * kKeyBlock);
    // Scores, a key block (32 positions) at a time: the keys are stored
    // dimension-major per block, so the sums run across positions in step.
    for (int p0 = 0; p0 < n; p0 += kKeyBlock) {
      const int m = std::min(kKeyBlock, n - p0);
      const float* K;  // K[i * kKeyBlock + j]: dimension i of position p0 + j
      if (f32) {
        K = static_cast<const float*>(kv.keys) + head + static_cast<std::size_t>(p0 / kKeyBlock) * Dp * kKeyBlock;
      } else {
        std::vector<float> rows(static_cast<std::size_t>(m) * D);
        kv_gather(kv, false, kvh, p0, m, rows.data());
        for (int i = 0; i < D; ++i)
          for (int j = 0; j < kKeyBlock; ++j) block[i * kKeyBlock + j] = j < m ? rows[j * D + i] : 0.0f;
        K = block.data();
      }
      for (int g = 0; g < group; ++g) {
        const float* qh = query(g);
        // ggml_vec_dot_f32: sum[a][l] over steps of 64 (a = 16-lane group),
        // then (sum0 + sum2) + (sum1 + sum3) per lane, reduce16, a scalar tail.
        const auto sum = [&](int a, int l) { return s4.data() + (a * kLanes + l) * kKeyBlock; };
        std::fill(s4.begin(), s4.end(), 0.0f);
        for (int st = 0; st < steps; ++st)
          for (int a = 0; a < 4; ++a)
            for (int l = 0; l < kLanes; ++l) {
              const int i = st * 64 + a * kLanes + l;
              const float qi = qh[i];
              const float* Ki = K + static_cast<std::size_t>(i) * kKeyBlock;
              float* acc4 = sum(a, l);
              for (int j = 0; j < kKeyBlock; ++j) acc4[j] = std::fma(Ki[j], qi, acc4[j]);
            }
        // The same adds as reduce16 for each position, the positions in step.
        float t8[8][kKeyBlock], t4[4][kKeyBlock];
        for (int i = 0; i < 8; ++i)
          for (int j = 0; j < kKeyBlock; ++j)
            t8[i][j] = ((sum(0, 8 + i)[j] + sum(2, 8 + i)[j]) + (sum(1, 8 + i)[j] + sum(3, 8 + i)[j])) +
                       ((sum(0, i)[j] + sum(2, i)[j]) + (sum(1, i)[j] + sum(3, i)[j]));
        for (int i = 0; i < 4; ++i)
          for (int j = 0; j < kKeyBlock; ++j) t4[i][j] = t8[4 + i][j] + t8[i][j];
        float* sc = scores.data() + static_cast<std::size_t>(g) * padded;
        for (int j = 0; j < m; ++j) {
          float s = (t4[0][j] + t4[2][j]) + (t4[1][j] + t4[3][j]);
          for (int i = tail0; i < D; ++i) s = std::fma(K[static_cast<std::size_t>(i) * kKeyBlock + j], qh[i], s);
          sc[p0 + j] = s * scale;
        }
      }
    }
    // Softmax as ggml_compute_forward_soft_max_f32 (masked entries are 0).
    for (int g = 0; g < group; ++g) {
      float* sc = scores.data() + static_cast<std::size_t>(g) * padded;
      float mx = -std::numeric_limits<float>::infinity();
      for (int j = 0; j < n; ++j) mx = std::max(mx, sc[j]);
      double total = 0.0;
      for (int j0 = 0; j0 < padded; j0 += kLanes) {
        float x[kLanes], e[kLanes];
        for (int l = 0; l < kLanes; ++l) x[l] = j0 + l < n ? sc[j0 + l] - mx : -std::numeric_limits<float>::infinity();
        expf16(x, e);
        for (int l = 0; l < kLanes; ++l) sc[j0 + l] = e[l];
        total += static_cast<double>(reduce16(e));
      }
      const float inv = static_cast<float>(1.0 / total);
      for (int j = 0; j < n; ++j) sc[j] *= inv;
    }
    // sum_j p_j v_j as tinyBLAS: lane j % 16 accumulates positions in order.
    acc.assign(static_cast<std::size_t>(group) * kLanes * D, 0.0f);
    vrow.resize(D);
    for (int j = 0; j < n; ++j) {
      const float* V;
      if (f32) {
        V = static_cast<const float*>(kv.values) + head + static_cast<std::size_t>(j) * Dp;
      } else {
        kv_gather(kv, true, kvh, j, 1, vrow.data());
        V = vrow.data();
      }
      for (int g = 0; g < group; ++g) {
        float* a = acc.data() + (static_cast<std::size_t>(g) * kLanes + j % kLanes) * D;
        const float p = scores[static_cast<std::size_t>(g) * padded + j];
        for (int d = 0; d < D; ++d) a[d] = std::fma(V[d], p, a[d]);
      }
    }
    for (int g = 0; g < group; ++g) {
      // reduce16 over the lanes for every dimension, the dimensions in step.
      const auto lane = [&](int l) { return acc.data() + (static_cast<std::size_t>(g) * kLanes + l) * D; };
      for (int i = 0; i < 8; ++i) {
        float* a = lane(i);
        const float* b = lane(8 + i);
        for (int d = 0; d < D; ++d) a[d] = b[d] + a[d];
      }
      for (int i = 0; i < 4; ++i) {
        float* a = lane(i);
        const float* b = lane(4 + i);
        for (int d = 0; d < D; ++d) a[d] = b[d] + a[d];
      }
      float* o = out + (static_cast<std::size_t>(t) * n_heads + kvh * group + g) * D;
      for (int d = 0; d < D; ++d) o[d] = (lane(0)[d] + lane(2)[d]) + (lane(1)[d] + lane(3)[d]);
    }
  });
}

}  // namespace qwen3::kernels::ggml
