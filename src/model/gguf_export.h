#pragma once
// The model's part of a quantized GGUF (qwen3/quantize.h): the architecture
// metadata, the type llama-quantize gives each tensor, and the tensors
// themselves, read as f32 a few rows at a time from a checkpoint or the
// dummy generator, quantized and streamed to the file.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "common/gguf_writer.h"
#include "model/tensor_specs.h"
#include "qwen3/model.h"
#include "qwen3/quantize.h"

namespace qwen3::model {

// Float weights, read a range of rows at a time (a 1-D tensor is one row).
class FloatSource {
 public:
  virtual ~FloatSource() = default;
  // Rows [r0, r1) of the tensor as f32 into out[(r1 - r0) * row length].
  virtual void read_rows(const TensorSpec& spec, std::int64_t r0, std::int64_t r1, float* out) const = 0;
};

// A checkpoint folder, memory-mapped and checked against `config` as
// Model::load checks it (config_file names the config in errors).
std::unique_ptr<FloatSource> checkpoint_source(const std::filesystem::path& dir, const ModelConfig& config,
                                               const std::filesystem::path& config_file);
// qwen3-dummy-v1 weights, generated as they are read.
std::unique_ptr<FloatSource> dummy_source(const DummyManifest& manifest);

// llama.cpp's file type number (general.file_type): 7, 2, 15.
std::uint32_t gguf_file_type(QuantType type);

// The ggml type of a tensor of the table in a file of `type`: F32 for the
// norms; for the matrices llama-quantize's choice (llama_tensor_get_type):
// Q4_K_M gives the output matrix (the embedding when tied) Q6_K, and
// attn_v / ffn_down Q6_K in layer i of n when i < n/8, i >= 7n/8 or
// (i - n/8) % 3 == 2; q4_0 is pure.
std::uint32_t gguf_tensor_type(QuantType type, const ModelConfig& config, const TensorSpec& spec);

// general.architecture, the qwen3.* hyperparameters (as convert_hf_to_gguf.py
// writes them for Qwen3), general.file_type and general.quantization_version.
void add_model_metadata(gguf::Writer& w, const ModelConfig& config, QuantType type);

// Adds every tensor of the table under its GGUF name, writes the header
// (so every metadata key must be added before), then each tensor quantized
// from `source` a few rows at a time, and finishes the file. Returns the
// number of tensors of each ggml type.
std::map<std::string, int> write_model_tensors(gguf::Writer& w, const ModelConfig& config, const FloatSource& source,
                                               QuantType type);

}  // namespace qwen3::model
