#pragma once
// Generator qwen3-dummy-v1: deterministic untrained weights, a pure function of
// config.json and a manifest (seed, per-kind centre and scale). Element k of
// tensor `name` is
//   z = splitmix64_mix(seed ^ fnv1a64(name) + (k + 1) * 0x9E3779B97F4A7C15)
//   s = 2 * ((z >> 11) * 2^-53) - 1                  (exact, in [-1, 1))
//   v = bf16_rne(float(center + scale * s))         (double multiply, then add)
// Being counter-based, any element is computed independently: generation is
// parallel, and tests can regenerate a published checkpoint bit for bit.
#include <cstdint>
#include <string>

#include "qwen3/model.h"

namespace qwen3::model {

std::uint64_t splitmix64_mix(std::uint64_t x);
std::uint64_t fnv1a64(const std::string& bytes);

// One element as float32 (before the bf16 rounding).
float dummy_value_f32(std::uint64_t base, std::uint64_t k, double center, double scale);

// Throws qwen3::Error "SOURCE: kinds: missing \"KIND\"" unless the manifest
// draws every kind of tensor of the config.
void require_kinds(const DummyManifest& manifest, const ModelConfig& config, const std::string& source);

// Writes the n bf16 values of tensor `name` (n = product of its shape) to
// out[n], with the manifest's centre/scale for the tensor's kind (throws
// qwen3::Error when the manifest lacks that kind). Multithreaded.
void generate_dummy_bf16(const DummyManifest& manifest, const std::string& name, std::int64_t n, std::uint16_t* out);

// Elements [begin, begin + n) of tensor `name` as float32 (the bf16 values
// widened exactly): a part of a large tensor, without generating the rest.
void generate_dummy_f32(const DummyManifest& manifest, const std::string& name, std::int64_t begin, std::int64_t n,
                        float* out);

}  // namespace qwen3::model
