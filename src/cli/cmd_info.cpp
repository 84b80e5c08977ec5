// `qwen3 info`: what a model is and what running it costs in memory.
#include <cstdio>
#include <iostream>

#include "cli/command.h"
#include "cli/options_flags.h"
#include "qwen3/engine.h"

namespace qwen3::cli::cmd_info {
namespace {

std::string gib(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

void print_info(const Settings& s) {
  const ModelConfig c = load_model_config(s);
  const RunOptions o = run_options_for(s, c);
  std::string dtype, decode_schedule;
  std::uint64_t weight_bytes = 0;
  const bool dummy = s.model.value.empty();
  if (!dummy) {
    const auto model = open_model(s);  // memory-mapped: checks every tensor, reads little
    dtype = model->weight_dtype();
    weight_bytes = model->weight_bytes();
    decode_schedule = model->decode_schedule();
  } else {
    // Dummy weights are not generated just to be described: bf16 unless --dtype
    // f32, q8_0 or q4_0 (34 or 18 bytes per block of 32).
    const bool f32 = o.dtype == WeightDType::F32;
    const bool q8 = o.dtype == WeightDType::Q8_0, q4 = o.dtype == WeightDType::Q4_0;
    dtype = f32 ? "f32" : q8 ? "q8_0" : q4 ? "q4_0" : "bf16";
    const std::int64_t norms = std::int64_t{c.num_hidden_layers} * (2 * c.hidden_size + 2 * c.head_dim) + c.hidden_size;
    const double per_weight = f32 ? 4 : q8 ? 34.0 / 32 : q4 ? 18.0 / 32 : 2;
    weight_bytes =
        static_cast<std::uint64_t>(static_cast<double>(c.parameter_count() - norms) * per_weight + norms * 4);
  }
  const std::int64_t params = c.parameter_count();
  std::printf("architecture      Qwen3ForCausalLM (dense)%s\n", dummy ? ", qwen3-dummy-v1 weights" : "");
  std::printf("parameters        %.2f B (%lld)\n", params / 1e9, static_cast<long long>(params));
  std::printf("layers            %d\n", c.num_hidden_layers);
  std::printf("hidden size       %d (MLP intermediate %d)\n", c.hidden_size, c.intermediate_size);
  std::printf("attention heads   %d query, %d key/value (GQA %d:1), head_dim %d\n", c.num_attention_heads,
              c.num_key_value_heads, c.gqa_group(), c.head_dim);
  std::printf("vocabulary        %d (embeddings %s)\n", c.vocab_size,
              c.tie_word_embeddings ? "tied to the LM head" : "untied");
  std::printf("rope              theta %g, rms_norm_eps %g\n", c.rope_theta, c.rms_norm_eps);
  if (c.rope_scaling.yarn)
    std::printf("context           %lld native (max_position_embeddings), %lld with YaRN factor %g over %lld\n",
                static_cast<long long>(c.max_position_embeddings), static_cast<long long>(c.max_context()),
                c.rope_scaling.factor, static_cast<long long>(c.rope_scaling.original_max_position_embeddings));
  else
    std::printf("context           %lld native (max_position_embeddings); no rope_scaling\n",
                static_cast<long long>(c.max_position_embeddings));
  std::printf("dtype             %s\n", dtype.c_str());
  std::printf("weights memory    %s\n", gib(weight_bytes).c_str());
  if (!decode_schedule.empty()) std::printf("decode schedule   %s\n", decode_schedule.c_str());
  // Both KV dtypes, the run's first; committed as the context fills, so this is the most a session takes.
  const KvDType kv = o.kv_dtype, other = kv == KvDType::BF16 ? KvDType::F32 : KvDType::BF16;
  auto kv_name = [](KvDType t) { return t == KvDType::BF16 ? "bf16" : "f32"; };
  std::printf("KV cache          %s at ctx %d in %s (kv_dtype; %s in %s), %.0f KiB per token\n",
              gib(Model::kv_cache_bytes(c, o.ctx, kv)).c_str(), o.ctx, kv_name(kv),
              gib(Model::kv_cache_bytes(c, o.ctx, other)).c_str(), kv_name(other),
              static_cast<double>(Model::kv_cache_bytes(c, 1, kv)) / 1024.0);
  std::printf("device            %s, %d threads\n", o.device.c_str(), o.threads);
}

const CommandRegistration registration("info", [](CLI::App& program) {
  auto* cmd = program.add_subcommand("info", "Describe a model: shape, parameters, context, memory");
  auto flags = std::make_shared<OptionFlags>();
  add_option_flags(*cmd, *flags, kModelOptions);
  cmd->callback([flags] { print_info(resolve_options(*flags)); });
});

}  // namespace
}  // namespace qwen3::cli::cmd_info
