// The settings file (TOML) through resolve(), as `--config FILE` reads it,
// with no environment and an empty model folder (so nothing else is read
// and the hub is never asked): a one-line error naming the file and line,
// or settings.
#include "fuzz/fuzz.h"
#include "qwen3/settings.h"

QWEN3_FUZZ_TARGET(settings_toml) {
  using namespace qwen3;
  SettingsSources sources;
  sources.config_file = fuzz::write_temp("config.toml", fuzz::as_text(data, size));
  sources.model_dir = fuzz::temp_dir() / "empty-model";
  fuzz::returns_or_errs([&] { (void)resolve(sources); });
  return 0;
}
