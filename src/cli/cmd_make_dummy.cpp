// `qwen3 make-dummy`: write a Hugging Face checkpoint with qwen3-dummy-v1
// weights for any Qwen3 config (sharded safetensors, as the hub stores them),
// e.g. to test loading at full size without a download.
#include <filesystem>
#include <iostream>

#include "cli/command.h"
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
  bool force = false;
};

void run(const MakeDummyArgs& a) {
  if (a.max_shard_bytes == 0) throw Error("--max-shard-size: must be > 0");
  DummyCheckpointOptions options;
  options.max_shard_bytes = a.max_shard_bytes;
  options.force = a.force;
  options.manifest = a.manifest;
  for (const fs::path& f : write_dummy_checkpoint(resolve_config(a.config), a.out, options))
    std::cout << f.string() << "\n";
}

const CommandRegistration registration("make-dummy", [](CLI::App& program) {
  auto* cmd = program.add_subcommand("make-dummy", "Write a checkpoint with qwen3-dummy-v1 weights for a config");
  auto a = std::make_shared<MakeDummyArgs>();
  cmd->add_option("--config,--model-config", a->config, "Model config: a carried name (qwen3-4b), a config.json or its folder")
      ->required();
  cmd->add_option("--manifest", a->manifest, "qwen3-dummy-v1 manifest (default: dummy.json beside the config, else qwen3-4b's)");
  cmd->add_option("--out", a->out, "Folder to write the checkpoint to (new or empty)")->required();
  cmd->add_flag("--force", a->force, "Write into a non-empty --out, replacing the checkpoint files there");
  cmd->add_option("--max-shard-size", a->max_shard_bytes, "Largest shard in bytes (one model.safetensors if it all fits)")
      ->capture_default_str();
  cmd->callback([a] { run(*a); });
});

}  // namespace
}  // namespace qwen3::cli
