// model.safetensors.index.json through Model::load, as a sharded checkpoint
// is opened: beside the fixture's config.json and one small shard
// (model-00001-of-00001.safetensors, two tensors), any index is a one-line
// error naming the file (no weights here make a whole Qwen3), never a read
// outside the folder or a crash.
#include <fstream>

#include "fuzz/fuzz.h"
#include "model/safetensors.h"
#include "qwen3/model.h"

QWEN3_FUZZ_TARGET(safetensors_index) {
  using namespace qwen3;
  static const std::filesystem::path dir = [] {
    const auto d = fuzz::temp_dir() / "sharded";
    std::filesystem::create_directories(d);
    std::filesystem::copy_file(fuzz::fixture_dir() / "config.json", d / "config.json",
                               std::filesystem::copy_options::overwrite_existing);
    std::vector<model::TensorToWrite> tensors;
    for (const char* name : {"model.norm.weight", "model.layers.0.input_layernorm.weight"})
      tensors.push_back({name, "F32", {4}, [](std::byte* out) { std::fill(out, out + 16, std::byte{0}); }});
    model::write_safetensors(d / "model-00001-of-00001.safetensors", std::move(tensors));
    return d;
  }();
  {
    std::ofstream out(dir / "model.safetensors.index.json", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  RunOptions o;
  o.ctx = 16;
  o.threads = 1;
  if (fuzz::returns_or_errs([&] { (void)Model::load(dir, o); })) fuzz::fail("a model loaded without its weights");
  return 0;
}
