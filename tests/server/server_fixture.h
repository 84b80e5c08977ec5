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

    server_ = std::make_unique<Server>(engine, o);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
  }
  ~Running() {
    server_->stop();
    thread_.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60);
    return c;
  }
  std::vector<std::string> log() {
    std::lock_guard<std::mutex> lock(mutex_);
    return log_;
  }
  Server& server() { return *server_; }
  int port() const { return port_; }
  std::string metrics() const { return client().Get("/metrics")->body; }

 private:
  std::unique_ptr<Server> server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> log_;
};

}  // namespace qwen3::test
