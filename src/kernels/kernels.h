#pragma once
// The CPU kernels the Qwen3 forward pass is made of. Matrices stay in the
// dtype they are stored in (BF16 memory-mapped from safetensors, or F32), and
// every kernel converts on the fly, so decoding streams the weights once per
// token. Multithreaded inside (OpenMP; thread count from set_num_threads).
// Quantized formats (Q8_0, Q4) slot in as further WeightType values.
#include <cstdint>

namespace qwen3::kernels {

enum class WeightType : std::uint8_t { F32, BF16, F16 };

// A row-major weight matrix [rows, cols] (the Hugging Face Linear layout
// [out_features, in_features]); y = W x.
struct Matrix {
  const void* data = nullptr;
  WeightType type = WeightType::F32;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
};

void set_num_threads(int n);
int num_threads();

// How matmuls with BF16 weights and batch > 1 (prefill) multiply.
//  Exact: activations stay f32, every bf16 weight is widened exactly, sums
//    are f32 (the default; decode always works this way).
//  Bf16Activations: activations are rounded to bf16 (8 significant bits) and
//    multiplied by vdpbf16ps, as llama.cpp's BF16 path does: about twice the
//    prefill FLOP rate, at a relative error of about 2^-9 per product. Falls
//    back to Exact on CPUs without AVX512_BF16.
enum class MatmulPrecision : std::uint8_t { Exact, Bf16Activations };
void set_matmul_precision(MatmulPrecision p);
MatmulPrecision matmul_precision();

// y[b][r] = sum_c W[r][c] * x[b][c] for b < batch, r < W.rows.
// x: [batch][W.cols] f32, y: [batch][W.rows] f32. batch == 1 is decode
// (matrix-vector, bandwidth-bound); batch > 1 is prefill (matrix-matrix).
void matmul(const Matrix& w, const float* x, int batch, float* y);

// Like matmul, but only for the listed rows: y[b][i] = W[rows[i]] . x[b].
// The output projection restricted to an allowed vocabulary.
void matmul_rows(const Matrix& w, const std::int32_t* rows, int n_rows, const float* x, int batch, float* y);

// Batch-invariant matmul and matmul_rows: every y[b] is computed with exactly
// the arithmetic of a batch of one (the decode dot-row kernel), whatever
// `batch` is and whatever the other rows of x hold. Batched decoding (a
// server's sequences in one pass) uses these, so that a sequence's tokens do
// not depend on what else is running; the weights are still read once for
// the whole batch.
void matmul_invariant(const Matrix& w, const float* x, int batch, float* y);
void matmul_rows_invariant(const Matrix& w, const std::int32_t* rows, int n_rows, const float* x, int batch, float* y);

// out[i] = x[i] / sqrt(mean(x^2) + eps) * weight[i], for `batch` vectors of size n.
void rmsnorm(float* out, const float* x, const float* weight, int n, int batch, float eps);

// out[i] = silu(gate[i]) * up[i]
void swiglu(float* out, const float* gate, const float* up, std::int64_t n);

// x[i] += y[i]
void add_inplace(float* x, const float* y, std::int64_t n);

// Row `row` of an embedding table as f32 (any WeightType).
void embedding_row(const Matrix& table, std::int64_t row, float* out);

// Converts n values to f32 (norm weights are kept in f32).
void to_f32(const void* src, WeightType type, std::int64_t n, float* out);

// In-place softmax over n values.
void softmax(float* x, int n);

// Dot product of two f32 vectors.
float dot(const float* a, const float* b, int n);

// y[i] += a * x[i]
void axpy(float* y, float a, const float* x, int n);

}  // namespace qwen3::kernels
