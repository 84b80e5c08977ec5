// Loading a Qwen3 GGUF: metadata -> config (through ModelConfig::parse, so
// every check and message of config.json applies), and every tensor of the
// tensor table found under its GGUF name, checked (type, shape) and held
// where it lies in the mapping: quantized matrices stay in their blocks.
#include "model/gguf_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "common/file.h"
#include "kernels/convert.h"
#include "model/memory.h"
#include "model/tensor_specs.h"
#include "model/weights.h"
#include "qwen3/error.h"
#include "qwen3/model.h"

namespace qwen3 {
namespace model {

std::optional<kernels::WeightType> weight_type_of(std::uint32_t t) {
  using kernels::WeightType;
  switch (t) {
    case gguf::kF32:
      return WeightType::F32;
    case gguf::kF16:
      return WeightType::F16;
    case gguf::kBF16:
      return WeightType::BF16;
    case gguf::kQ8_0:
      return WeightType::Q8_0;
    case gguf::kQ4_0:
      return WeightType::Q4_0;
    case gguf::kQ4_K:
      return WeightType::Q4_K;
    case gguf::kQ5_K:
      return WeightType::Q5_K;
    case gguf::kQ6_K:
      return WeightType::Q6_K;
    default:
      return std::nullopt;
  }
}

std::string gguf_tensor_name(const std::string& hf) {
  static const std::map<std::string, std::string> top = {{"model.embed_tokens.weight", "token_embd.weight"},
                                                         {"model.norm.weight", "output_norm.weight"},
                                                         {"lm_head.weight", "output.weight"}};
  static const std::map<std::string, std::string> layer = {
      {"input_layernorm.weight", "attn_norm.weight"},    {"self_attn.q_proj.weight", "attn_q.weight"},
      {"self_attn.k_proj.weight", "attn_k.weight"},      {"self_attn.v_proj.weight", "attn_v.weight"},
      {"self_attn.q_norm.weight", "attn_q_norm.weight"}, {"self_attn.k_norm.weight", "attn_k_norm.weight"},
      {"self_attn.o_proj.weight", "attn_output.weight"}, {"post_attention_layernorm.weight", "ffn_norm.weight"},
      {"mlp.gate_proj.weight", "ffn_gate.weight"},       {"mlp.up_proj.weight", "ffn_up.weight"},
      {"mlp.down_proj.weight", "ffn_down.weight"}};
  if (auto it = top.find(hf); it != top.end()) return it->second;
  const std::string prefix = "model.layers.";
  if (hf.rfind(prefix, 0) == 0) {
    const auto dot = hf.find('.', prefix.size());
    if (dot != std::string::npos)
      if (auto it = layer.find(hf.substr(dot + 1)); it != layer.end())
        return "blk." + hf.substr(prefix.size(), dot - prefix.size()) + "." + it->second;
  }
  throw Error("no GGUF name for tensor " + hf);
}

ModelConfig gguf_model_config(const gguf::File& f) {
  const std::string arch(f.string("general.architecture"));
  const std::string source = f.path().string();
  if (arch != "qwen3") f.fail("metadata general.architecture: \"" + arch + "\" is not supported (expected \"qwen3\")");
  const std::string p = arch + ".";
  // The GGUF keys as the config.json fields ModelConfig::parse validates.
  nlohmann::json j = {{"architectures", {"Qwen3ForCausalLM"}}, {"model_type", "qwen3"}};
  const auto integer = [&](const char* field, const std::string& key) {
    if (auto v = f.optional_integer(p + key)) j[field] = *v;
  };
  const auto number = [&](const char* field, const std::string& key) {
    if (auto v = f.optional_number(p + key)) j[field] = *v;
  };
  integer("hidden_size", "embedding_length");
  integer("intermediate_size", "feed_forward_length");
  integer("num_hidden_layers", "block_count");
  integer("num_attention_heads", "attention.head_count");
  integer("num_key_value_heads", "attention.head_count_kv");
  integer("head_dim", "attention.key_length");
  integer("max_position_embeddings", "context_length");
  number("rope_theta", "rope.freq_base");
  number("rms_norm_eps", "attention.layer_norm_rms_epsilon");
  if (!j.contains("num_key_value_heads") && j.contains("num_attention_heads"))
    j["num_key_value_heads"] = j["num_attention_heads"];
  if (auto v = f.optional_integer(p + "attention.value_length"); v && j.contains("head_dim") && *v != j["head_dim"])
    f.fail("metadata " + p + "attention.value_length: " + std::to_string(*v) + " differs from " + p +
           "attention.key_length (not supported)");
  if (auto n = f.optional_integer(p + "expert_count"); n && *n > 0) j["num_experts"] = *n;
  if (const gguf::Tensor* embd = f.tensor("token_embd.weight"); embd && embd->ne.size() == 2) {
    j["vocab_size"] = embd->ne[1];
    // One embedding row per token, as llama.cpp requires.
    if (const gguf::Value* tokens = f.find("tokenizer.ggml.tokens");
        tokens && tokens->type == gguf::ValueType::Array && static_cast<std::int64_t>(tokens->count) != embd->ne[1])
      f.fail("tensor token_embd.weight has " + std::to_string(embd->ne[1]) + " rows but tokenizer.ggml.tokens lists " +
             std::to_string(tokens->count) + " tokens (expected one row per token)");
  } else if (auto v = f.optional_integer(p + "vocab_size"))
    j["vocab_size"] = *v;
  j["tie_word_embeddings"] = f.tensor("output.weight") == nullptr;
  if (auto type = f.optional_string(p + "rope.scaling.type"); type && *type != "none") {
    nlohmann::json r = {{"rope_type", std::string(*type)}};
    if (auto v = f.optional_number(p + "rope.scaling.factor")) r["factor"] = *v;
    if (auto v = f.optional_integer(p + "rope.scaling.original_context_length"))
      r["original_max_position_embeddings"] = *v;
    j["rope_scaling"] = r;
  }
  // A metadata string that is not UTF-8 (a rope.scaling.type) is replaced by
  // U+FFFD here and then refused by name, rather than failing the dump.
  return ModelConfig::parse(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                            source + " (metadata " + p + "*)");
}

}  // namespace model

namespace {

// The supported tensor types, for messages.
constexpr const char* kSupported = "F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K";

// The type dtype q8_0 / q4_0 quantizes float matrices to; nullopt otherwise.
std::optional<kernels::WeightType> quantize_to(WeightDType d) {
  if (d == WeightDType::Q8_0) return kernels::WeightType::Q8_0;
  if (d == WeightDType::Q4_0) return kernels::WeightType::Q4_0;
  return std::nullopt;
}

// A quantized (or 16-bit) matrix widened into an owned buffer of `to`.
kernels::Matrix widen(const kernels::Matrix& m, kernels::WeightType to, detail::Weights& w) {
  kernels::Matrix r = m;
  r.type = to;
  const std::size_t elem = to == kernels::WeightType::F32 ? 4 : 2;
  PageBuffer buf(static_cast<std::size_t>(m.rows * m.cols) * elem, "a widened matrix");
  const std::int64_t in_row = kernels::row_bytes(m.type, m.cols);
#pragma omp parallel
  {
    std::vector<float> row(m.cols);
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < m.rows; ++i) {
      kernels::to_f32(static_cast<const std::byte*>(m.data) + i * in_row, m.type, m.cols, row.data());
      std::byte* out = buf.data() + static_cast<std::size_t>(i * m.cols) * elem;
      if (to == kernels::WeightType::F32) {
        std::memcpy(out, row.data(), m.cols * 4);
      } else {
        auto* o = reinterpret_cast<std::uint16_t*>(out);
        for (std::int64_t c = 0; c < m.cols; ++c) o[c] = kernels::detail::f32_to_bf16(row[c]);
      }
    }
  }
  r.data = buf.data();
  w.owned.push_back(std::move(buf));
  return r;
}

// m copied as it is into a buffer owned by `w` (counted in w.bytes). A GGUF's
// matrices are all held in memory of the process's own (packed, converted or
// copied), its pages in the mapping released: on a 2-core host of ours,
// decode read a Q8_0 file's matrices 1.6-3.5x faster from such copies than
// through the mapping, and llama.cpp's --no-mmap gained alike over its
// mapping. A BF16 safetensors checkpoint stays read in place: the same
// comparison showed no difference there, and the copy took seconds at load
// (docs/performance.md, "Weights in memory of their own").
kernels::Matrix resident_copy(const kernels::Matrix& m, detail::Weights& w) {
  const auto bytes = static_cast<std::size_t>(m.rows) * kernels::row_bytes(m.type, m.cols);
  PageBuffer buf(bytes, "a matrix of the model file");
  std::memcpy(buf.data(), m.data, bytes);
  kernels::Matrix copy = m;
  copy.data = buf.data();
  w.owned.push_back(std::move(buf));
  w.bytes += bytes;
  return copy;
}

// The matrix m of the file as held, in a buffer owned by `w` (counted in
// w.bytes): quantized or widened as `dtype` asks, else packed where its type
// packs (detail::packs_at_load), else copied as it is (resident_copy).
kernels::Matrix hold_matrix(const kernels::Matrix& m, const std::string& name, WeightDType dtype, detail::Weights& w) {
  kernels::Matrix held;
  if (const auto quant = quantize_to(dtype); quant && m.type != *quant)
    held = detail::quantized_copy(m, *quant, w, model::gguf_tensor_name(name));
  else if (dtype == WeightDType::BF16 && m.type != kernels::WeightType::BF16)
    held = widen(m, kernels::WeightType::BF16, w);
  else if (dtype == WeightDType::F32 && m.type != kernels::WeightType::F32)
    held = widen(m, kernels::WeightType::F32, w);
  else if (detail::packs_at_load(name, m))
    return detail::packed_copy(m, w);
  else
    return resident_copy(m, w);
  w.bytes += static_cast<std::uint64_t>(held.rows) * kernels::row_bytes(held.type, held.cols);
  return held;
}

// Every block scale of a quantized matrix finite (kernels::first_nonfinite_scale);
// fails naming the tensor, row and block. One thread: the scan is bound by
// memory (0.2 s for a 2.5 GB file), and short parallel regions per tensor
// cost more in their barriers on a busy machine than they save.
void check_scales(const gguf::File& f, const gguf::Tensor& t, const kernels::Matrix& m) {
  if (!kernels::is_quantized(m.type)) return;
  const std::int64_t per_row = m.cols / kernels::block_elements(m.type);
  const std::int64_t first = kernels::first_nonfinite_scale(m.data, m.type, m.rows * per_row);
  if (first < 0) return;
  f.fail("tensor " + t.name + " (" + gguf::type_name(t.type) + "): row " + std::to_string(first / per_row) +
         ", block " + std::to_string(first % per_row) +
         " has a NaN or infinite scale (expected finite f16 scales: a corrupt file?)");
}

}  // namespace

std::unique_ptr<Model> Model::load_gguf(const std::filesystem::path& path, const RunOptions& options) {
  auto w = std::make_unique<detail::Weights>();
  w->gguf_files.push_back(std::make_unique<gguf::File>(path));
  const gguf::File& f = *w->gguf_files.back();
  ModelConfig config = model::gguf_model_config(f);
  RunOptions opts = validate_run_options(options, config, f.path().string());
  kernels::set_num_threads(opts.threads);

  // Check every tensor before holding any: name, type, shape; nothing extra.
  std::set<std::string> expected;
  std::uint64_t held = 0;
  {
    detail::Weights table;  // only for the slots
    model::for_each_tensor(config, table, [&](const model::TensorSpec& spec, model::TensorSlot slot) {
      const std::string name = model::gguf_tensor_name(spec.name);
      const gguf::Tensor* t = f.tensor(name);
      if (!t) f.fail("missing tensor " + name + " (" + spec.name + ")");
      const auto type = model::weight_type_of(t->type);
      if (!type)
        f.fail("tensor " + name + " has type " + gguf::type_name(t->type) + ", which qwen3 does not support (" +
               kSupported + ")");
      std::vector<std::int64_t> shape(t->ne.rbegin(), t->ne.rend());
      if (shape != spec.shape)
        f.fail("tensor " + name + " has shape " + model::shape_string(shape) + "; the metadata implies " +
               model::shape_string(spec.shape));
      const auto quant = quantize_to(opts.dtype);
      const bool is_float =
          *type == kernels::WeightType::F32 || *type == kernels::WeightType::F16 || *type == kernels::WeightType::BF16;
      if (quant && !model::is_norm(slot) && !is_float && *type != *quant)
        f.fail("tensor " + name + " is already quantized (" + gguf::type_name(t->type) + "); dtype " +
               kernels::weight_type_name(*quant) + " quantizes float weights only (use dtype auto)");
      const bool widened = opts.dtype != WeightDType::Auto && !model::is_norm(slot) && !quant;
      const bool packed =
          !model::is_norm(slot) && spec.shape.size() == 2 &&
          detail::packs_at_load(spec.name, kernels::Matrix{nullptr, *type, spec.shape[0], spec.shape[1]});
      held += model::is_norm(slot) ? spec.elements() * sizeof(float)
              : widened            ? spec.elements() * (opts.dtype == WeightDType::F32 ? 4 : 2)
              : quant && is_float
                  ? static_cast<std::uint64_t>(spec.shape[0]) * kernels::row_bytes(*quant, spec.shape[1])
              : packed ? static_cast<std::uint64_t>(
                             kernels::packed_bytes(kernels::Matrix{nullptr, *type, spec.shape[0], spec.shape[1]}))
                       : t->bytes;
      expected.insert(name);
    });
  }
  for (const gguf::Tensor& t : f.tensors())
    if (!expected.count(t.name)) f.fail("tensor " + t.name + " is not part of a Qwen3 model (unexpected tensor)");
  const int checked = std::min(opts.ctx, kKvCheckTokens);
  model::check_memory(held, kv_cache_bytes(config, checked, opts.kv_dtype), checked, opts.ctx);

  model::for_each_tensor(config, *w, [&](const model::TensorSpec& spec, model::TensorSlot slot) {
    const gguf::Tensor& t = *f.tensor(model::gguf_tensor_name(spec.name));
    const kernels::WeightType type = *model::weight_type_of(t.type);
    if (auto* norm = std::get_if<std::vector<float>*>(&slot)) {
      (*norm)->resize(spec.elements());
      kernels::to_f32(t.data, type, spec.elements(), (*norm)->data());
      for (std::int64_t i = 0; i < spec.elements(); ++i)  // as for safetensors: a NaN norm poisons every logit
        if (!std::isfinite((**norm)[i]))
          f.fail("tensor " + t.name + " holds " + (std::isnan((**norm)[i]) ? "NaN" : "Inf") + " at element " +
                 std::to_string(i) + " (expected finite weights: a corrupt file?)");
      w->bytes += spec.elements() * sizeof(float);
      return;
    }
    const kernels::Matrix m{t.data, type, spec.shape[0], spec.shape[1]};
    check_scales(f, t, m);
    if (opts.dtype == WeightDType::Auto && detail::stays_in_file(spec.name, config)) {
      w->bytes += t.bytes;
      *std::get<kernels::Matrix*>(slot) = m;
      return;
    }
    *std::get<kernels::Matrix*>(slot) = hold_matrix(m, spec.name, opts.dtype, *w);
    release_pages(t.data, t.bytes);  // the model is resident once (the page cache keeps the file)
  });
  if (config.tie_word_embeddings) w->lm_head = w->embed_tokens;
  w->ggml_arithmetic = true;  // llama.cpp's file: its arithmetic too
  auto model = std::unique_ptr<Model>(new Model(std::move(config), opts, std::move(w)));
  model->source_ = path.string();
  return model;
}

}  // namespace qwen3
