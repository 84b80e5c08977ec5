// `qwen3 make-dummy`: write a Hugging Face checkpoint with qwen3-dummy-v1
// weights for any Qwen3 config (sharded safetensors, as the hub stores them),
// e.g. to test loading at full size without a download.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/command.h"
#include "model/dummy_weights.h"
#include "model/safetensors.h"
#include "model/tensor_specs.h"
#include "qwen3/error.h"
#include "qwen3/model.h"

namespace qwen3::cli {
namespace {
namespace fs = std::filesystem;

struct MakeDummyArgs {
  std::string config;
  std::string manifest;
  std::string out;
  std::uint64_t max_shard_bytes = 4000000000ull;
};

void run(const MakeDummyArgs& a) {
  const fs::path config_file = resolve_config(a.config);
  const ModelConfig c = ModelConfig::load(config_file);
  const fs::path manifest_file =
      !a.manifest.empty() ? fs::path(a.manifest) : data_dir() / "models" / "qwen3-4b" / "dummy.json";
  const DummyManifest m = DummyManifest::load(manifest_file);
  if (a.max_shard_bytes == 0) throw Error("--max-shard-size: must be > 0");

  std::vector<model::TensorToWrite> tensors;
  for (const model::TensorSpec& spec : model::qwen3_tensor_specs(c)) {
    const std::string kind = model::tensor_kind(spec.name);
    if (!m.kinds.count(kind)) throw Error(manifest_file.string() + ": kinds: missing \"" + kind + "\"");
    tensors.push_back({spec.name, "BF16", spec.shape, [&m, spec](std::byte* out) {
                         model::generate_dummy_bf16(m, spec.name, spec.elements(), reinterpret_cast<std::uint16_t*>(out));
                       }});
  }
  const fs::path out(a.out);
  const auto written = model::write_checkpoint(out, std::move(tensors), a.max_shard_bytes);
  // The checkpoint carries its configuration and the manifest that made it.
  auto copy = [&out](const fs::path& from, const char* name) {
    std::error_code ec;
    if (fs::equivalent(from, out / name, ec)) return;
    fs::copy_file(from, out / name, fs::copy_options::overwrite_existing, ec);
    if (ec) throw Error("cannot write " + (out / name).string() + ": " + ec.message());
  };
  copy(config_file, "config.json");
  if (fs::exists(config_file.parent_path() / "generation_config.json"))
    copy(config_file.parent_path() / "generation_config.json", "generation_config.json");
  copy(manifest_file, "dummy.json");
  for (const fs::path& f : written) std::cout << f.string() << "\n";
}

const CommandRegistration registration("make-dummy", [](CLI::App& program) {
  auto* cmd = program.add_subcommand("make-dummy", "Write a checkpoint with qwen3-dummy-v1 weights for a config");
  auto a = std::make_shared<MakeDummyArgs>();
  cmd->add_option("--config,--model-config", a->config, "Model config: a carried name (qwen3-4b), a config.json or its folder")
      ->required();
  cmd->add_option("--manifest", a->manifest, "qwen3-dummy-v1 manifest (default: the carried qwen3-4b dummy.json)");
  cmd->add_option("--out", a->out, "Folder to write the checkpoint to")->required();
  cmd->add_option("--max-shard-size", a->max_shard_bytes, "Largest shard in bytes (one model.safetensors if it all fits)")
      ->capture_default_str();
  cmd->callback([a] { run(*a); });
});

}  // namespace
}  // namespace qwen3::cli
