// generation_config.json through apply_generation_config, as `resolve`
// reads it from the model folder: a one-line error naming the file, or
// thinking-preset values that validate.
#include "fuzz/fuzz.h"
#include "qwen3/settings.h"
#include "settings/generation_config.h"

QWEN3_FUZZ_TARGET(generation_config) {
  using namespace qwen3;
  static const Settings base = [] {
    SettingsSources sources;
    sources.model_dir = fuzz::temp_dir() / "empty-model";  // no generation_config.json there
    return resolve(sources);
  }();
  fuzz::write_temp("generation_config.json", fuzz::as_text(data, size));
  Settings s = base;
  fuzz::returns_or_errs([&] { settings::apply_generation_config(s, fuzz::temp_dir()); });
  return 0;
}
