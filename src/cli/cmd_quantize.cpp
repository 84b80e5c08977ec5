// `qwen3 quantize`: write a checkpoint (or dummy weights) as a quantized
// GGUF file that llama.cpp and Ollama read (qwen3/quantize.h).
#include <chrono>
#include <cstdio>

#include "cli/command.h"
#include "cli/options_flags.h"
#include "qwen3/quantize.h"

namespace qwen3::cli::cmd_quantize {
namespace {

struct QuantizeArgs {
  OptionFlags options;
  std::string type;
  std::string out;
};

void run(const QuantizeArgs& a) {
  const QuantType type = parse_quant_type(a.type);
  const Settings s = resolve_options(a.options);
  const auto start = std::chrono::steady_clock::now();
  const QuantizeResult r = quantize_model(s, type, a.out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string types;
  for (const auto& [name, count] : r.tensors_by_type)
    types += (types.empty() ? "" : ", ") + std::to_string(count) + " " + name;
  std::printf("%s: %s, %.1f MiB, %s tensors, %.1f s\n", r.file.string().c_str(),
              std::string(quant_type_name(type)).c_str(), static_cast<double>(r.bytes) / (1024.0 * 1024.0),
              types.c_str(), seconds);
}

const CommandRegistration registration("quantize", [](CLI::App& program) {
  auto* cmd = program.add_subcommand("quantize", "Write a checkpoint as a quantized GGUF file (llama.cpp, Ollama)");
  auto a = std::make_shared<QuantizeArgs>();
  add_option_flags(*cmd, a->options, {OptionGroup::Model, OptionGroup::Tokenizer, OptionGroup::ModelConfig});
  cmd->add_option("--type", a->type, "q8_0, q4_0 or q4_k_m (as llama-quantize makes them)")->required();
  cmd->add_option("--out", a->out, "The GGUF file to write (written as FILE.tmp, then renamed)")->required();
  cmd->callback([a] { run(*a); });
});

}  // namespace
}  // namespace qwen3::cli::cmd_quantize
