// Writing a Qwen3 model as a quantized GGUF: metadata as llama.cpp's
// converter writes it, each tensor's type as llama-quantize chooses it, and
// the data quantized by the kernels' reference quantizers, a chunk of rows
// at a time, so that only one chunk of f32 rows and its blocks are in memory.
#include "model/gguf_export.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "kernels/kernels.h"
#include "model/dummy_weights.h"
#include "model/gguf_model.h"
#include "model/weights.h"
#include "qwen3/error.h"

namespace qwen3 {

std::string_view quant_type_name(QuantType type) {
  switch (type) {
    case QuantType::Q8_0:
      return "q8_0";
    case QuantType::Q4_0:
      return "q4_0";
    case QuantType::Q4_K_M:
      return "q4_k_m";
  }
  return "?";
}

QuantType parse_quant_type(std::string_view name) {
  for (QuantType t : {QuantType::Q8_0, QuantType::Q4_0, QuantType::Q4_K_M})
    if (name == quant_type_name(t)) return t;
  throw Error("quantize type \"" + std::string(name) + "\" is not supported (expected q8_0, q4_0 or q4_k_m)");
}

namespace model {
namespace fs = std::filesystem;

namespace {

// Rows of a tensor: a matrix's first dimension; a 1-D tensor is one row.
std::int64_t rows_of(const TensorSpec& spec) { return spec.shape.size() == 2 ? spec.shape[0] : 1; }
std::int64_t row_length(const TensorSpec& spec) { return spec.shape.back(); }

class CheckpointSource final : public FloatSource {
 public:
  CheckpointSource(const fs::path& dir, const ModelConfig& config, const fs::path& config_file)
      : tensors_(detail::map_checkpoint(dir, config, config_file, files_)) {}
  void read_rows(const TensorSpec& spec, std::int64_t r0, std::int64_t r1, float* out) const override {
    const detail::MappedTensor& t = tensors_.at(spec.name);
    const std::int64_t n = row_length(spec);
    const auto* base = static_cast<const std::byte*>(t.data);
    const std::int64_t in_row = kernels::row_bytes(t.type, n);
#pragma omp parallel for schedule(static)
    for (std::int64_t r = r0; r < r1; ++r) kernels::to_f32(base + r * in_row, t.type, n, out + (r - r0) * n);
  }

 private:
  detail::Weights files_;  // holds the mappings
  std::map<std::string, detail::MappedTensor> tensors_;
};

class DummySource final : public FloatSource {
 public:
  explicit DummySource(DummyManifest manifest) : manifest_(std::move(manifest)) {}
  void read_rows(const TensorSpec& spec, std::int64_t r0, std::int64_t r1, float* out) const override {
    const std::int64_t n = row_length(spec);
    generate_dummy_f32(manifest_, spec.name, r0 * n, (r1 - r0) * n, out);
  }

 private:
  DummyManifest manifest_;
};

// The layer of "model.layers.N.…", -1 for other tensors.
int layer_of(const std::string& name) {
  const std::string prefix = "model.layers.";
  if (name.rfind(prefix, 0) != 0) return -1;
  return std::stoi(name.substr(prefix.size()));
}

// llama.cpp's use_more_bits: the layers whose attn_v and ffn_down Q4_K_M
// keeps in Q6_K (the first and last eighth, and every third in between).
bool more_bits(int layer, int layers) {
  return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
}

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

std::unique_ptr<FloatSource> checkpoint_source(const fs::path& dir, const ModelConfig& config,
                                               const fs::path& config_file) {
  return std::make_unique<CheckpointSource>(dir, config, config_file);
}

std::unique_ptr<FloatSource> dummy_source(const DummyManifest& manifest) {
  return std::make_unique<DummySource>(manifest);
}

std::uint32_t gguf_file_type(QuantType type) {
  switch (type) {
    case QuantType::Q8_0:
      return 7;  // LLAMA_FTYPE_MOSTLY_Q8_0
    case QuantType::Q4_0:
      return 2;  // LLAMA_FTYPE_MOSTLY_Q4_0
    case QuantType::Q4_K_M:
      return 15;  // LLAMA_FTYPE_MOSTLY_Q4_K_M
  }
  return 0;
}

std::uint32_t gguf_tensor_type(QuantType type, const ModelConfig& config, const TensorSpec& spec) {
  if (spec.shape.size() < 2) return gguf::kF32;  // norms
  switch (type) {
    case QuantType::Q8_0:
      return gguf::kQ8_0;
    case QuantType::Q4_0:
      return gguf::kQ4_0;
    case QuantType::Q4_K_M:
      break;
  }
  const std::string& name = spec.name;
  const bool output = name == "lm_head.weight" || (config.tie_word_embeddings && name == "model.embed_tokens.weight");
  if (output) return gguf::kQ6_K;
  const int layer = layer_of(name);
  if ((ends_with(name, ".v_proj.weight") || ends_with(name, ".down_proj.weight")) &&
      more_bits(layer, config.num_hidden_layers))
    return gguf::kQ6_K;
  return gguf::kQ4_K;
}

void add_model_metadata(gguf::Writer& w, const ModelConfig& c, QuantType type) {
  const std::string p = "qwen3.";
  w.add_string("general.architecture", "qwen3");
  w.add_u32(p + "block_count", static_cast<std::uint32_t>(c.num_hidden_layers));
  w.add_u32(p + "context_length", static_cast<std::uint32_t>(c.max_position_embeddings));
  w.add_u32(p + "embedding_length", static_cast<std::uint32_t>(c.hidden_size));
  w.add_u32(p + "feed_forward_length", static_cast<std::uint32_t>(c.intermediate_size));
  w.add_u32(p + "attention.head_count", static_cast<std::uint32_t>(c.num_attention_heads));
  w.add_u32(p + "attention.head_count_kv", static_cast<std::uint32_t>(c.num_key_value_heads));
  w.add_f32(p + "rope.freq_base", static_cast<float>(c.rope_theta));
  w.add_f32(p + "attention.layer_norm_rms_epsilon", static_cast<float>(c.rms_norm_eps));
  w.add_u32(p + "attention.key_length", static_cast<std::uint32_t>(c.head_dim));
  w.add_u32(p + "attention.value_length", static_cast<std::uint32_t>(c.head_dim));
  if (c.rope_scaling.yarn) {
    w.add_string(p + "rope.scaling.type", "yarn");
    w.add_f32(p + "rope.scaling.factor", static_cast<float>(c.rope_scaling.factor));
    w.add_u32(p + "rope.scaling.original_context_length",
              static_cast<std::uint32_t>(c.rope_scaling.original_max_position_embeddings));
    if (c.rope_scaling.attention_factor)
      w.add_f32(p + "rope.scaling.yarn_attn_factor", static_cast<float>(*c.rope_scaling.attention_factor));
  }
  w.add_u32("general.file_type", gguf_file_type(type));
  w.add_u32("general.quantization_version", 2);
}

std::map<std::string, int> write_model_tensors(gguf::Writer& w, const ModelConfig& config, const FloatSource& source,
                                               QuantType type) {
  struct Planned {
    TensorSpec spec;
    std::uint32_t type;
    std::optional<kernels::WeightType> kernel_type;  // nullopt: written as f32
  };
  std::vector<Planned> plan;
  std::map<std::string, int> counts;
  for (const TensorSpec& spec : qwen3_tensor_specs(config)) {
    const std::uint32_t t = gguf_tensor_type(type, config, spec);
    const gguf::TypeInfo* info = gguf::type_info(t);
    if (row_length(spec) % info->block != 0)
      throw Error("tensor " + spec.name + " has rows of " + std::to_string(row_length(spec)) + " values; " +
                  info->name + " (quantize type " + std::string(quant_type_name(type)) + ") needs a multiple of " +
                  std::to_string(info->block));
    std::vector<std::int64_t> ne(spec.shape.rbegin(), spec.shape.rend());  // ggml order: the row length first
    w.add_tensor(gguf_tensor_name(spec.name), std::move(ne), t);
    plan.push_back({spec, t, t == gguf::kF32 ? std::nullopt : weight_type_of(t)});
    ++counts[info->name];
  }
  w.begin();

  // About 16 MiB of f32 rows at a time.
  constexpr std::int64_t kChunkValues = std::int64_t{1} << 22;
  std::vector<float> rows;
  std::vector<std::byte> blocks;
  for (const Planned& p : plan) {
    const std::int64_t n = row_length(p.spec), total = rows_of(p.spec);
    const std::int64_t chunk = std::max<std::int64_t>(1, kChunkValues / n);
    const std::uint64_t out_row = gguf::row_bytes(p.type, n);
    for (std::int64_t r0 = 0; r0 < total; r0 += chunk) {
      const std::int64_t r1 = std::min(total, r0 + chunk);
      rows.resize(static_cast<std::size_t>((r1 - r0) * n));
      source.read_rows(p.spec, r0, r1, rows.data());
      if (!p.kernel_type) {
        w.write(rows.data(), rows.size() * sizeof(float));
        continue;
      }
      blocks.resize(static_cast<std::size_t>((r1 - r0) * out_row));
      const kernels::WeightType kt = *p.kernel_type;
#pragma omp parallel for schedule(static)
      for (std::int64_t r = 0; r < r1 - r0; ++r)
        kernels::quantize(rows.data() + r * n, kt, n, blocks.data() + r * out_row);
      w.write(blocks.data(), blocks.size());
    }
  }
  w.finish();
  return counts;
}

}  // namespace model
}  // namespace qwen3
