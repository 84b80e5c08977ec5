// Loading (checkpoint or dummy weights), run options, sessions, and the
// chunking of long inputs around the forward pass proper (qwen3_forward.cpp).
#include "qwen3/model.h"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <utility>
#include <variant>

#include "common/file.h"
#include "kernels/convert.h"
#include "kernels/kernels.h"
#include "model/dummy_weights.h"
#include "model/memory.h"
#include "model/rope.h"
#include "model/tensor_specs.h"
#include "model/weights.h"
#include "qwen3/error.h"

namespace qwen3 {
namespace fs = std::filesystem;
using kernels::Matrix;
using kernels::WeightType;

namespace {

// Prompts are processed in chunks of this many tokens: large enough for
// efficient matrix-matrix products, small enough to bound the activations.
constexpr int kChunkTokens = 512;

std::size_t type_size(WeightType t) { return t == WeightType::F32 ? 4 : 2; }

WeightType stored_type(const std::string& dtype) {
  if (dtype == "BF16") return WeightType::BF16;
  if (dtype == "F16") return WeightType::F16;
  return WeightType::F32;
}

WeightType held_type(WeightDType wanted, WeightType stored) {
  switch (wanted) {
    case WeightDType::Auto:
      return stored;
    case WeightDType::BF16:
      return WeightType::BF16;
    case WeightDType::F32:
      return WeightType::F32;
    case WeightDType::Q8_0:
      return WeightType::Q8_0;
    case WeightDType::Q4_0:
      return WeightType::Q4_0;
  }
  return stored;
}

bool quantized(WeightDType d) { return d == WeightDType::Q8_0 || d == WeightDType::Q4_0; }

// Bytes of a rows x cols matrix held as t.
std::uint64_t matrix_bytes(WeightType t, std::int64_t rows, std::int64_t cols) {
  return static_cast<std::uint64_t>(rows) * kernels::row_bytes(t, cols);
}

// Converts n values between weight types (through f32), multithreaded.
void convert(const void* src, WeightType from, void* dst, WeightType to, std::int64_t n) {
  if (from == to) {
    std::memcpy(dst, src, static_cast<std::size_t>(n) * type_size(to));
    return;
  }
  constexpr std::int64_t kBlock = 1 << 16;
#pragma omp parallel for schedule(static)
  for (std::int64_t b = 0; b < n; b += kBlock) {
    const std::int64_t m = std::min(kBlock, n - b);
    float tmp[kBlock];
    const std::byte* s = static_cast<const std::byte*>(src) + b * static_cast<std::int64_t>(type_size(from));
    kernels::to_f32(s, from, m, tmp);
    if (to == WeightType::F32) {
      std::memcpy(static_cast<float*>(dst) + b, tmp, static_cast<std::size_t>(m) * 4);
    } else {
      std::uint16_t* d = static_cast<std::uint16_t*>(dst) + b;
      for (std::int64_t k = 0; k < m; ++k) d[k] = kernels::detail::f32_to_bf16(tmp[k]);
    }
  }
}

// A raw tensor, as found in a file or generated.
struct RawTensor {
  const void* data;
  WeightType type;
};

// A norm weight as held: an f32 copy, checked to be finite (a norm is small
// to check; a NaN in it would poison every logit).
std::vector<float> hold_norm(const model::TensorSpec& spec, const RawTensor& src, detail::Weights& w) {
  const std::int64_t n = spec.elements();
  std::vector<float> v(n);
  kernels::to_f32(src.data, src.type, n, v.data());
  for (std::int64_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i]))
      throw Error("tensor " + spec.name + " holds " + (std::isnan(v[i]) ? "NaN" : "Inf") + " at element " +
                  std::to_string(i) + " (expected finite weights: a corrupt checkpoint?)");
  w.bytes += static_cast<std::uint64_t>(n) * sizeof(float);
  return v;
}

// A matrix as held: in the wanted type (Auto: as given), pointing at the
// source itself when that type and alignment already fit, else at a
// converted copy owned by `w`.
Matrix hold_matrix(const model::TensorSpec& spec, const RawTensor& src, WeightDType wanted, detail::Weights& w) {
  const std::int64_t n = spec.elements();
  Matrix m;
  m.rows = spec.shape[0];
  m.cols = spec.shape[1];
  m.type = held_type(wanted, src.type);
  if (quantized(wanted)) {
    m = detail::quantized_copy({src.data, src.type, m.rows, m.cols}, m.type, w, spec.name);
    if (!detail::packs_at_load(spec.name, m)) {
      w.bytes += matrix_bytes(m.type, m.rows, m.cols);
      return m;
    }
    const Matrix packed = detail::packed_copy(m, w);
    w.owned.erase(w.owned.end() - 2);  // the rows quantized_copy made
    return packed;
  }
  const bool aligned = reinterpret_cast<std::uintptr_t>(src.data) % type_size(src.type) == 0;
  if (m.type == src.type && aligned) {
    m.data = src.data;  // zero copy: the mapping (or generated buffer) is the storage
  } else {
    PageBuffer buf(static_cast<std::size_t>(n) * type_size(m.type), spec.name);
    convert(src.data, src.type, buf.data(), m.type, n);
    m.data = buf.data();
    w.owned.push_back(std::move(buf));
  }
  w.bytes += static_cast<std::uint64_t>(n) * type_size(m.type);
  return m;
}

// Fills the Weights from a function get(spec, slot) that yields each tensor's
// data, walking the tensor table: each tensor goes to its slot, matrices as
// `wanted` (Auto: as given), norms in f32.
template <class Get>
void assemble(const ModelConfig& c, detail::Weights& w, WeightDType wanted, Get&& get) {
  model::for_each_tensor(c, w, [&](const model::TensorSpec& spec, model::TensorSlot slot) {
    const RawTensor src = get(spec, slot);
    if (auto* norm = std::get_if<std::vector<float>*>(&slot))
      **norm = hold_norm(spec, src, w);
    else
      *std::get<Matrix*>(slot) = hold_matrix(spec, src, wanted, w);
  });
  if (c.tie_word_embeddings) w.lm_head = w.embed_tokens;
}

// Every tensor of the checkpoint in `dir`, by name, with the file it is in.
struct Located {
  const model::TensorView* view;
  const fs::path* file;
};

// The files of a checkpoint and, when sharded, which one holds each tensor
// (empty for one file: it holds what it holds).
struct CheckpointFiles {
  std::vector<std::string> files;
  std::map<std::string, std::string> weight_map;
};

// The shards a model.safetensors.index.json lists.
CheckpointFiles read_index(const fs::path& index) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(index));
  } catch (const nlohmann::json::exception& e) {
    throw Error(index.string() + ": not valid JSON: " + e.what());
  }
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
    throw Error(index.string() + ": weight_map: missing or not an object");
  CheckpointFiles r;
  for (const auto& [name, file] : j["weight_map"].items()) {
    if (!file.is_string()) throw Error(index.string() + ": weight_map." + name + ": expected a file name");
    const std::string f = file.get<std::string>();
    if (f.empty() || f == "." || f == ".." || f.find('/') != std::string::npos)
      throw Error(index.string() + ": weight_map." + name + ": \"" + f +
                  "\" is not the name of a file in the model folder");
    r.weight_map[name] = f;
    if (std::find(r.files.begin(), r.files.end(), f) == r.files.end()) r.files.push_back(f);
  }
  return r;
}

// Maps the checkpoint's files into `w` and finds every tensor. As in
// transformers, model.safetensors is the checkpoint when present, even beside
// a model.safetensors.index.json (which is then not read).
std::map<std::string, Located> open_checkpoint(const fs::path& dir, detail::Weights& w) {
  const fs::path index = dir / "model.safetensors.index.json";
  CheckpointFiles checkpoint;
  // Present as any kind of entry, a broken link included: opening it then says what is wrong.
  auto present = [](const fs::path& p) {
    std::error_code ec;
    return fs::exists(fs::symlink_status(p, ec));
  };
  if (present(dir / "model.safetensors"))
    checkpoint.files = {"model.safetensors"};
  else if (present(index))
    checkpoint = read_index(index);
  else
    throw Error("no weights in " + dir.string() + ": expected model.safetensors or model.safetensors.index.json");
  const std::map<std::string, std::string>& weight_map = checkpoint.weight_map;
  std::map<std::string, Located> found;
  for (const std::string& f : checkpoint.files) {
    w.files.push_back(std::make_unique<model::SafetensorsFile>(dir / f));
    const model::SafetensorsFile& sf = *w.files.back();
    for (const auto& [name, view] : sf.tensors()) {
      if (!weight_map.empty()) {
        auto it = weight_map.find(name);
        if (it == weight_map.end() || it->second != f) continue;  // the index decides where a tensor lives
      }
      if (found.count(name)) throw Error(sf.path().string() + ": tensor " + name + " appears twice in the checkpoint");
      found[name] = {&view, &sf.path()};
    }
  }
  for (const auto& [name, f] : weight_map)
    if (!found.count(name))
      throw Error((dir / f).string() + ": missing tensor " + name + " (listed in " + index.string() + ")");
  return found;
}

// Checks the checkpoint against the tensor table of `config`: every tensor
// present with a supported dtype and the implied shape, and nothing else.
// Returns the bytes the weights will take as held with `wanted`.
std::uint64_t check_tensors(const ModelConfig& config, const fs::path& config_file,
                            const std::map<std::string, Located>& found, const fs::path& dir, WeightDType wanted) {
  detail::Weights table;  // only for the slots: tells matrices from norms
  std::set<std::string> expected;
  std::uint64_t held = 0;
  model::for_each_tensor(config, table, [&](const model::TensorSpec& spec, model::TensorSlot slot) {
    auto it = found.find(spec.name);
    if (it == found.end())
      throw Error("missing tensor " + spec.name + " in " + dir.string() + " (required by " + config_file.string() +
                  ")");
    const model::TensorView& v = *it->second.view;
    const std::string where = it->second.file->string() + ": tensor " + spec.name;
    if (v.dtype != "BF16" && v.dtype != "F16" && v.dtype != "F32")
      throw Error(where + " has dtype " + v.dtype + "; expected BF16, F16 or F32");
    if (v.shape != spec.shape)
      throw Error(where + " has shape " + model::shape_string(v.shape) + "; " + config_file.string() + " implies " +
                  model::shape_string(spec.shape));
    held += model::is_norm(slot) ? static_cast<std::uint64_t>(spec.elements()) * sizeof(float)
                                 : matrix_bytes(held_type(wanted, stored_type(v.dtype)), spec.shape[0], spec.shape[1]);
    expected.insert(spec.name);
  });
  for (const auto& [name, loc] : found)
    if (!expected.count(name) && !(name == "lm_head.weight" && config.tie_word_embeddings))
      throw Error(loc.file->string() + ": tensor " + name + " is not part of a Qwen3ForCausalLM with " +
                  config_file.string() + " (wrong config?)");
  return held;
}

// The bytes dummy weights of `config` take held as `target` (norms in f32).
std::uint64_t dummy_held_bytes(const ModelConfig& config, WeightType target) {
  detail::Weights table;  // only for the slots: tells matrices from norms
  std::uint64_t held = 0;
  model::for_each_tensor(config, table, [&](const model::TensorSpec& spec, model::TensorSlot slot) {
    held += model::is_norm(slot) ? static_cast<std::uint64_t>(spec.elements()) * sizeof(float)
                                 : matrix_bytes(target, spec.shape[0], spec.shape[1]);
  });
  return held;
}

}  // namespace

namespace detail {

std::map<std::string, MappedTensor> map_checkpoint(const fs::path& dir, const ModelConfig& config,
                                                   const fs::path& config_file, Weights& w) {
  const std::map<std::string, Located> found = open_checkpoint(dir, w);
  check_tensors(config, config_file, found, dir, WeightDType::Auto);
  std::map<std::string, MappedTensor> out;
  for (const auto& [name, loc] : found) out[name] = {loc.view->data, stored_type(loc.view->dtype)};
  return out;
}

Matrix quantized_copy(const Matrix& src, WeightType to, Weights& w, const std::string& name) {
  if (src.cols % 32 != 0)
    throw Error("tensor " + name + " has rows of " + std::to_string(src.cols) + " values; dtype " +
                kernels::weight_type_name(to) + " needs a multiple of 32");
  Matrix m = src;
  m.type = to;
  const std::uint64_t row = kernels::row_bytes(to, m.cols);
  const std::uint64_t in_row = kernels::row_bytes(src.type, src.cols);
  PageBuffer buf(matrix_bytes(to, m.rows, m.cols), name);
  std::byte* dst = buf.data();
#pragma omp parallel
  {
    std::vector<float> tmp(static_cast<std::size_t>(m.cols));
#pragma omp for schedule(static)
    for (std::int64_t r = 0; r < m.rows; ++r) {
      kernels::to_f32(static_cast<const std::byte*>(src.data) + r * in_row, src.type, m.cols, tmp.data());
      kernels::quantize(tmp.data(), to, m.cols, dst + r * row);
    }
  }
  m.data = buf.data();
  w.owned.push_back(std::move(buf));
  return m;
}

bool packs_at_load(const std::string& name, const Matrix& m) {
  return name.rfind("model.layers.", 0) == 0 && kernels::packed_bytes(m) > 0;
}

bool stays_in_file(const std::string& name, const ModelConfig& config) {
  return name == "model.embed_tokens.weight" && !config.tie_word_embeddings;
}

Matrix packed_copy(const Matrix& m, Weights& w) {
  const auto bytes = static_cast<std::size_t>(kernels::packed_bytes(m));
  PageBuffer buf(bytes, "a packed matrix");
  const Matrix packed = kernels::repack(m, buf.data());
  w.owned.push_back(std::move(buf));
  w.bytes += bytes;
  return packed;
}

}  // namespace detail

RunOptions validate_run_options(const RunOptions& o, const ModelConfig& c, const std::string& source) {
  if (o.device != "cpu")
    throw Error("device = " + o.device + " is not available: expected \"cpu\" (this build runs on the cpu only)");
  if (o.threads < 0 || o.threads > kMaxThreads)
    throw Error("threads = " + std::to_string(o.threads) +
                " is out of range: expected 0 <= threads <= " + std::to_string(kMaxThreads) + " (0: all cores)");
  if (o.ctx < 1) throw Error("ctx = " + std::to_string(o.ctx) + " is out of range: expected ctx >= 1 (tokens)");
  if (o.ctx > c.max_context())
    throw Error("ctx = " + std::to_string(o.ctx) + " exceeds the model's context of " +
                std::to_string(c.max_context()) + " tokens (" + source +
                (c.rope_scaling.yarn ? ": rope_scaling factor x original_max_position_embeddings)"
                                     : ": max_position_embeddings; YaRN rope_scaling extends it)"));
  RunOptions r = o;
  if (r.threads == 0) r.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return r;
}

Model::Model(ModelConfig config, RunOptions options, std::unique_ptr<detail::Weights> weights)
    : config_(std::move(config)), options_(std::move(options)), weights_(std::move(weights)) {
  const model::RopeParameters rope = model::rope_parameters(config_);
  inv_freq_ = rope.inv_freq;
  attention_scaling_ = rope.attention_scaling;
  use_kernel_settings();
  tune_decode_schedule();
}

void Model::use_kernel_settings() const {
  kernels::set_num_threads(options_.threads);
  kernels::set_matmul_precision(options_.activations == ActivationDType::BF16
                                    ? kernels::MatmulPrecision::Bf16Activations
                                    : kernels::MatmulPrecision::Exact);
  if (decode_streams_ > 0) kernels::set_decode_schedule({decode_streams_, decode_prefetch_});
}

void Model::tune_decode_schedule() {
  std::vector<kernels::Matrix> matrices;  // the packed ones are timed
  model::for_each_tensor(config_, *weights_, [&](const model::TensorSpec&, model::TensorSlot slot) {
    if (const auto* m = std::get_if<kernels::Matrix*>(&slot)) matrices.push_back(**m);
  });
  const std::vector<double> rates = kernels::tune_decode_schedule(matrices);
  if (rates.empty()) return;
  const kernels::DecodeSchedule chosen = kernels::decode_schedule();
  decode_streams_ = chosen.streams;
  decode_prefetch_ = chosen.prefetch_bytes;
  const auto schedules = kernels::decode_schedules();
  const auto rate = [&](std::size_t i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f GB/s", rates[i]);
    return std::string(buf);
  };
  std::string others;
  for (std::size_t i = 0; i < schedules.size(); ++i) {
    if (schedules[i] == chosen) {
      decode_schedule_ = kernels::describe(chosen) + " (" + rate(i);
    } else {
      others += "; " + kernels::describe(schedules[i]) + ": " + rate(i);
    }
  }
  decode_schedule_ += others + ")";
}

Model::~Model() = default;

std::uint64_t Model::kv_cache_bytes(const ModelConfig& c, std::int64_t ctx, KvDType kv_dtype) {
  return 2ull * c.num_hidden_layers * c.num_key_value_heads * static_cast<std::uint64_t>(ctx) * c.head_dim *
         (kv_dtype == KvDType::F32 ? 4 : 2);
}

std::unique_ptr<Model> Model::load(const fs::path& dir, const RunOptions& options) {
  if (gguf::is_gguf_file(dir)) return load_gguf(dir, options);
  if (!fs::is_directory(dir)) throw Error("model folder " + dir.string() + " does not exist");
  const fs::path config_file = dir / "config.json";
  ModelConfig config = ModelConfig::load(config_file);
  RunOptions opts = validate_run_options(options, config, config_file.string());
  kernels::set_num_threads(opts.threads);

  auto w = std::make_unique<detail::Weights>();
  const std::map<std::string, Located> found = open_checkpoint(dir, *w);
  const std::uint64_t held = check_tensors(config, config_file, found, dir, opts.dtype);
  const int checked = std::min(opts.ctx, kKvCheckTokens);
  model::check_memory(held, kv_cache_bytes(config, checked, opts.kv_dtype), checked, opts.ctx);

  try {
    assemble(config, *w, opts.dtype, [&](const model::TensorSpec& spec, model::TensorSlot) {
      const model::TensorView& v = *found.at(spec.name).view;
      return RawTensor{v.data, stored_type(v.dtype)};
    });
  } catch (const Error& e) {
    throw Error(dir.string() + ": " + e.what());
  }
  w->ggml_arithmetic = quantized(opts.dtype);  // quantized as llama.cpp does: its arithmetic too
  auto model = std::unique_ptr<Model>(new Model(std::move(config), opts, std::move(w)));
  model->source_ = dir.string();
  return model;
}

std::unique_ptr<Model> Model::dummy(const ModelConfig& config, const DummyManifest& manifest,
                                    const RunOptions& options) {
  RunOptions opts = validate_run_options(options, config, "config");
  kernels::set_num_threads(opts.threads);
  const WeightType target = opts.dtype == WeightDType::F32 ? WeightType::F32
                            : quantized(opts.dtype)        ? held_type(opts.dtype, WeightType::BF16)
                                                           : WeightType::BF16;
  model::require_kinds(manifest, config, "dummy-weight manifest");
  const int checked = std::min(opts.ctx, kKvCheckTokens);
  model::check_memory(dummy_held_bytes(config, target), kv_cache_bytes(config, checked, opts.kv_dtype), checked,
                      opts.ctx);

  auto w = std::make_unique<detail::Weights>();
  std::vector<std::uint16_t> scratch;                 // bf16 draws of a tensor that is then widened
  const bool converted = target != WeightType::BF16;  // the draws are bf16: a scratch copy to convert from
  assemble(config, *w, opts.dtype == WeightDType::BF16 ? WeightDType::Auto : opts.dtype,
           [&](const model::TensorSpec& spec, model::TensorSlot slot) {
             const std::int64_t n = spec.elements();
             if (model::is_norm(slot) || converted) {
               scratch.resize(n);
               model::generate_dummy_bf16(manifest, spec.name, n, scratch.data());
               return RawTensor{scratch.data(), WeightType::BF16};
             }
             PageBuffer buf(static_cast<std::size_t>(n) * 2, spec.name);
             model::generate_dummy_bf16(manifest, spec.name, n, reinterpret_cast<std::uint16_t*>(buf.data()));
             const void* p = buf.data();
             w->owned.push_back(std::move(buf));
             return RawTensor{p, WeightType::BF16};
           });
  w->ggml_arithmetic = quantized(opts.dtype);
  auto model = std::unique_ptr<Model>(new Model(config, opts, std::move(w)));
  model->source_ = "qwen3-dummy-v1 weights";
  return model;
}

std::string Model::weight_dtype() const {
  // Every matrix type, the most used (by weights) first.
  std::map<WeightType, std::int64_t> count;
  const auto add = [&](const Matrix& m) { count[m.type] += m.rows * m.cols; };
  for (const detail::LayerWeights& L : weights_->layers)
    for (const Matrix* m : {&L.q_proj, &L.k_proj, &L.v_proj, &L.o_proj, &L.gate_proj, &L.up_proj, &L.down_proj})
      add(*m);
  if (count.empty()) add(weights_->embed_tokens);
  std::vector<std::pair<std::int64_t, WeightType>> order;
  for (const auto& [t, n] : count) order.emplace_back(-n, t);
  std::sort(order.begin(), order.end());
  std::string s;
  for (const auto& [n, t] : order) {
    if (!s.empty()) s += '+';
    s += kernels::weight_type_name(t);
  }
  return s;
}

std::uint64_t Model::weight_bytes() const { return weights_->bytes; }

std::uint64_t Model::decode_bytes_per_token() const {
  auto bytes = [](const Matrix& m) { return static_cast<std::uint64_t>(m.rows * kernels::row_bytes(m.type, m.cols)); };
  std::uint64_t total = bytes(weights_->lm_head);
  total += static_cast<std::uint64_t>(kernels::row_bytes(weights_->embed_tokens.type, weights_->embed_tokens.cols));
  for (const detail::LayerWeights& L : weights_->layers)
    for (const Matrix* m : {&L.q_proj, &L.k_proj, &L.v_proj, &L.o_proj, &L.gate_proj, &L.up_proj, &L.down_proj})
      total += bytes(*m);
  return total;
}

Session Model::new_session() const {
  return Session(config_.num_hidden_layers, config_.num_key_value_heads, config_.head_dim, options_.ctx,
                 options_.kv_dtype);
}

void Model::check_tokens(std::span<const TokenId> tokens, Session& session) const {
  if (session.layers_ != config_.num_hidden_layers || session.kv_heads_ != config_.num_key_value_heads ||
      session.head_dim_ != config_.head_dim)
    throw Error("forward: the session was made for another model");
  if (tokens.empty()) throw Error("forward: no tokens");
  if (static_cast<std::int64_t>(session.position()) + static_cast<std::int64_t>(tokens.size()) > session.capacity())
    throw Error("context full: " + std::to_string(session.position()) + " + " + std::to_string(tokens.size()) +
                " tokens exceed the session's ctx = " + std::to_string(session.capacity()));
  for (std::size_t t = 0; t < tokens.size(); ++t)
    if (tokens[t] < 0 || tokens[t] >= config_.vocab_size)
      throw Error("token id " + std::to_string(tokens[t]) + " at index " + std::to_string(t) +
                  " is outside the vocabulary [0, " + std::to_string(config_.vocab_size) + ")");
  // The memory for the positions these tokens take the cache to, kKvCheckTokens at a time.
  const int end = session.position() + static_cast<int>(tokens.size());
  if (end > session.checked_) {
    const int to = std::min(session.capacity(), (end + kKvCheckTokens - 1) / kKvCheckTokens * kKvCheckTokens);
    model::check_kv_growth(kv_cache_bytes(config_, to - session.checked_, session.kv_dtype()),
                           model::available_memory_bytes(), session.checked_, to, session.capacity());
    session.checked_ = to;
  }
}

void Model::check_allowed_rows(const std::vector<std::int32_t>* allowed_rows) const {
  if (allowed_rows)
    for (std::int32_t r : *allowed_rows)
      if (r < 0 || r >= config_.vocab_size)
        throw Error("allowed row " + std::to_string(r) + " is outside the vocabulary [0, " +
                    std::to_string(config_.vocab_size) + ")");
}

void Model::forward(std::span<const TokenId> tokens, Session& session, float* logits,
                    const std::vector<std::int32_t>* allowed_rows) const {
  check_tokens(tokens, session);
  check_allowed_rows(allowed_rows);
  for (std::size_t begin = 0; begin < tokens.size(); begin += kChunkTokens) {
    const std::size_t n = std::min<std::size_t>(kChunkTokens, tokens.size() - begin);
    const bool last = begin + n == tokens.size();
    run_chunk(tokens.subspan(begin, n), session, logits, last ? Logits::Last : Logits::None, allowed_rows);
  }
  check_finite(logits, static_cast<std::size_t>(config_.vocab_size), allowed_rows);
}

void Model::check_finite(const float* logits, std::size_t n, const std::vector<std::int32_t>* rows) const {
  auto bad = [&](std::size_t i) {
    throw Error(source_ + ": the forward pass produced " + (std::isnan(logits[i]) ? "NaN" : "Inf") + " for logit " +
                std::to_string(i % static_cast<std::size_t>(config_.vocab_size)) +
                " (expected finite values: the weights hold NaN or Inf, a corrupt checkpoint?)");
  };
  if (rows) {
    for (std::int32_t r : *rows)
      if (!std::isfinite(logits[r])) bad(static_cast<std::size_t>(r));
    return;
  }
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(logits[i])) bad(i);
}

void Model::forward_all(std::span<const TokenId> tokens, Session& session, float* logits) const {
  check_tokens(tokens, session);
  for (std::size_t begin = 0; begin < tokens.size(); begin += kChunkTokens) {
    const std::size_t n = std::min<std::size_t>(kChunkTokens, tokens.size() - begin);
    run_chunk(tokens.subspan(begin, n), session, logits + begin * config_.vocab_size, Logits::All, nullptr);
  }
  check_finite(logits, tokens.size() * static_cast<std::size_t>(config_.vocab_size), nullptr);
}

void Model::fill_synthetic(std::span<const TokenId> tokens, Session& session) const {
  check_tokens(tokens, session);
  constexpr int kChunk = 1024;  // positions written per call (4 MiB of each of k and v for Qwen3-4B)
  const std::size_t row = static_cast<std::size_t>(config_.num_key_value_heads) * config_.head_dim;
  std::vector<float> k(kChunk * row), v(kChunk * row);
  std::uint64_t state = 0x9E3779B97F4A7C15ULL;
  for (std::vector<float>* buf : {&k, &v})
    for (float& x : *buf) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      x = static_cast<float>(static_cast<std::int32_t>(state >> 32)) * 0x1p-31f;
    }
  const int n = static_cast<int>(tokens.size());
  for (int l = 0; l < config_.num_hidden_layers; ++l)
    for (int p = 0; p < n; p += kChunk)
      kernels::kv_store(kv_layer(session, l), session.position_ + p, std::min(kChunk, n - p), k.data(), v.data());
  session.position_ += n;
}

// ---- Session ---------------------------------------------------------------

Session::Session(int layers, int kv_heads, int head_dim, int capacity, KvDType kv_dtype)
    : layers_(layers), kv_heads_(kv_heads), head_dim_(head_dim), capacity_(capacity), kv_dtype_(kv_dtype) {
  head_stride_ = kernels::kv_head_elements(capacity, head_dim);
  bytes_ = static_cast<std::size_t>(layers) * kv_heads * head_stride_ * element_size();
  // Anonymous mappings are committed page by page as the cache fills, so a
  // long ctx costs memory only for the positions actually used.
  for (void** p : {&keys_, &values_}) {
    void* m = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) {
      if (keys_) ::munmap(keys_, bytes_);
      throw Error("cannot reserve " + model::gib(bytes_) + " for the KV cache (ctx = " + std::to_string(capacity) +
                  ")");
    }
    *p = m;
  }
}

Session::Session(Session&& o) noexcept
    : layers_(o.layers_),
      kv_heads_(o.kv_heads_),
      head_dim_(o.head_dim_),
      capacity_(o.capacity_),
      position_(o.position_),
      kv_dtype_(o.kv_dtype_),
      checked_(o.checked_),
      head_stride_(o.head_stride_),
      keys_(std::exchange(o.keys_, nullptr)),
      values_(std::exchange(o.values_, nullptr)),
      bytes_(std::exchange(o.bytes_, 0)) {}

Session& Session::operator=(Session&& o) noexcept {
  if (this != &o) {
    this->~Session();
    new (this) Session(std::move(o));
  }
  return *this;
}

Session::~Session() {
  if (keys_) ::munmap(keys_, bytes_);
  if (values_) ::munmap(values_, bytes_);
}

void Session::truncate(int n) {
  if (n < 0 || n > position_)
    throw Error("Session::truncate(" + std::to_string(n) + "): must be in [0, " + std::to_string(position_) + "]");
  position_ = n;
}

void* Session::keys(int layer) const {
  return static_cast<std::byte*>(keys_) + static_cast<std::size_t>(layer) * kv_heads_ * head_stride_ * element_size();
}
void* Session::values(int layer) const {
  return static_cast<std::byte*>(values_) + static_cast<std::size_t>(layer) * kv_heads_ * head_stride_ * element_size();
}

}  // namespace qwen3
