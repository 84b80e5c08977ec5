#pragma once
// The TOML config file: parsing, and applying its values to Settings with
// errors that name the file and line.
#include <filesystem>

#include <toml++/toml.h>

#include "qwen3/settings.h"

namespace qwen3::settings {

struct ConfigFile {
  std::filesystem::path path;
  toml::table table;
};

// Throws qwen3::Error "PATH: cannot read ..." or "PATH:LINE: <syntax error>".
ConfigFile load_config_file(const std::filesystem::path& path);

// Every key of the file onto `s` (source ConfigFile). Unknown keys, wrong
// types and out-of-range values throw "PATH:LINE: ...".
void apply_config_file(Settings& s, const ConfigFile& file);

}  // namespace qwen3::settings
