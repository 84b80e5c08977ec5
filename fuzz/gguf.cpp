// A GGUF file through gguf::File (header, metadata, tensor table), then what
// the model, tokenizer and chat libraries read from it: every metadata
// value through the typed accessors, every tensor's bytes (read: a tensor
// past the end of the mapping would fault), the model config, the
// tokenizer, the chat template and the model itself (tiny context, one
// thread). Each step: a one-line error naming the file, or a result.
#include "common/gguf.h"
#include "fuzz/fuzz.h"
#include "model/gguf_model.h"
#include "qwen3/chat.h"
#include "qwen3/model.h"

QWEN3_FUZZ_TARGET(gguf) {
  using namespace qwen3;
  const auto path = fuzz::write_temp("model.gguf", fuzz::as_text(data, size));
  std::optional<gguf::File> f;
  if (!fuzz::returns_or_errs([&] { f.emplace(path); })) return 0;
  for (const auto& entry : f->metadata()) {
    const std::string& key = entry.first;
    fuzz::returns_or_errs([&] { (void)f->optional_string(key); });
    fuzz::returns_or_errs([&] { (void)f->optional_integer(key); });
    fuzz::returns_or_errs([&] { (void)f->optional_number(key); });
    fuzz::returns_or_errs([&] { (void)f->string_array(key); });
    fuzz::returns_or_errs([&] { (void)f->integer_array(key); });
  }
  for (const gguf::Tensor& t : f->tensors()) {
    if (t.bytes) {
      volatile std::byte first = t.data[0], last = t.data[t.bytes - 1];
      (void)first;
      (void)last;
    }
    (void)t.elements();
  }
  ModelConfig config;
  if (fuzz::returns_or_errs([&] { config = model::gguf_model_config(*f); })) {
    (void)config.max_context();
    (void)config.parameter_count();
  }
  std::optional<Tokenizer> tok;
  if (fuzz::returns_or_errs([&] { tok.emplace(Tokenizer::from_gguf(path)); }))
    fuzz::returns_or_errs([&] { (void)tok->decode(tok->encode("Hello, world! 你好 <|im_end|>")); });
  fuzz::returns_or_errs([&] { (void)ChatTemplate::from_tokenizer_config(path); });
  RunOptions o;
  o.ctx = 16;
  o.threads = 1;
  fuzz::returns_or_errs([&] { (void)Model::load(path, o); });  // a GGUF file: load_gguf
  return 0;
}
