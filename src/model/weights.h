#pragma once
// The weights of a loaded model as the forward pass uses them: matrices in
// their held dtype (pointing into a memory-mapped safetensors checkpoint, or
// into buffers owned here: a GGUF file's matrices, converted, packed or
// generated ones), norm weights in f32.
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/file.h"
#include "common/gguf.h"
#include "kernels/kernels.h"
#include "model/safetensors.h"
#include "qwen3/model.h"

namespace qwen3::detail {

struct LayerWeights {
  kernels::Matrix q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj;
  std::vector<float> input_layernorm, post_attention_layernorm, q_norm, k_norm;
};

struct Weights {
  kernels::Matrix embed_tokens;
  kernels::Matrix lm_head;  // the embedding table itself when tied
  std::vector<LayerWeights> layers;
  std::vector<float> norm;

  std::uint64_t bytes = 0;       // all tensors as held
  bool ggml_arithmetic = false;  // read from GGUF: float operations as ggml's (model/arithmetic.h)
  std::vector<std::unique_ptr<model::SafetensorsFile>> files;  // keep the mappings alive
  std::vector<std::unique_ptr<gguf::File>> gguf_files;         // likewise
  std::vector<PageBuffer> owned;  // converted, generated or packed tensors (huge pages where given)
};

// A copy of the float matrix `src` (F32, F16 or BF16) quantized to `to`
// (Q8_0 or Q4_0) row by row, owned by `w`; `name` for errors (rows must be
// whole blocks of 32).
kernels::Matrix quantized_copy(const kernels::Matrix& src, kernels::WeightType to, Weights& w, const std::string& name);

// Whether the matrix of tensor `name` is packed at load (kernels::repack:
// faster decode and prefill): the layers' matrices of a type with a packed
// layout, not the embedding table (its rows are looked up, and read as a row
// list by English-only decoding).
bool packs_at_load(const std::string& name, const kernels::Matrix& m);

// m packed into a buffer owned by `w` (counted in w.bytes).
kernels::Matrix packed_copy(const kernels::Matrix& m, Weights& w);

// Whether tensor `name` of a GGUF file is used in place, in the mapping: the
// embedding table of a model with its own LM head, of which a token reads one
// row (the pages of the rows never read are never resident).
bool stays_in_file(const std::string& name, const ModelConfig& config);

// A float tensor (F32, F16 or BF16) of a checkpoint, where it lies in the mapping.
struct MappedTensor {
  const void* data = nullptr;
  kernels::WeightType type = kernels::WeightType::BF16;
};

// Maps the checkpoint in `dir` (the mappings kept in w.files) and checks it
// against `config` as Model::load does (every tensor of the table, its dtype
// and shape, nothing else); returns every tensor by name. `config_file`
// names the config in errors.
std::map<std::string, MappedTensor> map_checkpoint(const std::filesystem::path& dir, const ModelConfig& config,
                                                   const std::filesystem::path& config_file, Weights& w);

}  // namespace qwen3::detail
