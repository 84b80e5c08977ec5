#pragma once
// The flags every model-running command shares, so that `qwen3 info`,
// `logits`, `generate`, `bench` (and the chat commands) read the same way:
//   run options:   --device cpu  --dtype auto|bf16|f32  --threads N  --ctx N
//   model source:  --model DIR  |  --config NAME|FILE --dummy-weights [--manifest FILE]
#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "qwen3/model.h"
#include "qwen3/run_options.h"

namespace qwen3::cli {

// Adds --device, --dtype, --threads and --ctx to `cmd`, writing into `options`.
// Returns the --ctx option (its count() tells whether the user gave it).
CLI::Option* add_run_options(CLI::App& cmd, RunOptions& options);

struct ModelFlags {
  RunOptions run;
  CLI::Option* ctx_flag = nullptr;
  std::string model_dir;   // --model: a Hugging Face checkpoint folder
  std::string config;      // --config: a carried model name, a config.json or its folder
  bool dummy_weights = false;
  std::string manifest;    // --manifest: qwen3-dummy-v1 manifest (default: dummy.json beside the config)

  // The configuration alone (no weights read): from --model DIR or --config.
  ModelConfig load_config() const;
  // The run options, with --ctx lowered to the model's context when the user
  // did not give it and the default (32,768) is beyond the model.
  RunOptions run_options(const ModelConfig& config, int default_ctx = 0) const;
  // Loads (or generates) the model. Throws qwen3::Error for a bad combination.
  std::unique_ptr<Model> open(int default_ctx = 0) const;
  // The dummy manifest for --dummy-weights.
  DummyManifest load_manifest() const;
};

// Adds the model-source flags and the run options.
void add_model_flags(CLI::App& cmd, ModelFlags& flags);

// "1,2,3" -> {1, 2, 3}; throws qwen3::Error naming `flag` on anything else.
std::vector<TokenId> parse_ids(const std::string& csv, const std::string& flag);

}  // namespace qwen3::cli
