#pragma once
// Hugging Face safetensors files: an 8-byte little-endian header length, a JSON
// header {name: {"dtype", "shape", "data_offsets": [begin, end]}, ...} and the
// raw little-endian tensor data. Reading memory-maps the file and checks the
// header against the file (truncation, overlapping or out-of-range offsets,
// sizes that disagree with dtype x shape). Writing produces the layout the
// project's fixtures use: tensors sorted by name, the header compact JSON
// padded with spaces to a multiple of 8.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/file.h"

namespace qwen3::model {

struct TensorView {
  std::string dtype;  // "BF16", "F16", "F32", ...
  std::vector<std::int64_t> shape;
  const std::byte* data = nullptr;  // inside the mapping
  std::size_t bytes = 0;
};

// Bytes per element of a safetensors dtype string, 0 when unknown.
std::size_t dtype_size(const std::string& dtype);

class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);
  const std::filesystem::path& path() const { return file_.path(); }
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }

 private:
  MappedFile file_;
  std::map<std::string, TensorView> tensors_;
};

// A tensor to write: its bytes are produced on demand into `out` (so a large
// checkpoint never has to be in memory at once).
struct TensorToWrite {
  std::string name;
  std::string dtype;
  std::vector<std::int64_t> shape;
  std::function<void(std::byte* out)> fill;
  std::size_t bytes() const;
};

// Writes one safetensors file (tensors sorted by name, metadata {"format": "pt"}).
void write_safetensors(const std::filesystem::path& path, std::vector<TensorToWrite> tensors);

// Writes a checkpoint to `dir`: model.safetensors when everything fits in
// max_shard_bytes, else model-0000i-of-0000n.safetensors shards (tensors
// sorted by name, greedily filled) and model.safetensors.index.json.
// Returns the files written.
std::vector<std::filesystem::path> write_checkpoint(const std::filesystem::path& dir,
                                                    std::vector<TensorToWrite> tensors, std::uint64_t max_shard_bytes);

}  // namespace qwen3::model
