// write_dummy_checkpoint: a Hugging Face checkpoint of qwen3-dummy-v1 weights
// for any Qwen3 config (as `qwen3 make-dummy` writes it), e.g. to test
// loading at full size without a download.
#include <filesystem>

#include "model/dummy_weights.h"
#include "model/safetensors.h"
#include "model/tensor_specs.h"
#include "qwen3/error.h"
#include "qwen3/model.h"

namespace qwen3 {
namespace {
namespace fs = std::filesystem;

// The files of a checkpoint that `force` replaces: the weights, the index
// and generation_config.json (config.json and dummy.json are always rewritten).
bool is_checkpoint_file(const fs::path& file) {
  const std::string name = file.filename().string();
  const bool weights = name.starts_with("model") && name.ends_with(".safetensors");
  return weights || name == "model.safetensors.index.json" || name == "generation_config.json";
}

// Refuses an out_dir that is the config's own folder (always), is not a
// folder, or (without force) is not empty.
void check_out_dir(const fs::path& out_dir, const fs::path& config_json, bool force) {
  std::error_code ec;
  if (!fs::exists(out_dir, ec)) return;
  const std::string out = "out_dir " + out_dir.string();
  const fs::path config_dir = config_json.has_parent_path() ? config_json.parent_path() : fs::path(".");
  if (fs::equivalent(out_dir, config_dir, ec))
    throw Error(out + " is the folder of " + config_json.string() +
                ": expected another folder (a checkpoint is never written over the config it comes from)");
  if (!fs::is_directory(out_dir, ec)) throw Error(out + " is not a folder: expected an empty or new folder");
  const bool empty = fs::is_empty(out_dir, ec);
  if (ec) throw Error("cannot read " + out + ": " + ec.message());
  if (!empty && !force) throw Error(out + " is not empty: expected an empty or new folder (force to replace)");
}

void remove_checkpoint_files(const fs::path& out_dir) {
  std::error_code ec;
  if (!fs::exists(out_dir, ec)) return;
  for (const fs::directory_entry& e : fs::directory_iterator(out_dir))
    if (e.is_regular_file() && is_checkpoint_file(e.path()) && !fs::remove(e.path(), ec))
      throw Error("cannot remove " + e.path().string() + ": " + ec.message());
}

// Copies `from` to out_dir/name (nothing to do when it is that file already).
fs::path copy_into(const fs::path& from, const fs::path& out_dir, const char* name) {
  const fs::path to = out_dir / name;
  std::error_code ec;
  if (fs::equivalent(from, to, ec)) return to;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) throw Error("cannot write " + to.string() + ": " + ec.message());
  return to;
}

// Every tensor of the config, drawn on demand as BF16 while it is written.
std::vector<model::TensorToWrite> dummy_tensors(const ModelConfig& config, const DummyManifest& manifest) {
  std::vector<model::TensorToWrite> tensors;
  for (const model::TensorSpec& spec : model::qwen3_tensor_specs(config))
    tensors.push_back({spec.name, "BF16", spec.shape, [&manifest, spec](std::byte* out) {
                         model::generate_dummy_bf16(manifest, spec.name, spec.elements(),
                                                    reinterpret_cast<std::uint16_t*>(out));
                       }});
  return tensors;
}

}  // namespace

std::vector<fs::path> write_dummy_checkpoint(const fs::path& config_json, const fs::path& out_dir,
                                             const DummyCheckpointOptions& options) {
  const ModelConfig config = ModelConfig::load(config_json);
  const fs::path manifest_file =
      options.manifest.empty() ? DummyManifest::file_for_config(config_json) : options.manifest;
  const DummyManifest manifest = DummyManifest::load(manifest_file);
  model::require_kinds(manifest, config, manifest_file.string());
  if (options.max_shard_bytes == 0) throw Error("max_shard_bytes = 0 is out of range: expected max_shard_bytes > 0");
  check_out_dir(out_dir, config_json, options.force);

  if (options.force) remove_checkpoint_files(out_dir);
  std::vector<fs::path> written =
      model::write_checkpoint(out_dir, dummy_tensors(config, manifest), options.max_shard_bytes);
  // The checkpoint carries its configuration and the manifest that made it.
  written.push_back(copy_into(config_json, out_dir, "config.json"));
  const fs::path generation = config_json.parent_path() / "generation_config.json";
  if (fs::exists(generation)) written.push_back(copy_into(generation, out_dir, "generation_config.json"));
  written.push_back(copy_into(manifest_file, out_dir, "dummy.json"));
  return written;
}

}  // namespace qwen3
