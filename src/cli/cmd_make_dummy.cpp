// `qwen3 make-dummy`: write a Hugging Face checkpoint with qwen3-dummy-v1
// weights for any Qwen3 config (sharded safetensors, as the hub stores them),
// e.g. to test loading at full size without a download. The weights come
// from the manifest beside the config (dummy.json), else qwen3-4b's, exactly
// as --dummy-weights generates them.
#include <iostream>

#include "cli/command.h"
#include "cli/options_flags.h"
#include "qwen3/error.h"
#include "qwen3/model.h"

namespace qwen3::cli::cmd_make_dummy {
namespace {

struct MakeDummyArgs {
  OptionFlags options;
  std::string out;
  DummyCheckpointOptions write;
};

void run(const MakeDummyArgs& a) {
  const Settings s = resolve_options(a.options);
  if (s.model_config.value.empty()) throw Error("make-dummy: give --model-config NAME|FILE (the model to write)");
  if (a.write.max_shard_bytes == 0) throw Error("--max-shard-size: must be > 0");
  for (const auto& f : write_dummy_checkpoint(resolve_config(s.model_config.value), a.out, a.write))
    std::cout << f.string() << "\n";
}

const CommandRegistration registration("make-dummy", [](CLI::App& program) {
  auto* cmd = program.add_subcommand("make-dummy", "Write a checkpoint with qwen3-dummy-v1 weights for a config");
  auto a = std::make_shared<MakeDummyArgs>();
  add_option_flags(*cmd, a->options, {OptionGroup::ModelConfig});
  cmd->add_option("--out", a->out, "Folder to write the checkpoint to (new or empty)")->required();
  cmd->add_flag("--force", a->write.force, "Replace the checkpoint in a non-empty --out (stale shards removed)");
  cmd->add_option("--max-shard-size", a->write.max_shard_bytes,
                  "Largest shard in bytes (one model.safetensors if it all fits)")
      ->capture_default_str();
  cmd->callback([a] { run(*a); });
});

}  // namespace
}  // namespace qwen3::cli::cmd_make_dummy
