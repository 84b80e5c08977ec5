#pragma once
// An Engine on fixture tiny-qwen3-a, shared by the server tests, and a
// server running on it.
#include <httplib.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/test_paths.h"
#include "qwen3/engine.h"
#include "qwen3/server.h"
#include "qwen3/settings.h"

namespace qwen3::test {

// Settings as `qwen3 serve --model <fixture> --ctx <ctx>` resolves them, with
// no environment (no user config file).
inline Settings fixture_settings(int ctx = 512) {
  SettingsSources sources;
  sources.command_line.model = fixture_dir().string();
  sources.command_line.ctx = ctx;
  sources.command_line.threads = 2;
  return resolve(sources);
}

inline const Engine& fixture_engine() {
  static const Engine engine(fixture_settings());
  return engine;
}

// For requests that must run long: 32768 tokens of context.
inline const Engine& long_context_engine() {
  static const Engine engine(fixture_settings(32768));
  return engine;
}

}  // namespace qwen3::test
