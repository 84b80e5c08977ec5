// config.json through ModelConfig::parse: a one-line error naming the field,
// or a config whose derived figures (context, parameter count) compute
// without overflow (UBSan watches), and whose run options validate.
#include "fuzz/fuzz.h"
#include "qwen3/model.h"
#include "qwen3/model_config.h"

QWEN3_FUZZ_TARGET(model_config) {
  using namespace qwen3;
  ModelConfig c;
  if (!fuzz::returns_or_errs([&] { c = ModelConfig::parse(std::string(fuzz::as_text(data, size)), "config.json"); }))
    return 0;
  (void)c.max_context();
  (void)c.parameter_count();
  (void)c.gqa_group();
  RunOptions o;
  o.ctx = 512;
  o.threads = 1;
  fuzz::returns_or_errs([&] { (void)validate_run_options(o, c, "config.json"); });
  return 0;
}
