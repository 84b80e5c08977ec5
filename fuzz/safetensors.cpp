// A safetensors file (8-byte header length, JSON header, data) through
// SafetensorsFile, as the model loader maps a checkpoint's files: a one-line
// error naming the file, or tensors whose size agrees with dtype x shape and
// whose bytes all lie inside the mapping (read here: a view past the end of
// the file would fault).
#include "fuzz/fuzz.h"
#include "model/safetensors.h"

QWEN3_FUZZ_TARGET(safetensors) {
  using namespace qwen3;
  const auto path = fuzz::write_temp("model.safetensors", fuzz::as_text(data, size));
  std::optional<model::SafetensorsFile> f;
  if (!fuzz::returns_or_errs([&] { f.emplace(path); })) return 0;
  for (const auto& [name, v] : f->tensors()) {
    std::size_t elements = 1;
    for (std::int64_t d : v.shape) {
      if (d < 0) fuzz::fail("tensor " + name + " has a negative dimension");
      elements *= static_cast<std::size_t>(d);
    }
    if (elements * model::dtype_size(v.dtype) != v.bytes && model::dtype_size(v.dtype) != 0)
      fuzz::fail("tensor " + name + ": bytes disagree with dtype x shape");
    if (v.bytes) {
      volatile std::byte first = v.data[0], last = v.data[v.bytes - 1];
      (void)first;
      (void)last;
    }
  }
  return 0;
}
