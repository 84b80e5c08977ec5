#pragma once
// How a model runs: the counterpart of transformers' device_map, torch_dtype
// and max length. One struct shared by every command and by the library.
#include <string>

namespace qwen3 {

enum class WeightDType { Auto, BF16, F32 };  // Auto: as stored in the checkpoint

struct RunOptions {
  std::string device = "cpu";  // only "cpu" until another backend exists
  WeightDType dtype = WeightDType::Auto;
  int threads = 0;  // 0: all of the machine's cores
  int ctx = 32768;  // KV-cache length in tokens
};

}  // namespace qwen3
